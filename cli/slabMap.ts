// A one-character-per-block map of one slab, computed only through the read-only view: the lists
// are walked here through raw memory (freelist and TLS links at base+1, remote links at base), the
// allocator's own bookkeeping is not asked where a block is.

import type { AllocatorView, SlabView } from '../impl/index.ts';

export const MAP_LEGEND: readonly (readonly [string, string])[] = [
  ['#', 'live (in the application)'],
  ['f', 'free (on the slab freelist)'],
  ['c', "cached (on a thread's TLS cache)"],
  ['r', 'remote (on the remote queue)'],
  ['.', 'uncarved'],
  ['!', 'on more than one list'],
];

type Mark = 'f' | 'c' | 'r';

export interface SlabMap {
  readonly slab: SlabView;
  readonly stride: number;
  /** One character per block, index order. */
  readonly cells: string;
  /** Problems met while walking (cycles, links leaving the slab, unreadable memory). */
  readonly notes: readonly string[];
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Walks a list from `head`, following the u32 link at `base + linkOffset`, marking blocks of `slab`.
 * Blocks of other slabs are passed through (a TLS cache mixes slabs); the walk stops at 0, at a
 * cycle, at unreadable memory, or after `limit` hops.
 */
export function walk(view: AllocatorView, head: number, linkOffset: number, onBlock: (base: number) => void, limit: number, what: string, notes: string[]): void {
  const seen = new Set<number>();
  let p = head;
  for (let hops = 0; p !== 0; hops++) {
    if (seen.has(p)) {
      notes.push(`${what}: cycle at ${hex(p)}`);
      return;
    }
    if (hops > limit) {
      notes.push(`${what}: longer than ${limit} links, walk stopped`);
      return;
    }
    seen.add(p);
    onBlock(p);
    try {
      p = view.readU32(p + linkOffset);
    } catch {
      notes.push(`${what}: link at ${hex(p + linkOffset)} is not in mapped memory`);
      return;
    }
  }
}

export function slabMap(view: AllocatorView, slabId: number): SlabMap | undefined {
  const slab = view.slab(slabId);
  if (slab === undefined) return undefined;
  const notes: string[] = [];
  if (slab.cls < 0) return { slab, stride: 0, cells: '', notes: ['slab is not bound to a class'] };
  const stride = view.config.strides[slab.cls] as number;
  const blocks = slab.capacity > 0 ? slab.capacity : Math.floor(slab.usableBytes / stride);
  const marks: Mark[][] = Array.from({ length: blocks }, () => []);
  const limit = 4 * blocks + 4096;

  const mark = (what: string, m: Mark, reportForeign: boolean) => (base: number) => {
    const off = base - slab.start;
    if (off < 0 || off >= blocks * stride) {
      if (reportForeign) notes.push(`${what}: ${hex(base)} is outside the slab`);
      return;
    }
    if (off % stride !== 0) {
      notes.push(`${what}: ${hex(base)} is not on a block boundary`);
      return;
    }
    marks[off / stride]?.push(m);
  };

  walk(view, slab.freelistHead, 1, mark('freelist', 'f', true), limit, 'freelist', notes);
  walk(view, slab.remoteHead, 0, mark('remote queue', 'r', true), limit, 'remote queue', notes);
  for (let t = 0; t < view.config.threads; t++) {
    const tc = view.thread(t).classes[slab.cls];
    if (tc === undefined) continue;
    walk(view, tc.tlsHead, 1, mark(`t${t} cache`, 'c', false), limit, `t${t} cache`, notes);
  }

  let cells = '';
  for (let i = 0; i < blocks; i++) {
    const m = marks[i] as Mark[];
    if (m.length > 1) cells += '!';
    else if (m.length === 1) cells += m[0] as string;
    else cells += i < slab.carved ? '#' : '.';
    if (i >= slab.carved && m.length > 0) notes.push(`block ${i} is on a list but beyond carved (${slab.carved})`);
  }
  return { slab, stride, cells, notes };
}

/** Printable lines: a header, the map in rows of 64 with block indexes, the legend, the notes. */
export function renderSlabMap(m: SlabMap): string[] {
  const s = m.slab;
  const lines = [
    `slab ${s.slabId} (superslab ${hex(s.ssBase)}, slab ${s.slabIndex}, start ${hex(s.start)}): class ${s.cls}${m.stride > 0 ? ` (stride ${m.stride})` : ''}, ${s.state}, ` +
      `capacity ${s.capacity}, carved ${s.carved}, used ${s.used}, owner ${s.owner < 0 ? 'none' : `t${s.owner}`}, remote ${s.remoteCount}`,
  ];
  // Rows of 64 blocks; a run of rows that are all uncarved collapses into one line.
  for (let i = 0; i < m.cells.length; i += 64) {
    const row = m.cells.slice(i, i + 64);
    if (/^\.+$/.test(row) && i + 64 < m.cells.length) {
      let j = i;
      while (j < m.cells.length && /^\.+$/.test(m.cells.slice(j, j + 64))) j += 64;
      const end = Math.min(j, m.cells.length) - 1;
      if (end >= i + 64) {
        lines.push(`  ${String(i).padStart(5)} ... blocks ${i}-${end} uncarved`);
        i = j - 64;
        continue;
      }
    }
    lines.push(`  ${String(i).padStart(5)} ${row}`);
  }
  const present = new Set(m.cells);
  lines.push(`  legend: ${MAP_LEGEND.filter(([ch]) => present.has(ch) || ch !== '!').map(([ch, what]) => `${ch} ${what}`).join(', ')}`);
  for (const n of m.notes) lines.push(`  note: ${n}`);
  return lines;
}

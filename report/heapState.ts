// One step's whole-heap picture for the report and `replay --json`: every mapped SuperSlab and
// slab with one character per block (report/cells.ts), the thread caches, warm pools and TinyHeap
// pages, the pool chunks, and the model's live blocks per class beside the implementation's.
// Read only through the read-only view and raw memory: every freelist, remote queue and TLS cache
// is walked here (cli/slabMap.ts's walker); the allocator's bookkeeping is not asked where a block
// is. Plain JSON-able data, so states can be diffed and stored as deltas (report/delta.ts).

import type { AllocatorView, SlabView, SuperSlabView } from '../impl/index.ts';
import type { Model } from '../model/index.ts';
import { walk } from '../cli/slabMap.ts';
import type { CellChar } from './cells.ts';

export interface SlabState {
  readonly slabId: number;
  readonly ssBase: number;
  readonly slabIndex: number;
  readonly start: number;
  /** Bound class, or -1. */
  readonly cls: number;
  readonly stride: number;
  readonly state: string;
  readonly capacity: number;
  readonly carved: number;
  /** True figure (stored used + usedDelta). */
  readonly used: number;
  readonly usedDelta: number;
  readonly activeDelta: number;
  readonly owner: number;
  readonly remoteCount: number;
  /** Who holds it: `t0 current C2`, `t1 warm C2`, `t0 page current C3`, `orphan C1`. */
  readonly held: readonly string[];
  /** One CellChar per block slot ('' for an unbound slab). */
  readonly cells: string;
}

export interface SuperSlabState {
  readonly base: number;
  readonly regionIndex: number;
  readonly tier: string;
  readonly totalActive: number;
  readonly emptyMask: number;
  readonly inReserve: boolean;
  readonly slabIds: readonly number[];
}

export interface ThreadClassState {
  readonly cls: number;
  readonly tlsCount: number;
  readonly tlsHead: number;
  readonly current: number;
  readonly warm: readonly number[];
  readonly pageCurrent: number;
  readonly pagePartial: readonly number[];
  readonly pageFull: readonly number[];
}

export interface ThreadState {
  readonly thread: number;
  /** Only the classes where the thread holds something. */
  readonly classes: readonly ThreadClassState[];
}

export interface PoolChunkState {
  readonly chunk: number;
  readonly chunkBytes: number;
  readonly requestedBytes: number;
  readonly allocated: boolean;
}

export interface PoolState {
  readonly regions: readonly { readonly base: number; readonly bytes: number }[];
  readonly chunks: readonly PoolChunkState[];
  readonly mappedBytes: number;
  readonly budgetBytes: number;
}

export interface ClassCompare {
  readonly cls: number;
  readonly stride: number;
  readonly modelLive: number;
  readonly implLive: number;
  readonly activeSlots: number;
  readonly softCap: number;
}

export interface CompareState {
  readonly classes: readonly ClassCompare[];
  readonly poolModelLive: number;
  readonly poolImplLive: number;
  /** Block bases where model and implementation disagree (at most DISAGREEMENTS_MAX). */
  readonly disagreeBases: readonly number[];
  /** One line per disagreement (at most DISAGREEMENTS_MAX), then a count of the rest. */
  readonly disagreements: readonly string[];
}

export interface HeapState {
  readonly superslabs: readonly SuperSlabState[];
  readonly slabs: readonly SlabState[];
  readonly threads: readonly ThreadState[];
  readonly pool: PoolState;
  readonly compare: CompareState;
  /** Problems met while walking (cycles, links out of bounds, unmapped memory). */
  readonly notes: readonly string[];
}

export const DISAGREEMENTS_MAX = 40;

const F = 1;
const C = 2;
const R = 4;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

interface SlabMarks {
  readonly slab: SlabView;
  readonly stride: number;
  readonly blocks: number;
  readonly flags: Uint8Array;
}

/** Every bound slab's list marks, from walking each list through raw memory. */
function markLists(view: AllocatorView, superslabs: readonly SuperSlabView[], notes: string[]): Map<number, SlabMarks> {
  const bySlab = new Map<number, SlabMarks>();
  for (const ss of superslabs) {
    for (const slab of ss.slabs) {
      if (slab.cls < 0) continue;
      const stride = view.config.strides[slab.cls] as number;
      const blocks = slab.capacity > 0 ? slab.capacity : Math.floor(slab.usableBytes / stride);
      bySlab.set(slab.slabId, { slab, stride, blocks, flags: new Uint8Array(blocks) });
    }
  }
  const ssByBase = new Map(superslabs.map((ss) => [ss.base, ss]));
  const slabOf = (base: number): SlabMarks | undefined => {
    const ss = ssByBase.get((base & ~(view.config.superslabSize - 1)) >>> 0);
    if (ss === undefined) return undefined;
    const idx = Math.floor((base - ss.base) / view.config.slabSize);
    const s = ss.slabs[idx];
    return s === undefined ? undefined : bySlab.get(s.slabId);
  };
  const mark = (what: string, flag: number, only?: SlabMarks) => (base: number) => {
    const m = only ?? slabOf(base);
    const off = m === undefined ? -1 : base - m.slab.start;
    if (m === undefined || off < 0 || off >= m.blocks * m.stride) {
      notes.push(
        `${what}: ${hex(base)} is in no bound slab${only !== undefined ? ` (outside slab ${only.slab.slabId})` : ''}`,
      );
      return;
    }
    if (off % m.stride !== 0) {
      notes.push(`${what}: ${hex(base)} is not on a block boundary of slab ${m.slab.slabId}`);
      return;
    }
    const i = off / m.stride;
    const before = m.flags[i] as number;
    // Bit 8: met twice on lists of one kind (two thread caches, say).
    m.flags[i] = before | ((before & flag) !== 0 ? 8 : 0) | flag;
  };
  for (const m of bySlab.values()) {
    const limit = 4 * m.blocks + 4096;
    walk(
      view,
      m.slab.freelistHead,
      1,
      mark(`slab ${m.slab.slabId} freelist`, F, m),
      limit,
      `slab ${m.slab.slabId} freelist`,
      notes,
    );
    walk(
      view,
      m.slab.remoteHead,
      0,
      mark(`slab ${m.slab.slabId} remote queue`, R, m),
      limit,
      `slab ${m.slab.slabId} remote queue`,
      notes,
    );
  }
  for (let t = 0; t < view.config.threads; t++) {
    view.thread(t).classes.forEach((tc, c) => {
      const what = `t${t} C${c} cache`;
      walk(view, tc.tlsHead, 1, mark(what, C), 4 * tc.tlsCount + 4096, what, notes);
    });
  }
  return bySlab;
}

/** The cell of block i: from its list marks, else carved (live) or uncarved; a bad header is 'x'. */
function cellOf(view: AllocatorView, m: SlabMarks, i: number): CellChar {
  const f = m.flags[i] as number;
  const lists = (f & F ? 1 : 0) + (f & C ? 1 : 0) + (f & R ? 1 : 0);
  if (lists > 1 || f & 8 || (lists > 0 && i >= m.slab.carved)) return '!';
  if (f & R) return 'r';
  if (lists === 0 && i >= m.slab.carved) return '.';
  const base = m.slab.start + i * m.stride;
  let header: number | undefined;
  try {
    header = view.readU8(base);
  } catch {
    header = undefined;
  }
  if (header !== (view.config.headerMagic | m.slab.cls)) return 'x';
  return f & F ? 'f' : f & C ? 'c' : '#';
}

/** Every block's cell; past the last carved or listed block the rest is uncarved in one go. */
function slabCells(view: AllocatorView, m: SlabMarks): string {
  let end = Math.min(m.blocks, m.slab.carved);
  for (let i = m.blocks - 1; i >= end; i--) {
    if (m.flags[i] !== 0) {
      end = i + 1;
      break;
    }
  }
  const chars: string[] = [];
  for (let i = 0; i < end; i++) chars.push(cellOf(view, m, i));
  return chars.join('') + '.'.repeat(m.blocks - end);
}

function heldBy(view: AllocatorView): Map<number, string[]> {
  const held = new Map<number, string[]>();
  const add = (id: number, what: string) => {
    if (id < 0) return;
    const l = held.get(id) ?? [];
    l.push(what);
    held.set(id, l);
  };
  for (let t = 0; t < view.config.threads; t++) {
    view.thread(t).classes.forEach((tc, c) => {
      add(tc.current, `t${t} current C${c}`);
      for (const w of tc.warm) add(w, `t${t} warm C${c}`);
      add(tc.pages.current, `t${t} page current C${c}`);
      for (const p of tc.pages.partial) add(p, `t${t} page partial C${c}`);
      for (const p of tc.pages.full) add(p, `t${t} page full C${c}`);
    });
  }
  for (let c = 0; c < view.classCount; c++) for (const o of view.orphanList(c)) add(o, `orphan C${c}`);
  return held;
}

function threadStates(view: AllocatorView): ThreadState[] {
  const out: ThreadState[] = [];
  for (let t = 0; t < view.config.threads; t++) {
    const classes: ThreadClassState[] = [];
    view.thread(t).classes.forEach((tc, cls) => {
      const p = tc.pages;
      if (
        tc.tlsCount === 0 &&
        tc.tlsHead === 0 &&
        tc.current < 0 &&
        tc.warm.length === 0 &&
        p.current < 0 &&
        p.partial.length === 0 &&
        p.full.length === 0
      )
        return;
      classes.push({
        cls,
        tlsCount: tc.tlsCount,
        tlsHead: tc.tlsHead,
        current: tc.current,
        warm: [...tc.warm],
        pageCurrent: p.current,
        pagePartial: [...p.partial],
        pageFull: [...p.full],
      });
    });
    out.push({ thread: t, classes });
  }
  return out;
}

function poolState(view: AllocatorView): PoolState {
  const p = view.pool();
  return {
    regions: p.regions.map((r) => ({ base: r.base, bytes: r.bytes })),
    chunks: p.blocks.map((b) => ({
      chunk: b.chunk,
      chunkBytes: b.chunkBytes,
      requestedBytes: b.requestedBytes,
      allocated: b.allocated,
    })),
    mappedBytes: p.mappedBytes,
    budgetBytes: p.budgetBytes,
  };
}

const CELL_WORDS: Record<CellChar, string> = {
  '#': 'live',
  f: 'free on the freelist',
  c: 'in a thread cache',
  r: 'on the remote queue',
  '.': 'uncarved',
  x: 'header wrong',
  '!': 'on more than one list',
};

/** The model's live blocks against the implementation's, class by class and address by address. */
function compareWithModel(view: AllocatorView, model: Model, slabs: readonly SlabState[]): CompareState {
  const cellAt = new Map<number, { cls: number; ch: CellChar }>();
  const implLive = new Array<number>(view.classCount).fill(0);
  for (const s of slabs) {
    for (let i = 0; i < s.cells.length; i++) {
      const ch = s.cells[i] as CellChar;
      if (ch === '.') continue; // no model block can be live there without a disagreement below
      cellAt.set(s.start + i * s.stride, { cls: s.cls, ch });
      if (ch === '#') implLive[s.cls]++;
    }
  }
  const modelLive = new Array<number>(view.classCount).fill(0);
  const lines: string[] = [];
  const bases: number[] = [];
  const disagree = (base: number, line: string) => {
    bases.push(base);
    lines.push(line);
  };
  let poolModelLive = 0;
  const modelBases = new Set<number>();
  for (const b of model.live()) {
    if (b.front === 'pool') {
      poolModelLive++;
      continue;
    }
    modelLive[b.sizeClass]++;
    const base = b.ptr - 1;
    modelBases.add(base);
    const cell = cellAt.get(base);
    if (cell === undefined)
      disagree(
        base,
        `model: ${hex(base)} live (C${b.sizeClass}, t${b.thread}); implementation: uncarved or in no bound slab`,
      );
    else if (cell.ch !== '#')
      disagree(
        base,
        `model: ${hex(base)} live (C${b.sizeClass}, t${b.thread}); ` +
          `implementation: ${CELL_WORDS[cell.ch]} (C${cell.cls})`,
      );
  }
  for (const [base, cell] of cellAt) {
    if (cell.ch === '#' && !modelBases.has(base))
      disagree(base, `implementation: ${hex(base)} live (C${cell.cls}), on no list; model: not live`);
  }
  const shown = lines.slice(0, DISAGREEMENTS_MAX);
  if (lines.length > DISAGREEMENTS_MAX) shown.push(`… and ${lines.length - DISAGREEMENTS_MAX} more`);
  const classes: ClassCompare[] = [];
  for (let c = 0; c < view.classCount; c++) {
    classes.push({
      cls: c,
      stride: view.config.strides[c] as number,
      modelLive: modelLive[c] as number,
      implLive: implLive[c] as number,
      activeSlots: view.activeSlots(c),
      softCap: view.softCap(c),
    });
  }
  const poolImplLive = view.pool().blocks.filter((b) => b.allocated).length;
  return {
    classes,
    poolModelLive,
    poolImplLive,
    disagreeBases: bases.slice(0, DISAGREEMENTS_MAX),
    disagreements: shown,
  };
}

/** The whole heap as it stands, with the model beside it. */
export function captureHeap(view: AllocatorView, model: Model): HeapState {
  const notes: string[] = [];
  const superslabs = view.superslabs();
  const marks = markLists(view, superslabs, notes);
  const held = heldBy(view);
  const slabs: SlabState[] = [];
  for (const ss of superslabs) {
    for (const s of ss.slabs) {
      const m = marks.get(s.slabId);
      const cells = m === undefined ? '' : slabCells(view, m);
      slabs.push({
        slabId: s.slabId,
        ssBase: s.ssBase,
        slabIndex: s.slabIndex,
        start: s.start,
        cls: s.cls,
        stride: m?.stride ?? 0,
        state: s.state,
        capacity: s.capacity,
        carved: s.carved,
        used: s.used + s.usedDelta,
        usedDelta: s.usedDelta,
        activeDelta: s.activeDelta,
        owner: s.owner,
        remoteCount: s.remoteCount,
        held: held.get(s.slabId) ?? [],
        cells,
      });
    }
  }
  return {
    superslabs: superslabs.map((ss) => ({
      base: ss.base,
      regionIndex: ss.regionIndex,
      tier: ss.tier,
      totalActive: ss.totalActive,
      emptyMask: ss.emptyMask,
      inReserve: ss.inReserve,
      slabIds: ss.slabs.map((s) => s.slabId),
    })),
    slabs,
    threads: threadStates(view),
    pool: poolState(view),
    compare: compareWithModel(view, model, slabs),
    notes,
  };
}

// Heap states stored step to step as deltas: the report embeds the first state and one delta per
// step, and the browser rebuilds every state by applying them in order. A delta carries only the
// SuperSlabs and slabs whose metadata changed (whole), the runs of blocks whose cell changed, and
// the thread, pool, model and note sections when they changed. Pure: shared by the writer
// (report/html.ts) and the browser client.

import type { HeapState, SlabState, SuperSlabState } from './heapState.ts';

export type SlabMeta = Omit<SlabState, 'cells'>;

/** [slabId, start, text]: cells from `start` replaced by `text`; start -1: the whole string, run-length coded. */
export type CellPatch = readonly [number, number, string];

export interface StepDelta {
  readonly superslabs?: { readonly set: readonly SuperSlabState[]; readonly del: readonly number[] };
  readonly slabs?: { readonly set: readonly SlabMeta[]; readonly del: readonly number[] };
  readonly cells?: readonly CellPatch[];
  readonly threads?: HeapState['threads'];
  readonly pool?: HeapState['pool'];
  readonly compare?: HeapState['compare'];
  readonly notes?: HeapState['notes'];
}

export const EMPTY_HEAP: HeapState = {
  superslabs: [],
  slabs: [],
  threads: [],
  pool: { regions: [], chunks: [], mappedBytes: 0, budgetBytes: 0 },
  compare: { classes: [], poolModelLive: 0, poolImplLive: 0, disagreeBases: [], disagreements: [] },
  notes: [],
};

/** `5f3#` for `fffff###`: counts before each character (cells are never digits). */
export function rleEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length;) {
    let j = i + 1;
    while (j < s.length && s[j] === s[i]) j++;
    out += `${j - i === 1 ? '' : j - i}${s[i]}`;
    i = j;
  }
  return out;
}

export function rleDecode(s: string): string {
  return s.replace(/(\d*)(\D)/g, (_m, n: string, ch: string) => ch.repeat(n === '' ? 1 : Number(n)));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function slabMeta(s: SlabState): SlabMeta {
  const { cells: _cells, ...meta } = s;
  return meta;
}

/** Runs of changed cells; runs closer than 8 cells are merged into one. */
function cellPatches(id: number, before: string | undefined, after: string): CellPatch[] {
  if (before === after) return [];
  if (before === undefined || before.length !== after.length) return [[id, -1, rleEncode(after)]];
  const out: CellPatch[] = [];
  let i = 0;
  while (i < after.length) {
    if (before[i] === after[i]) {
      i++;
      continue;
    }
    let end = i + 1;
    for (let j = end; j < after.length && j < end + 8; j++) if (before[j] !== after[j]) end = j + 1;
    out.push([id, i, after.slice(i, end)]);
    i = end;
  }
  return out;
}

function keyed<T, K>(before: readonly T[], after: readonly T[], key: (x: T) => K, strip: (x: T) => unknown = (x) => x) {
  const old = new Map(before.map((x) => [key(x), x]));
  const now = new Set(after.map(key));
  const set = after.filter((x) => {
    const o = old.get(key(x));
    return o === undefined || !same(strip(o), strip(x));
  });
  const del = before.map(key).filter((k) => !now.has(k));
  return set.length === 0 && del.length === 0 ? undefined : { set, del };
}

export function encodeDelta(before: HeapState, after: HeapState): StepDelta {
  const superslabs = keyed(before.superslabs, after.superslabs, (s) => s.base);
  const slabs = keyed(before.slabs, after.slabs, (s) => s.slabId, slabMeta);
  const oldCells = new Map(before.slabs.map((s) => [s.slabId, s.cells]));
  const cells = after.slabs.flatMap((s) => cellPatches(s.slabId, oldCells.get(s.slabId), s.cells));
  return {
    ...(superslabs !== undefined ? { superslabs } : {}),
    ...(slabs !== undefined ? { slabs: { set: slabs.set.map(slabMeta), del: slabs.del } } : {}),
    ...(cells.length > 0 ? { cells } : {}),
    ...(same(before.threads, after.threads) ? {} : { threads: after.threads }),
    ...(same(before.pool, after.pool) ? {} : { pool: after.pool }),
    ...(same(before.compare, after.compare) ? {} : { compare: after.compare }),
    ...(same(before.notes, after.notes) ? {} : { notes: after.notes }),
  };
}

export function applyDelta(before: HeapState, d: StepDelta): HeapState {
  let superslabs = before.superslabs;
  if (d.superslabs !== undefined) {
    const m = new Map(superslabs.map((s) => [s.base, s]));
    for (const k of d.superslabs.del) m.delete(k);
    for (const s of d.superslabs.set) m.set(s.base, s);
    superslabs = [...m.values()].sort((a, b) => a.base - b.base);
  }
  const cells = new Map(before.slabs.map((s) => [s.slabId, s.cells]));
  const metas = new Map<number, SlabMeta>(before.slabs.map((s) => [s.slabId, slabMeta(s)]));
  if (d.slabs !== undefined) {
    for (const k of d.slabs.del) {
      metas.delete(k);
      cells.delete(k);
    }
    for (const s of d.slabs.set) metas.set(s.slabId, s);
  }
  for (const [id, start, text] of d.cells ?? []) {
    if (start < 0) cells.set(id, rleDecode(text));
    else {
      const c = cells.get(id) ?? '';
      cells.set(id, c.slice(0, start) + text + c.slice(start + text.length));
    }
  }
  const slabs = [...metas.values()]
    .sort((a, b) => a.slabId - b.slabId)
    .map((m) => ({ ...m, cells: cells.get(m.slabId) ?? '' }));
  return {
    superslabs,
    slabs,
    threads: d.threads ?? before.threads,
    pool: d.pool ?? before.pool,
    compare: d.compare ?? before.compare,
    notes: d.notes ?? before.notes,
  };
}

/** One delta per state: deltas[0] from EMPTY_HEAP to states[0], deltas[k] from states[k-1] to states[k]. */
export function encodeTimeline(states: readonly HeapState[]): StepDelta[] {
  return states.map((s, k) => encodeDelta(k === 0 ? EMPTY_HEAP : (states[k - 1] as HeapState), s));
}

export function decodeTimeline(deltas: readonly StepDelta[]): HeapState[] {
  const out: HeapState[] = [];
  for (const d of deltas) out.push(applyDelta(out.length === 0 ? EMPTY_HEAP : (out[out.length - 1] as HeapState), d));
  return out;
}

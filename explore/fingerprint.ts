// Canonical fingerprints of a whole checked state (allocator metadata, the bytes of every mapped
// region, and the model), with logical-thread renaming as a symmetry: two states that differ only
// by a permutation of thread ids get the same fingerprint.
//
// What is in a fingerprint, and why that is enough (soundness):
// - every SuperSlab's tier, counters, masks and every slab's metadata (owners renamed); registry,
//   by-class lists, EMPTY and orphan lists in their order; active slot counts, soft caps, class
//   hints, the reserve; per thread (in renamed order) its caches, current slabs, warm pools and
//   pages; the route profile; the pool's chunks; the OS's map limit and pending refusals;
// - every byte of every mapped region. Bytes retained by an unmapped region are left out: the
//   allocator never reads a byte it did not write since the region was (re)mapped — headers are
//   written at carving, links at push — and the checks read only headers, links and written canaries;
// - the model: the live list in order (pointer, size, class, front, renamed thread, canary), the
//   graveyard in order, soft caps, route profile, the OS limit and refusals it ordered, and which
//   threads are settled. Allocation serial numbers are names only and are left out.
// Thread renaming is sound because every command of the alphabet exists for every thread, every
// invariant treats threads alike, and the allocator's behaviour does not depend on the numeric
// order of thread ids (tested: a planted fault is found at the same depth with and without it).

import type { AllocatorView } from '../impl/index.ts';
import type { Model } from '../model/index.ts';

const permutationsOf = new Map<number, readonly (readonly number[])[]>();

/** Every permutation of 0..n-1, computed once per n (a profile's thread count: at most a handful). */
function cachedPermutations(n: number): readonly (readonly number[])[] {
  let p = permutationsOf.get(n);
  if (p === undefined) permutationsOf.set(n, (p = permutations(n)));
  return p;
}

/** Every permutation of 0..n-1. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let at = 0; at <= rest.length; at++) out.push([...rest.slice(0, at), n - 1, ...rest.slice(at)]);
  }
  return out;
}

/** A 64-bit fingerprint as two 32-bit lanes (unsigned). */
export interface FingerprintLanes {
  readonly hi: number;
  readonly lo: number;
}

/** FNV-1a over a string, two independent 32-bit lanes: a 64-bit fingerprint. */
function hash64(text: string): FingerprintLanes {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b ^ ch, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return { hi: a >>> 0, lo: b >>> 0 };
}

/** 16 hex digits. */
export function fingerprintText(f: FingerprintLanes): string {
  return f.hi.toString(16).padStart(8, '0') + f.lo.toString(16).padStart(8, '0');
}

/** FNV-1a over the bytes of every mapped region (order and kind included): a number per state. */
function bytesHash(view: AllocatorView): string {
  let a = 0x811c9dc5;
  let b = 0x1b873593;
  const size = view.config.superslabSize;
  for (const region of view.mappedRegions()) {
    a = Math.imul(a ^ (region.base >>> 0), 0x01000193);
    b = Math.imul(b ^ (region.kind === 'pool' ? 0x5bd1 : 0x9e37), 0x5bd1e995);
    const bytes = view.readRange(region.base, size);
    for (let o = 0; o < size; o++) {
      const x = bytes[o] as number;
      a = Math.imul(a ^ x, 0x01000193);
      b = Math.imul(b ^ x, 0x5bd1e995);
      b ^= b >>> 13;
    }
  }
  return `${(a >>> 0).toString(16)}.${(b >>> 0).toString(16)}`;
}

/** What a description needs, read once per state; thread ids are kept apart so renamings are cheap. */
interface Collected {
  /** Text with no thread id in it. */
  readonly fixed: string;
  /** Slab owners in slab order (renamed per permutation). */
  readonly owners: readonly number[];
  /** Per thread: its own structures (no other thread id inside). */
  readonly threads: readonly string[];
  /** Live blocks: their text without the thread, and the thread. */
  readonly live: readonly { readonly text: string; readonly thread: number }[];
}

function collect(view: AllocatorView, model: Model): Collected {
  const parts: string[] = [`B${bytesHash(view)}`];
  const owners: number[] = [];
  for (const ss of view.superslabs()) {
    parts.push(`S${ss.base}:${ss.tier}:${ss.totalActive}:${ss.emptyMask}:${ss.inReserve ? 1 : 0}`);
    for (const s of ss.slabs) {
      parts.push(`${s.state[0]}${s.cls},${s.capacity},${s.carved},${s.used},${s.usedDelta},${s.activeDelta},${s.freelistHead},${s.remoteHead},${s.remoteCount}`);
      owners.push(s.owner);
    }
  }
  const os = view.os();
  parts.push(`reg:${view.registry().join(',')}|res:${view.reserve().join(',')}|route:${view.routeProfile()}|os:${os.mapLimit ?? '-'}/${os.refusalsPending}`);
  for (let c = 0; c < view.classCount; c++) {
    parts.push(`c${c}:${view.registryByClass(c).join(',')}/${view.emptyList(c).join(',')}/${view.orphanList(c).join(',')}/${view.activeSlots(c)}/${view.softCap(c)}/${view.classHint(c)}`);
  }
  parts.push(`pool:${view.pool().blocks.map((b) => `${b.chunk}.${b.chunkBytes}.${b.requestedBytes}.${b.allocated ? 1 : 0}`).join(',')}`);
  for (const g of model.graveyard()) parts.push(`G${g.ptr},${g.front},${g.sizeClass},${g.regionBase}`);
  for (let c = 0; c < view.classCount; c++) parts.push(`m${model.softCap(c)}`);
  parts.push(`mp${model.routeProfile()}`, `mo${model.osLimit() ?? '-'}/${model.osRefusalsBound()}`);
  const settled = model.settledThreads();
  const threads: string[] = [];
  for (let t = 0; t < view.config.threads; t++) {
    const cls = view
      .thread(t)
      .classes.map((k) => `${k.tlsHead}.${k.tlsCount}.${k.current}.${k.warm.join(':')}.${k.pages.current}.${k.pages.partial.join(':')}.${k.pages.full.join(':')}`)
      .join(';');
    threads.push(`T${settled[t] ? 's' : 'u'}${cls}`);
  }
  const live = model.live().map((b) => ({
    text: `L${b.ptr},${b.sizeBytes},${b.sizeClass},${b.front},${b.canary === null ? '-' : `${b.canary.seed}.${b.canary.sizeBytes}`}`,
    thread: b.thread,
  }));
  return { fixed: parts.join('\n'), owners, threads, live };
}

/** The description under a renaming `rename` (old thread id -> new id; -1 stays -1). */
function describe(c: Collected, rename: readonly number[]): string {
  const r = (t: number): number => (t < 0 ? t : (rename[t] as number));
  const byNewId: string[] = new Array<string>(c.threads.length).fill('');
  c.threads.forEach((text, t) => {
    byNewId[r(t)] = text;
  });
  return `${c.fixed}\nO${c.owners.map(r).join(',')}\n${byNewId.join('|')}\n${c.live.map((l) => `${l.text},${r(l.thread)}`).join('\n')}`;
}

export interface FingerprintOptions {
  /** Reduce by logical-thread renaming (default true). */
  readonly symmetry?: boolean;
}

/**
 * The canonical fingerprint: with symmetry, the smallest description over every renaming of the
 * threads (so it is the same for every member of an orbit); without, the identity renaming.
 */
export function fingerprintLanes(view: AllocatorView, model: Model, options: FingerprintOptions = {}): FingerprintLanes {
  const threads = view.config.threads;
  const collected = collect(view, model);
  const identity = Array.from({ length: threads }, (_, t) => t);
  if (options.symmetry === false) return hash64(describe(collected, identity));
  let best: string | undefined;
  for (const perm of cachedPermutations(threads)) {
    const d = describe(collected, perm);
    if (best === undefined || d < best) best = d;
  }
  return hash64(best as string);
}

/** The canonical fingerprint as 16 hex digits. */
export function fingerprint(view: AllocatorView, model: Model, options: FingerprintOptions = {}): string {
  return fingerprintText(fingerprintLanes(view, model, options));
}

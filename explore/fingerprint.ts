// Canonical fingerprints of a whole checked state (allocator metadata, the bytes of every mapped
// region, and the model), with logical-thread renaming as a symmetry: two states that differ only
// by a permutation of thread ids get the same fingerprint.
//
// What is in a fingerprint, and why that is enough (soundness):
// - every SuperSlab's tier, counters, masks and lookups (registered flag, live bytes, per-class slab
//   counts) and every slab's metadata and lookups (stride, held flag, live bitmap; owners renamed); registry,
//   by-class lists, EMPTY and orphan lists in their order; active slot counts, soft caps, class
//   hints, the reserve; per thread (in renamed order) its caches, current slabs, warm pools and
//   pages; the route profile; the pool's chunks; the OS's map limit and pending refusals;
// - every byte of every mapped region. Bytes retained by an unmapped region are left out: the
//   allocator never reads a byte it did not write since the region was (re)mapped — headers are
//   written at carving, links at push — and the checks read only headers, links and written canaries;
// - the model: the live list in order (pointer, size, class, front, renamed thread, canary), the
//   graveyard in order, soft caps, route profile, the OS limit and refusals it ordered (view and
//   model), and which threads are settled. Allocation serial
//   numbers are names only and are left out.
// The description is never built as text: its fields are fed, in a fixed order with every list's
// length first, to a streaming 64-bit hash (two 32-bit lanes); the parts that name threads (slab
// owners, each thread's own structures, the live blocks' threads) are kept apart and fed per
// renaming. Adding a field: feed it where it belongs (`collectSlabs`, `collectShared`,
// `collectThread` for a per-thread one, the live block's hash), with `num`, `str` or `list`; a
// field that names a thread must go through the renaming `r` in `describe`.
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

/** 16 hex digits. */
export function fingerprintText(f: FingerprintLanes): string {
  return f.hi.toString(16).padStart(8, '0') + f.lo.toString(16).padStart(8, '0');
}

/** A number no int32 field of a state takes (read: "a non-int32 number follows, as float64 bits"). */
const NON_INT32 = 0x7ff80001;
const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

/**
 * A streaming 64-bit hash of a sequence of fields (two 32-bit lanes, murmur3-style mixing per
 * 32-bit word): the description of a state is fed to it field by field, never built as text.
 * Every field is a number (an int32 is one word; any other number a marker and its float64 bits) or
 * a string (its length, then its UTF-16 units); every list is fed as its length, then its items, so
 * the stream of a state determines the state's description exactly as the text did.
 */
class Hasher {
  a: number;
  b: number;
  constructor(a = 0x811c9dc5, b = 0x1b873593) {
    this.a = a;
    this.b = b;
  }

  word(x: number): void {
    let k = Math.imul(x | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let a = this.a ^ k;
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let b = this.b ^ Math.imul(x | 0, 0x85ebca6b);
    b = (b << 17) | (b >>> 15);
    this.b = (Math.imul(b, 0xc2b2ae35) + 0x9e3779b9) | 0;
  }

  num(x: number): void {
    if (x === (x | 0) && x !== NON_INT32) {
      this.word(x);
      return;
    }
    this.word(NON_INT32);
    f64[0] = x;
    this.word(f64Words[0] as number);
    this.word(f64Words[1] as number);
  }

  str(text: string): void {
    this.word(text.length);
    for (let i = 0; i < text.length; i++) this.word(text.charCodeAt(i));
  }

  list(xs: readonly number[]): void {
    this.word(xs.length);
    for (let i = 0; i < xs.length; i++) this.num(xs[i] as number);
  }

  /** The bytes of `bytes`, a 32-bit word at a time where the buffer allows it. */
  bytes(bytes: Uint8Array): void {
    this.word(bytes.length);
    const whole = bytes.byteOffset % 4 === 0 ? bytes.length >>> 2 : 0;
    if (whole > 0) {
      const words = new Int32Array(bytes.buffer, bytes.byteOffset, whole);
      for (let i = 0; i < whole; i++) this.word(words[i] as number);
    }
    for (let o = whole * 4; o < bytes.length; o++) this.word(bytes[o] as number);
  }

  copy(): Hasher {
    return new Hasher(this.a, this.b);
  }

  /** The 64-bit result (both lanes finalised, fmix32). */
  lanes(): FingerprintLanes {
    return { hi: fmix32(this.a ^ Math.imul(this.b, 0x9e3779b1)), lo: fmix32(this.b ^ 0x5bd1e995) };
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bytes of every mapped region (order and kind included). */
function hashBytes(h: Hasher, view: AllocatorView): void {
  const size = view.config.superslabSize;
  const regions = view.mappedRegions();
  h.word(regions.length);
  for (const region of regions) {
    h.num(region.base);
    h.str(region.kind);
    h.bytes(view.readRange(region.base, size));
  }
}

/** What a description needs, read once per state; thread ids are kept apart so renamings are cheap. */
interface Collected {
  /** Everything with no thread id in it, hashed. */
  readonly fixed: Hasher;
  /** Slab owners in slab order (renamed per permutation). */
  readonly owners: readonly number[];
  /** Per thread: the hash of its own structures (no other thread id inside). */
  readonly threads: readonly FingerprintLanes[];
  /** Live blocks, in the model's order: the hash of each without its thread, and the thread. */
  readonly live: readonly { readonly hash: FingerprintLanes; readonly thread: number }[];
}

function collectSlabs(h: Hasher, view: AllocatorView, owners: number[]): void {
  const superslabs = view.superslabs();
  h.word(superslabs.length);
  for (const ss of superslabs) {
    h.num(ss.base);
    h.str(ss.tier);
    h.num(ss.totalActive);
    h.num(ss.emptyMask);
    h.word(ss.inReserve ? 1 : 0);
    // Lookup structures the free and alloc paths consult (independent reads): part of the state.
    h.word(ss.registered ? 1 : 0);
    h.num(ss.liveBytes);
    h.list(ss.classSlabs);
    h.word(ss.slabs.length);
    for (const s of ss.slabs) {
      h.str(s.state);
      h.num(s.cls);
      h.num(s.capacity);
      h.num(s.carved);
      h.num(s.used);
      h.num(s.usedDelta);
      h.num(s.activeDelta);
      h.num(s.freelistHead);
      h.num(s.remoteHead);
      h.num(s.remoteCount);
      h.num(s.stride);
      h.num(s.strideShift);
      h.str(String(s.held));
      h.num(s.deltaThreshold);
      if (s.cls >= 0) h.list(view.liveBitmap(s.slabId));
      else h.word(0);
      owners.push(s.owner);
    }
  }
}

function collectShared(h: Hasher, view: AllocatorView, model: Model): void {
  h.list(view.registry());
  h.list(view.reserve());
  h.str(view.routeProfile());
  for (let c = 0; c < view.classCount; c++) {
    h.list(view.registryByClass(c));
    h.list(view.emptyList(c));
    h.list(view.orphanList(c));
    h.num(view.activeSlots(c));
    h.num(view.softCap(c));
    h.num(view.classHint(c));
  }
  const blocks = view.pool().blocks;
  h.word(blocks.length);
  for (const b of blocks) {
    h.num(b.chunk);
    h.num(b.chunkBytes);
    h.num(b.requestedBytes);
    h.word(b.allocated ? 1 : 0);
  }
  const graves = model.graveyard();
  h.word(graves.length);
  for (const g of graves) {
    h.num(g.ptr);
    h.str(g.front);
    h.num(g.sizeClass);
    h.num(g.regionBase);
  }
  for (let c = 0; c < view.classCount; c++) h.num(model.softCap(c));
  h.str(model.routeProfile());
  // The OS: its limit and pending refusals, and what the model says the commands ordered.
  const os = view.os();
  h.num(os.mapLimit ?? -1);
  h.num(os.refusalsPending);
  h.num(model.osLimit() ?? -1);
  h.num(model.osRefusalsBound());
}

function collectThread(view: AllocatorView, t: number, settled: boolean): FingerprintLanes {
  const h = new Hasher();
  h.word(settled ? 1 : 0);
  const classes = view.thread(t).classes;
  h.word(classes.length);
  for (const k of classes) {
    h.num(k.tlsHead);
    h.num(k.tlsCount);
    h.num(k.current);
    h.list(k.warm);
    h.num(k.pages.current);
    h.list(k.pages.partial);
    h.list(k.pages.full);
  }
  return h.lanes();
}

function collect(view: AllocatorView, model: Model): Collected {
  const fixed = new Hasher();
  hashBytes(fixed, view);
  const owners: number[] = [];
  collectSlabs(fixed, view, owners);
  collectShared(fixed, view, model);
  const settled = model.settledThreads();
  const threads: FingerprintLanes[] = [];
  for (let t = 0; t < view.config.threads; t++) threads.push(collectThread(view, t, settled[t] === true));
  const live: { readonly hash: FingerprintLanes; readonly thread: number }[] = [];
  for (const b of model.live()) {
    const h = new Hasher();
    h.num(b.ptr);
    h.num(b.sizeBytes);
    h.num(b.sizeClass);
    h.str(b.front);
    if (b.canary === null) h.word(0);
    else {
      h.word(1);
      h.num(b.canary.seed);
      h.num(b.canary.sizeBytes);
    }
    live.push({ hash: h.lanes(), thread: b.thread });
  }
  return { fixed, owners, threads, live };
}

/** The hash of the description under a renaming `rename` (old thread id -> new id; -1 stays -1). */
function describe(c: Collected, rename: readonly number[]): FingerprintLanes {
  const h = c.fixed.copy();
  h.word(c.owners.length);
  for (const owner of c.owners) h.num(owner < 0 ? owner : (rename[owner] as number));
  const threads = c.threads.length;
  h.word(threads);
  for (let to = 0; to < threads; to++) {
    // The thread renamed to `to` (a permutation: exactly one).
    const from = rename.indexOf(to);
    const lanes = c.threads[from] as FingerprintLanes;
    h.word(lanes.hi);
    h.word(lanes.lo);
  }
  h.word(c.live.length);
  for (const l of c.live) {
    h.word(l.hash.hi);
    h.word(l.hash.lo);
    h.num(l.thread < 0 ? l.thread : (rename[l.thread] as number));
  }
  return h.lanes();
}

export interface FingerprintOptions {
  /** Reduce by logical-thread renaming (default true). */
  readonly symmetry?: boolean;
}

function below(x: FingerprintLanes, y: FingerprintLanes): boolean {
  return x.hi < y.hi || (x.hi === y.hi && x.lo < y.lo);
}

const identities = new Map<number, readonly number[]>();

function identityOf(n: number): readonly number[] {
  let p = identities.get(n);
  if (p === undefined) {
    p = Array.from({ length: n }, (_, t) => t);
    identities.set(n, p);
  }
  return p;
}

/**
 * The canonical fingerprint: with symmetry, the smallest hash of the description over every
 * renaming of the threads (the orbit's set of descriptions is the same from every member, so is its
 * smallest hash); without, the identity renaming's.
 */
export function fingerprintLanes(view: AllocatorView, model: Model, options: FingerprintOptions = {}): FingerprintLanes {
  const threads = view.config.threads;
  const collected = collect(view, model);
  if (options.symmetry === false) return describe(collected, identityOf(threads));
  let best: FingerprintLanes | undefined;
  for (const perm of cachedPermutations(threads)) {
    const d = describe(collected, perm);
    if (best === undefined || below(d, best)) best = d;
  }
  return best as FingerprintLanes;
}

/** The canonical fingerprint as 16 hex digits. */
export function fingerprint(view: AllocatorView, model: Model, options: FingerprintOptions = {}): string {
  return fingerprintText(fingerprintLanes(view, model, options));
}

/**
 * The state in two parts, without renaming (thread ids as they are): everything but the threads'
 * own structures (memory, slabs and their owners, registry and lists, the pool, the OS, the model's
 * live blocks with their threads, graveyard, soft caps, route), and per thread the hash of its own
 * structures (caches, current slabs, warm pools, pages, settled flag). A transition that changes
 * only its own thread's part is thread-local as the fingerprint sees it (explore/sleep.ts).
 */
export interface StateParts {
  readonly shared: FingerprintLanes;
  readonly threads: readonly FingerprintLanes[];
}

export function stateParts(view: AllocatorView, model: Model): StateParts {
  const c = collect(view, model);
  const h = c.fixed.copy();
  h.word(c.owners.length);
  for (const owner of c.owners) h.num(owner);
  h.word(c.live.length);
  for (const l of c.live) {
    h.word(l.hash.hi);
    h.word(l.hash.lo);
    h.num(l.thread);
  }
  return { shared: h.lanes(), threads: c.threads };
}

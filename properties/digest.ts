// A digest of everything a free could change: every piece of metadata the view exposes (statistics
// excluded, SPEC §7 lets bad frees count themselves) and the raw bytes that hold blocks. A bad free
// must leave it bit-for-bit unchanged. Small heaps are hashed whole; on big heaps (the default 2 MiB
// SuperSlabs) the digest covers, byte for byte, the bytes around the pointer and the carved blocks of
// the slab (or the pool chunk) it falls in, plus the header and link bytes of every carved block and
// every pool chunk header anywhere (walked from the raw headers): every place a free writes. The
// metadata includes the lookup structures the free path consults (registered flags, live bitmaps,
// live bytes, per-class slab counts, held flags, the Stage 2 hints).

import type { AllocatorView } from '../impl/index.ts';
import { regionBaseOf, slabStartOf } from '../model/index.ts';
import { chunkHolding, walkPool } from './poolWalk.ts';

/**
 * Every piece of metadata the view exposes, as the fresh plain values its calls return (the view
 * copies on every call, so a later step cannot change them). Compared as its JSON text would be.
 */
export type MetadataSnapshot = Readonly<Record<string, unknown>>;

export interface StateDigest {
  readonly metadata: MetadataSnapshot;
  /** Named byte ranges → FNV-1a hash of their bytes. */
  readonly bytes: ReadonlyMap<string, number>;
}

/** Whole-heap byte hashing while the mapped bytes stay under this bound. */
const FULL_HASH_LIMIT_BYTES = 256 * 1024;

/** FNV-1a of the bytes [from, to), which lie in one mapped region (every caller's range does). */
function fnv(view: AllocatorView, from: number, to: number, seed = 0x811c9dc5): number {
  let h = seed;
  const bytes = view.readRange(from, Math.max(0, to - from));
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function metadataSnapshot(view: AllocatorView): MetadataSnapshot {
  const classCount = view.classCount;
  const threads: unknown[] = [];
  for (let t = 0; t < view.config.threads; t++) threads.push(view.thread(t));
  const superslabs = view.superslabs();
  // Lookup structures the free path consults: registered flags, live bytes, per-class slab counts
  // and held flags ride in the SuperSlab and slab views; the live bitmap of every bound slab here.
  const liveBitmaps: unknown[] = [];
  for (const ss of superslabs) for (const s of ss.slabs) if (s.cls >= 0) liveBitmaps.push([s.slabId, view.liveBitmap(s.slabId)]);
  const empty: unknown[] = [];
  const orphans: unknown[] = [];
  const activeSlots: number[] = [];
  const softCaps: number[] = [];
  const hints: number[] = [];
  const byClass: unknown[] = [];
  for (let c = 0; c < classCount; c++) {
    empty.push(view.emptyList(c));
    orphans.push(view.orphanList(c));
    activeSlots.push(view.activeSlots(c));
    softCaps.push(view.softCap(c));
    hints.push(view.classHint(c));
    byClass.push(view.registryByClass(c));
  }
  return {
    superslabs,
    liveBitmaps,
    threads,
    empty,
    orphans,
    activeSlots,
    softCaps,
    hints,
    registry: view.registry(),
    byClass,
    reserve: view.reserve(),
    regions: view.mappedRegions(),
    pool: view.pool(),
    routes: view.routes(),
    profile: view.routeProfile(),
    os: view.os(),
  };
}

/**
 * Whether two values have the same JSON text (JSON.stringify(a) === JSON.stringify(b)) without
 * building it: this runs twice per bad free, write and misuse step. Values of the same JSON kind are
 * compared part by part (object keys in order, skipping what JSON omits); anything else (a number
 * against null, say) falls back to comparing the texts.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta !== typeof b || a === null || b === null || ta !== 'object') return JSON.stringify(a) === JSON.stringify(b);
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const xs = a as readonly unknown[];
    const ys = b as readonly unknown[];
    if (xs.length !== ys.length) return false;
    for (let i = 0; i < xs.length; i++) if (!sameJsonElement(xs[i], ys[i])) return false;
    return true;
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || typeof (a as { toJSON?: unknown }).toJSON === 'function' || typeof (b as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(a) === JSON.stringify(b);
  const ka = jsonKeys(a as Readonly<Record<string, unknown>>);
  const kb = jsonKeys(b as Readonly<Record<string, unknown>>);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** In an array, JSON writes undefined and functions as null. */
function sameJsonElement(x: unknown, y: unknown): boolean {
  const nx = x === undefined || typeof x === 'function' ? null : x;
  const ny = y === undefined || typeof y === 'function' ? null : y;
  return nx === ny ? true : sameJson(nx, ny);
}

/** The keys JSON writes: own enumerable ones whose values are neither undefined nor functions. */
function jsonKeys(o: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== undefined && typeof v !== 'function' && typeof v !== 'symbol') out.push(k);
  }
  return out;
}

export function stateDigest(view: AllocatorView, focusPtr: number): StateDigest {
  const config = view.config;
  const regions = view.mappedRegions();
  const bytes = new Map<string, number>();
  const mappedBytes = regions.length * config.superslabSize;
  if (mappedBytes <= FULL_HASH_LIMIT_BYTES) {
    for (const r of regions) bytes.set(`region 0x${r.base.toString(16)}`, fnv(view, r.base, r.base + config.superslabSize));
  } else {
    // The bytes around the pointer, and the carved part of the slab (or the pool chunk) it falls in.
    const focusHeader = focusPtr - 1;
    const windowFrom = Math.max(0, focusHeader - 16);
    const windowTo = focusHeader + 24;
    let wh = 0x811c9dc5;
    for (let a = windowFrom; a < windowTo; a++) if (view.isMapped(a)) wh = fnv(view, a, a + 1, wh);
    bytes.set('bytes around the pointer', wh);
    const focusBase = regionBaseOf(config, focusHeader);
    const focusRegion = regions.find((r) => r.base === focusBase);
    if (focusRegion !== undefined && focusRegion.kind === 'superslab') {
      const slabIndex = Math.floor((focusHeader - focusBase) / config.slabSize);
      const slab = view.superslab(focusBase)?.slabs[slabIndex];
      if (slab !== undefined && slab.state === 'ACTIVE' && slab.cls >= 0) {
        const from = slabStartOf(config, focusBase, slabIndex);
        const to = Math.min(from + Math.max(0, slab.carved) * (config.strides[slab.cls] as number), focusBase + (slabIndex + 1) * config.slabSize);
        bytes.set(`carved blocks of slab ${slab.slabId}`, fnv(view, from, to));
      }
    } else if (focusRegion !== undefined) {
      const chunk = chunkHolding(walkPool(view), focusHeader);
      if (chunk !== undefined) bytes.set(`pool chunk ${chunk.chunk}`, fnv(view, chunk.chunk, Math.min(chunk.chunk + chunk.chunkBytes, focusBase + config.superslabSize)));
    }
    // Header and link bytes of every carved block, wherever it is.
    let h = 0x811c9dc5;
    for (const ss of view.superslabs()) {
      for (const slab of ss.slabs) {
        if (slab.state !== 'ACTIVE') continue;
        const stride = config.strides[slab.cls] as number;
        const start = slabStartOf(config, ss.base, slab.slabIndex);
        for (let i = 0; i < slab.carved && i < slab.capacity; i++) h = fnv(view, start + i * stride, start + i * stride + 5, h);
      }
    }
    bytes.set('block headers and links', h);
    let ph = 0x811c9dc5;
    for (const b of walkPool(view).chunks) {
      if (view.isMapped(b.chunk)) ph = fnv(view, b.chunk, Math.min(b.userPtr, b.chunk + b.chunkBytes), ph);
    }
    bytes.set('pool chunk headers', ph);
  }
  return { metadata: metadataSnapshot(view), bytes };
}

/** First difference between two digests, described, or null if identical. */
export function digestDifference(before: StateDigest, after: StateDigest): string | null {
  if (!sameJson(before.metadata, after.metadata)) {
    const a = JSON.stringify(before.metadata);
    const b = JSON.stringify(after.metadata);
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    const from = Math.max(0, i - 60);
    return `metadata changed near …${a.slice(from, i + 40)}… → …${b.slice(from, i + 40)}…`;
  }
  for (const [name, hash] of before.bytes) {
    if (after.bytes.get(name) !== hash) return `bytes of ${name} changed`;
  }
  for (const name of after.bytes.keys()) if (!before.bytes.has(name)) return `bytes of ${name} appeared`;
  return null;
}

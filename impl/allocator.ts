// The allocator: size -> class -> route -> front (SPEC §5-6). alloc() and free() are a few lines
// with one branch each to a named slow path; everything else lives in its own module.

import type { Allocator, FreeResult, TestHooks } from './api.ts';
import { FREE_OK, type FreeCode } from './codes.ts';
import type { AllocatorConfig, RouteProfile } from './config.ts';
import { ROUTE_PROFILES, makeConfig } from './config.ts';
import { freeTiny, isPoolPointer, locateTiny, located, ownerFreeFast } from './free.ts';
import {
  Heap,
  ROUTE_POOL_ONLY,
  ROUTE_TINY_FIRST,
  ROUTE_TINY_ONLY,
} from './heap.ts';
import { restoreInto } from './clone.ts';
import { makeTestHooks } from './hooks.ts';
import { FallbackPool } from './pool.ts';
import { heapAlloc, pageAlloc } from './tinyHeap.ts';
import { popTls, tlsAllocSlow } from './tls.ts';
import { drainThreadClass, exitThread, flushThread } from './threads.ts';
import { trimReserve } from './segment.ts';
import type { AllocatorStats, AllocatorView, FreeErrorKind } from './view.ts';
import { makeView, statsOf } from './viewImpl.ts';

const FREED: FreeResult = Object.freeze({ ok: true as const });

const FREE_RESULTS: readonly FreeResult[] = Object.freeze([
  FREED,
  ...(['invalid-pointer', 'interior-pointer', 'header-mismatch', 'double-free'] as const).map((error: FreeErrorKind) =>
    Object.freeze({ ok: false as const, error }),
  ),
]);

/** Route table of a profile (seed 000), generalised to any class count: "hot" sends the lower half TINY_ONLY and the last class to the pool. */
export function routeTable(profile: RouteProfile, classCount: number): Uint8Array {
  const routes = new Uint8Array(classCount);
  for (let c = 0; c < classCount; c++) {
    routes[c] =
      profile === 'conservative'
        ? ROUTE_TINY_FIRST
        : profile === 'off'
          ? ROUTE_POOL_ONLY
          : profile === 'full'
            ? ROUTE_TINY_ONLY
            : c === classCount - 1
              ? ROUTE_POOL_ONLY
              : c < classCount / 2
                ? ROUTE_TINY_ONLY
                : ROUTE_TINY_FIRST;
  }
  return routes;
}

export class TinyAllocator implements Allocator {
  readonly config: AllocatorConfig;
  readonly heap: Heap;
  readonly pool: FallbackPool;
  readonly view: AllocatorView;
  private routeProfileName: RouteProfile;

  constructor(config: AllocatorConfig) {
    this.config = config;
    this.heap = new Heap(config);
    this.pool = new FallbackPool(this.heap.os, config);
    this.routeProfileName = config.routeProfile;
    this.heap.routes.set(routeTable(config.routeProfile, this.heap.classCount));
    this.view = makeView(this);
  }

  get routeProfile(): RouteProfile {
    return this.routeProfileName;
  }

  /** Fast path: a TLS-cache hit, or a block of the current TinyHeap page. Everything else goes to allocSlow. */
  alloc(thread: number, sizeBytes: number): number {
    const h = this.heap;
    if (sizeBytes >>> 0 === sizeBytes && sizeBytes <= h.maxTinySize && thread >>> 0 === thread && thread < h.threads) {
      const c = h.sizeClass[sizeBytes] as number;
      if (h.routes[c] !== ROUTE_POOL_ONLY) {
        const i = thread * h.classCount + c;
        const b = h.tlsHead[i] as number;
        if (b !== 0) return popTls(h, i, c, b) + 1;
        const g = h.pageCur[i] as number; // only TinyHeap classes have a current page
        if (g >= 0) {
          const p = pageAlloc(h, g, c);
          if (p !== 0) return p + 1;
        }
      }
    }
    return this.allocSlow(thread, sizeBytes);
  }

  private allocSlow(thread: number, sizeBytes: number): number {
    const h = this.heap;
    h.checkThread(thread);
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0) throw new RangeError(`alloc size must be a non-negative integer, got ${sizeBytes}`);
    if (sizeBytes > h.maxTinySize) return this.poolAlloc(sizeBytes);
    const c = h.sizeClass[sizeBytes] as number;
    const route = h.routes[c] as number;
    if (route === ROUTE_POOL_ONLY) return this.poolAlloc(sizeBytes);
    const base = h.isTinyHeapClass(c) ? heapAlloc(h, thread, c) : tlsAllocSlow(h, thread, c);
    if (base !== 0) return base + 1;
    h.tinyFailures++;
    if (route === ROUTE_TINY_ONLY) return 0;
    h.poolFallbacks++;
    return this.poolAlloc(sizeBytes);
  }

  private poolAlloc(sizeBytes: number): number {
    const refusalsBefore = this.pool.mapRefusals;
    let ptr = this.pool.alloc(sizeBytes);
    // Out of memory while empty SuperSlabs sit in the reserve: give them back to the OS, ask again.
    if (ptr === 0 && this.pool.mapRefusals > refusalsBefore && this.heap.reserve.length > 0) {
      trimReserve(this.heap);
      ptr = this.pool.alloc(sizeBytes);
    }
    if (ptr === 0) this.heap.poolFailures++;
    else this.heap.poolAllocs++;
    return ptr;
  }

  /** Fast path: a live block freed by its owner thread. Everything else goes to freeSlow. */
  free(thread: number, ptr: number): FreeResult {
    const h = this.heap;
    if (ptr >>> 0 === ptr && thread >>> 0 === thread && thread < h.threads && ownerFreeFast(h, thread, ptr)) return FREED;
    return this.freeSlow(thread, ptr);
  }

  private freeSlow(thread: number, ptr: number): FreeResult {
    this.heap.checkThread(thread);
    if (ptr === 0) return FREED;
    return this.result(this.freeCode(thread, ptr));
  }

  private freeCode(thread: number, ptr: number): FreeCode {
    if (ptr >>> 0 !== ptr) return 1;
    return isPoolPointer(this.heap, ptr) ? this.pool.free(ptr) : freeTiny(this.heap, thread, ptr);
  }

  private result(code: FreeCode): FreeResult {
    if (code !== FREE_OK) this.heap.badFrees++;
    return FREE_RESULTS[code] as FreeResult;
  }

  usableSize(ptr: number): number {
    if (!Number.isInteger(ptr) || ptr < 1 || ptr >= 2 ** 32) return 0;
    if (isPoolPointer(this.heap, ptr)) return this.pool.usableSize(ptr);
    if (locateTiny(this.heap, ptr, true) !== FREE_OK) return 0;
    return (this.heap.slabStride[located.slab] as number) - 1;
  }

  private checkRange(ptr: number, length: number): void {
    const usable = this.usableSize(ptr);
    if (usable === 0) throw new RangeError(`0x${ptr.toString(16)} is not a live block`);
    if (!Number.isInteger(length) || length < 0 || length > usable) {
      throw new RangeError(`${length} bytes do not fit in the ${usable} usable bytes of 0x${ptr.toString(16)}`);
    }
  }

  writeBytes(ptr: number, bytes: Uint8Array): void {
    this.checkRange(ptr, bytes.length);
    const h = this.heap;
    for (let j = 0; j < bytes.length; j++) h.writeU8(ptr + j, bytes[j] as number);
  }

  readBytes(ptr: number, length: number): Uint8Array {
    this.checkRange(ptr, length);
    const out = new Uint8Array(length);
    for (let j = 0; j < length; j++) out[j] = this.heap.readU8(ptr + j);
    return out;
  }

  drain(thread: number, cls: number): void {
    this.heap.checkThread(thread);
    this.heap.checkClass(cls);
    drainThreadClass(this.heap, thread, cls);
  }

  flush(thread: number): void {
    this.heap.checkThread(thread);
    flushThread(this.heap, thread);
  }

  threadExit(thread: number): void {
    this.heap.checkThread(thread);
    exitThread(this.heap, thread);
  }

  setSoftCap(cls: number, cap: number): void {
    this.heap.checkClass(cls);
    if (!Number.isInteger(cap) || cap < 0) throw new RangeError(`soft cap must be a non-negative integer, got ${cap}`);
    this.heap.softCapNow[cls] = cap;
  }

  setRouteProfile(profile: RouteProfile): void {
    if (!(ROUTE_PROFILES as readonly string[]).includes(profile)) throw new RangeError(`unknown route profile "${String(profile)}"`);
    this.routeProfileName = profile;
    this.heap.routes.set(routeTable(profile, this.heap.classCount));
  }

  trim(): void {
    trimReserve(this.heap);
    this.pool.trim();
  }

  setOsMapLimit(limit: number | null): void {
    if (limit !== null && (!Number.isInteger(limit) || limit < 0)) throw new RangeError(`OS map limit must be a non-negative integer or null, got ${limit}`);
    this.heap.os.setMapLimit(limit ?? -1);
  }

  refuseMaps(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`refused map count must be a non-negative integer, got ${count}`);
    this.heap.os.refuseNext(count);
  }

  stats(): AllocatorStats {
    return statsOf(this);
  }

  /**
   * A deep copy of the whole state (memory included); the copy and the original are independent.
   * Made by the constructors, then restored in place: a copy whose objects were built key by key
   * (deepCopy) has its 80-field Heap in V8's dictionary mode, and every metadata read on it was a
   * hash lookup.
   */
  clone(): TinyAllocator {
    const copy = new TinyAllocator(this.config);
    copy.restoreFrom(this);
    return copy;
  }

  /**
   * Makes this allocator an independent copy of `source` in place, overwriting its own buffers
   * where their shapes match (an allocator of the same config: all of them) instead of allocating
   * new ones; its view stays valid.
   */
  restoreFrom(source: TinyAllocator): void {
    const copies = new Map<object, unknown>();
    const heap = restoreInto(this.heap, source.heap, copies);
    const pool = restoreInto(this.pool, source.pool, copies); // pool.os is heap.os in both
    const heapReplaced = heap !== this.heap;
    Object.assign(this, { config: source.config, heap, pool, routeProfileName: source.routeProfileName });
    if (heapReplaced) Object.assign(this, { view: makeView(this) }); // the view holds the heap
  }
}

/** Creates an allocator from a validated config (or from overrides, validated here). */
export function createAllocator(config: AllocatorConfig | Partial<AllocatorConfig> = {}): Allocator {
  return new TinyAllocator(makeConfig(config));
}

/** A deep, independent copy of an allocator made by createAllocator (for the model checker). */
export function cloneAllocator(allocator: Allocator): Allocator {
  if (!(allocator instanceof TinyAllocator)) throw new TypeError('cloneAllocator: not an allocator made by createAllocator');
  return allocator.clone();
}

/**
 * Makes `target` an independent copy of `source` in place (both made by createAllocator or
 * cloneAllocator with one config): the explorer's cheap copy, reusing the target's buffers.
 */
export function restoreAllocator(target: Allocator, source: Allocator): void {
  if (!(target instanceof TinyAllocator) || !(source instanceof TinyAllocator)) throw new TypeError('restoreAllocator: not allocators made by createAllocator');
  target.restoreFrom(source);
}

/** Test-only corruption hooks for an allocator made by createAllocator. */
export function testHooks(allocator: Allocator): TestHooks {
  if (!(allocator instanceof TinyAllocator)) throw new TypeError('testHooks: not an allocator made by createAllocator');
  return makeTestHooks(allocator);
}

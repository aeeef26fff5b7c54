// The allocator's public surface (re-exported by impl/index.ts).

import type { AllocatorConfig, RouteProfile } from './config.ts';
import type { AllocatorStats, AllocatorView, FreeErrorKind, SlabId, SlabStateName, TierName } from './view.ts';

/** Outcome of free(): preallocated singletons, so the fast path allocates nothing. */
export type FreeResult = { readonly ok: true } | { readonly ok: false; readonly error: FreeErrorKind };

export interface Allocator {
  readonly config: AllocatorConfig;
  /** User pointer of a block of at least `sizeBytes` usable bytes, or 0 when the routed front(s) fail. */
  alloc(thread: number, sizeBytes: number): number;
  /** null (0) is a no-op returning ok; a bad pointer returns its error kind and changes nothing. */
  free(thread: number, ptr: number): FreeResult;
  /** Usable bytes of a live block (tiny: stride - 1; pool: the chunk's payload), 0 if `ptr` is not live. */
  usableSize(ptr: number): number;
  /** Writes user bytes; throws RangeError outside the usable bytes of a live block. */
  writeBytes(ptr: number, bytes: Uint8Array): void;
  /** Reads user bytes; throws RangeError outside the usable bytes of a live block. */
  readBytes(ptr: number, length: number): Uint8Array;
  /** Drains the remote queues of `thread`'s slabs of class `cls` (and settles what emptied). */
  drain(thread: number, cls: number): void;
  /** Returns every cached block, drains remote queues, flushes deltas, lets go of held slabs. */
  flush(thread: number): void;
  /** flush, then publish the remaining owned slabs as orphans; the thread id may start again. */
  threadExit(thread: number): void;
  setSoftCap(cls: number, cap: number): void;
  setRouteProfile(profile: RouteProfile): void;
  /** Unmaps parked reserve SuperSlabs and empty pool regions. */
  trim(): void;
  /** The simulated OS maps at most `limit` regions at once (SuperSlabs and pool regions); null lifts the limit. */
  setOsMapLimit(limit: number | null): void;
  /** The simulated OS refuses the next `count` maps (0 cancels refusals still pending). */
  refuseMaps(count: number): void;
  stats(): AllocatorStats;
  /** The read-only view for the checks. */
  readonly view: AllocatorView;
}

export type SlabField = 'used' | 'carved' | 'capacity' | 'freelistHead' | 'owner' | 'remoteHead' | 'remoteCount' | 'usedDelta' | 'activeDelta' | 'cls';

/**
 * Test-only hooks that break a state on purpose, outside the normal API, so that each invariant
 * can be shown to fail. Never used by the allocator itself or by the property runs.
 */
export interface TestHooks {
  pokeU8(addr: number, value: number): void;
  pokeU32(addr: number, value: number): void;
  setSlabField(id: SlabId, field: SlabField, value: number): void;
  setSlabState(id: SlabId, state: SlabStateName): void;
  setTotalActive(ssBase: number, value: number): void;
  setActiveSlots(cls: number, value: number): void;
  setTier(ssBase: number, tier: TierName): void;
  setTlsHead(thread: number, cls: number, head: number, count: number): void;
  /** Pushes a slab id onto a warm pool without any check. */
  pushWarm(thread: number, cls: number, id: SlabId): void;
  /** Removes a slab from its EMPTY list without changing its state. */
  unlinkEmpty(id: SlabId): void;
  setClassHint(cls: number, ssBase: number): void;
  /** Removes a SuperSlab from the registry table while leaving it mapped. */
  unregister(ssBase: number): void;
  /** Marks a pool chunk allocated/free without touching its bytes. */
  setPoolChunkAllocated(chunk: number, allocated: boolean): void;
}

// The read-only state view: what the checks may see of the allocator. Every method returns a
// fresh plain snapshot (never a live internal structure), so a check can neither mutate the
// allocator nor lean on its bookkeeping: lists are given by their head address only and the
// checks walk them through raw memory themselves.

import type { AllocatorConfig, RouteProfile } from './config.ts';

export type SlabStateName = 'UNUSED' | 'ACTIVE' | 'EMPTY';
export type TierName = 'HOT' | 'DRAINING' | 'FREE';
export type RouteKind = 'TINY_ONLY' | 'TINY_FIRST' | 'POOL_ONLY';
export type FreeErrorKind = 'invalid-pointer' | 'interior-pointer' | 'header-mismatch' | 'double-free';
export type AcquireStage = 'stage0' | 'stage0_5' | 'stage1' | 'stage2' | 'stage3';
export const ACQUIRE_STAGES: readonly AcquireStage[] = ['stage0', 'stage0_5', 'stage1', 'stage2', 'stage3'];

/**
 * Slab identity: slabId = regionIndex * slabsPerSuperslab + slabIndex, where
 * regionIndex = ssBase / superslabSize. Stable for as long as the SuperSlab is mapped.
 */
export type SlabId = number;

export interface SlabView {
  readonly slabId: SlabId;
  readonly ssBase: number;
  readonly slabIndex: number;
  /** Address of block 0 (slab start plus, for slab 0, the SuperSlab header). */
  readonly start: number;
  readonly usableBytes: number;
  /** Bound class, or -1. */
  readonly cls: number;
  readonly state: SlabStateName;
  readonly capacity: number;
  readonly carved: number;
  /** Stored value; with metaLight the true figure is used + usedDelta. */
  readonly used: number;
  /** Base address of the first free block (link at base+1), 0 if none. */
  readonly freelistHead: number;
  /** Owning thread, or -1 (orphan / not owned). */
  readonly owner: number;
  /** Base of the first block on the remote queue (link at base, over the header), 0 if none. */
  readonly remoteHead: number;
  readonly remoteCount: number;
  readonly usedDelta: number;
  readonly activeDelta: number;
  /** Lookup: the stride the free path divides by (0 while unbound). */
  readonly stride: number;
  /** Lookup: log2(stride) when a power of two (the free path's shift), else -1. */
  readonly strideShift: number;
  /** Lookup: how the owner holds the slab, as the slab records it (the release path consults it). */
  readonly held: HeldName;
  /** Lookup: metaLight flush threshold fixed at binding (0 while unbound). */
  readonly deltaThreshold: number;
}

export type HeldName = 'none' | 'current' | 'warm' | 'page';

export interface SuperSlabView {
  readonly base: number;
  readonly regionIndex: number;
  readonly tier: TierName;
  /** Stored value; with metaLight the true figure is totalActive + the sum of its pages' activeDelta. */
  readonly totalActive: number;
  /** Bit s set when slab s is EMPTY (as the SuperSlab records it). */
  readonly emptyMask: number;
  /** True while parked in the empty reserve (mapped, registered, no slot bound). */
  readonly inReserve: boolean;
  /** Lookup: the per-SuperSlab registered flag the free path consults (beside the registry list). */
  readonly registered: boolean;
  /** Lookup: bytes (strides) of blocks live in the application, the tier's utilization numerator. */
  readonly liveBytes: number;
  /** Lookup: per class, slabs bound to it (ACTIVE or EMPTY): membership in that class's registry list. */
  readonly classSlabs: readonly number[];
  /**
   * Map generation of the region: bumped each time it starts a new life as a HOT SuperSlab (mapped,
   * or taken back from the reserve). History, not state: two steps' views of the same base with the
   * same generation see the same mapping (a region can be unmapped and mapped again in one step).
   */
  readonly mapGeneration: number;
  readonly slabs: readonly SlabView[];
}

export interface PageContextView {
  readonly current: SlabId | -1;
  readonly partial: readonly SlabId[];
  readonly full: readonly SlabId[];
}

export interface ThreadClassView {
  /** Base of the first cached block (link at base+1), 0 if none. */
  readonly tlsHead: number;
  readonly tlsCount: number;
  readonly current: SlabId | -1;
  /** Warm pool entries, bottom to top. */
  readonly warm: readonly SlabId[];
  /** TinyHeap page context (empty for classes not served by TinyHeap). */
  readonly pages: PageContextView;
}

export interface ThreadView {
  readonly thread: number;
  readonly classes: readonly ThreadClassView[];
}

export interface PoolBlockView {
  /** Address of the block's header (start of the chunk). */
  readonly chunk: number;
  readonly userPtr: number;
  readonly chunkBytes: number;
  readonly requestedBytes: number;
  readonly allocated: boolean;
}

export interface PoolRegionView {
  readonly base: number;
  readonly regionIndex: number;
  readonly bytes: number;
}

export interface PoolView {
  readonly regions: readonly PoolRegionView[];
  /** Every chunk of every region, in address order (the pool's own chunk walk). */
  readonly blocks: readonly PoolBlockView[];
  readonly mappedBytes: number;
  readonly budgetBytes: number;
  /** Byte value at userPtr-1 of every pool block; never of the form headerMagic|class. */
  readonly headerTag: number;
  /** Bytes between chunk start and userPtr. */
  readonly headerBytes: number;
}

/** The simulated OS's refusal state (SPEC §2): what the next map will meet. */
export interface OsView {
  /** Most regions (SuperSlabs and pool regions together) mapped at once; null: no limit. */
  readonly mapLimit: number | null;
  /** Maps still to be refused by the "refuse the next k maps" switch. */
  readonly refusalsPending: number;
}

/** Refused maps by calling context (statistics). */
export interface MapRefusalCounters {
  /** Stage 3 asked by an allocation's thread-cache refill. */
  readonly stage3Alloc: number;
  /** Stage 3 asked by a warm-pool prefill. */
  readonly prefill: number;
  /** Stage 3 asked by a TinyHeap page refill. */
  readonly pageRefill: number;
  /** The fallback pool's region growth. */
  readonly poolGrowth: number;
  /** Of all the above: refusals of a region index that had been mapped and freed before (a re-map). */
  readonly remap: number;
}

export interface StageCounters {
  readonly stage0: number;
  readonly stage0_5: number;
  readonly stage1: number;
  readonly stage2: number;
  readonly stage3: number;
}

export interface AllocatorStats {
  readonly stages: StageCounters;
  readonly stagesByClass: readonly StageCounters[];
  readonly maps: number;
  readonly unmaps: number;
  readonly mappedBytes: number;
  /** Tiny-front failures (a TINY_FIRST request that then went to the pool counts here too). */
  readonly tinyFailures: number;
  readonly poolAllocs: number;
  readonly poolFailures: number;
  readonly poolFallbacks: number;
  readonly badFrees: number;
  readonly releases: number;
  readonly rebinds: number;
  readonly tlsOverflowDrains: number;
  readonly remoteDrainReleases: number;
  readonly deltaThresholdFlushes: number;
  readonly orphansPublished: number;
  readonly registryFullEvents: number;
  /** Maps the OS refused (never counted as registry-full events). */
  readonly osRefusals: number;
  readonly osRefusalsBySite: MapRefusalCounters;
  readonly drainingTransitions: number;
  readonly warmHits: readonly number[];
  readonly warmMisses: readonly number[];
  readonly warmPrefills: readonly number[];
}

export interface AllocatorView {
  readonly config: AllocatorConfig;
  readonly slabsPerSuperslab: number;
  readonly classCount: number;
  /** Mapped SuperSlabs (registered or not), ascending base. Includes parked reserve SuperSlabs. */
  superslabs(): readonly SuperSlabView[];
  superslab(base: number): SuperSlabView | undefined;
  slab(id: SlabId): SlabView | undefined;
  /** Registry entries (SuperSlab bases), ascending. */
  registry(): readonly number[];
  /** The by-class registry list of class c, in its scan order. */
  registryByClass(c: number): readonly number[];
  /** Every mapped region: base and kind. */
  mappedRegions(): readonly { readonly base: number; readonly kind: 'superslab' | 'pool' }[];
  /** The EMPTY slot list of class c, head first (as the allocator links it; the check walks it). */
  emptyList(c: number): readonly SlabId[];
  /** Orphan partial slabs of class c. */
  orphanList(c: number): readonly SlabId[];
  activeSlots(c: number): number;
  /** Current soft cap (setSoftCap changes it). */
  softCap(c: number): number;
  /** Stage 2 hint of class c: a SuperSlab base, or 0. */
  classHint(c: number): number;
  reserve(): readonly number[];
  thread(t: number): ThreadView;
  routeProfile(): RouteProfile;
  routes(): readonly RouteKind[];
  pool(): PoolView;
  /** The OS's map limit and pending refusals. */
  os(): OsView;
  stats(): AllocatorStats;
  /**
   * Lookup: the live bitmap of a bound slab (the free path's double-free test), one bit per block,
   * as 32-bit words covering its capacity; empty for an unbound slab or an unknown id.
   */
  liveBitmap(id: SlabId): readonly number[];
  /** Raw memory; throws RangeError for an address in no mapped region. */
  readU8(addr: number): number;
  /** Little-endian u32 at any byte address. */
  readU32(addr: number): number;
  /** A copy of `length` bytes from `addr`; throws RangeError unless they all lie in one mapped region. */
  readRange(addr: number, length: number): Uint8Array;
  isMapped(addr: number): boolean;
  /** Bytes of any address whose region has backing memory, mapped or not (for stale-pointer checks). */
  peekU8(addr: number): number | undefined;
}

// The allocator's whole state, as flat typed arrays preallocated at creation, so that the fast
// paths allocate no JavaScript objects. Slab metadata is indexed by a global slab id
// g = regionIndex * slabsPerSS + slabIndex; thread structures by i = thread * classCount + cls.
// Every other module is a set of functions over a Heap (one module per concern).

import type { AllocatorConfig, FaultName } from './config.ts';
import { OsLayer } from './os.ts';

export const SLAB_UNUSED = 0;
export const SLAB_ACTIVE = 1;
export const SLAB_EMPTY = 2;

export const TIER_HOT = 0;
export const TIER_DRAINING = 1;
export const TIER_FREE = 2;

/** How the owner holds a slab (SPEC §5 "held": current slab, warm pool, TinyHeap page). */
export const HELD_NONE = 0;
export const HELD_CURRENT = 1;
export const HELD_WARM = 2;
export const HELD_PAGE = 3;

export const ROUTE_TINY_ONLY = 0;
export const ROUTE_TINY_FIRST = 1;
export const ROUTE_POOL_ONLY = 2;

export const STAGE_0 = 0;
export const STAGE_0_5 = 1;
export const STAGE_1 = 2;
export const STAGE_2 = 3;
export const STAGE_3 = 4;
export const STAGE_COUNT = 5;

/** Who asked Stage 3 for a map (statistics of refused maps only): an alloc's refill, warm-pool prefill, a TinyHeap page refill. */
export const MAP_SITE_ALLOC = 0;
export const MAP_SITE_PREFILL = 1;
export const MAP_SITE_PAGE = 2;
export const MAP_SITE_COUNT = 3;
export type MapSite = typeof MAP_SITE_ALLOC | typeof MAP_SITE_PREFILL | typeof MAP_SITE_PAGE;

/** Internal corruption found on a path that must never return a bad block (SPEC §5.1). */
export class HeapCorruptionError extends Error {
  constructor(
    message: string,
    readonly addr: number,
  ) {
    super(message);
    this.name = 'HeapCorruptionError';
  }
}

/** Fault switches, resolved once from config.faults (SPEC §9). Only impl/ code paths read them. */
export interface FaultFlags {
  readonly remoteDrainSkipsEmpty: boolean;
  readonly tlsDrainSkipsEmpty: boolean;
  readonly softCapIgnored: boolean;
  readonly emptyScanTailMissed: boolean;
  readonly metaLightNeverFlushes: boolean;
  readonly attachKeepsStaleDelta: boolean;
  readonly classStrideOffset: boolean;
  readonly remoteDrainNoHeaderRestore: boolean;
  readonly rebindKeepsStaleCache: boolean;
  readonly warmPoolNoPrefill: boolean;
  readonly warmPoolNoPushback: boolean;
  readonly drainingNeverFreed: boolean;
  readonly releaseLeavesWarmEntry: boolean;
  readonly doubleFreeUnchecked: boolean;
  readonly staleClassHint: boolean;
  readonly remoteFreeKeepsActive: boolean;
  readonly refusedPrefillKeepsEntry: boolean;
}

function faultFlags(faults: readonly FaultName[]): FaultFlags {
  const on = (f: FaultName): boolean => faults.includes(f);
  return {
    remoteDrainSkipsEmpty: on('remote-drain-skips-empty'),
    tlsDrainSkipsEmpty: on('tls-drain-skips-empty'),
    softCapIgnored: on('soft-cap-ignored'),
    emptyScanTailMissed: on('empty-scan-tail-missed'),
    metaLightNeverFlushes: on('meta-light-never-flushes'),
    attachKeepsStaleDelta: on('attach-keeps-stale-delta'),
    classStrideOffset: on('class-stride-offset'),
    remoteDrainNoHeaderRestore: on('remote-drain-no-header-restore'),
    rebindKeepsStaleCache: on('rebind-keeps-stale-cache'),
    warmPoolNoPrefill: on('warm-pool-no-prefill'),
    warmPoolNoPushback: on('warm-pool-no-pushback'),
    drainingNeverFreed: on('draining-never-freed'),
    releaseLeavesWarmEntry: on('release-leaves-warm-entry'),
    doubleFreeUnchecked: on('double-free-unchecked'),
    staleClassHint: on('stale-class-hint'),
    remoteFreeKeepsActive: on('remote-free-keeps-active'),
    refusedPrefillKeepsEntry: on('refused-prefill-keeps-entry'),
  };
}

export class Heap {
  readonly cfg: AllocatorConfig;
  readonly faults: FaultFlags;
  readonly classCount: number;
  readonly threads: number;
  readonly strides: Int32Array;
  readonly magic: number;
  /** size -> class for sizes 0..maxTinySize. */
  readonly sizeClass: Int8Array;
  readonly maxTinySize: number;
  readonly tinyHeapMask: number;
  readonly metaLight: boolean;
  /** The OS layer's region kinds (aliased here for the free path). */
  readonly regionKind: Uint8Array;

  // geometry
  readonly os: OsLayer;
  readonly mem: (Uint8Array | undefined)[];
  readonly ssShift: number;
  readonly ssMask: number;
  readonly slabShift: number;
  readonly slabsPerSS: number;
  readonly regionLimit: number;
  /** 32-bit words of live bitmap per slab. */
  readonly bitmapWords: number;

  // per slab (index g)
  readonly slabCls: Int8Array;
  readonly slabState: Uint8Array;
  readonly slabStart: Float64Array;
  readonly slabStride: Int32Array;
  /** log2(stride) when the stride is a power of two (every default class), else -1: block index by shift, not division. */
  readonly slabStrideShift: Int8Array;
  readonly slabCapacity: Int32Array;
  readonly slabCarved: Int32Array;
  readonly slabUsed: Int32Array;
  readonly slabFree: Float64Array;
  readonly slabOwner: Int8Array;
  readonly slabHeld: Uint8Array;
  readonly slabRemoteHead: Float64Array;
  readonly slabRemoteCount: Int32Array;
  readonly slabUsedDelta: Int32Array;
  readonly slabActiveDelta: Int32Array;
  readonly slabDeltaThreshold: Int32Array;
  /** TinyHeap: the held page has no free block and sits on the full list. */
  readonly slabPageFull: Uint8Array;

  // per SuperSlab (region index k)
  readonly ssTier: Uint8Array;
  readonly ssTotalActive: Int32Array;
  /** Bytes of blocks live in the application (stride each): the tier's utilization numerator. */
  readonly ssLiveBytes: Float64Array;
  readonly ssEmptyMask: Uint32Array;
  readonly ssRegistered: Uint8Array;
  readonly ssInReserve: Uint8Array;
  /** Map generation per region: bumped at every new life as a HOT SuperSlab (a map, or a take-back from the reserve). */
  readonly ssGeneration: Uint32Array;
  /** [k * classCount + c]: slabs of k bound to c (ACTIVE or EMPTY): membership in byClass[c]. */
  readonly ssClassSlabs: Int32Array;
  readonly liveBits: (Uint32Array | undefined)[];

  // registry and shared pool
  /** Registered SuperSlab region indexes, ascending (includes parked reserve ones). */
  readonly registered: number[] = [];
  readonly byClass: number[][];
  readonly emptyLists: number[][];
  readonly orphanLists: number[][];
  readonly reserve: number[] = [];
  readonly activeSlots: Int32Array;
  readonly softCapNow: Int32Array;
  readonly classHint: Int32Array;
  readonly routes: Uint8Array;

  // per thread and class (index i)
  readonly tlsHead: Float64Array;
  readonly tlsCount: Int32Array;
  readonly tlsCap: Int32Array;
  readonly curSlab: Int32Array;
  readonly warm: Int32Array;
  readonly warmCount: Int32Array;
  readonly warmCap: number;
  readonly pageCur: Int32Array;
  readonly pages: Int32Array;
  readonly pageCount: Int32Array;
  readonly maxPages: number;

  // statistics (plain counters)
  readonly stageHits: Int32Array;
  readonly warmHits: Int32Array;
  readonly warmMisses: Int32Array;
  readonly warmPrefills: Int32Array;
  /** Stage 3 maps the OS refused, per MapSite. */
  readonly mapRefusals: Int32Array;
  tinyFailures = 0;
  poolAllocs = 0;
  poolFailures = 0;
  poolFallbacks = 0;
  badFrees = 0;
  releases = 0;
  rebinds = 0;
  tlsOverflowDrains = 0;
  remoteDrainReleases = 0;
  deltaThresholdFlushes = 0;
  orphansPublished = 0;
  registryFullEvents = 0;
  drainingTransitions = 0;

  constructor(cfg: AllocatorConfig) {
    this.cfg = cfg;
    this.faults = faultFlags(cfg.faults);
    const C = cfg.strides.length;
    this.classCount = C;
    this.threads = cfg.threads;
    this.strides = Int32Array.from(cfg.strides);
    this.magic = cfg.headerMagic;
    this.maxTinySize = (cfg.strides[C - 1] as number) - 1;
    this.sizeClass = new Int8Array(this.maxTinySize + 1);
    for (let size = 0, c = 0; size <= this.maxTinySize; size++) {
      while ((cfg.strides[c] as number) - 1 < size) c++;
      this.sizeClass[size] = c;
    }
    this.tinyHeapMask = cfg.tinyHeapClasses;
    this.metaLight = cfg.metaLight;

    const poolRegions = cfg.poolBytes / cfg.superslabSize;
    this.os = new OsLayer(cfg.superslabSize, cfg.registryCapacity + poolRegions, cfg.osMapLimit ?? -1);
    this.mem = this.os.mem;
    this.regionKind = this.os.kind;
    this.ssShift = this.os.regionShift;
    this.ssMask = this.os.regionMask;
    this.slabShift = Math.log2(cfg.slabSize);
    this.slabsPerSS = cfg.superslabSize / cfg.slabSize;
    this.regionLimit = this.os.indexLimit;
    this.bitmapWords = Math.ceil(Math.floor(cfg.slabSize / (cfg.strides[0] as number)) / 32);

    const nSlabs = this.regionLimit * this.slabsPerSS;
    this.slabCls = new Int8Array(nSlabs).fill(-1);
    this.slabState = new Uint8Array(nSlabs);
    this.slabStart = new Float64Array(nSlabs);
    this.slabStride = new Int32Array(nSlabs);
    this.slabStrideShift = new Int8Array(nSlabs).fill(-1);
    this.slabCapacity = new Int32Array(nSlabs);
    this.slabCarved = new Int32Array(nSlabs);
    this.slabUsed = new Int32Array(nSlabs);
    this.slabFree = new Float64Array(nSlabs);
    this.slabOwner = new Int8Array(nSlabs).fill(-1);
    this.slabHeld = new Uint8Array(nSlabs);
    this.slabRemoteHead = new Float64Array(nSlabs);
    this.slabRemoteCount = new Int32Array(nSlabs);
    this.slabUsedDelta = new Int32Array(nSlabs);
    this.slabActiveDelta = new Int32Array(nSlabs);
    this.slabDeltaThreshold = new Int32Array(nSlabs);
    this.slabPageFull = new Uint8Array(nSlabs);

    const R = this.regionLimit;
    this.ssTier = new Uint8Array(R);
    this.ssTotalActive = new Int32Array(R);
    this.ssLiveBytes = new Float64Array(R);
    this.ssEmptyMask = new Uint32Array(R);
    this.ssRegistered = new Uint8Array(R);
    this.ssInReserve = new Uint8Array(R);
    this.ssGeneration = new Uint32Array(R);
    this.ssClassSlabs = new Int32Array(R * C);
    this.liveBits = new Array<Uint32Array | undefined>(R).fill(undefined);

    this.byClass = Array.from({ length: C }, () => []);
    this.emptyLists = Array.from({ length: C }, () => []);
    this.orphanLists = Array.from({ length: C }, () => []);
    this.activeSlots = new Int32Array(C);
    this.softCapNow = Int32Array.from(cfg.softCap);
    this.classHint = new Int32Array(C);
    this.routes = new Uint8Array(C);

    const TC = this.threads * C;
    this.tlsHead = new Float64Array(TC);
    this.tlsCount = new Int32Array(TC);
    this.tlsCap = new Int32Array(TC);
    for (let t = 0; t < this.threads; t++) for (let c = 0; c < C; c++) this.tlsCap[t * C + c] = cfg.tlsCap[c] as number;
    this.curSlab = new Int32Array(TC).fill(-1);
    this.warmCap = cfg.warmPoolCap;
    this.warm = new Int32Array(Math.max(1, TC * this.warmCap)).fill(-1);
    this.warmCount = new Int32Array(TC);
    this.maxPages = cfg.tinyHeapMaxPages;
    this.pageCur = new Int32Array(TC).fill(-1);
    this.pages = new Int32Array(TC * this.maxPages).fill(-1);
    this.pageCount = new Int32Array(TC);

    this.stageHits = new Int32Array(C * STAGE_COUNT);
    this.warmHits = new Int32Array(C);
    this.warmMisses = new Int32Array(C);
    this.warmPrefills = new Int32Array(C);
    this.mapRefusals = new Int32Array(MAP_SITE_COUNT);
  }

  // --- raw memory ------------------------------------------------------------------------------

  memOf(addr: number): Uint8Array {
    const m = this.mem[addr >>> this.ssShift];
    if (m === undefined) return this.noMemory(addr);
    return m;
  }

  private noMemory(addr: number): never {
    throw new HeapCorruptionError(`access to an address with no backing memory: 0x${addr.toString(16)}`, addr);
  }

  readU8(addr: number): number {
    return this.memOf(addr)[addr & this.ssMask] as number;
  }

  writeU8(addr: number, value: number): void {
    this.memOf(addr)[addr & this.ssMask] = value;
  }

  /** Little-endian u32 at any byte offset (links are unaligned: base+1). */
  readU32(addr: number): number {
    const m = this.memOf(addr);
    const o = addr & this.ssMask;
    return ((m[o] as number) | ((m[o + 1] as number) << 8) | ((m[o + 2] as number) << 16) | ((m[o + 3] as number) << 24)) >>> 0;
  }

  writeU32(addr: number, value: number): void {
    const m = this.memOf(addr);
    const o = addr & this.ssMask;
    m[o] = value & 0xff;
    m[o + 1] = (value >>> 8) & 0xff;
    m[o + 2] = (value >>> 16) & 0xff;
    m[o + 3] = (value >>> 24) & 0xff;
  }

  // --- geometry --------------------------------------------------------------------------------

  slabIdOf(addr: number): number {
    return (addr >>> this.ssShift) * this.slabsPerSS + ((addr & this.ssMask) >>> this.slabShift);
  }

  regionOfSlab(g: number): number {
    return Math.floor(g / this.slabsPerSS);
  }

  slabBaseAddr(g: number): number {
    const k = Math.floor(g / this.slabsPerSS);
    const s = g - k * this.slabsPerSS;
    return k * this.cfg.superslabSize + s * this.cfg.slabSize;
  }

  usableOf(slabIndex: number): number {
    return this.cfg.slabSize - (slabIndex === 0 ? this.cfg.ssHeaderBytes : 0);
  }

  header(c: number): number {
    return this.magic | c;
  }

  /** Index of the block containing byte offset `rel` (>= 0) of slab g's block area. */
  indexInSlab(g: number, rel: number): number {
    const shift = this.slabStrideShift[g] as number;
    return shift >= 0 ? rel >>> shift : (rel / (this.slabStride[g] as number)) | 0;
  }

  /** Live bit of block idx of slab s in region k (the bitmap makes double-free detection O(1)). */
  isLiveAt(k: number, s: number, idx: number): boolean {
    const bits = this.liveBits[k] as Uint32Array;
    return ((bits[s * this.bitmapWords + (idx >>> 5)] as number) & (1 << (idx & 31))) !== 0;
  }

  clearLiveAt(k: number, s: number, idx: number): void {
    const bits = this.liveBits[k] as Uint32Array;
    const w = s * this.bitmapWords + (idx >>> 5);
    bits[w] = (bits[w] as number) & ~(1 << (idx & 31));
  }

  /** Sets the live bit of block `base` of slab g and counts its bytes toward its SuperSlab's utilization. */
  setLiveByBase(g: number, base: number): void {
    const k = base >>> this.ssShift;
    const s = (base & this.ssMask) >>> this.slabShift;
    const stride = this.slabStride[g] as number;
    const idx = this.indexInSlab(g, base - (this.slabStart[g] as number));
    const bits = this.liveBits[k] as Uint32Array;
    const w = s * this.bitmapWords + (idx >>> 5);
    bits[w] = (bits[w] as number) | (1 << (idx & 31));
    this.ssLiveBytes[k] = (this.ssLiveBytes[k] as number) + stride;
  }

  isLive(g: number, idx: number): boolean {
    const k = Math.floor(g / this.slabsPerSS);
    return this.isLiveAt(k, g - k * this.slabsPerSS, idx);
  }

  /** True count of blocks in use by slab g: with metaLight the stored value plus its pending delta. */
  trueUsed(g: number): number {
    return (this.slabUsed[g] as number) + (this.slabUsedDelta[g] as number);
  }

  /** Settles slab g's metaLight deltas into its stored used and its SuperSlab's totalActive. */
  flushDeltas(g: number): void {
    const usedDelta = this.slabUsedDelta[g] as number;
    const activeDelta = this.slabActiveDelta[g] as number;
    if (usedDelta === 0 && activeDelta === 0) return;
    const k = this.regionOfSlab(g);
    this.slabUsed[g] = (this.slabUsed[g] as number) + usedDelta;
    this.ssTotalActive[k] = (this.ssTotalActive[k] as number) + activeDelta;
    this.slabUsedDelta[g] = 0;
    this.slabActiveDelta[g] = 0;
  }

  /** The slab has a block to give: freelist, remote queue, or uncarved space. */
  hasFreeBlock(g: number): boolean {
    return this.slabFree[g] !== 0 || this.slabRemoteHead[g] !== 0 || (this.slabCarved[g] as number) < (this.slabCapacity[g] as number);
  }

  isTinyHeapClass(c: number): boolean {
    return ((this.tinyHeapMask >>> c) & 1) === 1;
  }

  checkThread(t: number): void {
    if (t >>> 0 !== t || t >= this.threads) throw new RangeError(`thread ${t} is not in 0..${this.threads - 1}`);
  }

  checkClass(c: number): void {
    if (!Number.isInteger(c) || c < 0 || c >= this.classCount) throw new RangeError(`class ${c} is not in 0..${this.classCount - 1}`);
  }
}

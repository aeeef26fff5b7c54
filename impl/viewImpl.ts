// Builds the read-only view (impl/view.ts) and the statistics: fresh plain snapshots every call.

import type { TinyAllocator } from './allocator.ts';
import {
  Heap,
  MAP_SITE_ALLOC,
  MAP_SITE_PAGE,
  MAP_SITE_PREFILL,
  ROUTE_POOL_ONLY,
  ROUTE_TINY_FIRST,
  SLAB_ACTIVE,
  SLAB_EMPTY,
  STAGE_0,
  STAGE_0_5,
  STAGE_1,
  STAGE_2,
  STAGE_3,
  STAGE_COUNT,
  TIER_DRAINING,
  TIER_HOT,
} from './heap.ts';
import { RegionKind } from './os.ts';
import type { AllocatorConfig, RouteProfile } from './config.ts';
import type {
  AllocatorStats,
  AllocatorView,
  HeldName,
  OsView,
  PoolView,
  RouteKind,
  SlabStateName,
  SlabView,
  StageCounters,
  SuperSlabView,
  ThreadClassView,
  ThreadView,
  TierName,
} from './view.ts';

const HELD_NAMES: readonly HeldName[] = ['none', 'current', 'warm', 'page'];
const heldName = (code: number): HeldName => HELD_NAMES[code] ?? 'none';
const stateName = (s: number): SlabStateName => (s === SLAB_ACTIVE ? 'ACTIVE' : s === SLAB_EMPTY ? 'EMPTY' : 'UNUSED');
const tierName = (t: number): TierName => (t === TIER_HOT ? 'HOT' : t === TIER_DRAINING ? 'DRAINING' : 'FREE');
const routeName = (r: number): RouteKind => (r === ROUTE_POOL_ONLY ? 'POOL_ONLY' : r === ROUTE_TINY_FIRST ? 'TINY_FIRST' : 'TINY_ONLY');

function slabView(h: Heap, g: number): SlabView {
  const k = h.regionOfSlab(g);
  const s = g - k * h.slabsPerSS;
  const slabBase = h.slabBaseAddr(g);
  return {
    slabId: g,
    ssBase: k * h.cfg.superslabSize,
    slabIndex: s,
    start: slabBase + (s === 0 ? h.cfg.ssHeaderBytes : 0),
    usableBytes: h.usableOf(s),
    cls: h.slabCls[g] as number,
    state: stateName(h.slabState[g] as number),
    capacity: h.slabCapacity[g] as number,
    carved: h.slabCarved[g] as number,
    used: h.slabUsed[g] as number,
    freelistHead: h.slabFree[g] as number,
    owner: h.slabOwner[g] as number,
    remoteHead: h.slabRemoteHead[g] as number,
    remoteCount: h.slabRemoteCount[g] as number,
    usedDelta: h.slabUsedDelta[g] as number,
    activeDelta: h.slabActiveDelta[g] as number,
    stride: h.slabStride[g] as number,
    strideShift: h.slabStrideShift[g] as number,
    held: heldName(h.slabHeld[g] as number),
    deltaThreshold: h.slabDeltaThreshold[g] as number,
  };
}

function superslabView(h: Heap, k: number): SuperSlabView {
  const slabs: SlabView[] = [];
  for (let s = 0; s < h.slabsPerSS; s++) slabs.push(slabView(h, k * h.slabsPerSS + s));
  return {
    base: k * h.cfg.superslabSize,
    regionIndex: k,
    tier: tierName(h.ssTier[k] as number),
    totalActive: h.ssTotalActive[k] as number,
    emptyMask: h.ssEmptyMask[k] as number,
    inReserve: h.ssInReserve[k] === 1,
    registered: h.ssRegistered[k] === 1,
    liveBytes: h.ssLiveBytes[k] as number,
    classSlabs: Array.from(h.ssClassSlabs.subarray(k * h.classCount, (k + 1) * h.classCount)),
    mapGeneration: h.ssGeneration[k] as number,
    slabs,
  };
}

function threadView(h: Heap, t: number): ThreadView {
  const classes: ThreadClassView[] = [];
  for (let c = 0; c < h.classCount; c++) {
    const i = t * h.classCount + c;
    const warm: number[] = [];
    for (let j = 0; j < (h.warmCount[i] as number); j++) warm.push(h.warm[i * h.warmCap + j] as number);
    const current = h.pageCur[i] as number;
    const partial: number[] = [];
    const full: number[] = [];
    for (let j = 0; j < (h.pageCount[i] as number); j++) {
      const g = h.pages[i * h.maxPages + j] as number;
      if (g === current) continue;
      (h.slabPageFull[g] === 1 ? full : partial).push(g);
    }
    classes.push({
      tlsHead: h.tlsHead[i] as number,
      tlsCount: h.tlsCount[i] as number,
      current: h.curSlab[i] as number,
      warm,
      pages: { current, partial, full },
    });
  }
  return { thread: t, classes };
}

function stageCounters(hits: Int32Array, c: number): StageCounters {
  const at = c * STAGE_COUNT;
  return {
    stage0: hits[at + STAGE_0] as number,
    stage0_5: hits[at + STAGE_0_5] as number,
    stage1: hits[at + STAGE_1] as number,
    stage2: hits[at + STAGE_2] as number,
    stage3: hits[at + STAGE_3] as number,
  };
}

export function statsOf(a: TinyAllocator): AllocatorStats {
  const h = a.heap;
  const byClass: StageCounters[] = [];
  const total = { stage0: 0, stage0_5: 0, stage1: 0, stage2: 0, stage3: 0 };
  for (let c = 0; c < h.classCount; c++) {
    const s = stageCounters(h.stageHits, c);
    byClass.push(s);
    total.stage0 += s.stage0;
    total.stage0_5 += s.stage0_5;
    total.stage1 += s.stage1;
    total.stage2 += s.stage2;
    total.stage3 += s.stage3;
  }
  return {
    stages: total,
    stagesByClass: byClass,
    maps: h.os.maps,
    unmaps: h.os.unmaps,
    mappedBytes: h.os.mappedBytes,
    tinyFailures: h.tinyFailures,
    poolAllocs: h.poolAllocs,
    poolFailures: h.poolFailures,
    poolFallbacks: h.poolFallbacks,
    badFrees: h.badFrees,
    releases: h.releases,
    rebinds: h.rebinds,
    tlsOverflowDrains: h.tlsOverflowDrains,
    remoteDrainReleases: h.remoteDrainReleases,
    deltaThresholdFlushes: h.deltaThresholdFlushes,
    orphansPublished: h.orphansPublished,
    registryFullEvents: h.registryFullEvents,
    osRefusals: h.os.refusals,
    osRefusalsBySite: {
      stage3Alloc: h.mapRefusals[MAP_SITE_ALLOC] as number,
      prefill: h.mapRefusals[MAP_SITE_PREFILL] as number,
      pageRefill: h.mapRefusals[MAP_SITE_PAGE] as number,
      poolGrowth: a.pool.mapRefusals,
      remap: h.os.remapRefusals,
    },
    drainingTransitions: h.drainingTransitions,
    warmHits: Array.from(h.warmHits),
    warmMisses: Array.from(h.warmMisses),
    warmPrefills: Array.from(h.warmPrefills),
  };
}

/**
 * The read-only view of one allocator. A class, not an object of closures: the explorer makes one
 * for every state copy, and prototype methods cost nothing to create.
 */
class HeapView implements AllocatorView {
  readonly config: AllocatorConfig;
  readonly slabsPerSuperslab: number;
  readonly classCount: number;
  private readonly a: TinyAllocator;
  private readonly h: Heap;

  constructor(a: TinyAllocator) {
    this.a = a;
    this.h = a.heap;
    this.config = a.heap.cfg;
    this.slabsPerSuperslab = a.heap.slabsPerSS;
    this.classCount = a.heap.classCount;
  }

  private mappedSuperslabs(): number[] {
    const h = this.h;
    const out: number[] = [];
    for (let k = 1; k < h.regionLimit; k++) if (h.os.kind[k] === RegionKind.SUPERSLAB) out.push(k);
    return out;
  }

  superslabs(): readonly SuperSlabView[] {
    return this.mappedSuperslabs().map((k) => superslabView(this.h, k));
  }

  superslab(base: number): SuperSlabView | undefined {
    const h = this.h;
    const k = Math.floor(base / h.cfg.superslabSize);
    if (base % h.cfg.superslabSize !== 0 || k <= 0 || k >= h.regionLimit || h.os.kind[k] !== RegionKind.SUPERSLAB) return undefined;
    return superslabView(h, k);
  }

  slab(id: number): SlabView | undefined {
    const h = this.h;
    const S = h.slabsPerSS;
    if (!Number.isInteger(id) || id < 0 || id >= h.regionLimit * S) return undefined;
    const k = Math.floor(id / S);
    if (h.os.kind[k] !== RegionKind.SUPERSLAB && h.liveBits[k] === undefined) return undefined;
    return slabView(h, id);
  }

  registry(): readonly number[] {
    return this.h.registered.map((k) => k * this.h.cfg.superslabSize);
  }

  registryByClass(c: number): readonly number[] {
    this.h.checkClass(c);
    return (this.h.byClass[c] as number[]).map((k) => k * this.h.cfg.superslabSize);
  }

  mappedRegions(): readonly { readonly base: number; readonly kind: 'superslab' | 'pool' }[] {
    const h = this.h;
    const out: { base: number; kind: 'superslab' | 'pool' }[] = [];
    for (let k = 1; k < h.regionLimit; k++) {
      const kind = h.os.kind[k];
      if (kind === RegionKind.SUPERSLAB) out.push({ base: k * h.cfg.superslabSize, kind: 'superslab' });
      else if (kind === RegionKind.POOL) out.push({ base: k * h.cfg.superslabSize, kind: 'pool' });
    }
    return out;
  }

  emptyList(c: number): readonly number[] {
    this.h.checkClass(c);
    return [...(this.h.emptyLists[c] as number[])];
  }

  orphanList(c: number): readonly number[] {
    this.h.checkClass(c);
    return [...(this.h.orphanLists[c] as number[])];
  }

  activeSlots(c: number): number {
    this.h.checkClass(c);
    return this.h.activeSlots[c] as number;
  }

  softCap(c: number): number {
    this.h.checkClass(c);
    return this.h.softCapNow[c] as number;
  }

  classHint(c: number): number {
    this.h.checkClass(c);
    return (this.h.classHint[c] as number) * this.h.cfg.superslabSize;
  }

  reserve(): readonly number[] {
    return this.h.reserve.map((k) => k * this.h.cfg.superslabSize);
  }

  thread(t: number): ThreadView {
    this.h.checkThread(t);
    return threadView(this.h, t);
  }

  routeProfile(): RouteProfile {
    return this.a.routeProfile;
  }

  routes(): readonly RouteKind[] {
    return Array.from(this.h.routes, routeName);
  }

  pool(): PoolView {
    return this.a.pool.view();
  }

  os(): OsView {
    const os = this.h.os;
    return { mapLimit: os.mapLimit < 0 ? null : os.mapLimit, refusalsPending: os.refusalsPending };
  }

  stats(): AllocatorStats {
    return statsOf(this.a);
  }

  liveBitmap(id: number): readonly number[] {
    const h = this.h;
    if (!Number.isInteger(id) || id < 0 || id >= h.regionLimit * h.slabsPerSS || (h.slabCls[id] as number) < 0) return [];
    const k = Math.floor(id / h.slabsPerSS);
    const bits = h.liveBits[k];
    if (bits === undefined) return [];
    const from = (id - k * h.slabsPerSS) * h.bitmapWords;
    const out = new Array<number>(Math.ceil((h.slabCapacity[id] as number) / 32));
    for (let w = 0; w < out.length; w++) out[w] = bits[from + w] as number;
    return out;
  }

  readU8(addr: number): number {
    if (!this.h.os.isMapped(addr)) throw new RangeError(`0x${addr.toString(16)} is not in a mapped region`);
    return this.h.readU8(addr);
  }

  readU32(addr: number): number {
    if (!this.h.os.isMapped(addr) || !this.h.os.isMapped(addr + 3)) throw new RangeError(`0x${addr.toString(16)}+4 is not in a mapped region`);
    return this.h.readU32(addr);
  }

  readRange(addr: number, length: number): Uint8Array {
    const h = this.h;
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`readRange: length ${length} is not a non-negative integer`);
    if (length === 0) return new Uint8Array(0);
    const last = addr + length - 1;
    if (!h.os.isMapped(addr) || addr >>> h.ssShift !== last >>> h.ssShift) {
      throw new RangeError(`[0x${addr.toString(16)}, 0x${(last + 1).toString(16)}) is not inside one mapped region`);
    }
    const offset = addr & h.ssMask;
    return h.memOf(addr).slice(offset, offset + length);
  }

  isMapped(addr: number): boolean {
    return this.h.os.isMapped(addr);
  }

  peekU8(addr: number): number | undefined {
    const m = this.h.mem[addr >>> this.h.ssShift];
    return m === undefined ? undefined : (m[addr & this.h.ssMask] as number);
  }
}

export function makeView(a: TinyAllocator): AllocatorView {
  return new HeapView(a);
}

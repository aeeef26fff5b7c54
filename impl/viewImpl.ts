// Builds the read-only view (impl/view.ts) and the statistics: fresh plain snapshots every call.

import type { TinyAllocator } from './allocator.ts';
import {
  Heap,
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
import type {
  AllocatorStats,
  AllocatorView,
  RouteKind,
  SlabStateName,
  SlabView,
  StageCounters,
  SuperSlabView,
  ThreadClassView,
  ThreadView,
  TierName,
} from './view.ts';

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
    drainingTransitions: h.drainingTransitions,
    warmHits: Array.from(h.warmHits),
    warmMisses: Array.from(h.warmMisses),
    warmPrefills: Array.from(h.warmPrefills),
  };
}

export function makeView(a: TinyAllocator): AllocatorView {
  const h = a.heap;
  const S = h.slabsPerSS;
  const mappedSuperslabs = (): number[] => {
    const out: number[] = [];
    for (let k = 1; k < h.regionLimit; k++) if (h.os.kind[k] === RegionKind.SUPERSLAB) out.push(k);
    return out;
  };
  const checkClass = (c: number): void => h.checkClass(c);
  return {
    config: h.cfg,
    slabsPerSuperslab: S,
    classCount: h.classCount,
    superslabs: () => mappedSuperslabs().map((k) => superslabView(h, k)),
    superslab: (base) => {
      const k = Math.floor(base / h.cfg.superslabSize);
      if (base % h.cfg.superslabSize !== 0 || k <= 0 || k >= h.regionLimit || h.os.kind[k] !== RegionKind.SUPERSLAB) return undefined;
      return superslabView(h, k);
    },
    slab: (id) => {
      if (!Number.isInteger(id) || id < 0 || id >= h.regionLimit * S) return undefined;
      const k = Math.floor(id / S);
      if (h.os.kind[k] !== RegionKind.SUPERSLAB && h.liveBits[k] === undefined) return undefined;
      return slabView(h, id);
    },
    registry: () => h.registered.map((k) => k * h.cfg.superslabSize),
    registryByClass: (c) => {
      checkClass(c);
      return (h.byClass[c] as number[]).map((k) => k * h.cfg.superslabSize);
    },
    mappedRegions: () => {
      const out: { base: number; kind: 'superslab' | 'pool' }[] = [];
      for (let k = 1; k < h.regionLimit; k++) {
        const kind = h.os.kind[k];
        if (kind === RegionKind.SUPERSLAB) out.push({ base: k * h.cfg.superslabSize, kind: 'superslab' });
        else if (kind === RegionKind.POOL) out.push({ base: k * h.cfg.superslabSize, kind: 'pool' });
      }
      return out;
    },
    emptyList: (c) => {
      checkClass(c);
      return [...(h.emptyLists[c] as number[])];
    },
    orphanList: (c) => {
      checkClass(c);
      return [...(h.orphanLists[c] as number[])];
    },
    activeSlots: (c) => {
      checkClass(c);
      return h.activeSlots[c] as number;
    },
    softCap: (c) => {
      checkClass(c);
      return h.softCapNow[c] as number;
    },
    classHint: (c) => {
      checkClass(c);
      return (h.classHint[c] as number) * h.cfg.superslabSize;
    },
    reserve: () => h.reserve.map((k) => k * h.cfg.superslabSize),
    thread: (t) => {
      h.checkThread(t);
      return threadView(h, t);
    },
    routeProfile: () => a.routeProfile,
    routes: () => Array.from(h.routes, routeName),
    pool: () => a.pool.view(),
    stats: () => statsOf(a),
    readU8: (addr) => {
      if (!h.os.isMapped(addr)) throw new RangeError(`0x${addr.toString(16)} is not in a mapped region`);
      return h.readU8(addr);
    },
    readU32: (addr) => {
      if (!h.os.isMapped(addr) || !h.os.isMapped(addr + 3)) throw new RangeError(`0x${addr.toString(16)}+4 is not in a mapped region`);
      return h.readU32(addr);
    },
    isMapped: (addr) => h.os.isMapped(addr),
    peekU8: (addr) => {
      const m = h.mem[addr >>> h.ssShift];
      return m === undefined ? undefined : (m[addr & h.ssMask] as number);
    },
  };
}

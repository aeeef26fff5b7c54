// The shared pool (SPEC §5): acquire a slot for class c in stage order, and release a slab that
// emptied. Stages 0.5-3 make a slot ACTIVE for c and need activeSlots[c] < softCap[c]; DRAINING
// SuperSlabs give no slot at stages 0.5-2.

import {
  HELD_NONE,
  Heap,
  MAP_SITE_ALLOC,
  type MapSite,
  HeapCorruptionError,
  SLAB_ACTIVE,
  SLAB_EMPTY,
  SLAB_UNUSED,
  STAGE_0,
  STAGE_0_5,
  STAGE_1,
  STAGE_2,
  STAGE_3,
  STAGE_COUNT,
  TIER_HOT,
} from './heap.ts';
import { bindSlab, evaluateTier, mapSuperslab, removeFromEmptyList, removeFromOrphanList, takeFromReserve } from './segment.ts';

function hit(h: Heap, c: number, stage: number): void {
  const at = c * STAGE_COUNT + stage;
  h.stageHits[at] = (h.stageHits[at] as number) + 1;
}

/**
 * A slot for class c owned by thread t, or -1 when no stage may legally give one (or the OS refused
 * the map Stage 3 needed). `site` names the caller, for the refusal statistics only.
 */
export function acquireSlab(h: Heap, c: number, t: number, site: MapSite = MAP_SITE_ALLOC): number {
  const adopted = stage0Adopt(h, c, t);
  if (adopted >= 0) return adopted;
  if ((h.activeSlots[c] as number) >= (h.softCapNow[c] as number)) {
    // The historical "Option C": Stage 3 mapped past the cap.
    return h.faults.softCapIgnored ? stage3Map(h, c, t, site) : -1;
  }
  let g = stage05Scan(h, c, t);
  if (g >= 0) return g;
  g = stage1PopEmpty(h, c, t);
  if (g >= 0) return g;
  g = stage2Claim(h, c, t);
  if (g >= 0) return g;
  return stage3Map(h, c, t, site);
}

/** Stage 0: adopt an orphan partial slab of c that still has a block to give (no cap change). */
function stage0Adopt(h: Heap, c: number, t: number): number {
  const orphans = h.orphanLists[c] as number[];
  for (let j = 0; j < orphans.length; j++) {
    const g = orphans[j] as number;
    if (!h.hasFreeBlock(g)) continue;
    orphans.splice(j, 1);
    h.slabOwner[g] = t;
    hit(h, c, STAGE_0);
    return g;
  }
  return -1;
}

/** Stage 0.5: the first emptyScanLimit SuperSlabs of c's registry list, through their empty masks. */
function stage05Scan(h: Heap, c: number, t: number): number {
  const list = h.byClass[c] as number[];
  const n = Math.min(list.length, h.cfg.emptyScanLimit);
  const S = h.slabsPerSS;
  for (let j = 0; j < n; j++) {
    const k = list[j] as number;
    if (h.ssTier[k] !== TIER_HOT) continue;
    let mask = h.ssEmptyMask[k] as number;
    while (mask !== 0) {
      const s = 31 - Math.clz32(mask & -mask);
      mask &= mask - 1;
      const g = k * S + s;
      if (h.slabCls[g] !== c) continue;
      removeFromEmptyList(h, g);
      bindSlab(h, g, c, t);
      hit(h, c, STAGE_0_5);
      return g;
    }
  }
  return -1;
}

/** Pops the newest EMPTY slot of list `from` whose SuperSlab is HOT, or -1. */
function popEmpty(h: Heap, from: number): number {
  const list = h.emptyLists[from] as number[];
  for (let j = list.length - 1; j >= 0; j--) {
    const g = list[j] as number;
    if (h.ssTier[h.regionOfSlab(g)] !== TIER_HOT) continue;
    list.splice(j, 1);
    return g;
  }
  return -1;
}

/** Stage 1: the EMPTY slot list of c first, then any class's (rebinding the slot). */
function stage1PopEmpty(h: Heap, c: number, t: number): number {
  let g = popEmpty(h, c);
  for (let other = 0; g < 0 && other < h.classCount; other++) if (other !== c) g = popEmpty(h, other);
  if (g < 0) return -1;
  if (h.slabCls[g] !== c) h.rebinds++;
  bindSlab(h, g, c, t);
  hit(h, c, STAGE_1);
  return g;
}

function firstUnused(h: Heap, k: number): number {
  const S = h.slabsPerSS;
  for (let s = 0; s < S; s++) if (h.slabState[k * S + s] === SLAB_UNUSED) return k * S + s;
  return -1;
}

function claimableForStage2(h: Heap, k: number): boolean {
  return h.ssTier[k] === TIER_HOT && h.ssInReserve[k] === 0;
}

/** Stage 2: an UNUSED slot of an existing HOT SuperSlab, the class hint first. */
function stage2Claim(h: Heap, c: number, t: number): number {
  const hint = h.classHint[c] as number;
  // The hint is validated before use (seed 000 P0: O(1) hint validation); the stale-class-hint bug is
  // that unmapping does not clear it (segment.ts freeSuperslab).
  if (hint !== 0 && h.ssRegistered[hint] === 1 && claimableForStage2(h, hint)) {
    const g = firstUnused(h, hint);
    if (g >= 0) return claim(h, g, c, t, STAGE_2);
  }
  for (const k of h.registered) {
    if (!claimableForStage2(h, k)) continue;
    const g = firstUnused(h, k);
    if (g < 0) continue;
    h.classHint[c] = k;
    return claim(h, g, c, t, STAGE_2);
  }
  return -1;
}

function claim(h: Heap, g: number, c: number, t: number, stage: number): number {
  bindSlab(h, g, c, t);
  hit(h, c, stage);
  return g;
}

/** Stage 3: a SuperSlab from the reserve, else a new mapping; fails when the registry is full or the OS refuses. */
function stage3Map(h: Heap, c: number, t: number, site: MapSite): number {
  let k = takeFromReserve(h);
  if (k === 0) {
    const refusalsBefore = h.os.refusals;
    k = mapSuperslab(h);
    if (k === 0) {
      // A refused map is not a full registry: each has its own counter.
      if (h.os.refusals > refusalsBefore) h.mapRefusals[site] = (h.mapRefusals[site] as number) + 1;
      else h.registryFullEvents++;
      return -1;
    }
  }
  h.classHint[c] = k;
  return claim(h, firstUnused(h, k), c, t, STAGE_3);
}

/**
 * Release (SPEC §5): slab g's used reached 0 and its owner does not hold it. It becomes EMPTY,
 * leaves the orphan list, joins c's EMPTY list, and its SuperSlab's tier is re-evaluated.
 */
export function releaseSlab(h: Heap, g: number): void {
  if (h.slabState[g] !== SLAB_ACTIVE) throw new HeapCorruptionError(`release of slab ${g}, which is not ACTIVE`, h.slabBaseAddr(g));
  const c = h.slabCls[g] as number;
  const k = h.regionOfSlab(g);
  const s = g - k * h.slabsPerSS;
  h.flushDeltas(g);
  removeFromOrphanList(h, g);
  h.slabState[g] = SLAB_EMPTY;
  h.slabOwner[g] = -1;
  h.slabHeld[g] = HELD_NONE;
  h.slabFree[g] = 0;
  h.slabCarved[g] = 0;
  h.slabUsed[g] = 0;
  h.slabPageFull[g] = 0;
  h.activeSlots[c] = (h.activeSlots[c] as number) - 1;
  h.ssEmptyMask[k] = (h.ssEmptyMask[k] as number) | (1 << s);
  // The historical bug: EMPTY slots were only marked in the mask, for Stage 0.5's bounded scan.
  if (!h.faults.emptyScanTailMissed) (h.emptyLists[c] as number[]).push(g);
  h.releases++;
  evaluateTier(h, k);
}

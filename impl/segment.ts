// SuperSlabs ("segments"): mapping, the registry and its by-class lists, slot binding, tiers, and
// unmapping (or parking in the empty reserve).

import { RegionKind } from './os.ts';
import {
  HELD_NONE,
  Heap,
  SLAB_ACTIVE,
  SLAB_EMPTY,
  SLAB_UNUSED,
  TIER_DRAINING,
  TIER_FREE,
  TIER_HOT,
} from './heap.ts';

function removeValue(list: number[], value: number): boolean {
  const at = list.indexOf(value);
  if (at < 0) return false;
  list.splice(at, 1);
  return true;
}

/** Maps a fresh SuperSlab and registers it (Stage 3). Returns its region index, or 0 when the registry is full. */
export function mapSuperslab(h: Heap): number {
  if (h.registered.length >= h.cfg.registryCapacity) return 0;
  const k = h.os.map(RegionKind.SUPERSLAB);
  if (k === 0) return 0;
  const S = h.slabsPerSS;
  for (let s = 0; s < S; s++) resetSlab(h, k * S + s);
  h.ssTier[k] = TIER_HOT;
  h.ssGeneration[k] = (h.ssGeneration[k] as number) + 1;
  h.ssTotalActive[k] = 0;
  h.ssLiveBytes[k] = 0;
  h.ssEmptyMask[k] = 0;
  h.ssInReserve[k] = 0;
  h.ssClassSlabs.fill(0, k * h.classCount, (k + 1) * h.classCount);
  const bits = h.liveBits[k];
  if (bits === undefined) h.liveBits[k] = new Uint32Array(S * h.bitmapWords);
  else bits.fill(0);
  h.ssRegistered[k] = 1;
  insertSorted(h.registered, k);
  return k;
}

function insertSorted(list: number[], value: number): void {
  let at = list.length;
  while (at > 0 && (list[at - 1] as number) > value) at--;
  list.splice(at, 0, value);
}

function resetSlab(h: Heap, g: number): void {
  h.slabCls[g] = -1;
  h.slabState[g] = SLAB_UNUSED;
  h.slabStart[g] = 0;
  h.slabStride[g] = 0;
  h.slabStrideShift[g] = -1;
  h.slabCapacity[g] = 0;
  h.slabCarved[g] = 0;
  h.slabUsed[g] = 0;
  h.slabFree[g] = 0;
  h.slabOwner[g] = -1;
  h.slabHeld[g] = HELD_NONE;
  h.slabRemoteHead[g] = 0;
  h.slabRemoteCount[g] = 0;
  h.slabUsedDelta[g] = 0;
  h.slabActiveDelta[g] = 0;
  h.slabDeltaThreshold[g] = 0;
  h.slabPageFull[g] = 0;
}

/**
 * Binds slot g to class c for thread t (it becomes ACTIVE): capacity fixed, nothing carved, live
 * bitmap cleared. Counts in activeSlots[c] and puts the SuperSlab on c's registry list.
 */
export function bindSlab(h: Heap, g: number, c: number, t: number): void {
  const k = h.regionOfSlab(g);
  const s = g - k * h.slabsPerSS;
  const old = h.slabCls[g] as number;
  if (old >= 0) unbindClass(h, k, old);
  const stride = h.strides[c] as number;
  const usable = h.usableOf(s);
  h.slabCls[g] = c;
  h.slabState[g] = SLAB_ACTIVE;
  h.slabStart[g] = h.slabBaseAddr(g) + (s === 0 ? h.cfg.ssHeaderBytes : 0);
  h.slabStride[g] = stride;
  h.slabStrideShift[g] = (stride & (stride - 1)) === 0 ? 31 - Math.clz32(stride) : -1;
  h.slabCapacity[g] = Math.floor(usable / stride);
  h.slabCarved[g] = 0;
  h.slabUsed[g] = 0;
  h.slabFree[g] = 0;
  h.slabOwner[g] = t;
  h.slabHeld[g] = HELD_NONE;
  h.slabRemoteHead[g] = 0;
  h.slabRemoteCount[g] = 0;
  h.slabUsedDelta[g] = 0;
  h.slabActiveDelta[g] = 0;
  h.slabDeltaThreshold[g] = Math.max(h.cfg.deltaFlushMin, (h.slabCapacity[g] as number) * h.cfg.deltaFlushFactor);
  h.slabPageFull[g] = 0;
  h.ssEmptyMask[k] = (h.ssEmptyMask[k] as number) & ~(1 << s);
  const bits = h.liveBits[k] as Uint32Array;
  bits.fill(0, s * h.bitmapWords, (s + 1) * h.bitmapWords);
  h.activeSlots[c] = (h.activeSlots[c] as number) + 1;
  const kc = k * h.classCount + c;
  h.ssClassSlabs[kc] = (h.ssClassSlabs[kc] as number) + 1;
  if (h.ssClassSlabs[kc] === 1) (h.byClass[c] as number[]).push(k);
}

function unbindClass(h: Heap, k: number, c: number): void {
  const kc = k * h.classCount + c;
  h.ssClassSlabs[kc] = (h.ssClassSlabs[kc] as number) - 1;
  if (h.ssClassSlabs[kc] === 0) removeValue(h.byClass[c] as number[], k);
}

export function removeFromEmptyList(h: Heap, g: number): void {
  const c = h.slabCls[g] as number;
  if (c >= 0) removeValue(h.emptyLists[c] as number[], g);
}

export function removeFromOrphanList(h: Heap, g: number): boolean {
  const c = h.slabCls[g] as number;
  return c >= 0 && removeValue(h.orphanLists[c] as number[], g);
}

/** No ACTIVE slab left: every block returned and nothing held (held slabs are ACTIVE). */
function hasNoOutstanding(h: Heap, k: number): boolean {
  const S = h.slabsPerSS;
  for (let s = 0; s < S; s++) if (h.slabState[k * S + s] === SLAB_ACTIVE) return false;
  return true;
}

/**
 * Tier re-evaluation at a release of one of k's slabs (SPEC §5 Release): DRAINING for good at or
 * below the threshold; FREE (unmapped or parked) once nothing is outstanding or held.
 */
export function evaluateTier(h: Heap, k: number): void {
  if (h.ssTier[k] === TIER_HOT && h.cfg.hotThreshold > 0) {
    const usable = h.cfg.superslabSize - h.cfg.ssHeaderBytes;
    if ((h.ssLiveBytes[k] as number) / usable <= h.cfg.hotThreshold) {
      h.ssTier[k] = TIER_DRAINING;
      h.drainingTransitions++;
    }
  }
  if (!hasNoOutstanding(h, k)) return;
  if (h.ssTier[k] === TIER_DRAINING && h.faults.drainingNeverFreed) return;
  freeSuperslab(h, k);
}

/** Every slot leaves the EMPTY lists; the SuperSlab is unregistered and unmapped, or parked in the reserve. */
export function freeSuperslab(h: Heap, k: number): void {
  const S = h.slabsPerSS;
  for (let s = 0; s < S; s++) {
    const g = k * S + s;
    // EMPTY slots were already uncounted from activeSlots at their release.
    if (h.slabState[g] === SLAB_EMPTY) removeFromEmptyList(h, g);
    const c = h.slabCls[g] as number;
    if (c >= 0) unbindClass(h, k, c);
    resetSlab(h, g);
  }
  h.ssEmptyMask[k] = 0;
  h.ssTotalActive[k] = 0;
  h.ssLiveBytes[k] = 0;
  if (!h.faults.staleClassHint) {
    for (let c = 0; c < h.classCount; c++) if (h.classHint[c] === k) h.classHint[c] = 0;
  }
  if (h.reserve.length < h.cfg.emptyReserve) {
    h.ssTier[k] = TIER_FREE;
    h.ssInReserve[k] = 1;
    h.reserve.push(k);
    return;
  }
  unregisterAndUnmap(h, k);
}

function unregisterAndUnmap(h: Heap, k: number): void {
  h.ssRegistered[k] = 0;
  h.ssInReserve[k] = 0;
  removeValue(h.registered, k);
  // A fresh mapping starts HOT; the stale metadata of an unmapped region must look like nothing.
  h.ssTier[k] = TIER_HOT;
  h.os.unmap(k);
}

/** Takes a parked SuperSlab back from the reserve (HOT again). Returns its index, or 0. */
export function takeFromReserve(h: Heap): number {
  const k = h.reserve.pop();
  if (k === undefined) return 0;
  h.ssInReserve[k] = 0;
  h.ssTier[k] = TIER_HOT;
  h.ssGeneration[k] = (h.ssGeneration[k] as number) + 1;
  return k;
}

/** trim(): the reserve is unmapped. */
export function trimReserve(h: Heap): void {
  while (h.reserve.length > 0) unregisterAndUnmap(h, h.reserve.pop() as number);
}

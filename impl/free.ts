// Free (SPEC §5 Free): find the block through the registry, validate in the SPEC's order
// (changing nothing on the first failure), then route it: owner -> TLS cache or page freelist,
// another thread -> the slab's remote queue, no owner -> straight onto the slab's freelist.

import {
  ERR_DOUBLE_FREE,
  ERR_HEADER_MISMATCH,
  ERR_INTERIOR_POINTER,
  ERR_INVALID_POINTER,
  FREE_OK,
  type FreeCode,
} from './codes.ts';
import { Heap, SLAB_ACTIVE } from './heap.ts';
import { RegionKind } from './os.ts';
import { releaseSlab } from './sharedPool.ts';
import { heapOwnerFree } from './tinyHeap.ts';
import { pushTls } from './tls.ts';

/** Slab and base of the last block locateTiny() accepted (scratch, so validation allocates nothing). */
export const located = { slab: -1, base: 0, index: 0, region: 0, slabIndex: 0 };

/** True when `ptr` is a pointer the pool owns (its region is a pool region). */
export function isPoolPointer(h: Heap, ptr: number): boolean {
  const k = ptr >>> h.ssShift;
  return k > 0 && k < h.regionLimit && h.regionKind[k] === RegionKind.POOL;
}

/**
 * Validates a tiny user pointer without changing anything. FREE_OK means `located` names a live
 * block (or, with the double-free fault, an allocated-looking one).
 */
export function locateTiny(h: Heap, ptr: number, checkLive: boolean): FreeCode {
  const base = ptr - 1;
  const k = base >>> h.ssShift;
  if (base < 0 || k === 0 || k >= h.regionLimit) return ERR_INVALID_POINTER;
  if (h.regionKind[k] !== RegionKind.SUPERSLAB || h.ssRegistered[k] !== 1) return ERR_INVALID_POINTER;
  const s = (base & h.ssMask) >>> h.slabShift;
  const g = k * h.slabsPerSS + s;
  if (h.slabState[g] !== SLAB_ACTIVE) return ERR_INVALID_POINTER;
  const rel = base - (h.slabStart[g] as number);
  if (rel < 0) return ERR_INVALID_POINTER;
  const stride = h.slabStride[g] as number;
  const idx = h.indexInSlab(g, rel);
  if (idx >= (h.slabCarved[g] as number)) return ERR_INVALID_POINTER;
  if (rel !== idx * stride) return ERR_INTERIOR_POINTER;
  if (h.readU8(base) !== (h.magic | (h.slabCls[g] as number))) return ERR_HEADER_MISMATCH;
  if (checkLive && !h.isLiveAt(k, s, idx)) return ERR_DOUBLE_FREE;
  located.region = k;
  located.slabIndex = s;
  located.slab = g;
  located.base = base;
  located.index = idx;
  return FREE_OK;
}

/**
 * The free fast path: `ptr` is a live block of an ACTIVE power-of-two-stride slab owned by `t`.
 * Performs the free and returns true; returns false, having changed nothing, for anything else
 * (freeTiny then validates in full). The checks are those of locateTiny, in the same order, fused.
 */
export function ownerFreeFast(h: Heap, t: number, ptr: number): boolean {
  const base = ptr - 1;
  const k = base >>> h.ssShift;
  if (k === 0 || k >= h.regionLimit || h.regionKind[k] !== RegionKind.SUPERSLAB || h.ssRegistered[k] !== 1) return false;
  const o = base & h.ssMask;
  const s = o >>> h.slabShift;
  const g = k * h.slabsPerSS + s;
  const shift = h.slabStrideShift[g] as number;
  const rel = base - (h.slabStart[g] as number);
  if (h.slabState[g] !== SLAB_ACTIVE || h.slabOwner[g] !== t || shift < 0 || rel < 0 || (rel & ((1 << shift) - 1)) !== 0) return false;
  const idx = rel >>> shift;
  const c = h.slabCls[g] as number;
  const m = h.mem[k] as Uint8Array;
  if (idx >= (h.slabCarved[g] as number) || m[o] !== (h.magic | c)) return false;
  const bits = h.liveBits[k] as Uint32Array;
  const w = s * h.bitmapWords + (idx >>> 5);
  const bit = 1 << (idx & 31);
  if (((bits[w] as number) & bit) === 0) return false;
  bits[w] = (bits[w] as number) & ~bit;
  h.ssLiveBytes[k] = (h.ssLiveBytes[k] as number) - (1 << shift);
  h.ssTotalActive[k] = (h.ssTotalActive[k] as number) - 1;
  if (h.isTinyHeapClass(c)) heapOwnerFree(h, t, c, g, base);
  else pushTls(h, t, c, base);
  return true;
}

/** Frees a tiny block of thread t. The caller has ruled out 0 and pool pointers. */
export function freeTiny(h: Heap, t: number, ptr: number): FreeCode {
  const code = locateTiny(h, ptr, !h.faults.doubleFreeUnchecked);
  if (code !== FREE_OK) return code;
  const g = located.slab;
  const base = located.base;
  const k = located.region;
  const c = h.slabCls[g] as number;
  const owner = h.slabOwner[g] as number;
  h.clearLiveAt(k, located.slabIndex, located.index);
  h.ssLiveBytes[k] = (h.ssLiveBytes[k] as number) - (h.slabStride[g] as number);
  if (owner === t) {
    h.ssTotalActive[k] = (h.ssTotalActive[k] as number) - 1;
    if (h.isTinyHeapClass(c)) heapOwnerFree(h, t, c, g, base);
    else pushTls(h, t, c, base);
  } else if (owner < 0) {
    h.ssTotalActive[k] = (h.ssTotalActive[k] as number) - 1;
    orphanFree(h, g, base);
  } else {
    // The historical bug: the remote path forgot to drop totalActive.
    if (!h.faults.remoteFreeKeepsActive) h.ssTotalActive[k] = (h.ssTotalActive[k] as number) - 1;
    remotePush(h, g, base);
  }
  return FREE_OK;
}

/** Another thread's free: the link goes at base itself, over the header (the drain restores it). */
function remotePush(h: Heap, g: number, base: number): void {
  h.writeU32(base, h.slabRemoteHead[g] as number);
  h.slabRemoteHead[g] = base;
  h.slabRemoteCount[g] = (h.slabRemoteCount[g] as number) + 1;
}

/** A slab with no owner takes the block straight onto its freelist and is released when it empties. */
function orphanFree(h: Heap, g: number, base: number): void {
  h.writeU32(base + 1, h.slabFree[g] as number);
  h.slabFree[g] = base;
  h.slabUsed[g] = (h.slabUsed[g] as number) - 1;
  if (h.trueUsed(g) === 0) releaseSlab(h, g);
}

// The model's own size → class and class → route tables. Recomputed from the configuration and
// SPEC §5/§6, never by calling impl/: the model must be an independent second opinion.

import { match } from 'ts-pattern';
import type { AllocatorConfig, RouteKind, RouteProfile } from '../impl/index.ts';

/** Class of a request served by the pool because it is larger than every tiny class. */
export const POOL_CLASS = -1;

/** Smallest class c with stride_c - 1 >= sizeBytes (size 0 → C0), or POOL_CLASS. */
export function modelClassOfSize(strides: readonly number[], sizeBytes: number): number {
  for (let cls = 0; cls < strides.length; cls++) {
    if ((strides[cls] as number) - 1 >= sizeBytes) return cls;
  }
  return POOL_CLASS;
}

/** Usable bytes of a tiny block of class `cls`: the stride minus its 1-byte header. */
export function tinyUsableBytes(config: AllocatorConfig, cls: number): number {
  return (config.strides[cls] as number) - 1;
}

/**
 * Route of a class under a route profile (SPEC §6, seed 000): conservative = all TINY_FIRST;
 * off = all POOL_ONLY; full = all TINY_ONLY; hot = C0–C3 TINY_ONLY, C4–C6 TINY_FIRST, C7 POOL_ONLY
 * for the 8 default classes. SPEC names classes only for 8 of them; the project's documented
 * generalisation to any class count (the one the implementation follows too) keeps the proportions:
 * the lower half TINY_ONLY, the last class POOL_ONLY, the rest TINY_FIRST (4 classes: C0–C1
 * TINY_ONLY, C2 TINY_FIRST, C3 POOL_ONLY).
 */
export function modelRouteOf(profile: RouteProfile, cls: number, classCount: number): RouteKind {
  return match(profile)
    .returnType<RouteKind>()
    .with('conservative', () => 'TINY_FIRST')
    .with('off', () => 'POOL_ONLY')
    .with('full', () => 'TINY_ONLY')
    .with('hot', () => (cls === classCount - 1 ? 'POOL_ONLY' : cls < classCount / 2 ? 'TINY_ONLY' : 'TINY_FIRST'))
    .exhaustive();
}

/** Slabs per SuperSlab. */
export function slabsPerSuperslab(config: AllocatorConfig): number {
  return config.superslabSize / config.slabSize;
}

/** Base of the SuperSlab-sized region holding `addr` (regions are aligned to their size). */
export function regionBaseOf(config: AllocatorConfig, addr: number): number {
  return addr - (addr % config.superslabSize);
}

/** slabId of the slab whose bytes hold `addr` (regionIndex * slabsPerSuperslab + slabIndex). */
export function slabIdOfAddress(config: AllocatorConfig, addr: number): number {
  const regionIndex = Math.floor(addr / config.superslabSize);
  const slabIndex = Math.floor((addr % config.superslabSize) / config.slabSize);
  return regionIndex * slabsPerSuperslab(config) + slabIndex;
}

/** Start of block 0 of slab `slabIndex` of the SuperSlab at `ssBase` (SPEC §2). */
export function slabStartOf(config: AllocatorConfig, ssBase: number, slabIndex: number): number {
  return ssBase + slabIndex * config.slabSize + (slabIndex === 0 ? config.ssHeaderBytes : 0);
}

/** Bytes a SuperSlab offers to blocks: what utilization is measured against. */
export function superslabUsableBytes(config: AllocatorConfig): number {
  return config.superslabSize - config.ssHeaderBytes;
}

/** Delta threshold of a TinyHeap page of this capacity: max(deltaFlushMin, capacity*deltaFlushFactor). */
export function deltaThreshold(config: AllocatorConfig, capacity: number): number {
  return Math.max(config.deltaFlushMin, capacity * config.deltaFlushFactor);
}

export function isTinyHeapClass(config: AllocatorConfig, cls: number): boolean {
  return cls >= 0 && (config.tinyHeapClasses & (1 << cls)) !== 0;
}

/** Header byte a live or cached block of class `cls` must carry. */
export function headerByteOf(config: AllocatorConfig, cls: number): number {
  return (config.headerMagic | cls) & 0xff;
}

// Independent bad-free oracle: re-derives the SPEC §5 validation order from the pre-step view and
// the model, without asking the implementation's own validation. The first rule that fails names
// the error; 'ok' means the address is a block the model holds live (a legal free).
//
//   unknown region                                  → invalid-pointer
//   slab not ACTIVE, or block beyond `carved`       → invalid-pointer
//   not on a block boundary                         → interior-pointer
//   header byte ≠ magic | slab.cls                  → header-mismatch
//   block not live (in the model)                   → double-free
//
// A pointer belongs to the pool when the region holding the pointer itself is a pool region; the
// pool's own chunk walk then judges it: the pointer is its region's first byte, or no chunk holds
// its tag byte ptr - 1 → invalid-pointer; not the chunk's user pointer → interior-pointer; tag byte
// ≠ the pool's header tag → header-mismatch; not live → double-free.
// Otherwise the block of a pointer is the one holding its header byte, ptr - 1 (a user pointer is
// base + 1), found through the registry. A header byte before block 0 (in the SuperSlab header) is
// no block of the slab at all: invalid-pointer.

import type { AllocatorView, FreeErrorKind } from '../impl/index.ts';
import type { Model } from './model.ts';
import { headerByteOf, regionBaseOf, slabStartOf } from './sizeClass.ts';

export type FreeVerdict = FreeErrorKind | 'ok';

export interface FreeVerdictDetail {
  readonly verdict: FreeVerdict;
  /** Which rule decided, for messages. */
  readonly reason: string;
  /** slabId of the slab the pointer falls in, when it falls in an ACTIVE slab. */
  readonly slabId?: number;
}

/** The pool as the caller walked it: mapped pool region bases and chunks in address order. */
export interface PoolLayout {
  readonly regions: readonly number[];
  readonly chunks: readonly { readonly chunk: number; readonly userPtr: number; readonly chunkBytes: number }[];
  readonly headerTag: number;
}

/** The pool as the pool itself reports it (for callers without a walk of their own). */
export function reportedPoolLayout(view: AllocatorView): PoolLayout {
  const pool = view.pool();
  return { regions: pool.regions.map((r) => r.base), chunks: pool.blocks, headerTag: pool.headerTag };
}

export function predictFree(view: AllocatorView, model: Model, ptr: number, pool: PoolLayout = reportedPoolLayout(view)): FreeVerdictDetail {
  const config = view.config;
  if (ptr === 0) return { verdict: 'ok', reason: 'null is a no-op' };
  const headerAddr = ptr - 1;
  const ptrRegion = regionBaseOf(config, ptr);
  if (pool.regions.includes(ptrRegion)) {
    if (ptr === ptrRegion) return { verdict: 'invalid-pointer', reason: 'first byte of a pool region' };
    // The pool's chunk walk: the chunk whose bytes hold the tag byte.
    const chunk = pool.chunks.find((b) => b.chunk <= headerAddr && headerAddr < b.chunk + b.chunkBytes);
    if (chunk === undefined) return { verdict: 'invalid-pointer', reason: 'in no pool chunk' };
    if (chunk.userPtr !== ptr) return { verdict: 'interior-pointer', reason: `inside pool chunk 0x${chunk.chunk.toString(16)}` };
    const tag = view.readU8(headerAddr);
    if (tag !== pool.headerTag) return { verdict: 'header-mismatch', reason: `pool tag 0x${tag.toString(16)} ≠ 0x${pool.headerTag.toString(16)}` };
    if (!model.isLive(ptr)) return { verdict: 'double-free', reason: 'pool block not live' };
    return { verdict: 'ok', reason: 'live pool block' };
  }
  const regionBase = regionBaseOf(config, headerAddr);
  const registry = view.registry();
  if (registry.includes(regionBase)) {
    const ss = view.superslab(regionBase);
    if (ss === undefined) return { verdict: 'invalid-pointer', reason: 'registered but not mapped' };
    const slabIndex = Math.floor((headerAddr - regionBase) / config.slabSize);
    const slab = ss.slabs[slabIndex];
    if (slab === undefined) return { verdict: 'invalid-pointer', reason: 'no slab at that offset' };
    if (slab.state !== 'ACTIVE') return { verdict: 'invalid-pointer', reason: `slab ${slab.slabId} is ${slab.state}` };
    const stride = config.strides[slab.cls];
    if (stride === undefined) return { verdict: 'invalid-pointer', reason: `slab ${slab.slabId} has no class` };
    const offset = headerAddr - slabStartOf(config, regionBase, slabIndex);
    if (offset < 0) return { verdict: 'invalid-pointer', reason: 'in the SuperSlab header', slabId: slab.slabId };
    const blockIndex = Math.floor(offset / stride);
    if (blockIndex >= slab.carved) {
      return { verdict: 'invalid-pointer', reason: `block ${blockIndex} beyond carved ${slab.carved}`, slabId: slab.slabId };
    }
    if (offset % stride !== 0) return { verdict: 'interior-pointer', reason: `offset ${offset % stride} into block ${blockIndex}`, slabId: slab.slabId };
    const header = view.readU8(headerAddr);
    if (header !== headerByteOf(config, slab.cls)) {
      return { verdict: 'header-mismatch', reason: `header 0x${header.toString(16)} ≠ 0x${headerByteOf(config, slab.cls).toString(16)}`, slabId: slab.slabId };
    }
    if (!model.isLive(ptr)) return { verdict: 'double-free', reason: `block ${blockIndex} is not live`, slabId: slab.slabId };
    return { verdict: 'ok', reason: 'live block', slabId: slab.slabId };
  }
  return { verdict: 'invalid-pointer', reason: `region 0x${regionBase.toString(16)} unknown` };
}

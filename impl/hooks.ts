// Test-only hooks that break a state on purpose (outside the normal API), so that every invariant
// can be shown to fail. The allocator itself never calls these.

import type { TinyAllocator } from './allocator.ts';
import type { SlabField, TestHooks } from './api.ts';
import { SLAB_ACTIVE, SLAB_EMPTY, SLAB_UNUSED, TIER_DRAINING, TIER_FREE, TIER_HOT } from './heap.ts';

export function makeTestHooks(a: TinyAllocator): TestHooks {
  const h = a.heap;
  const slabArrays: Record<SlabField, Int8Array | Int32Array | Float64Array> = {
    used: h.slabUsed,
    carved: h.slabCarved,
    capacity: h.slabCapacity,
    freelistHead: h.slabFree,
    owner: h.slabOwner,
    remoteHead: h.slabRemoteHead,
    remoteCount: h.slabRemoteCount,
    usedDelta: h.slabUsedDelta,
    activeDelta: h.slabActiveDelta,
    cls: h.slabCls,
  };
  const region = (ssBase: number): number => {
    const k = ssBase / h.cfg.superslabSize;
    if (!Number.isInteger(k) || k <= 0 || k >= h.regionLimit) throw new RangeError(`0x${ssBase.toString(16)} is not a SuperSlab base`);
    return k;
  };
  return {
    pokeU8: (addr, value) => h.writeU8(addr, value),
    pokeU32: (addr, value) => h.writeU32(addr, value),
    setSlabField: (id, field, value) => {
      slabArrays[field][id] = value;
    },
    setSlabState: (id, state) => {
      h.slabState[id] = state === 'ACTIVE' ? SLAB_ACTIVE : state === 'EMPTY' ? SLAB_EMPTY : SLAB_UNUSED;
    },
    setTotalActive: (ssBase, value) => {
      h.ssTotalActive[region(ssBase)] = value;
    },
    setActiveSlots: (cls, value) => {
      h.activeSlots[cls] = value;
    },
    setTier: (ssBase, tier) => {
      h.ssTier[region(ssBase)] = tier === 'HOT' ? TIER_HOT : tier === 'DRAINING' ? TIER_DRAINING : TIER_FREE;
    },
    setTlsHead: (thread, cls, head, count) => {
      const i = thread * h.classCount + cls;
      h.tlsHead[i] = head;
      h.tlsCount[i] = count;
    },
    pushWarm: (thread, cls, id) => {
      const i = thread * h.classCount + cls;
      const count = h.warmCount[i] as number;
      if (count >= h.warmCap) throw new RangeError('warm pool is full');
      h.warm[i * h.warmCap + count] = id;
      h.warmCount[i] = count + 1;
    },
    unlinkEmpty: (id) => {
      for (const list of h.emptyLists) {
        const at = list.indexOf(id);
        if (at >= 0) list.splice(at, 1);
      }
    },
    setClassHint: (cls, ssBase) => {
      h.classHint[cls] = ssBase === 0 ? 0 : region(ssBase);
    },
    unregister: (ssBase) => {
      const k = region(ssBase);
      h.ssRegistered[k] = 0;
      const at = h.registered.indexOf(k);
      if (at >= 0) h.registered.splice(at, 1);
    },
    setPoolChunkAllocated: (chunk, allocated) => a.pool.setChunkAllocated(chunk, allocated),
  };
}

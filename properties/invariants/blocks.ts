// Invariants about the blocks the application holds: never handed out twice, headers and classes
// right, usable sizes right, and their bytes intact.

import type { StateContext, Violation } from '../checkContext.ts';
import { defineInvariant, inScope } from '../checkContext.ts';
import { hex } from '../events.ts';
import type { LiveBlock } from '../../model/index.ts';
import { headerByteOf, regionBaseOf, slabIdOfAddress, slabStartOf } from '../../model/index.ts';
import type { AllocatorView } from '../../impl/index.ts';
import { POOL_HEADER_BYTES, poolTagOf } from '../poolWalk.ts';

function describe(b: LiveBlock): string {
  return `block ${hex(b.ptr)} (alloc #${b.serial}, ${b.sizeBytes} B by t${b.thread})`;
}

/** Byte extent [from, to) a live block occupies, header included. */
function extentOf(ctx: StateContext, b: LiveBlock): [number, number] {
  if (b.front === 'tiny' && b.sizeClass >= 0) return [b.ptr - 1, b.ptr - 1 + (ctx.config.strides[b.sizeClass] as number)];
  const chunk = ctx.post.poolWalk().allocatedByPtr.get(b.ptr);
  if (chunk !== undefined) return [chunk.chunk, chunk.chunk + chunk.chunkBytes];
  return [b.ptr - 1, b.ptr + b.sizeBytes];
}

export const noDoubleAllocation = defineInvariant({
  name: 'no-double-allocation',
  step(ctx) {
    const ev = ctx.event;
    if (ev.kind !== 'alloc' || ev.ptr === 0) return null;
    if (ev.duplicateOf !== undefined) {
      const slab = ctx.post.slabAt(ev.ptr - 1);
      return { message: `alloc(t${ev.thread}, ${ev.sizeBytes}) returned ${hex(ev.ptr)}, which is live: ${describe(ev.duplicateOf)}`, slabId: slab?.slabId };
    }
    const fresh = ev.block;
    if (fresh === undefined) return null;
    const [from, to] = extentOf(ctx, fresh);
    for (const other of ctx.model.live()) {
      if (other === fresh || other.ptr === fresh.ptr) continue;
      const [oFrom, oTo] = extentOf(ctx, other);
      if (from < oTo && oFrom < to) {
        return {
          message: `alloc returned ${hex(fresh.ptr)} whose bytes [${hex(from)}, ${hex(to)}) overlap live ${describe(other)} [${hex(oFrom)}, ${hex(oTo)})`,
          slabId: ctx.post.slabAt(fresh.ptr - 1)?.slabId,
        };
      }
    }
    return null;
  },
});

function checkTinyBlock(ctx: StateContext, b: LiveBlock): Violation | null {
  const config = ctx.config;
  const base = b.ptr - 1;
  const ssBase = regionBaseOf(config, base);
  if (ctx.post.regions().get(ssBase) !== 'superslab') return { message: `tiny ${describe(b)} is not in a mapped SuperSlab` };
  const slab = ctx.post.slabAt(base);
  if (slab === undefined) return { message: `tiny ${describe(b)} has no slab in the view` };
  if (slab.state !== 'ACTIVE') return { message: `${describe(b)} lies in slab ${slab.slabId}, which is ${slab.state}`, slabId: slab.slabId };
  if (slab.cls !== b.sizeClass) {
    return { message: `${describe(b)} of class ${b.sizeClass} lies in slab ${slab.slabId} bound to class ${slab.cls}`, slabId: slab.slabId };
  }
  const stride = config.strides[b.sizeClass] as number;
  const start = slabStartOf(config, ssBase, slab.slabIndex);
  const off = base - start;
  if (off < 0 || off % stride !== 0) {
    return { message: `${describe(b)} is not on a block boundary of slab ${slab.slabId} (offset ${off}, stride ${stride})`, slabId: slab.slabId };
  }
  const index = off / stride;
  if (index >= slab.carved) return { message: `${describe(b)} is block ${index}, beyond carved ${slab.carved} of slab ${slab.slabId}`, slabId: slab.slabId };
  const header = ctx.view.readU8(base);
  const want = headerByteOf(config, b.sizeClass);
  if (header !== want) {
    return { message: `${describe(b)} has header 0x${header.toString(16)}, expected 0x${want.toString(16)} (magic|class ${b.sizeClass})`, slabId: slab.slabId };
  }
  return null;
}

function checkPoolBlock(ctx: StateContext, b: LiveBlock): Violation | null {
  const config = ctx.config;
  const regionBase = regionBaseOf(config, b.ptr - 1);
  if (ctx.post.regions().get(regionBase) !== 'pool') return { message: `pool ${describe(b)} is not in a mapped pool region` };
  const walk = ctx.post.poolWalk();
  const chunk = walk.chunks.find((c) => c.userPtr === b.ptr);
  if (chunk === undefined) return { message: `pool ${describe(b)} is not the user pointer of any pool chunk` };
  if (!chunk.allocated) return { message: `pool ${describe(b)} lies in a chunk the pool marks free` };
  const want = poolTagOf(config);
  if (chunk.tag !== want) return { message: `pool ${describe(b)} has tag 0x${chunk.tag.toString(16)}, expected 0x${want.toString(16)}` };
  if (ctx.post.pool().headerTag !== want) return { message: `the pool reports header tag 0x${ctx.post.pool().headerTag.toString(16)}, its layout gives 0x${want.toString(16)}` };
  return null;
}

export const header = defineInvariant({
  name: 'header',
  step(ctx) {
    const ev = ctx.event;
    // The front that served the allocation must be one the route allows.
    if (ev.kind === 'alloc') {
      if (ev.servedBy === 'stray') {
        return { message: `alloc(t${ev.thread}, ${ev.sizeBytes}) returned ${hex(ev.ptr)}, in no mapped SuperSlab or pool region` };
      }
      if (!ev.prediction.allowed.includes(ev.servedBy)) {
        return {
          message: `alloc(t${ev.thread}, ${ev.sizeBytes}) of class ${ev.prediction.sizeClass} under route ${ev.prediction.route} was served by ${ev.servedBy}; allowed: ${ev.prediction.allowed.join(', ')}`,
        };
      }
    }
    return null;
  },
  state(ctx) {
    const config = ctx.config;
    // A pool header must never be mistaken for a tiny one.
    const pool = ctx.post.pool();
    if ((pool.headerTag & ~config.classMask & 0xff) === config.headerMagic) {
      return { message: `pool header tag 0x${pool.headerTag.toString(16)} has the tiny form magic|class` };
    }
    for (const b of ctx.model.live()) {
      if (!inScope(ctx, b)) continue;
      const v = b.front === 'tiny' ? checkTinyBlock(ctx, b) : checkPoolBlock(ctx, b);
      if (v !== null) return v;
    }
    return null;
  },
});

export const usableSize = defineInvariant({
  name: 'usable-size',
  state(ctx) {
    for (const b of ctx.model.live()) {
      if (!inScope(ctx, b)) continue;
      const usable = ctx.allocator.usableSize(b.ptr);
      if (usable < b.sizeBytes) return { message: `usableSize(${describe(b)}) = ${usable} < requested ${b.sizeBytes}`, slabId: ctx.post.slabAt(b.ptr - 1)?.slabId };
      if (b.front === 'tiny' && b.sizeClass >= 0) {
        const want = (ctx.config.strides[b.sizeClass] as number) - 1;
        if (usable !== want) return { message: `usableSize(${describe(b)}) = ${usable}, class ${b.sizeClass} gives stride − 1 = ${want}`, slabId: ctx.post.slabAt(b.ptr - 1)?.slabId };
      } else {
        const chunk = ctx.post.poolWalk().allocatedByPtr.get(b.ptr);
        if (chunk !== undefined && usable !== chunk.chunkBytes - POOL_HEADER_BYTES) {
          return { message: `usableSize(${describe(b)}) = ${usable}, its chunk's payload (walked) is ${chunk.chunkBytes - POOL_HEADER_BYTES}` };
        }
      }
    }
    return null;
  },
});

/** data-integrity of one live block: its written bytes read back through the view, or null. */
export function canaryMismatch(view: AllocatorView, b: LiveBlock): Violation | null {
  const canary = b.canary;
  if (canary === null) return null;
  if (!view.isMapped(b.ptr) || !view.isMapped(b.ptr + canary.sizeBytes - 1)) {
    return { message: `${describe(b)} holds written bytes in unmapped memory` };
  }
  const pattern = canary.bytes;
  for (let off = 0; off < canary.sizeBytes; off++) {
    const want = pattern[off] as number;
    const got = view.readU8(b.ptr + off);
    if (got !== want) {
      return {
        message: `${describe(b)} byte ${off} is 0x${got.toString(16)}, written 0x${want.toString(16)} and never freed`,
        slabId: b.front === 'tiny' ? slabIdOfAddress(view.config, b.ptr - 1) : undefined,
      };
    }
  }
  return null;
}

export const dataIntegrity = defineInvariant({
  name: 'data-integrity',
  step(ctx) {
    const ev = ctx.event;
    if (ev.kind === 'check' && ev.mismatchOffset >= 0) {
      return {
        message: `readBytes(${describe(ev.block)}) byte ${ev.mismatchOffset} is 0x${ev.actualByte.toString(16)}, written 0x${ev.expectedByte.toString(16)}`,
        slabId: ctx.post.slabAt(ev.block.ptr - 1)?.slabId,
      };
    }
    return null;
  },
  state(ctx) {
    for (const b of ctx.model.live()) {
      if (b.canary === null || !inScope(ctx, b)) continue;
      const v = canaryMismatch(ctx.view, b);
      if (v !== null) return v;
    }
    return null;
  },
});

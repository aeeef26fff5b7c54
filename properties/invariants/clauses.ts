// The "other half" of invariants whose first half lives in blocks.ts, heap.ts and lifecycle.ts:
// clauses that enforce what must happen where the first check only forbade something (or the
// reverse). Each is cheap: a step clause looks at what the step touched, a state clause reuses
// the walk and snapshots the other checks already made. index.ts attaches them to their
// invariant; docs/invariants.md lists every clause with its message.

import type { CheckContext, StateContext, Violation } from '../checkContext.ts';
import { hex } from '../events.ts';
import { layoutCapacity } from './policies.ts';

/** True when the list from `head` (link at node + linkOffset) reaches `target` within `bound` nodes (a broken list is the walk's to report). */
function listReaches(ctx: CheckContext, head: number, linkOffset: number, target: number, bound: number): boolean {
  const view = ctx.view;
  let cur = head;
  for (let n = 0; cur !== 0 && n <= bound; n++) {
    if (cur === target) return true;
    if (!view.isMapped(cur + linkOffset) || !view.isMapped(cur + linkOffset + 3)) return false;
    cur = view.readU32(cur + linkOffset);
  }
  return false;
}

/**
 * no-double-allocation (must): the block handed out left every free list it could be on — its
 * slab's freelist and remote queue, the allocating thread's cache of the class — so it cannot be
 * handed out again. O(touched): three bounded walks, not the whole heap's.
 */
export function freshBlockOffLists(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'alloc' || ev.block === undefined || ev.block.front !== 'tiny' || ev.block.sizeClass < 0) return null;
  const base = ev.ptr - 1;
  const slab = ctx.post.slabAt(base);
  if (slab === undefined) return null;
  const bound = Math.max(0, slab.capacity) + 1;
  const cv = ctx.post.threads()[ev.thread]?.classes[ev.block.sizeClass];
  const tlsBound = Math.max(0, cv?.tlsCount ?? 0) + 1;
  const where = listReaches(ctx, slab.freelistHead, 1, base, bound)
    ? `the freelist of slab ${slab.slabId}`
    : listReaches(ctx, slab.remoteHead, 0, base, bound)
      ? `the remote queue of slab ${slab.slabId}`
      : cv !== undefined && listReaches(ctx, cv.tlsHead, 1, base, tlsBound)
        ? `the TLS cache of t${ev.thread}`
        : null;
  if (where === null) return null;
  return { message: `an allocated block must leave every free list: alloc(t${ev.thread}, ${ev.sizeBytes}) returned ${hex(ev.ptr)}, still on ${where}`, slabId: slab.slabId };
}

/** usable-size (must never): a pointer that is not live (just freed, or a rejected bad pointer) has no usable size. */
export function deadPointerNoUsableSize(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  let ptr = 0;
  if (ev.kind === 'free' && ev.result.ok) ptr = ev.block.ptr;
  else if (ev.kind === 'badFree' && !ev.result.ok && !ctx.model.isLive(ev.ptr)) ptr = ev.ptr;
  if (ptr === 0) return null;
  const usable = ctx.allocator.usableSize(ptr);
  if (usable === 0) return null;
  return { message: `a pointer that is not live must have no usable size: usableSize(${hex(ptr)}) = ${usable} after ${ev.kind === 'free' ? 'its free' : 'a rejected free'}`, slabId: ctx.post.slabAt(ptr - 1)?.slabId };
}

/** registry (must never): a by-class list names only SuperSlabs that hold a slot of the class (ACTIVE or EMPTY). */
export function registryListHoldsClass(ctx: StateContext): Violation | null {
  // One pass: per SuperSlab, the classes it holds a slot of (bit c).
  const classesOf = new Map<number, number>();
  for (const ss of ctx.post.superslabs()) {
    let mask = 0;
    for (const s of ss.slabs) if (s.cls >= 0 && s.cls < 31 && (s.state === 'ACTIVE' || s.state === 'EMPTY')) mask |= 1 << s.cls;
    classesOf.set(ss.base, mask);
  }
  for (let c = 0; c < ctx.view.classCount; c++) {
    for (const base of ctx.view.registryByClass(c)) {
      const mask = classesOf.get(base);
      if (mask === undefined) continue; // "not registered" is the first half's to report
      if (((mask >>> c) & 1) === 0) {
        return { message: `a by-class registry list must name only SuperSlabs with a slot of the class: the list of class ${c} names ${hex(base)}, which has none` };
      }
    }
  }
  return null;
}

/** warm-pool-valid (must): a warm-pool entry still has a block to give (SPEC §4: "slabs it owns that still have free blocks"). */
export function warmEntryHasBlock(ctx: StateContext): Violation | null {
  const walk = ctx.post.walk();
  const slabs = ctx.post.slabs();
  for (const tv of ctx.post.threads()) {
    for (let c = 0; c < tv.classes.length; c++) {
      for (const id of tv.classes[c]?.warm ?? []) {
        const s = slabs.get(id);
        if (s === undefined || s.state !== 'ACTIVE') continue; // the first half reports it
        const blocks = s.remoteCount + (walk.freelistLength.get(id) ?? 0) + Math.max(0, layoutCapacity(ctx.config, s) - s.carved);
        if (blocks === 0) return { message: `a warm-pool slab must still have a free block: slab ${id} in the warm pool of t${tv.thread} c${c} has none`, slabId: id };
      }
    }
  }
  return null;
}

/** no-leak (must): at quiescence no pool region stays mapped either (the pool unmaps a region at its last free). */
export function poolUnmappedAtQuiescence(ctx: StateContext): Violation | null {
  if (!ctx.model.quiescent()) return null;
  const pool = ctx.post.pool();
  if (pool.regions.length === 0) return null;
  return { message: `everything is freed, yet pool regions stay mapped: ${pool.regions.map((r) => hex(r.base)).join(', ')}` };
}

// Independent reads: clauses that check every lookup structure the allocation and free paths
// consult (registered flags, the live bitmap, per-SuperSlab live bytes and per-class slab counts,
// held flags, strides, delta thresholds, the Stage 2 hints) and the pool's report of its own chunks
// against what they summarise — the model, the suite's own list walks, the raw pool headers. Each
// clause belongs to the closest stable invariant and is composed onto it by `withIndependentReads`.

import type { StateContext, Violation } from '../checkContext.ts';
import { hex } from '../events.ts';
import { deltaThreshold, modelRouteOf, slabIdOfAddress, slabStartOf } from '../../model/index.ts';
import { POOL_HEADER_BYTES, POOL_MIN_CHUNK, poolReportDifference } from '../poolWalk.ts';
import type { PoolChunk, PoolWalk } from '../poolWalk.ts';
import type { HolderRole } from '../checkContext.ts';

/** lists-wellformed: the pool's chunk list tiles its regions, and the pool reports it as its bytes say. */
export function poolListClause(ctx: StateContext): Violation | null {
  const walk = ctx.post.poolWalk();
  if (walk.problems.length > 0) return { message: walk.problems[0] as string };
  const diff = poolReportDifference(walk, ctx.post.pool());
  if (diff !== null) return { message: diff };
  return poolLayoutProblem(walk, ctx.config.superslabSize);
}

/**
 * lists-wellformed: the pool's layout contract (docs/design.md, "The fallback pool"), judged on the
 * raw walk: a free merges with its free neighbours, so no two adjacent chunks are free; a region
 * left with no allocated chunk is unmapped at that free; first fit splits off every remainder that
 * can be a chunk, so an allocated chunk exceeds its request's chunk size by less than the smallest
 * chunk. Each rule is one a pool without it would break silently (fragmentation, a region leaked).
 */
function poolLayoutProblem(walk: PoolWalk, regionBytes: number): Violation | null {
  const unmappedNot = (r: number): Violation => ({ message: `pool region ${hex(r)} holds no allocated chunk but is still mapped (a free that empties a region unmaps it)` });
  let region = -1;
  let regionHasAllocated = true;
  let previousFree: PoolChunk | null = null;
  for (const c of walk.chunks) {
    const base = c.chunk - (c.chunk % regionBytes);
    if (base !== region) {
      if (!regionHasAllocated) return unmappedNot(region);
      region = base;
      regionHasAllocated = false;
      previousFree = null;
    }
    if (c.allocated) {
      regionHasAllocated = true;
      previousFree = null;
      const need = Math.max(POOL_MIN_CHUNK, Math.ceil((c.requestedBytes + POOL_HEADER_BYTES) / 8) * 8);
      if (c.chunkBytes - need >= POOL_MIN_CHUNK) {
        return { message: `pool chunk ${hex(c.chunk)} of ${c.chunkBytes} B holds a request of ${c.requestedBytes} B (a ${need} B chunk): the ${c.chunkBytes - need} B remainder was not split off` };
      }
    } else {
      if (previousFree !== null) return { message: `pool chunks ${hex(previousFree.chunk)} and ${hex(c.chunk)} are adjacent and both free (a free merges its free neighbours)` };
      previousFree = c;
    }
  }
  if (!regionHasAllocated) return unmappedNot(region);
  return null;
}

/** lists-wellformed: the stride and shift the free path divides by are the bound class's. */
export function strideClause(ctx: StateContext): Violation | null {
  const strides = ctx.config.strides;
  for (const s of ctx.post.slabs().values()) {
    if (s.cls < 0) {
      if (s.state !== 'UNUSED') return { message: `${s.state} slab ${s.slabId} has no class`, slabId: s.slabId };
      continue;
    }
    const stride = strides[s.cls] as number;
    const shift = (stride & (stride - 1)) === 0 ? 31 - Math.clz32(stride) : -1;
    if (s.stride !== stride || s.strideShift !== shift) {
      return { message: `slab ${s.slabId} of class ${s.cls} records stride ${s.stride} (shift ${s.strideShift}), the class has ${stride} (shift ${shift})`, slabId: s.slabId };
    }
  }
  return null;
}

/**
 * census: the live bitmap of every ACTIVE slab marks exactly the model's live blocks of it, and each
 * SuperSlab's live bytes are the strides of the model's live blocks in it.
 */
export function liveLookupClause(ctx: StateContext): Violation | null {
  const config = ctx.config;
  const liveBySlab = new Map<number, Set<number>>();
  const bytesBySs = new Map<number, number>();
  for (const b of ctx.model.live()) {
    if (b.front !== 'tiny' || b.sizeClass < 0) continue;
    const id = slabIdOfAddress(config, b.ptr - 1);
    let set = liveBySlab.get(id);
    if (set === undefined) liveBySlab.set(id, (set = new Set<number>()));
    set.add(b.ptr - 1);
    const ssBase = b.ptr - 1 - ((b.ptr - 1) % config.superslabSize);
    bytesBySs.set(ssBase, (bytesBySs.get(ssBase) ?? 0) + (config.strides[b.sizeClass] as number));
  }
  for (const ss of ctx.post.superslabs()) {
    const want = bytesBySs.get(ss.base) ?? 0;
    if (ss.liveBytes !== want) return { message: `SuperSlab ${hex(ss.base)} records ${ss.liveBytes} live bytes, the model's live blocks in it take ${want}` };
    for (const s of ss.slabs) {
      // The free path consults the bitmap of ACTIVE slabs only (binding clears it). An incremental
      // step reads the bitmaps of the slabs it could have changed (ctx.scope), the whole check all.
      if (s.state !== 'ACTIVE' || (ctx.scope !== null && !ctx.scope.slabs.has(s.slabId))) continue;
      const v = bitmapDifference(ctx, s.slabId, s.ssBase, s.slabIndex, s.cls, liveBySlab.get(s.slabId));
      if (v !== null) return v;
    }
  }
  return null;
}

function bitmapDifference(ctx: StateContext, slabId: number, ssBase: number, slabIndex: number, cls: number, live: ReadonlySet<number> | undefined): Violation | null {
  const config = ctx.config;
  const stride = config.strides[cls] as number;
  const start = slabStartOf(config, ssBase, slabIndex);
  const words = ctx.view.liveBitmap(slabId);
  let marked = 0;
  for (let w = 0; w < words.length; w++) {
    let word = (words[w] as number) >>> 0;
    while (word !== 0) {
      const bit = 31 - Math.clz32(word & -word);
      word = (word & (word - 1)) >>> 0;
      const base = start + (w * 32 + bit) * stride;
      marked++;
      if (live === undefined || !live.has(base)) {
        return { message: `the live bitmap of slab ${slabId} marks block ${w * 32 + bit} (${hex(base + 1)}) live, the model does not hold it`, slabId };
      }
    }
  }
  const want = live?.size ?? 0;
  if (marked !== want) return { message: `the live bitmap of slab ${slabId} marks ${marked} blocks live, the model holds ${want} in it`, slabId };
  return null;
}

/**
 * registry: each SuperSlab's registered flag (what the free path tests) agrees with the registry
 * list; its per-class slab counts are its slabs bound to each class, and a SuperSlab is on a class's
 * registry list exactly when it has a slab bound to that class; no Stage 2 hint names a parked one.
 */
export function registryLookupClause(ctx: StateContext): Violation | null {
  const view = ctx.view;
  const registered = new Set(view.registry());
  const lists = new Array<Set<number>>(view.classCount);
  for (let c = 0; c < view.classCount; c++) lists[c] = new Set(view.registryByClass(c));
  const boundTo = new Array<number>(view.classCount);
  for (const ss of ctx.post.superslabs()) {
    if (ss.registered !== registered.has(ss.base)) {
      return { message: `SuperSlab ${hex(ss.base)} has its registered flag ${ss.registered ? 'set' : 'clear'}, but the registry list ${registered.has(ss.base) ? 'holds' : 'lacks'} it` };
    }
    boundTo.fill(0);
    for (const s of ss.slabs) if (s.cls >= 0 && s.cls < view.classCount && s.state !== 'UNUSED') boundTo[s.cls]++;
    for (let c = 0; c < view.classCount; c++) {
      const bound = boundTo[c] as number;
      if ((ss.classSlabs[c] ?? 0) !== bound) {
        return { message: `SuperSlab ${hex(ss.base)} counts ${ss.classSlabs[c] ?? 0} slabs bound to class ${c}, ${bound} are` };
      }
      if ((bound > 0) !== (lists[c] as Set<number>).has(ss.base)) {
        return { message: `SuperSlab ${hex(ss.base)} has ${bound} slabs bound to class ${c} but is ${bound > 0 ? 'not ' : ''}on the class's registry list` };
      }
    }
  }
  const parked = new Set<number>();
  for (const ss of ctx.post.superslabs()) if (ss.inReserve) parked.add(ss.base);
  for (let c = 0; c < view.classCount; c++) {
    const hint = view.classHint(c);
    if (hint !== 0 && parked.has(hint)) return { message: `Stage 2 hint of class ${c} points at ${hex(hint)}, parked in the reserve` };
  }
  return null;
}

const ROLE_HELD: Readonly<Record<HolderRole, string>> = { current: 'current', warm: 'warm', page: 'page' };

/** warm-pool-valid: each slab's held flag is how its owner holds it (current slab, warm pool, page), 'none' otherwise. */
export function heldFlagClause(ctx: StateContext): Violation | null {
  const holders = ctx.post.holders();
  for (const s of ctx.post.slabs().values()) {
    let want = 'none';
    if (s.state === 'ACTIVE' && s.owner >= 0) {
      const h = holders.get(s.slabId)?.find((x) => x.thread === s.owner && x.cls === s.cls);
      if (h !== undefined) want = ROLE_HELD[h.role];
    }
    if (s.held !== want) {
      return { message: `slab ${s.slabId} (${s.state}, owner ${s.owner}) records held '${s.held}', its owner's structures say '${want}'`, slabId: s.slabId };
    }
  }
  return null;
}

/** header: the class → route table the allocation path consults is the one the model's route profile gives. */
export function routeTableClause(ctx: StateContext): Violation | null {
  const profile = ctx.model.routeProfile();
  if (ctx.view.routeProfile() !== profile) return { message: `the route profile is ${ctx.view.routeProfile()}, it was last set to ${profile}` };
  const routes = ctx.view.routes();
  const classes = ctx.config.strides.length;
  if (routes.length !== classes) return { message: `the route table has ${routes.length} entries for ${classes} classes` };
  for (let c = 0; c < classes; c++) {
    const want = modelRouteOf(profile, c, classes);
    if (routes[c] !== want) return { message: `the route table sends class ${c} ${routes[c]}, profile ${profile} says ${want}` };
  }
  return null;
}

/** delta-zero: each bound slab's flush threshold is the one its capacity gives. */
export function deltaThresholdClause(ctx: StateContext): Violation | null {
  for (const s of ctx.post.slabs().values()) {
    if (s.cls < 0) continue;
    const want = deltaThreshold(ctx.config, s.capacity);
    if (s.deltaThreshold !== want) return { message: `slab ${s.slabId} records delta threshold ${s.deltaThreshold}, its capacity ${s.capacity} gives ${want}`, slabId: s.slabId };
  }
  return null;
}

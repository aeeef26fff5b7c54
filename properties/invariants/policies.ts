// Policies (SPEC §5): where the SPEC prescribes an order or a rule, the step must have followed it.
// Each clause predicts, from the pre-step state the suite walked (plain view snapshots and its own
// freelist walk, never the implementation's summaries of what it will do), which source must serve
// the step, and compares with where the block came from. They are step clauses of the closest
// stable invariant (SPEC §7 names do not change; docs/invariants.md gives the mapping):
//   refill order (current slab, then the warm pool top down; within a slab the remote queue, then
//     the freelist, then carving, refillBatch blocks) and the TinyHeap page order  → no-premature-failure
//   acquisition stage order (0, 0.5, 1 own class, 1 any class, 2, 3); a held slab
//     is released only when its owner lets go                                        → empty-recycled
//   a free goes where its slab's owner dictates; an over-cap cache drains half;
//     drain / flush / threadExit empty the remote queues and caches, publish orphans → lists-wellformed
//   flush / threadExit let go of every held slab                                     → warm-pool-valid
// A clause judges only what the pre-step state decides: when it predicts that the first attempt
// cannot be served (the reclaim-and-retry path), it leaves the step to no-premature-failure.

import type { AllocatorConfig, SlabView, ThreadClassView } from '../../impl/index.ts';
import type { CheckContext, PolicySnapshot, Violation } from '../checkContext.ts';
import { hex } from '../events.ts';
import { isTinyHeapClass, slabIdOfAddress } from '../../model/index.ts';

/** Capacity of a slab bound to its class, from the layout the config dictates (not the slab's own field). */
export function layoutCapacity(config: AllocatorConfig, s: SlabView): number {
  if (s.cls < 0 || s.cls >= config.strides.length) return 0;
  const usable = config.slabSize - (s.slabIndex === 0 ? config.ssHeaderBytes : 0);
  return Math.floor(usable / (config.strides[s.cls] as number));
}

/** Blocks a slab can give: its remote queue, its walked freelist, its uncarved room. */
function blocksToGive(p: PolicySnapshot, s: SlabView): number {
  return s.remoteCount + (p.freelistLength.get(s.slabId) ?? 0) + Math.max(0, layoutCapacity(p.config, s) - s.carved);
}

/** The alloc step a refill policy judges: a fresh tiny block of a tiny class, and the pre-step view. */
interface AllocJudgement {
  readonly p: PolicySnapshot;
  readonly c: number;
  readonly t: number;
  readonly base: number;
  readonly served: SlabView;
  readonly cv: ThreadClassView;
  readonly what: string;
}

function allocJudgement(ctx: CheckContext): AllocJudgement | null {
  const ev = ctx.event;
  const p = ctx.pre.policy;
  if (ev.kind !== 'alloc' || ev.servedBy !== 'tiny' || ev.duplicateOf !== undefined || ev.block === undefined || p === undefined) return null;
  const c = ev.prediction.sizeClass;
  const cv = p.threads[ev.thread]?.classes[c];
  const served = ctx.post.slabAt(ev.ptr - 1);
  if (c < 0 || cv === undefined || served === undefined) return null;
  return { p, c, t: ev.thread, base: ev.ptr - 1, served, cv, what: `alloc(t${ev.thread}, ${ev.sizeBytes}) returned ${hex(ev.ptr)} of slab ${served.slabId}` };
}

/** Refill from one slab: remote queue drained, then the freelist, then carving; refillBatch blocks into the cache. */
function refillWithin(ctx: CheckContext, j: AllocJudgement, pre: { carved: number; remote: number; freelist: number }): Violation | null {
  const post = ctx.post.slabs().get(j.served.slabId);
  const want = Math.min(ctx.config.refillBatch, ctx.config.tlsCap[j.c] as number);
  if (post === undefined || post.state !== 'ACTIVE' || post.cls !== j.c || want <= 0) return null;
  const fromLists = Math.min(want, pre.remote + pre.freelist);
  const carvedNew = Math.min(want - fromLists, Math.max(0, layoutCapacity(ctx.config, post) - pre.carved));
  const id = j.served.slabId;
  if (pre.remote > 0 && post.remoteCount !== 0) {
    return { message: `refill must drain the current slab's remote queue first: ${j.what}, whose remote queue still holds ${post.remoteCount} of ${pre.remote}`, slabId: id };
  }
  if (post.carved !== pre.carved + carvedNew) {
    return {
      message: `refill must take the remote queue and the freelist before carving: ${j.what}, carved ${pre.carved} -> ${post.carved}, expected ${pre.carved + carvedNew} (remote ${pre.remote}, freelist ${pre.freelist}, batch ${want})`,
      slabId: id,
    };
  }
  const cached = ctx.post.threads()[j.t]?.classes[j.c]?.tlsCount ?? 0;
  if (cached !== fromLists + carvedNew - 1) {
    return { message: `refill must move min(refillBatch, cache room) blocks: ${j.what}, the cache of t${j.t} c${j.c} then holds ${cached}, expected ${fromLists + carvedNew - 1}`, slabId: id };
  }
  return null;
}

/** TLS front: a hit pops the head; a miss refills from the current slab, then the warm pool top down. */
function tlsRefillOrder(ctx: CheckContext, j: AllocJudgement): Violation | null {
  const { p, cv } = j;
  if (cv.tlsCount > 0) {
    if (j.base !== cv.tlsHead) return { message: `a thread-cache hit must pop the cache head: ${j.what}, the cache of t${j.t} c${j.c} began at ${hex(cv.tlsHead)}`, slabId: j.served.slabId };
    return null;
  }
  const candidates = [cv.current, ...[...cv.warm].reverse()];
  for (const id of candidates) {
    const s = id >= 0 ? p.slabs.get(id) : undefined;
    if (s === undefined || s.state !== 'ACTIVE' || s.cls !== j.c) continue;
    const n = blocksToGive(p, s);
    if (n === 0) continue;
    if (j.served.slabId !== id) {
      const role = id === cv.current ? 'the current slab' : 'the top slab of the warm pool with blocks';
      return { message: `refill must serve from the current slab, then the warm pool, before acquiring: ${j.what}, but ${role} ${id} had ${n} blocks to give`, slabId: id };
    }
    return refillWithin(ctx, j, { carved: s.carved, remote: s.remoteCount, freelist: p.freelistLength.get(id) ?? 0 });
  }
  // Nothing of its own: the first attempt acquires (when the pre-step state says it can), then refills from that slab.
  if (firstAvailableStage(ctx, p, j.c) < 0) return null;
  const stage = stageOfServed(ctx, p, j);
  if (stage < 0) return null;
  const adopted = stage === 0 ? p.slabs.get(j.served.slabId) : undefined;
  const from = adopted === undefined ? { carved: 0, remote: 0, freelist: 0 } : { carved: adopted.carved, remote: adopted.remoteCount, freelist: p.freelistLength.get(adopted.slabId) ?? 0 };
  return refillWithin(ctx, j, from);
}

/** TinyHeap front: the current page (freelist before carving), then a held page with blocks, before acquiring. */
function pageOrder(ctx: CheckContext, j: AllocJudgement): Violation | null {
  const { p, cv } = j;
  const cur = cv.pages.current >= 0 ? p.slabs.get(cv.pages.current) : undefined;
  if (cur !== undefined && cur.state === 'ACTIVE' && blocksToGive(p, cur) > 0) {
    if (j.served.slabId !== cur.slabId) {
      return { message: `a TinyHeap allocation must serve from its current page while it has blocks: ${j.what}, but page ${cur.slabId} had ${blocksToGive(p, cur)}`, slabId: cur.slabId };
    }
    const post = ctx.post.slabs().get(cur.slabId);
    if ((p.freelistLength.get(cur.slabId) ?? 0) > 0 && post !== undefined && post.carved !== cur.carved) {
      return { message: `a TinyHeap allocation must take the page freelist before carving: ${j.what}, carved ${cur.carved} -> ${post.carved}`, slabId: cur.slabId };
    }
    return null;
  }
  const held = [...cv.pages.partial, ...cv.pages.full].map((id) => p.slabs.get(id)).filter((s): s is SlabView => s !== undefined && s.state === 'ACTIVE' && blocksToGive(p, s) > 0);
  if (held.length > 0 && !held.some((s) => s.slabId === j.served.slabId)) {
    return { message: `a TinyHeap allocation must take a held page with blocks before acquiring: ${j.what}, but page ${held[0]?.slabId} had blocks`, slabId: held[0]?.slabId };
  }
  return null;
}

/** Refill order (SPEC §5.1, §5.2), a step clause of no-premature-failure. */
export function refillOrder(ctx: CheckContext): Violation | null {
  const j = allocJudgement(ctx);
  if (j === null) return null;
  return isTinyHeapClass(ctx.config, j.c) ? pageOrder(ctx, j) : tlsRefillOrder(ctx, j);
}

// --- acquisition ---------------------------------------------------------------------------------

const STAGE_NAMES = ['stage 0 (an orphan of the class)', 'stage 0.5 (an EMPTY slot in the scanned SuperSlabs)', "stage 1 (the class's EMPTY list)", 'stage 1 (another class’s EMPTY list)', 'stage 2 (an UNUSED slot of a HOT SuperSlab)', 'stage 3 (a new or reserve SuperSlab)'] as const;

/** True when the pre-step state says the thread's own sources had nothing, so the first attempt acquires. */
function mustAcquire(ctx: CheckContext, j: AllocJudgement): boolean {
  const { p, cv } = j;
  const gives = (id: number): boolean => {
    const s = id >= 0 ? p.slabs.get(id) : undefined;
    return s !== undefined && s.state === 'ACTIVE' && blocksToGive(p, s) > 0;
  };
  if (isTinyHeapClass(ctx.config, j.c)) return ![cv.pages.current, ...cv.pages.partial, ...cv.pages.full].some(gives);
  return cv.tlsCount === 0 && ![cv.current, ...cv.warm].some(gives);
}

/** The first stage (rank into STAGE_NAMES) that the pre-step state says can give class c a slot, or -1. */
function firstAvailableStage(ctx: CheckContext, p: PolicySnapshot, c: number): number {
  for (const id of p.orphans[c] ?? []) {
    const s = p.slabs.get(id);
    if (s !== undefined && s.state === 'ACTIVE' && s.owner === -1 && s.cls === c && blocksToGive(p, s) > 0) return 0;
  }
  if ((ctx.pre.activeCounted[c] as number) >= (ctx.pre.softCaps[c] as number)) return -1;
  const hot = (ssBase: number): boolean => {
    const ss = ctx.pre.superslabs.get(ssBase);
    return ss !== undefined && ss.tier === 'HOT' && !ss.inReserve;
  };
  const scanned = (p.registryByClass[c] ?? []).slice(0, ctx.config.emptyScanLimit);
  for (const ssBase of scanned) {
    const ss = ctx.pre.superslabs.get(ssBase);
    if (ss !== undefined && hot(ssBase) && ss.slabStates.some((st, i) => st === 'EMPTY' && ss.slabClasses[i] === c)) return 1;
  }
  let rank = -1;
  for (const [ssBase, ss] of ctx.pre.superslabs) {
    if (!hot(ssBase)) continue;
    for (let i = 0; i < ss.slabStates.length; i++) {
      const st = ss.slabStates[i];
      const r = st === 'EMPTY' ? (ss.slabClasses[i] === c ? 2 : 3) : st === 'UNUSED' && p.registered.has(ssBase) ? 4 : -1;
      if (r >= 0 && (rank < 0 || r < rank)) rank = r;
    }
    if (rank === 2) return 2;
  }
  if (rank >= 0) return rank;
  return p.reserveLength > 0 || p.registered.size < ctx.config.registryCapacity ? 5 : -1;
}

/** Which stage gave the served slab, judged from its pre-step state; -1 for one the thread owned already. */
function stageOfServed(ctx: CheckContext, p: PolicySnapshot, j: AllocJudgement): number {
  const ssBefore = ctx.pre.superslabs.get(j.served.ssBase);
  const ssAfter = ctx.post.superslabs().find((ss) => ss.base === j.served.ssBase);
  if (ssBefore === undefined || ssBefore.inReserve || ssAfter === undefined || ssAfter.mapGeneration !== ssBefore.mapGeneration) return 5;
  const s = p.slabs.get(j.served.slabId);
  if (s === undefined) return 5;
  if (s.state === 'ACTIVE') return s.owner === -1 && s.cls === j.c ? 0 : -1;
  if (s.state === 'UNUSED') return 4;
  if (s.cls !== j.c) return 3;
  const scanned = (p.registryByClass[j.c] ?? []).slice(0, ctx.config.emptyScanLimit);
  return scanned.includes(j.served.ssBase) ? 1 : 2;
}

/** Acquisition stage order (SPEC §5 shared pool), a step clause of empty-recycled. */
export function acquisitionOrder(ctx: CheckContext): Violation | null {
  const j = allocJudgement(ctx);
  if (j === null || !mustAcquire(ctx, j)) return null;
  const first = firstAvailableStage(ctx, j.p, j.c);
  if (first < 0) return null; // the first attempt fails: reclaim and retry, judged by no-premature-failure
  const got = stageOfServed(ctx, j.p, j);
  // An EMPTY slot of c in a scanned SuperSlab could also come from Stage 1's pop: the per-stage hit
  // counter (SPEC §5: "Per-stage hit counters are kept") tells whether the scan ran and gave it.
  if (first === 1 && got === 1 && ctx.post.stats().stages.stage0_5 <= ctx.pre.stats.stages.stage0_5) {
    return { message: `acquisition must take the first stage that can give a slot: ${j.what} from an EMPTY slot Stage 0.5's scan could give, but stats().stages.stage0_5 did not move (the scan was skipped)`, slabId: j.served.slabId };
  }
  // A slab the thread owned already, unheld (set aside: the current slab, the warm pool, the pages
  // and the cache had nothing): the first attempt acquires from the shared pool (SPEC §5.1: set
  // aside, then the warm pool, then acquire); only the retry after a failed attempt looks at the
  // thread's own slabs. The stage that could give a slot says the first attempt did not fail,
  // unless the OS refused a map on the way (Stage 3 refused: the retry is legitimate).
  if (got < 0) {
    if (first === 5 && ctx.post.stats().osRefusals > ctx.pre.stats.osRefusals) return null;
    return {
      message: `acquisition must come from the shared pool: ${j.what}, a slab thread t${j.t} had set aside, but ${STAGE_NAMES[first]} could give a slot (only the retry after a failed attempt scans the thread's own slabs)`,
      slabId: j.served.slabId,
    };
  }
  if (got <= first) return null; // an earlier stage than allowed is soft-cap's or tier-release's to judge
  return {
    message: `acquisition must take the first stage that can give a slot: ${j.what} from ${STAGE_NAMES[got]}, but ${STAGE_NAMES[first]} could give one`,
    slabId: j.served.slabId,
  };
}

// --- frees ---------------------------------------------------------------------------------------

interface FreeJudgement {
  readonly p: PolicySnapshot;
  readonly base: number;
  readonly cls: number;
  readonly t: number;
  readonly owner: number;
  readonly slabId: number;
}

function freeJudgement(ctx: CheckContext): FreeJudgement | null {
  const ev = ctx.event;
  const p = ctx.pre.policy;
  if (ev.kind !== 'free' || !ev.result.ok || ev.block.front !== 'tiny' || ev.block.sizeClass < 0 || p === undefined) return null;
  const base = ev.block.ptr - 1;
  const slab = p.slabs.get(slabIdOfAddress(ctx.config, base));
  if (slab === undefined || slab.state !== 'ACTIVE') return null;
  return { p, base, cls: ev.block.sizeClass, t: ev.thread, owner: slab.owner, slabId: slab.slabId };
}

/** An owner's free pushes on its cache; a cache over its cap drains half of itself (SPEC §5 Free), a step clause of lists-wellformed. */
export function tlsOverflowHalf(ctx: CheckContext): Violation | null {
  const f = freeJudgement(ctx);
  if (f === null || f.owner !== f.t || isTinyHeapClass(ctx.config, f.cls)) return null;
  const before = f.p.threads[f.t]?.classes[f.cls]?.tlsCount ?? 0;
  const after = ctx.post.threads()[f.t]?.classes[f.cls]?.tlsCount ?? 0;
  const pushed = before + 1;
  const cap = ctx.config.tlsCap[f.cls] as number;
  const expected = pushed > cap ? pushed - (pushed >>> 1) : pushed;
  if (after === expected) return null;
  if (pushed > cap) {
    return { message: `a thread cache over its cap must drain half of itself: the cache of t${f.t} c${f.cls} went ${before} -> ${after} at a free, expected ${expected} (cap ${cap})`, slabId: f.slabId };
  }
  return { message: `an owner's free must push the block on its thread cache: the cache of t${f.t} c${f.cls} went ${before} -> ${after} at a free (cap ${cap})`, slabId: f.slabId };
}

/**
 * A free pushes the block where its slab's owner dictates (SPEC §5 Free): on the owner's cache
 * (or, TinyHeap, its page freelist), on the remote queue for another thread, on the freelist for
 * an orphan. A push puts it at the head: O(1), judged from the heads the view reports.
 */
export function freeRouting(ctx: CheckContext): Violation | null {
  const f = freeJudgement(ctx);
  if (f === null) return null;
  const post = ctx.post.slabs().get(f.slabId);
  const pre = f.p.slabs.get(f.slabId);
  if (post === undefined || pre === undefined || !sameIncarnation(pre, post)) return null; // released by the free
  let expected: 'tls' | 'freelist' | 'remote';
  let head: number;
  if (f.owner === f.t && !isTinyHeapClass(ctx.config, f.cls)) {
    const before = f.p.threads[f.t]?.classes[f.cls]?.tlsCount ?? 0;
    if (before + 1 > (ctx.config.tlsCap[f.cls] as number)) return null; // the overflow drain moved it: tlsOverflowHalf judges
    expected = 'tls';
    head = ctx.post.threads()[f.t]?.classes[f.cls]?.tlsHead ?? 0;
  } else if (f.owner === f.t || f.owner === -1) {
    expected = 'freelist';
    head = post.freelistHead;
  } else {
    expected = 'remote';
    head = post.remoteHead;
  }
  if (head === f.base) return null;
  const want = expected === 'tls' ? `the cache of t${f.t}` : `the ${expected} of slab ${f.slabId}`;
  return { message: `a free must put the block where its slab's owner dictates: t${f.t} freed ${hex(f.base + 1)} of slab ${f.slabId} (owner ${f.owner}), which is not at the head of ${want}`, slabId: f.slabId };
}

// --- releases of held slabs, and what drain / flush / threadExit must leave -----------------------

/** The same slab incarnation before and after the step (not released, nor released and rebound). */
function sameIncarnation(pre: SlabView, post: SlabView | undefined): boolean {
  return post !== undefined && post.state === 'ACTIVE' && pre.state === 'ACTIVE' && post.cls === pre.cls && post.carved >= pre.carved;
}

/**
 * A slab its owner holds as its current slab, a warm-pool entry or its current TinyHeap page is
 * released only when the owner lets go of it (flush, threadExit): SPEC §5 Release, "and its owner
 * does not hold it". A step clause of empty-recycled.
 */
export function heldNotReleased(ctx: CheckContext): Violation | null {
  const p = ctx.pre.policy;
  if (p === undefined) return null;
  const ev = ctx.event;
  const post = ctx.post.slabs();
  const released = (id: number, t: number): boolean => {
    const before = id >= 0 ? p.slabs.get(id) : undefined;
    return before !== undefined && before.state === 'ACTIVE' && before.owner === t && !sameIncarnation(before, post.get(id));
  };
  for (const tv of p.threads) {
    if ((ev.kind === 'flush' || ev.kind === 'threadExit') && ev.thread === tv.thread) continue;
    for (let c = 0; c < tv.classes.length; c++) {
      const cv = tv.classes[c] as ThreadClassView;
      let id = -1;
      let role = '';
      if (released(cv.current, tv.thread)) [id, role] = [cv.current, 'current slab'];
      else if (released(cv.pages.current, tv.thread)) [id, role] = [cv.pages.current, 'current page'];
      else for (const w of cv.warm) if (id < 0 && released(w, tv.thread)) [id, role] = [w, 'warm-pool slab'];
      if (id >= 0) return { message: `a slab its owner holds must not be released: slab ${id}, the ${role} of t${tv.thread} c${c}, was released by ${ctx.command.kind}`, slabId: id };
    }
  }
  return null;
}

/** drain(t,c) empties the remote queues of t's slabs of c; flush(t) and threadExit(t) those of all t's slabs and t's caches (SPEC §4). A step clause of lists-wellformed. */
export function drainFlushExitEffects(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'drain' && ev.kind !== 'flush' && ev.kind !== 'threadExit') return null;
  const t = ev.thread;
  const what = ev.kind === 'drain' ? `drain(t${t}, ${ev.cls})` : `${ev.kind}(t${t})`;
  for (const s of ctx.post.slabs().values()) {
    if (s.state !== 'ACTIVE' || (ev.kind === 'drain' && s.cls !== ev.cls)) continue;
    if (s.owner === t && s.remoteCount > 0) return { message: `${what} must empty the remote queues of its slabs: slab ${s.slabId} still holds ${s.remoteCount}`, slabId: s.slabId };
    if (ev.kind === 'threadExit' && s.owner === t) return { message: `threadExit(t${t}) must publish its slabs as orphans: slab ${s.slabId} is still owned by t${t}`, slabId: s.slabId };
  }
  if (ev.kind === 'drain') return null;
  const tv = ctx.post.threads()[t];
  const cached = tv?.classes.findIndex((cv) => cv.tlsCount > 0 || cv.tlsHead !== 0) ?? -1;
  if (cached >= 0) return { message: `${what} must return every cached block: the cache of t${t} c${cached} still holds ${tv?.classes[cached]?.tlsCount}` };
  return null;
}

/** flush(t) and threadExit(t) let go of the current slabs, warm pools and pages (SPEC §4). A step clause of warm-pool-valid. */
export function flushLetsGo(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'flush' && ev.kind !== 'threadExit') return null;
  const tv = ctx.post.threads()[ev.thread];
  for (let c = 0; c < (tv?.classes.length ?? 0); c++) {
    const cv = tv?.classes[c];
    if (cv === undefined) continue;
    const held = [cv.current, ...cv.warm, cv.pages.current, ...cv.pages.partial, ...cv.pages.full].filter((id) => id >= 0);
    if (held.length > 0) return { message: `${ev.kind}(t${ev.thread}) must let go of every held slab: t${ev.thread} c${c} still holds ${held.join(', ')}`, slabId: held[0] };
  }
  return null;
}

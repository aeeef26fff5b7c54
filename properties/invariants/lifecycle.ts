// Invariants about the life cycle of slots and SuperSlabs: failures only when nothing could be
// given, batched deltas bounded and flushed, tiers and releases, no leak at quiescence, and bad
// frees rejected without a trace.

import type { CheckContext, SuperSlabSnapshot, Violation } from '../checkContext.ts';
import type { SuperSlabView } from '../../impl/index.ts';
import { defineInvariant, hotThresholdBytes } from '../checkContext.ts';
import { digestDifference } from '../digest.ts';
import { osRefusal, reserveHeldAtLimit } from './refusal.ts';
import { hex } from '../events.ts';
import { deltaThreshold, regionBaseOf, slabIdOfAddress } from '../../model/index.ts';
import { POOL_HEADER_BYTES } from '../poolWalk.ts';
import { attachDeltaViolation } from './attachDelta.ts';

/**
 * A pool allocation fails only when its budget is spent (SPEC §6): judged conservatively, whatever
 * the pool's own rounding — with room for another whole region under the budget, a request of at
 * most half a region must succeed, and so must one that a free chunk holds with room to spare.
 * Regions and chunks come from the suite's own walk of the pool's raw headers.
 */
function prematurePoolFailure(ctx: CheckContext, sizeBytes: number): string | null {
  const walk = ctx.post.poolWalk();
  const regionBytes = ctx.config.superslabSize;
  const mappedBytes = walk.regions.length * regionBytes;
  const budgetBytes = ctx.config.poolBytes;
  const need = sizeBytes + POOL_HEADER_BYTES;
  // A region the OS refused to map is no room (SPEC §2); a reserve held at the OS limit is.
  if (mappedBytes + regionBytes <= budgetBytes && need <= regionBytes / 2) {
    const held = reserveHeldAtLimit(ctx);
    if (held !== null) return `the pool failed a ${sizeBytes}-byte request with budget left although ${held}`;
    if (osRefusal(ctx) === null) return `the pool failed a ${sizeBytes}-byte request with ${mappedBytes} of ${budgetBytes} budget bytes mapped`;
  }
  const roomy = walk.chunks.find((b) => !b.allocated && b.chunkBytes >= need + 2 * POOL_HEADER_BYTES + 8);
  if (roomy !== undefined) return `the pool failed a ${sizeBytes}-byte request although free chunk ${hex(roomy.chunk)} holds ${roomy.chunkBytes} bytes`;
  return null;
}

/** Whether the model's rules allowed no slot for class c: cap reached, or no HOT slot and the registry full. */
function slotRefused(ctx: CheckContext, c: number, what: string): Violation | null {
  const counted = ctx.post.activeCounted()[c] as number;
  const cap = ctx.model.softCap(c);
  if (counted >= cap) return null;
  const superslabs = ctx.post.superslabs();
  for (const ss of superslabs) {
    if (ss.tier !== 'HOT' || ss.inReserve) continue;
    const free = ss.slabs.find((s) => s.state === 'EMPTY' || s.state === 'UNUSED');
    if (free !== undefined) {
      return { message: `${what} although class ${c} is under its cap (${counted} < ${cap}) and HOT SuperSlab ${hex(ss.base)} has ${free.state} slot ${free.slabId}`, slabId: free.slabId };
    }
  }
  // Registry room, counted from the mapped SuperSlab regions and the parked ones the suite sees.
  let mapped = 0;
  for (const kind of ctx.post.regions().values()) if (kind === 'superslab') mapped++;
  const parked = superslabs.filter((ss) => ss.inReserve).length;
  // Stage 3 had no room: the registry full, or the OS refused the map (SPEC §2); the reserve empty either way.
  const refused = osRefusal(ctx);
  if ((mapped < ctx.config.registryCapacity && refused === null) || parked > 0) {
    return { message: `${what} although class ${c} is under its cap (${counted} < ${cap}) and the registry has room (${mapped}/${ctx.config.registryCapacity} SuperSlabs mapped, ${parked} parked${refused === null ? ', no map refused as the commands allow' : ''})` };
  }
  return null;
}

/**
 * Free blocks the suite itself finds for class c: per slab, blocks walked on its freelist and remote
 * queue, and uncarved room = the layout's capacity − (the model's live blocks in it + the blocks
 * the walks placed); per thread, blocks walked in its cache. The slab's own counters are not read.
 */
function ownFreeBlocks(ctx: CheckContext, c: number, t: number, what: string): Violation | null {
  const config = ctx.config;
  const walk = ctx.post.walk();
  const liveIn = new Map<number, number>();
  for (const b of ctx.model.live()) {
    if (b.front !== 'tiny' || b.sizeClass !== c) continue;
    const id = slabIdOfAddress(config, b.ptr - 1);
    liveIn.set(id, (liveIn.get(id) ?? 0) + 1);
  }
  const stride = config.strides[c] as number;
  for (const s of ctx.post.slabs().values()) {
    if (s.state !== 'ACTIVE' || s.cls !== c || (s.owner !== -1 && s.owner !== t)) continue;
    const usable = s.slabIndex === 0 ? config.slabSize - config.ssHeaderBytes : config.slabSize;
    const uncarved = Math.floor(usable / stride) - (liveIn.get(s.slabId) ?? 0) - (walk.placedInSlab.get(s.slabId) ?? 0);
    const onFreelist = walk.freelistLength.get(s.slabId) ?? 0;
    const remote = walk.remoteLength.get(s.slabId) ?? 0;
    const found = `${onFreelist} on its freelist, ${uncarved} never carved, ${remote} on its remote queue (walked)`;
    if (s.owner === -1 && (onFreelist > 0 || uncarved > 0)) return { message: `${what} although orphan slab ${s.slabId} has free blocks: ${found}`, slabId: s.slabId };
    if (s.owner === t && (onFreelist > 0 || uncarved > 0 || remote > 0)) return { message: `${what} although its own slab ${s.slabId} holds free blocks: ${found}`, slabId: s.slabId };
  }
  const cached = walk.tlsLength[t * ctx.view.classCount + c] ?? 0;
  if (cached > 0) return { message: `${what} although its TLS cache of class ${c} holds ${cached} blocks (walked)` };
  return null;
}

export const noPrematureFailure = defineInvariant({
  name: 'no-premature-failure',
  step(ctx) {
    const ev = ctx.event;
    if (ev.kind !== 'alloc') return null;
    // The pool was asked (its own sizes and routes, or a TINY_FIRST fallback) and returned nothing.
    if (ev.servedBy === 'failed' && ev.prediction.route !== 'TINY_ONLY') {
      const why = prematurePoolFailure(ctx, ev.sizeBytes);
      if (why !== null) return { message: `alloc(t${ev.thread}, ${ev.sizeBytes}) returned 0: ${why}` };
    }
    if (!ev.prediction.tinyFirst || ev.prediction.sizeClass < 0) return null;
    if (ev.servedBy === 'tiny' || ev.servedBy === 'stray') return null;
    const c = ev.prediction.sizeClass;
    const what = `alloc(t${ev.thread}, ${ev.sizeBytes}) of class ${c}: the tiny front failed`;
    return slotRefused(ctx, c, what) ?? ownFreeBlocks(ctx, c, ev.thread, what);
  },
});

export const deltaZero = defineInvariant({
  name: 'delta-zero',
  step: attachDeltaViolation,
  state(ctx) {
    const config = ctx.config;
    for (const ss of ctx.post.superslabs()) {
      for (const s of ss.slabs) {
        if (s.usedDelta === 0 && s.activeDelta === 0) continue;
        const deltas = `usedDelta ${s.usedDelta}, activeDelta ${s.activeDelta}`;
        if (!config.metaLight) return { message: `slab ${s.slabId} has ${deltas} without metaLight`, slabId: s.slabId };
        if (s.state !== 'ACTIVE' || !ctx.post.heldAsPage(s)) {
          return { message: `slab ${s.slabId} (${s.state}, owner ${s.owner}) is not a held TinyHeap page but has ${deltas}`, slabId: s.slabId };
        }
        const threshold = deltaThreshold(config, s.capacity);
        if (Math.abs(s.usedDelta) >= threshold || Math.abs(s.activeDelta) >= threshold) {
          return { message: `page ${s.slabId} has ${deltas}, at or over the flush threshold ${threshold}`, slabId: s.slabId };
        }
        if (s.used + s.usedDelta === 0) return { message: `page ${s.slabId} became empty but kept ${deltas}`, slabId: s.slabId };
      }
    }
    return null;
  },
});

/** A slab ACTIVE before the step is not the same incarnation after it: released (and maybe rebound). */
function releasedInStep(before: SuperSlabSnapshot, ss: SuperSlabView): boolean {
  return ss.slabs.some((s) => {
    const at = s.slabIndex;
    if (before.slabStates[at] !== 'ACTIVE') return false;
    return s.state !== 'ACTIVE' || before.slabClasses[at] !== s.cls || s.carved < (before.slabCarved[at] as number);
  });
}

/**
 * Live bytes of a SuperSlab at the moment of a release in this step: an allocation releases (in
 * its reclaim) before its block is taken, a free after its block left; no other step changes them.
 */
function liveBytesAtRelease(ctx: CheckContext, before: SuperSlabSnapshot, ssBase: number): number {
  const ev = ctx.event;
  if (ev.kind !== 'free' || !ev.result.ok || ev.block.front !== 'tiny' || ev.block.sizeClass < 0) return before.liveBytes;
  if (regionBaseOf(ctx.config, ev.block.ptr - 1) !== ssBase) return before.liveBytes;
  return before.liveBytes - (ctx.config.strides[ev.block.sizeClass] as number);
}

export const tierRelease = defineInvariant({
  name: 'tier-release',
  step(ctx) {
    const config = ctx.config;
    if (config.hotThreshold === 0) return null; // the state part reports any DRAINING SuperSlab then
    const thresholdBytes = hotThresholdBytes(config);
    for (const ss of ctx.post.superslabs()) {
      if (ss.inReserve) continue;
      const before = ctx.pre.superslabs.get(ss.base);
      // The same mapping: not unmapped and mapped again, nor parked and taken back, within the step.
      const same = before !== undefined && before.mapGeneration === ss.mapGeneration && !before.inReserve ? before : undefined;
      if (ss.tier === 'DRAINING' && same !== undefined && same.tier === 'DRAINING') {
        for (const s of ss.slabs) {
          const wasActive = same.slabStates[s.slabIndex] === 'ACTIVE';
          if (s.state === 'ACTIVE' && (!wasActive || same.slabClasses[s.slabIndex] !== s.cls)) {
            return { message: `DRAINING SuperSlab ${hex(ss.base)} gave slot ${s.slabId} to class ${s.cls}`, slabId: s.slabId };
          }
        }
      } else if (ss.tier === 'DRAINING') {
        // Turned DRAINING in this step: only at a release that left it at or below the threshold.
        if (same === undefined || !releasedInStep(same, ss)) return { message: `SuperSlab ${hex(ss.base)} turned DRAINING in a step that released none of its slabs` };
        const bytes = liveBytesAtRelease(ctx, same, ss.base);
        if (bytes > thresholdBytes) {
          return { message: `SuperSlab ${hex(ss.base)} turned DRAINING with ${bytes} live bytes, above the threshold ${thresholdBytes}` };
        }
      } else if (ss.tier === 'HOT' && same !== undefined) {
        if (same.tier === 'DRAINING') return { message: `DRAINING SuperSlab ${hex(ss.base)} went back to HOT in the same mapping` };
        if (same.tier === 'HOT') {
          const bytes = liveBytesAtRelease(ctx, same, ss.base);
          if (bytes <= thresholdBytes && releasedInStep(same, ss)) {
            return { message: `a release left SuperSlab ${hex(ss.base)} at ${bytes} live bytes, at or below the threshold ${thresholdBytes}, but it stayed HOT` };
          }
        }
      }
    }
    return null;
  },
  state(ctx) {
    const config = ctx.config;
    const reserve = ctx.view.reserve();
    if (reserve.length > config.emptyReserve) return { message: `the reserve parks ${reserve.length} SuperSlabs, over emptyReserve ${config.emptyReserve}` };
    for (const ss of ctx.post.superslabs()) {
      if (ss.inReserve) {
        if (ss.tier !== 'FREE') return { message: `reserve SuperSlab ${hex(ss.base)} is ${ss.tier}, expected FREE` };
        const bound = ss.slabs.find((s) => s.state !== 'UNUSED');
        if (bound !== undefined) return { message: `reserve SuperSlab ${hex(ss.base)} has ${bound.state} slab ${bound.slabId}`, slabId: bound.slabId };
        continue;
      }
      if (ss.tier === 'FREE') return { message: `SuperSlab ${hex(ss.base)} is FREE but still mapped outside the reserve` };
      const outstanding = ss.slabs.some((s) => s.used + s.usedDelta > 0);
      const held = ss.slabs.some((s) => s.state === 'ACTIVE' && ctx.post.heldByOwner(s));
      if (!outstanding && !held) {
        return { message: `SuperSlab ${hex(ss.base)} (${ss.tier}) has no outstanding block and no held slab, yet is mapped outside the reserve` };
      }
      if (ss.tier === 'DRAINING' && config.hotThreshold === 0) return { message: `SuperSlab ${hex(ss.base)} is DRAINING although hotThreshold 0 disables DRAINING` };
    }
    return null;
  },
});

export const noLeak = defineInvariant({
  name: 'no-leak',
  state(ctx) {
    if (!ctx.model.quiescent()) return null;
    const mapped = ctx.post.superslabs();
    if (mapped.length > ctx.config.emptyReserve) {
      return { message: `everything is freed and every thread flushed, yet ${mapped.length} SuperSlabs stay mapped (emptyReserve ${ctx.config.emptyReserve}): ${mapped.map((s) => hex(s.base)).join(', ')}` };
    }
    const notParked = mapped.find((s) => !s.inReserve);
    if (notParked !== undefined) return { message: `everything is freed and every thread flushed, yet SuperSlab ${hex(notParked.base)} is mapped outside the reserve` };
    return null;
  },
});

export const badFreeRejected = defineInvariant({
  name: 'bad-free-rejected',
  step(ctx: CheckContext) {
    const ev = ctx.event;
    if (ev.kind === 'free') {
      if (!ev.result.ok) {
        return { message: `free(t${ev.thread}, ${hex(ev.block.ptr)}) of a live block was rejected as ${ev.result.error}`, slabId: ctx.post.slabAt(ev.block.ptr - 1)?.slabId };
      }
      return null;
    }
    if (ev.kind !== 'badFree') return null;
    const got = ev.result.ok ? 'ok' : ev.result.error;
    if (ev.result.ok) {
      return { message: `bad free (${ev.bad}) of ${hex(ev.ptr)} [${ev.description}] was accepted; expected ${ev.expected.verdict} (${ev.expected.reason})`, slabId: ev.expected.slabId };
    }
    if (got !== ev.expected.verdict) {
      return { message: `bad free (${ev.bad}) of ${hex(ev.ptr)} [${ev.description}] returned ${got}; expected ${ev.expected.verdict} (${ev.expected.reason})`, slabId: ev.expected.slabId };
    }
    const diff = digestDifference(ev.before, ev.after);
    if (diff !== null) return { message: `rejected bad free (${ev.bad}) of ${hex(ev.ptr)} changed the state: ${diff}`, slabId: ev.expected.slabId };
    return null;
  },
});

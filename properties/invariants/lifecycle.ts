// Invariants about the life cycle of slots and SuperSlabs: failures only when nothing could be
// given, batched deltas bounded and flushed, tiers and releases, no leak at quiescence, and bad
// frees rejected without a trace.

import type { CheckContext, SuperSlabSnapshot } from '../checkContext.ts';
import type { SuperSlabView } from '../../impl/index.ts';
import { defineInvariant, hotThresholdBytes } from '../checkContext.ts';
import { digestDifference } from '../digest.ts';
import { hex } from '../events.ts';
import { deltaThreshold, regionBaseOf } from '../../model/index.ts';

/**
 * A pool allocation fails only when its budget is spent (SPEC §6): judged conservatively, whatever
 * the pool's own rounding — with room for another whole region under the budget, a request of at
 * most half a region must succeed, and so must one that a free chunk holds with room to spare.
 */
function prematurePoolFailure(ctx: CheckContext, sizeBytes: number): string | null {
  const pool = ctx.post.pool();
  const need = sizeBytes + pool.headerBytes;
  const regionBytes = ctx.config.superslabSize;
  if (pool.mappedBytes + regionBytes <= pool.budgetBytes && need <= regionBytes / 2) {
    return `the pool failed a ${sizeBytes}-byte request with ${pool.mappedBytes} of ${pool.budgetBytes} budget bytes mapped`;
  }
  const roomy = pool.blocks.find((b) => !b.allocated && b.chunkBytes >= need + 2 * pool.headerBytes + 8);
  if (roomy !== undefined) return `the pool failed a ${sizeBytes}-byte request although free chunk ${hex(roomy.chunk)} holds ${roomy.chunkBytes} bytes`;
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
    const t = ev.thread;
    const view = ctx.view;
    const what = `alloc(t${t}, ${ev.sizeBytes}) of class ${c}: the tiny front failed`;
    const counted = ctx.post.activeCounted()[c] as number;
    const capReached = counted >= view.softCap(c);
    if (!capReached) {
      const reg = view.registry();
      const registryFull = reg.length >= ctx.config.registryCapacity && view.reserve().length === 0;
      for (const ss of ctx.post.superslabs()) {
        if (ss.tier !== 'HOT' || ss.inReserve) continue;
        const free = ss.slabs.find((s) => s.state === 'EMPTY' || s.state === 'UNUSED');
        if (free !== undefined) {
          return { message: `${what} although class ${c} is under its cap (${counted} < ${view.softCap(c)}) and HOT SuperSlab ${hex(ss.base)} has ${free.state} slot ${free.slabId}`, slabId: free.slabId };
        }
      }
      if (!registryFull) {
        return { message: `${what} although class ${c} is under its cap (${counted} < ${view.softCap(c)}) and the registry has room (${reg.length}/${ctx.config.registryCapacity}, reserve ${view.reserve().length})` };
      }
    }
    for (const s of ctx.post.slabs().values()) {
      if (s.state !== 'ACTIVE' || s.cls !== c) continue;
      const hasFree = s.freelistHead !== 0 || s.carved < s.capacity;
      if (s.owner === -1 && hasFree) {
        return { message: `${what} although orphan slab ${s.slabId} has free blocks (freelist ${hex(s.freelistHead)}, carved ${s.carved}/${s.capacity})`, slabId: s.slabId };
      }
      if (s.owner === t && (hasFree || s.remoteCount > 0)) {
        return {
          message: `${what} although its own slab ${s.slabId} holds free blocks (freelist ${hex(s.freelistHead)}, carved ${s.carved}/${s.capacity}, remote ${s.remoteCount})`,
          slabId: s.slabId,
        };
      }
    }
    const tv = ctx.post.threads()[t];
    const cached = tv?.classes[c]?.tlsCount ?? 0;
    if (cached > 0) return { message: `${what} although its TLS cache of class ${c} holds ${cached} blocks` };
    return null;
  },
});

export const deltaZero = defineInvariant({
  name: 'delta-zero',
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

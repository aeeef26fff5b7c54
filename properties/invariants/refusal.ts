// The OS may refuse a map (SPEC §2, issue 19). What a refusal excuses, and what it must not leave:
//   * osRefusal(ctx): whether the OS said no in this step, judged from outside — the model allows
//     refusals (a limit set, or refusals ordered) and the view shows one: the mapped regions (counted
//     here from the region list) are at the limit, or pending refusals were used up by the step.
//     no-premature-failure accepts it where it accepts a full registry (lifecycle.ts).
//   * refusal-no-trace: a failed allocation maps nothing, registers nothing and binds no slot (a
//     tiny failure that the pool then served maps no SuperSlab and binds no slot); no map succeeds
//     while refusals are pending, none past the limit; refusals are only ever used up; the OS state
//     is what the commands set (the model's limit, at most the model's refusals pending: the state
//     part); the OS counters agree with the mapped regions (a refused map moves none; a step part,
//     the counters being outside the explorer's fingerprint). Cost: O(regions + slabs).
// The rest of "nothing lost" is judged by the other invariants at every step, refusals or not:
// every live block's bytes (data-integrity), headers (header), census and lists.

import type { CheckContext, StateContext, Violation } from '../checkContext.ts';
import { defineInvariant } from '../checkContext.ts';
import { hex } from '../events.ts';

/** Why the OS said no to a map in this step (for messages), or null if the view shows no refusal. */
export function osRefusal(ctx: CheckContext): string | null {
  const ev = ctx.event;
  if (ev.kind !== 'alloc' || !ev.prediction.osMayRefuse) return null;
  const os = ctx.view.os();
  const mapped = ctx.post.regions().size;
  if (os.mapLimit !== null && mapped >= os.mapLimit) return `the OS maps at most ${os.mapLimit} regions and ${mapped} are mapped`;
  const used = ctx.pre.os.refusalsPending - os.refusalsPending;
  if (used > 0) return `the OS refused ${used} map${used === 1 ? '' : 's'} in this step`;
  return null;
}

/**
 * The pool was refused a region at the OS limit while a SuperSlab sat empty in the reserve: memory
 * the allocator holds for nothing, which it can give back to the OS to make room (SPEC §2: 0 only
 * when every legal source is exhausted or refused). Null when not so.
 */
export function reserveHeldAtLimit(ctx: CheckContext): string | null {
  const os = ctx.view.os();
  const reserve = ctx.view.reserve();
  if (os.mapLimit === null || reserve.length === 0 || ctx.post.regions().size < os.mapLimit) return null;
  return `SuperSlab ${hex(reserve[0] as number)} sits empty in the reserve while the OS limit of ${os.mapLimit} regions is reached`;
}

/** A slot that was not ACTIVE for its class before the step and is now. */
function newlyBound(ctx: CheckContext): { slabId: number; cls: number } | null {
  for (const ss of ctx.post.superslabs()) {
    const before = ctx.pre.superslabs.get(ss.base);
    for (const s of ss.slabs) {
      if (s.state !== 'ACTIVE') continue;
      if (before === undefined || before.slabStates[s.slabIndex] !== 'ACTIVE' || before.slabClasses[s.slabIndex] !== s.cls) return { slabId: s.slabId, cls: s.cls };
    }
  }
  return null;
}

/** A failed allocation, or a tiny failure the pool then served, left a region, registry entry or bound slot. */
function failureTrace(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'alloc') return null;
  const failed = ev.servedBy === 'failed';
  const tinyFailed = ev.prediction.tinyFirst && ev.servedBy === 'pool';
  if (!failed && !tinyFailed) return null;
  const what = failed ? `alloc(t${ev.thread}, ${ev.sizeBytes}) failed` : `alloc(t${ev.thread}, ${ev.sizeBytes}) fell back to the pool`;
  for (const [base, kind] of ctx.post.regions()) {
    if (ctx.pre.os.regions.has(base)) continue;
    if (failed || kind === 'superslab') return { message: `${what} but left ${kind} region ${hex(base)} mapped, new in this step` };
  }
  const registered = new Set(ctx.pre.superslabs.keys());
  const added = ctx.view.registry().find((b) => !registered.has(b));
  if (added !== undefined) return { message: `${what} but left registry entry ${hex(added)}, new in this step` };
  const bound = newlyBound(ctx);
  if (bound !== null) return { message: `${what} but left slot ${bound.slabId} bound to class ${bound.cls} in this step`, slabId: bound.slabId };
  return null;
}

/** Maps in this step against the OS state before it: none while refusals are pending, none past the limit. */
function mapDiscipline(ctx: CheckContext): Violation | null {
  const os = ctx.view.os();
  const pre = ctx.pre.os;
  const kind = ctx.command.kind;
  if (kind !== 'osRefuse' && os.refusalsPending > pre.refusalsPending) {
    return { message: `${ctx.command.kind} raised the OS's pending refusals from ${pre.refusalsPending} to ${os.refusalsPending}` };
  }
  const fresh = [...ctx.post.regions().keys()].filter((b) => !pre.regions.has(b));
  if (fresh.length === 0) return null;
  if (kind !== 'osRefuse' && os.refusalsPending > 0) {
    return { message: `region ${hex(fresh[0] as number)} was mapped while ${os.refusalsPending} refusals were still pending` };
  }
  const mapped = ctx.post.regions().size;
  if (os.mapLimit !== null && mapped > os.mapLimit && mapped > pre.regions.size) {
    return { message: `${mapped} regions are mapped after this step (${pre.regions.size} before), over the OS limit ${os.mapLimit}` };
  }
  return null;
}

/** The OS state is the commands' (model). */
function osAgrees(ctx: StateContext): Violation | null {
  const os = ctx.view.os();
  const limit = ctx.model.osLimit();
  if (os.mapLimit !== limit) return { message: `the OS map limit is ${os.mapLimit ?? 'none'}, but the commands set ${limit ?? 'none'}` };
  const bound = ctx.model.osRefusalsBound();
  if (os.refusalsPending > bound) return { message: `the OS has ${os.refusalsPending} refusals pending, more than the ${bound} the last osRefuse ordered` };
  return null;
}

/**
 * The OS counters agree with the regions mapped (a refused map moves none). A step part: counters
 * are not in the explorer's fingerprint, so this is judged on every transition, not once per state.
 */
function countersAgree(ctx: CheckContext): Violation | null {
  const regions = ctx.post.regions().size;
  const stats = ctx.allocator.stats();
  if (stats.maps - stats.unmaps !== regions) return { message: `the OS counted ${stats.maps} maps and ${stats.unmaps} unmaps, but ${regions} regions are mapped` };
  if (stats.mappedBytes !== regions * ctx.config.superslabSize) return { message: `the OS counts ${stats.mappedBytes} mapped bytes for ${regions} regions of ${ctx.config.superslabSize}` };
  return null;
}

/**
 * An order takes effect: right after osRefuse(k) the OS has exactly k refusals pending (the step
 * maps nothing). The state part only bounds them from above, which an order that does nothing
 * would pass (found by the mutation run: `refuseNext` emptied survived).
 */
function orderTakesEffect(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'osRefuse') return null;
  const pending = ctx.view.os().refusalsPending;
  if (pending !== ev.count) return { message: `osRefuse(${ev.count}) left ${pending} refusals pending, not ${ev.count}` };
  return null;
}

export const refusalNoTrace = defineInvariant({
  name: 'refusal-no-trace',
  step: (ctx) => failureTrace(ctx) ?? mapDiscipline(ctx) ?? countersAgree(ctx) ?? orderTakesEffect(ctx),
  state: osAgrees,
});

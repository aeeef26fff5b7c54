// Every figure the allocator reports about itself (stats()) judged against the suite's own
// accounting — the regions it sees mapped, the events it observed, the slab states it walked — and
// the answers of the query and refused calls (usableSize, readBytes, writeBytes, misuse) against the
// model's prediction. Step clauses: each compares the pre-step figure with the post-step one.

import type { AllocatorStats, StageCounters } from '../../impl/index.ts';
import { ACQUIRE_STAGES } from '../../impl/index.ts';
import type { CheckContext, Violation } from '../checkContext.ts';
import { digestDifference } from '../digest.ts';

type Counter = Exclude<keyof AllocatorStats, 'stages' | 'stagesByClass' | 'warmHits' | 'warmMisses' | 'warmPrefills' | 'mappedBytes'>;
const COUNTERS: readonly Counter[] = [
  'maps',
  'unmaps',
  'tinyFailures',
  'poolAllocs',
  'poolFailures',
  'poolFallbacks',
  'badFrees',
  'releases',
  'rebinds',
  'tlsOverflowDrains',
  'remoteDrainReleases',
  'deltaThresholdFlushes',
  'orphansPublished',
  'registryFullEvents',
  'drainingTransitions',
];

function d(ctx: CheckContext, k: Counter): number {
  return (ctx.post.stats()[k] as number) - (ctx.pre.stats[k] as number);
}

/** Post-step stats, read once per step. */
function post(ctx: CheckContext): AllocatorStats {
  return ctx.post.stats();
}

const sumStages = (s: StageCounters, which: readonly (keyof StageCounters)[]): number => which.reduce((n, k) => n + s[k], 0);
const BINDING: readonly (keyof StageCounters)[] = ['stage0_5', 'stage1', 'stage2', 'stage3'];

/** registry: mapped bytes, maps and unmaps against the regions the suite sees; the public stats() against the judged figures. */
export function registryStatsClause(ctx: CheckContext): Violation | null {
  const now = post(ctx);
  for (const k of COUNTERS) {
    const delta = (now[k] as number) - (ctx.pre.stats[k] as number);
    if (delta < 0) return { message: `stats().${k} went down from ${ctx.pre.stats[k]} to ${now[k]}` };
  }
  const regions = ctx.post.regions();
  if (now.mappedBytes !== regions.size * ctx.config.superslabSize) {
    return { message: `stats().mappedBytes is ${now.mappedBytes}, the ${regions.size} mapped regions take ${regions.size * ctx.config.superslabSize}` };
  }
  const before = ctx.pre.os.regions;
  let appeared = 0;
  for (const b of regions.keys()) if (!before.has(b)) appeared++;
  let gone = 0;
  for (const b of before) if (!regions.has(b)) gone++;
  const maps = now.maps - ctx.pre.stats.maps;
  const unmaps = now.unmaps - ctx.pre.stats.unmaps;
  if (maps - unmaps !== regions.size - before.size || maps < appeared || unmaps < gone) {
    return { message: `stats() counts ${maps} maps and ${unmaps} unmaps in this step, the suite saw ${before.size} → ${regions.size} mapped regions (${appeared} new, ${gone} gone)` };
  }
  if (ctx.event.kind !== 'alloc' && now.registryFullEvents !== ctx.pre.stats.registryFullEvents) {
    return { message: `stats().registryFullEvents moved in a ${ctx.event.kind} step, which acquires nothing` };
  }
  const refusals = osRefusalsClause(ctx, now);
  if (refusals !== null) return refusals;
  if (ctx.event.kind === 'stats' && JSON.stringify(ctx.event.reported) !== JSON.stringify(now)) {
    return { message: `stats() returned ${JSON.stringify(ctx.event.reported).slice(0, 120)}…, the figures checked this step are ${JSON.stringify(now).slice(0, 120)}…` };
  }
  return null;
}

/**
 * The OS refusal counters: the total is the sum of the sites, none goes down, only an allocation
 * (the one step that maps) moves them, and it counts at least the refusals it used up of those the
 * commands ordered; more than that only while the OS has a limit.
 */
function osRefusalsClause(ctx: CheckContext, now: AllocatorStats): Violation | null {
  // The four calling contexts partition the refusals; `remap` counts those of them that re-mapped a freed index.
  const sites = Object.entries(now.osRefusalsBySite);
  const sum = sites.filter(([k]) => k !== 'remap').reduce((n, [, v]) => n + v, 0);
  if (sum !== now.osRefusals) return { message: `stats().osRefusals is ${now.osRefusals}, its sites add up to ${sum} (${sites.map(([k, v]) => `${k} ${v}`).join(', ')})` };
  if (now.osRefusalsBySite.remap > now.osRefusals) return { message: `stats().osRefusalsBySite.remap is ${now.osRefusalsBySite.remap}, more than the ${now.osRefusals} refusals it is a part of` };
  for (const [k, v] of sites) {
    const before = (ctx.pre.stats.osRefusalsBySite as unknown as Record<string, number>)[k] ?? 0;
    if (v < before) return { message: `stats().osRefusalsBySite.${k} went down from ${before} to ${v}` };
  }
  const delta = now.osRefusals - ctx.pre.stats.osRefusals;
  if (delta < 0) return { message: `stats().osRefusals went down from ${ctx.pre.stats.osRefusals} to ${now.osRefusals}` };
  if (ctx.event.kind !== 'alloc') {
    if (delta !== 0) return { message: `stats().osRefusals moved by ${delta} in a ${ctx.event.kind} step, which maps nothing` };
    return null;
  }
  const osNow = ctx.view.os();
  const used = ctx.pre.os.refusalsPending - osNow.refusalsPending;
  if (delta < used) return { message: `stats().osRefusals moved by ${delta} in a step that used up ${used} ordered refusals` };
  if (delta > used && osNow.mapLimit === null) return { message: `stats().osRefusals moved by ${delta}, more than the ${used} ordered refusals used up, with no OS limit` };
  return null;
}

/** What an alloc event must add to each of the four outcome counters. */
function allocCounterDeltas(ctx: CheckContext): Readonly<Record<'tinyFailures' | 'poolAllocs' | 'poolFailures' | 'poolFallbacks', number>> | null {
  const ev = ctx.event;
  const none = { tinyFailures: 0, poolAllocs: 0, poolFailures: 0, poolFallbacks: 0 };
  if (ev.kind !== 'alloc') return none;
  if (ev.servedBy === 'stray') return null;
  const tinyAsked = ev.prediction.tinyFirst;
  const tinyFailed = tinyAsked && ev.servedBy !== 'tiny';
  const fallback = tinyFailed && ev.prediction.route === 'TINY_FIRST';
  const poolAsked = !tinyAsked || fallback;
  return {
    tinyFailures: tinyFailed ? 1 : 0,
    poolFallbacks: fallback ? 1 : 0,
    poolAllocs: poolAsked && ev.servedBy === 'pool' ? 1 : 0,
    poolFailures: poolAsked && ev.servedBy === 'failed' ? 1 : 0,
  };
}

/** no-premature-failure: tiny failures, fallbacks, pool allocations and failures are the outcomes the suite observed. */
export function failureStatsClause(ctx: CheckContext): Violation | null {
  const want = allocCounterDeltas(ctx);
  if (want === null) return null;
  for (const k of ['tinyFailures', 'poolFallbacks', 'poolAllocs', 'poolFailures'] as const) {
    const got = d(ctx, k);
    if (got !== want[k]) return { message: `stats().${k} moved by ${got} in this ${ctx.event.kind} step, the suite observed ${want[k]}` };
  }
  return null;
}

/** bad-free-rejected: the bad-free count moves by one for each rejected free the suite made, else not at all. */
export function badFreeStatsClause(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  const rejected = ev.kind === 'misuse' ? ev.rejectedFrees : (ev.kind === 'free' && !ev.result.ok) || (ev.kind === 'badFree' && !ev.result.ok) ? 1 : 0;
  const got = d(ctx, 'badFrees');
  if (got !== rejected) return { message: `stats().badFrees moved by ${got}, the step made ${rejected} rejected free${rejected === 1 ? '' : 's'}` };
  return null;
}

/** Slabs ACTIVE after the step that were not (or not for this class, or were rebound) before it, and orphans adopted. */
function slabMoves(ctx: CheckContext): { bound: number; adopted: number; published: number } {
  let bound = 0;
  let adopted = 0;
  let published = 0;
  const ev = ctx.event;
  for (const ss of ctx.post.superslabs()) {
    const before = ctx.pre.superslabs.get(ss.base);
    for (const s of ss.slabs) {
      if (s.state !== 'ACTIVE') continue;
      const i = s.slabIndex;
      const same = before !== undefined && before.slabStates[i] === 'ACTIVE' && before.slabClasses[i] === s.cls && s.carved >= (before.slabCarved[i] as number);
      if (!same) {
        bound++;
        continue;
      }
      const owner = before.slabOwners[i] as number;
      if (owner === -1 && s.owner >= 0) adopted++;
      if (ev.kind === 'threadExit' && owner === ev.thread && s.owner === -1) published++;
    }
  }
  return { bound, adopted, published };
}

/**
 * empty-recycled: acquisition, release, rebinding, warm-pool, cache-overflow and orphan counters
 * against the slab states the suite saw move. Only an alloc acquires (and only for its class);
 * releases are bindings minus the growth of the ACTIVE slots; publications are exactly the exiting
 * thread's slabs left as orphans.
 */
export function slotStatsClause(ctx: CheckContext): Violation | null {
  const now = post(ctx);
  const pre = ctx.pre.stats;
  const ev = ctx.event;
  const allocClass = ev.kind === 'alloc' && ev.prediction.route !== 'POOL' ? ev.prediction.sizeClass : -1;
  for (const stage of ACQUIRE_STAGES) {
    let total = 0;
    for (const row of now.stagesByClass) total += row[stage];
    if (now.stages[stage] !== total) return { message: `stats().stages.${stage} is ${now.stages[stage]}, its per-class rows sum to ${total}` };
  }
  for (let c = 0; c < now.stagesByClass.length; c++) {
    if (c === allocClass) continue;
    const a = now.stagesByClass[c] as StageCounters;
    const b = pre.stagesByClass[c] as StageCounters;
    const moved = ACQUIRE_STAGES.find((st) => a[st] !== b[st]);
    if (moved !== undefined) return { message: `stats().stagesByClass[${c}].${moved} moved in a ${ev.kind} step that acquires nothing for class ${c}` };
    for (const k of ['warmHits', 'warmMisses', 'warmPrefills'] as const) {
      if (now[k][c] !== pre[k][c]) return { message: `stats().${k}[${c}] moved in a ${ev.kind} step that refills nothing of class ${c}` };
    }
  }
  const binds = sumStages(now.stages, BINDING) - sumStages(pre.stages, BINDING);
  const sum = (xs: readonly number[]): number => xs.reduce((n, x) => n + x, 0);
  const activeGrowth = sum(ctx.post.activeCounted()) - sum(ctx.pre.activeCounted);
  const releases = d(ctx, 'releases');
  if (releases !== binds - activeGrowth) {
    return { message: `stats() counts ${releases} releases and ${binds} bindings in this step, but the ACTIVE slots the suite counts grew by ${activeGrowth}` };
  }
  const moves = slabMoves(ctx);
  if (binds < moves.bound) return { message: `stats() counts ${binds} slot bindings in this step, the suite saw ${moves.bound} slabs newly ACTIVE` };
  const adoptions = now.stages.stage0 - pre.stages.stage0;
  if (adoptions < moves.adopted) return { message: `stats() counts ${adoptions} Stage 0 adoptions in this step, the suite saw ${moves.adopted} orphans adopted` };
  let appeared = 0;
  for (const [b, k] of ctx.post.regions()) if (k === 'superslab' && !ctx.pre.os.regions.has(b)) appeared++;
  if (now.stages.stage3 - pre.stages.stage3 < appeared) return { message: `stats() counts ${now.stages.stage3 - pre.stages.stage3} Stage 3 hits, the suite saw ${appeared} SuperSlabs mapped` };
  if (d(ctx, 'rebinds') > now.stages.stage1 - pre.stages.stage1) return { message: `stats() counts ${d(ctx, 'rebinds')} rebinds but only ${now.stages.stage1 - pre.stages.stage1} Stage 1 hits` };
  if (d(ctx, 'remoteDrainReleases') > releases) return { message: `stats() counts ${d(ctx, 'remoteDrainReleases')} remote-drain releases among ${releases} releases` };
  if (ev.kind === 'alloc' && allocClass >= 0) {
    const v = warmStats(ctx, now, allocClass, ev.thread, adoptions);
    if (v !== null) return v;
  }
  const overflow = d(ctx, 'tlsOverflowDrains');
  if (overflow > (ev.kind === 'free' && ev.result.ok ? 1 : 0)) return { message: `stats().tlsOverflowDrains moved by ${overflow} in a ${ev.kind} step` };
  if (d(ctx, 'orphansPublished') !== moves.published) {
    return { message: `stats().orphansPublished moved by ${d(ctx, 'orphansPublished')}, the suite saw ${moves.published} slabs published as orphans` };
  }
  return null;
}

/**
 * The warm-pool counters of an alloc of class c by thread t: prefills are acquisitions; every
 * acquisition of a refill follows a miss; a hit pops an entry the pool had, was prefilled with or got back;
 * adoptions take orphans that existed before the step; TinyHeap classes have no warm pool.
 */
function warmStats(ctx: CheckContext, now: AllocatorStats, c: number, t: number, adoptions: number): Violation | null {
  const pre = ctx.pre.stats;
  const delta = (k: 'warmHits' | 'warmMisses' | 'warmPrefills'): number => (now[k][c] as number) - (pre[k][c] as number);
  const acquired = sumStages(now.stagesByClass[c] as StageCounters, ACQUIRE_STAGES) - sumStages(pre.stagesByClass[c] as StageCounters, ACQUIRE_STAGES);
  let orphans = 0;
  for (const ss of ctx.pre.superslabs.values()) {
    ss.slabStates.forEach((st, i) => {
      if (st === 'ACTIVE' && ss.slabClasses[i] === c && ss.slabOwners[i] === -1) orphans++;
    });
  }
  if (adoptions > orphans) return { message: `stats() counts ${adoptions} Stage 0 adoptions for class ${c}, but only ${orphans} orphan slabs of it existed` };
  const heapClass = (ctx.config.tinyHeapClasses & (1 << c)) !== 0;
  const hits = delta('warmHits');
  const misses = delta('warmMisses');
  const prefills = delta('warmPrefills');
  if (heapClass && (hits !== 0 || misses !== 0 || prefills !== 0)) return { message: `stats() moved the warm-pool counters of TinyHeap class ${c}, which has no warm pool` };
  if (prefills > acquired) return { message: `stats().warmPrefills[${c}] moved by ${prefills}, but only ${acquired} slabs were acquired` };
  if (!heapClass && misses < acquired - prefills) return { message: `stats().warmMisses[${c}] moved by ${misses}, but ${acquired - prefills} refill acquisitions each follow a miss` };
  // A hit pops an entry the pool held, was prefilled with, or got back in the reclaim (a slab of t's).
  const had = ctx.pre.warmLengths[t * ctx.view.classCount + c] ?? 0;
  let owned = 0;
  for (const s of ctx.post.slabs().values()) if (s.state === 'ACTIVE' && s.cls === c && s.owner === t) owned++;
  if (hits > had + prefills + owned) return { message: `stats().warmHits[${c}] moved by ${hits}, but t${t}'s warm pool held ${had} slabs, got ${prefills} by prefill and t${t} owns ${owned} of class ${c}` };
  return null;
}

/** tier-release: DRAINING transitions at least those the suite saw, at most one per release. */
export function tierStatsClause(ctx: CheckContext): Violation | null {
  let seen = 0;
  for (const ss of ctx.post.superslabs()) {
    if (ss.tier !== 'DRAINING') continue;
    const before = ctx.pre.superslabs.get(ss.base);
    if (before === undefined || before.tier !== 'DRAINING') seen++;
  }
  const got = d(ctx, 'drainingTransitions');
  if (got < seen) return { message: `stats().drainingTransitions moved by ${got}, the suite saw ${seen} SuperSlabs turn DRAINING` };
  if (got > d(ctx, 'releases')) return { message: `stats().drainingTransitions moved by ${got} in a step with ${d(ctx, 'releases')} releases` };
  return null;
}

/** delta-zero: no threshold flush without metaLight. */
export function deltaStatsClause(ctx: CheckContext): Violation | null {
  const got = d(ctx, 'deltaThresholdFlushes');
  if (!ctx.config.metaLight && got !== 0) return { message: `stats().deltaThresholdFlushes moved by ${got} with metaLight off` };
  return null;
}

/** usable-size: usableSize on an address of any class answers what the model predicts. */
export function usableQueryClause(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'usableSize' || ev.got === ev.expected) return null;
  return { message: `${ev.call} returned ${ev.got}, the model predicts ${ev.expected}` };
}

/** data-integrity: readBytes/writeBytes give the bytes of a live block and throw RangeError on anything else, changing nothing. */
export function bytesCallClause(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'readBytes' && ev.kind !== 'writeBytes') return null;
  if (ev.expectRangeError && !ev.threwRangeError) return { message: `${ev.call} ${ev.threw === null ? 'succeeded' : `threw ${ev.threw}`}; a call outside a live block's usable bytes must throw RangeError` };
  if (!ev.expectRangeError && ev.threw !== null) return { message: `${ev.call} on a live block threw ${ev.threw}` };
  if (ev.mismatchOffset >= 0) return { message: `${ev.call} returned byte ${ev.mismatchOffset} unlike the canary written there` };
  if (ev.before !== undefined && ev.after !== undefined) {
    const diff = digestDifference(ev.before, ev.after);
    if (diff !== null) return { message: `refused ${ev.call} changed the state: ${diff}` };
  }
  return null;
}

/** bad-free-rejected: a call outside a method's domain is refused as predicted and changes nothing. */
export function misuseClause(ctx: CheckContext): Violation | null {
  const ev = ctx.event;
  if (ev.kind !== 'misuse') return null;
  if (ev.got !== ev.expected) return { message: `${ev.call} gave ${ev.got}; expected ${ev.expected}` };
  const diff = digestDifference(ev.before, ev.after);
  if (diff !== null) return { message: `refused ${ev.call} changed the state: ${diff}` };
  return null;
}

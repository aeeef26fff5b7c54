// Reach: how many runs of a profile get into each deep state (SPEC §8 "measure that they do").
// Statistics are read here, and only here: they say where a run went, never whether it was right.

import fc from 'fast-check';
import type { AcquireStage, AllocatorConfig, AllocatorStats } from '../impl/index.ts';
import { ACQUIRE_STAGES, profileConfig } from '../impl/index.ts';
import type { Program } from './arbitraries.ts';
import { makeProgramArbitrary } from './arbitraries.ts';
import type { CheckContext } from './checkContext.ts';
import { replay } from './runner.ts';

export const REACH_ITEMS = [
  'soft-cap-reached',
  'stage0',
  'stage0_5',
  'stage1',
  'stage2',
  'stage3',
  'rebind',
  'tier-draining',
  'tier-free',
  'unmap-reuse',
  'delta-threshold-flush',
  'page-eviction',
  'registry-full',
  'tls-overflow-drain',
  'remote-drain-release',
  'held-drain-empty',
  'exit-adoption',
  'pool-fallback',
  'bad-invalid-pointer',
  'bad-interior-pointer',
  'bad-header-mismatch',
  'bad-double-free',
  'bad-stale',
  'no-leak-judged',
  'usable-size-not-live',
  'read-refused',
  'write-refused',
  'misuse-refused',
  'stats-compared',
  'refused-stage3',
  'refused-prefill',
  'refused-page-refill',
  'refused-pool-growth',
  'refused-remap',
  'reserve-given-back',
] as const;
export type ReachItem = (typeof REACH_ITEMS)[number];

export const REACH_DESCRIPTIONS: Readonly<Record<ReachItem, string>> = {
  'soft-cap-reached': 'a class at its soft cap',
  stage0: 'Stage 0: orphan adopted',
  stage0_5: 'Stage 0.5: EMPTY slot found by the scan',
  stage1: 'Stage 1: EMPTY list popped',
  stage2: 'Stage 2: UNUSED slot claimed',
  stage3: 'Stage 3: SuperSlab mapped',
  rebind: 'a slot rebound to another class',
  'tier-draining': 'a SuperSlab turned DRAINING',
  'tier-free': 'a SuperSlab FREE (unmapped or parked)',
  'unmap-reuse': 'unmapped SuperSlab addresses mapped again',
  'delta-threshold-flush': 'metaLight threshold flush',
  'page-eviction': 'a thread at tinyHeapMaxPages full pages evicted one to attach another',
  'registry-full': 'registry full at Stage 3',
  'tls-overflow-drain': 'thread-cache overflow drain',
  'remote-drain-release': 'remote drain emptied and released a slab',
  'held-drain-empty': 'remote drain emptied a slab its owner keeps holding',
  'exit-adoption': 'thread exit, then its orphan adopted',
  'pool-fallback': 'tiny failure fell back to the pool',
  'bad-invalid-pointer': 'bad free rejected: invalid-pointer',
  'bad-interior-pointer': 'bad free rejected: interior-pointer',
  'bad-header-mismatch': 'bad free rejected: header-mismatch',
  'bad-double-free': 'bad free rejected: double-free',
  'bad-stale': 'stale free into an unmapped or rebound slab',
  'no-leak-judged': 'everything freed and flushed (no-leak judged)',
  'usable-size-not-live': 'usableSize of an address that is not live (answer 0 predicted)',
  'read-refused': 'readBytes refused with RangeError (not live, or past the usable bytes)',
  'write-refused': 'writeBytes refused with RangeError, nothing changed',
  'misuse-refused': 'a public method called outside its domain, refused',
  'stats-compared': 'stats() called and compared with the judged figures',
  'refused-stage3': 'OS refused the SuperSlab map of Stage 3 (alloc refill)',
  'refused-prefill': 'OS refused the SuperSlab map of a warm-pool prefill',
  'refused-page-refill': 'OS refused the SuperSlab map of a TinyHeap page refill',
  'refused-pool-growth': 'OS refused the pool a new region',
  'refused-remap': 'OS refused the re-map of a freed region index',
  'reserve-given-back': 'the pool, refused a region, gave a parked SuperSlab back to the OS and grew',
};

const STAGE_ITEM: Readonly<Record<AcquireStage, ReachItem>> = { stage0: 'stage0', stage0_5: 'stage0_5', stage1: 'stage1', stage2: 'stage2', stage3: 'stage3' };

/** Blocks of the largest class a short run can be expected to hold live at once. */
const SHORT_RUN_LIVE_BLOCKS = 32;

/**
 * Whether a state is reachable at all in short runs of a config (the 5% bar applies only there).
 * Returns null when possible, else why not.
 */
export function reachImpossibility(config: AllocatorConfig, item: ReachItem): string | null {
  const slabsPerSs = config.superslabSize / config.slabSize;
  switch (item) {
    case 'delta-threshold-flush':
      return config.metaLight && config.tinyHeapClasses !== 0 ? null : 'metaLight is off';
    case 'page-eviction': {
      // A thread fills tinyHeapMaxPages pages of one TinyHeap class and needs one more: the class's
      // soft cap must exceed the pages, and a short run must hold that many blocks live.
      const why: string[] = [];
      for (let c = 0; c < config.strides.length; c++) {
        if ((config.tinyHeapClasses & (1 << c)) === 0) continue;
        const cap = config.softCap[c] as number;
        const blocks = config.tinyHeapMaxPages * Math.floor(config.slabSize / (config.strides[c] as number));
        if (cap > config.tinyHeapMaxPages && blocks < SHORT_RUN_LIVE_BLOCKS) return null;
        why.push(cap <= config.tinyHeapMaxPages ? `C${c}: soft cap ${cap} <= ${config.tinyHeapMaxPages} pages` : `C${c}: ${blocks} live blocks to fill the pages`);
      }
      return why.length === 0 ? 'no TinyHeap class' : why.join('; ');
    }
    case 'registry-full':
      // Filling the registry takes registryCapacity × slabs-per-SuperSlab slots (each at least one allocation).
      return config.registryCapacity * slabsPerSs <= 64 ? null : `needs ${config.registryCapacity * slabsPerSs} slots`;
    case 'tls-overflow-drain': {
      const tlsClasses = config.tlsCap.filter((_, c) => (config.tinyHeapClasses & (1 << c)) === 0);
      const smallest = Math.min(...tlsClasses);
      return tlsClasses.length > 0 && smallest <= 16 ? null : `smallest thread cache holds ${smallest} blocks`;
    }
    case 'remote-drain-release':
    case 'held-drain-empty':
      return config.threads >= 2 ? null : 'one thread';
    case 'tier-draining':
      return config.hotThreshold > 0 ? null : 'hotThreshold 0 disables DRAINING';
    case 'stage0_5':
    case 'stage1':
    case 'rebind': {
      // An EMPTY slot is reused only while its SuperSlab stays HOT, i.e. when the release that made
      // it EMPTY left more than hotThreshold of the SuperSlab live. A short run holds at most a few
      // dozen blocks of the largest class live.
      const thresholdBytes = config.hotThreshold * (config.superslabSize - config.ssHeaderBytes);
      const shortRunBytes = SHORT_RUN_LIVE_BLOCKS * (config.strides[config.strides.length - 1] as number);
      return thresholdBytes < shortRunBytes ? null : `a release leaves the SuperSlab DRAINING unless > ${Math.round(thresholdBytes / 1024)} KiB stay live (short runs hold < ${Math.round(shortRunBytes / 1024)} KiB)`;
    }
    case 'refused-prefill':
    case 'refused-page-refill':
    case 'refused-pool-growth':
      return refusalImpossibility(config, item);
    case 'reserve-given-back':
      if (config.emptyReserve === 0) return 'emptyReserve 0: no SuperSlab is parked';
      return refusalImpossibility(config, 'refused-pool-growth');
    default:
      return null;
  }
}

/** Map sites a config cannot bring a refusal to in short runs (issue 19), or null. */
function refusalImpossibility(config: AllocatorConfig, item: 'refused-prefill' | 'refused-page-refill' | 'refused-pool-growth'): string | null {
  const classes = config.strides.length;
  const tlsClasses = config.strides.filter((_, c) => (config.tinyHeapClasses & (1 << c)) === 0).length;
  if (item === 'refused-page-refill') return (config.tinyHeapClasses & ((1 << classes) - 1)) !== 0 ? null : 'no TinyHeap class';
  if (item === 'refused-pool-growth') return config.poolBytes >= config.superslabSize ? null : 'the pool has no region to grow by';
  if (config.warmPoolPrefill === 0 || tlsClasses === 0) return 'no warm-pool prefill';
  return null;
}

/** Follows one run; `reached()` after the last step. */
export class ReachTracker {
  private readonly seen = new Set<ReachItem>();
  private readonly unmappedBases = new Set<number>();
  private knownSuperslabs = new Set<number>();
  /** Slabs that had blocks on their remote queue after the previous step. */
  private remoteHolding = new Set<number>();
  /** Slabs their owner held, with blocks on their remote queue, after the previous step. */
  private heldRemote = new Set<number>();
  private lastStats: AllocatorStats | null = null;
  private lastReserve = 0;

  observe(ctx: CheckContext): void {
    const ev = ctx.event;
    const counted = ctx.post.activeCounted();
    for (let c = 0; c < counted.length; c++) {
      const cap = ctx.view.softCap(c);
      if (cap >= 1 && (counted[c] as number) >= cap) this.seen.add('soft-cap-reached');
    }
    const now = new Set<number>();
    for (const ss of ctx.post.superslabs()) {
      if (ss.tier === 'DRAINING') this.seen.add('tier-draining');
      if (ss.inReserve) this.seen.add('tier-free');
      now.add(ss.base);
    }
    for (const base of this.knownSuperslabs) {
      if (!now.has(base)) {
        this.unmappedBases.add(base);
        this.seen.add('tier-free');
      }
    }
    for (const base of ctx.post.regions().keys()) {
      if (this.unmappedBases.has(base) && !this.knownSuperslabs.has(base)) this.seen.add('unmap-reuse');
    }
    this.knownSuperslabs = now;
    // A slab that had remote frees queued and is EMPTY now: a remote drain emptied and released it.
    // A slab its owner held with remote frees queued, still held after the step with its queue
    // drained and no block in use (neither live nor cached): a drain emptied a held slab, which
    // the owner keeps (the current slab or page stays ACTIVE; it must never be released held).
    const holding = new Set<number>();
    const heldRemote = new Set<number>();
    for (const slab of ctx.post.slabs().values()) {
      if (slab.remoteCount > 0) holding.add(slab.slabId);
      if (slab.state === 'EMPTY' && this.remoteHolding.has(slab.slabId)) this.seen.add('remote-drain-release');
      if (slab.state !== 'ACTIVE' || !ctx.post.heldByOwner(slab)) continue;
      if (this.heldRemote.has(slab.slabId) && slab.remoteCount === 0 && slab.used + slab.usedDelta === 0) this.seen.add('held-drain-empty');
      if (slab.remoteCount > 0) heldRemote.add(slab.slabId);
    }
    this.remoteHolding = holding;
    this.heldRemote = heldRemote;
    // An allocation after which a slab its owner held before is ACTIVE, still owned and not held:
    // only a TinyHeap eviction lets go of a page that way (an emptied page is released instead).
    if (ev.kind === 'alloc') {
      for (const ss of ctx.post.superslabs()) {
        const before = ctx.pre.superslabs.get(ss.base);
        if (before === undefined) continue;
        for (const s of ss.slabs) {
          if (s.state !== 'ACTIVE' || s.owner < 0 || s.cls < 0 || (ctx.config.tinyHeapClasses & (1 << s.cls)) === 0) continue;
          if (before.slabHeld[s.slabIndex] === true && before.slabClasses[s.slabIndex] === s.cls && !ctx.post.heldByOwner(s)) this.seen.add('page-eviction');
        }
      }
    }
    if (ev.kind === 'badFree' && !ev.result.ok) {
      this.seen.add(`bad-${ev.result.error}`);
      if (ev.bad === 'stale' && ev.reallyStale) this.seen.add('bad-stale');
    }
    if (ctx.model.quiescent() && ctx.model.nextSerial() > 0) this.seen.add('no-leak-judged');
    if (ev.kind === 'usableSize' && ev.expected === 0) this.seen.add('usable-size-not-live');
    if (ev.kind === 'readBytes' && ev.threwRangeError) this.seen.add('read-refused');
    if (ev.kind === 'writeBytes' && ev.threwRangeError) this.seen.add('write-refused');
    if (ev.kind === 'misuse' && ev.got === ev.expected) this.seen.add('misuse-refused');
    if (ev.kind === 'stats') this.seen.add('stats-compared');
    // A pool allocation refused a region while a SuperSlab sat parked, served after the parked one
    // went back to the OS (the out-of-memory retry: trim the reserve, ask again).
    const stats = ctx.allocator.stats();
    const reserveNow = ctx.view.reserve().length;
    if (ev.kind === 'alloc' && ev.servedBy === 'pool' && reserveNow < this.lastReserve && this.lastStats !== null && stats.osRefusalsBySite.poolGrowth > this.lastStats.osRefusalsBySite.poolGrowth) {
      this.seen.add('reserve-given-back');
    }
    this.lastReserve = reserveNow;
    this.lastStats = stats;
  }

  reached(): ReadonlySet<ReachItem> {
    const s = this.lastStats;
    if (s !== null) {
      for (const stage of ACQUIRE_STAGES) if (s.stages[stage] > 0) this.seen.add(STAGE_ITEM[stage]);
      if (s.rebinds > 0) this.seen.add('rebind');
      if (s.drainingTransitions > 0) this.seen.add('tier-draining');
      if (s.deltaThresholdFlushes > 0) this.seen.add('delta-threshold-flush');
      if (s.registryFullEvents > 0) this.seen.add('registry-full');
      if (s.tlsOverflowDrains > 0) this.seen.add('tls-overflow-drain');
      if (s.remoteDrainReleases > 0) this.seen.add('remote-drain-release');
      if (s.orphansPublished > 0 && s.stages.stage0 > 0) this.seen.add('exit-adoption');
      if (s.poolFallbacks > 0) this.seen.add('pool-fallback');
      const refused = s.osRefusalsBySite;
      if (refused.stage3Alloc > 0) this.seen.add('refused-stage3');
      if (refused.prefill > 0) this.seen.add('refused-prefill');
      if (refused.pageRefill > 0) this.seen.add('refused-page-refill');
      if (refused.poolGrowth > 0) this.seen.add('refused-pool-growth');
      if (refused.remap > 0) this.seen.add('refused-remap');
    }
    return this.seen;
  }
}

export interface ProfileReach {
  readonly profile: string;
  readonly runs: number;
  readonly steps: number;
  /** Runs that reached each state. */
  readonly counts: Readonly<Record<ReachItem, number>>;
  /** Why a state is out of reach in this profile (absent when it is possible). */
  readonly impossible: Readonly<Partial<Record<ReachItem, string>>>;
  /** Invariant failures met on the way (a clean implementation has none). */
  readonly failures: readonly string[];
}

/** Replays `runs` generated programs of a profile (same generators as the suite) and counts reach. */
export function measureReach(profile: string, runs: number, seed: number, config: AllocatorConfig = profileConfig(profile)): ProfileReach {
  const programs: Program[] = fc.sample(makeProgramArbitrary(config), { seed, numRuns: runs });
  const counts = Object.fromEntries(REACH_ITEMS.map((i) => [i, 0])) as Record<ReachItem, number>;
  const failures: string[] = [];
  let steps = 0;
  for (const program of programs) {
    const tracker = new ReachTracker();
    const r = replay(config, program.commands, { observer: (ctx) => tracker.observe(ctx) });
    steps += r.executed;
    if (r.failure !== null) failures.push(`${r.failure.invariant} at step ${r.failure.step}: ${r.failure.message}`);
    for (const item of tracker.reached()) counts[item]++;
  }
  const impossible: Partial<Record<ReachItem, string>> = {};
  for (const item of REACH_ITEMS) {
    const why = reachImpossibility(config, item);
    if (why !== null) impossible[item] = why;
  }
  return { profile, runs: programs.length, steps, counts, impossible, failures };
}

/** The reach table as text: one row per state, one column per profile, percent of runs ('n/a' where impossible). */
export function formatReachTable(reaches: readonly ProfileReach[]): string {
  const head = ['state'.padEnd(24), ...reaches.map((r) => r.profile.padStart(12))].join(' ');
  const rows = REACH_ITEMS.map((item) =>
    [
      item.padEnd(24),
      ...reaches.map((r) => {
        if (r.impossible[item] !== undefined) return 'n/a'.padStart(12);
        return `${((100 * r.counts[item]) / Math.max(1, r.runs)).toFixed(0)}%`.padStart(12);
      }),
    ].join(' '),
  );
  const foot = ['runs'.padEnd(24), ...reaches.map((r) => String(r.runs).padStart(12))].join(' ');
  return [head, ...rows, foot].join('\n');
}

/** States of a profile below `minShare` of runs although possible there. */
export function reachShortfalls(r: ProfileReach, minShare: number): ReachItem[] {
  return REACH_ITEMS.filter((item) => r.impossible[item] === undefined && r.counts[item] < minShare * r.runs);
}

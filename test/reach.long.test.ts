// Reach: the generators get into the deep states (SPEC §8). For every profile, at a fixed seed,
// each state that is possible in that profile is reached in at least 5% of the runs; the table is
// printed. The runs replay through the same steps as the suite, so they also check every invariant.
// ALLOC_CHECK_REACH_RUNS sets the runs per small-scope profile (big profiles get half).

import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig, PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import type { ProfileReach } from '../properties/reach.ts';
import { formatReachTable, measureReach, REACH_ITEMS, reachImpossibility, reachShortfalls } from '../properties/reach.ts';

const RUNS = Number(process.env.ALLOC_CHECK_REACH_RUNS ?? 300);
const SEED = Number(process.env.ALLOC_CHECK_SEED ?? 20240601);
const MIN_SHARE = 0.05;
const runsFor = (profile: string): number => (profile.startsWith('tiny') ? RUNS : Math.max(20, Math.round(RUNS / 2)));

const reaches: ProfileReach[] = [];

describe(`reach (seed ${SEED})`, () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: every possible deep state in ≥ ${100 * MIN_SHARE}% of runs`, () => {
      const r = measureReach(profile, runsFor(profile), SEED);
      reaches.push(r);
      expect(r.runs).toBe(runsFor(profile));
      expect(r.failures).toEqual([]);
      const short = reachShortfalls(r, MIN_SHARE).map((item) => `${item}: ${r.counts[item]}/${r.runs}`);
      expect(short).toEqual([]);
    });
  }

  it('rules out only what a profile cannot reach, and says why', () => {
    const tiny = profileConfig('tiny');
    expect(REACH_ITEMS.filter((i) => reachImpossibility(tiny, i) !== null)).toEqual(['delta-threshold-flush', 'page-eviction', 'reserve-given-back']);
    expect(reachImpossibility(tiny, 'reserve-given-back')).toBe('emptyReserve 0: no SuperSlab is parked');
    expect(reachImpossibility(profileConfig('tiny-threads'), 'reserve-given-back')).toBeNull();
    expect(reachImpossibility(tiny, 'page-eviction')).toBe('C3: soft cap 2 <= 2 pages');
    expect(REACH_ITEMS.filter((i) => reachImpossibility(profileConfig('tiny-meta'), i) !== null)).toEqual(['reserve-given-back']);
    const def = profileConfig('default');
    expect(reachImpossibility(def, 'registry-full')).toMatch(/needs 32768 slots/);
    expect(reachImpossibility(def, 'stage1')).toMatch(/DRAINING unless > 512 KiB stay live/);
    expect(reachImpossibility(def, 'stage3')).toBeNull();
    expect(reachImpossibility(def, 'page-eviction')).toBe('C7: 128 live blocks to fill the pages');
  });

  it('rules out a refusal only at a map site the config cannot reach (issue 19)', () => {
    // Every profile reaches every map site (tiny-off through a route switch): nothing is ruled out.
    for (const p of PROFILE_NAMES) expect(REACH_ITEMS.filter((i) => i.startsWith('refused-') && reachImpossibility(profileConfig(p), i) !== null)).toEqual([]);
    const tiny = profileConfig('tiny');
    expect(reachImpossibility(makeConfig({ ...tiny, tinyHeapClasses: 0 }), 'refused-page-refill')).toBe('no TinyHeap class');
    expect(reachImpossibility(makeConfig({ ...tiny, poolBytes: 0 }), 'refused-pool-growth')).toBe('the pool has no region to grow by');
    expect(reachImpossibility(makeConfig({ ...tiny, warmPoolPrefill: 0 }), 'refused-prefill')).toBe('no warm-pool prefill');
    expect(reachImpossibility(makeConfig({ ...tiny, tinyHeapClasses: 0xf }), 'refused-prefill')).toBe('no warm-pool prefill');
  });
});

afterAll(() => {
  if (reaches.length > 0) {
    const order = PROFILE_NAMES.filter((p) => reaches.some((r) => r.profile === p));
    console.log(`reach table (share of runs; n/a = not possible in the profile)\n${formatReachTable(order.map((p) => reaches.find((r) => r.profile === p) as ProfileReach))}`);
  }
});

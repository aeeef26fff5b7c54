// Goal: the two measured warm-pool properties (properties/warmPool.ts) judge the right thing both
// ways: the correct allocator clears both thresholds on every seed tried; warm-pool-no-prefill
// scores exactly 0 prefill hits and fails 'warm-pool-hit-rate' only; warm-pool-no-pushback scores
// exactly 0 push-back hits and fails 'warm-pool-pushback-rate' only; no other fault moves them below.
// Method: SPEC §10's random-mixed workload in bursts of 32 frees then 32 allocations through the public API,
// hits counted by properties/warmPoolObserver.ts from the view (which slab became current, what
// the warm pool held before), cross-checked against a hand-built state; deterministic per seed
// (no Math.random), guarded against a run too short to judge.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAllocator, FAULT_NAMES, profileConfig } from '../impl/index.ts';
import { describeWarmPool, measureWarmPool, WARM_POOL_MIN_LOOKUPS, WARM_POOL_PUSHBACK_THRESHOLD, WARM_POOL_THRESHOLD, xorshift32 } from '../properties/warmPool.ts';
import { WarmPoolObserver } from '../properties/warmPoolObserver.ts';

afterEach(() => vi.restoreAllMocks());

const SEEDS = [1, 2, 3];

describe('warm-pool properties (random-mixed ws 8192 in bursts of 32, sizes 16..1040, C7 through the thread cache)', () => {
  it('the correct design clears both thresholds on every seed', () => {
    for (const seed of SEEDS) {
      const o = measureWarmPool({ seed });
      expect(o.passed, `seed ${seed}: ${describeWarmPool(o)}`).toBe(true);
      expect(o.prefillRate).toBeGreaterThanOrEqual(WARM_POOL_THRESHOLD + 0.2);
      expect(o.pushbackRate).toBeGreaterThanOrEqual(WARM_POOL_PUSHBACK_THRESHOLD + 0.04);
      expect(o.lookups).toBeGreaterThanOrEqual(WARM_POOL_MIN_LOOKUPS * 3);
      expect(o.hits).toBe(o.prefillHits + o.pushbackHits);
      expect(o.prefillHits).toBe(o.classes.reduce((s, c) => s + c.prefillHits, 0));
    }
  });

  it('the suite\'s own count agrees with what the allocator says of itself on the correct design', () => {
    // A cross-check only: the property never reads stats(); here the two must agree.
    const o = measureWarmPool({ seed: 1 });
    const a = createAllocator(profileConfig('default', { tinyHeapClasses: 0 }));
    const rnd = xorshift32(1);
    const slots = new Array<number>(8192).fill(0);
    for (let done = 0; done < 60_000; done += 32) {
      const picked = Array.from({ length: 32 }, () => rnd() % 8192);
      for (const j of picked) {
        if (slots[j] !== 0) a.free(0, slots[j] as number);
        slots[j] = 0;
      }
      for (const j of picked) if (slots[j] === 0) slots[j] = a.alloc(0, 16 + (rnd() % 1025));
    }
    const st = a.stats();
    expect(o.hits).toBe(st.warmHits.reduce((s, n) => s + n, 0));
  });

  it('warm-pool-no-prefill: 0 prefill hits on every seed, fails warm-pool-hit-rate, push-back still counted', () => {
    for (const seed of SEEDS) {
      const o = measureWarmPool({ seed, faults: ['warm-pool-no-prefill'] });
      expect(o.passed ? 'passed' : o.invariant).toBe('warm-pool-hit-rate');
      expect(o.prefillHits).toBe(0);
      expect(o.pushbackRate).toBeGreaterThanOrEqual(WARM_POOL_PUSHBACK_THRESHOLD);
      expect(o.passed ? '' : o.message).toMatch(new RegExp(`^warm pool prefill hits 0\\.0% of slab switches \\(0/${o.lookups}: .*C7 0/\\d+\\) is below 18\\.0% on random-mixed ws 8192 in bursts of 32, 60000 allocations, seed ${seed}$`));
    }
  });

  it('warm-pool-no-pushback: 0 push-back hits on every seed, fails warm-pool-pushback-rate, prefill still counted', () => {
    for (const seed of SEEDS) {
      const o = measureWarmPool({ seed, faults: ['warm-pool-no-pushback'] });
      expect(o.passed ? 'passed' : o.invariant).toBe('warm-pool-pushback-rate');
      expect(o.pushbackHits).toBe(0);
      expect(o.prefillRate).toBeGreaterThanOrEqual(WARM_POOL_THRESHOLD);
      expect(o.passed ? '' : o.message).toMatch(/^warm pool push-back hits 0\.0% of slab switches \(0\/\d+: .*\) is below 7\.0%/);
    }
  });

  it('every other planted fault leaves both rates above their thresholds (the properties are about the warm pool only)', () => {
    for (const fault of FAULT_NAMES.filter((f) => f !== 'warm-pool-no-prefill' && f !== 'warm-pool-no-pushback')) {
      const o = measureWarmPool({ seed: 1, faults: [fault] });
      expect([fault, o.passed]).toEqual([fault, true]);
    }
  });

  it('the observer tells a prefilled entry from a pushed-back one, from the view alone', () => {
    // tiny, class 2 (stride 32): 3-4 blocks a slab, warm pool cap 2, prefill 1, thread cache cap 2.
    const a = createAllocator(profileConfig('tiny', { softCap: [3, 3, 8, 2] }));
    const obs = new WarmPoolObserver(a.view, 0);
    const ps: number[] = [];
    for (let i = 0; i < 9; i++) {
      ps.push(a.alloc(0, 20));
      obs.observe('alloc', 2);
    }
    const afterFill = obs.total();
    expect(afterFill).toEqual({ switches: 3, prefillHits: 1, pushbackHits: 0 }); // slabs 4, 5 (prefilled), 6
    for (const p of ps.slice(0, 3)) {
      a.free(0, p);
      obs.observe('free', 2);
    }
    // Slab 4 got a block back and was pushed back on top of prefilled slab 7; the next switch takes it.
    for (let i = 0; i < 5; i++) {
      a.alloc(0, 20);
      obs.observe('alloc', 2);
    }
    expect(obs.total()).toEqual({ switches: 4, prefillHits: 1, pushbackHits: 1 });
  });

  it('is deterministic per seed, differs across seeds, and never calls Math.random', () => {
    const random = vi.spyOn(Math, 'random');
    const a = measureWarmPool({ seed: 11 });
    const b = measureWarmPool({ seed: 11 });
    const c = measureWarmPool({ seed: 12 });
    expect({ ...a, ms: 0 }).toEqual({ ...b, ms: 0 });
    expect([c.hits, c.lookups]).not.toEqual([a.hits, a.lookups]);
    expect(random).not.toHaveBeenCalled();
    const r0 = xorshift32(0);
    const r1 = xorshift32(1);
    expect(r0()).not.toBe(0);
    expect(r0()).not.toBe(r1());
  });

  it('runs in well under two seconds', () => {
    const o = measureWarmPool({ seed: 4 });
    expect(o.iterations).toBe(60_000);
    expect(o.ms).toBeLessThan(2000);
  });

  it('a run too short to judge fails instead of passing on noise', () => {
    const o = measureWarmPool({ seed: 1, iterations: 1000 });
    expect(o.passed).toBe(false);
    expect(o.lookups).toBeLessThan(WARM_POOL_MIN_LOOKUPS);
    expect(o.passed ? '' : o.message).toMatch(/^only \d+ slab switches in 1000 allocations \(seed 1\); at least 50 are needed/);
  });
});

// The measured property for warm-pool-drops-slab (properties/warmPool.ts), both ways: the correct
// allocator clears the threshold with margin on every seed tried, the faulty one scores 0 and fails
// with 'warm-pool-hit-rate'. Deterministic (no Math.random), fast, and guarded against a run too
// short to judge.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { FAULT_NAMES } from '../impl/index.ts';
import { describeWarmPool, measureWarmPool, WARM_POOL_MIN_LOOKUPS, WARM_POOL_THRESHOLD, xorshift32 } from '../properties/warmPool.ts';

afterEach(() => vi.restoreAllMocks());

const SEEDS = [1, 2, 3, 4, 5];

describe('warm-pool hit rate (random-mixed ws 8192, sizes 16..1040, C7 through the thread cache)', () => {
  it('the correct design clears the threshold with margin on every seed', () => {
    for (const seed of SEEDS) {
      const o = measureWarmPool({ seed });
      expect(o.passed, `seed ${seed}: ${describeWarmPool(o)}`).toBe(true);
      expect(o.rate).toBeGreaterThanOrEqual(WARM_POOL_THRESHOLD + 0.3);
      expect(o.lookups).toBeGreaterThanOrEqual(WARM_POOL_MIN_LOOKUPS * 3);
      // C7 carries most of the lookups and hits most of the time (seed 001's class).
      const c7 = o.classes.find((c) => c.cls === 7);
      expect(c7?.rate ?? 0).toBeGreaterThan(0.7);
      expect(o.hits).toBe(o.classes.reduce((s, c) => s + c.hits, 0));
    }
  });

  it('with warm-pool-drops-slab every seed scores exactly 0 and fails with warm-pool-hit-rate', () => {
    for (const seed of SEEDS) {
      const o = measureWarmPool({ seed, faults: ['warm-pool-drops-slab'] });
      expect(o.passed).toBe(false);
      if (o.passed) continue;
      expect(o.invariant).toBe('warm-pool-hit-rate');
      expect(o.rate).toBe(0);
      expect(o.hits).toBe(0);
      expect(o.lookups).toBeGreaterThanOrEqual(WARM_POOL_MIN_LOOKUPS);
      expect(o.message).toMatch(new RegExp(`^warm pool hit rate 0\\.0% \\(0/${o.lookups}: .*C7 0/\\d+\\) is below 40\\.0% on random-mixed ws 8192, 60000 iterations, seed ${seed}$`));
    }
  });

  it('every other planted fault leaves the rate above the threshold (the property is about the warm pool only)', () => {
    for (const fault of FAULT_NAMES.filter((f) => f !== 'warm-pool-drops-slab')) {
      const o = measureWarmPool({ seed: 1, faults: [fault] });
      expect([fault, o.passed, o.rate >= WARM_POOL_THRESHOLD]).toEqual([fault, true, true]);
    }
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

  it('runs well under a second', () => {
    measureWarmPool({ seed: 3 }); // JIT warm-up
    const o = measureWarmPool({ seed: 4 });
    expect(o.iterations).toBe(60_000);
    expect(o.ms).toBeLessThan(500);
  });

  it('a run too short to judge fails instead of passing on noise', () => {
    const o = measureWarmPool({ seed: 1, iterations: 1000 });
    expect(o.passed).toBe(false);
    expect(o.lookups).toBeLessThan(WARM_POOL_MIN_LOOKUPS);
    expect(o.passed ? '' : o.message).toMatch(/^only \d+ warm-pool lookups in 1000 iterations \(seed 1\); at least 50 are needed/);
  });
});

// The measured property for SPEC §9's performance-only fault (`warm-pool-drops-slab`): the warm
// pool must actually serve refills. No invariant can see the fault (every state it leaves is
// legal); what it breaks is a figure, the warm pool hit rate (seed 001 judged itself by it).
//
// The workload is SPEC §10's `random-mixed` at its large working set: ws 8192 slots, sizes uniform
// in 16..1040, each iteration frees a random slot if occupied and allocates into it, one thread,
// through the public allocator API only. Randomness is xorshift32 seeded from the run seed (mixed,
// so that neighbouring seeds give unrelated streams); no Math.random. The config is the default
// profile with `tinyHeapClasses: 0`, so that C7 goes through the thread cache and its warm pool as
// in seed 001 (with the TinyHeap front C7 would never touch the warm pool).
//
// Why ws 8192 and not 256: with ws 256 the default geometry (64 KiB slabs, thread caches of 64+
// blocks) needs about 10 refills in 200 000 iterations, a sample too small to judge a rate (seed 5
// measured 3/10). At ws 8192 the same sizes give ~200 warm-pool lookups in 60 000 iterations.
//
// The figure: warmHits / (warmHits + warmMisses) from allocator.stats(), pooled over the classes
// that had any refill that needed a new slab (hits + misses > 0). Figures over seeds 1-20
// (docs/kill-matrix.md): correct design 0.747..0.812 (174-239 lookups), with the fault exactly 0
// (no push-back, no prefill: the pool is always empty when a slab runs dry). The threshold, 0.40,
// leaves a margin of 0.40 above the faulty figure and 0.35 below the worst correct one; the correct
// design also clears seed 001's own target of 0.556. A run with fewer than WARM_POOL_MIN_LOOKUPS
// lookups proves nothing and fails as well. 60 000 iterations take 25-80 ms.
//
// Nothing here reads config.faults: the caller switches faults on in the config it passes.

import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import { createAllocator, profileConfig } from '../impl/index.ts';
import type { FailureName } from './runnerApi.ts';

/** The workload (SPEC §10 random-mixed, large working set). */
export const WARM_POOL_WORKLOAD = Object.freeze({ ws: 8192, iterations: 60_000, minSize: 16, maxSize: 1040 });
/** Pass at or above this pooled hit rate. */
export const WARM_POOL_THRESHOLD = 0.4;
/** Fewer warm-pool lookups than this make the rate meaningless: the property fails. */
export const WARM_POOL_MIN_LOOKUPS = 50;

/** The config the property measures: default geometry, C7 through the thread cache (seed 001). */
export function warmPoolConfig(faults: readonly FaultName[] = []): AllocatorConfig {
  return profileConfig('default', { tinyHeapClasses: 0, faults: [...faults] });
}

export interface WarmPoolClassFigure {
  readonly cls: number;
  readonly hits: number;
  readonly misses: number;
  readonly rate: number;
}

interface Measured {
  readonly seed: number;
  /** Pooled hit rate (0 when nothing was looked up). */
  readonly rate: number;
  readonly hits: number;
  readonly lookups: number;
  /** Classes with any lookup, ascending. */
  readonly classes: readonly WarmPoolClassFigure[];
  readonly threshold: number;
  readonly iterations: number;
  /** Wall-clock time of the workload, ms. */
  readonly ms: number;
}

export type WarmPoolOutcome =
  | ({ readonly passed: true } & Measured)
  | ({ readonly passed: false; readonly invariant: Extract<FailureName, 'warm-pool-hit-rate' | 'internal-error'>; readonly message: string } & Measured);

export interface WarmPoolOptions {
  readonly seed: number;
  /** Faults switched on in the measured config (ignored when `config` is given). */
  readonly faults?: readonly FaultName[];
  /** Another config to measure (must serve sizes 16..1040 from its tiny classes to mean anything). */
  readonly config?: AllocatorConfig;
  readonly threshold?: number;
  readonly iterations?: number;
  readonly now?: () => number;
}

/** xorshift32 from a mixed seed (murmur3's finaliser), never 0. */
export function xorshift32(seed: number): () => number {
  let h = seed >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  let s = h >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const pct = (r: number): string => `${(r * 100).toFixed(1)}%`;

/** Runs the workload and judges the pooled warm-pool hit rate against the threshold. */
export function measureWarmPool(options: WarmPoolOptions): WarmPoolOutcome {
  const now = options.now ?? (() => performance.now());
  const config = options.config ?? warmPoolConfig(options.faults ?? []);
  const threshold = options.threshold ?? WARM_POOL_THRESHOLD;
  const iterations = options.iterations ?? WARM_POOL_WORKLOAD.iterations;
  const { ws, minSize, maxSize } = WARM_POOL_WORKLOAD;
  const started = now();
  const allocator = createAllocator(config);
  const rnd = xorshift32(options.seed);
  const slots = new Array<number>(ws).fill(0);
  let thrown: string | null = null;
  let done = 0;
  try {
    for (; done < iterations; done++) {
      const j = rnd() % ws;
      const p = slots[j] as number;
      if (p !== 0) allocator.free(0, p);
      slots[j] = allocator.alloc(0, minSize + (rnd() % (maxSize - minSize + 1)));
    }
  } catch (e) {
    thrown = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const st = allocator.stats();
  const classes: WarmPoolClassFigure[] = [];
  for (let c = 0; c < config.strides.length; c++) {
    const hits = st.warmHits[c] ?? 0;
    const misses = st.warmMisses[c] ?? 0;
    if (hits + misses > 0) classes.push({ cls: c, hits, misses, rate: hits / (hits + misses) });
  }
  const hits = classes.reduce((s, f) => s + f.hits, 0);
  const lookups = classes.reduce((s, f) => s + f.hits + f.misses, 0);
  const rate = lookups === 0 ? 0 : hits / lookups;
  const measured: Measured = { seed: options.seed, rate, hits, lookups, classes, threshold, iterations: done, ms: now() - started };
  if (thrown !== null) {
    return { passed: false, invariant: 'internal-error', message: `the allocator threw at iteration ${done} of the warm-pool workload (seed ${options.seed}): ${thrown}`, ...measured };
  }
  if (lookups < WARM_POOL_MIN_LOOKUPS) {
    return {
      passed: false,
      invariant: 'warm-pool-hit-rate',
      message: `only ${lookups} warm-pool lookups in ${iterations} iterations (seed ${options.seed}); at least ${WARM_POOL_MIN_LOOKUPS} are needed to judge the hit rate`,
      ...measured,
    };
  }
  if (rate < threshold) {
    const perClass = classes.map((f) => `C${f.cls} ${f.hits}/${f.hits + f.misses}`).join(', ');
    return {
      passed: false,
      invariant: 'warm-pool-hit-rate',
      message: `warm pool hit rate ${pct(rate)} (${hits}/${lookups}: ${perClass}) is below ${pct(threshold)} on random-mixed ws ${ws}, ${iterations} iterations, seed ${options.seed}`,
      ...measured,
    };
  }
  return { passed: true, ...measured };
}

/** One line for reports: `82.3% (214/260) >= 40.0%`. */
export function describeWarmPool(o: WarmPoolOutcome): string {
  return `${pct(o.rate)} (${o.hits}/${o.lookups}) ${o.rate >= o.threshold ? '>=' : '<'} ${pct(o.threshold)}`;
}

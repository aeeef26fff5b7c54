// The measured properties for SPEC §9's performance-only faults, seed 001's warm pool split in
// two catalogue entries: `warm-pool-no-prefill` and `warm-pool-no-pushback` (SPEC's
// `warm-pool-drops-slab` is both). No invariant can see them (every state they leave is legal);
// what they break is a figure: how often a slab switch is served by the warm pool.
//
// The workload is SPEC §10's `random-mixed` at its large working set, in bursts: ws 8192 slots,
// sizes uniform in 16..1040; each burst picks 32 random slots, frees those that are occupied, then
// allocates into them; 60 000 allocations, one thread, through the public allocator API only.
// Bursts make the thread caches overflow and drain blocks back to set-aside slabs, which is what
// push-back serves (with burst 1, plain random-mixed, a cache of 64 overflows 1-4 times in 60 000
// iterations and seed 44 of the correct design sees no push-back hit at all). Randomness is
// xorshift32 seeded from the run seed (mixed, so that neighbouring seeds give unrelated streams);
// no Math.random. The config is the default profile with `tinyHeapClasses: 0`, so that C7 goes
// through the thread cache and its warm pool as in seed 001.
//
// Hits are counted by the suite from what it observes (properties/warmPoolObserver.ts: which slab
// is current and what the warm pool holds, read from the view after every step), never from the
// allocator's stats(). Over slab switches (allocations after which the class's current slab is
// another one), pooled over the classes:
//   'warm-pool-hit-rate'       prefill hits / switches   >= WARM_POOL_THRESHOLD (0.18)
//   'warm-pool-pushback-rate'  push-back hits / switches >= WARM_POOL_PUSHBACK_THRESHOLD (0.07)
// Figures over seeds 1-60 (docs/kill-matrix.md): the correct design 36.7..62.3% prefill and
// 14.1..49.4% push-back; with warm-pool-no-prefill exactly 0% prefill on every seed, with
// warm-pool-no-pushback exactly 0% push-back on every seed. Each threshold is half the lowest
// correct figure. A run with fewer than WARM_POOL_MIN_LOOKUPS switches proves nothing and fails.
//
// Nothing here reads config.faults: the caller switches faults on in the config it passes.

import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import { createAllocator, profileConfig } from '../impl/index.ts';
import { modelClassOfSize } from '../model/index.ts';
import type { FailureName } from './runnerApi.ts';
import { WarmPoolObserver } from './warmPoolObserver.ts';

/** The workload (SPEC §10 random-mixed, large working set). */
export const WARM_POOL_WORKLOAD = Object.freeze({ ws: 8192, iterations: 60_000, minSize: 16, maxSize: 1040, burst: 32 });
/** 'warm-pool-hit-rate' passes at or above this share of slab switches served by prefilled slabs. */
export const WARM_POOL_THRESHOLD = 0.18;
/** 'warm-pool-pushback-rate' passes at or above this share of slab switches served by pushed-back slabs. */
export const WARM_POOL_PUSHBACK_THRESHOLD = 0.07;
/** Fewer slab switches than this make the rates meaningless: the property fails. */
export const WARM_POOL_MIN_LOOKUPS = 50;

/** The config the property measures: default geometry, C7 through the thread cache (seed 001). */
export function warmPoolConfig(faults: readonly FaultName[] = []): AllocatorConfig {
  return profileConfig('default', { tinyHeapClasses: 0, faults: [...faults] });
}

export interface WarmPoolClassFigure {
  readonly cls: number;
  readonly switches: number;
  readonly prefillHits: number;
  readonly pushbackHits: number;
}

interface Measured {
  readonly seed: number;
  /** Warm-pool hits (prefill + push-back) over slab switches (0 when there was none). */
  readonly rate: number;
  readonly hits: number;
  /** Slab switches observed (allocations after which the class's current slab was another slab). */
  readonly lookups: number;
  readonly prefillRate: number;
  readonly pushbackRate: number;
  readonly prefillHits: number;
  readonly pushbackHits: number;
  /** Classes with any switch, ascending. */
  readonly classes: readonly WarmPoolClassFigure[];
  /** Threshold of the prefill rate (property 'warm-pool-hit-rate'). */
  readonly threshold: number;
  /** Threshold of the push-back rate (property 'warm-pool-pushback-rate'). */
  readonly pushbackThreshold: number;
  readonly iterations: number;
  /** Wall-clock time of the workload, ms. */
  readonly ms: number;
}

export type WarmPoolOutcome =
  | ({ readonly passed: true } & Measured)
  | ({ readonly passed: false; readonly invariant: Extract<FailureName, 'warm-pool-hit-rate' | 'warm-pool-pushback-rate' | 'internal-error'>; readonly message: string } & Measured);

export interface WarmPoolOptions {
  readonly seed: number;
  /** Faults switched on in the measured config (ignored when `config` is given). */
  readonly faults?: readonly FaultName[];
  /** Another config to measure (must serve sizes 16..1040 from its tiny classes to mean anything). */
  readonly config?: AllocatorConfig;
  /** Prefill-rate threshold. */
  readonly threshold?: number;
  readonly pushbackThreshold?: number;
  readonly iterations?: number;
  /** Frees (then allocations) per burst; 1 is SPEC §10's plain random-mixed. */
  readonly burst?: number;
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

/** Runs the workload, observing the warm pool through the view, and judges both rates. */
export function measureWarmPool(options: WarmPoolOptions): WarmPoolOutcome {
  const now = options.now ?? (() => performance.now());
  const config = options.config ?? warmPoolConfig(options.faults ?? []);
  const prefillThreshold = options.threshold ?? WARM_POOL_THRESHOLD;
  const pushbackThreshold = options.pushbackThreshold ?? WARM_POOL_PUSHBACK_THRESHOLD;
  const iterations = options.iterations ?? WARM_POOL_WORKLOAD.iterations;
  const { ws, minSize, maxSize } = WARM_POOL_WORKLOAD;
  const burst = options.burst ?? WARM_POOL_WORKLOAD.burst;
  const started = now();
  const allocator = createAllocator(config);
  const observer = new WarmPoolObserver(allocator.view, 0);
  const rnd = xorshift32(options.seed);
  const slots = new Array<number>(ws).fill(0);
  const slotClass = new Array<number>(ws).fill(-1);
  let thrown: string | null = null;
  let done = 0;
  try {
    const picked = new Array<number>(burst).fill(0);
    while (done < iterations) {
      const n = Math.min(burst, iterations - done);
      // A burst: free n random slots (if occupied), then allocate into the same n slots.
      for (let k = 0; k < n; k++) {
        const j = rnd() % ws;
        picked[k] = j;
        const p = slots[j] as number;
        if (p === 0) continue;
        allocator.free(0, p);
        slots[j] = 0;
        if ((slotClass[j] as number) >= 0) observer.observe('free', slotClass[j] as number);
      }
      for (let k = 0; k < n; k++, done++) {
        const j = picked[k] as number;
        if ((slots[j] as number) !== 0) continue; // picked twice in this burst: filled already
        const size = minSize + (rnd() % (maxSize - minSize + 1));
        const cls = modelClassOfSize(config.strides, size);
        slots[j] = allocator.alloc(0, size);
        slotClass[j] = cls;
        if (cls >= 0) observer.observe('alloc', cls);
      }
    }
  } catch (e) {
    thrown = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const classes = observer.byClass().map((t) => ({ cls: t.cls, switches: t.switches, prefillHits: t.prefillHits, pushbackHits: t.pushbackHits }));
  const { switches, prefillHits, pushbackHits } = observer.total();
  const prefillRate = switches === 0 ? 0 : prefillHits / switches;
  const pushbackRate = switches === 0 ? 0 : pushbackHits / switches;
  const measured: Measured = {
    seed: options.seed,
    rate: switches === 0 ? 0 : (prefillHits + pushbackHits) / switches,
    hits: prefillHits + pushbackHits,
    lookups: switches,
    prefillRate,
    pushbackRate,
    prefillHits,
    pushbackHits,
    classes,
    threshold: prefillThreshold,
    pushbackThreshold,
    iterations: done,
    ms: now() - started,
  };
  const where = `on random-mixed ws ${ws} in bursts of ${burst}, ${iterations} allocations, seed ${options.seed}`;
  if (thrown !== null) {
    return { passed: false, invariant: 'internal-error', message: `the allocator threw at iteration ${done} of the warm-pool workload (seed ${options.seed}): ${thrown}`, ...measured };
  }
  if (switches < WARM_POOL_MIN_LOOKUPS) {
    return {
      passed: false,
      invariant: 'warm-pool-hit-rate',
      message: `only ${switches} slab switches in ${iterations} allocations (seed ${options.seed}); at least ${WARM_POOL_MIN_LOOKUPS} are needed to judge the warm pool`,
      ...measured,
    };
  }
  const perClass = (key: 'prefillHits' | 'pushbackHits'): string => classes.map((f) => `C${f.cls} ${f[key]}/${f.switches}`).join(', ');
  if (prefillRate < prefillThreshold) {
    return {
      passed: false,
      invariant: 'warm-pool-hit-rate',
      message: `warm pool prefill hits ${pct(prefillRate)} of slab switches (${prefillHits}/${switches}: ${perClass('prefillHits')}) is below ${pct(prefillThreshold)} ${where}`,
      ...measured,
    };
  }
  if (pushbackRate < pushbackThreshold) {
    return {
      passed: false,
      invariant: 'warm-pool-pushback-rate',
      message: `warm pool push-back hits ${pct(pushbackRate)} of slab switches (${pushbackHits}/${switches}: ${perClass('pushbackHits')}) is below ${pct(pushbackThreshold)} ${where}`,
      ...measured,
    };
  }
  return { passed: true, ...measured };
}

/** One line for reports: `prefill 61.0% (122/200) >= 30.0%, push-back 20.5% (41/200) >= 5.0%`. */
export function describeWarmPool(o: WarmPoolOutcome): string {
  const side = (name: string, rate: number, hits: number, threshold: number): string => `${name} ${pct(rate)} (${hits}/${o.lookups}) ${rate >= threshold ? '>=' : '<'} ${pct(threshold)}`;
  return `${side('prefill', o.prefillRate, o.prefillHits, o.threshold)}, ${side('push-back', o.pushbackRate, o.pushbackHits, o.pushbackThreshold)}`;
}

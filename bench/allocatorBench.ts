// Allocator throughput and the seeds' own figures (issues 2, 3, 7).

import type { AllocatorStats, profileConfig as ProfileConfigFn, createAllocator as CreateFn } from '../impl/index.ts';
import { bareLoop, larsonLike, randomMixed, tinyHot, type WorkloadResult } from './workloads.ts';

export interface ImplApi {
  readonly createAllocator: typeof CreateFn;
  readonly profileConfig: typeof ProfileConfigFn;
}

export interface WorkloadFigure {
  readonly opsPerSec: number;
  readonly ratioToBare: number;
  readonly ops: number;
  readonly failures: number;
  readonly stages?: AllocatorStats['stages'];
}

export interface SeedFigures {
  readonly tinyFailures: number;
  readonly stage1Share: number;
  /** Stage 0.5 + Stage 1: every acquisition served by an EMPTY slot (what seed 003 was after). */
  readonly emptyReuseShare: number;
  readonly acquisitionsAfterWarmup: number;
  readonly warmPoolHitRate: number;
  readonly warmPoolHitRateByClass: readonly (number | null)[];
  readonly mappedOverLive: number;
  readonly mappedBytes: number;
  readonly liveBytes: number;
}

export interface AllocatorFigures {
  readonly bareLoop: { readonly opsPerSec: number };
  readonly workloads: Record<string, WorkloadFigure>;
  readonly seedFigures: SeedFigures;
  /** The same with hotThreshold 0 (no DRAINING tier), to show what the tier policy costs. */
  readonly seedFiguresNoDraining: SeedFigures;
  /** Warm pool hit rate per class on random-mixed ws 256 (seed 001's measure), default config. */
  readonly warmPoolByClass256: readonly (number | null)[];
}

const SEED = 42;

function hitRates(st: AllocatorStats): (number | null)[] {
  return st.warmHits.map((h, c) => {
    const total = h + (st.warmMisses[c] as number);
    return total === 0 ? null : h / total;
  });
}

/** Best of `repeats` runs (the first warms the JIT). */
function best(repeats: number, run: () => WorkloadResult): WorkloadResult {
  let top: WorkloadResult | undefined;
  for (let r = 0; r < repeats; r++) {
    const res = run();
    if (top === undefined || res.ops / res.seconds > top.ops / top.seconds) top = res;
  }
  return top as WorkloadResult;
}

export function runAllocatorBench(impl: ImplApi, scale: number): AllocatorFigures {
  const iters = Math.max(10_000, Math.round(1_000_000 * scale));
  const bare = best(3, () => bareLoop(256, iters, SEED));
  const bareOps = bare.ops / bare.seconds;
  const workloads: Record<string, WorkloadFigure> = {};
  const record = (name: string, make: () => { res: WorkloadResult; stats?: AllocatorStats }): void => {
    let top: { res: WorkloadResult; stats?: AllocatorStats } | undefined;
    for (let r = 0; r < 3; r++) {
      const got = make();
      if (top === undefined || got.res.ops / got.res.seconds > top.res.ops / top.res.seconds) top = got;
    }
    const t = top as { res: WorkloadResult; stats?: AllocatorStats };
    const opsPerSec = t.res.ops / t.res.seconds;
    workloads[name] = { opsPerSec, ratioToBare: opsPerSec / bareOps, ops: t.res.ops, failures: t.res.failures, ...(t.stats ? { stages: t.stats.stages } : {}) };
  };
  const fresh = (extra: Parameters<typeof impl.profileConfig>[1] = {}) => impl.createAllocator(impl.profileConfig('default', extra));

  let warm256: (number | null)[] = [];
  record('random-mixed-256', () => {
    const a = fresh();
    const res = randomMixed(a, 256, iters, SEED);
    warm256 = hitRates(a.stats());
    return { res, stats: a.stats() };
  });
  record('random-mixed-8192', () => {
    const a = fresh();
    return { res: randomMixed(a, 8192, iters, SEED), stats: a.stats() };
  });
  record('tiny-hot', () => ({ res: tinyHot(fresh(), 16, Math.round(iters / 2)) }));
  record('c7-only', () => {
    const a = fresh();
    return { res: randomMixedFixed(a, 64, 1024, iters), stats: a.stats() };
  });
  record('c7-only-metaLight', () => {
    const a = fresh({ metaLight: true });
    return { res: randomMixedFixed(a, 64, 1024, iters), stats: a.stats() };
  });
  record('larson-4t', () => {
    const a = fresh();
    return { res: larsonLike(a, 4, 1024, iters, SEED), stats: a.stats() };
  });

  return {
    bareLoop: { opsPerSec: bareOps },
    workloads,
    seedFigures: seedFiguresOf(fresh(), iters),
    seedFiguresNoDraining: seedFiguresOf(fresh({ hotThreshold: 0 }), iters),
    warmPoolByClass256: warm256,
  };
}

/** The seeds' own figures on random-mixed ws 8192. */
function seedFiguresOf(a: ReturnType<ImplApi['createAllocator']>, iters: number): SeedFigures {
  let atWarmup: AllocatorStats | undefined;
  const warmupIters = Math.round(iters / 10);
  const res = randomMixed(a, 8192, iters, SEED, { at: warmupIters, run: () => (atWarmup = a.stats()) });
  const end = a.stats();
  const before = (atWarmup ?? end).stages;
  const delta = (k: keyof AllocatorStats['stages']): number => end.stages[k] - before[k];
  const acquisitions = delta('stage0') + delta('stage0_5') + delta('stage1') + delta('stage2') + delta('stage3');
  const hits = end.warmHits.reduce((x, y) => x + y, 0);
  const misses = end.warmMisses.reduce((x, y) => x + y, 0);
  return {
    tinyFailures: end.tinyFailures,
    stage1Share: acquisitions === 0 ? 0 : delta('stage1') / acquisitions,
    emptyReuseShare: acquisitions === 0 ? 0 : (delta('stage0_5') + delta('stage1')) / acquisitions,
    acquisitionsAfterWarmup: acquisitions,
    warmPoolHitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
    warmPoolHitRateByClass: hitRates(end),
    mappedOverLive: end.mappedBytes / Math.max(1, res.liveBytes),
    mappedBytes: end.mappedBytes,
    liveBytes: res.liveBytes,
  };
}

/** c7-only (seed 002): one size, a working set of `ws` slots. */
function randomMixedFixed(a: ReturnType<ImplApi['createAllocator']>, ws: number, size: number, iterations: number): WorkloadResult {
  const t0 = process.hrtime.bigint();
  const slots = new Float64Array(ws);
  let s = SEED;
  let ops = 0;
  let failures = 0;
  for (let it = 0; it < iterations; it++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = s % ws;
    const old = slots[j] as number;
    if (old !== 0) {
      a.free(0, old);
      ops++;
    }
    const p = a.alloc(0, size);
    ops++;
    if (p === 0) failures++;
    slots[j] = p;
  }
  return { ops, liveBytes: 0, failures, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

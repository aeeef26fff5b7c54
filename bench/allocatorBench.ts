// Allocator throughput and the seeds' own figures (issues 2, 3, 7), beside the references of
// issue 13: the pure freelist over the precomputed stream and the no-op harness.

import type { AllocatorStats, profileConfig as ProfileConfigFn, createAllocator as CreateFn } from '../impl/index.ts';
import * as workloadsOwn from './workloads.ts';
import { bareLoop, drawStream, freelistLoop, larsonLike, larsonStream, mixedStream, oneSize, randomMixed, tinyHot, type SlotStream, type WorkloadResult } from './workloads.ts';

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
  /** opsPerSec over freelistLoop's (the physical limit of this harness). */
  readonly ratioToFreelist: number;
  /** The same loop over the same stream with no-op alloc/free (the harness alone). */
  readonly harnessOpsPerSec: number;
  /** opsPerSec over harnessOpsPerSec. */
  readonly ratioToHarness: number;
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
  /** The old reference: a freelist with the generator inside the timed loop. */
  readonly bareLoop: { readonly opsPerSec: number };
  /** A pure freelist over random-mixed-256's precomputed slot sequence. */
  readonly freelistLoop: { readonly opsPerSec: number };
  /** random-mixed-256's loop over its precomputed stream with no-op alloc/free. */
  readonly noopHarness: { readonly opsPerSec: number };
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

/** The workload functions: this module's, or a copy bundled apart for the no-op harness. */
export type WorkloadsModule = typeof import('./workloads.ts');

/** Best of 3 of a workload on the allocator; `stats` taken from the best run's allocator. */
function bestOf3(make: () => { res: WorkloadResult; stats?: AllocatorStats }): { res: WorkloadResult; stats?: AllocatorStats } {
  let top: { res: WorkloadResult; stats?: AllocatorStats } | undefined;
  for (let r = 0; r < 3; r++) {
    const got = make();
    if (top === undefined || got.res.ops / got.res.seconds > top.res.ops / top.res.seconds) top = got;
  }
  return top as { res: WorkloadResult; stats?: AllocatorStats };
}

/** One workload: how to run it on an allocator (the real one or the no-op harness's). */
interface WorkloadPlan {
  readonly name: string;
  readonly real: () => { res: WorkloadResult; stats?: AllocatorStats };
  readonly harness: (w: WorkloadsModule, a: ReturnType<WorkloadsModule['nopAllocator']>) => WorkloadResult;
}

/**
 * Every workload twice over the same precomputed stream: on a fresh allocator (best of 3) and on
 * the no-op allocator through `harness` (a copy of bench/workloads.ts bundled apart, so the real
 * workloads' call sites only ever see the real allocator; best of 3). `harness` defaults to this
 * module's own functions (figures then mix both allocators at one call site: tests only).
 */
/** `--config FILE --profile NAME`: the workloads run on that profile with the file's fields over it. */
export interface CustomConfig {
  readonly profile: string;
  readonly overrides: Readonly<Record<string, unknown>>;
}

export function runAllocatorBench(impl: ImplApi, scale: number, harness?: WorkloadsModule, custom?: CustomConfig): AllocatorFigures {
  const iters = Math.max(10_000, Math.round(1_000_000 * scale));
  // Every random stream is drawn here, before any timed loop.
  const mixed256 = mixedStream(256, iters, SEED);
  const mixed8192 = mixedStream(8192, iters, SEED);
  const c7 = drawStream(64, iters, SEED);
  const larson = larsonStream(1024, iters, SEED);
  const bare = best(3, () => bareLoop(256, iters, SEED));
  const bareOps = bare.ops / bare.seconds;
  const freelist = best(3, () => freelistLoop(mixed256));
  const freelistOps = freelist.ops / freelist.seconds;
  const base = custom?.profile ?? 'default';
  const over = (custom?.overrides ?? {}) as Parameters<typeof impl.profileConfig>[1];
  const fresh = (extra: Parameters<typeof impl.profileConfig>[1] = {}) => impl.createAllocator(impl.profileConfig(base, { ...over, ...extra }));
  const classCount = fresh().view.classCount;
  let warm256: (number | null)[] = [];
  const plans: WorkloadPlan[] = [
    {
      name: 'random-mixed-256',
      real: () => {
        const a = fresh();
        const res = randomMixed(a, mixed256);
        warm256 = hitRates(a.stats());
        return { res, stats: a.stats() };
      },
      harness: (w, a) => w.randomMixed(a, mixed256),
    },
    { name: 'random-mixed-8192', real: () => withStats(fresh(), (a) => randomMixed(a, mixed8192)), harness: (w, a) => w.randomMixed(a, mixed8192) },
    { name: 'tiny-hot', real: () => ({ res: tinyHot(fresh(), 16, Math.round(iters / 2)) }), harness: (w, a) => w.tinyHot(a, 16, Math.round(iters / 2)) },
    { name: 'c7-only', real: () => withStats(fresh(), (a) => oneSize(a, c7, 1024)), harness: (w, a) => w.oneSize(a, c7, 1024) },
    { name: 'c7-only-metaLight', real: () => withStats(fresh({ metaLight: true }), (a) => oneSize(a, c7, 1024)), harness: (w, a) => w.oneSize(a, c7, 1024) },
    { name: 'larson-4t', real: () => withStats(fresh(), (a) => larsonLike(a, 4, larson)), harness: (w, a) => w.larsonLike(a, 4, larson) },
  ];
  const workloads: Record<string, WorkloadFigure> = {};
  for (const plan of plans) {
    const t = bestOf3(plan.real);
    const h = harness ?? workloadsOwn;
    const nop = best(3, () => plan.harness(h, h.nopAllocator(classCount)));
    const opsPerSec = t.res.ops / t.res.seconds;
    const harnessOpsPerSec = nop.ops / nop.seconds;
    workloads[plan.name] = {
      opsPerSec,
      ratioToBare: opsPerSec / bareOps,
      ops: t.res.ops,
      failures: t.res.failures,
      ...(t.stats ? { stages: t.stats.stages } : {}),
      ratioToFreelist: opsPerSec / freelistOps,
      harnessOpsPerSec,
      ratioToHarness: opsPerSec / harnessOpsPerSec,
    };
  }
  return {
    bareLoop: { opsPerSec: bareOps },
    freelistLoop: { opsPerSec: freelistOps },
    noopHarness: { opsPerSec: (workloads['random-mixed-256'] as WorkloadFigure).harnessOpsPerSec },
    workloads,
    seedFigures: seedFiguresOf(fresh(), mixed8192),
    seedFiguresNoDraining: seedFiguresOf(fresh({ hotThreshold: 0 }), mixed8192),
    warmPoolByClass256: warm256,
  };
}

function withStats(a: ReturnType<ImplApi['createAllocator']>, run: (a: ReturnType<ImplApi['createAllocator']>) => WorkloadResult): { res: WorkloadResult; stats: AllocatorStats } {
  const res = run(a);
  return { res, stats: a.stats() };
}

/** The seeds' own figures on random-mixed ws 8192. */
function seedFiguresOf(a: ReturnType<ImplApi['createAllocator']>, stream: SlotStream): SeedFigures {
  let atWarmup: AllocatorStats | undefined;
  const warmupIters = Math.round(stream.slots.length / 10);
  const res = randomMixed(a, stream, { at: warmupIters, run: () => (atWarmup = a.stats()) });
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

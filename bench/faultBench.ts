// Suite effectiveness (issue 7): the kill matrix (cli/mutants.ts runKillMatrix), in-process, over
// several seeds. Per fault of SPEC §9: time to kill (median and max over the seeds: wall clock from
// the start of the search to the end of the first failing run, or the measured property's duration),
// and the length of the minimised repro. Repro files go to a fresh directory under os.tmpdir(),
// never into counterexamples/ (removed afterwards unless kept).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultName } from '../impl/index.ts';
import type { SuiteModule } from './bundle.ts';

export interface FaultFigure {
  readonly name: FaultName;
  /** Null when no seed killed it. */
  readonly medianMsToKill: number | null;
  readonly maxMsToKill: number | null;
  /** Commands of the minimised repro; null when none was kept (see note). */
  readonly reproLength: number | null;
  readonly killed: boolean;
  readonly killedSeeds: number;
  readonly invariant: string | null;
  /** Which check of the gate killed it first ('search': the invariant search; 'measure': the warm-pool hit rate). */
  readonly profile: string | null;
  readonly minimal: boolean | null;
  readonly msToKillPerSeed: readonly (number | null)[];
  readonly note: string | null;
}

export interface FaultFigures {
  readonly seeds: readonly number[];
  readonly faultTimeMs: number;
  readonly clean: { readonly passed: boolean; readonly steps: number; readonly ms: number };
  readonly faults: readonly FaultFigure[];
  /** Where the repros were written (null once removed). */
  readonly reproDir: string | null;
  readonly seconds: number;
}

export interface FaultPlan {
  readonly seeds: number;
  /** Search cap per fault and seed. */
  readonly faultTimeMs: number;
  readonly cleanTimeMs: number;
  readonly keepRepros: boolean;
  /** `--config FILE --profile NAME`: the matrix searches that configuration. */
  readonly custom?: { readonly profile: string; readonly overrides: Readonly<Record<string, unknown>> };
  readonly onProgress?: (label: string, done: number, total: number) => void;
}

export function runFaultBench(suite: SuiteModule, plan: FaultPlan): FaultFigures {
  const dir = mkdtempSync(join(tmpdir(), 'alloc-check-bench-'));
  const t0 = process.hrtime.bigint();
  try {
    const m = suite.runKillMatrix(
      {
        seed: suite.MATRIX_DEFAULT_SEED,
        seeds: plan.seeds,
        faultTimeMs: plan.faultTimeMs,
        cleanTimeMs: plan.cleanTimeMs,
        minimizeTimeMs: suite.MINIMIZE_TIME_MS,
        outDir: dir,
        faults: suite.FAULT_NAMES,
        ...(plan.custom !== undefined ? { custom: plan.custom } : {}),
        ...(plan.onProgress !== undefined ? { onProgress: plan.onProgress } : {}),
      },
      { runSuite: suite.runSuite, runCommands: suite.runCommands },
    );
    if (!m.ok) throw new Error(`kill matrix: ${suite.formatError(m.error)}`);
    const k = m.value;
    return {
      seeds: k.seeds,
      faultTimeMs: k.faultTimeMs,
      clean: { passed: k.clean.passed, steps: k.clean.steps, ms: k.clean.ms },
      faults: k.faults.map((f) => ({
        name: f.name,
        medianMsToKill: f.medianMsToKill,
        maxMsToKill: f.maxMsToKill,
        reproLength: f.reproLength,
        killed: f.killed,
        killedSeeds: f.killedSeeds,
        invariant: f.invariant,
        profile: f.profile,
        minimal: f.repro?.minimal ?? null,
        msToKillPerSeed: f.attempts.map((a) => a.msToKill),
        note: f.note,
      })),
      reproDir: plan.keepRepros ? dir : null,
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    };
  } finally {
    if (!plan.keepRepros) rmSync(dir, { recursive: true, force: true });
  }
}

// Running command sequences on a native target: single runs (what replay and the minimiser call,
// one driver process each) and the search (batches of generated sequences per driver process,
// every sequence in its own forked child), then the project's minimiser on the first failure.

import fc from 'fast-check';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName, RunOutcome } from '../properties/runnerApi.ts';
import { minimize } from '../cli/minimize.ts';
import type { MinimizeResult } from '../cli/minimize.ts';
import { nativeSequenceArbitrary } from './commands.ts';
import { openDriver } from './driverProcess.ts';
import type { DriverSession } from './driverProcess.ts';
import { judgeRun } from './judge.ts';
import type { NativeOptions, NativeTarget } from './target.ts';

export interface NativeRunner {
  readonly session: DriverSession;
  run(config: AllocatorConfig, commands: readonly CommandData[], options?: { readonly record?: boolean }): RunOutcome;
}

export function nativeRunner(target: NativeTarget, options: NativeOptions, timeoutMs?: number): NativeRunner {
  const session = openDriver(target, options, timeoutMs);
  return {
    session,
    run(config, commands, runOptions = {}) {
      const [r] = session.runBatch([{ threads: config.threads, commands }]);
      if (r === undefined) throw new Error('the driver gave no run');
      return judgeRun(config, options, commands, r, runOptions.record === true);
    },
  };
}

export interface NativeSearchOptions {
  readonly seed: number;
  readonly runs?: number;
  readonly timeMs?: number;
  /** Most sequences per driver process (batches start at 4 and double, so a quick failure costs little). */
  readonly batch?: number;
  readonly maxLength?: number;
}

export interface NativeSearchResult {
  readonly runs: number;
  readonly steps: number;
  readonly ms: number;
  readonly failure: { readonly commands: readonly CommandData[]; readonly outcome: Extract<RunOutcome, { passed: false }>; readonly run: number } | null;
}

/** Generates and runs sequences until a failure, the run count or the time budget. Deterministic for a seed and run count. */
export function searchNative(runner: NativeRunner, config: AllocatorConfig, o: NativeSearchOptions): NativeSearchResult {
  const arb = nativeSequenceArbitrary(config, runner.session.options, o.maxLength);
  const batch = o.batch ?? 64;
  const started = Date.now();
  let runs = 0;
  let steps = 0;
  for (let b = 0; ; b++) {
    if (o.runs !== undefined && runs >= o.runs) break;
    if (o.timeMs !== undefined && Date.now() - started >= o.timeMs) break;
    const size = Math.min(batch, 4 << Math.min(b, 10));
    const n = o.runs === undefined ? size : Math.min(size, o.runs - runs);
    const sequences = fc.sample(arb, { seed: (o.seed + Math.imul(b, 0x9e3779b1)) | 0, numRuns: n });
    const results = runner.session.runBatch(sequences.map((commands) => ({ threads: config.threads, commands })));
    for (let i = 0; i < sequences.length; i++) {
      const commands = sequences[i] as CommandData[];
      const outcome = judgeRun(config, runner.session.options, commands, results[i] as (typeof results)[number], false);
      runs++;
      steps += outcome.steps;
      if (!outcome.passed) return { runs, steps, ms: Date.now() - started, failure: { commands: commands.slice(0, outcome.step), outcome, run: runs } };
    }
  }
  return { runs, steps, ms: Date.now() - started, failure: null };
}

/** The project's minimiser (cli/minimize.ts), every try replayed through the driver. */
export function minimizeNative(
  runner: NativeRunner,
  config: AllocatorConfig,
  commands: readonly CommandData[],
  invariant: FailureName,
  budget: { readonly timeMs: number; readonly maxAttempts?: number },
): ReturnType<typeof minimize> {
  return minimize(config, commands, invariant, (c, cmds) => runner.run(c, cmds), budget);
}

export type { MinimizeResult };

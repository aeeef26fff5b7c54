// The property suite's entry points, per the contract in runnerApi.ts:
//   runCommands(config, commands)  replays plain CommandData without fast-check, checking every
//                                  invariant after every step;
//   runSuite(options)              fast-check over every requested profile at a seed, returning the
//                                  first counterexample as CommandData with its replay path.
// Both step through the same Session, so a counterexample replays identically. Nothing here prints.

import fc from 'fast-check';
import type { AllocatorConfig } from '../impl/index.ts';
import { profileConfig } from '../impl/index.ts';
import type { CommandData } from './commandData.ts';
import type { SuiteCommand } from './commands/index.ts';
import { commandFromData } from './commands/index.ts';
import type { Program } from './arbitraries.ts';
import { makeProgramArbitrary } from './arbitraries.ts';
import type { Counterexample, ProfileResult, RunOptions, RunOutcome, StepRecord, SuiteOptions, SuiteResult } from './runnerApi.ts';
import type { StepFailure, StepObserver } from './session.ts';
import { Session } from './session.ts';
import { checkWarmPoolHitRate, measureWarmPoolHitRate, recognisedWorkload, warmPoolWorkload } from './warmPoolCheck.ts';

export { INVARIANTS, INVARIANTS_BY_NAME } from './invariants/index.ts';
export { makeCommandArbitrary, makeProgramArbitrary, fullSwarm, swarmArbitrary, epilogueOf } from './arbitraries.ts';
export type { Program, Swarm } from './arbitraries.ts';
export { commandFromData, commandText } from './commands/index.ts';
export type { SuiteCommand } from './commands/index.ts';
export { Session } from './session.ts';
export { checkWarmPoolHitRate, warmPoolWorkload } from './warmPoolCheck.ts';

/** Runs per profile when neither `runs` nor `timeMs` says otherwise, for the whole default budget. */
export const DEFAULT_SUITE_RUNS = 400;

/** Small-scope profiles carry most of the search effort. */
export function profileWeight(profile: string): number {
  return profile.startsWith('tiny') ? 3 : 1;
}

interface ReplayResult {
  readonly failure: (StepFailure & { readonly step: number }) | null;
  /** Commands processed (executed or skipped), up to and including a failing one. */
  readonly steps: number;
  readonly executed: number;
  readonly records: StepRecord[];
  readonly session: Session;
  /** With `normalize`: every processed command with its refs resolved (see SuiteCommand.normalize). */
  readonly normalized: CommandData[];
}

/** The loop both entry points share. A command check() rejects is skipped and not executed. */
export function replay(
  config: AllocatorConfig,
  commands: readonly SuiteCommand[],
  options: { record?: boolean; observer?: StepObserver; normalize?: boolean } = {},
): ReplayResult {
  const session = new Session(config);
  if (options.observer !== undefined) session.observe(options.observer);
  const records: StepRecord[] = [];
  const normalized: CommandData[] = [];
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i] as SuiteCommand;
    if (options.normalize === true) normalized.push(command.normalize(session));
    if (!command.check(session.model)) continue;
    const step = i + 1;
    const report = session.execute(command, step);
    if (options.record === true) {
      records.push({
        step,
        command: command.data,
        text: command.toString(),
        thread: 'thread' in command.data ? command.data.thread : null,
        result: report.outcome === null ? 'threw' : report.outcome.result,
      });
    }
    if (report.failure !== null) {
      return { failure: { ...report.failure, step }, steps: step, executed: session.stepsExecuted, records, session, normalized };
    }
  }
  return { failure: null, steps: commands.length, executed: session.stepsExecuted, records, session, normalized };
}

export function runCommands(config: AllocatorConfig, commands: readonly CommandData[], options: RunOptions = {}): RunOutcome {
  const r = replay(config, commands.map(commandFromData), { record: options.record === true });
  const extras = {
    ...(options.record === true ? { records: r.records } : {}),
    ...(options.keepAllocator === true ? { allocator: r.session.allocator } : {}),
  };
  if (r.failure === null) {
    // The measured property is judged when asked, and on its own workload (so that a stored
    // 'warm-pool-hit-rate' counterexample replays to the same verdict without options).
    const workload = options.measure !== undefined ? warmPoolWorkload(config) : recognisedWorkload(config, commands);
    if (workload !== null) {
      const m = measureWarmPoolHitRate(config, commands, workload);
      if (!m.passed && m.invariant !== null) return { passed: false, invariant: m.invariant, step: r.steps, message: m.message, steps: r.steps, ...extras };
    }
    return { passed: true, steps: r.steps, ...extras };
  }
  return {
    passed: false,
    invariant: r.failure.invariant,
    step: r.failure.step,
    message: r.failure.message,
    steps: r.steps,
    ...(r.failure.slabId !== undefined ? { slabId: r.failure.slabId } : {}),
    ...extras,
  };
}

function sameCommands(a: readonly CommandData[], b: readonly CommandData[]): boolean {
  return a.length === b.length && a.every((c, i) => JSON.stringify(c) === JSON.stringify(b[i]));
}

/** Thrown inside the fast-check property so that fast-check shrinks the failing program. */
export class InvariantFailure extends Error {
  constructor(readonly failure: StepFailure & { readonly step: number }) {
    super(`${failure.invariant} at step ${failure.step}: ${failure.message}`);
    this.name = 'InvariantFailure';
  }
}

export interface ProfileRunOptions {
  readonly seed: number;
  readonly runs: number;
  readonly timeMs?: number;
  readonly path?: string;
  /** Called once per generated run (not per shrink attempt) with the runs done so far. */
  readonly onRun?: (done: number) => void;
  readonly observer?: (program: Program) => StepObserver | undefined;
}

export interface ProfileRunResult {
  readonly runs: number;
  readonly steps: number;
  readonly details: fc.RunDetails<[Program]>;
}

/** fast-check over one config. Steps counts every executed step, shrink attempts included. */
export function checkProfile(config: AllocatorConfig, options: ProfileRunOptions): ProfileRunResult {
  let steps = 0;
  let runs = 0;
  let shrinking = false;
  const property = fc.property(makeProgramArbitrary(config), (program) => {
    const r = replay(config, program.commands, { observer: options.observer?.(program) });
    steps += r.executed;
    if (!shrinking) {
      runs++;
      options.onRun?.(runs);
    }
    if (r.failure !== null) {
      shrinking = true;
      throw new InvariantFailure(r.failure);
    }
  });
  const details = fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(options.path !== undefined ? { path: options.path } : {}),
    ...(options.timeMs !== undefined ? { interruptAfterTimeLimit: options.timeMs, markInterruptAsFailure: false } : {}),
  });
  return { runs, steps, details };
}

export function runSuite(options: SuiteOptions): SuiteResult {
  const totalWeight = options.profiles.reduce((s, p) => s + profileWeight(p), 0);
  const share = (p: string): number => profileWeight(p) / Math.max(1, totalWeight);
  const profileRuns = (p: string): number => {
    if (options.runs !== undefined) return options.runs;
    // With only a time budget, run until the time is up.
    if (options.timeMs !== undefined) return 1_000_000;
    return Math.max(1, Math.round(DEFAULT_SUITE_RUNS * share(p)));
  };
  const totalRuns = options.profiles.reduce((s, p) => s + (options.timeMs !== undefined && options.runs === undefined ? 0 : profileRuns(p)), 0);
  const profiles: ProfileResult[] = [];
  let steps = 0;
  let doneBefore = 0;
  for (const profile of options.profiles) {
    const config = profileConfig(profile, { faults: options.faults });
    const runs = profileRuns(profile);
    const timeMs = options.timeMs !== undefined ? Math.max(1, Math.floor(options.timeMs * share(profile))) : undefined;
    const result = checkProfile(config, {
      seed: options.seed,
      runs,
      ...(timeMs !== undefined ? { timeMs } : {}),
      onRun: (done) => options.onProgress?.(doneBefore + Math.min(done, runs), totalRuns, profile),
    });
    doneBefore += Math.min(result.runs, runs);
    steps += result.steps;
    const d = result.details;
    const passed = !d.failed || (d.interrupted && d.counterexample === null);
    if (!passed) {
      profiles.push({ profile, runs: result.runs, steps: result.steps, passed });
      return { passed: false, seed: options.seed, steps, profiles, counterexample: toCounterexample(profile, config, options, d) };
    }
    // The measured property, once per profile after its runs passed.
    const warm = checkWarmPoolHitRate(config);
    profiles.push({ profile, runs: result.runs, steps: result.steps, passed: warm === null || warm.passed });
    if (warm !== null && !warm.passed && warm.invariant !== null) {
      const commands = warm.workload.commands;
      return {
        passed: false,
        seed: options.seed,
        steps,
        profiles,
        counterexample: { profile, config, faults: options.faults, seed: options.seed, path: null, commands, invariant: warm.invariant, step: commands.length, message: warm.message },
      };
    }
  }
  return { passed: true, seed: options.seed, steps, profiles, counterexample: null };
}

function toCounterexample(profile: string, config: AllocatorConfig, options: SuiteOptions, d: fc.RunDetails<[Program]>): Counterexample {
  const program = d.counterexample?.[0];
  // Stored with refs resolved to non-negative indexes (the generators name the newest block -1).
  const commands = program === undefined ? [] : replay(config, program.commands, { normalize: true }).normalized;
  // Re-judged by the plain replay, so the counterexample says exactly what runCommands will say.
  const outcome = runCommands(config, commands);
  const fromError = d.errorInstance instanceof InvariantFailure ? d.errorInstance.failure : null;
  const invariant = !outcome.passed ? outcome.invariant : (fromError?.invariant ?? 'internal-error');
  const step = !outcome.passed ? outcome.step : (fromError?.step ?? 0);
  const message = !outcome.passed
    ? outcome.message
    : fromError !== null
      ? `${fromError.message} (did not reproduce in a plain replay)`
      : `fast-check reported a failure without an invariant: ${String(d.errorInstance)}`;
  return {
    profile,
    config,
    faults: options.faults,
    seed: d.seed,
    path: d.counterexamplePath,
    // Commands after the failing step cannot matter: the failure is reported at the step that caused it.
    commands: !outcome.passed ? commands.slice(0, outcome.step) : commands,
    invariant,
    step,
    message,
  };
}

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
import { isMeasuredFailure } from './runnerApi.ts';
import type { Counterexample, ProfileResult, RunOptions, RunOutcome, StepRecord, SuiteOptions, SuiteResult } from './runnerApi.ts';
import type { StepFailure, StepObserver } from './session.ts';
import { DEFAULT_WHOLE_EVERY, Session } from './session.ts';
import { checkWarmPoolHitRate, measureWarmPoolHitRate, recognisedWorkload, warmPoolWorkload } from './warmPoolCheck.ts';
import { NO_SHARD, profileWeight, runSource, shardRunCount, shardRunIndex, TimeSchedule, SLICE_MS, visitOrder } from './schedule.ts';
import type { Shard } from './schedule.ts';

export { INVARIANTS, INVARIANTS_BY_NAME } from './invariants/index.ts';
export { makeCommandArbitrary, makeProgramArbitrary, fullSwarm, swarmArbitrary, epilogueOf } from './arbitraries.ts';
export type { Program, Swarm } from './arbitraries.ts';
export { commandFromData, commandText } from './commands/index.ts';
export type { SuiteCommand } from './commands/index.ts';
export { Session } from './session.ts';
export { checkWarmPoolHitRate, warmPoolWorkload } from './warmPoolCheck.ts';

/** Runs per profile when neither `runs` nor `timeMs` says otherwise, for the whole default budget. */
export const DEFAULT_SUITE_RUNS = 400;

export { fastCheckSource, profileWeight, runSource, RUN_BLOCK } from './schedule.ts';

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
  options: { record?: boolean; observer?: StepObserver; normalize?: boolean; wholeEvery?: number } = {},
): ReplayResult {
  const session = new Session(config, undefined, { wholeEvery: options.wholeEvery ?? 1 });
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
  // The end of the run is judged whole (after incremental steps: wholeEvery > 1).
  const last = session.finishRun();
  if (last !== null) return { failure: { ...last, step: commands.length }, steps: commands.length, executed: session.stepsExecuted, records, session, normalized };
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
    const r = replay(config, program.commands, { observer: options.observer?.(program), wholeEvery: shrinking ? 1 : DEFAULT_WHOLE_EVERY });
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

/** Budget of fast-check's own shrinking of a failing run (the CLI's minimiser goes further). */
export const SHRINK_TIME_MS = 10_000;

/** One profile's part of a search: its property, and what it has done so far. */
interface ProfileSearch {
  readonly profile: string;
  readonly config: AllocatorConfig;
  readonly property: fc.IProperty<[Program]>;
  /** Runs this search may do (Infinity with a time budget alone). */
  readonly runCap: number;
  /** Runs ended (counted before a failing run is shrunk). */
  runsDone: number;
  steps: number;
  timeMs: number;
  /** True while fast-check shrinks (executions then are not runs). */
  shrinking: boolean;
  warmChecked: boolean;
}

/**
 * `onRunEnd` is called at the end of each run, before fast-check shrinks a failing one, so that a
 * time to the first failure never includes shrinking.
 */
function profileSearch(profile: string, options: SuiteOptions, runCap: number, onRunEnd: (ps: ProfileSearch) => void): ProfileSearch {
  const config = profileConfig(profile, { ...(options.configOverrides as Partial<AllocatorConfig> | undefined), faults: options.faults });
  const ps: Omit<ProfileSearch, 'property'> = { profile, config, runCap, runsDone: 0, steps: 0, timeMs: 0, shrinking: false, warmChecked: false };
  const property = fc.property(makeProgramArbitrary(config), (program) => {
    // Incremental checks while searching; every shrink attempt judged whole (so is every repro).
    const r = replay(config, program.commands, { wholeEvery: ps.shrinking ? 1 : (options.wholeEvery ?? DEFAULT_WHOLE_EVERY) });
    ps.steps += r.executed;
    if (!ps.shrinking) {
      ps.runsDone++;
      onRunEnd(ps as ProfileSearch);
    }
    if (r.failure !== null) {
      ps.shrinking = true;
      throw new InvariantFailure(r.failure);
    }
  });
  return Object.assign(ps, { property });
}

type SearchStop = { readonly kind: 'failed'; readonly counterexample: Counterexample } | null;

/** Runs the next run of `ps` (its k-th: run index shardRunIndex(shard, k)). */
function runNext(ps: ProfileSearch, options: SuiteOptions, shard: Shard): SearchStop {
  if (!ps.warmChecked) {
    ps.warmChecked = true;
    const warm = checkWarmPoolHitRate(ps.config);
    if (warm !== null && !warm.passed && warm.invariant !== null) {
      // The workload is judged by every invariant first: a bug that breaks one is reported by that
      // check (and shrunk like any counterexample), not by the hit rate it happens to disturb.
      const judged = runCommands(ps.config, warm.workload.commands);
      const outcome = judged.passed ? { invariant: warm.invariant, step: warm.workload.commands.length, message: warm.message } : judged;
      const commands = isMeasuredFailure(outcome.invariant) ? warm.workload.commands : warm.workload.commands.slice(0, outcome.step);
      return {
        kind: 'failed',
        counterexample: { profile: ps.profile, config: ps.config, faults: options.faults, seed: options.seed, path: null, commands, invariant: outcome.invariant, step: outcome.step, message: outcome.message, runIndex: null },
      };
    }
  }
  const runIndex = shardRunIndex(shard, ps.runsDone);
  const source = runSource(options.seed, ps.profile, runIndex);
  ps.shrinking = false;
  const before = ps.runsDone;
  const d = fc.check(ps.property, { seed: source.seed, path: source.path, numRuns: 1, interruptAfterTimeLimit: SHRINK_TIME_MS, markInterruptAsFailure: false, ...(options.shrink === false ? { endOnFailure: true } : {}) });
  // A run that never reached the property (fast-check gave up generating) still counts, so that
  // every loop over runs ends.
  if (ps.runsDone === before) ps.runsDone++;
  const passed = !d.failed || (d.interrupted && d.counterexample === null);
  if (passed) return null;
  const ce = toCounterexample(ps.profile, ps.config, options, d);
  // The stored path leads with the run's index in its profile, so (search seed, profile, path)
  // names the run whatever the block size (fastCheckSource turns it back).
  const path = d.counterexamplePath === null ? null : [String(runIndex), ...d.counterexamplePath.split(':').slice(1)].join(':');
  return { kind: 'failed', counterexample: { ...ce, seed: options.seed, path, runIndex } };
}

function profileResults(searches: readonly ProfileSearch[], failed: string | null): ProfileResult[] {
  return searches.map((ps) => ({ profile: ps.profile, runs: ps.runsDone, steps: ps.steps, passed: ps.profile !== failed, timeMs: Math.round(ps.timeMs) }));
}

/**
 * The search over every requested profile, interleaved (properties/schedule.ts): with a run budget
 * round-robin, one run of each profile in turn (small scopes first); with a time budget, slices of
 * SLICE_MS to the profile that has had the least time for its weight. Stops at the first failure.
 */
export function runSuite(options: SuiteOptions): SuiteResult {
  const shard = options.shard ?? NO_SHARD;
  const totalWeight = options.profiles.reduce((s, p) => s + profileWeight(p), 0);
  const timed = options.timeMs !== undefined && options.runs === undefined;
  const runsFor = (p: string): number => {
    if (options.runs !== undefined) return shardRunCount(shard, options.runs);
    if (timed) return Infinity;
    return shardRunCount(shard, Math.max(1, Math.round((DEFAULT_SUITE_RUNS * profileWeight(p)) / Math.max(1, totalWeight))));
  };
  let done = 0;
  let totalRuns = 0;
  const onRunEnd = (ps: ProfileSearch): void => options.onProgress?.(++done, totalRuns, ps.profile);
  const searches = options.profiles.map((p) => profileSearch(p, options, runsFor(p), onRunEnd));
  totalRuns = timed ? 0 : searches.reduce((s, ps) => s + ps.runCap, 0);
  const finish = (stop: SearchStop): SuiteResult => {
    const failed = stop === null ? null : stop.counterexample.profile;
    const steps = searches.reduce((s, ps) => s + ps.steps, 0);
    return { passed: stop === null, seed: options.seed, steps, profiles: profileResults(searches, failed), counterexample: stop === null ? null : stop.counterexample };
  };
  const step = (ps: ProfileSearch): SearchStop => {
    const t0 = performance.now();
    const stop = runNext(ps, options, shard);
    ps.timeMs += performance.now() - t0;
    return stop;
  };

  if (!timed) {
    // Round-robin: every profile's k-th run before any profile's (k+1)-th.
    const order = visitOrder(options.profiles).map((i) => searches[i] as ProfileSearch);
    for (let k = 0; searches.some((ps) => ps.runsDone < ps.runCap); k++) {
      for (const ps of order) {
        if (ps.runsDone > k || ps.runsDone >= ps.runCap) continue;
        const stop = step(ps);
        if (stop !== null) return finish(stop);
      }
    }
    return finish(null);
  }

  const deadline = performance.now() + (options.timeMs as number);
  const schedule = new TimeSchedule(options.profiles.map(profileWeight));
  const finished = searches.map(() => false);
  for (;;) {
    const p = schedule.next(finished);
    if (p === null) break;
    const ps = searches[p] as ProfileSearch;
    const sliceStart = performance.now();
    if (sliceStart >= deadline) break;
    const sliceEnd = Math.min(deadline, sliceStart + SLICE_MS);
    do {
      const stop = step(ps);
      if (stop !== null) return finish(stop);
    } while (performance.now() < sliceEnd && ps.runsDone < ps.runCap);
    schedule.charge(p, performance.now() - sliceStart);
    if (ps.runsDone >= ps.runCap) finished[p] = true;
  }
  return finish(null);
}

function toCounterexample(profile: string, config: AllocatorConfig, options: SuiteOptions, d: fc.RunDetails<[Program]>): Omit<Counterexample, 'runIndex'> {
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

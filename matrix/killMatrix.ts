// The kill matrix, as a library (the CLI's `mutants`, the bench and the tests call it). A clean run
// (no fault, every profile) must pass; then every planted fault of SPEC §9 is switched on, one at
// a time, and searched with the very search a user runs: `alloc-check run --profile all --time S
// --seed N --faults F` (userSearchOptions; the same profiles in the same order, the same budget
// shares, nothing that knows which fault is on). The checks are the suite's, unchanged; they
// never look at the fault list.
//
// Time to kill: wall clock from the search's start to the end of the first failing run (shrinking
// and our minimisation excluded). With several seeds the median and the max are reported. The
// repro comes from the first seed whose search failed: run i of a profile is the same program
// whatever the search did before it (properties/schedule.ts), so its rerun line repeats it
// exactly; it is minimised by cli/minimize.ts, its negative block refs (the generators' "k-th
// newest") replaced by non-negative ones that fail the same way (repro files hold no negative
// refs), and written under the out dir as `run` writes it.

import { match, P } from 'ts-pattern';
import { makeConfig, PROFILE_NAMES } from '../impl/index.ts';
import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { Counterexample, FailureName, RunOptions, RunOutcome, SuiteOptions, SuiteResult } from '../properties/runnerApi.ts';
import { isMeasuredFailure } from '../properties/runnerApi.ts';
import { ok } from '../cli/errors.ts';
import type { Result } from '../cli/errors.ts';
import { minimizeShortest } from '../cli/shortest.ts';
import { FORMAT_VERSION, writeRepro } from '../cli/repro.ts';
import type { ReproFile } from '../cli/repro.ts';

// --- catalogue ---------------------------------------------------------------------------------

/** SPEC §9's seed column: the design document each planted fault comes from. */
export const SEED_DOCUMENTS = {
  'remote-drain-skips-empty': '003 §4.3, A1',
  'tls-drain-skips-empty': '003 A2',
  'soft-cap-ignored': '003 Option C',
  'empty-scan-tail-missed': '003 §4.1, D',
  'meta-light-never-flushes': '002 phase 5',
  'attach-keeps-stale-delta': '002 phase 6',
  'class-stride-offset': '000 (HDR_RESET)',
  'remote-drain-no-header-restore': '003 §2',
  'rebind-keeps-stale-cache': '003 §2 hyp. 3',
  'warm-pool-no-prefill': '001',
  'warm-pool-no-pushback': '001',
  'draining-never-freed': '000',
  'release-leaves-warm-entry': '001 risks 2-3',
  'double-free-unchecked': '000 WIP',
  'stale-class-hint': '000 P0',
  'remote-free-keeps-active': '003 §4',
  'refused-prefill-keeps-entry': '003 risks (OOM in production)',
} as const satisfies Readonly<Record<FaultName, string>>;

export const seedDocument = (fault: FaultName): string => SEED_DOCUMENTS[fault];

/** Seeds are 31-bit, as `run --seed` takes them. */
export const MAX_SEED = 2 ** 31 - 1;

/**
 * The search a user runs for `alloc-check run --profile all --time S --seed N --faults F`: every
 * profile in the suite's own order, the whole budget, the suite's own time shares. cli/run.ts
 * builds its options with this same function, and a test holds the two together.
 */
export function userSearchOptions(args: {
  readonly profiles?: readonly string[];
  readonly timeMs?: number;
  readonly runs?: number;
  readonly seed: number;
  readonly faults: readonly FaultName[];
  readonly shard?: { readonly index: number; readonly count: number };
  readonly configOverrides?: Readonly<Record<string, unknown>>;
}): SuiteOptions {
  return {
    ...(args.configOverrides !== undefined ? { configOverrides: args.configOverrides } : {}),
    profiles: args.profiles ?? [...PROFILE_NAMES],
    ...(args.runs !== undefined ? { runs: args.runs } : {}),
    ...(args.timeMs !== undefined ? { timeMs: args.timeMs } : {}),
    seed: args.seed,
    faults: args.faults,
    ...(args.shard !== undefined && args.shard.count > 1 ? { shard: args.shard } : {}),
  };
}

export const DEFAULT_SEED = 1;
export const DEFAULT_FAULT_SECONDS = 3;
export const MAX_SEEDS = 1000;

// --- the matrix (library) ---------------------------------------------------------------------

/** What the matrix needs from the suite; loaded on demand (see loadMatrixDeps). */
export interface MatrixDeps {
  readonly runSuite: (options: SuiteOptions) => SuiteResult;
  readonly runCommands: (config: AllocatorConfig, commands: readonly CommandData[], options?: RunOptions) => RunOutcome;
}

export async function loadMatrixDeps(): Promise<MatrixDeps> {
  const { runSuite, runCommands } = await import('../properties/runner.ts');
  return { runSuite, runCommands };
}

export interface MatrixOptions {
  /** First seed; with `seeds` > 1 the others are seed+1, seed+2, ... */
  readonly seed: number;
  readonly seeds: number;
  /** The user search's time budget per fault and seed, ms (`run --time`). */
  readonly faultTimeMs: number;
  /**
   * Instead of the time budgets: runs per profile (`run --runs N`) for the clean run and every
   * fault's search, so that the verdict does not depend on the machine's speed (times are still
   * measured).
   */
  readonly faultRuns?: number;
  /** Budget of the clean run, ms. */
  readonly cleanTimeMs: number;
  /** Budget of the minimiser per repro, ms. */
  readonly minimizeTimeMs: number;
  /** Where repro files go; null: minimise but write nothing. */
  readonly outDir: string | null;
  readonly faults: readonly FaultName[];
  /** Only this shard's faults (fault i belongs to shard i mod count); default: all. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** `--config FILE --profile NAME`: search that one profile with these fields laid over it. */
  readonly custom?: { readonly profile: string; readonly overrides: Readonly<Record<string, unknown>> };
  readonly now?: () => number;
  readonly onProgress?: (label: string, done: number, total: number) => void;
}

export interface CleanRun {
  readonly passed: boolean;
  readonly seed: number;
  readonly steps: number;
  readonly profiles: readonly string[];
  readonly ms: number;
  /** The suite's failure, if the clean run failed. */
  readonly failure: { readonly invariant: FailureName; readonly profile: string; readonly message: string } | null;
  /** Profiles that completed no run in the clean run's budget: then it is not a pass. */
  readonly starved: readonly string[];
}

/** One seed of one fault. */
export interface SeedAttempt {
  readonly seed: number;
  readonly killed: boolean;
  readonly invariant: FailureName | null;
  /** Wall clock from the search's start to the end of the first failing run. */
  readonly msToKill: number | null;
  /** Profile of the failing run, and its index there. */
  readonly profile: string | null;
  readonly runIndex: number | null;
  /** Executed steps of the search (shrinking included). */
  readonly steps: number;
}

export interface WrittenRepro {
  readonly commands: readonly CommandData[];
  readonly invariant: FailureName;
  readonly failingStep: number;
  readonly message: string;
  readonly minimal: boolean;
  /** Length before our minimiser (after fast-check's shrinking). */
  readonly shrunkLength: number;
  readonly file: string | null;
  /** The search that finds it again exactly (failing profile, its run count, the seed), and its command line. */
  readonly search: ExactSearch | null;
  readonly rerun: string | null;
  /** The commands pass with no fault (what test/regression.test.ts also requires). */
  readonly cleanPasses: boolean;
}

export interface FaultResult {
  readonly name: FaultName;
  readonly seedDocument: string;
  /** Killed under every seed. */
  readonly killed: boolean;
  readonly killedSeeds: number;
  /** From the first seed that killed it. */
  readonly invariant: FailureName | null;
  readonly profile: string | null;
  readonly msToKill: number | null;
  /** Over the seeds that killed it. */
  readonly medianMsToKill: number | null;
  readonly maxMsToKill: number | null;
  readonly reproLength: number | null;
  readonly repro: WrittenRepro | null;
  /** A note when the search killed it but no repro could be kept. */
  readonly note: string | null;
  readonly attempts: readonly SeedAttempt[];
}

export interface KillMatrix {
  readonly seeds: readonly number[];
  readonly faultTimeMs: number;
  readonly clean: CleanRun;
  readonly faults: readonly FaultResult[];
  /** Clean run passed and every fault killed. */
  readonly passed: boolean;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function seedList(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (first + i) % (MAX_SEED + 1));
}

/** The profile and fields of a `--config` search, as userSearchOptions takes them. */
function customOf(options: MatrixOptions): { profiles?: readonly string[]; configOverrides?: Readonly<Record<string, unknown>> } {
  return options.custom === undefined ? {} : { profiles: [options.custom.profile], configOverrides: options.custom.overrides };
}

/** Faults of one shard: fault i of the list belongs to shard i mod count. */
export function shardFaults(faults: readonly FaultName[], shard: { readonly index: number; readonly count: number } | undefined): readonly FaultName[] {
  return shard === undefined ? faults : faults.filter((_, i) => i % shard.count === shard.index);
}

function runClean(options: MatrixOptions, deps: MatrixDeps, now: () => number): CleanRun {
  const started = now();
  const budget = options.faultRuns !== undefined ? { runs: options.faultRuns } : { timeMs: options.cleanTimeMs };
  const search = userSearchOptions({ ...budget, ...customOf(options), seed: options.seed, faults: [] });
  const suite = deps.runSuite(search);
  const ce = suite.counterexample;
  const starved = ce !== null ? [] : search.profiles.filter((p) => (suite.profiles.find((r) => r.profile === p)?.runs ?? 0) < 1);
  return {
    passed: suite.passed && starved.length === 0,
    seed: options.seed,
    steps: suite.steps,
    profiles: search.profiles,
    ms: Math.round(now() - started),
    failure: ce === null ? null : { invariant: ce.invariant, profile: ce.profile, message: ce.message },
    starved,
  };
}

interface Found {
  readonly attempt: SeedAttempt;
  readonly counterexample: Counterexample | null;
}

/**
 * One seed of one fault: the user's search (userSearchOptions), timed from its start to the end
 * of the first failing run. The progress callback fires at the end of every run, before a failing
 * run is shrunk, so its last call marks the kill.
 */
function attempt(fault: FaultName, seed: number, options: MatrixOptions, deps: MatrixDeps, now: () => number): Found {
  const started = now();
  let lastRunEnded = started;
  const budget = options.faultRuns !== undefined ? { runs: options.faultRuns } : { timeMs: options.faultTimeMs };
  const suite = deps.runSuite({ ...userSearchOptions({ ...budget, ...customOf(options), seed, faults: [fault] }), onProgress: () => void (lastRunEnded = now()) });
  const ce = suite.counterexample;
  // The measured property has no run: its kill is the time to its verdict.
  const msToKill = ce === null ? null : Math.round((ce.runIndex === null ? now() : lastRunEnded) - started);
  return {
    attempt: { seed, killed: ce !== null, invariant: ce?.invariant ?? null, msToKill, profile: ce?.profile ?? null, runIndex: ce?.runIndex ?? null, steps: suite.steps },
    counterexample: ce,
  };
}

/** A search with its run count fixed: what a repro depends on (with the commit of the suite). */
export interface ExactSearch {
  readonly profile: string;
  readonly runs: number;
  readonly seed: number;
}

export const rerunCommandLine = (fault: FaultName, e: ExactSearch): string => `npx alloc-check run --profile ${e.profile} --seed ${e.seed} --runs ${e.runs} --faults ${fault}`;

/** A command whose block ref is negative (the generators name the k-th newest block -k). */
function negativeRef(c: CommandData): boolean {
  return match(c)
    .with({ kind: P.union('free', 'write', 'check', 'badFree', 'usableSize', 'readBytes', 'writeBytes') }, (x) => x.ref < 0)
    .with({ kind: P.union('alloc', 'drain', 'flush', 'threadExit', 'setSoftCap', 'setRouteProfile', 'trim', 'misuse', 'stats', 'osLimit', 'osRefuse') }, () => false)
    .exhaustive();
}

/** Refs tried in place of a negative one: every residue of a list of up to this many blocks. */
export const REF_CANDIDATES = 32;

/**
 * Repro files hold non-negative refs only (cli/repro.ts validates them so), while the generators
 * use -k for the k-th newest block (refs are taken modulo the list length). Each negative ref is
 * replaced by the smallest non-negative one that keeps the same failure at the same step, checked
 * by replay (with the fault; and the commands must still pass without it). Null if none does.
 */
export function nonNegativeRefs(config: AllocatorConfig, commands: readonly CommandData[], failure: { readonly invariant: FailureName; readonly step: number }, deps: MatrixDeps): readonly CommandData[] | null {
  const clean = makeConfig({ ...config, faults: [] });
  let current = commands;
  for (let i = 0; i < current.length; i++) {
    const c = current[i] as CommandData;
    if (!negativeRef(c)) continue;
    let replaced = false;
    for (let v = 0; v < REF_CANDIDATES && !replaced; v++) {
      const cand = current.map((x, j) => (j === i ? ({ ...x, ref: v } as CommandData) : x));
      const o = deps.runCommands(config, cand);
      if (!o.passed && o.invariant === failure.invariant && o.step === failure.step && deps.runCommands(clean, cand).passed) {
        current = cand;
        replaced = true;
      }
    }
    if (!replaced) return null;
  }
  return current;
}

/** Minimises the counterexample and (with an out dir) writes it, as `run` does. */
function keepRepro(fault: FaultName, ce: Counterexample, exact: ExactSearch | null, options: MatrixOptions, deps: MatrixDeps): Result<{ repro: WrittenRepro | null; note: string | null }> {
  const config = ce.config;
  const run = (c: AllocatorConfig, cmds: readonly CommandData[]): RunOutcome => deps.runCommands(c, cmds);
  // The measured property's counterexample is its fixed workload: judged whole, not a sequence to shrink.
  if (isMeasuredFailure(ce.invariant)) return writeKept(fault, ce, { commands: ce.commands, minimal: false }, exact, options, deps);
  let m = minimizeShortest(config, ce.commands, ce.invariant, run, { timeMs: options.minimizeTimeMs });
  if (!m.ok) {
    const o = m.error.outcome;
    return ok({ repro: null, note: `the counterexample did not reproduce in a plain replay (${o.passed ? 'it passed' : `got ${o.invariant}`}); no repro kept` });
  }
  if (m.value.commands.some(negativeRef)) {
    const fixed = nonNegativeRefs(config, m.value.commands, m.value.outcome, deps);
    if (fixed === null) return ok({ repro: null, note: 'the minimal repro needs a negative block ref, which repro files cannot hold; no repro kept' });
    // Refs only move toward 0 from here, so they stay non-negative.
    m = minimizeShortest(config, fixed, ce.invariant, run, { timeMs: options.minimizeTimeMs });
    if (!m.ok) return ok({ repro: null, note: 'the repro with non-negative refs did not reproduce; no repro kept' });
  }
  return writeKept(fault, ce, m.value, exact, options, deps);
}

/** Checks the kept commands once more, and (with an out dir) writes them as `run` does. */
function writeKept(fault: FaultName, ce: Counterexample, kept: { readonly commands: readonly CommandData[]; readonly minimal: boolean }, exact: ExactSearch | null, options: MatrixOptions, deps: MatrixDeps): Result<{ repro: WrittenRepro | null; note: string | null }> {
  const config = ce.config;
  const commands = kept.commands;
  const final = deps.runCommands(config, commands);
  if (final.passed || final.invariant !== ce.invariant) {
    return ok({ repro: null, note: `the minimised commands did not fail again with ${ce.invariant}; no repro kept` });
  }
  const cleanPasses = deps.runCommands(makeConfig({ ...config, faults: [] }), commands).passed;
  let file: string | null = null;
  if (options.outDir !== null) {
    const repro: ReproFile = {
      formatVersion: FORMAT_VERSION,
      profile: ce.profile,
      config,
      faults: [fault],
      seed: ce.seed,
      path: ce.path,
      commands,
      invariant: final.invariant,
      failingStep: final.step,
      message: final.message,
      minimal: kept.minimal,
      length: commands.length,
    };
    const written = writeRepro(options.outDir, repro);
    if (!written.ok) return written;
    file = written.value;
  }
  return ok({
    repro: {
      commands,
      invariant: final.invariant,
      failingStep: final.step,
      message: final.message,
      minimal: kept.minimal,
      shrunkLength: ce.commands.length,
      file,
      search: exact,
      rerun: exact === null ? null : rerunCommandLine(fault, exact),
      cleanPasses,
    },
    note: cleanPasses ? null : 'the repro fails WITHOUT the fault too: a false alarm of the suite or a real allocator bug',
  });
}

function runFault(fault: FaultName, seeds: readonly number[], options: MatrixOptions, deps: MatrixDeps, now: () => number, tick: (label: string) => void): Result<FaultResult> {
  const attempts: SeedAttempt[] = [];
  let first: Found | null = null;
  for (const seed of seeds) {
    tick(`${fault} (seed ${seed})`);
    const a = attempt(fault, seed, options, deps, now);
    attempts.push(a.attempt);
    if (first === null && a.counterexample !== null) first = a;
  }
  let repro: WrittenRepro | null = null;
  let note: string | null = null;
  // The repro comes from the first seed whose search failed; run i of a profile is the same
  // program whatever ran before it, so `--profile P --runs i+1` repeats it exactly.
  const ce = first?.counterexample ?? null;
  if (first !== null && ce !== null) {
    const runIndex = first.attempt.runIndex;
    // The measured workload (runIndex null) is judged before a profile's first run: --runs 1 repeats it.
    const exact = { profile: ce.profile, runs: runIndex === null ? 1 : runIndex + 1, seed: first.attempt.seed };
    const kept = keepRepro(fault, ce, exact, options, deps);
    if (!kept.ok) return kept;
    repro = kept.value.repro;
    note = kept.value.note;
  }
  const times = attempts.flatMap((a) => (a.msToKill === null ? [] : [a.msToKill]));
  const killedSeeds = attempts.filter((a) => a.killed).length;
  return ok({
    name: fault,
    seedDocument: seedDocument(fault),
    killed: killedSeeds === seeds.length,
    killedSeeds,
    invariant: first?.attempt.invariant ?? null,
    profile: first?.attempt.profile ?? null,
    msToKill: first?.attempt.msToKill ?? null,
    medianMsToKill: median(times),
    maxMsToKill: times.length === 0 ? null : Math.max(...times),
    reproLength: repro === null ? null : repro.commands.length,
    repro,
    note,
    attempts,
  });
}

/** The whole matrix: the clean run, then every requested fault. Errors only for a repro that cannot be written. */
export function runKillMatrix(options: MatrixOptions, deps: MatrixDeps): Result<KillMatrix> {
  const now = options.now ?? (() => performance.now());
  const seeds = seedList(options.seed, options.seeds);
  const faultsHere = shardFaults(options.faults, options.shard);
  const total = 1 + faultsHere.length * seeds.length;
  let done = 0;
  const tick = (label: string): void => options.onProgress?.(label, done++, total);
  tick('clean run');
  const clean = runClean(options, deps, now);
  const faults: FaultResult[] = [];
  for (const fault of faultsHere) {
    const r = runFault(fault, seeds, options, deps, now, tick);
    if (!r.ok) return r;
    faults.push(r.value);
  }
  return ok({ seeds, faultTimeMs: options.faultTimeMs, clean, faults, passed: clean.passed && faults.every((f) => f.killed) });
}


// `alloc-check run`: the main job. Runs the property suite over the profiles; on a failure,
// minimises the counterexample, writes it under --out, and prints everything needed to act on it.

import { ConfigError, makeConfig, profileConfig } from '../impl/index.ts';
import { formatReachTable, measureReach } from '../properties/reach.ts';
import type { ProfileReach } from '../properties/reach.ts';
import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import type { Counterexample, FailureName, SuiteOptions, SuiteResult } from '../properties/runnerApi.ts';
import { userSearchOptions } from '../matrix/killMatrix.ts';
import { faultsOption, intOption, parseOptions, profilesOption, secondsOption, shardOption } from './args.ts';
import { loadConfigFile } from './configFile.ts';
import type { ConfigFile } from './configFile.ts';
import { describeThrown, err, ok } from './errors.ts';
import type { Result } from './errors.ts';
import { makeOut, makeProgress } from './io.ts';
import type { Io, Out } from './io.ts';
import { minimizeShortest } from './shortest.ts';
import { displayPath, FORMAT_VERSION, writeFileAtomic, writeRepro } from './repro.ts';
import type { ReproFile } from './repro.ts';
import { junitXml, numberedSteps, replayCommandLine, rerunCommandLine, stepRows, vitestSnippet } from './report.ts';
import type { JunitFailure, SearchOptions } from './report.ts';
import type { Subcommand } from './subcommand.ts';
import { loadRunner } from './suite.ts';
import type { Runner } from './suite.ts';

/** Default wall-clock budget of a plain `run` (npm start): the moderate "main job". */
export const DEFAULT_TIME_SECONDS = 20;
/** Budget of the minimiser after a failure. */
export const MINIMIZE_TIME_MS = 10_000;
export const MAX_SEED = 2 ** 31 - 1;
export const DEFAULT_OUT_DIR = 'counterexamples';

const usage = `usage: alloc-check run [--profile NAME|all] [--runs N | --time S] [--seed N] [--faults a,b]
                       [--min-runs N] [--config FILE] [--shard I/N] [--reach] [--html DIR]
                       [--out DIR] [--json] [--junit FILE] [--target T]

Runs the property suite (every invariant after every step) over the chosen profiles. The seed is
printed first; the same seed and budget repeat the same search. On a failure the counterexample is
minimised, written to DIR/<invariant>/<id>.json, and the invariant, the minimal steps, the replay
command, the re-run command and a ready-to-paste vitest test are printed.

  --profile NAME|all  a profile (see \`alloc-check list\`), a comma-separated list, or all (default)
  --runs N            runs per profile (1..10000000)
  --time S            wall-clock budget for the whole search, in seconds (default ${DEFAULT_TIME_SECONDS})
  --seed N            0..${MAX_SEED} (default: from the clock, printed)
  --faults a,b        planted faults to switch on (see \`alloc-check list\`)
  --min-runs N        a profile with fewer completed runs fails the search (default 1): a budget
                      too small to check anything is never a pass
  --config FILE       your own configuration: a JSON object of SPEC §1 config fields laid over
                      --profile NAME (default: default; not with all); no "faults" field
  --shard I/N         only shard I of N: the runs i with i mod N = I-1 of every profile; the N
                      shards together do the unsharded search (alloc-check merge joins them)
  --target T          impl (default) | native | native:jemalloc | native:mimalloc | native:PATH.so:
                      the same commands against a C allocator in a child process (docs/native.md);
                      with a native target also --layout hakmem and --bad-frees abort-ok
  --html DIR          also write an HTML report of the counterexample (heap map at every step)
                      to DIR/<invariant>-<id>.html
  --reach             after the search, the reach table: the share of runs (over a fixed count)
                      that got into each deep state, for the profiles (and config) searched
  --out DIR           where counterexamples are written (default ${DEFAULT_OUT_DIR}/)
  --json              stdout holds only {"passed", "seed", "profiles", "steps", "counterexample"};
                      the human report goes to stderr
  --junit FILE        also write a JUnit XML report (one testcase per profile)

exit: 0 every invariant held, 1 a counterexample was found or a profile ran fewer than
--min-runs runs, 2 usage or config error
`;

const OPTIONS = {
  profile: { type: 'string' },
  runs: { type: 'string' },
  time: { type: 'string' },
  seed: { type: 'string' },
  faults: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  junit: { type: 'string' },
  'min-runs': { type: 'string' },
  config: { type: 'string' },
  shard: { type: 'string' },
  reach: { type: 'boolean' },
  html: { type: 'string' },
} as const;

export interface RunArgs {
  readonly profiles: readonly string[];
  readonly allProfiles: boolean;
  readonly budget: SearchOptions['budget'];
  readonly budgetIsDefault: boolean;
  readonly seed: number;
  readonly seedFromClock: boolean;
  readonly faults: readonly FaultName[];
  readonly outDir: string;
  readonly outDirIsDefault: boolean;
  readonly json: boolean;
  readonly junit: string | null;
  /** A profile that completed fewer runs than this fails the search (never a vacuous pass). */
  readonly minRuns: number;
  /** `--config FILE`: the fields laid over the profile. */
  readonly config: ConfigFile | null;
  /** 0-based shard, or null for the whole search. */
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly reach: boolean;
  /** `--html DIR`: where the counterexample's HTML report goes. */
  readonly htmlDir: string | null;
}

export function parseRunArgs(argv: readonly string[], clock: () => number = Date.now): Result<RunArgs> {
  const parsed = parseOptions('run', argv, OPTIONS, 0);
  if (!parsed.ok) return parsed;
  const v = parsed.value.values;
  if (v.runs !== undefined && v.time !== undefined) return err({ kind: 'usage', subcommand: 'run', message: '--runs and --time cannot be used together (choose one budget)' });
  if (v.config !== undefined && v.profile === 'all') return err({ kind: 'usage', subcommand: 'run', message: '--config lays a file over one profile: give --profile NAME (default: default), not all' });
  const profiles = v.config !== undefined && v.profile === undefined ? ok(['default']) : profilesOption(v.profile);
  if (!profiles.ok) return profiles;
  if (v.config !== undefined && profiles.value.length !== 1) return err({ kind: 'usage', subcommand: 'run', message: '--config lays a file over one profile: give one --profile NAME' });
  const shard = shardOption(v.shard);
  if (!shard.ok) return shard;
  const faults = faultsOption(v.faults);
  if (!faults.ok) return faults;
  let budget: SearchOptions['budget'] = { kind: 'time', seconds: DEFAULT_TIME_SECONDS };
  if (v.runs !== undefined) {
    const r = intOption('--runs', v.runs, 1, 10_000_000);
    if (!r.ok) return r;
    budget = { kind: 'runs', runs: r.value };
  } else if (v.time !== undefined) {
    const t = secondsOption('--time', v.time, 7 * 24 * 3600);
    if (!t.ok) return t;
    budget = { kind: 'time', seconds: t.value };
  }
  let seed = clock() % (MAX_SEED + 1);
  if (v.seed !== undefined) {
    const s = intOption('--seed', v.seed, 0, MAX_SEED);
    if (!s.ok) return s;
    seed = s.value;
  }
  let minRuns = 1;
  if (v['min-runs'] !== undefined) {
    const m = intOption('--min-runs', v['min-runs'], 1, 10_000_000);
    if (!m.ok) return m;
    minRuns = m.value;
  }
  if (budget.kind === 'runs' && minRuns > budget.runs) {
    return err({ kind: 'usage', subcommand: 'run', message: `--min-runs ${minRuns} is more than --runs ${budget.runs} (no search could meet it)` });
  }
  for (const [name, value] of [['--out', v.out], ['--junit', v.junit], ['--html', v.html]] as const) {
    if (value !== undefined && value.trim() === '') return err({ kind: 'bad-option', option: name, value, rule: 'must be a path' });
  }
  let config: ConfigFile | null = null;
  if (v.config !== undefined) {
    const c = loadConfigFile(v.config, profiles.value[0] as string);
    if (!c.ok) return c;
    config = c.value;
  }
  return ok({
    profiles: profiles.value,
    allProfiles: v.profile === undefined || v.profile === 'all',
    budget,
    budgetIsDefault: v.runs === undefined && v.time === undefined,
    seed,
    seedFromClock: v.seed === undefined,
    faults: faults.value,
    outDir: v.out ?? DEFAULT_OUT_DIR,
    outDirIsDefault: v.out === undefined,
    json: v.json === true,
    junit: v.junit ?? null,
    minRuns,
    config,
    shard: shard.value,
    reach: v.reach === true,
    htmlDir: v.html ?? null,
  });
}

/**
 * Profiles of the search that completed fewer than `minRuns` runs. A search that stopped at a
 * counterexample is judged by the counterexample; one that passed is a pass only if every requested
 * profile got its runs: a budget too small to finish one run checked nothing.
 */
export function starvedProfiles(result: SuiteResult, requested: readonly string[], minRuns: number): readonly { readonly profile: string; readonly runs: number }[] {
  if (result.counterexample !== null) return [];
  return requested
    .map((profile) => ({ profile, runs: result.profiles.find((p) => p.profile === profile)?.runs ?? 0 }))
    .filter((p) => p.runs < minRuns);
}

/** What `run` reports about a counterexample once it is minimised and written. */
export interface WrittenCounterexample {
  readonly file: string;
  readonly invariant: FailureName;
  readonly length: number;
  readonly minimal: boolean;
  readonly failingStep: number;
  readonly message: string;
  readonly stepLines: readonly string[];
}

function replayConfig(ce: Counterexample): Result<AllocatorConfig> {
  try {
    return ok(makeConfig({ ...ce.config, faults: [...ce.faults] }));
  } catch (e) {
    if (e instanceof ConfigError) return err({ kind: 'bad-config', source: `profile ${ce.profile}`, field: e.field, rule: e.rule });
    return err({ kind: 'internal', message: describeThrown(e) });
  }
}

/** Minimise, write, and print the counterexample. */
function reportCounterexample(ce: Counterexample, args: RunArgs, out: Out, { runCommands }: Runner, failedRuns: number | null): Result<WrittenCounterexample> {
  const cfg = replayConfig(ce);
  if (!cfg.ok) return cfg;
  const config = cfg.value;
  const s = out.style;
  out.line();
  out.line(s.red(s.bold(`FAILED: invariant "${ce.invariant}" broken`)) + ` (profile ${ce.profile}, faults: ${ce.faults.length === 0 ? 'none' : ce.faults.join(',')}, seed ${ce.seed})`);
  out.line(`  at step ${ce.step} of ${ce.commands.length} (after fast-check's shrinking): ${ce.message}`);

  const m = minimizeShortest(config, ce.commands, ce.invariant, (c, cmds) => runCommands(c, cmds), { timeMs: MINIMIZE_TIME_MS });
  let commands = ce.commands;
  let minimal = false;
  let note: string;
  if (m.ok) {
    commands = m.value.commands;
    minimal = m.value.minimal;
    note = minimal
      ? `minimal: no command can be removed, no thread merged, no size or number made smaller (${m.value.attempts} replays)`
      : `NOT proven minimal: the budget ran out after ${m.value.attempts} replays (run \`alloc-check minimize\` on the file)`;
  } else {
    const o = m.error.outcome;
    note = `not minimised: replaying the commands did not reproduce "${ce.invariant}" (${o.passed ? 'they passed' : `got ${o.invariant}`}); the runner may be non-deterministic`;
  }

  const final = runCommands(config, commands, { record: true });
  const failingStep = final.passed ? ce.step : final.step;
  const message = final.passed ? ce.message : final.message;
  const invariant = final.passed ? ce.invariant : final.invariant;
  const repro: ReproFile = {
    formatVersion: FORMAT_VERSION,
    profile: ce.profile,
    config,
    faults: [...ce.faults],
    seed: ce.seed,
    path: ce.path,
    commands,
    invariant,
    failingStep,
    message,
    minimal,
    length: commands.length,
  };
  const written = writeRepro(args.outDir, repro);
  if (!written.ok) return written;
  const file = written.value;

  const rows = stepRows(commands, final.records, final.steps);
  const stepLines = numberedSteps(rows, failingStep, invariant);
  out.line();
  out.line(s.bold(`minimal repro: ${commands.length} step${commands.length === 1 ? '' : 's'}`) + ` (from ${ce.commands.length}; ${note})`);
  for (const l of stepLines) out.line(l);
  out.line(`  ${invariant} at step ${failingStep}: ${message}`);
  out.line();
  out.line(`written:  ${displayPath(file)}`);
  out.line(`replay:   ${replayCommandLine(file)}`);
  out.line(`re-run:   ${rerunCommandLine(searchOptions(args))}`);
  const exact = exactRerun(ce, args, failedRuns);
  if (exact !== null) out.line(`          (or exactly, only up to the failing run: ${exact})`);
  out.line();
  out.line(`vitest test (save as test/repro-${invariant}.test.ts):`);
  out.line(s.dim('-'.repeat(72)));
  for (const l of vitestSnippet({ file, config, faults: ce.faults, commands, invariant, failingStep }).trimEnd().split('\n')) out.line(l);
  out.line(s.dim('-'.repeat(72)));
  return ok({ file, invariant, length: commands.length, minimal, failingStep, message, stepLines });
}

/**
 * The failing profile alone with --runs set to the failing run's index + 1 repeats the failure
 * deterministically, whatever the machine's speed. Null when that is what the search was already.
 */
function exactRerun(ce: Counterexample, args: RunArgs, failedRuns: number | null): string | null {
  if (failedRuns === null) return null;
  const same = args.budget.kind === 'runs' && args.shard === null && args.profiles.length === 1 && args.profiles[0] === ce.profile && args.budget.runs === failedRuns;
  if (same) return null;
  // Run index i is the same program sharded or not, so the exact line needs no --shard.
  return rerunCommandLine({ ...searchOptions(args), profiles: [ce.profile], allProfiles: false, budget: { kind: 'runs', runs: failedRuns }, shard: null });
}

function searchOptions(args: RunArgs): SearchOptions {
  return {
    profiles: args.profiles,
    allProfiles: args.allProfiles,
    seed: args.seed,
    budget: args.budget,
    faults: args.faults,
    outDir: args.outDirIsDefault ? null : args.outDir,
    configFile: args.config?.file ?? null,
    shard: args.shard,
  };
}

function describeBudget(args: RunArgs): string {
  return args.budget.kind === 'runs'
    ? `${args.budget.runs} runs per profile`
    : `${args.budget.seconds} s${args.budgetIsDefault ? ' (default; --runs N or --time S to change)' : ''}`;
}

/** Runs per profile over which `--reach` measures (fixed, so the table does not depend on the budget). */
export const REACH_RUNS = 200;

function profileConfigFor(args: RunArgs, profile: string): AllocatorConfig {
  return profileConfig(profile, { ...(args.config?.overrides as Partial<AllocatorConfig> | undefined) });
}

/** The suite options of this search: the same function builds the kill matrix's searches. */
export function runSuiteOptions(args: RunArgs): SuiteOptions {
  return userSearchOptions({
    profiles: args.profiles,
    ...(args.budget.kind === 'runs' ? { runs: args.budget.runs } : { timeMs: Math.round(args.budget.seconds * 1000) }),
    seed: args.seed,
    faults: args.faults,
    ...(args.shard !== null ? { shard: args.shard } : {}),
    ...(args.config !== null ? { configOverrides: args.config.overrides } : {}),
  });
}

export async function runMain(args: RunArgs, io: Io, runnerOverride?: Runner): Promise<Result<0 | 1>> {
  const out = makeOut(io, args.json);
  const s = out.style;
  out.line(
    `alloc-check run: seed ${args.seed}${args.seedFromClock ? ` (from the clock; pass --seed ${args.seed} to reuse it)` : ''}`,
  );
  out.line(`  profiles: ${args.profiles.join(', ')}`);
  out.line(`  budget:   ${describeBudget(args)}`);
  out.line(`  faults:   ${args.faults.length === 0 ? 'none' : args.faults.join(', ')}`);
  if (args.config !== null) out.line(`  config:   ${args.config.file} over ${args.profiles[0]} (${Object.keys(args.config.overrides).join(', ') || 'no field'})`);
  if (args.shard !== null) out.line(`  shard:    ${args.shard.index + 1}/${args.shard.count} (runs i with i mod ${args.shard.count} = ${args.shard.index} of every profile)`);

  const runner = runnerOverride ?? (await loadRunner());
  const progress = makeProgress(io, 'run', args.budget.kind === 'time' ? { timeMs: args.budget.seconds * 1000 } : {});
  const started = Date.now();
  let result: SuiteResult;
  try {
    result = runner.runSuite({ ...runSuiteOptions(args), onProgress: (done, total, profile) => progress.update(done, total, profile) });
  } finally {
    progress.finish();
  }
  const seconds = (Date.now() - started) / 1000;

  const w = Math.max(...args.profiles.map((p) => p.length));
  for (const p of result.profiles) {
    out.line(`  ${p.profile.padEnd(w)}  ${String(p.runs).padStart(7)} runs ${String(p.steps).padStart(9)} steps  ${p.passed ? s.green('held') : s.red('FAILED')}`);
  }

  const starved = starvedProfiles(result, args.profiles, args.minRuns);
  let written: WrittenCounterexample | null = null;
  if (starved.length > 0) {
    out.line();
    out.line(
      `${s.red(s.bold('NOT A PASS'))}: ${starved.length === 1 ? 'profile' : 'profiles'} ${starved.map((p) => `${p.profile} (${p.runs} run${p.runs === 1 ? '' : 's'})`).join(', ')} ` +
        `ran fewer than --min-runs ${args.minRuns}; nothing was checked there (give a larger --time or --runs)`,
    );
  } else if (result.counterexample !== null) {
    // Run i of a profile is the same program however the search got there (properties/schedule.ts),
    // so that profile alone with --runs i+1 repeats it.
    const runIndex = result.counterexample.runIndex;
    const r = reportCounterexample(result.counterexample, args, out, runner, runIndex === null ? null : runIndex + 1);
    if (!r.ok) return r;
    written = r.value;
    if (args.htmlDir !== null) {
      const { writeReportInto } = await import('../report/html.ts');
      const h = writeReportInto(args.htmlDir, written.file);
      if (!h.ok) return h;
      out.line(`report:   ${displayPath(h.value.file)} (${h.value.bytes} bytes)`);
    }
  } else {
    out.line();
    out.line(`${s.green(s.bold('PASSED'))}: every invariant held (${result.steps} steps in ${seconds.toFixed(1)} s, seed ${args.seed})`);
  }

  if (args.junit !== null) {
    const failure: JunitFailure | null =
      written === null || result.counterexample === null
        ? null
        : {
            profile: result.counterexample.profile,
            invariant: written.invariant,
            message: written.message,
            file: written.file,
            steps: written.stepLines,
            rerun: rerunCommandLine(searchOptions(args)),
          };
    const report = junitXml({ seed: args.seed, profiles: result.profiles, requested: args.profiles, failure, seconds, starved, minRuns: args.minRuns });
    const j = writeFileAtomic(args.junit, report);
    if (!j.ok) return j;
    out.line(`junit:    ${displayPath(j.value)}`);
  }

  let reach: readonly ProfileReach[] | null = null;
  if (args.reach) {
    reach = result.profiles.map((p) => measureReach(p.profile, REACH_RUNS, args.seed, profileConfigFor(args, p.profile)));
    out.line();
    out.line(`reach (share of ${REACH_RUNS} runs per profile at seed ${args.seed} that got into each deep state; n/a = not possible in the config):`);
    for (const l of formatReachTable(reach).split('\n')) out.line(`  ${l}`);
  }

  if (args.json) {
    out.json({
      passed: written === null && starved.length === 0,
      seed: args.seed,
      profiles: result.profiles.map((p) => ({ profile: p.profile, runs: p.runs, steps: p.steps, passed: p.passed })),
      steps: result.steps,
      counterexample:
        written === null || result.counterexample === null
          ? null
          : { invariant: written.invariant, file: displayPath(written.file), length: written.length, profile: result.counterexample.profile, runIndex: result.counterexample.runIndex },
      starved: starved.map((p) => p.profile),
      ...(args.shard !== null ? { shard: { index: args.shard.index + 1, count: args.shard.count } } : {}),
      ...(args.config !== null ? { config: args.config.file } : {}),
      ...(reach !== null ? { reach: reach.map((r) => ({ profile: r.profile, runs: r.runs, counts: r.counts })) } : {}),
    });
  }
  return ok(written === null && starved.length === 0 ? 0 : 1);
}

export const runCommand: Subcommand = {
  name: 'run',
  summary: 'run the property suite; on failure minimise, write and explain the repro',
  usage,
  run: async (argvIn, io) => {
    const hooked = await (await import('./target.ts')).targetHook('run', argvIn, io); // --target (native targets: cli/target.ts)
    if (hooked.kind === 'handled') return hooked.result;
    const argv = hooked.argv;
    const args = parseRunArgs(argv);
    if (!args.ok) return args;
    return runMain(args.value, io);
  },
};


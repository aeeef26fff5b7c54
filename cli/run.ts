// `alloc-check run`: the main job. Runs the property suite over the profiles; on a failure,
// minimises the counterexample, writes it under --out, and prints everything needed to act on it.

import { ConfigError, makeConfig } from '../impl/index.ts';
import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import type { Counterexample, FailureName, SuiteResult } from '../properties/runnerApi.ts';
import { faultsOption, intOption, parseOptions, profilesOption, secondsOption } from './args.ts';
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
                       [--out DIR] [--json] [--junit FILE]

Runs the property suite (every invariant after every step) over the chosen profiles. The seed is
printed first; the same seed and budget repeat the same search. On a failure the counterexample is
minimised, written to DIR/<invariant>/<id>.json, and the invariant, the minimal steps, the replay
command, the re-run command and a ready-to-paste vitest test are printed.

  --profile NAME|all  a profile (see \`alloc-check list\`), a comma-separated list, or all (default)
  --runs N            runs per profile (1..10000000)
  --time S            wall-clock budget for the whole search, in seconds (default ${DEFAULT_TIME_SECONDS})
  --seed N            0..${MAX_SEED} (default: from the clock, printed)
  --faults a,b        planted faults to switch on (see \`alloc-check list\`)
  --out DIR           where counterexamples are written (default ${DEFAULT_OUT_DIR}/)
  --json              stdout holds only {"passed", "seed", "profiles", "steps", "counterexample"};
                      the human report goes to stderr
  --junit FILE        also write a JUnit XML report (one testcase per profile)

exit: 0 every invariant held, 1 a counterexample was found, 2 usage or config error
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
}

export function parseRunArgs(argv: readonly string[], clock: () => number = Date.now): Result<RunArgs> {
  const parsed = parseOptions('run', argv, OPTIONS, 0);
  if (!parsed.ok) return parsed;
  const v = parsed.value.values;
  if (v.runs !== undefined && v.time !== undefined) return err({ kind: 'usage', subcommand: 'run', message: '--runs and --time cannot be used together (choose one budget)' });
  const profiles = profilesOption(v.profile);
  if (!profiles.ok) return profiles;
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
  for (const [name, value] of [['--out', v.out], ['--junit', v.junit]] as const) {
    if (value !== undefined && value.trim() === '') return err({ kind: 'bad-option', option: name, value, rule: 'must be a path' });
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
  });
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

  const rows = stepRows(commands, final.records);
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
 * Every profile is searched from the same seed, so the failing profile alone with --runs set to the
 * runs it took repeats the failure deterministically, whatever the machine's speed. Null when that
 * is what the search was already.
 */
function exactRerun(ce: Counterexample, args: RunArgs, failedRuns: number | null): string | null {
  if (failedRuns === null) return null;
  const same = args.budget.kind === 'runs' && args.profiles.length === 1 && args.profiles[0] === ce.profile;
  if (same) return null;
  return rerunCommandLine({ ...searchOptions(args), profiles: [ce.profile], allProfiles: false, budget: { kind: 'runs', runs: failedRuns } });
}

function searchOptions(args: RunArgs): SearchOptions {
  return {
    profiles: args.profiles,
    allProfiles: args.allProfiles,
    seed: args.seed,
    budget: args.budget,
    faults: args.faults,
    outDir: args.outDirIsDefault ? null : args.outDir,
  };
}

function describeBudget(args: RunArgs): string {
  return args.budget.kind === 'runs'
    ? `${args.budget.runs} runs per profile`
    : `${args.budget.seconds} s${args.budgetIsDefault ? ' (default; --runs N or --time S to change)' : ''}`;
}

export async function runMain(args: RunArgs, io: Io): Promise<Result<0 | 1>> {
  const out = makeOut(io, args.json);
  const s = out.style;
  out.line(
    `alloc-check run: seed ${args.seed}${args.seedFromClock ? ` (from the clock; pass --seed ${args.seed} to reuse it)` : ''}`,
  );
  out.line(`  profiles: ${args.profiles.join(', ')}`);
  out.line(`  budget:   ${describeBudget(args)}`);
  out.line(`  faults:   ${args.faults.length === 0 ? 'none' : args.faults.join(', ')}`);

  const runner = await loadRunner();
  const progress = makeProgress(io, 'run', args.budget.kind === 'time' ? { timeMs: args.budget.seconds * 1000 } : {});
  const started = Date.now();
  let result: SuiteResult;
  try {
    result = runner.runSuite({
      profiles: args.profiles,
      ...(args.budget.kind === 'runs' ? { runs: args.budget.runs } : { timeMs: Math.round(args.budget.seconds * 1000) }),
      seed: args.seed,
      faults: args.faults,
      onProgress: (done, total, profile) => progress.update(done, total, profile),
    });
  } finally {
    progress.finish();
  }
  const seconds = (Date.now() - started) / 1000;

  const w = Math.max(...args.profiles.map((p) => p.length));
  for (const p of result.profiles) {
    out.line(`  ${p.profile.padEnd(w)}  ${String(p.runs).padStart(7)} runs ${String(p.steps).padStart(9)} steps  ${p.passed ? s.green('held') : s.red('FAILED')}`);
  }

  let written: WrittenCounterexample | null = null;
  if (result.counterexample !== null) {
    const failedRuns = result.profiles.find((p) => p.profile === result.counterexample?.profile && !p.passed)?.runs ?? null;
    const r = reportCounterexample(result.counterexample, args, out, runner, failedRuns);
    if (!r.ok) return r;
    written = r.value;
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
    const report = junitXml({ seed: args.seed, profiles: result.profiles, requested: args.profiles, failure, seconds });
    const j = writeFileAtomic(args.junit, report);
    if (!j.ok) return j;
    out.line(`junit:    ${displayPath(j.value)}`);
  }

  if (args.json) {
    out.json({
      passed: written === null,
      seed: args.seed,
      profiles: result.profiles.map((p) => ({ profile: p.profile, runs: p.runs, steps: p.steps, passed: p.passed })),
      steps: result.steps,
      counterexample: written === null ? null : { invariant: written.invariant, file: displayPath(written.file), length: written.length },
    });
  }
  return ok(written === null ? 0 : 1);
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


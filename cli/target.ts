// `--target` for run, replay and minimize: the hook that run.ts, replay.ts and minimizeCommand.ts
// call first, and the native versions of the three subcommands (a C allocator in a child process
// through native/driver.c; docs/native.md). `impl` (the default) passes the argument list on,
// without the option, to the subcommand's own code.

import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { profileConfig, PROFILE_NAMES } from '../impl/index.ts';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName, RunOutcome } from '../properties/runnerApi.ts';
import { NativeSetupError } from '../native/build.ts';
import { driverLine } from '../native/driverProcess.ts';
import { nativeRunner, minimizeNative, searchNative } from '../native/runner.ts';
import type { NativeRunner } from '../native/runner.ts';
import { allocatorEnv, DEFAULT_NATIVE_OPTIONS, parseBadFrees, parseLayout, parseTarget } from '../native/target.ts';
import type { NativeOptions, NativeTarget } from '../native/target.ts';
import { intOption, parseOptions, secondsOption } from './args.ts';
import { canonicalCommand } from './commandText.ts';
import { describeThrown, err, ok } from './errors.ts';
import type { CliError, Result } from './errors.ts';
import { makeOut } from './io.ts';
import type { Io, Out } from './io.ts';
import { displayPath, FORMAT_VERSION, loadRepro, serializeRepro, writeFileAtomic } from './repro.ts';
import type { LoadedRepro, ReproFile } from './repro.ts';
import { numberedSteps, replayCommandLine, shellQuote, stepRows, stepTable } from './report.ts';
import type { ExitCode } from './subcommand.ts';

export type HookResult = { readonly kind: 'pass'; readonly argv: readonly string[] } | { readonly kind: 'handled'; readonly result: Result<ExitCode> };

type Sub = 'run' | 'replay' | 'minimize';
const OWN = ['--target', '--layout', '--bad-frees'] as const;
type Own = (typeof OWN)[number];

/** Options of other subcommands that take a value (so that a FILE positional can be told apart). */
const VALUE_OPTIONS = new Set(['--time', '--attempts', '--runs', '--seed', '--profile', '--faults', '--out', '--junit', '--seeds', '--depth', '--workers', '--max-live', '--min-runs', '--config', '--shard', '--html']);

export const NATIVE_MINIMIZE_MS = 10_000;
export const DEFAULT_NATIVE_SECONDS = 20;

/** Takes --target/--layout/--bad-frees (also --opt=value) out of argv. */
function extractOwn(argv: readonly string[]): { own: Partial<Record<Own, string>>; rest: string[]; file: string | undefined } | CliError {
  const own: Partial<Record<Own, string>> = {};
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a) as Own;
    if ((OWN as readonly string[]).includes(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) return { kind: 'usage', subcommand: null, message: `option ${name} needs a value` };
      own[name] = v;
      continue;
    }
    rest.push(a);
    if (VALUE_OPTIONS.has(a)) {
      const v = argv[++i];
      if (v !== undefined) rest.push(v);
    } else if (!a.startsWith('-') && file === undefined) file = a;
  }
  return { own, rest, file };
}

function nativeOptionsFrom(own: Partial<Record<Own, string>>, base: NativeOptions): Result<NativeOptions> {
  let { layout, badFrees } = base;
  if (own['--layout'] !== undefined) {
    const l = parseLayout(own['--layout']);
    if (l !== 'plain' && l !== 'hakmem') return err({ kind: 'bad-option', option: '--layout', value: own['--layout'], rule: l });
    layout = l;
  }
  if (own['--bad-frees'] !== undefined) {
    const b = parseBadFrees(own['--bad-frees']);
    if (b !== 'off' && b !== 'abort-ok') return err({ kind: 'bad-option', option: '--bad-frees', value: own['--bad-frees'], rule: b });
    badFrees = b;
  }
  return ok({ ...base, layout, badFrees });
}

function resolveTarget(value: string): Result<NativeTarget | null> {
  const t = parseTarget(value);
  if (typeof t === 'string') return err({ kind: 'bad-option', option: '--target', value, rule: t });
  return ok(t.kind === 'impl' ? null : t);
}

/** Runs `f`, turning a NativeSetupError (no compiler, package missing) into one line and exit 2. */
function guarded(target: string, f: () => Result<ExitCode>): Result<ExitCode> {
  try {
    return f();
  } catch (e) {
    if (e instanceof NativeSetupError) return err({ kind: 'bad-option', option: '--target', value: target, rule: e.message });
    return err({ kind: 'internal', message: describeThrown(e) });
  }
}

/** The hook: `pass` (impl: the subcommand's own code runs with argv minus --target) or the native subcommand's result. */
export async function targetHook(sub: Sub, argv: readonly string[], io: Io): Promise<HookResult> {
  const x = extractOwn(argv);
  if ('kind' in x) return { kind: 'handled', result: err({ ...x, subcommand: sub }) };
  const { own, rest, file } = x;
  let targetName = own['--target'];
  let loaded: LoadedRepro | null = null;
  if (sub !== 'run' && file !== undefined) {
    const l = loadRepro(file);
    if (l.ok) {
      loaded = l.value;
      targetName ??= loaded.repro.target;
    }
  }
  if (targetName === undefined || targetName === 'impl') {
    const stray = (['--layout', '--bad-frees'] as const).find((o) => own[o] !== undefined);
    if (stray !== undefined) return { kind: 'handled', result: err({ kind: 'usage', subcommand: sub, message: `${stray} applies only to a native --target` }) };
    return { kind: 'pass', argv: rest };
  }
  const target = resolveTarget(targetName);
  if (!target.ok && own['--target'] === undefined && loaded !== null) {
    const rule = target.error.kind === 'bad-option' ? target.error.rule : targetName;
    return { kind: 'handled', result: err({ kind: 'bad-file', file: loaded.file, reason: `its "target": ${rule}` }) };
  }
  if (!target.ok) return { kind: 'handled', result: target };
  if (target.value === null) return { kind: 'pass', argv: rest };
  const opts = nativeOptionsFrom(own, loaded?.repro.native ?? DEFAULT_NATIVE_OPTIONS);
  if (!opts.ok) return { kind: 'handled', result: opts };
  const t = target.value;
  if (sub === 'run') {
    const env = allocatorEnv(io.env);
    const withEnv: NativeOptions = Object.keys(env).length === 0 ? opts.value : { ...opts.value, env };
    return { kind: 'handled', result: guarded(targetName, () => nativeRun(t, withEnv, rest, io)) };
  }
  if (loaded === null) {
    // Let the file be read once more, for its own error line.
    const l = file === undefined ? null : loadRepro(file);
    if (l === null) return { kind: 'handled', result: err({ kind: 'usage', subcommand: sub, message: 'missing FILE (a counterexample .json file)' }) };
    if (!l.ok) return { kind: 'handled', result: l };
    loaded = l.value;
  }
  const repro = loaded;
  const bad = repro.repro.commands.map(driverLine).find((l) => typeof l !== 'string');
  if (bad !== undefined && typeof bad !== 'string') return { kind: 'handled', result: err({ kind: 'bad-file', file: repro.file, reason: `cannot run on ${t.name}: ${bad.reason}` }) };
  return { kind: 'handled', result: guarded(targetName, () => (sub === 'replay' ? nativeReplay(t, opts.value, repro, rest, io) : nativeMinimize(t, opts.value, repro, rest, io))) };
}

// --- run ----------------------------------------------------------------------------------------

interface NativeRunArgs {
  readonly profile: string;
  readonly runs: number | null;
  readonly seconds: number;
  readonly seed: number;
  readonly seedFromClock: boolean;
  readonly outDir: string;
  readonly json: boolean;
}

const RUN_OPTIONS = { profile: { type: 'string' }, runs: { type: 'string' }, time: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, faults: { type: 'string' }, junit: { type: 'string' } } as const;

function parseNativeRunArgs(argv: readonly string[]): Result<NativeRunArgs> {
  const p = parseOptions('run', argv, RUN_OPTIONS, 0);
  if (!p.ok) return p;
  const v = p.value.values;
  if (v.faults !== undefined) return err({ kind: 'usage', subcommand: 'run', message: '--faults plants bugs in the TypeScript implementation; it has no meaning with a native --target' });
  if (v.junit !== undefined) return err({ kind: 'usage', subcommand: 'run', message: '--junit is not supported with a native --target (use --json)' });
  if (v.runs !== undefined && v.time !== undefined) return err({ kind: 'usage', subcommand: 'run', message: '--runs and --time cannot be used together (choose one budget)' });
  const profile = v.profile ?? 'default';
  if (!PROFILE_NAMES.includes(profile)) return err({ kind: 'unknown-name', what: 'profile', name: profile, known: [...PROFILE_NAMES] });
  let runs: number | null = null;
  let seconds = DEFAULT_NATIVE_SECONDS;
  if (v.runs !== undefined) {
    const r = intOption('--runs', v.runs, 1, 10_000_000);
    if (!r.ok) return r;
    runs = r.value;
  } else if (v.time !== undefined) {
    const t = secondsOption('--time', v.time, 7 * 24 * 3600);
    if (!t.ok) return t;
    seconds = t.value;
  }
  let seed = Date.now() % 2 ** 31;
  if (v.seed !== undefined) {
    const s = intOption('--seed', v.seed, 0, 2 ** 31 - 1);
    if (!s.ok) return s;
    seed = s.value;
  }
  return ok({ profile, runs, seconds, seed, seedFromClock: v.seed === undefined, outDir: v.out ?? 'counterexamples', json: v.json === true });
}

/** File name: invariant folder, a hash of the commands, the target and its options. */
function nativeReproPath(outDir: string, r: ReproFile): string {
  const canonical = JSON.stringify({ commands: r.commands.map(canonicalCommand), target: r.target, native: r.native });
  return join(outDir, r.invariant, `${createHash('sha256').update(canonical).digest('hex').slice(0, 12)}.json`);
}

function describeTarget(runner: NativeRunner): string {
  const h = runner.session.hello;
  return `${runner.session.target.name} (malloc from ${h.mallocObject}; address randomisation ${h.aslrOff ? 'off' : 'ON (could not be turned off)'}${h.hasTrim ? '' : '; no malloc_trim'}${h.hasUsableSize ? '' : '; no malloc_usable_size'})`;
}

function nativeRun(target: NativeTarget, options: NativeOptions, argv: readonly string[], io: Io): Result<ExitCode> {
  const parsed = parseNativeRunArgs(argv);
  if (!parsed.ok) return parsed;
  const a = parsed.value;
  const out = makeOut(io, a.json);
  const config = profileConfig(a.profile);
  const runner = nativeRunner(target, options);
  out.line(`alloc-check run: seed ${a.seed}${a.seedFromClock ? ` (from the clock; pass --seed ${a.seed} to reuse it)` : ''}`);
  out.line(`  target:   ${describeTarget(runner)}`);
  const envText = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  out.line(`  options:  layout ${options.layout}, bad frees ${options.badFrees}${envText === '' ? '' : `, allocator env ${envText} (recorded in the repro)`}; profile ${a.profile} (${config.threads} threads, strides ${config.strides.join(',')})`);
  out.line(`  budget:   ${a.runs === null ? `${a.seconds} s` : `${a.runs} runs`}`);
  const search = searchNative(runner, config, { seed: a.seed, ...(a.runs === null ? { timeMs: a.seconds * 1000 } : { runs: a.runs }) });
  const stepsPerSec = Math.round((search.steps / Math.max(1, search.ms)) * 1000);
  out.line(`  ${a.profile}  ${search.runs} runs  ${search.steps} steps  ${stepsPerSec} checked steps/s  ${search.failure === null ? 'held' : 'FAILED'}`);
  let ce: { invariant: FailureName; file: string; length: number } | null = null;
  if (search.failure !== null) {
    const w = reportNativeFailure(runner, config, target, options, a, search.failure.commands, search.failure.outcome, out);
    if (!w.ok) return w;
    ce = w.value;
  } else {
    out.line();
    out.line(`${out.style.green(out.style.bold('PASSED'))}: every check held (${search.steps} steps in ${(search.ms / 1000).toFixed(1)} s, seed ${a.seed})`);
  }
  if (a.json) {
    out.json({
      passed: ce === null,
      seed: a.seed,
      target: target.name,
      profiles: [{ profile: a.profile, runs: search.runs, steps: search.steps, passed: ce === null }],
      steps: search.steps,
      stepsPerSec,
      counterexample: ce === null ? null : { invariant: ce.invariant, file: displayPath(ce.file), length: ce.length },
    });
  }
  return ok(ce === null ? 0 : 1);
}

function reportNativeFailure(
  runner: NativeRunner,
  config: AllocatorConfig,
  target: NativeTarget,
  options: NativeOptions,
  a: NativeRunArgs,
  found: readonly CommandData[],
  first: Extract<RunOutcome, { passed: false }>,
  out: Out,
): Result<{ invariant: FailureName; file: string; length: number }> {
  const s = out.style;
  out.line();
  out.line(s.red(s.bold(`FAILED: "${first.invariant}" broken`)) + ` on ${target.name} (profile ${a.profile}, seed ${a.seed})`);
  out.line(`  at step ${first.step} of ${found.length}: ${first.message}`);
  const m = minimizeNative(runner, config, found, first.invariant, { timeMs: NATIVE_MINIMIZE_MS });
  const commands = m.ok ? m.value.commands : found;
  const minimal = m.ok && m.value.minimal;
  const final = runner.run(config, commands, { record: true });
  const f = final.passed ? first : final;
  const repro: ReproFile = {
    formatVersion: FORMAT_VERSION,
    profile: a.profile,
    config,
    faults: [],
    seed: a.seed,
    path: null,
    commands,
    invariant: f.invariant,
    failingStep: f.step,
    message: f.message,
    minimal,
    length: commands.length,
    target: target.name,
    native: options,
  };
  const w = writeFileAtomic(nativeReproPath(a.outDir, repro), serializeRepro(repro));
  if (!w.ok) return w;
  out.line();
  const note = !m.ok ? 'not minimised: the failure did not repeat' : minimal ? `minimal (${m.value.attempts} replays through the driver)` : `NOT proven minimal: the budget ran out after ${m.value.attempts} replays`;
  out.line(s.bold(`minimal repro: ${commands.length} step${commands.length === 1 ? '' : 's'}`) + ` (from ${found.length}; ${note})`);
  for (const l of numberedSteps(stepRows(commands, final.records), f.step, f.invariant)) out.line(l);
  out.line(`  ${f.invariant} at step ${f.step}: ${f.message}`);
  out.line();
  out.line(`written:  ${displayPath(w.value)}`);
  out.line(`replay:   ${replayCommandLine(w.value)}`);
  out.line(`re-run:   npx alloc-check run --target ${shellQuote(target.name)} --profile ${a.profile} --seed ${a.seed} ${a.runs === null ? `--time ${a.seconds}` : `--runs ${a.runs}`}${options.layout === 'hakmem' ? ' --layout hakmem' : ''}${options.badFrees === 'abort-ok' ? ' --bad-frees abort-ok' : ''}`);
  return ok({ invariant: f.invariant, file: w.value, length: commands.length });
}

// --- replay and minimize ------------------------------------------------------------------------

function nativeReplay(target: NativeTarget, options: NativeOptions, loaded: LoadedRepro, argv: readonly string[], io: Io): Result<ExitCode> {
  const p = parseOptions('replay', argv, { json: { type: 'boolean' } }, 1);
  if (!p.ok) return p;
  const json = p.value.values.json === true;
  const out = makeOut(io, json);
  const s = out.style;
  const { repro, cleanConfig } = loaded;
  const runner = nativeRunner(target, options);
  const outcome = runner.run(cleanConfig, repro.commands, { record: true });
  const rows = stepRows(repro.commands, outcome.records).slice(0, outcome.passed ? undefined : Math.max(outcome.step, 1));
  out.line(`replay ${displayPath(loaded.file)} on ${describeTarget(runner)}`);
  const envText = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${io.env[k] !== undefined && io.env[k] !== v ? `${v} (overridden: ${io.env[k]})` : v}`).join(' ');
  out.line(`  recorded: ${repro.invariant} at step ${repro.failingStep} of ${repro.length}${repro.minimal ? ' (minimal)' : ''}; target ${repro.target ?? 'impl'}, layout ${options.layout}, bad frees ${options.badFrees}${envText === '' ? '' : `, env ${envText}`}`);
  out.line();
  for (const l of stepTable(rows, outcome.passed ? null : outcome.step)) out.line(`  ${l}`);
  out.line();
  if (outcome.passed) out.line(`${s.green(s.bold('NO LONGER FAILS'))}: all ${outcome.steps} steps passed on ${target.name}; "${repro.invariant}" held.`);
  else {
    const same = outcome.invariant === repro.invariant;
    out.line(`${s.red(s.bold(same ? 'STILL FAILS' : 'FAILS DIFFERENTLY'))}: ${outcome.invariant} at step ${outcome.step}: ${outcome.message}${same ? '' : ` (recorded: ${repro.invariant})`}`);
  }
  if (json) {
    out.json({
      file: displayPath(loaded.file),
      target: target.name,
      recorded: { invariant: repro.invariant, failingStep: repro.failingStep },
      passed: outcome.passed,
      failure: outcome.passed ? null : { invariant: outcome.invariant, step: outcome.step, message: outcome.message },
      steps: rows.map((r) => ({ step: r.step, thread: r.thread, command: r.text, result: r.result })),
      slabMap: null,
    });
  }
  return ok(outcome.passed ? 0 : 1);
}

function nativeMinimize(target: NativeTarget, options: NativeOptions, loaded: LoadedRepro, argv: readonly string[], io: Io): Result<ExitCode> {
  const p = parseOptions('minimize', argv, { time: { type: 'string' }, attempts: { type: 'string' } }, 1);
  if (!p.ok) return p;
  let timeMs = 60_000;
  if (p.value.values.time !== undefined) {
    const t = secondsOption('--time', p.value.values.time, 24 * 3600);
    if (!t.ok) return t;
    timeMs = t.value * 1000;
  }
  let maxAttempts: number | undefined;
  if (p.value.values.attempts !== undefined) {
    const n = intOption('--attempts', p.value.values.attempts, 1, 10_000_000);
    if (!n.ok) return n;
    maxAttempts = n.value;
  }
  const out = makeOut(io, false);
  const { repro, cleanConfig, file } = loaded;
  const runner = nativeRunner(target, options);
  const m = minimizeNative(runner, cleanConfig, repro.commands, repro.invariant, { timeMs, ...(maxAttempts === undefined ? {} : { maxAttempts }) });
  if (!m.ok) {
    const o = m.error.outcome;
    out.line(`${out.style.green(out.style.bold('NO LONGER FAILS'))}: ${displayPath(file)} ${o.passed ? 'passes' : `fails with ${o.invariant}, not ${repro.invariant}`} on ${target.name}; file left unchanged`);
    return ok(o.passed ? 0 : 1);
  }
  const final = runner.run(cleanConfig, m.value.commands, { record: true });
  if (final.passed || final.invariant !== repro.invariant) return err({ kind: 'internal', message: `the minimised commands of ${displayPath(file)} did not fail again with ${repro.invariant} on ${target.name}; file left unchanged` });
  const updated: ReproFile = { ...repro, commands: m.value.commands, length: m.value.commands.length, failingStep: final.step, message: final.message, minimal: m.value.minimal, target: target.name, native: options };
  const after = serializeRepro(updated);
  if (after !== serializeRepro(repro)) {
    const w = writeFileAtomic(file, after);
    if (!w.ok) return w;
  }
  out.line(`${displayPath(file)}: ${repro.length} -> ${m.value.commands.length} steps on ${target.name}${m.value.minimal ? ' (minimal)' : ' (budget ran out; not proven minimal)'}, ${m.value.attempts} replays`);
  for (const l of numberedSteps(stepRows(m.value.commands, final.records), final.step, final.invariant)) out.line(l);
  out.line(`  ${final.invariant} at step ${final.step}: ${final.message}`);
  return ok(1);
}

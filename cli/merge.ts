// `alloc-check merge FILE...`: the JSON reports of the shards of one search (`run --shard I/N
// --json`, `mutants --shard I/N --json`, `explore --swarm --shard I/N --json`), each written by
// its own CI job, combined into one verdict. Passed only if every shard is there once, every shard
// passed, and the merged run count of every profile meets --min-runs. The CI system distributes the
// work (a job matrix); this only joins the results (docs/ci.md).

import { match } from 'ts-pattern';
import { intOption, parseOptions } from './args.ts';
import { err, ok } from './errors.ts';
import type { CliError, Result } from './errors.ts';
import { makeOut } from './io.ts';
import { readRegularFile } from './repro.ts';
import type { Subcommand } from './subcommand.ts';

const usage = `usage: alloc-check merge FILE... [--min-runs N] [--json]

Combines the JSON reports of the N shards of one search (written by run, mutants or
explore --swarm with --shard I/N --json) into one. Passed only if every shard 1..N is given
once, every shard passed, and every profile's merged run count is at least --min-runs (runs).
The counterexample reported is the one of the lowest (profile order, run index).

  --min-runs N   runs every profile must have, summed over the shards (default 1)
  --json         print the merged report as JSON on stdout

exit: 0 the merged search passed, 1 it failed (or a shard failed, is missing, or ran nothing),
2 a file is missing, unreadable or not a shard report
`;

interface ShardInfo {
  readonly index: number;
  readonly count: number;
}

interface RunProfile {
  readonly profile: string;
  readonly runs: number;
  readonly steps: number;
  readonly passed: boolean;
}

interface RunCounterexample {
  readonly invariant: string;
  readonly file: string;
  readonly length: number;
  readonly profile?: string;
  readonly runIndex?: number | null;
}

type ShardReport =
  | { readonly kind: 'run'; readonly file: string; readonly shard: ShardInfo; readonly seed: number; readonly passed: boolean; readonly profiles: readonly RunProfile[]; readonly steps: number; readonly counterexample: RunCounterexample | null }
  | { readonly kind: 'mutants'; readonly file: string; readonly shard: ShardInfo; readonly cleanPassed: boolean; readonly faults: readonly { readonly name: string; readonly killed: boolean }[] }
  | { readonly kind: 'swarm'; readonly file: string; readonly shard: ShardInfo; readonly searched: readonly string[]; readonly completed: readonly string[]; readonly states: number; readonly violation: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function bad(file: string, reason: string): { readonly ok: false; readonly error: CliError } {
  return err({ kind: 'bad-file', file, reason });
}

function parseShard(file: string, v: Record<string, unknown>): Result<ShardInfo> {
  const s = v.shard;
  if (!isObject(s) || !isInt(s.index) || !isInt(s.count) || s.count < 1 || s.index < 1 || s.index > s.count) {
    return bad(file, 'not a shard report: no "shard": {"index": I, "count": N} (write it with --shard I/N --json)');
  }
  return ok({ index: s.index, count: s.count });
}

/** One shard's JSON report, checked field by field. */
export function parseShardReport(file: string, text: string): Result<ShardReport> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad(file, 'invalid JSON (a shard report is the --json output of run, mutants or explore --swarm)');
  }
  if (!isObject(v)) return bad(file, 'not a shard report: the top level is not a JSON object');
  const shard = parseShard(file, v);
  if (!shard.ok) return shard;
  if (v.swarm === true) {
    if (!Array.isArray(v.searchedAlphabets) || !Array.isArray(v.completedAlphabets) || !isInt(v.states)) return bad(file, 'an explore --swarm report without "searchedAlphabets", "completedAlphabets" or "states"');
    return ok({ kind: 'swarm', file, shard: shard.value, searched: v.searchedAlphabets.map(String), completed: v.completedAlphabets.map(String), states: v.states, violation: v.violation ?? null });
  }
  if (isObject(v.clean)) {
    if (!Array.isArray(v.faults)) return bad(file, 'a mutants report without "faults"');
    const faults = v.faults.filter(isObject).map((f) => ({ name: String(f.name), killed: f.killed === true }));
    return ok({ kind: 'mutants', file, shard: shard.value, cleanPassed: v.clean.passed === true, faults });
  }
  if (!Array.isArray(v.profiles) || !isInt(v.seed) || typeof v.passed !== 'boolean' || !isInt(v.steps)) return bad(file, 'a run report needs "passed", "seed", "profiles" and "steps"');
  const profiles: RunProfile[] = [];
  for (const p of v.profiles) {
    if (!isObject(p) || typeof p.profile !== 'string' || !isInt(p.runs) || !isInt(p.steps) || typeof p.passed !== 'boolean') return bad(file, 'a "profiles" entry needs "profile", "runs", "steps" and "passed"');
    profiles.push({ profile: p.profile, runs: p.runs, steps: p.steps, passed: p.passed });
  }
  const ce = v.counterexample;
  const counterexample = isObject(ce) ? (ce as unknown as RunCounterexample) : null;
  return ok({ kind: 'run', file, shard: shard.value, seed: v.seed, passed: v.passed, profiles, steps: v.steps, counterexample });
}

/** Every shard 1..N exactly once, all of one kind and one N; the problems, in words, if not. */
export function shardProblems(reports: readonly ShardReport[]): string[] {
  const problems: string[] = [];
  const kinds = new Set(reports.map((r) => r.kind));
  if (kinds.size > 1) problems.push(`reports of different commands: ${[...kinds].join(', ')}`);
  const counts = new Set(reports.map((r) => r.shard.count));
  if (counts.size > 1) problems.push(`shards of different splits: N = ${[...counts].join(', ')}`);
  const count = reports[0]?.shard.count ?? 0;
  for (let i = 1; i <= count; i++) {
    const n = reports.filter((r) => r.shard.index === i).length;
    if (n === 0) problems.push(`shard ${i}/${count} is missing`);
    if (n > 1) problems.push(`shard ${i}/${count} is given ${n} times`);
  }
  const seeds = new Set(reports.flatMap((r) => (r.kind === 'run' ? [r.seed] : [])));
  if (seeds.size > 1) problems.push(`shards of different seeds: ${[...seeds].join(', ')}`);
  return problems;
}

export interface MergedRun {
  readonly kind: 'run';
  readonly passed: boolean;
  readonly seed: number;
  readonly shards: number;
  readonly profiles: readonly RunProfile[];
  readonly steps: number;
  readonly counterexample: RunCounterexample | null;
  readonly starved: readonly string[];
  readonly problems: readonly string[];
}

function mergeRuns(reports: readonly Extract<ShardReport, { kind: 'run' }>[], minRuns: number, problems: readonly string[]): MergedRun {
  const order: string[] = [];
  const byProfile = new Map<string, { runs: number; steps: number; passed: boolean }>();
  for (const r of reports) {
    for (const p of r.profiles) {
      if (!byProfile.has(p.profile)) order.push(p.profile);
      const m = byProfile.get(p.profile) ?? { runs: 0, steps: 0, passed: true };
      byProfile.set(p.profile, { runs: m.runs + p.runs, steps: m.steps + p.steps, passed: m.passed && p.passed });
    }
  }
  const profiles = order.map((profile) => ({ profile, ...(byProfile.get(profile) as { runs: number; steps: number; passed: boolean }) }));
  // The counterexample of the lowest (profile order, run index): what the unsharded search, which
  // visits every profile's run i before its run i+1, would meet first among these.
  const ces = reports.flatMap((r) => (r.counterexample === null ? [] : [r.counterexample]));
  const rank = (c: RunCounterexample): [number, number] => [c.runIndex ?? -1, order.indexOf(c.profile ?? '')];
  const counterexample = ces.sort((a, b) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1])[0] ?? null;
  const starved = profiles.filter((p) => p.runs < minRuns).map((p) => p.profile);
  const passed = problems.length === 0 && reports.every((r) => r.passed) && starved.length === 0 && counterexample === null;
  return { kind: 'run', passed, seed: reports[0]?.seed ?? 0, shards: reports.length, profiles, steps: reports.reduce((s, r) => s + r.steps, 0), counterexample, starved, problems };
}

function readReports(files: readonly string[]): Result<ShardReport[]> {
  const reports: ShardReport[] = [];
  for (const file of files) {
    const text = readRegularFile(file, 'shard report');
    if (!text.ok) return text;
    const r = parseShardReport(file, text.value);
    if (!r.ok) return r;
    reports.push(r.value);
  }
  return ok(reports);
}

export const mergeCommand: Subcommand = {
  name: 'merge',
  summary: 'combine the JSON reports of shards (run --shard I/N --json) into one',
  usage,
  run: async (argv, io) => {
    const parsed = parseOptions('merge', argv, { 'min-runs': { type: 'string' }, json: { type: 'boolean' } }, Infinity);
    if (!parsed.ok) return parsed;
    const files = parsed.value.positionals;
    if (files.length === 0) return err({ kind: 'usage', subcommand: 'merge', message: 'missing FILE... (the shard reports to merge)' });
    const minRunsValue = parsed.value.values['min-runs'];
    const minRuns = minRunsValue === undefined ? ok(1) : intOption('--min-runs', minRunsValue, 1, 1_000_000_000);
    if (!minRuns.ok) return minRuns;
    const read = readReports(files);
    if (!read.ok) return read;
    const reports = read.value;
    const problems = shardProblems(reports);
    const json = parsed.value.values.json === true;
    const out = makeOut(io, json);
    const merged = match(reports[0]?.kind ?? 'run')
      .with('run', () => {
        const m = mergeRuns(reports.filter((r): r is Extract<ShardReport, { kind: 'run' }> => r.kind === 'run'), minRuns.value, problems);
        out.line(`alloc-check merge: ${m.shards} shard report${m.shards === 1 ? '' : 's'} of run, seed ${m.seed}`);
        for (const p of m.profiles) out.line(`  ${p.profile.padEnd(13)} ${String(p.runs).padStart(8)} runs ${String(p.steps).padStart(10)} steps  ${p.passed ? 'held' : 'FAILED'}`);
        return { passed: m.passed, doc: m as unknown, failure: m.counterexample !== null ? `counterexample: ${m.counterexample.invariant} (${m.counterexample.file})` : m.starved.length > 0 ? `fewer than --min-runs ${minRuns.value} runs on ${m.starved.join(', ')}` : null };
      })
      .with('mutants', () => {
        const ms = reports.filter((r): r is Extract<ShardReport, { kind: 'mutants' }> => r.kind === 'mutants');
        const faults = ms.flatMap((r) => r.faults);
        const survivors = faults.filter((f) => !f.killed).map((f) => f.name);
        const cleanPassed = ms.every((r) => r.cleanPassed);
        const passed = problems.length === 0 && cleanPassed && survivors.length === 0 && faults.length > 0;
        out.line(`alloc-check merge: ${ms.length} shard reports of mutants: ${faults.length} faults, ${faults.length - survivors.length} killed`);
        return { passed, doc: { kind: 'mutants', passed, shards: ms.length, cleanPassed, faults, survivors, problems } as unknown, failure: !cleanPassed ? 'a clean run failed' : survivors.length > 0 ? `not killed: ${survivors.join(', ')}` : faults.length === 0 ? 'no fault was searched' : null };
      })
      .with('swarm', () => {
        const sw = reports.filter((r): r is Extract<ShardReport, { kind: 'swarm' }> => r.kind === 'swarm');
        const searched = [...new Set(sw.flatMap((r) => r.searched))];
        const completed = [...new Set(sw.flatMap((r) => r.completed))];
        const violations = sw.flatMap((r) => (r.violation === null ? [] : [r.violation]));
        const passed = problems.length === 0 && violations.length === 0 && searched.length > 0;
        out.line(`alloc-check merge: ${sw.length} shard reports of explore --swarm: ${searched.length} sub-alphabets searched, ${completed.length} completed`);
        return { passed, doc: { kind: 'swarm', passed, shards: sw.length, searchedAlphabets: searched, completedAlphabets: completed, states: sw.reduce((s, r) => s + r.states, 0), violation: violations[0] ?? null, problems } as unknown, failure: violations.length > 0 ? 'a violation' : searched.length === 0 ? 'no sub-alphabet was searched' : null };
      })
      .exhaustive();
    for (const p of problems) out.line(`  problem: ${p}`);
    out.line(merged.passed ? 'MERGED: PASSED' : `MERGED: NOT PASSED${merged.failure !== null ? ` (${merged.failure})` : ''}${problems.length > 0 ? ' (shards incomplete)' : ''}`);
    if (json) out.json(merged.doc);
    return ok(merged.passed ? 0 : 1);
  },
};

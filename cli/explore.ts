// `alloc-check explore --profile NAME --depth D [--time S] [--faults a,b] [--max-live N]
//  [--workers N] [--no-symmetry] [--out DIR] [--json]`: the bounded exhaustive model checker (explore/).

import { availableParallelism } from 'node:os';
import { PROFILE_NAMES } from '../impl/index.ts';
import { explore, type ExploreReport, type ExploreViolation } from '../explore/explorer.ts';
import { exploreSwarm } from '../explore/swarm.ts';
import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import { exploreParallel } from '../explore/parallel.ts';
import { faultsOption, intOption, parseOptions, secondsOption, shardOption } from './args.ts';
import { configOver, loadConfigFile } from './configFile.ts';
import { err, ok, type Result } from './errors.ts';
import { makeOut, makeStatusLine } from './io.ts';
import { displayPath, writeRepro } from './repro.ts';
import { replayCommandLine } from './report.ts';
import { commandText } from '../properties/runner.ts';
import type { ExitCode, Subcommand } from './subcommand.ts';

/** The default never takes more than this many threads, whatever the machine. */
const MAX_DEFAULT_WORKERS = 8;

const usage = `usage: alloc-check explore --profile NAME --depth D [--time S] [--faults a,b] [--max-live N]
                           [--workers N] [--no-symmetry] [--swarm [--shard I/N]] [--config FILE]
                           [--out DIR] [--html DIR] [--json]

Breadth-first search over every command sequence of a finite alphabet derived from the profile
(one size per class and one pool size; free of live index #0..#2 from every thread; drain, flush
and exit of every thread; soft cap 1 per class; trim; a canary write and check; every bad-free kind
from every thread). Every invariant is checked on every transition; states are deduplicated by
canonical fingerprints with logical-thread renaming. The first violation is a shortest one: it is
written in the counterexample format and can be replayed with \`alloc-check replay\`.

  --profile NAME   a small-scope profile (see \`alloc-check list\`)
  --depth D        commands per sequence, 1..64
  --time S         wall-clock budget in seconds (default 60); the report says the depth completed
  --faults a,b     planted faults to switch on
  --max-live N     bound: no alloc is tried while N blocks are live (default: no bound)
  --workers N      worker threads that expand states, 1..64 (default: the cores available, at most
                   ${MAX_DEFAULT_WORKERS}); 1 runs in this thread. The states, the distinct states and the
                   violation found are the same for every N
  --no-symmetry    do not reduce by thread renaming
  --swarm          instead of the whole alphabet, search small sub-alphabets one after another, each
                   exhaustively to depth D (allocs of one or two sizes, frees, at most one more kind,
                   from t0 or from both threads): deeper, but not exhaustive for the whole alphabet.
                   --json then holds {"profile","swarm":true,"depth","alphabets","searched",
                   "completed","states","statesPerSec","violation": null | {"invariant","length",
                   "file","alphabet"},"searchedAlphabets","completedAlphabets"}
  --shard I/N      with --swarm: only shard I of N of the sub-alphabets (i mod N = I-1);
                   alloc-check merge joins the shards' --json reports
  --config FILE    config fields (JSON) laid over the profile (see \`alloc-check profiles\`)
  --html DIR       also write an HTML report of a violation found (DIR/<invariant>-<id>.html)
  --out DIR        where a counterexample is written (default counterexamples/)
  --json           stdout holds only {"profile","depth" (asked),"depthCompleted","exhausted","states",
                   "distinctStates","statesPerSec","bytesPerState","violation": null |
                   {"invariant","length","file"}}

exit: 0 no violation within the explored depth, 1 a violation, 2 usage or config error
`;

const OPTIONS = {
  profile: { type: 'string' },
  depth: { type: 'string' },
  time: { type: 'string' },
  faults: { type: 'string' },
  'max-live': { type: 'string' },
  workers: { type: 'string' },
  swarm: { type: 'boolean' },
  'no-symmetry': { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  shard: { type: 'string' },
  html: { type: 'string' },
} as const;

export const exploreCommand: Subcommand = {
  name: 'explore',
  summary: 'bounded exhaustive model checking of a small profile, with shortest counterexamples',
  usage,
  run: async (argv, io) => {
    const parsed = parseOptions('explore', argv, OPTIONS, 0);
    if (!parsed.ok) return parsed;
    const v = parsed.value.values;
    if (v.profile === undefined) return err({ kind: 'usage', subcommand: 'explore', message: 'missing --profile NAME' });
    if (!PROFILE_NAMES.includes(v.profile)) return err({ kind: 'unknown-name', what: 'profile', name: v.profile, known: PROFILE_NAMES });
    if (v.depth === undefined) return err({ kind: 'usage', subcommand: 'explore', message: 'missing --depth D' });
    const depth = intOption('--depth', v.depth, 1, 64);
    if (!depth.ok) return depth;
    const seconds = v.time === undefined ? ok(60) : secondsOption('--time', v.time, 86_400);
    if (!seconds.ok) return seconds;
    const faults = faultsOption(v.faults);
    if (!faults.ok) return faults;
    const maxLive = v['max-live'] === undefined ? ok(Number.POSITIVE_INFINITY) : intOption('--max-live', v['max-live'], 1, 1000);
    if (!maxLive.ok) return maxLive;
    const workers = v.workers === undefined ? ok(Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism()))) : intOption('--workers', v.workers, 1, 64);
    if (!workers.ok) return workers;
    const shard = shardOption(v.shard);
    if (!shard.ok) return shard;
    if (shard.value !== null && v.swarm !== true) return err({ kind: 'usage', subcommand: 'explore', message: '--shard splits the sub-alphabets of --swarm; a breadth-first search of the whole alphabet cannot be split' });
    let overrides: Readonly<Record<string, unknown>> = {};
    if (v.config !== undefined) {
      const c = loadConfigFile(v.config, v.profile);
      if (!c.ok) return c;
      overrides = c.value.overrides;
    }
    const built = configOver(v.profile, overrides, v.config ?? `profile ${v.profile}`, [...faults.value]);
    if (!built.ok) return built;
    const config = built.value;
    const out = makeOut(io, v.json === true);
    if (v.swarm === true) {
      if (v['max-live'] !== undefined || v['no-symmetry'] === true) {
        return err({ kind: 'usage', subcommand: 'explore', message: '--swarm cannot be used with --max-live or --no-symmetry (each sub-search sets its own symmetry)' });
      }
      return runSwarm(out, { profile: v.profile, config, faults: faults.value, depth: depth.value, seconds: seconds.value, workers: workers.value, outDir: v.out ?? 'counterexamples', json: v.json === true, shard: shard.value, htmlDir: v.html ?? null });
    }
    const symmetry = v['no-symmetry'] !== true;
    const status = makeStatusLine(io);
    out.line(`alloc-check explore: profile ${v.profile}, depth ${depth.value}, budget ${seconds.value} s, symmetry ${symmetry ? 'on' : 'off'}, ${workers.value} worker${workers.value === 1 ? '' : 's'}${faults.value.length > 0 ? `, faults: ${faults.value.join(', ')}` : ''}${Number.isFinite(maxLive.value) ? `, at most ${maxLive.value} live` : ''}`);
    const options = {
      depth: depth.value,
      timeMs: seconds.value * 1000,
      symmetry,
      maxLive: maxLive.value,
      onDepth: (d: number, distinct: number, transitions: number) => {
        status.clear();
        out.line(`  depth ${d}: ${distinct} distinct states, ${transitions} transitions checked`);
      },
      // On a terminal: where the search is inside a level (a level can take most of the budget).
      onProgress: (p: { level: number; transitions: number; distinctStates: number; elapsedMs: number }) =>
        status.show(`explore: level ${p.level}: ${p.transitions} transitions, ${p.distinctStates} distinct states, ${Math.round((p.transitions / Math.max(1, p.elapsedMs)) * 1000)}/s, ${(p.elapsedMs / 1000).toFixed(0)} s`),
    };
    let report: ExploreReport;
    try {
      report = workers.value === 1 ? explore(config, options) : await exploreParallel(config, { ...options, workers: workers.value });
    } finally {
      status.clear();
    }
    const written = writeViolation(report.violation, v.profile, config, v.out ?? 'counterexamples');
    if (!written.ok) return written;
    printReport(out, report);
    if (report.violation !== null && written.value !== null) printViolation(out, report.violation, 'shortest, BFS order', written.value);
    const html = await htmlReport(out, v.html, written.value);
    if (!html.ok) return html;
    if (v.json === true) {
      out.json({
        profile: v.profile,
        depth: depth.value,
        depthCompleted: report.depthCompleted,
        exhausted: report.exhausted,
        states: report.states,
        distinctStates: report.distinctStates,
        statesPerSec: report.statesPerSec,
        bytesPerState: report.bytesPerState,
        violation: report.violation === null ? null : { invariant: report.violation.invariant, length: report.violation.commands.length, file: written.value },
      });
    }
    return ok(report.violation === null ? 0 : 1);
  },
};

/** The violation, its commands, where its repro was written and how to replay it. */
function printViolation(out: ReturnType<typeof makeOut>, v: ExploreViolation, how: string, file: string): void {
  out.line('');
  out.line(`VIOLATION: ${v.invariant} after ${v.commands.length} commands (${how}): ${v.message}`);
  v.commands.forEach((c, i) => out.line(`  ${String(i + 1).padStart(2)}. ${commandText(c)}`));
  out.line(`written:  ${displayPath(file)}`);
  out.line(`replay:   ${replayCommandLine(file)}`);
}

function writeViolation(v: ExploreViolation | null, profile: string, config: AllocatorConfig, outDir: string): Result<string | null> {
  if (v === null) return ok(null);
  return writeRepro(outDir, {
    formatVersion: 1,
    profile,
    config,
    faults: config.faults,
    seed: 0,
    path: null,
    commands: v.commands,
    invariant: v.invariant,
    failingStep: v.commands.length,
    message: v.message,
    // BFS order: no shorter sequence of the alphabet fails.
    minimal: true,
    length: v.commands.length,
  });
}

function printReport(out: ReturnType<typeof makeOut>, r: ExploreReport): void {
  out.line('');
  out.line(`depth completed      ${r.depthCompleted} of ${r.depth}${r.exhausted ? ' (reachable space exhausted)' : ''}`);
  out.line(`states generated     ${r.states} (transitions checked; alphabet of ${r.alphabetSize})`);
  out.line(`distinct states      ${r.distinctStates}`);
  out.line(`states per second    ${r.statesPerSec}`);
  out.line(`bytes per state      ${r.bytesPerState} (fingerprint tables${r.workers > 1 ? `, ${r.workers} worker replicas` : ''} and path store, measured)`);
  out.line(`workers              ${r.workers}`);
  out.line(`elapsed              ${(r.elapsedMs / 1000).toFixed(1)} s`);
}

interface SwarmRun {
  readonly profile: string;
  readonly config: AllocatorConfig;
  readonly faults: readonly FaultName[];
  readonly depth: number;
  readonly seconds: number;
  readonly workers: number;
  readonly outDir: string;
  readonly json: boolean;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly htmlDir: string | null;
}

/** `--html DIR`: the HTML report of the repro just written (report/html.ts), if both exist. */
async function htmlReport(out: ReturnType<typeof makeOut>, dir: string | undefined, file: string | null): Promise<Result<null>> {
  if (dir === undefined || file === null) return ok(null);
  const { writeReportInto } = await import('../report/html.ts');
  const h = writeReportInto(dir, file);
  if (!h.ok) return h;
  out.line(`report:   ${displayPath(h.value.file)} (${h.value.bytes} bytes)`);
  return ok(null);
}

async function runSwarm(out: ReturnType<typeof makeOut>, r: SwarmRun): Promise<Result<ExitCode>> {
  out.line(`alloc-check explore --swarm: profile ${r.profile}, depth ${r.depth} per sub-alphabet, budget ${r.seconds} s, ${r.workers} worker${r.workers === 1 ? '' : 's'}${r.faults.length > 0 ? `, faults: ${r.faults.join(', ')}` : ''}`);
  const report = await exploreSwarm(r.config, {
    depth: r.depth,
    timeMs: r.seconds * 1000,
    workers: r.workers,
    ...(r.shard !== null ? { shard: r.shard } : {}),
    onSearch: (s) =>
      out.line(
        `  ${s.name.padEnd(40)} ${String(s.letterCount).padStart(2)} letters  ${s.complete ? `depth ${s.depthCompleted}${s.exhausted ? ' (exhausted)' : ''}` : s.violation !== null ? `VIOLATION at ${s.violation.commands.length}` : `depth ${s.depthCompleted} only (budget)`}  ${s.distinctStates} states  ${s.elapsedMs} ms`,
      ),
  });
  const written = writeViolation(report.violation, r.profile, r.config, r.outDir);
  if (!written.ok) return written;
  out.line('');
  out.line(`sub-alphabets        ${report.searched} of ${report.alphabets} searched, ${report.completed} of them exhaustively to depth ${r.depth}`);
  out.line(`states generated     ${report.states} (transitions checked, over every sub-search)`);
  out.line(`distinct states      ${report.distinctStates} (summed over the sub-searches)`);
  out.line(`states per second    ${report.statesPerSec}`);
  out.line(`workers              ${report.workers}`);
  out.line(`elapsed              ${(report.elapsedMs / 1000).toFixed(1)} s`);
  out.line('not exhaustive for the whole alphabet: each sub-search is, over its own letters (run without --swarm for that)');
  const v = report.violation;
  if (v !== null && written.value !== null) printViolation(out, v, `shortest over sub-alphabet "${v.alphabet}"`, written.value);
  const html = await htmlReport(out, r.htmlDir ?? undefined, written.value);
  if (!html.ok) return html;
  if (r.json) {
    out.json({
      profile: r.profile,
      swarm: true,
      depth: r.depth,
      alphabets: report.alphabets,
      searched: report.searched,
      completed: report.completed,
      states: report.states,
      statesPerSec: report.statesPerSec,
      violation: v === null ? null : { invariant: v.invariant, length: v.commands.length, file: written.value, alphabet: v.alphabet },
      searchedAlphabets: report.results.map((x) => x.name),
      completedAlphabets: report.results.filter((x) => x.complete).map((x) => x.name),
      ...(r.shard !== null ? { shard: { index: r.shard.index + 1, count: r.shard.count } } : {}),
    });
  }
  return ok(v === null ? 0 : 1);
}

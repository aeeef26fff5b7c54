// `alloc-check explore --profile NAME --depth D [--time S] [--faults a,b] [--max-live N]
//  [--workers N] [--no-symmetry] [--out DIR] [--json]`: the bounded exhaustive model checker (explore/).

import { availableParallelism } from 'node:os';
import { PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import { explore, type ExploreReport } from '../explore/explorer.ts';
import { exploreParallel } from '../explore/parallel.ts';
import { faultsOption, intOption, parseOptions, secondsOption } from './args.ts';
import { err, ok, type Result } from './errors.ts';
import { makeOut } from './io.ts';
import { displayPath, writeRepro } from './repro.ts';
import { replayCommandLine } from './report.ts';
import { commandText } from '../properties/runner.ts';
import type { Subcommand } from './subcommand.ts';

/** The default never takes more than this many threads, whatever the machine. */
const MAX_DEFAULT_WORKERS = 8;

const usage = `usage: alloc-check explore --profile NAME --depth D [--time S] [--faults a,b] [--max-live N]
                           [--workers N] [--no-symmetry] [--out DIR] [--json]

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
  --out DIR        where a counterexample is written (default counterexamples/)
  --json           stdout holds only {"profile","depth","exhausted","states","distinctStates",
                   "statesPerSec","bytesPerState","violation": null | {"invariant","length","file"}}

exit: 0 no violation within the explored depth, 1 a violation, 2 usage or config error
`;

const OPTIONS = {
  profile: { type: 'string' },
  depth: { type: 'string' },
  time: { type: 'string' },
  faults: { type: 'string' },
  'max-live': { type: 'string' },
  workers: { type: 'string' },
  'no-symmetry': { type: 'boolean' },
  out: { type: 'string' },
  json: { type: 'boolean' },
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
    const config = profileConfig(v.profile, { faults: [...faults.value] });
    const out = makeOut(io, v.json === true);
    const symmetry = v['no-symmetry'] !== true;
    out.line(`alloc-check explore: profile ${v.profile}, depth ${depth.value}, budget ${seconds.value} s, symmetry ${symmetry ? 'on' : 'off'}, ${workers.value} worker${workers.value === 1 ? '' : 's'}${faults.value.length > 0 ? `, faults: ${faults.value.join(', ')}` : ''}${Number.isFinite(maxLive.value) ? `, at most ${maxLive.value} live` : ''}`);
    const options = {
      depth: depth.value,
      timeMs: seconds.value * 1000,
      symmetry,
      maxLive: maxLive.value,
      onDepth: (d: number, distinct: number, transitions: number) => out.line(`  depth ${d}: ${distinct} distinct states, ${transitions} transitions checked`),
    };
    const report = workers.value === 1 ? explore(config, options) : await exploreParallel(config, { ...options, workers: workers.value });
    const written = writeViolation(report, v.profile, config, v.out ?? 'counterexamples');
    if (!written.ok) return written;
    printReport(out, report);
    if (report.violation !== null && written.value !== null) {
      out.line('');
      out.line(`VIOLATION: ${report.violation.invariant} after ${report.violation.commands.length} commands (shortest, BFS order): ${report.violation.message}`);
      report.violation.commands.forEach((c, i) => out.line(`  ${String(i + 1).padStart(2)}. ${commandText(c)}`));
      out.line(`written:  ${displayPath(written.value)}`);
      out.line(`replay:   ${replayCommandLine(written.value)}`);
    }
    if (v.json === true) {
      out.json({
        profile: v.profile,
        depth: report.depthCompleted,
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

function writeViolation(report: ExploreReport, profile: string, config: ReturnType<typeof profileConfig>, outDir: string): Result<string | null> {
  const v = report.violation;
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

// alloc-check: the command-line front of the suite. This file owns the subcommand table, the
// top-level dispatch, and the one place where an error value becomes one line on stderr + exit 2.

import { readFileSync } from 'node:fs';
import { match, P } from 'ts-pattern';
import { describeThrown, formatError } from './errors.ts';
import type { CliError } from './errors.ts';
import { processIo } from './io.ts';
import type { Io } from './io.ts';
import { wantsHelp } from './subcommand.ts';
import type { ExitCode, SubcommandEntry } from './subcommand.ts';

/**
 * The subcommand table. A subcommand is a module exporting a `Subcommand` (cli/subcommand.ts);
 * registering it is one entry here, loaded on demand.
 */
export const SUBCOMMANDS: Readonly<Record<string, SubcommandEntry>> = {
  run: { summary: 'run the property suite; on failure minimise, write and explain the repro', load: async () => (await import('./run.ts')).runCommand },
  replay: { summary: 'replay a counterexample file step by step, with a map of the slab involved', load: async () => (await import('./replay.ts')).replayCommand },
  minimize: { summary: 'shrink a counterexample file further and rewrite it in place', load: async () => (await import('./minimizeCommand.ts')).minimizeCommand },
  list: { summary: 'list profiles, invariants and faults', load: async () => (await import('./list.ts')).listCommand },
  profiles: { summary: 'print every built-in profile as its full config (to start a --config file from)', load: async () => (await import('./profiles.ts')).profilesCommand },
  merge: { summary: 'combine the JSON reports of shards (run --shard I/N --json) into one', load: async () => (await import('./merge.ts')).mergeCommand },
  mutants: { summary: 'kill matrix: every planted fault against the user-facing search', load: async () => (await import('./mutants.ts')).mutantsCommand },
  explore: { summary: 'bounded exhaustive model checking of a small profile, shortest counterexamples', load: async () => (await import('./explore.ts')).exploreCommand },
};


export function topUsage(): string {
  const names = Object.keys(SUBCOMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: alloc-check <subcommand> [options]',
    '',
    'subcommands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${SUBCOMMANDS[n]?.summary ?? ''}`),
    '',
    'alloc-check <subcommand> --help shows its options.',
    'exit codes: 0 every check held, 1 a counterexample, 2 usage, config or file error.',
    '',
  ].join('\n');
}

type Invocation =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'subcommand'; readonly name: string; readonly entry: SubcommandEntry; readonly argv: readonly string[] }
  | { readonly kind: 'error'; readonly error: CliError };

function classify(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'error', error: { kind: 'usage', subcommand: null, message: `missing subcommand; one of ${Object.keys(SUBCOMMANDS).join(', ')}` } };
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help' };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first.startsWith('-')) return { kind: 'error', error: { kind: 'usage', subcommand: null, message: `unknown option ${first} before the subcommand` } };
  const entry = Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
  if (entry === undefined) {
    return { kind: 'error', error: { kind: 'unknown-name', what: 'subcommand', name: first, known: Object.keys(SUBCOMMANDS) } };
  }
  return { kind: 'subcommand', name: first, entry, argv: rest };
}

function version(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown';
  } catch {
    return 'unknown';
  }
}

function fail(io: Io, error: CliError): ExitCode {
  io.stderr.write(`alloc-check: ${formatError(error)}\n`);
  return 2;
}

/** Runs the tool; returns the exit code (the caller sets process.exitCode). */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  const inv = classify(argv);
  try {
    return await match(inv)
      .with({ kind: 'help' }, async () => {
        io.stdout.write(topUsage());
        return 0 as const;
      })
      .with({ kind: 'version' }, async () => {
        io.stdout.write(`alloc-check ${version()}\n`);
        return 0 as const;
      })
      .with({ kind: 'error' }, async ({ error }) => fail(io, error))
      .with({ kind: 'subcommand', argv: P.when(wantsHelp) }, async ({ entry }) => {
        io.stdout.write((await entry.load()).usage);
        return 0 as const;
      })
      .with({ kind: 'subcommand' }, async ({ entry, argv: rest }) => {
        const result = await (await entry.load()).run(rest, io);
        return result.ok ? result.value : fail(io, result.error);
      })
      .exhaustive();
  } catch (e) {
    if (io.env.ALLOC_CHECK_DEBUG !== undefined && e instanceof Error) io.stderr.write(`${e.stack ?? ''}\n`);
    return fail(io, { kind: 'internal', message: describeThrown(e) });
  }
}

// Errors of the command-line tool are values that carry their input, passed up as `Result`s until
// the top level (cli/main.ts) turns them into ONE line on stderr and exit code 2. Nothing below the
// top level prints an error or exits.

import { match } from 'ts-pattern';

export type CliError =
  /** Bad command line: unknown option, missing or extra argument, conflicting options. */
  | { readonly kind: 'usage'; readonly subcommand: string | null; readonly message: string }
  /** An option value that does not parse: `--seed abc`. */
  | { readonly kind: 'bad-option'; readonly option: string; readonly value: string; readonly rule: string }
  /** A name that is not in its catalogue (profile, fault, invariant, subcommand). */
  | { readonly kind: 'unknown-name'; readonly what: 'profile' | 'fault' | 'invariant' | 'subcommand'; readonly name: string; readonly known: readonly string[] }
  /** A file that cannot be read or does not hold a valid counterexample. */
  | { readonly kind: 'bad-file'; readonly file: string; readonly reason: string }
  /** A configuration rejected by makeConfig (field and rule from its ConfigError). */
  | { readonly kind: 'bad-config'; readonly source: string; readonly field: string; readonly rule: string; readonly value?: unknown }
  /** Writing an output (repro, JUnit report, temp file) failed. */
  | { readonly kind: 'io'; readonly file: string; readonly reason: string }
  /** The suite itself threw (a bug in properties/ or impl/, not a counterexample). */
  | { readonly kind: 'internal'; readonly message: string };

export type Result<T, E = CliError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

const listKnown = (known: readonly string[]): string => (known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', '));

/** The single line printed for an error (without the `alloc-check:` prefix). */
export function formatError(e: CliError): string {
  return oneLine(
    match(e)
      .with({ kind: 'usage' }, (u) => `${u.subcommand === null ? '' : `${u.subcommand}: `}${u.message} (try --help)`)
      .with({ kind: 'bad-option' }, (b) => `option ${b.option}: ${b.rule} (got ${JSON.stringify(b.value)})`)
      .with({ kind: 'unknown-name' }, (u) => `unknown ${u.what} "${u.name}"; known: ${listKnown(u.known)}`)
      .with({ kind: 'bad-file' }, (b) => `${b.file}: ${b.reason}`)
      .with({ kind: 'bad-config' }, (c) => `${c.source}: invalid config: config.${c.field}: ${c.rule}${'value' in c ? ` (got ${JSON.stringify(c.value) ?? String(c.value)})` : ''}`)
      .with({ kind: 'io' }, (i) => `cannot write ${i.file}: ${i.reason}`)
      .with({ kind: 'internal' }, (i) => `internal error: ${i.message}`)
      .exhaustive(),
  );
}

/** The message of an unknown thrown value, on one line. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return oneLine(`${e.name === 'Error' ? '' : `${e.name}: `}${e.message}`);
  return oneLine(String(e));
}

/** Node's errno codes, turned into short phrases. */
export function describeFsError(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a path component is not a directory';
    case 'ELOOP':
      return 'a symbolic link loop (the link points back at itself)';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return describeThrown(e);
  }
}

// Argument parsing: Node's util.parseArgs in strict mode, its exceptions turned into CliError
// values, and the value validators every subcommand shares (numbers, profiles, faults).

import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { ACCEPTED_FAULT_NAMES, PROFILE_NAMES, resolveFaultNames } from '../impl/index.ts';
import type { FaultName } from '../impl/index.ts';
import { err, ok } from './errors.ts';
import type { Result } from './errors.ts';

export type OptionSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

type Values<S extends OptionSpec> = { -readonly [K in keyof S]?: S[K]['type'] extends 'string' ? string : boolean };

export interface Parsed<S extends OptionSpec> {
  readonly values: Values<S>;
  readonly positionals: readonly string[];
}

/** Strict parse; unknown options, missing values and unexpected positionals become usage errors. */
export function parseOptions<S extends OptionSpec>(subcommand: string, argv: readonly string[], options: S, maxPositionals: number): Result<Parsed<S>> {
  let parsed: { values: Record<string, unknown>; positionals: string[]; tokens: readonly { readonly kind: string; readonly name?: string; readonly rawName?: string }[] };
  try {
    const config: ParseArgsConfig['options'] = options;
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options: config, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    return err({ kind: 'usage', subcommand, message: parseArgsMessage(e) });
  }
  const repeated = repeatedOption(parsed.tokens);
  if (repeated !== null) return err({ kind: 'usage', subcommand, message: `option ${repeated} is given more than once (give it once)` });
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).map((p) => `"${p}"`).join(' ');
    return err({ kind: 'usage', subcommand, message: `unexpected argument ${extra}` });
  }
  return ok({ values: parsed.values as Values<S>, positionals: parsed.positionals });
}

/**
 * `--runs -1`: parseArgs takes `-1` for an option and reports a missing value. A string option
 * followed by something that reads as a negative number gets that as its value, so the number's
 * own rule can name what is wrong with it.
 */
function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** The first option that appears twice (`--seed 1 --seed 2`), as typed; null when none does. */
function repeatedOption(tokens: readonly { readonly kind: string; readonly name?: string; readonly rawName?: string }[]): string | null {
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === undefined) continue;
    if (seen.has(t.name)) return `--${t.name}`;
    seen.add(t.name);
  }
  return null;
}

/** parseArgs messages are long; keep the first sentence, which names the option. */
function parseArgsMessage(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const message = e instanceof Error ? e.message : String(e);
  const optionName = /'(-[^' ]*)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${optionName ?? message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take an argument/.test(message) ? `option ${optionName ?? '?'} takes no value` : `option ${optionName ?? '?'} needs a value`;
    default:
      return (message.split(/\.\s/)[0] ?? message).replace(/\s+/g, ' ');
  }
}

/** A decimal integer within [min, max]; the rule in the error names the bound that was missed. */
export function intOption(option: string, value: string, min: number, max: number): Result<number> {
  if (!/^-?\d+$/.test(value)) return err({ kind: 'bad-option', option, value, rule: 'must be a whole number' });
  const n = Number(value);
  // A bound that nobody reaches by accident is left out of the message.
  if (n < min) return err({ kind: 'bad-option', option, value, rule: max >= 1_000_000 ? `must be a whole number ≥ ${min}` : `must be between ${min} and ${max}` });
  if (!Number.isSafeInteger(n) || n > max) return err({ kind: 'bad-option', option, value, rule: `must be between ${min} and ${max}` });
  return ok(n);
}

/** A positive decimal number of seconds (fractions allowed). */
export function secondsOption(option: string, value: string, max: number): Result<number> {
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(value)) return err({ kind: 'bad-option', option, value, rule: 'must be a number of seconds' });
  const n = Number(value);
  if (!(n > 0) || n > max) return err({ kind: 'bad-option', option, value, rule: `must be more than 0 and at most ${max}` });
  return ok(n);
}

/**
 * The items of a comma-separated list option. An empty item (`a,,b`, a trailing comma) is refused
 * the same way for every list option, so that a typo never silently drops a name.
 */
export function listItems(option: string, value: string, what: string): Result<readonly string[]> {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((n) => n === '')) return err({ kind: 'bad-option', option, value, rule: `must be ${what} or a comma-separated list of them, with no empty item` });
  return ok(items);
}

/** `--profile NAME|all` (also a comma-separated list of names; `all` stands alone). */
export function profilesOption(value: string | undefined): Result<readonly string[]> {
  if (value === undefined || value === 'all') return ok([...PROFILE_NAMES]);
  const names = listItems('--profile', value, 'a profile name');
  if (!names.ok) return names;
  if (names.value.includes('all')) return err({ kind: 'bad-option', option: '--profile', value, rule: '"all" stands alone: give --profile all, or a list of profile names' });
  for (const n of names.value) if (!PROFILE_NAMES.includes(n)) return err({ kind: 'unknown-name', what: 'profile', name: n, known: [...PROFILE_NAMES, 'all'] });
  return ok([...new Set(names.value)]);
}

/** `--faults a,b` (the empty string alone: no fault). Order is kept, duplicates dropped. */
export function faultsOption(value: string | undefined, option = '--faults'): Result<readonly FaultName[]> {
  if (value === undefined || value === '') return ok([]);
  const names = listItems(option, value, 'a fault name');
  if (!names.ok) return names;
  // A SPEC alias (FAULT_ALIASES) stands for the catalogue entries it was split into.
  const resolved = resolveFaultNames(names.value);
  if (!resolved.ok) return err({ kind: 'unknown-name', what: 'fault', name: String(resolved.unknown), known: ACCEPTED_FAULT_NAMES });
  return ok(resolved.faults);
}

/** `--shard I/N`: shard I (1-based) of N; returned 0-based, as the runner takes it. */
export function shardOption(value: string | undefined): Result<{ readonly index: number; readonly count: number } | null> {
  if (value === undefined) return ok(null);
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (m === null) return err({ kind: 'bad-option', option: '--shard', value, rule: 'must be I/N, shard I of N (e.g. 1/4)' });
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1000) return err({ kind: 'bad-option', option: '--shard', value, rule: 'N must be between 1 and 1000' });
  if (index < 1 || index > count) return err({ kind: 'bad-option', option: '--shard', value, rule: `I must be between 1 and N (${count})` });
  return ok({ index: index - 1, count });
}

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
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    const config: ParseArgsConfig['options'] = options;
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: true });
  } catch (e) {
    return err({ kind: 'usage', subcommand, message: parseArgsMessage(e) });
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).map((p) => `"${p}"`).join(' ');
    return err({ kind: 'usage', subcommand, message: `unexpected argument ${extra}` });
  }
  return ok({ values: parsed.values as Values<S>, positionals: parsed.positionals });
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

/** A non-negative decimal integer within [min, max]. */
export function intOption(option: string, value: string, min: number, max: number): Result<number> {
  if (!/^\d+$/.test(value)) return err({ kind: 'bad-option', option, value, rule: 'must be a whole number' });
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) return err({ kind: 'bad-option', option, value, rule: `must be between ${min} and ${max}` });
  return ok(n);
}

/** A positive decimal number of seconds (fractions allowed). */
export function secondsOption(option: string, value: string, max: number): Result<number> {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(value)) return err({ kind: 'bad-option', option, value, rule: 'must be a number of seconds' });
  const n = Number(value);
  if (!(n > 0) || n > max) return err({ kind: 'bad-option', option, value, rule: `must be more than 0 and at most ${max}` });
  return ok(n);
}

/** `--profile NAME|all` (also a comma-separated list). */
export function profilesOption(value: string | undefined): Result<readonly string[]> {
  if (value === undefined || value === 'all') return ok([...PROFILE_NAMES]);
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) return err({ kind: 'bad-option', option: '--profile', value, rule: 'must be a profile name, a comma-separated list of them, or "all"' });
  for (const n of names) if (!PROFILE_NAMES.includes(n)) return err({ kind: 'unknown-name', what: 'profile', name: n, known: [...PROFILE_NAMES, 'all'] });
  return ok([...new Set(names)]);
}

/** `--faults a,b` (empty string: no fault). Order is kept, duplicates dropped. */
export function faultsOption(value: string | undefined): Result<readonly FaultName[]> {
  if (value === undefined) return ok([]);
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  // A SPEC alias (FAULT_ALIASES) stands for the catalogue entries it was split into.
  const resolved = resolveFaultNames(names);
  if (!resolved.ok) return err({ kind: 'unknown-name', what: 'fault', name: String(resolved.unknown), known: ACCEPTED_FAULT_NAMES });
  return ok(resolved.faults);
}

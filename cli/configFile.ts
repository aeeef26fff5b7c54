// `--config FILE`: an engineer's own configuration, a JSON object with any subset of the SPEC §1
// config fields, laid over one built-in profile. Validated by the same rules as the profiles
// (impl/config.ts makeConfig); faults never come from the file (they come from --faults), so a
// config file can never switch a planted bug on by accident.

import { ConfigError, profileConfig } from '../impl/index.ts';
import type { AllocatorConfig } from '../impl/index.ts';
import { describeThrown, err, ok } from './errors.ts';
import type { Result } from './errors.ts';
import { readRegularFile } from './repro.ts';

export interface ConfigFile {
  readonly file: string;
  /** The fields the file sets, as written (validated against the base profile). */
  readonly overrides: Readonly<Record<string, unknown>>;
}

/** Reads and validates FILE over profile `base`; every error names the file, the field and the rule. */
export function loadConfigFile(file: string, base: string): Result<ConfigFile> {
  const text = readRegularFile(file, 'config');
  if (!text.ok) return text;
  let value: unknown;
  try {
    value = JSON.parse(text.value);
  } catch (e) {
    return err({ kind: 'bad-file', file, reason: `invalid JSON: ${describeThrown(e)}` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err({ kind: 'bad-file', file, reason: 'a config file must hold a JSON object of config fields' });
  const overrides = value as Record<string, unknown>;
  if ('faults' in overrides) return err({ kind: 'bad-config', source: file, field: 'faults', rule: 'is not taken from a config file (switch planted faults on with --faults)', value: overrides.faults });
  const checked = configOver(base, overrides, file);
  if (!checked.ok) return checked;
  return ok({ file, overrides });
}

/** The profile's config with the file's fields laid over it (and the run's faults). */
export function configOver(base: string, overrides: Readonly<Record<string, unknown>>, source: string, faults: AllocatorConfig['faults'] = []): Result<AllocatorConfig> {
  try {
    return ok(profileConfig(base, { ...(overrides as Partial<AllocatorConfig>), faults }));
  } catch (e) {
    if (e instanceof ConfigError) return err({ kind: 'bad-config', source, field: e.field, rule: e.rule, value: e.value });
    return err({ kind: 'internal', message: describeThrown(e) });
  }
}

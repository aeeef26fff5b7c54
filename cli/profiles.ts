// `alloc-check profiles [--json]`: every built-in profile as its full config, the starting point
// of an engineer's own `--config FILE` (copy a profile's object, change the fields you tune).

import { PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import type { AllocatorConfig } from '../impl/index.ts';
import { parseOptions } from './args.ts';
import { ok } from './errors.ts';
import { makeOut } from './io.ts';
import type { Subcommand } from './subcommand.ts';

const usage = `usage: alloc-check profiles [--json]

Prints every built-in profile as its full configuration (SPEC §1 fields). A --config FILE holds
any subset of these fields and is laid over one profile (\`run --config FILE --profile NAME\`).

  --json   print {"<profile>": {<every config field>}, ...} on stdout
`;

/** The config of a profile as a file would hold it: every field but `faults` (those come from --faults). */
export function profileAsFile(name: string): Omit<AllocatorConfig, 'faults'> {
  const { faults: _faults, ...fields } = profileConfig(name);
  return fields;
}

export const profilesCommand: Subcommand = {
  name: 'profiles',
  summary: 'print every built-in profile as its full config (to start a --config file from)',
  usage,
  run: async (argv, io) => {
    const parsed = parseOptions('profiles', argv, { json: { type: 'boolean' } }, 0);
    if (!parsed.ok) return parsed;
    const json = parsed.value.values.json === true;
    const out = makeOut(io, json);
    if (json) {
      out.json(Object.fromEntries(PROFILE_NAMES.map((p) => [p, profileAsFile(p)])));
      return ok(0);
    }
    for (const p of PROFILE_NAMES) {
      out.line(out.style.bold(p));
      for (const [field, value] of Object.entries(profileAsFile(p))) out.line(`  ${field.padEnd(18)} ${JSON.stringify(value)}`);
      out.line();
    }
    return ok(0);
  },
};

// `alloc-check list [--json]`: the catalogues a user can name on the command line.

import { FAULT_ALIASES, FAULT_NAMES, PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import { INVARIANT_NAMES } from '../properties/commandData.ts';
import { parseOptions } from './args.ts';
import { ok } from './errors.ts';
import { makeOut } from './io.ts';
import type { Subcommand } from './subcommand.ts';

const usage = `usage: alloc-check list [--json]

Lists the named profiles (with their main dimensions), the invariants the suite checks (SPEC §7)
and the faults that can be switched on (SPEC §9).

  --json   print {"profiles": [...], "invariants": [...], "faults": [...]} (names only)
`;

function profileSummary(name: string): string {
  const c = profileConfig(name);
  return `${c.strides.length} classes (strides ${c.strides.join('/')}), slab ${c.slabSize} B, superslab ${c.superslabSize} B, ${c.threads} threads, route ${c.routeProfile}${c.metaLight ? ', metaLight' : ''}`;
}

export const listCommand: Subcommand = {
  name: 'list',
  summary: 'list profiles, invariants and faults',
  usage,
  run: async (argv, io) => {
    const parsed = parseOptions('list', argv, { json: { type: 'boolean' } }, 0);
    if (!parsed.ok) return parsed;
    const json = parsed.value.values.json === true;
    const out = makeOut(io, json);
    if (json) {
      out.json({ profiles: [...PROFILE_NAMES], invariants: [...INVARIANT_NAMES], faults: [...FAULT_NAMES] });
      return ok(0);
    }
    const w = Math.max(...PROFILE_NAMES.map((p) => p.length));
    out.line(out.style.bold('profiles'));
    for (const p of PROFILE_NAMES) out.line(`  ${p.padEnd(w)}  ${profileSummary(p)}`);
    out.line();
    out.line(out.style.bold('invariants'));
    for (const i of INVARIANT_NAMES) out.line(`  ${i}`);
    out.line();
    out.line(out.style.bold('faults'));
    for (const f of FAULT_NAMES) out.line(`  ${f}`);
    for (const [alias, faults] of Object.entries(FAULT_ALIASES)) out.line(`  ${alias}  (SPEC name; switches on ${faults.join(' + ')})`);
    return ok(0);
  },
};

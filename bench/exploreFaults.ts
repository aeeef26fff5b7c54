// The explorer against every planted fault (issue 8): for each fault of SPEC §9, the shortest
// counterexample the exhaustive search finds on `tiny` and on the profile of the fault's repro in
// counterexamples/, beside the length of that repro (the random suite's minimised one). Figures for
// docs/explore.md; nothing here is asserted.
//
//   node --import tsx bench/exploreFaults.ts [--time S] [--depth D] [--workers N] [--swarm] [--json]
//
// Each search runs until the first violation, depth D (default 6; 8 with --swarm) or S seconds
// (default 20). --swarm: the swarm search (explore/swarm.ts) on `tiny` only.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadRepro } from '../cli/repro.ts';
import { exploreParallel } from '../explore/parallel.ts';
import { exploreSwarm } from '../explore/swarm.ts';
import { FAULT_NAMES, profileConfig, type FaultName } from '../impl/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface RandomRepro {
  readonly profile: string;
  readonly length: number;
  readonly invariant: string;
  readonly file: string;
}

/** The shortest repro in counterexamples/ per single fault (the regression set). */
function randomRepros(): Map<FaultName, RandomRepro> {
  const out = new Map<FaultName, RandomRepro>();
  const dir = join(ROOT, 'counterexamples');
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    for (const name of readdirSync(join(dir, sub.name))) {
      if (!name.endsWith('.json')) continue;
      const loaded = loadRepro(join(dir, sub.name, name));
      if (!loaded.ok) throw new Error(`exploreFaults: ${loaded.error.file}: ${loaded.error.reason}`);
      const r = loaded.value.repro;
      if (r.faults.length !== 1) continue;
      const fault = r.faults[0] as FaultName;
      const prior = out.get(fault);
      if (prior === undefined || r.commands.length < prior.length) out.set(fault, { profile: r.profile, length: r.commands.length, invariant: r.invariant, file: `${sub.name}/${name}` });
    }
  }
  return out;
}

interface Search {
  readonly profile: string;
  readonly length: number | null;
  readonly invariant: string | null;
  readonly depthCompleted: number;
  readonly distinctStates: number;
  readonly ms: number;
}

async function search(fault: FaultName, profile: string, depth: number, timeMs: number, workers: number): Promise<Search> {
  if (values.swarm === true) {
    const r = await exploreSwarm(profileConfig(profile, { faults: [fault] }), { depth, timeMs, workers });
    return {
      profile,
      length: r.violation?.commands.length ?? null,
      invariant: r.violation === null ? null : `${r.violation.invariant}, sub-alphabet "${r.violation.alphabet}"`,
      depthCompleted: depth,
      distinctStates: r.distinctStates,
      ms: r.elapsedMs,
    };
  }
  const r = await exploreParallel(profileConfig(profile, { faults: [fault] }), { depth, timeMs, workers });
  return {
    profile,
    length: r.violation?.commands.length ?? null,
    invariant: r.violation?.invariant ?? null,
    depthCompleted: r.depthCompleted,
    distinctStates: r.distinctStates,
    ms: r.elapsedMs,
  };
}

const { values } = parseArgs({ options: { time: { type: 'string' }, depth: { type: 'string' }, workers: { type: 'string' }, swarm: { type: 'boolean' }, json: { type: 'boolean' } }, strict: true });
const timeMs = Number(values.time ?? '20') * 1000;
const depth = Number(values.depth ?? (values.swarm === true ? '8' : '6'));
const workers = Number(values.workers ?? '2');
if (!(timeMs > 0) || !Number.isInteger(depth) || depth < 1 || !Number.isInteger(workers) || workers < 1) {
  process.stderr.write('exploreFaults: --time must be > 0 seconds, --depth and --workers positive integers\n');
  process.exit(2);
}

const repros = randomRepros();
const rows: { fault: FaultName; random: RandomRepro | null; searches: Search[] }[] = [];
const found = (s: Search): string => (s.length === null ? (values.swarm === true ? 'none within the budget' : `none within depth ${s.depthCompleted}`) : `${s.length} (${s.invariant})`);
for (const fault of FAULT_NAMES) {
  const random = repros.get(fault) ?? null;
  const profiles = ['tiny', ...(random !== null && random.profile !== 'tiny' && values.swarm !== true ? [random.profile] : [])];
  const searches: Search[] = [];
  for (const profile of profiles) searches.push(await search(fault, profile, depth, timeMs, workers));
  rows.push({ fault, random, searches });
  if (values.json !== true) {
    for (const s of searches) {
      process.stdout.write(
        `${fault.padEnd(32)} ${s.profile.padEnd(10)} random ${random === null ? '-' : `${random.length} (${random.invariant}, ${random.profile})`}  explorer ${found(s)}  ${s.distinctStates} states  ${s.ms} ms\n`,
      );
    }
  }
}
if (values.json === true) process.stdout.write(`${JSON.stringify({ timeMs, depth, workers, rows }, null, 2)}\n`);

// Calibrations for explore/ work on a shared machine (not figures of the bench):
//   node --import tsx bench/exploreSpeed.ts speed [profile] [depth] [repeats]
//     transitions per CPU-second of the process for a fixed-depth single-thread search (CPU time
//     counts the machine's load less than wall time; compare runs back to back);
//   node --import tsx bench/exploreSpeed.ts sleep [profile] [depth]
//     how many transitions a sleep set could skip if independence were derived conservatively from
//     what the fingerprint sees: a pair of commands of different threads, each changing only its own
//     thread's structures (explore/fingerprint.ts stateParts), assuming no command reads another
//     thread's structures (docs/explore.md, "Sleep sets: measured, not done").

import { profileConfig } from '../impl/index.ts';
import { explore } from '../explore/explorer.ts';
import { materialize, searchSpace } from '../explore/expand.ts';
import { alphabet } from '../explore/alphabet.ts';
import { fingerprintLanes, stateParts, type FingerprintLanes, type StateParts } from '../explore/fingerprint.ts';
import { FingerprintSet, PathStore } from '../explore/stores.ts';
import type { CommandData } from '../properties/commandData.ts';

const mode = process.argv[2] ?? 'speed';
const profile = process.argv[3] ?? 'tiny';
const depth = Number(process.argv[4] ?? 4);
const config = profileConfig(profile);

function speed(repeats: number): void {
  for (let r = 0; r < repeats; r++) {
    const t0 = process.cpuUsage();
    const w0 = Date.now();
    const report = explore(config, { depth });
    const cpu = process.cpuUsage(t0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(JSON.stringify({ profile, depth, transitions: report.states, distinct: report.distinctStates, cpuS: +cpuS.toFixed(2), wallS: (Date.now() - w0) / 1000, perCpuSec: Math.round(report.states / cpuS) }));
  }
}

const same = (a: FingerprintLanes, b: FingerprintLanes): boolean => a.hi === b.hi && a.lo === b.lo;
const threadOf = (d: CommandData): number => ('thread' in d ? d.thread : -1);

/** The transition from p to q changed nothing but thread t's own structures. */
function localTo(p: StateParts, q: StateParts, t: number): boolean {
  if (!same(p.shared, q.shared)) return false;
  for (let u = 0; u < p.threads.length; u++) if (u !== t && !same(p.threads[u] as FingerprintLanes, q.threads[u] as FingerprintLanes)) return false;
  return true;
}

function sleepPotential(): void {
  const letters = alphabet(config);
  const space = searchSpace(config, letters, { symmetry: true, maxLive: Infinity, targetInvariant: undefined });
  const seen = new FingerprintSet();
  const paths = new PathStore();
  const root = materialize(space, []);
  seen.add(fingerprintLanes(root.view, root.model));
  let frontier = [0];
  let transitions = 0;
  let skippable = 0;
  for (let d = 0; d < depth && frontier.length > 0; d++) {
    const next: number[] = [];
    const levelSkippable = skippable;
    for (const node of frontier) {
      const s = materialize(space, paths.path(node));
      const ps = stateParts(s.view, s.model);
      const local: boolean[] = [];
      for (let l = 0; l < letters.length; l++) {
        const command = space.commands[l];
        local.push(false);
        if (command === undefined || !command.check(s.model)) continue;
        const child = s.clone();
        const ran = child.run(command, d + 1);
        if (!ran.ok || child.judge(ran, 'all').failure !== null) continue;
        transitions++;
        const t = threadOf(command.data);
        local[l] = t >= 0 && localTo(ps, stateParts(child.view, child.model), t);
        if (!seen.add(fingerprintLanes(child.view, child.model))) continue;
        next.push(paths.add(node, l));
        // A sleep set would skip, at the new state s·l, every earlier letter b of another thread
        // that was thread-local at s too (s·b·l was explored from s·b).
        if (local[l] === true) for (let b = 0; b < l; b++) if (local[b] === true && threadOf(letters[b] as CommandData) !== t) skippable++;
      }
    }
    console.log(JSON.stringify({ depth: d + 1, transitions, skippableAtNextLevel: skippable - levelSkippable }));
    frontier = next;
  }
}

if (mode === 'speed') speed(Number(process.argv[5] ?? 3));
else if (mode === 'sleep') sleepPotential();
else {
  console.error(`exploreSpeed: unknown mode "${mode}" (speed or sleep)`);
  process.exit(2);
}

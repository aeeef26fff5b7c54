// Per-transition costs of the explorer's pieces on `tiny`, measured in one process as CPU time of
// this thread (steadier than wall time on a shared machine), best of 5 (a calibration for explore/ work, not a figure of the bench): state copy (clone, in-
// place restore), fingerprint, run and judge, on the states of a fixed depth-4 path.
//   node --import tsx bench/explorePieces.ts

import { profileConfig, restoreAllocator } from '../impl/index.ts';
import { materialize, searchSpace } from '../explore/expand.ts';
import { alphabet } from '../explore/alphabet.ts';
import { fingerprintLanes } from '../explore/fingerprint.ts';

const config = profileConfig('tiny');
const letters = alphabet(config);
const space = searchSpace(config, letters, { symmetry: true, maxLive: Infinity, targetInvariant: undefined });
const allocs = letters.flatMap((l, i) => (l.kind === 'alloc' ? [i] : []));
const path = [allocs[0], allocs[1], allocs[5], allocs[2]] as number[];
const parent = materialize(space, path);
const N = 20_000;

function time(label: string, run: () => void): void {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage().user;
    for (let i = 0; i < N; i++) run();
    best = Math.min(best, ((process.cpuUsage().user - t0) * 1000) / N);
  }
  console.log(`${label.padEnd(28)} ${(best / 1000).toFixed(2)} µs`);
}

const spare = parent.clone();
time('clone', () => void parent.clone());
time('restoreFrom', () => spare.restoreFrom(parent));
time('fingerprint (symmetry)', () => void fingerprintLanes(parent.view, parent.model, { symmetry: true }));
time('fingerprint (no symmetry)', () => void fingerprintLanes(parent.view, parent.model, { symmetry: false }));
time('restoreAllocator', () => restoreAllocator(spare.allocator, parent.allocator));
time('model.clone', () => void parent.model.clone());

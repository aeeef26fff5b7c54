// An explorer worker thread: expands the states of its share of each BFS level (explore/expand.ts)
// against its own replica of the fingerprint set, and reports the successors its replica did not
// know. The main thread dedups them across workers and hands every level's new fingerprints back.

import { parentPort, workerData } from 'node:worker_threads';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import { expand, searchSpace } from './expand.ts';
import { FingerprintSet } from './stores.ts';
import { PROGRESS_MS } from './explorer.ts';

export interface WorkerInit {
  readonly config: AllocatorConfig;
  readonly letters: readonly CommandData[];
  readonly symmetry: boolean;
  readonly maxLive: number;
  readonly targetInvariant: FailureName | undefined;
  readonly fullChecks: boolean;
  /** Wall-clock deadline (ms since the epoch); Infinity for none. */
  readonly deadline: number;
  /** The root's fingerprint. */
  readonly root: Uint32Array;
}

export interface LevelRequest {
  /** Paths (letter indexes) of the states to expand, in frontier order. */
  readonly paths: readonly (readonly number[])[];
  /** Fingerprints (hi, lo pairs) first found in the previous level, by any worker. */
  readonly known: Uint32Array;
}

export interface WorkerExpansion {
  readonly transitions: number;
  /** (letter, hi, lo) triples, in letter order. */
  readonly fresh: Uint32Array;
  readonly violation: { readonly letter: number; readonly invariant: FailureName; readonly message: string } | null;
}

export interface LevelReply {
  readonly kind: 'level';
  /** One per path expanded, in order; fewer than asked if it stopped at a violation or the deadline. */
  readonly expansions: readonly WorkerExpansion[];
  readonly timedOut: boolean;
}

/** Sent every PROGRESS_MS inside a level: the transitions and new states (by this replica) so far. */
export interface LevelProgress {
  readonly kind: 'progress';
  readonly transitions: number;
  readonly fresh: number;
}

const port = parentPort;
if (port === null) throw new Error('explore/worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const space = searchSpace(init.config, init.letters, { symmetry: init.symmetry, maxLive: init.maxLive, targetInvariant: init.targetInvariant, fullChecks: init.fullChecks });
const seen = new FingerprintSet();
seen.addPairs(init.root);

port.on('message', (request: LevelRequest) => {
  seen.addPairs(request.known);
  const expansions: WorkerExpansion[] = [];
  let timedOut = false;
  let transitions = 0;
  let freshCount = 0;
  let lastProgress = Date.now();
  for (const path of request.paths) {
    if (Date.now() - lastProgress >= PROGRESS_MS) {
      lastProgress = Date.now();
      const progress: LevelProgress = { kind: 'progress', transitions, fresh: freshCount };
      port.postMessage(progress);
    }
    if (Date.now() > init.deadline) {
      timedOut = true;
      break;
    }
    const e = expand(space, path, seen);
    const fresh = new Uint32Array(e.fresh.length * 3);
    e.fresh.forEach((f, i) => {
      fresh[3 * i] = f.letter;
      fresh[3 * i + 1] = f.fingerprint.hi;
      fresh[3 * i + 2] = f.fingerprint.lo;
    });
    expansions.push({ transitions: e.transitions, fresh, violation: e.violation });
    transitions += e.transitions;
    freshCount += e.fresh.length;
    if (e.violation !== null) break;
  }
  const reply: LevelReply = { kind: 'level', expansions, timedOut };
  port.postMessage(reply);
});

// The explorer on several threads: the same level-by-level BFS as explore(), each level's frontier
// split into contiguous shares, one per worker thread (explore/worker.ts). Workers judge against
// their replica of the fingerprint set (complete up to the previous level); the main thread merges
// their successors in frontier order, so distinct states, node numbering and the violation reported
// are the same as the single-threaded search's (up to a time-out inside a level).

import { Worker } from 'node:worker_threads';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { alphabet as defaultAlphabet } from './alphabet.ts';
import { reportOf, type ExploreOptions, type ExploreReport, type ExploreViolation } from './explorer.ts';
import { startSearch } from './expand.ts';
import type { FingerprintLanes } from './fingerprint.ts';
import { FingerprintSet } from './stores.ts';
import type { LevelProgress, LevelReply, LevelRequest, WorkerInit } from './worker.ts';

export const WORKER_ENTRY = new URL('./workerEntry.mjs', import.meta.url);

interface LevelWorker {
  readonly worker: Worker;
  run(request: LevelRequest): Promise<LevelReply>;
}

function startWorker(init: WorkerInit, onProgress: (p: LevelProgress) => void): LevelWorker {
  const worker = new Worker(WORKER_ENTRY, { workerData: { ...init, entry: './worker.ts' } });
  let pending: { resolve: (r: LevelReply) => void; reject: (e: unknown) => void } | null = null;
  const fail = (e: unknown): void => {
    const p = pending;
    pending = null;
    p?.reject(e);
  };
  worker.on('message', (reply: LevelReply | LevelProgress) => {
    if (reply.kind === 'progress') {
      onProgress(reply);
      return;
    }
    const p = pending;
    pending = null;
    p?.resolve(reply);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`explore: a worker thread exited with code ${code}`)));
  return {
    worker,
    run: (request) =>
      new Promise<LevelReply>((resolve, reject) => {
        pending = { resolve, reject };
        worker.postMessage(request);
      }),
  };
}

/** Splits `items` into `parts` contiguous shares of nearly equal length (some may be empty). */
function shares<T>(items: readonly T[], parts: number): T[][] {
  const out: T[][] = [];
  for (let w = 0; w < parts; w++) out.push(items.slice(Math.floor((items.length * w) / parts), Math.floor((items.length * (w + 1)) / parts)));
  return out;
}

export async function exploreParallel(config: AllocatorConfig, options: ExploreOptions & { readonly workers: number }): Promise<ExploreReport> {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`explore: workers must be a positive integer (got ${options.workers})`);
  if (options.invariants !== undefined) throw new RangeError('explore: custom invariants cannot be sent to worker threads; use explore()');
  const letters = options.alphabet ?? defaultAlphabet(config);
  const symmetry = options.symmetry ?? true;
  const started = Date.now();
  const deadline = options.timeMs === undefined ? Infinity : started + options.timeMs;
  const { seen, paths, root: rootFingerprint } = startSearch(config, symmetry);
  const init: WorkerInit = {
    config,
    letters,
    symmetry,
    maxLive: options.maxLive ?? Infinity,
    targetInvariant: options.targetInvariant,
    fullChecks: options.fullChecks ?? false,
    deadline,
    root: FingerprintSet.pairs([rootFingerprint]),
  };
  // Progress inside a level: each worker's latest counts, summed (new states as each replica sees them).
  const latest = new Map<number, LevelProgress>();
  let level = 1;
  const workers = Array.from({ length: options.workers }, (_, w) =>
    startWorker(init, (p) => {
      latest.set(w, p);
      const sum = [...latest.values()].reduce((a, x) => ({ transitions: a.transitions + x.transitions, fresh: a.fresh + x.fresh }), { transitions: 0, fresh: 0 });
      options.onProgress?.({ level, transitions: transitions + sum.transitions, distinctStates: seen.size + sum.fresh, elapsedMs: Date.now() - started });
    }),
  );
  let frontier: number[] = [0];
  let known: Uint32Array = new Uint32Array(0);
  let transitions = 0;
  let depthCompleted = 0;
  let exhausted = false;
  let violation: ExploreViolation | null = null;

  // Every worker keeps a replica of the fingerprint table: counted too.
  const report = (): ExploreReport =>
    reportOf({
      options,
      started,
      depthCompleted,
      exhausted,
      transitions,
      distinctStates: seen.size,
      storedBytes: seen.byteLength * (1 + options.workers) + paths.byteLength,
      alphabetSize: letters.length,
      workers: options.workers,
      violation,
    });

  try {
    for (let depth = 0; depth < options.depth; depth++) {
      level = depth + 1;
      latest.clear();
      const nodeShares = shares(frontier, options.workers);
      const replies = await Promise.all(workers.map((w, i) => w.run({ paths: (nodeShares[i] as number[]).map((n) => paths.path(n)), known })));
      const next: number[] = [];
      const fresh: FingerprintLanes[] = [];
      let timedOut = false;
      for (let w = 0; w < replies.length && violation === null; w++) {
        const reply = replies[w] as LevelReply;
        const nodes = nodeShares[w] as number[];
        timedOut ||= reply.timedOut;
        reply.expansions.forEach((e, i) => {
          if (violation !== null) return;
          const node = nodes[i] as number;
          transitions += e.transitions;
          if (e.violation !== null) {
            const v = e.violation;
            violation = { invariant: v.invariant, message: v.message, commands: [...paths.path(node), v.letter].map((l) => letters[l] as CommandData) };
            return;
          }
          for (let k = 0; k < e.fresh.length; k += 3) {
            const f = { hi: e.fresh[k + 1] as number, lo: e.fresh[k + 2] as number };
            if (seen.add(f)) {
              next.push(paths.add(node, e.fresh[k] as number));
              fresh.push(f);
            }
          }
        });
      }
      if (violation !== null || timedOut) return report();
      depthCompleted = depth + 1;
      options.onDepth?.(depthCompleted, seen.size, transitions);
      if (next.length === 0) {
        exhausted = true;
        break;
      }
      frontier = next;
      known = FingerprintSet.pairs(fresh);
    }
    return report();
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

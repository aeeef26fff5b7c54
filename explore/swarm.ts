// Swarm exploration: many exhaustive searches, each over a small sub-alphabet of the profile's
// alphabet (a few kinds of command, one or two sizes, one or both threads), each to the full depth.
// The full alphabet's space grows ×10–14 per level and 60 s complete depth 5 of it (docs/explore.md);
// a one-thread sub-alphabet goes to depth 8 in under a second, a two-thread one in 1–10 s (its 20–24
// letters are mostly bad frees and drains, which rarely make a new state). Every sub-search is
// exhaustive for its own letters, and its violation is the shortest over those letters; together
// they are not exhaustive for the full alphabet, and the report says so. (The idea is Holzmann's
// swarm verification; TigerBeetle's simulator switches command kinds off the same way.)

import { Worker } from 'node:worker_threads';
import { sizeToClassOf, type AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { alphabet as defaultAlphabet } from './alphabet.ts';
import { explore, type ExploreViolation } from './explorer.ts';
import { WORKER_ENTRY } from './parallel.ts';

export interface SubAlphabet {
  /** How a user would name it: `t0 alloc(8,16) flush`. */
  readonly name: string;
  /** The threads whose commands it has. */
  readonly threads: readonly number[];
  readonly letters: readonly CommandData[];
  /** Thread renaming is sound only when every thread has the same letters. */
  readonly symmetry: boolean;
}

/**
 * Kinds every sub-alphabet has: their transitions mostly return to the same state (measured: 90–100%
 * self-loops on tiny), so they cost transitions, not states — and bad frees and drains belong in
 * every state anyway.
 */
const SELF_LOOPING: readonly CommandData['kind'][] = ['badFree', 'drain', 'trim', 'check'];
const ALWAYS: ReadonlySet<CommandData['kind']> = new Set<CommandData['kind']>(['free', ...SELF_LOOPING]);

/** The one growing kind a sub-alphabet may add to alloc and the kinds above (null: none). */
const EXTRAS: readonly (CommandData['kind'] | null)[] = [null, 'flush', 'threadExit', 'setSoftCap', 'write', 'osRefuse'];
/** Kinds an extra brings along with its own: the OS's refusals come as one extra. */
const EXTRA_COMPANIONS: Readonly<Partial<Record<CommandData['kind'], CommandData['kind']>>> = { osRefuse: 'osLimit' };

const threadOf = (l: CommandData): number | null => ('thread' in l ? l.thread : null);

/**
 * Every sub-alphabet, in the order the swarm searches them: allocs of one size or of two, from thread
 * t0 or from both threads; frees of every live index, drains (of those sizes' classes) and every bad
 * free from those threads, trim and the canary check; and at most one growing kind more (flush,
 * exit, soft caps, the canary write, or the OS's refusals: osRefuse and osLimit). Cheapest first, one thread and two threads taking turns.
 * Letters keep the full alphabet's order, so BFS order within a sub-search is the full search's.
 */
export function subAlphabets(config: AllocatorConfig, full: readonly CommandData[] = defaultAlphabet(config)): SubAlphabet[] {
  const sizes = [...new Set(full.flatMap((l) => (l.kind === 'alloc' ? [l.size] : [])))];
  const sizeSets: number[][] = [...sizes.map((s) => [s]), ...sizes.flatMap((a, i) => sizes.slice(i + 1).map((b) => [a, b]))];
  const threadSets: number[][] = config.threads >= 2 ? [[0], [0, 1]] : [[0]];
  const out: SubAlphabet[] = [];
  for (const sizeSet of sizeSets) {
    for (const threads of threadSets) {
      for (const extra of EXTRAS) {
        // Drains only of the classes allocated: a drain of a class with no block is a no-op.
        const classes = sizeSet.map((size) => sizeToClassOf(config.strides, size));
        const letters = full.filter((l) => {
          const t = threadOf(l);
          if (t !== null && !threads.includes(t)) return false;
          if (l.kind === 'alloc') return sizeSet.includes(l.size);
          if (l.kind === 'drain') return classes.includes(l.cls);
          return ALWAYS.has(l.kind) || l.kind === extra || (extra !== null && l.kind === EXTRA_COMPANIONS[extra]);
        });
        out.push({
          name: `${threads.map((t) => `t${t}`).join('+')} alloc(${sizeSet.join(',')})${extra === null ? '' : ` ${extra}`}`,
          threads,
          letters,
          // Thread-free letters (soft caps, trim, canary) are the same for every thread.
          symmetry: threads.length === config.threads,
        });
      }
    }
  }
  // Cheapest first within each thread set (the letters that can change the state set the growth; a
  // stable sort keeps the order above among equals), the thread sets taking turns: one thread's
  // sub-alphabets are cheaper, but only two threads reach remote frees, their queues and adoption.
  const growth = (a: SubAlphabet): number => a.letters.filter((l) => !SELF_LOOPING.includes(l.kind)).length;
  const byThreads = threadSets.map((threads) =>
    out
      .map((a, i) => ({ a, i, g: growth(a) }))
      .filter((x) => x.a.threads === threads)
      .sort((x, y) => x.g - y.g || x.i - y.i)
      .map((x) => x.a),
  );
  const turns: SubAlphabet[] = [];
  for (let k = 0; k < out.length; k++) for (const group of byThreads) if (k < group.length) turns.push(group[k] as SubAlphabet);
  if (turns.length !== out.length) throw new Error(`swarm: ${out.length - turns.length} sub-alphabets in no thread set`);
  return turns;
}

export interface SubSearchRequest {
  readonly index: number;
  readonly letters: readonly CommandData[];
  readonly symmetry: boolean;
  readonly depth: number;
  readonly timeMs: number;
}

export interface SubSearchReply {
  readonly index: number;
  readonly depthCompleted: number;
  readonly exhausted: boolean;
  readonly states: number;
  readonly distinctStates: number;
  readonly elapsedMs: number;
  readonly violation: ExploreViolation | null;
}

export interface SubSearchResult extends SubSearchReply {
  readonly name: string;
  readonly letterCount: number;
  /** Every sequence of its letters up to the depth was checked (or its space exhausted before). */
  readonly complete: boolean;
}

export interface SwarmReport {
  readonly depth: number;
  /** Sub-alphabets the profile has (in this shard, with a shard). */
  readonly alphabets: number;
  /** Sub-searches that ran to their end: complete, cut by the budget, or stopped at a violation. */
  readonly searched: number;
  readonly completed: number;
  /** Transitions checked, over every sub-search. */
  readonly states: number;
  /** Distinct states summed over the sub-searches (a state two sub-searches reach counts twice). */
  readonly distinctStates: number;
  readonly statesPerSec: number;
  readonly elapsedMs: number;
  readonly workers: number;
  /** The first sub-search (in order) that found one: the shortest over its letters. */
  readonly violation: (ExploreViolation & { readonly alphabet: string }) | null;
  readonly results: readonly SubSearchResult[];
}

export interface SwarmOptions {
  readonly depth: number;
  readonly timeMs: number;
  readonly workers: number;
  /** Cap on one sub-search (default: a sixth of the budget, at least 1 s). */
  readonly perSearchMs?: number;
  readonly onSearch?: (result: SubSearchResult) => void;
  /** Only shard `index` (0-based) of `count`: the sub-alphabets i with i mod count = index. */
  readonly shard?: { readonly index: number; readonly count: number };
}

/** A sub-search gets at most this long, so that one large sub-alphabet cannot eat the budget. */
function perSearchCap(options: SwarmOptions): number {
  return options.perSearchMs ?? Math.max(1000, options.timeMs / 6);
}

/**
 * Runs the sub-searches in order on `workers` threads (1: in this one) until the budget is spent or
 * a violation is found; then waits for the sub-searches before it in order that are still running,
 * and reports the violation of the earliest sub-alphabet, so the result does not depend on which
 * thread finished first.
 */
export async function exploreSwarm(config: AllocatorConfig, options: SwarmOptions): Promise<SwarmReport> {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`explore: workers must be a positive integer (got ${options.workers})`);
  const shard = options.shard;
  const subs = subAlphabets(config).filter((_, i) => shard === undefined || i % shard.count === shard.index);
  const started = Date.now();
  const deadline = started + options.timeMs;
  const results: SubSearchResult[] = [];
  let next = 0;
  let stop = false;
  const request = (): SubSearchRequest | null => {
    const left = deadline - Date.now();
    if (stop || next >= subs.length || left < 50) return null;
    const sub = subs[next] as SubAlphabet;
    return { index: next++, letters: sub.letters, symmetry: sub.symmetry, depth: options.depth, timeMs: Math.min(left, perSearchCap(options)) };
  };
  const record = (reply: SubSearchReply): void => {
    const sub = subs[reply.index] as SubAlphabet;
    const result: SubSearchResult = { ...reply, name: sub.name, letterCount: sub.letters.length, complete: reply.violation === null && (reply.depthCompleted >= options.depth || reply.exhausted) };
    results.push(result);
    options.onSearch?.(result);
    if (reply.violation !== null) stop = true;
  };

  if (options.workers === 1) {
    for (let r = request(); r !== null; r = request()) {
      const e = explore(config, { depth: r.depth, timeMs: r.timeMs, alphabet: r.letters, symmetry: r.symmetry });
      record({ index: r.index, depthCompleted: e.depthCompleted, exhausted: e.exhausted, states: e.states, distinctStates: e.distinctStates, elapsedMs: e.elapsedMs, violation: e.violation });
    }
  } else {
    const workers = Array.from({ length: options.workers }, () => new Worker(WORKER_ENTRY, { workerData: { entry: './swarmWorker.ts', config } }));
    try {
      await new Promise<void>((resolve, reject) => {
        const inFlight = new Set<number>();
        let settled = false;
        // Done when nothing is left to run, or when a violation is found and every sub-search before
        // it in order has reported (the later ones still running are abandoned).
        const settle = (): void => {
          const first = Math.min(...results.filter((r) => r.violation !== null).map((r) => r.index));
          const waitingOnEarlier = [...inFlight].some((i) => i < first);
          if (!waitingOnEarlier && (Number.isFinite(first) || inFlight.size === 0)) {
            settled = true;
            resolve();
          }
        };
        for (const worker of workers) {
          const feed = (): void => {
            if (settled) return;
            const r = request();
            if (r !== null) {
              inFlight.add(r.index);
              worker.postMessage(r);
            }
            settle();
          };
          worker.on('message', (reply: SubSearchReply) => {
            if (settled) return; // an abandoned sub-search, later in order than the violation
            inFlight.delete(reply.index);
            record(reply);
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', (code) => reject(new Error(`explore: a swarm worker exited with code ${code}`)));
          feed();
        }
      });
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }

  results.sort((a, b) => a.index - b.index);
  const found = results.find((r) => r.violation !== null);
  const elapsedMs = Math.max(1, Date.now() - started);
  const states = results.reduce((n, r) => n + r.states, 0);
  return {
    depth: options.depth,
    alphabets: subs.length,
    searched: results.length,
    completed: results.filter((r) => r.complete).length,
    states,
    distinctStates: results.reduce((n, r) => n + r.distinctStates, 0),
    statesPerSec: Math.round((states / elapsedMs) * 1000),
    elapsedMs,
    workers: options.workers,
    violation: found?.violation == null ? null : { ...found.violation, alphabet: found.name },
    results,
  };
}

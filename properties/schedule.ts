// How a search over several profiles spends its budget. Goals: the first failure of any profile
// shows up within the first slices of the budget (no profile waits for another's whole share);
// the split is fair (every profile pays its own JIT warm-up, and gets the share of time its weight
// says); every run is reproducible on its own, whatever ran before it, so a time-bounded search, a
// run-bounded one and a sharded one agree on what run i of profile p is.
//
// Run identity: run i of profile p is fast-check's run (i mod RUN_BLOCK) at the seed
// blockSeed(seed, p, floor(i / RUN_BLOCK)). fast-check replays a run by its index ("path") after
// jumping its generator once per earlier index; blocks keep that cost under RUN_BLOCK jumps (about
// 30 µs on average, against 1–100 ms a run), and keep fast-check's size bias at the level of its
// first RUN_BLOCK runs.
//
// Non-goals: this decides only the order and the budget. What a run checks is the Session's job.

/** Runs per seed block (see above). */
export const RUN_BLOCK = 256;

/** A deterministic 31-bit seed for one block of one profile's runs (FNV-1a over the parts). */
export function blockSeed(seed: number, profile: string, block: number): number {
  let h = 0x811c9dc5;
  const text = `${seed}/${profile}/${block}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche so that neighbouring blocks get unrelated seeds.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h & 0x7fffffff;
}

/** Where run `runIndex` of a profile comes from: the seed and fast-check path that replay it. */
export function runSource(seed: number, profile: string, runIndex: number): { readonly seed: number; readonly path: string } {
  return { seed: blockSeed(seed, profile, Math.floor(runIndex / RUN_BLOCK)), path: String(runIndex % RUN_BLOCK) };
}

/**
 * The fast-check seed and path that replay a counterexample path of a search: the path's first
 * segment is the run's index in its profile, the rest are fast-check's shrink steps.
 */
export function fastCheckSource(seed: number, profile: string, path: string): { readonly seed: number; readonly path: string } {
  const [first = '0', ...rest] = path.split(':');
  const source = runSource(seed, profile, Number(first));
  return { seed: source.seed, path: [source.path, ...rest].join(':') };
}

/** Shard `index` of `count` (0-based index) owns the run indexes i with i mod count = index. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export const NO_SHARD: Shard = { index: 0, count: 1 };

/** The k-th run index (0-based) that a shard owns. */
export const shardRunIndex = (shard: Shard, k: number): number => shard.index + k * shard.count;

/** How many of the run indexes 0..runs-1 a shard owns. */
export const shardRunCount = (shard: Shard, runs: number): number => (runs > shard.index ? Math.ceil((runs - shard.index) / shard.count) : 0);

/**
 * Time weights of the profiles: the share of a time budget each one gets. Small-scope profiles
 * reach the deep states in short runs, so they get more of it; the large profiles' runs cost
 * 20–60× more, so a weight of 1 gives them a few dozen runs in the default 20 s. Each profile's
 * measured reach (test/reach.long.test.ts) stays at or above 5% of runs at these run counts.
 */
export function profileWeight(profile: string): number {
  return profile.startsWith('tiny') ? 3 : 1;
}

/**
 * The order of a round of a run-bounded search, and of the first turns of a time-bounded one: the
 * heavier weights (the cheaper, small-scope profiles) first, then list order.
 */
export function visitOrder(profiles: readonly string[]): number[] {
  return profiles.map((_, i) => i).sort((a, b) => profileWeight(profiles[b] as string) - profileWeight(profiles[a] as string) || a - b);
}

/** Length of one turn of a profile in a time-bounded search. */
export const SLICE_MS = 25;

export interface Turn {
  /** Index into the profile list. */
  readonly profile: number;
}

/**
 * A time-bounded schedule: at each turn the profile that has had the least time for its weight
 * runs for one slice. Ties go to the heavier weight, then the earlier profile, so the first turns
 * visit every small-scope profile, then the large ones, each after one slice of the others.
 */
export class TimeSchedule {
  private readonly spentMs: number[];

  constructor(private readonly weights: readonly number[]) {
    this.spentMs = weights.map(() => 0);
  }

  /** The profile to run next among those not finished (null: every profile finished). */
  next(finished: readonly boolean[]): number | null {
    let best: number | null = null;
    let bestScore = Infinity;
    for (let p = 0; p < this.weights.length; p++) {
      if (finished[p] === true) continue;
      const score = (this.spentMs[p] as number) / (this.weights[p] as number);
      // Ties go to the heavier weight (the cheaper, small-scope profiles), then to list order.
      if (score < bestScore || (score === bestScore && best !== null && (this.weights[p] as number) > (this.weights[best] as number))) {
        best = p;
        bestScore = score;
      }
    }
    return best;
  }

  charge(profile: number, ms: number): void {
    this.spentMs[profile] = (this.spentMs[profile] as number) + ms;
  }
}

// Bounded exhaustive exploration (issue 8): breadth-first over every command sequence of a finite
// alphabet, every transition judged (explore/expand.ts: whole on a new state, by the invariants' step
// parts on a known one), states deduplicated by canonical fingerprints. BFS order makes the first
// violation found a shortest one.

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import type { Invariant } from '../properties/checkContext.ts';
import { alphabet as defaultAlphabet } from './alphabet.ts';
import { expand, searchSpace, startSearch } from './expand.ts';

/** How often a search in progress reports inside a level (explore's progress line on a terminal). */
export const PROGRESS_MS = 250;

export interface ExploreOptions {
  readonly depth: number;
  /** Wall-clock budget in ms; the report says which depth was completed. */
  readonly timeMs?: number;
  /** Logical-thread renaming (default on). */
  readonly symmetry?: boolean;
  readonly alphabet?: readonly CommandData[];
  /** Bound on blocks live at once: an alloc is not tried while this many are live (default: none). */
  readonly maxLive?: number;
  /**
   * Look only for violations of this invariant: a transition that breaks another one is a dead end
   * (not expanded), so the result is a shortest sequence whose FIRST failure is this invariant.
   */
  readonly targetInvariant?: FailureName;
  /**
   * Judge every transition whole, on a fresh copy of its parent (default false: a transition to a
   * state already judged is judged by the invariants' step parts only, and a copy the last letter
   * left unchanged is reused). For tests that show the savings change no result.
   */
  readonly fullChecks?: boolean;
  /** The invariants that judge (default: all of SPEC §7). Not for exploreParallel, whose workers use the default. */
  readonly invariants?: readonly Invariant[];
  /** Called after each completed depth. */
  readonly onDepth?: (depth: number, distinctStates: number, transitions: number) => void;
  /** Inside a level, every PROGRESS_MS or so: the level being searched and the counts so far. */
  readonly onProgress?: (p: { readonly level: number; readonly transitions: number; readonly distinctStates: number; readonly elapsedMs: number }) => void;
}

export interface ExploreViolation {
  readonly invariant: FailureName;
  readonly message: string;
  /** The shortest failing sequence (BFS order): its last command fails. */
  readonly commands: readonly CommandData[];
}

export interface ExploreReport {
  readonly depth: number;
  /** Deepest level whose every transition was checked. */
  readonly depthCompleted: number;
  /** The reachable space was exhausted (no new state at some level) within the depth. */
  readonly exhausted: boolean;
  /** Transitions executed and checked (states generated). */
  readonly states: number;
  /** Distinct states after deduplication (the root included). */
  readonly distinctStates: number;
  readonly statesPerSec: number;
  /** Bytes the explorer keeps per distinct state: its fingerprint tables and path store, measured. */
  readonly bytesPerState: number;
  readonly elapsedMs: number;
  readonly alphabetSize: number;
  /** Threads that expanded states (1: this one). */
  readonly workers: number;
  readonly violation: ExploreViolation | null;
}

/** The report of a search at this point (shared by explore and exploreParallel). */
export function reportOf(r: {
  readonly options: ExploreOptions;
  readonly started: number;
  readonly depthCompleted: number;
  readonly exhausted: boolean;
  readonly transitions: number;
  readonly distinctStates: number;
  /** Bytes of every fingerprint table and path store the search keeps. */
  readonly storedBytes: number;
  readonly alphabetSize: number;
  readonly workers: number;
  readonly violation: ExploreViolation | null;
}): ExploreReport {
  const elapsedMs = Math.max(1, Date.now() - r.started);
  return {
    depth: r.options.depth,
    depthCompleted: r.depthCompleted,
    exhausted: r.exhausted,
    states: r.transitions,
    distinctStates: r.distinctStates,
    statesPerSec: Math.round((r.transitions / elapsedMs) * 1000),
    bytesPerState: Math.round(r.storedBytes / r.distinctStates),
    elapsedMs,
    alphabetSize: r.alphabetSize,
    workers: r.workers,
    violation: r.violation,
  };
}

export function explore(config: AllocatorConfig, options: ExploreOptions): ExploreReport {
  const letters = options.alphabet ?? defaultAlphabet(config);
  const space = searchSpace(config, letters, { symmetry: options.symmetry ?? true, maxLive: options.maxLive ?? Infinity, targetInvariant: options.targetInvariant, fullChecks: options.fullChecks ?? false, ...(options.invariants !== undefined ? { invariants: options.invariants } : {}) });
  const started = Date.now();
  const deadline = options.timeMs === undefined ? Infinity : started + options.timeMs;
  const { seen, paths } = startSearch(config, space.symmetry);
  let frontier: number[] = [0];
  let transitions = 0;
  let depthCompleted = 0;
  let exhausted = false;
  let violation: ExploreViolation | null = null;

  const report = (): ExploreReport =>
    reportOf({ options, started, depthCompleted, exhausted, transitions, distinctStates: seen.size, storedBytes: seen.byteLength + paths.byteLength, alphabetSize: letters.length, workers: 1, violation });

  let lastProgress = Date.now();
  for (let depth = 0; depth < options.depth; depth++) {
    const next: number[] = [];
    for (const node of frontier) {
      const now = Date.now();
      if (now > deadline) return report();
      if (options.onProgress !== undefined && now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        options.onProgress({ level: depth + 1, transitions, distinctStates: seen.size, elapsedMs: now - started });
      }
      const path = paths.path(node);
      const expansion = expand(space, path, seen);
      transitions += expansion.transitions;
      if (expansion.violation !== null) {
        const v = expansion.violation;
        violation = { invariant: v.invariant, message: v.message, commands: [...path, v.letter].map((l) => letters[l] as CommandData) };
        return report();
      }
      for (const f of expansion.fresh) next.push(paths.add(node, f.letter));
    }
    depthCompleted = depth + 1;
    options.onDepth?.(depthCompleted, seen.size, transitions);
    if (next.length === 0) {
      exhausted = true;
      break;
    }
    frontier = next;
  }
  return report();
}

// Expanding one state of the BFS: rebuild it from its path, try every letter of the alphabet on a
// copy, judge each transition, fingerprint each successor. Shared by the single-threaded explorer
// and the worker threads of the parallel one, so that both search the same graph the same way.

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { SuiteCommand } from '../properties/runner.ts';
import { INVARIANTS, Session, commandFromData } from '../properties/runner.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import type { Invariant } from '../properties/checkContext.ts';
import { fingerprintLanes, type FingerprintLanes } from './fingerprint.ts';
import { FingerprintSet, PathStore } from './stores.ts';

/** What every expansion of one search shares. */
export interface SearchSpace {
  readonly config: AllocatorConfig;
  readonly letters: readonly CommandData[];
  readonly commands: readonly SuiteCommand[];
  readonly symmetry: boolean;
  readonly maxLive: number;
  readonly targetInvariant: FailureName | undefined;
  /** Judge every transition whole, copy the parent for every letter and replay every path from the root (the savings off: for tests). */
  readonly fullChecks: boolean;
  /** The invariants that judge (default: all of SPEC §7, in check order). */
  readonly invariants: readonly Invariant[];
}

export function searchSpace(
  config: AllocatorConfig,
  letters: readonly CommandData[],
  options: { symmetry: boolean; maxLive: number; targetInvariant: FailureName | undefined; fullChecks?: boolean; invariants?: readonly Invariant[] },
): SearchSpace {
  if (letters.length > 0xffff) throw new RangeError(`explore: an alphabet of ${letters.length} letters is over the 65535 the path store can name`);
  return { config, letters, commands: letters.map(commandFromData), ...options, fullChecks: options.fullChecks ?? false, invariants: options.invariants ?? INVARIANTS };
}

/** The fingerprints a worker (or the explorer) knows; `add` is false when it knew it already. */
export interface SeenSet {
  has(f: FingerprintLanes): boolean;
  add(f: FingerprintLanes): boolean;
}

export interface FreshState {
  readonly letter: number;
  readonly fingerprint: FingerprintLanes;
}

export interface Expansion {
  /** Transitions run and judged. */
  readonly transitions: number;
  /** Successors that were not in `seen` (now added), in letter order. */
  readonly fresh: readonly FreshState[];
  /** The first violation in letter order (its letter), or null. */
  readonly violation: { readonly letter: number; readonly invariant: FailureName; readonly message: string } | null;
}

/**
 * Sessions an expansion reuses, per search space: the root state, the parent being expanded and a
 * spare child, each overwritten in place (Session.restoreFrom) instead of built anew. Expansions of
 * one space run one after another (one search per thread), so one set per space suffices.
 */
interface Reusable {
  readonly root: Session;
  parent: Session | null;
  spare: Session | null;
  /**
   * The state at the end of `prefixPath` (the last expanded state's path without its last letter):
   * BFS expands siblings one after another, so the next state is usually this one plus one letter,
   * rebuilt by a copy and one step instead of a replay of the whole path.
   */
  prefix: Session | null;
  prefixPath: readonly number[];
}

const reusables = new WeakMap<SearchSpace, Reusable>();

function reusableOf(space: SearchSpace): Reusable {
  let r = reusables.get(space);
  if (r === undefined) {
    r = { root: new Session(space.config, []), parent: null, spare: null, prefix: null, prefixPath: [] };
    reusables.set(space, r);
  }
  return r;
}

/**
 * Rebuilds the state at the end of `path` (letter indexes; every step was judged when first
 * explored), in `into` (made the root state first) or in a new session.
 */
export function materialize(space: SearchSpace, path: readonly number[], into?: Session): Session {
  let session: Session;
  if (into === undefined) session = new Session(space.config, []);
  else (session = into).restoreFrom(reusableOf(space).root);
  replay(space, session, path, 0);
  return session;
}

/** Runs path[from..] on `session` (the state at the end of path[0..from)), unjudged. */
function replay(space: SearchSpace, session: Session, path: readonly number[], from: number): void {
  for (let i = from; i < path.length; i++) {
    const command = space.commands[path[i] as number] as SuiteCommand;
    if (!command.check(session.model)) throw new Error(`explore: path step ${i + 1} (${command.toString()}) is no longer applicable`);
    const ran = session.run(command, i + 1);
    if (!ran.ok) throw new Error(`explore: path step ${i + 1} failed on replay: ${ran.report.failure?.message ?? ''}`);
    // Judged when first explored; the replay is deterministic.
    const report = session.judge(ran, 'trusted');
    if (report.failure !== null) throw new Error(`explore: path step ${i + 1} failed on replay: ${report.failure.message}`);
  }
}

function isPrefix(prefix: readonly number[], path: readonly number[]): boolean {
  if (prefix.length !== path.length - 1) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}

/**
 * The state at the end of `path` in the reusable parent session: a copy of the cached state at the
 * end of the path's prefix (all but its last letter) and one step, when that prefix is the cached
 * one (BFS expands siblings one after another); else the prefix is replayed (and cached) first.
 * Replays are deterministic, so this is the state a replay from the root builds.
 */
function parentAt(space: SearchSpace, reusable: Reusable, path: readonly number[]): Session {
  const parent = reusable.parent ?? new Session(space.config, []);
  if (path.length === 0) {
    parent.restoreFrom(reusable.root);
    return parent;
  }
  if (reusable.prefix === null || !isPrefix(reusable.prefixPath, path)) {
    const prefix = reusable.prefix ?? new Session(space.config, []);
    reusable.prefix = null; // half-built until its replay ends
    const prefixPath = path.slice(0, path.length - 1);
    prefix.restoreFrom(reusable.root);
    replay(space, prefix, prefixPath, 0);
    reusable.prefix = prefix;
    reusable.prefixPath = prefixPath;
  }
  parent.restoreFrom(reusable.prefix);
  replay(space, parent, path, path.length - 1);
  return parent;
}

/** The start of every search: the root's fingerprint, a set holding it, and a path store of the root. */
export function startSearch(config: AllocatorConfig, symmetry: boolean): { readonly seen: FingerprintSet; readonly paths: PathStore; readonly root: FingerprintLanes } {
  const session = new Session(config, []);
  const root = fingerprintLanes(session.view, session.model, { symmetry });
  const seen = new FingerprintSet();
  seen.add(root);
  return { seen, paths: new PathStore(), root };
}

const sameLanes = (a: FingerprintLanes, b: FingerprintLanes): boolean => a.hi === b.hi && a.lo === b.lo;

/**
 * Tries every applicable letter on the state at the end of `path` (at BFS depth path.length).
 * Stops at the first violation (a transition that breaks another invariant than the target is a
 * dead end, neither reported nor expanded).
 */
export function expand(space: SearchSpace, path: readonly number[], seen: SeenSet): Expansion {
  const reusable = reusableOf(space);
  // fullChecks replays from the root: the tests compare the two (explore.long.test.ts, "fullChecks").
  const parent = space.fullChecks ? materialize(space, path, reusable.parent ?? undefined) : parentAt(space, reusable, path);
  reusable.parent = null; // in use until this expansion ends
  try {
    return expandFrom(space, parent, path.length + 1, seen, reusable);
  } finally {
    reusable.parent = parent;
  }
}

function expandFrom(space: SearchSpace, parent: Session, step: number, seen: SeenSet, reusable: Reusable): Expansion {
  const parentFingerprint = fingerprintLanes(parent.view, parent.model, { symmetry: space.symmetry });
  const fresh: FreshState[] = [];
  let transitions = 0;
  // A copy of the parent to run the next letter on. A transition that comes back to the parent's
  // own fingerprint (a rejected bad free, a drain of nothing: about 40% of them) leaves a copy that
  // is the parent as far as dedup can tell, and the next letter reuses it: as sound as dedup.
  let scratch: Session | null = null;
  // A copy done with (its successor known or stored): the next copy is made in it, in place.
  let spare: Session | null = reusable.spare;
  reusable.spare = null;
  for (let letter = 0; letter < space.commands.length; letter++) {
    const command = space.commands[letter] as SuiteCommand;
    if (!command.check(parent.model)) continue;
    if (command.data.kind === 'alloc' && parent.model.liveCount() >= space.maxLive) continue;
    let child: Session;
    if (scratch !== null) child = scratch;
    else if (spare !== null) (child = spare).restoreFrom(parent);
    else child = parent.clone(space.invariants);
    scratch = null;
    spare = null;
    transitions++;
    const ran = child.run(command, step);
    // A state reached before was judged whole then: state parts give the same verdict on it, so only
    // the step parts judge this transition. (A state the fingerprint cannot read is judged whole,
    // which reports what is broken.)
    let f: FingerprintLanes | null = null;
    if (ran.ok) {
      try {
        f = fingerprintLanes(child.view, child.model, { symmetry: space.symmetry });
      } catch {
        f = null;
      }
    }
    const known = f !== null && seen.has(f);
    const report = ran.ok ? child.judge(ran, known && !space.fullChecks ? 'step' : 'all') : ran.report;
    if (report.failure !== null) {
      if (space.targetInvariant !== undefined && report.failure.invariant !== space.targetInvariant) {
        spare = child; // a dead end: its copy is overwritten next
        continue;
      }
      reusable.spare = spare;
      return { transitions, fresh, violation: { letter, invariant: report.failure.invariant, message: report.failure.message } };
    }
    if (f === null) throw new Error(`explore: the state after ${command.toString()} passed every check but could not be fingerprinted`);
    if (!space.fullChecks && sameLanes(f, parentFingerprint)) scratch = child;
    else spare = child;
    if (!known && seen.add(f)) fresh.push({ letter, fingerprint: f });
  }
  reusable.spare = spare ?? scratch;
  return { transitions, fresh, violation: null };
}

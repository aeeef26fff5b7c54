// Minimal repros. fast-check's shrinker stops at a local minimum of its own structure; this takes
// the command list further, delta-debugging style, until (the fixpoint):
//   * no single command can be removed,
//   * no thread can be merged into a lower-numbered one (thread k renumbered to j < k),
//   * no alloc size can be made smaller within its class (set to the smallest size of that class;
//     sizes above the last class are pool sizes and shrink toward the last stride); smaller
//     classes are tried first, so a size the failure does not depend on goes to 0,
//   * no other numeric field (refs, offsets, write seeds, class numbers, caps) can move toward 0,
// while THE SAME failure is still reported (`run(config, cmds)` fails with the same name).
// Everything is bounded by an attempt budget and a time budget; the result says whether the
// fixpoint was reached (`minimal: true`) or the budget ran out first.

import { match } from 'ts-pattern';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName, RunOutcome } from '../properties/runnerApi.ts';
import { canonicalCommand, commandThread } from './commandText.ts';

export type RunFn = (config: AllocatorConfig, commands: readonly CommandData[]) => RunOutcome;

export type FailedOutcome = Extract<RunOutcome, { passed: false }>;

export interface MinimizeOptions {
  /** Runs of `run` allowed (cache hits are free). Default 4000. */
  readonly maxAttempts?: number;
  /** Wall-clock budget in ms. Default 20 000. */
  readonly timeMs?: number;
  /** Called after every real run. */
  readonly onAttempt?: (attempts: number, currentLength: number) => void;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
}

export interface MinimizeResult {
  readonly commands: readonly CommandData[];
  /** True when the fixpoint was reached: no single reduction keeps the failure. */
  readonly minimal: boolean;
  /** Runs made (not counting cache hits). */
  readonly attempts: number;
  readonly originalLength: number;
  /** The failing outcome of `commands`. */
  readonly outcome: FailedOutcome;
}

export type MinimizeError = { readonly kind: 'does-not-fail'; readonly expected: FailureName; readonly outcome: RunOutcome };

export const DEFAULT_MAX_ATTEMPTS = 4000;
export const DEFAULT_MINIMIZE_TIME_MS = 20_000;

/** Smallest size served by the same class as `size` (pool sizes: the last stride). */
export function smallestSizeOfClass(strides: readonly number[], size: number): number {
  for (let c = 0; c < strides.length; c++) {
    if ((strides[c] as number) - 1 >= size) return c === 0 ? 0 : (strides[c - 1] as number);
  }
  return strides[strides.length - 1] as number;
}

class BudgetExhausted extends Error {}

/** A field that moves toward 0, with the commands that have it. */
type NumericField = 'ref' | 'offset' | 'seed' | 'cap' | 'cls' | 'count';

function numericFields(c: CommandData): readonly NumericField[] {
  return match(c)
    .with({ kind: 'free' }, { kind: 'check' }, () => ['ref'] as const)
    .with({ kind: 'write' }, () => ['ref', 'seed'] as const)
    .with({ kind: 'badFree' }, () => ['ref', 'offset'] as const)
    .with({ kind: 'drain' }, () => ['cls'] as const)
    .with({ kind: 'setSoftCap' }, () => ['cls', 'cap'] as const)
    .with({ kind: 'osRefuse' }, () => ['count'] as const)
    .with({ kind: 'alloc' }, { kind: 'flush' }, { kind: 'threadExit' }, { kind: 'setRouteProfile' }, { kind: 'trim' }, { kind: 'osLimit' }, () => [] as const)
    .with({ kind: 'usableSize' }, { kind: 'readBytes' }, { kind: 'writeBytes' }, () => ['ref', 'offset'] as const)
    .with({ kind: 'misuse' }, { kind: 'stats' }, () => [] as const)
    .exhaustive();
}

function getField(c: CommandData, f: NumericField): number {
  const v = (c as unknown as Record<string, unknown>)[f];
  return typeof v === 'number' ? v : 0;
}

function withField(c: CommandData, f: NumericField, v: number): CommandData {
  return canonicalCommand({ ...c, [f]: v } as CommandData);
}

function withThread(c: CommandData, t: number): CommandData {
  return commandThread(c) === null ? c : canonicalCommand({ ...c, thread: t } as CommandData);
}

/** Candidate values strictly closer to `target` than `v`, most aggressive first. */
function towards(v: number, target: number): number[] {
  if (v === target) return [];
  const out = [target, target + Math.trunc((v - target) / 2), v - Math.sign(v - target)];
  return [...new Set(out)].filter((x) => Math.abs(x - target) < Math.abs(v - target));
}

export function minimize(
  config: AllocatorConfig,
  commands: readonly CommandData[],
  invariant: FailureName,
  run: RunFn,
  options: MinimizeOptions = {},
): { ok: true; value: MinimizeResult } | { ok: false; error: MinimizeError } {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.timeMs ?? DEFAULT_MINIMIZE_TIME_MS);
  const cache = new Map<string, FailedOutcome | null>();
  let attempts = 0;

  const first = run(config, commands);
  attempts++;
  if (first.passed || first.invariant !== invariant) {
    return { ok: false, error: { kind: 'does-not-fail', expected: invariant, outcome: first } };
  }

  let current: readonly CommandData[] = commands.map(canonicalCommand);
  let currentOutcome: FailedOutcome = first;
  cache.set(JSON.stringify(current), first);

  /** Runs a candidate (through the cache); true and adopted when it fails with the same name. */
  const tryCandidate = (cand: readonly CommandData[]): boolean => {
    const key = JSON.stringify(cand);
    let out = cache.get(key);
    if (out === undefined) {
      if (attempts >= maxAttempts || now() > deadline) throw new BudgetExhausted();
      const o = run(config, cand);
      attempts++;
      out = !o.passed && o.invariant === invariant ? o : null;
      cache.set(key, out);
      options.onAttempt?.(attempts, current.length);
    }
    if (out === null) return false;
    current = cand;
    currentOutcome = out;
    return true;
  };

  /** Drops the commands after the failing step (they never ran before the failure). */
  const truncate = (): boolean => {
    const step = currentOutcome.step;
    if (step >= 1 && step < current.length) return tryCandidate(current.slice(0, step));
    return false;
  };

  /** ddmin-style: remove chunks of halving size, last chunk first, down to single commands. */
  const removeCommands = (): boolean => {
    let changed = false;
    let size = Math.max(1, Math.floor(current.length / 2));
    for (;;) {
      let removedAtThisSize = false;
      for (let start = current.length - size; start > -size; start -= size) {
        const lo = Math.max(0, start);
        const hi = start + size;
        if (hi <= lo || current.length === 0) continue;
        const cand = [...current.slice(0, lo), ...current.slice(hi)];
        if (tryCandidate(cand)) {
          changed = removedAtThisSize = true;
          truncate();
          if (start > current.length) start = current.length;
        }
      }
      if (size === 1) {
        if (!removedAtThisSize) break; // single-command fixpoint
      } else {
        size = Math.max(1, Math.floor(size / 2));
      }
    }
    return changed;
  };

  /** Renumber thread k to j < k (merging it into j when j is in use). */
  const mergeThreads = (): boolean => {
    let changed = false;
    const used = (): number[] => [...new Set(current.map(commandThread).filter((t): t is number => t !== null))].sort((a, b) => b - a);
    for (const k of used()) {
      for (let j = 0; j < k; j++) {
        if (!current.some((c) => commandThread(c) === k)) break;
        const cand = current.map((c) => (commandThread(c) === k ? withThread(c, j) : c));
        if (tryCandidate(cand)) {
          changed = true;
          truncate();
          break;
        }
      }
    }
    return changed;
  };

  /** Each alloc size to the smallest size of a lower class or of its own (pool sizes toward the last stride). */
  const shrinkSizes = (): boolean => {
    let changed = false;
    const lastStride = config.strides[config.strides.length - 1] as number;
    for (let i = 0; i < current.length; i++) {
      const c = current[i] as CommandData;
      if (c.kind !== 'alloc') continue;
      // Most aggressive first: the smallest size of each lower class (0, then stride_0, ...), then
      // the smallest size of its own class; pool sizes then halve the distance to lastStride.
      const lower = [0, ...config.strides.slice(0, -1)].filter((v) => v < c.size && smallestSizeOfClass(config.strides, v) === v);
      const candidates = [...new Set([...lower, ...(c.size > lastStride ? towards(c.size, lastStride) : [])])].filter((v) => v < c.size);
      for (const v of candidates) {
        const cand = current.slice();
        cand[i] = canonicalCommand({ ...c, size: v });
        if (tryCandidate(cand)) {
          changed = true;
          break;
        }
      }
    }
    if (changed) truncate();
    return changed;
  };

  /** Refs, offsets, seeds, classes and caps toward 0: first every equal value of a field together
   *  (two frees of the same ref stay the same ref), then each field on its own. */
  const shrinkNumbers = (): boolean => {
    let changed = false;
    const groups = new Map<string, { f: NumericField; v: number }>();
    for (const c of current) for (const f of numericFields(c)) groups.set(`${f}=${getField(c, f)}`, { f, v: getField(c, f) });
    for (const { f, v } of groups.values()) {
      const holders = current.filter((c) => numericFields(c).includes(f) && getField(c, f) === v).length;
      if (holders < 2) continue;
      for (const to of towards(v, 0)) {
        const cand = current.map((c) => (numericFields(c).includes(f) && getField(c, f) === v ? withField(c, f, to) : c));
        if (tryCandidate(cand)) {
          changed = true;
          break;
        }
      }
    }
    for (let i = 0; i < current.length; i++) {
      for (const f of numericFields(current[i] as CommandData)) {
        const c = current[i] as CommandData;
        for (const v of towards(getField(c, f), 0)) {
          const cand = current.slice();
          cand[i] = withField(c, f, v);
          if (tryCandidate(cand)) {
            changed = true;
            break;
          }
        }
      }
    }
    if (changed) truncate();
    return changed;
  };

  let minimal = false;
  try {
    truncate();
    for (;;) {
      // Each pass must be evaluated (no short-circuit): the fixpoint needs a round with no change.
      const passes = [removeCommands(), mergeThreads(), shrinkSizes(), shrinkNumbers()];
      if (!passes.some(Boolean)) break;
    }
    minimal = true;
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
  }
  return { ok: true, value: { commands: current, minimal, attempts, originalLength: commands.length, outcome: currentOutcome } };
}

// Minimisation that goes past 1-minimal: after the delta-debugging minimiser (no single command
// removable), the bounded explorer searches every shorter sequence of its alphabet — plus the
// repro's own commands — for one whose first failure is the same invariant. BFS order makes what it
// finds a shortest such sequence within the budget.

import type { AllocatorConfig } from '../impl/index.ts';
import { alphabet } from '../explore/alphabet.ts';
import { explore } from '../explore/explorer.ts';
import { subAlphabets } from '../explore/swarm.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import { isMeasuredFailure } from '../properties/runnerApi.ts';
import { minimize, type MinimizeOptions, type MinimizeResult, type MinimizeError, type RunFn } from './minimize.ts';

/** The explorer is only worth running where states are small (small-scope profiles). */
const MAX_EXPLORED_SUPERSLAB_BYTES = 4096;
export const DEFAULT_EXPLORE_MS = 8000;

/** The profile's alphabet cut down to the command kinds and threads the repro uses, plus its own commands. */
function focusedAlphabet(config: AllocatorConfig, commands: readonly CommandData[]): CommandData[] {
  const kinds = new Set(commands.map((c) => c.kind));
  const threads = new Set(commands.flatMap((c) => ('thread' in c ? [c.thread] : [])));
  const letters = alphabet(config).filter((l) => kinds.has(l.kind) && (!('thread' in l) || threads.has(l.thread)));
  const known = new Set(letters.map((l) => JSON.stringify(l)));
  for (const c of commands) {
    const key = JSON.stringify(c);
    if (known.has(key)) continue;
    known.add(key);
    letters.push(c);
  }
  return letters;
}

/**
 * A shorter sequence failing first with `invariant`, or null (none within the budget, or not
 * applicable). Up to three exhaustive searches, each for something shorter than the best so far:
 * over the focused alphabet (the repro's own kinds and threads: small enough to go deep; no
 * thread-renaming reduction, since it is not symmetric; up to 35% of the budget); over the profile's
 * whole alphabet (up to 35%) — when it completes, nothing shorter exists and the search ends; else
 * over the swarm's sub-alphabets on the repro's threads (explore/swarm.ts: kinds the repro does not
 * have, e.g. a flush; those with the repro's sizes first; the rest of the budget).
 */
export function shorterByExplorer(config: AllocatorConfig, commands: readonly CommandData[], invariant: FailureName, timeMs: number): CommandData[] | null {
  if (commands.length <= 1 || config.superslabSize > MAX_EXPLORED_SUPERSLAB_BYTES) return null;
  if (invariant === 'internal-error' || isMeasuredFailure(invariant)) return null;
  const started = Date.now();
  const focused = explore(config, { depth: commands.length - 1, timeMs: timeMs * 0.35, alphabet: focusedAlphabet(config, commands), symmetry: false, targetInvariant: invariant });
  let best = focused.violation === null ? null : [...focused.violation.commands];
  const bestLength = (): number => best?.length ?? commands.length;
  if (bestLength() <= 2) return best;
  const full = explore(config, { depth: bestLength() - 1, timeMs: Math.max(1, started + timeMs * 0.7 - Date.now()), targetInvariant: invariant });
  if (full.violation !== null) return [...full.violation.commands];
  // Complete: no sequence of the whole alphabet shorter than the best fails with the invariant.
  if (full.depthCompleted >= bestLength() - 1 || full.exhausted) return best;
  const threads = new Set(commands.flatMap((c) => ('thread' in c ? [c.thread] : [])));
  const sizes = new Set(commands.flatMap((c) => (c.kind === 'alloc' ? [c.size] : [])));
  const ownSizes = (letters: readonly CommandData[]): boolean => letters.every((l) => l.kind !== 'alloc' || sizes.has(l.size));
  const subs = subAlphabets(config)
    .filter((sub) => sub.letters.every((l) => !('thread' in l) || threads.has(l.thread)))
    .map((sub, i) => ({ sub, i, own: ownSizes(sub.letters) ? 0 : 1 }))
    .sort((a, b) => a.own - b.own || a.i - b.i)
    .map((x) => x.sub);
  for (const sub of subs) {
    const left = started + timeMs - Date.now();
    // Sequences up to the whole-alphabet search's completed depth are known not to fail.
    if (left <= 0 || bestLength() - 1 <= full.depthCompleted) break;
    const r = explore(config, { depth: bestLength() - 1, timeMs: left, alphabet: sub.letters, symmetry: sub.symmetry, targetInvariant: invariant });
    if (r.violation !== null) best = [...r.violation.commands];
  }
  return best;
}

/** minimize(), then the explorer's shorter sequence (itself minimised) when it finds one. */
export function minimizeShortest(
  config: AllocatorConfig,
  commands: readonly CommandData[],
  invariant: FailureName,
  run: RunFn,
  options: MinimizeOptions & { readonly exploreMs?: number } = {},
): { ok: true; value: MinimizeResult } | { ok: false; error: MinimizeError } {
  const first = minimize(config, commands, invariant, run, options);
  if (!first.ok) return first;
  const shorter = shorterByExplorer(config, first.value.commands, invariant, options.exploreMs ?? DEFAULT_EXPLORE_MS);
  if (shorter === null) return first;
  const second = minimize(config, shorter, invariant, run, options);
  if (!second.ok || second.value.commands.length >= first.value.commands.length) return first;
  return { ok: true, value: { ...second.value, originalLength: first.value.originalLength, attempts: first.value.attempts + second.value.attempts } };
}

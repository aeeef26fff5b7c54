// Issue 13, session 4: the explorer's rebuild of a state from a cached prefix builds the state a
// replay from the root builds, and the state parts the sleep-set measurement relies on tell a
// thread-local change from a shared one.
import { describe, expect, it } from 'vitest';
import { alphabet } from '../explore/alphabet.ts';
import { expand, searchSpace, type SeenSet } from '../explore/expand.ts';
import { stateParts, type FingerprintLanes } from '../explore/fingerprint.ts';
import { profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { legal } from './support/session.ts';

/** A set that knows nothing: every successor is reported fresh, so an expansion lists them all. */
const forgetful: SeenSet = { has: () => false, add: () => true };
const text = (f: FingerprintLanes): string => `${f.hi}:${f.lo}`;

describe('rebuilding the expanded state from a cached prefix', () => {
  it('gives the successors a replay from the root gives, for siblings, cousins and jumps back', () => {
    const config = profileConfig('tiny');
    const letters = alphabet(config);
    const at = (d: CommandData): number => letters.findIndex((l) => JSON.stringify(l) === JSON.stringify(d));
    const a0 = at({ kind: 'alloc', thread: 0, size: 0 });
    const a1 = at({ kind: 'alloc', thread: 1, size: 8 });
    const f0 = at({ kind: 'free', thread: 1, ref: 0 });
    const trim = at({ kind: 'trim' });
    expect([a0, a1, f0, trim].every((i) => i >= 0)).toBe(true);
    // Siblings share a prefix (the cache hits), the jumps change it (the cache is rebuilt).
    const paths = [[], [a0], [a1], [a0, a1], [a0, f0], [a0, trim], [a1, a0], [a0, a1, f0], [a0, a1, trim], [a0, f0], [a1, a0, f0]];
    const cached = searchSpace(config, letters, { symmetry: true, maxLive: Infinity, targetInvariant: undefined });
    // fullChecks replays every path from the root (expand.ts): the reference.
    const fromRoot = searchSpace(config, letters, { symmetry: true, maxLive: Infinity, targetInvariant: undefined, fullChecks: true });
    for (const path of paths) {
      const got = expand(cached, path, forgetful);
      const want = expand(fromRoot, path, forgetful);
      expect(got.violation).toBeNull();
      expect(got.transitions).toBe(want.transitions);
      expect(got.fresh.map((f) => `${f.letter}=${text(f.fingerprint)}`)).toEqual(want.fresh.map((f) => `${f.letter}=${text(f.fingerprint)}`));
      expect(got.fresh.length).toBeGreaterThan(10);
    }
  });
});

describe('state parts (shared, per thread)', () => {
  const config = profileConfig('tiny');
  const same = (a: FingerprintLanes, b: FingerprintLanes): boolean => a.hi === b.hi && a.lo === b.lo;
  it('a self-loop changes no part; an alloc changes the shared part (the live list)', () => {
    const root = legal(config, []);
    const p = stateParts(root.view, root.model);
    const trimmed = legal(config, [{ kind: 'trim' }]);
    const q = stateParts(trimmed.view, trimmed.model);
    expect(same(p.shared, q.shared)).toBe(true);
    expect(q.threads.every((t, i) => same(t, p.threads[i] as FingerprintLanes))).toBe(true);
    const allocated = legal(config, [{ kind: 'alloc', thread: 0, size: 0 }]);
    expect(same(stateParts(allocated.view, allocated.model).shared, p.shared)).toBe(false);
  });
  it('a thread exit changes that thread\'s part and no other thread\'s', () => {
    const before = legal(config, [{ kind: 'alloc', thread: 0, size: 0 }]);
    const after = legal(config, [{ kind: 'alloc', thread: 0, size: 0 }, { kind: 'threadExit', thread: 1 }]);
    const p = stateParts(before.view, before.model);
    const q = stateParts(after.view, after.model);
    expect(same(p.threads[1] as FingerprintLanes, q.threads[1] as FingerprintLanes)).toBe(false);
    expect(same(p.threads[0] as FingerprintLanes, q.threads[0] as FingerprintLanes)).toBe(true);
  });
});

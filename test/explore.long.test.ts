// The bounded model checker (issue 8): fingerprints, shortest counterexamples, soundness of the
// thread-renaming reduction on planted faults, and a clean profile explored without violation.
import { describe, expect, it } from 'vitest';
import { alphabet } from '../explore/alphabet.ts';
import { explore } from '../explore/explorer.ts';
import { exploreParallel } from '../explore/parallel.ts';
import { FingerprintSet, PathStore } from '../explore/stores.ts';
import { exploreSwarm, subAlphabets } from '../explore/swarm.ts';
import { fingerprint, permutations } from '../explore/fingerprint.ts';
import { profileConfig, type FaultName } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { INVARIANTS, Session, commandFromData, runCommands } from '../properties/runner.ts';
import { defineInvariant } from '../properties/checkContext.ts';

function stateAfter(profile: string, commands: readonly CommandData[]): Session {
  const session = new Session(profileConfig(profile));
  commands.forEach((data, i) => {
    const c = commandFromData(data);
    expect(c.check(session.model)).toBe(true);
    expect(session.execute(c, i + 1).failure).toBeNull();
  });
  return session;
}

const fp = (s: Session, symmetry = true): string => fingerprint(s.view, s.model, { symmetry });

describe('fingerprints', () => {
  it('permutations are all distinct orderings', () => {
    expect(permutations(3)).toHaveLength(6);
    expect(new Set(permutations(4).map((p) => p.join(''))).size).toBe(24);
  });

  it('equal for states equal up to thread renaming, different otherwise', () => {
    const a = stateAfter('tiny', [
      { kind: 'alloc', thread: 0, size: 3 },
      { kind: 'alloc', thread: 1, size: 20 },
    ]);
    const b = stateAfter('tiny', [
      { kind: 'alloc', thread: 1, size: 3 },
      { kind: 'alloc', thread: 0, size: 20 },
    ]);
    const c = stateAfter('tiny', [
      { kind: 'alloc', thread: 0, size: 3 },
      { kind: 'alloc', thread: 0, size: 20 },
    ]);
    expect(fp(a)).toBe(fp(b));
    expect(fp(a, false)).not.toBe(fp(b, false)); // without the reduction they are different states
    expect(fp(a)).not.toBe(fp(c));
  });

  it('sees the bytes that matter: a canary write changes the fingerprint; the same commands give the same one', () => {
    const a = stateAfter('tiny', [{ kind: 'alloc', thread: 0, size: 20 }]);
    const b = stateAfter('tiny', [
      { kind: 'alloc', thread: 0, size: 20 },
      { kind: 'write', ref: 0, seed: 1 },
    ]);
    expect(fp(a)).not.toBe(fp(b));
    // Same commands, same state, same fingerprint (deterministic).
    expect(fp(stateAfter('tiny', [{ kind: 'alloc', thread: 0, size: 20 }]))).toBe(fp(a));
  });
});

describe('explore', () => {
  it('the alphabet has every kind, the same for every thread', () => {
    const letters = alphabet(profileConfig('tiny'));
    const kinds = new Set(letters.map((l) => l.kind));
    for (const k of ['alloc', 'free', 'drain', 'flush', 'threadExit', 'setSoftCap', 'trim', 'write', 'check', 'badFree']) expect(kinds.has(k as CommandData['kind'])).toBe(true);
    const perThread = (t: number): number => letters.filter((l) => 'thread' in l && l.thread === t).length;
    expect(perThread(0)).toBe(perThread(1));
    const bad = new Set(letters.flatMap((l) => (l.kind === 'badFree' ? [l.bad] : [])));
    expect([...bad].sort()).toEqual(['double', 'foreign', 'forged', 'interior', 'stale']);
  });

  it('a clean small profile is explored to a fixed depth without violation', () => {
    const r = explore(profileConfig('tiny'), { depth: 3 });
    expect(r.violation).toBeNull();
    expect(r.depthCompleted).toBe(3);
    expect(r.distinctStates).toBeGreaterThan(100);
    expect(r.states).toBeGreaterThan(r.distinctStates);
  });

  // Known shortest depths, worked out by hand:
  //  class-stride-offset: the first refill of class 2 carves block 1 one class-1 stride off (1 step);
  //  soft-cap-ignored: class 2's cap of 2 is reached by one thread (current + prefill), a second
  //    thread's acquisition then maps past it (2 steps);
  //  double-free-unchecked: alloc, free, free again (3 steps).
  const known: readonly { fault: FaultName; depth: number; invariant: string }[] = [
    { fault: 'class-stride-offset', depth: 1, invariant: 'header' },
    { fault: 'soft-cap-ignored', depth: 2, invariant: 'soft-cap' },
    { fault: 'double-free-unchecked', depth: 3, invariant: 'bad-free-rejected' },
  ];
  for (const k of known) {
    it(`finds ${k.fault} at its shortest depth ${k.depth}, with and without the symmetry reduction`, () => {
      const config = profileConfig('tiny', { faults: [k.fault] });
      const withSym = explore(config, { depth: k.depth + 1 });
      const without = explore(config, { depth: k.depth + 1, symmetry: false });
      for (const r of [withSym, without]) {
        expect(r.violation).not.toBeNull();
        expect(r.violation!.commands).toHaveLength(k.depth);
        expect(r.violation!.invariant).toBe(k.invariant);
      }
      // The counterexample replays: it fails with the fault and passes without it.
      const replayed = runCommands(config, withSym.violation!.commands);
      expect(replayed.passed).toBe(false);
      expect(runCommands(profileConfig('tiny'), withSym.violation!.commands).passed).toBe(true);
    });
  }

  it('the reduction finds every violation the unreduced search finds (planted faults, same depth)', () => {
    for (const fault of ['remote-free-keeps-active', 'draining-never-freed', 'stale-class-hint'] as const) {
      const config = profileConfig('tiny', { faults: [fault] });
      const a = explore(config, { depth: 4, timeMs: 20_000 });
      const b = explore(config, { depth: 4, timeMs: 20_000, symmetry: false });
      expect(a.violation?.commands.length).toBe(b.violation?.commands.length);
      expect(a.violation?.invariant).toBe(b.violation?.invariant);
      expect(a.distinctStates).toBeLessThanOrEqual(b.distinctStates);
    }
  });
});

describe('the explorer\'s savings change no result', () => {
  // Judging a transition to a known state by step parts only, and reusing the copy a self-loop
  // left, are sound as far as dedup is, and rebuilding a state from a cached prefix is a replay;
  // here the search with all three switched off (every transition judged whole on a fresh copy,
  // every path replayed from the root) must find the same states and the same shortest violations.
  const cases: readonly { profile: string; fault: FaultName | null; depth: number }[] = [
    { profile: 'tiny', fault: null, depth: 3 },
    { profile: 'tiny', fault: 'remote-drain-no-header-restore', depth: 4 },
    { profile: 'tiny', fault: 'draining-never-freed', depth: 4 },
    { profile: 'tiny', fault: 'stale-class-hint', depth: 4 },
    { profile: 'tiny', fault: 'double-free-unchecked', depth: 4 },
    { profile: 'tiny-meta', fault: 'meta-light-never-flushes', depth: 3 }, // attach-keeps-stale-delta needs 4 commands (an eviction)
    { profile: 'tiny', fault: 'release-leaves-warm-entry', depth: 3 },
  ];
  it('a transition to a state already judged is still judged by every step part', () => {
    // A step-only check that no planted fault trips on a known state: trim leaves the root as it
    // was, so its successor is known at once; only the step part can see this transition.
    const trimForbidden = defineInvariant({ name: 'no-leak', step: (ctx) => (ctx.command.kind === 'trim' ? { message: 'trim was called' } : null) });
    const r = explore(profileConfig('tiny'), { depth: 2, invariants: [...INVARIANTS, trimForbidden] });
    expect(r.violation?.commands).toEqual([{ kind: 'trim' }]);
    expect(r.violation?.message).toBe('trim was called');
  });

  for (const c of cases) {
    it(`${c.fault ?? 'no fault'} on ${c.profile}`, () => {
      const config = profileConfig(c.profile, { faults: c.fault === null ? [] : [c.fault] });
      const saving = explore(config, { depth: c.depth });
      const full = explore(config, { depth: c.depth, fullChecks: true });
      expect({ states: saving.states, distinct: saving.distinctStates, depth: saving.depthCompleted }).toEqual({ states: full.states, distinct: full.distinctStates, depth: full.depthCompleted });
      expect(saving.violation?.commands).toEqual(full.violation?.commands);
      expect(saving.violation?.invariant).toBe(full.violation?.invariant);
      if (c.fault !== null) expect(saving.violation).not.toBeNull();
    });
  }
});

describe('explorer stores', () => {
  it('the fingerprint set holds what was added, no more, through growth (and the pair 0,0)', () => {
    const set = new FingerprintSet(2);
    let x = 0x12345678;
    const next = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    const added: { hi: number; lo: number }[] = [];
    for (let i = 0; i < 5000; i++) added.push({ hi: next(), lo: next() });
    for (const f of added) expect(set.add(f)).toBe(true);
    for (const f of added) expect(set.add(f)).toBe(false);
    expect(set.size).toBe(5000);
    for (const f of added) expect(set.has(f)).toBe(true);
    expect(set.has({ hi: 1, lo: 2 })).toBe(false);
    expect(set.has({ hi: added[0]!.hi, lo: (added[0]!.lo + 1) >>> 0 })).toBe(false);
    // Half load at most: 5000 states need at least 10 000 slots of 8 bytes.
    expect(set.byteLength).toBeGreaterThanOrEqual(5000 * 2 * 8);
    expect(set.has({ hi: 0, lo: 0 })).toBe(false);
    expect(set.add({ hi: 0, lo: 0 })).toBe(true);
    expect(set.has({ hi: 0, lo: 0 })).toBe(true);
    const copy = new FingerprintSet();
    copy.addPairs(FingerprintSet.pairs(added.slice(0, 10)));
    expect(copy.size).toBe(10);
    expect(copy.has(added[9]!)).toBe(true);
    expect(copy.has(added[10]!)).toBe(false);
  });

  it('the path store gives back every path from the root', () => {
    const paths = new PathStore();
    const a = paths.add(0, 7);
    const b = paths.add(a, 3);
    const c = paths.add(0, 2);
    for (let i = 0; i < 3000; i++) paths.add(c, i % 40); // past its first growth
    expect(paths.path(0)).toEqual([]);
    expect(paths.path(b)).toEqual([7, 3]);
    expect(paths.path(c)).toEqual([2]);
    expect(paths.path(paths.size - 1)).toEqual([2, 2999 % 40]);
  });
});

describe('parallel explorer', () => {
  it('finds the same states as the single-threaded one, split over worker threads', async () => {
    const config = profileConfig('tiny');
    const one = explore(config, { depth: 3 });
    const two = await exploreParallel(config, { depth: 3, workers: 2 });
    const three = await exploreParallel(config, { depth: 3, workers: 3 });
    for (const r of [two, three]) {
      expect(r.violation).toBeNull();
      expect({ depth: r.depthCompleted, states: r.states, distinct: r.distinctStates }).toEqual({ depth: 3, states: one.states, distinct: one.distinctStates });
    }
    expect(three.workers).toBe(3);
  }, 60_000);

  it('reports the same shortest violation as the single-threaded one', async () => {
    const config = profileConfig('tiny', { faults: ['double-free-unchecked'] });
    const one = explore(config, { depth: 4 });
    const two = await exploreParallel(config, { depth: 4, workers: 2 });
    expect(two.violation).not.toBeNull();
    expect(two.violation!.commands).toEqual(one.violation!.commands);
    expect(two.violation!.invariant).toBe(one.violation!.invariant);
    expect(two.violation!.commands).toHaveLength(3);
  }, 60_000);

  it('rejects a worker count that is not a positive integer', async () => {
    await expect(exploreParallel(profileConfig('tiny'), { depth: 1, workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
  });
});

describe('swarm', () => {
  const tiny = profileConfig('tiny');
  const full = alphabet(tiny);
  const key = (l: CommandData): string => JSON.stringify(l);

  it('sub-alphabets are parts of the alphabet, in its order, each with frees, its classes\' drains and every bad free', () => {
    const subs = subAlphabets(tiny);
    expect(subs).toHaveLength(180); // (5 + 10 size sets) x 2 thread sets x 6 extras
    expect(new Set(subs.map((s) => s.name)).size).toBe(subs.length);
    const position = new Map(full.map((l, i) => [key(l), i]));
    for (const s of subs) {
      const at = s.letters.map((l) => position.get(key(l)));
      expect(at.every((i) => i !== undefined)).toBe(true);
      expect([...at].sort((a, b) => a! - b!)).toEqual(at);
      for (const kind of ['alloc', 'free', 'badFree'] as const) expect(s.letters.some((l) => l.kind === kind)).toBe(true);
      // Drains of exactly the allocated sizes' classes (none for the pool size alone).
      const allocClasses = new Set(s.letters.flatMap((l) => (l.kind === 'alloc' ? [[0, 8, 16, 32].indexOf(l.size)] : [])).filter((c) => c >= 0));
      expect(new Set(s.letters.flatMap((l) => (l.kind === 'drain' ? [l.cls] : [])))).toEqual(allocClasses);
      const threads = new Set(s.letters.flatMap((l) => ('thread' in l ? [l.thread] : [])));
      expect(s.symmetry).toBe(threads.size === 2);
    }
  });

  it('finds a fault beyond the whole-alphabet depth, the same with 1 or 2 workers, and its repro replays', async () => {
    const config = profileConfig('tiny', { faults: ['rebind-keeps-stale-cache'] });
    const one = await exploreSwarm(config, { depth: 8, timeMs: 30_000, workers: 1 });
    const two = await exploreSwarm(config, { depth: 8, timeMs: 30_000, workers: 2 });
    expect(one.violation).not.toBeNull();
    expect(one.violation!.invariant).toBe('lists-wellformed');
    expect(one.violation!.commands.length).toBeGreaterThan(5); // the whole-alphabet search is clean through depth 5
    expect(two.violation!.commands).toEqual(one.violation!.commands);
    expect(two.violation!.alphabet).toBe(one.violation!.alphabet);
    expect(runCommands(config, one.violation!.commands).passed).toBe(false);
    expect(runCommands(tiny, one.violation!.commands).passed).toBe(true);
  }, 90_000);

  it('a clean profile: every sub-search run is complete or cut by the budget, no violation', async () => {
    const r = await exploreSwarm(tiny, { depth: 3, timeMs: 4_000, workers: 1 });
    expect(r.violation).toBeNull();
    expect(r.searched).toBeGreaterThan(0);
    expect(r.completed).toBeGreaterThan(0);
    expect(r.results.filter((x) => !x.complete).length).toBeLessThanOrEqual(1); // only the one the budget cut
    expect(r.results.map((x) => x.index)).toEqual(r.results.map((_, i) => i));
  }, 30_000);
});

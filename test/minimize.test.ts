// The minimiser against fake run functions whose failure condition is known exactly, so that the
// expected minimal repro can be stated; plus a property: whatever it returns still fails with the
// same name and is 1-minimal (no single removal, merge or size shrink keeps the failure).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName, RunOutcome } from '../properties/runnerApi.ts';
import { commandThread } from '../cli/commandText.ts';
import { minimize, smallestSizeOfClass } from '../cli/minimize.ts';
import type { RunFn } from '../cli/minimize.ts';

const config: AllocatorConfig = profileConfig('tiny'); // strides 8/16/32/64, 2 threads

const pass = (n: number): RunOutcome => ({ passed: true, steps: n });
const failAt = (invariant: FailureName, step: number, n: number): RunOutcome => ({ passed: false, invariant, step, message: `fake ${invariant}`, steps: n });

/** Fails with census at the second free of the same ref, if an alloc came before the first. */
const doubleFree: RunFn = (_c, cmds) => {
  let allocated = false;
  const freed = new Set<number>();
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i] as CommandData;
    if (c.kind === 'alloc') allocated = true;
    if (c.kind === 'free' && allocated) {
      if (freed.has(c.ref)) return failAt('census', i + 1, cmds.length);
      freed.add(c.ref);
    }
  }
  return pass(cmds.length);
};

const alloc = (thread: number, size: number): CommandData => ({ kind: 'alloc', thread, size });
const free = (thread: number, ref: number): CommandData => ({ kind: 'free', thread, ref });

describe('smallestSizeOfClass', () => {
  it('maps a size to the smallest size of its class; pool sizes to the last stride', () => {
    const strides = [8, 16, 32, 64];
    expect([0, 5, 7].map((s) => smallestSizeOfClass(strides, s))).toEqual([0, 0, 0]);
    expect([8, 15].map((s) => smallestSizeOfClass(strides, s))).toEqual([8, 8]);
    expect([16, 31].map((s) => smallestSizeOfClass(strides, s))).toEqual([16, 16]);
    expect([32, 63].map((s) => smallestSizeOfClass(strides, s))).toEqual([32, 32]);
    expect([64, 1000].map((s) => smallestSizeOfClass(strides, s))).toEqual([64, 64]);
  });
});

describe('minimize', () => {
  it('removes every irrelevant command, merges threads, zeroes refs and sizes', () => {
    const cmds: CommandData[] = [
      alloc(1, 40),
      { kind: 'write', ref: 3, seed: 77 },
      alloc(1, 20),
      free(1, 5),
      { kind: 'flush', thread: 1 },
      { kind: 'trim' },
      alloc(0, 3),
      free(0, 5),
      { kind: 'check', ref: 2 },
      alloc(1, 9),
    ];
    const r = minimize(config, cmds, 'census', doubleFree);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.commands).toEqual([alloc(0, 0), free(0, 0), free(0, 0)]);
    expect(r.value.minimal).toBe(true);
    expect(r.value.originalLength).toBe(10);
    expect(r.value.outcome).toMatchObject({ passed: false, invariant: 'census', step: 3 });
  });

  it('keeps the size class that the failure depends on (that size goes to its class minimum, others to 0)', () => {
    // Fails when some alloc is of class 2 (sizes 16..31) on thread 1 after one on thread 0.
    const run: RunFn = (_c, cmds) => {
      const i = cmds.findIndex((c) => c.kind === 'alloc' && c.size >= 16 && c.size <= 31 && c.thread === 1);
      const before = cmds.slice(0, Math.max(0, i)).some((c) => c.kind === 'alloc' && c.thread === 0);
      return i >= 0 && before ? failAt('header', i + 1, cmds.length) : pass(cmds.length);
    };
    const r = minimize(config, [alloc(0, 50), alloc(0, 12), alloc(1, 29), alloc(1, 30)], 'header', run);
    expect(r.ok && r.value.commands).toEqual([alloc(0, 0), alloc(1, 16)]);
    expect(r.ok && r.value.minimal).toBe(true);
  });

  it('renumbers a thread to a lower free number when the failure needs two threads', () => {
    const run: RunFn = (_c, cmds) => {
      const threads = new Set(cmds.map(commandThread).filter((t) => t !== null));
      return threads.size >= 2 ? failAt('lists-wellformed', cmds.length, cmds.length) : pass(cmds.length);
    };
    const cfg = profileConfig('tiny-threads'); // 4 threads
    const r = minimize(cfg, [{ kind: 'flush', thread: 3 }, { kind: 'flush', thread: 2 }, { kind: 'threadExit', thread: 3 }], 'lists-wellformed', run);
    expect(r.ok && r.value.commands).toEqual([
      { kind: 'flush', thread: 0 },
      { kind: 'flush', thread: 1 },
    ]);
  });

  it('pool sizes shrink toward the last stride', () => {
    const run: RunFn = (_c, cmds) => (cmds.some((c) => c.kind === 'alloc' && c.size >= 64) ? failAt('usable-size', 1, cmds.length) : pass(cmds.length));
    const r = minimize(config, [alloc(0, 5000)], 'usable-size', run);
    expect(r.ok && r.value.commands).toEqual([alloc(0, 64)]);
  });

  it('accepts only the same failure name', () => {
    // Short sequences fail with header; census needs all three frees.
    const run: RunFn = (_c, cmds) => {
      const frees = cmds.filter((c) => c.kind === 'free').length;
      if (frees >= 3) return failAt('census', cmds.length, cmds.length);
      if (cmds.length >= 1) return failAt('header', 1, cmds.length);
      return pass(0);
    };
    const r = minimize(config, [alloc(0, 1), free(0, 1), free(0, 2), free(0, 3), alloc(0, 2)], 'census', run);
    expect(r.ok && r.value.commands).toEqual([free(0, 0), free(0, 0), free(0, 0)]);
    expect(r.ok && r.value.outcome.invariant).toBe('census');
  });

  it('reports a sequence that does not fail with the expected name', () => {
    const r = minimize(config, [alloc(0, 1)], 'census', (_c, cmds) => pass(cmds.length));
    expect(r).toMatchObject({ ok: false, error: { kind: 'does-not-fail', expected: 'census', outcome: { passed: true } } });
    const r2 = minimize(config, [alloc(0, 1)], 'census', (_c, cmds) => failAt('header', 1, cmds.length));
    expect(r2).toMatchObject({ ok: false, error: { kind: 'does-not-fail', outcome: { invariant: 'header' } } });
  });

  it('stops at the attempt budget and says the result is not minimal (but still failing)', () => {
    const cmds = [...Array.from({ length: 30 }, (_, i) => alloc(i % 2, i)), free(0, 1), free(1, 1)];
    let calls = 0;
    const counted: RunFn = (c, x) => {
      calls++;
      return doubleFree(c, x);
    };
    const r = minimize(config, cmds, 'census', counted, { maxAttempts: 5 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.minimal).toBe(false);
    expect(r.value.attempts).toBe(5);
    expect(calls).toBe(5);
    expect(doubleFree(config, r.value.commands)).toMatchObject({ passed: false, invariant: 'census' });
  });

  it('stops at the time budget', () => {
    let t = 0;
    const r = minimize(config, [alloc(0, 9), alloc(0, 9), free(0, 4), free(0, 4)], 'census', doubleFree, { timeMs: 10, now: () => (t += 6) });
    expect(r.ok && r.value.minimal).toBe(false);
  });

  it('property: the result fails the same way and is 1-minimal', () => {
    const cmdArb: fc.Arbitrary<CommandData> = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), thread: fc.nat(1), size: fc.nat(100) }),
      fc.record({ kind: fc.constant('free' as const), thread: fc.nat(1), ref: fc.nat(4) }),
      fc.record({ kind: fc.constant('flush' as const), thread: fc.nat(1) }),
      fc.record({ kind: fc.constant('write' as const), ref: fc.nat(4), seed: fc.nat(1000) }),
    );
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 40 }), (cmds) => {
        const first = doubleFree(config, cmds);
        fc.pre(!first.passed);
        const r = minimize(config, cmds, 'census', doubleFree);
        if (!r.ok) return false;
        const m = r.value.commands;
        expect(r.value.minimal).toBe(true);
        expect(doubleFree(config, m)).toMatchObject({ passed: false, invariant: 'census' });
        for (let i = 0; i < m.length; i++) {
          expect(doubleFree(config, [...m.slice(0, i), ...m.slice(i + 1)]).passed).toBe(true);
        }
        for (const c of m) {
          if (c.kind === 'alloc') expect(c.size).toBe(smallestSizeOfClass(config.strides, c.size));
          if (commandThread(c) !== null) expect(commandThread(c)).toBe(0);
        }
        return true;
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

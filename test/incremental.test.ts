// Incremental checks (issue 13): a search step judges what it could have changed, the whole state
// every K steps and at the end of every run. These tests show (1) that corruption of a slab no step
// touches is not judged by an incremental step but is caught by the next whole check, at most K
// steps later; (2) that the scope really follows the step (a corrupted canary in the slab a step
// touches is caught on that step); (3) that the seeded search finds the same first failure, with the
// same repro, with K = DEFAULT_WHOLE_EVERY as with K = 1, on every planted fault.

import { describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { commandFromData, StatsCommand } from '../properties/commands/index.ts';
import type { StepTarget, SuiteCommand } from '../properties/commands/index.ts';
import { replay, runSuite } from '../properties/runner.ts';
import { userSearchOptions } from '../matrix/killMatrix.ts';
import { DEFAULT_WHOLE_EVERY, MAX_WHOLE_EVERY, Session } from '../properties/session.ts';
import { slabIdOfAddress } from '../model/index.ts';

const config: AllocatorConfig = profileConfig('default');

function step(s: Session, data: CommandData, n: number) {
  const c = commandFromData(data);
  expect(c.check(s.model), `${c.toString()} applicable`).toBe(true);
  return s.execute(c, n);
}

/** A small block written with a canary, corrupted, then alloc/free pairs of the largest class (another slab). */
function corruptUntouched(k: number): { caughtAt: number | null; corruptedAt: number; invariant: string | null; scopes: boolean[] } {
  const s = new Session(config, undefined, { wholeEvery: k });
  let n = 0;
  expect(step(s, { kind: 'alloc', thread: 0, size: 8 }, ++n).failure).toBeNull();
  expect(step(s, { kind: 'write', ref: 0, seed: 7 }, ++n).failure).toBeNull();
  const victim = s.model.live()[0];
  if (victim === undefined) throw new Error('no live block');
  const victimSlab = slabIdOfAddress(config, victim.ptr - 1);
  // Corrupt one canary byte of the victim through the test hooks, between two steps.
  const corruptedAt = n;
  s.hooks.pokeU8(victim.ptr + 2, s.view.readU8(victim.ptr + 2) ^ 0x5a);
  const scopes: boolean[] = [];
  const big = (config.strides[config.strides.length - 1] as number) - 1;
  for (let i = 0; i < 2 * MAX_WHOLE_EVERY; i++) {
    const data: CommandData = i % 2 === 0 ? { kind: 'alloc', thread: 0, size: big } : { kind: 'free', thread: 0, ref: -1 };
    const report = step(s, data, ++n);
    // Whether this step judged the victim's slab block by block (null scope: the whole state).
    const scope = s.lastContext?.scope ?? null;
    scopes.push(scope === null || scope.slabs.has(victimSlab));
    if (report.failure !== null) return { caughtAt: n, corruptedAt, invariant: report.failure.invariant, scopes };
  }
  return { caughtAt: null, corruptedAt, invariant: null, scopes };
}

describe('incremental checks: corruption of an untouched slab', () => {
  it('is caught by the next whole check, within K steps, as data-integrity', () => {
    for (const k of [1, 4, DEFAULT_WHOLE_EVERY, MAX_WHOLE_EVERY]) {
      const r = corruptUntouched(k);
      expect(r.invariant, `K = ${k}`).toBe('data-integrity');
      expect(r.caughtAt, `K = ${k}`).not.toBeNull();
      const delay = (r.caughtAt as number) - r.corruptedAt;
      expect(delay, `K = ${k}: caught ${delay} steps after the corruption`).toBeLessThanOrEqual(k);
      // Every step before it judged the victim's slab incrementally and did not see it: the scope
      // left the untouched slab out (K = 1 judges whole at once).
      expect(r.scopes.slice(0, -1).every((judged) => !judged), `K = ${k}`).toBe(true);
      if (k === 1) expect(delay).toBe(1);
    }
  });

  it('a freelist link broken in an untouched slab is caught by the next whole walk, within K steps', () => {
    for (const k of [1, DEFAULT_WHOLE_EVERY, MAX_WHOLE_EVERY]) {
      const s = new Session(config, undefined, { wholeEvery: k });
      let n = 0;
      // Three class-0 blocks; two freed and flushed back to their slab's freelist; one stays live.
      for (let i = 0; i < 3; i++) expect(step(s, { kind: 'alloc', thread: 0, size: 8 }, ++n).failure).toBeNull();
      expect(step(s, { kind: 'free', thread: 0, ref: 1 }, ++n).failure).toBeNull();
      expect(step(s, { kind: 'free', thread: 0, ref: 1 }, ++n).failure).toBeNull();
      expect(step(s, { kind: 'flush', thread: 0 }, ++n).failure).toBeNull();
      const victim = s.model.live()[0];
      if (victim === undefined) throw new Error('no live block');
      const slab = s.view.superslabs().flatMap((ss) => ss.slabs).find((x) => x.slabId === slabIdOfAddress(config, victim.ptr - 1));
      if (slab === undefined || slab.freelistHead === 0) throw new Error('the victim slab has no freelist');
      // The head's link (at base + 1) now points inside a block, off every boundary.
      const corruptedAt = n;
      s.hooks.pokeU32(slab.freelistHead + 1, slab.freelistHead + 3);
      const big = (config.strides[config.strides.length - 1] as number) - 1;
      let caughtAt: number | null = null;
      let invariant: string | null = null;
      for (let i = 0; i < 2 * MAX_WHOLE_EVERY && caughtAt === null; i++) {
        const report = step(s, i % 2 === 0 ? { kind: 'alloc', thread: 0, size: big } : { kind: 'free', thread: 0, ref: -1 }, ++n);
        if (report.failure !== null) {
          caughtAt = n;
          invariant = report.failure.invariant;
          expect(report.failure.message).toMatch(/not on a block boundary/);
        }
      }
      expect(invariant, `K = ${k}`).toBe('lists-wellformed');
      const delay = (caughtAt as number) - corruptedAt;
      expect(delay, `K = ${k}`).toBeLessThanOrEqual(k);
      // With K > 1 the incremental steps reused the slab's earlier walk (its fields unchanged) and
      // did not see the link: only the whole walk did.
      if (k > 1) expect(delay, `K = ${k}`).toBeGreaterThan(1);
    }
  });

  it("a link broken in another thread's cache is caught by the next whole walk, within K steps", () => {
    for (const k of [1, DEFAULT_WHOLE_EVERY, MAX_WHOLE_EVERY]) {
      const s = new Session(config, undefined, { wholeEvery: k });
      let n = 0;
      // Thread 1 allocates three small blocks and frees two: they sit on its thread cache.
      for (let i = 0; i < 3; i++) expect(step(s, { kind: 'alloc', thread: 1, size: 8 }, ++n).failure).toBeNull();
      expect(step(s, { kind: 'free', thread: 1, ref: 1 }, ++n).failure).toBeNull();
      expect(step(s, { kind: 'free', thread: 1, ref: 1 }, ++n).failure).toBeNull();
      const cls = s.model.live()[0]?.sizeClass ?? -1;
      const cache = s.view.thread(1).classes[cls];
      if (cache === undefined || cache.tlsHead === 0) throw new Error('thread 1 caches nothing');
      const corruptedAt = n;
      s.hooks.pokeU32(cache.tlsHead + 1, cache.tlsHead + 3);
      // Thread 0 works in another class (another slab): it never names thread 1 or its slab.
      const big = (config.strides[config.strides.length - 1] as number) - 1;
      let caughtAt: number | null = null;
      for (let i = 0; i < 2 * MAX_WHOLE_EVERY && caughtAt === null; i++) {
        const report = step(s, i % 2 === 0 ? { kind: 'alloc', thread: 0, size: big } : { kind: 'free', thread: 0, ref: -1 }, ++n);
        if (report.failure !== null) {
          caughtAt = n;
          expect(report.failure.invariant, `K = ${k}`).toBe('lists-wellformed');
          expect(report.failure.message).toMatch(new RegExp(`TLS cache of t1 c${cls} node .*not on a block boundary`));
        }
      }
      expect(caughtAt, `K = ${k}`).not.toBeNull();
      const delay = (caughtAt as number) - corruptedAt;
      expect(delay, `K = ${k}`).toBeLessThanOrEqual(k);
      if (k > 1) expect(delay, `K = ${k}: the incremental steps reused the cache's earlier walk`).toBeGreaterThan(1);
    }
  });

  it('a canary broken in the slab the step touches is caught on that step', () => {
    const s = new Session(config, undefined, { wholeEvery: MAX_WHOLE_EVERY });
    expect(step(s, { kind: 'alloc', thread: 0, size: 8 }, 1).failure).toBeNull();
    expect(step(s, { kind: 'write', ref: 0, seed: 3 }, 2).failure).toBeNull();
    const victim = s.model.live()[0];
    if (victim === undefined) throw new Error('no live block');
    s.hooks.pokeU8(victim.ptr + 1, s.view.readU8(victim.ptr + 1) ^ 0xff);
    // A second alloc of the same class is served from the same slab: the step's scope holds it.
    const report = step(s, { kind: 'alloc', thread: 0, size: 8 }, 3);
    expect(s.lastContext?.scope).not.toBeNull();
    expect(report.failure?.invariant).toBe('data-integrity');
  });

  it('the end of a run is judged whole', () => {
    const s = new Session(config, undefined, { wholeEvery: MAX_WHOLE_EVERY });
    expect(step(s, { kind: 'alloc', thread: 0, size: 8 }, 1).failure).toBeNull();
    expect(step(s, { kind: 'write', ref: 0, seed: 3 }, 2).failure).toBeNull();
    const victim = s.model.live()[0];
    if (victim === undefined) throw new Error('no live block');
    const big = (config.strides[config.strides.length - 1] as number) - 1;
    expect(step(s, { kind: 'alloc', thread: 0, size: big }, 3).failure).toBeNull();
    s.hooks.pokeU8(victim.ptr, s.view.readU8(victim.ptr) ^ 0x01);
    expect(step(s, { kind: 'alloc', thread: 0, size: big }, 4).failure).toBeNull();
    expect(s.finishRun()?.invariant).toBe('data-integrity');
    expect(s.finishRun()).toBeNull(); // judged whole now: nothing pending
  });

  it('refuses a K outside 1..64', () => {
    for (const k of [0, -1, 1.5, MAX_WHOLE_EVERY + 1, Number.NaN]) {
      expect(() => new Session(config, undefined, { wholeEvery: k })).toThrow(/wholeEvery must be an integer from 1 to 64/);
    }
  });
});

// The same first failure with K = 16 as with K = 1 on every planted fault: test/incremental-faults-{1,2}.long.test.ts.

describe('incremental checks: the shrunk repro does not depend on K', () => {
  it('remote-drain-no-header-restore: the user search with shrinking gives the same repro with K = 16 as with K = 1', () => {
    const base = userSearchOptions({ runs: 40, seed: 1, faults: ['remote-drain-no-header-restore'] });
    const whole = runSuite({ ...base, wholeEvery: 1 });
    const incremental = runSuite({ ...base, wholeEvery: DEFAULT_WHOLE_EVERY });
    expect(whole.passed).toBe(false);
    expect(incremental.counterexample?.invariant).toBe(whole.counterexample?.invariant);
    expect(incremental.counterexample?.commands).toEqual(whole.counterexample?.commands);
    expect(incremental.counterexample?.path).toBe(whole.counterexample?.path);
  });
});

// Code inside a step that breaks what it should not (a stand-in for a buggy allocator): stats()
// whose run first writes through the test hooks, so the change happens during the step.
function buggy(bug: (t: StepTarget) => void): SuiteCommand {
  const c = new StatsCommand();
  return { data: c.data, check: () => true, run: (t) => (bug(t), c.run(t)), normalize: (t) => c.normalize(t), toString: () => 'stats() with a stray write' };
}

function bigPairs(count: number): SuiteCommand[] {
  const big = (config.strides[config.strides.length - 1] as number) - 1;
  return Array.from({ length: count }, (_, i) => commandFromData(i % 2 === 0 ? { kind: 'alloc', thread: 0, size: big } : { kind: 'free', thread: 0, ref: -1 }));
}

describe('incremental checks: what a step breaks is not lost (review findings)', () => {
  it('the end of a run walks the heap afresh: a link a step broke in an untouched slab is reported', () => {
    const setup: CommandData[] = [
      { kind: 'alloc', thread: 0, size: 8 },
      { kind: 'alloc', thread: 0, size: 8 },
      { kind: 'alloc', thread: 0, size: 8 },
      { kind: 'free', thread: 0, ref: 1 },
      { kind: 'free', thread: 0, ref: 1 },
      { kind: 'flush', thread: 0 },
    ];
    const breakLink = buggy((t) => {
      const v = t.model.live()[0];
      if (v === undefined) throw new Error('no live block');
      const slab = t.view.superslabs().flatMap((ss) => ss.slabs).find((x) => x.slabId === slabIdOfAddress(config, v.ptr - 1));
      if (slab === undefined) throw new Error('no slab');
      t.hooks.pokeU32(slab.freelistHead + 1, slab.freelistHead + 3);
    });
    for (const tail of [0, 3, 9]) {
      const commands = [...setup.map(commandFromData), breakLink, ...bigPairs(tail)];
      const whole = replay(config, commands, { wholeEvery: 1 });
      const incremental = replay(config, commands, { wholeEvery: DEFAULT_WHOLE_EVERY });
      expect(whole.failure?.invariant).toBe('lists-wellformed');
      expect(incremental.failure?.invariant, `${tail} steps after the break`).toBe('lists-wellformed');
    }
  });

  it('a free or write of a block whose bytes a step corrupted is judged first: the corruption is not erased', () => {
    const stray = buggy((t) => {
      const v = t.model.live()[0];
      if (v === undefined) throw new Error('no live block');
      t.hooks.pokeU8(v.ptr + 2, t.view.readU8(v.ptr + 2) ^ 0x5a);
    });
    const big = (config.strides[config.strides.length - 1] as number) - 1;
    for (const erase of [{ kind: 'free', thread: 0, ref: 0 }, { kind: 'write', ref: 0, seed: 9 }] as CommandData[]) {
      const commands = [
        ...([{ kind: 'alloc', thread: 0, size: 8 }, { kind: 'write', ref: 0, seed: 7 }] as CommandData[]).map(commandFromData),
        stray,
        commandFromData({ kind: 'alloc', thread: 0, size: big }),
        commandFromData(erase),
        ...bigPairs(20),
      ];
      expect(replay(config, commands, { wholeEvery: 1 }).failure?.invariant).toBe('data-integrity');
      const r = replay(config, commands, { wholeEvery: DEFAULT_WHOLE_EVERY });
      expect(r.failure?.invariant, erase.kind).toBe('data-integrity');
      expect(r.failure?.step, erase.kind).toBe(5); // judged before the free or write ran
      expect(r.failure?.message).toMatch(new RegExp(`^before ${erase.kind}\\(`));
    }
  });

  it("a step that drops another thread's cache, or marks a pool chunk allocated, is judged on that step", () => {
    const scenarios: { readonly name: string; readonly setup: readonly CommandData[]; readonly bug: (s: Session) => SuiteCommand; readonly invariant: string }[] = [
      {
        name: 'a thread cache dropped',
        setup: [{ kind: 'alloc', thread: 1, size: 8 }, { kind: 'alloc', thread: 1, size: 8 }, { kind: 'alloc', thread: 1, size: 8 }, { kind: 'free', thread: 1, ref: 1 }, { kind: 'free', thread: 1, ref: 1 }],
        bug: (s) => {
          const cls = s.model.live()[0]?.sizeClass ?? 0;
          return buggy((t) => t.hooks.setTlsHead(1, cls, 0, 0));
        },
        invariant: 'census',
      },
      {
        name: 'a pool chunk marked allocated',
        setup: [{ kind: 'alloc', thread: 0, size: 5000 }, { kind: 'alloc', thread: 0, size: 5000 }, { kind: 'free', thread: 0, ref: -1 }],
        bug: (s) => {
          const chunk = s.lastContext?.post.poolWalk().chunks.find((c) => !c.allocated);
          if (chunk === undefined) throw new Error('no free pool chunk');
          return buggy((t) => t.hooks.setPoolChunkAllocated(chunk.chunk, true));
        },
        invariant: 'census',
      },
    ];
    for (const sc of scenarios) {
      for (const k of [1, DEFAULT_WHOLE_EVERY]) {
        const s = new Session(config, undefined, { wholeEvery: k });
        sc.setup.forEach((d, i) => expect(step(s, d, i + 1).failure, `${sc.name}: setup ${i + 1}`).toBeNull());
        const report = s.execute(sc.bug(s), sc.setup.length + 1);
        expect(report.failure?.invariant, `${sc.name}, K = ${k}`).toBe(sc.invariant);
      }
    }
  });

  it('a copy keeps the pending whole check (clone, restoreFrom)', () => {
    const s = new Session(config, undefined, { wholeEvery: DEFAULT_WHOLE_EVERY });
    expect(step(s, { kind: 'alloc', thread: 0, size: 8 }, 1).failure).toBeNull();
    expect(step(s, { kind: 'write', ref: 0, seed: 1 }, 2).failure).toBeNull();
    const victim = s.model.live()[0];
    if (victim === undefined) throw new Error('no live block');
    s.hooks.pokeU8(victim.ptr, s.view.readU8(victim.ptr) ^ 1);
    expect(s.clone().finishRun()?.invariant).toBe('data-integrity');
    const other = new Session(config, undefined, { wholeEvery: DEFAULT_WHOLE_EVERY });
    other.restoreFrom(s);
    expect(other.finishRun()?.invariant).toBe('data-integrity');
  });
});

// The runner contract (properties/runnerApi.ts): runCommands replays plain CommandData exactly as
// the fast-check run steps it; runSuite returns the first counterexample with its replay path; the
// generators produce every command kind with text and data that agree.

import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { CommandData, CommandKind } from '../properties/commandData.ts';
import { commandFromData } from '../properties/commands/index.ts';
import { checkProfile, fastCheckSource, fullSwarm, makeCommandArbitrary, replay, runCommands, runSuite, warmPoolWorkload } from '../properties/runner.ts';

const tiny = profileConfig('tiny');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runCommands', () => {
  it('skips what is not applicable (as check() would), numbers steps by position, records executed steps', () => {
    const cmds: CommandData[] = [
      { kind: 'free', thread: 0, ref: 0 }, // nothing live: skipped
      { kind: 'alloc', thread: 0, size: 7 },
      { kind: 'alloc', thread: 9, size: 7 }, // no such thread: skipped
      { kind: 'write', ref: 0, seed: 3 },
      { kind: 'check', ref: 0 },
      { kind: 'badFree', thread: 1, bad: 'interior', ref: 0, offset: 2 },
      { kind: 'free', thread: 1, ref: 0 },
      { kind: 'flush', thread: 0 },
      { kind: 'flush', thread: 1 },
    ];
    const o = runCommands(tiny, cmds, { record: true, keepAllocator: true });
    expect(o.passed).toBe(true);
    expect(o.steps).toBe(cmds.length);
    expect(o.records?.map((r) => r.step)).toEqual([2, 4, 5, 6, 7, 8, 9]);
    expect(o.records?.map((r) => r.text)).toEqual(['alloc(t0, 7)', 'write(#0, 3)', 'check(#0)', 'badFree(t1, interior, #0, 2)', 'free(t1, #0)', 'flush(t0)', 'flush(t1)']);
    expect(o.records?.map((r) => r.result)).toEqual(['0x00000231', 'ok', 'ok', 'interior-pointer', 'ok', 'ok', 'ok']);
    expect(o.records?.map((r) => r.thread)).toEqual([0, null, null, 1, 1, 0, 1]);
    // Everything freed and flushed: nothing mapped any more.
    expect(o.allocator?.view.superslabs()).toEqual([]);
  });

  it('reports the invariant, the step that caused it, and the slab it points at', () => {
    const faulty = profileConfig('tiny', { faults: ['class-stride-offset'] });
    const o = runCommands(faulty, [{ kind: 'alloc', thread: 0, size: 16 }, { kind: 'trim' }]);
    expect(o.passed).toBe(false);
    if (o.passed) return;
    expect(o.invariant).toBe('header');
    expect(o.step).toBe(1);
    expect(o.slabId).toBe(4);
    expect(o.message).toMatch(/not on a block boundary of slab 4/);
    // The same commands pass without the fault.
    expect(runCommands(tiny, [{ kind: 'alloc', thread: 0, size: 16 }, { kind: 'trim' }]).passed).toBe(true);
  });

  it('turns an exception thrown by impl/ into internal-error at its step', () => {
    const faulty = profileConfig('tiny', { faults: ['remote-drain-no-header-restore'] });
    const cmds: CommandData[] = [
      { kind: 'alloc', thread: 0, size: 63 },
      { kind: 'free', thread: 1, ref: 0 },
      { kind: 'alloc', thread: 0, size: 63 },
    ];
    const o = runCommands(faulty, cmds, { record: true });
    expect(o.passed).toBe(false);
    if (o.passed) return;
    expect(o.invariant).toBe('internal-error');
    expect(o.step).toBe(3);
    expect(o.message).toMatch(/alloc\(t0, 63\) threw HeapCorruptionError/);
    expect(o.records?.[2]?.result).toBe('threw');
    expect(runCommands(tiny, cmds).passed).toBe(true);
  });
});

describe('ref normalisation (how counterexamples are stored)', () => {
  it('resolves negative refs to the same blocks: the normalised commands replay step for step', () => {
    const cmds: CommandData[] = [
      { kind: 'alloc', thread: 0, size: 7 },
      { kind: 'alloc', thread: 0, size: 20 },
      { kind: 'alloc', thread: 1, size: 100 },
      { kind: 'write', ref: -2, seed: 4 },
      { kind: 'free', thread: 1, ref: -1 },
      { kind: 'badFree', thread: 0, bad: 'double', ref: -1, offset: 0 },
      { kind: 'badFree', thread: 0, bad: 'interior', ref: -1, offset: 3 },
      { kind: 'free', thread: 0, ref: -7 },
      { kind: 'check', ref: -1 },
      { kind: 'flush', thread: 0 },
      { kind: 'badFree', thread: 1, bad: 'stale', ref: -1, offset: 0 },
    ];
    const r = replay(tiny, cmds.map(commandFromData), { normalize: true, record: true });
    expect(r.failure).toBeNull();
    const refs = r.normalized.flatMap((c) => ('ref' in c ? [c.ref] : []));
    expect(refs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    expect(r.normalized.map((c) => ('ref' in c ? c.ref : null))).toEqual([null, null, null, 1, 2, 0, 1, 1, 0, null, 1]);
    const again = runCommands(tiny, r.normalized, { record: true });
    expect(again.records?.map((x) => x.result)).toEqual(r.records.map((x) => x.result));
    expect(again.records?.map((x) => x.step)).toEqual(r.records.map((x) => x.step));
  });
});

describe('runSuite', () => {
  it('prints nothing, reports progress, and is deterministic for a seed', () => {
    const log = vi.spyOn(console, 'log');
    const write = vi.spyOn(process.stdout, 'write');
    const progress: number[] = [];
    const a = runSuite({ profiles: ['tiny', 'tiny-meta'], runs: 20, seed: 11, faults: [], onProgress: (done) => progress.push(done) });
    const b = runSuite({ profiles: ['tiny', 'tiny-meta'], runs: 20, seed: 11, faults: [] });
    expect(log).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
    expect(a.passed).toBe(true);
    expect(a.counterexample).toBeNull();
    expect(a.profiles.map((p) => [p.profile, p.runs, p.passed])).toEqual([
      ['tiny', 20, true],
      ['tiny-meta', 20, true],
    ]);
    expect(a.steps).toBe(b.steps);
    expect(a.steps).toBe(a.profiles.reduce((s, p) => s + p.steps, 0));
    expect(progress).toHaveLength(40);
    expect(progress[39]).toBe(40);
  });

  it('returns the first counterexample with its fast-check path, replayable both ways', () => {
    const r = runSuite({ profiles: ['tiny'], runs: 100, seed: 5, faults: ['soft-cap-ignored'] });
    expect(r.passed).toBe(false);
    const ce = r.counterexample;
    if (ce === null) throw new Error('expected a counterexample');
    expect(ce.invariant).toBe('soft-cap');
    expect(ce.profile).toBe('tiny');
    expect(ce.faults).toEqual(['soft-cap-ignored']);
    expect(ce.config.faults).toEqual(['soft-cap-ignored']);
    expect(ce.seed).toBe(5);
    expect(ce.path).toMatch(/^\d+(:\d+)*$/);
    expect(ce.commands).toHaveLength(ce.step);
    expect(ce.commands.every((c) => !('ref' in c) || c.ref >= 0)).toBe(true);
    // Plain replay: same invariant at the same step; without the fault it passes.
    const o = runCommands(ce.config, ce.commands);
    expect(o.passed ? 'passed' : [o.invariant, o.step]).toEqual(['soft-cap', ce.step]);
    expect(runCommands(profileConfig('tiny'), ce.commands).passed).toBe(true);
    // fast-check replay from seed and path reaches the same failure.
    expect(ce.runIndex).toBe(Number((ce.path ?? '').split(':')[0]));
    const source = fastCheckSource(ce.seed, ce.profile, ce.path ?? '');
    const again = checkProfile(ce.config, { seed: source.seed, runs: 1, path: source.path });
    expect(again.details.failed).toBe(true);
  });

  it('catches the performance-only faults through the measured warm-pool properties, each through its own', () => {
    const cases = [
      { fault: 'warm-pool-no-prefill', invariant: 'warm-pool-hit-rate', message: /^warm pool prefill hits 0\.0% of slab switches \(class 2: \d+ slab switches, 0 served by prefilled slabs/ },
      { fault: 'warm-pool-no-pushback', invariant: 'warm-pool-pushback-rate', message: /^warm pool push-back hits 0\.0% of slab switches \(class 2: \d+ slab switches, \d+ served by prefilled slabs, 0 by pushed-back slabs/ },
    ] as const;
    for (const c of cases) {
      const r = runSuite({ profiles: ['tiny'], runs: 10, seed: 1, faults: [c.fault] });
      const ce = r.counterexample;
      if (ce === null) throw new Error(`expected a counterexample for ${c.fault}`);
      expect([c.fault, ce.invariant]).toEqual([c.fault, c.invariant]);
      expect(ce.message).toMatch(c.message);
      expect(ce.commands).toEqual(warmPoolWorkload(tiny)?.commands);
      // The stored workload replays to the same verdict, and passes on the correct design.
      const o = runCommands(ce.config, ce.commands);
      expect(o.passed ? 'passed' : o.invariant).toBe(c.invariant);
      expect(runCommands(tiny, ce.commands).passed).toBe(true);
      expect(runCommands(tiny, ce.commands, { measure: 'warm-pool-hit-rate' }).passed).toBe(true);
    }
  });

  it('honours a time budget', () => {
    const started = performance.now();
    const r = runSuite({ profiles: ['tiny', 'tiny-hot'], timeMs: 400, seed: 2, faults: [] });
    const ms = performance.now() - started;
    expect(r.passed).toBe(true);
    expect(ms).toBeLessThan(3000);
    expect(r.profiles.every((p) => p.runs > 0)).toBe(true);
  });
});

describe('command generators', () => {
  it('every kind appears; data, text and check agree', () => {
    const samples = fc.sample(makeCommandArbitrary(tiny, fullSwarm(tiny)), { seed: 3, numRuns: 600 });
    const kinds = new Set<CommandKind>(samples.map((c) => c.data.kind));
    expect([...kinds].sort()).toEqual(['alloc', 'badFree', 'check', 'drain', 'flush', 'free', 'osLimit', 'osRefuse', 'setRouteProfile', 'setSoftCap', 'threadExit', 'trim', 'write']);
    for (const c of samples) {
      const back = commandFromData(c.data);
      expect(back.toString()).toBe(c.toString());
      expect(back.data).toEqual(c.data);
      expect(c.toString()).toMatch(/^[a-zA-Z]+\(.*\)$/);
    }
    const badKinds = new Set(samples.flatMap((c) => (c.data.kind === 'badFree' ? [c.data.bad] : [])));
    expect([...badKinds].sort()).toEqual(['double', 'foreign', 'forged', 'interior', 'stale']);
    // Sizes sit on class boundaries of the profile's strides, and pool sizes occur.
    const sizes = samples.flatMap((c) => (c.data.kind === 'alloc' ? [c.data.size] : []));
    for (const edge of [0, 7, 8, 15, 16, 31, 32, 63, 64]) expect(sizes, `size ${edge}`).toContain(edge);
    expect(sizes.some((s) => s > 64)).toBe(true);
  });
});

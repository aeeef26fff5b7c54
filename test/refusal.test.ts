// Goal: the OS's refusals (SPEC §2, issue 19) — a refused map leaves no trace, the allocator falls
// back as the SPEC says and serves normally once maps succeed again, and every check added for
// refusals can fail. Method: the allocator driven directly (counters, view), the suite's sessions
// for legal sequences (every invariant after every step), states and steps broken on purpose
// (behind the model's back, or a step judged against an earlier snapshot) for each new clause, and
// a small exhaustive search for the planted fault refused-prefill-keeps-entry.

import { describe, expect, it } from 'vitest';
import { ConfigError, createAllocator, makeConfig, profileConfig } from '../impl/index.ts';
import type { Allocator, AllocatorConfig } from '../impl/index.ts';
import { alphabet } from '../explore/alphabet.ts';
import { explore } from '../explore/explorer.ts';
import { fingerprint } from '../explore/fingerprint.ts';
import { metadataSnapshot } from '../properties/digest.ts';
import type { CommandData, InvariantName } from '../properties/commandData.ts';
import { commandFromData } from '../properties/commands/index.ts';
import { CheckContext, PostState, takeSnapshot } from '../properties/checkContext.ts';
import type { Violation } from '../properties/checkContext.ts';
import { INVARIANTS_BY_NAME } from '../properties/invariants/index.ts';
import { runCommands } from '../properties/runner.ts';
import { parseCommand } from '../cli/repro.ts';
import { Session } from '../properties/session.ts';

const tiny = profileConfig('tiny');
const full = profileConfig('tiny-full'); // every class TINY_ONLY: a tiny failure is a 0

function legal(config: AllocatorConfig, commands: readonly CommandData[]): Session {
  const session = new Session(config);
  commands.forEach((data, i) => {
    const report = session.execute(commandFromData(data), i + 1);
    expect(report.failure, `legal step ${i + 1} ${commandFromData(data).toString()}`).toBeNull();
  });
  return session;
}

function judgeLast(session: Session, name: InvariantName): Violation | null {
  const ctx = session.lastContext;
  if (ctx === null) throw new Error('no step executed yet');
  return (INVARIANTS_BY_NAME.get(name) as NonNullable<ReturnType<typeof INVARIANTS_BY_NAME.get>>).check(ctx);
}

function judge(session: Session, name: InvariantName, data: CommandData): Violation | null {
  session.execute(commandFromData(data), session.stepsExecuted + 1);
  return judgeLast(session, name);
}

const TRIM: CommandData = { kind: 'trim' };
const alloc = (size: number, thread = 0): CommandData => ({ kind: 'alloc', thread, size });

describe('the OS layer refuses maps and a refusal leaves no trace', () => {
  it('one refused map: the tiny front retries after reclaim and the retry maps', () => {
    const a = createAllocator(full);
    a.refuseMaps(1);
    expect(a.alloc(0, 7)).not.toBe(0);
    const s = a.stats();
    expect([s.osRefusals, s.osRefusalsBySite.stage3Alloc, s.registryFullEvents, s.maps, s.mappedBytes]).toEqual([1, 1, 0, 1, full.superslabSize]);
    expect(a.view.os()).toEqual({ mapLimit: null, refusalsPending: 0 });
  });

  it('two refused maps fail a TINY_ONLY allocation with nothing mapped, counted, registered or bound; then it succeeds', () => {
    const a = createAllocator(full);
    a.refuseMaps(2);
    expect(a.alloc(0, 7)).toBe(0);
    const s = a.stats();
    expect([s.osRefusals, s.registryFullEvents, s.maps, s.mappedBytes, s.tinyFailures]).toEqual([2, 0, 0, 0, 1]);
    expect([a.view.mappedRegions(), a.view.registry(), a.view.activeSlots(0), a.view.thread(0).classes[0]?.warm]).toEqual([[], [], 0, []]);
    expect(a.alloc(0, 7)).not.toBe(0);
  });

  it('a map limit counts SuperSlabs and pool regions together; lifting it serves the same request', () => {
    const a: Allocator = createAllocator(tiny);
    a.setOsMapLimit(1);
    expect(a.alloc(0, 7)).not.toBe(0); // SuperSlab: the one region allowed
    expect(a.alloc(0, 64)).toBe(0); // a pool size: the pool may not grow
    expect(a.stats().osRefusalsBySite.poolGrowth).toBe(1);
    a.setOsMapLimit(null);
    expect(a.alloc(0, 64)).not.toBe(0);
    expect(a.view.mappedRegions().map((r) => r.kind)).toEqual(['superslab', 'pool']);
  });

  it('the config field sets the limit from the start, and is validated', () => {
    const a = createAllocator(makeConfig({ ...tiny, osMapLimit: 0 }));
    expect(a.view.os().mapLimit).toBe(0);
    expect(a.alloc(0, 7)).toBe(0); // tiny (try and retry), then the pool: every map refused
    expect(() => makeConfig({ ...tiny, osMapLimit: -1 })).toThrow(ConfigError);
    expect(() => makeConfig({ ...tiny, osMapLimit: 1.5 })).toThrow(/config\.osMapLimit/);
    expect(profileConfig('tiny-threads').osMapLimit).toBe(5);
  });

  it('a refused re-map of a freed index is counted as a re-map', () => {
    const a = createAllocator(full);
    const p = a.alloc(0, 7);
    expect(a.free(0, p).ok).toBe(true);
    a.flush(0);
    expect(a.view.mappedRegions()).toEqual([]);
    a.refuseMaps(1);
    expect(a.alloc(0, 7)).not.toBe(0);
    expect(a.stats().osRefusalsBySite.remap).toBe(1);
  });
});

describe('sequences with refusals pass every invariant', () => {
  it('refused, lifted, the same request served (every invariant after every step)', () => {
    const s = legal(full, [{ kind: 'osRefuse', count: 2 }, alloc(15), { kind: 'osRefuse', count: 0 }, alloc(15)]);
    expect(s.model.live().map((b) => b.front)).toEqual(['tiny']);
    expect(s.allocator.stats().tinyFailures).toBe(1);
    const t = legal(tiny, [{ kind: 'osLimit', limit: 1 }, alloc(7), alloc(64), { kind: 'osLimit', limit: null }, alloc(64)]);
    expect(t.model.live().map((b) => b.front)).toEqual(['tiny', 'pool']);
  });
});

describe('each refusal clause reports a state broken on purpose', () => {
  it('no-premature-failure: a refusal the commands never ordered excuses nothing', () => {
    const s = legal(full, []);
    const ordered = legal(full, [{ kind: 'osRefuse', count: 2 }, alloc(15)]); // ordered: excused
    expect(ordered.model.live()).toHaveLength(0);
    expect(judgeLast(ordered, 'no-premature-failure')).toBeNull();
    s.allocator.refuseMaps(2); // behind the model's back
    const v = judge(s, 'no-premature-failure', alloc(15));
    expect(v?.message).toMatch(/the tiny front failed although class 1 is under its cap .* no map refused as the commands allow/);
  });

  it('no-premature-failure: the pool fails with budget left and no refusal', () => {
    const s = legal(tiny, [{ kind: 'setRouteProfile', profile: 'off' }]);
    s.allocator.setOsMapLimit(0); // behind the model's back
    const v = judge(s, 'no-premature-failure', alloc(64));
    expect(v?.message).toMatch(/the pool failed a 64-byte request with 0 of 1024 budget bytes mapped/);
    expect(judgeLast(legal(tiny, [{ kind: 'osLimit', limit: 0 }, alloc(64)]), 'no-premature-failure')).toBeNull();
  });

  it('refusal-no-trace: an osRefuse(k) that orders nothing is caught on its step', () => {
    expect(judgeLast(legal(tiny, [{ kind: 'osRefuse', count: 2 }]), 'refusal-no-trace')).toBeNull();
    const s = legal(tiny, []);
    Object.assign(s.allocator, { refuseMaps: (): void => {} }); // an OS that ignores the order
    expect(judge(s, 'refusal-no-trace', { kind: 'osRefuse', count: 2 })?.message).toMatch(/osRefuse\(2\) left 0 refusals pending, not 2/);
  });

  it('refusal-no-trace: the OS state is not what the commands set', () => {
    const s = legal(tiny, [{ kind: 'osRefuse', count: 1 }]);
    expect(judgeLast(s, 'refusal-no-trace')).toBeNull();
    s.allocator.setOsMapLimit(3);
    expect(judge(s, 'refusal-no-trace', TRIM)?.message).toMatch(/the OS map limit is 3, but the commands set none/);
    const t = legal(tiny, [{ kind: 'osRefuse', count: 1 }]);
    t.allocator.refuseMaps(4);
    expect(judge(t, 'refusal-no-trace', TRIM)?.message).toMatch(/the OS has 4 refusals pending, more than the 1 the last osRefuse ordered/);
  });

  it('refusal-no-trace: a step raises the pending refusals, or maps while some are pending', () => {
    const s = legal(full, [{ kind: 'osRefuse', count: 2 }]);
    const pre = takeSnapshot(new PostState(s.view), s.model);
    s.allocator.refuseMaps(3); // within a trim step
    const trim = new CheckContext({ allocator: s.allocator, model: s.model, step: 2, command: TRIM, event: { kind: 'trim' }, pre });
    expect(INVARIANTS_BY_NAME.get('refusal-no-trace')?.checkStep?.(trim)?.message).toMatch(/trim raised the OS's pending refusals from 2 to 3/);
    s.allocator.refuseMaps(0); // the allocator maps anyway ...
    const ptr = s.allocator.alloc(0, 7);
    s.allocator.refuseMaps(2); // ... and the refusals are still pending after the step
    const event = { kind: 'alloc' as const, thread: 0, sizeBytes: 7, prediction: s.model.predictAlloc(7), ptr, servedBy: 'tiny' as const, duplicateOf: undefined, block: undefined };
    const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: 2, command: alloc(7), event, pre });
    expect(INVARIANTS_BY_NAME.get('refusal-no-trace')?.checkStep?.(ctx)?.message).toMatch(/region 0x00000200 was mapped while 2 refusals were still pending/);
  });

  it('refusal-no-trace: a failed allocation leaves a region, a registry entry or a bound slot', () => {
    const s = legal(full, []);
    const pre = takeSnapshot(new PostState(s.view), s.model);
    const ptr = s.allocator.alloc(0, 7); // maps a SuperSlab and binds a slot
    expect(ptr).not.toBe(0);
    const failed = { kind: 'alloc' as const, thread: 0, sizeBytes: 7, prediction: s.model.predictAlloc(7), ptr: 0, servedBy: 'failed' as const, duplicateOf: undefined, block: undefined };
    const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: 1, command: alloc(7), event: failed, pre });
    expect(INVARIANTS_BY_NAME.get('refusal-no-trace')?.check(ctx)?.message).toMatch(/alloc\(t0, 7\) failed but left superslab region 0x00000200 mapped/);
  });

  it('refusal-no-trace: the OS counters disagree with the mapped regions', () => {
    const s = legal(tiny, [alloc(7)]);
    const lying = new Proxy(s.allocator, {
      get: (target, key) => (key === 'stats' ? () => ({ ...target.stats(), maps: target.stats().maps + 1 }) : Reflect.get(target, key)),
    });
    const ctx = new CheckContext({ allocator: lying, model: s.model, step: 2, command: TRIM, event: { kind: 'trim' }, pre: takeSnapshot(new PostState(s.view), s.model) });
    expect(INVARIANTS_BY_NAME.get('refusal-no-trace')?.check(ctx)?.message).toMatch(/the OS counted 2 maps and 0 unmaps, but 1 regions are mapped/);
  });
});

describe('a real bug the refusals exposed: OOM in the pool while the reserve holds an empty SuperSlab', () => {
  const threads = profileConfig('tiny-threads'); // emptyReserve 1
  const parked: CommandData[] = [{ kind: 'osLimit', limit: 1 }, alloc(7), { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }];

  it('the reserve is given back to the OS and the pool served (every invariant after every step)', () => {
    const s = legal(threads, parked);
    expect([s.view.reserve().length, s.view.mappedRegions().length]).toEqual([1, 1]);
    const after = legal(threads, [...parked, alloc(100)]);
    expect(after.model.live().map((b) => b.front)).toEqual(['pool']);
    expect([after.view.reserve(), after.view.mappedRegions().map((r) => r.kind)]).toEqual([[], ['pool']]);
  });

  it('no-premature-failure: the pool fails at the limit while the reserve parks a SuperSlab', () => {
    const s = legal(threads, parked);
    const pre = takeSnapshot(new PostState(s.view), s.model);
    const failed = { kind: 'alloc' as const, thread: 0, sizeBytes: 100, prediction: s.model.predictAlloc(100), ptr: 0, servedBy: 'failed' as const, duplicateOf: undefined, block: undefined };
    const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: 5, command: alloc(100), event: failed, pre });
    expect(INVARIANTS_BY_NAME.get('no-premature-failure')?.check(ctx)?.message).toMatch(
      /the pool failed a 100-byte request with budget left although SuperSlab 0x00000200 sits empty in the reserve while the OS limit of 1 regions is reached/,
    );
  });
});

describe('the OS state is part of every state identity', () => {
  it('fingerprint and bad-free digest see the pending refusals and the limit', () => {
    const a = legal(tiny, [alloc(7)]);
    const b = legal(tiny, [alloc(7), { kind: 'osRefuse', count: 1 }]);
    const c = legal(tiny, [alloc(7), { kind: 'osLimit', limit: 1 }]);
    expect(new Set([a, b, c].map((s) => fingerprint(s.view, s.model))).size).toBe(3);
    expect(new Set([a, b, c].map((s) => JSON.stringify(metadataSnapshot(s.view)))).size).toBe(3);
  });
});

describe('refused-prefill-keeps-entry (planted)', () => {
  const letters = alphabet(tiny).filter((l) => (l.kind === 'alloc' && l.thread === 0) || l.kind === 'osRefuse' || l.kind === 'osLimit');

  it('the explorer finds it at its shortest depth, 4, over allocations and refusals; clean without it', () => {
    const faulty = explore(profileConfig('tiny', { faults: ['refused-prefill-keeps-entry'] }), { depth: 4, alphabet: letters });
    expect(faulty.violation?.invariant).toBe('warm-pool-valid');
    expect(faulty.violation?.commands).toHaveLength(4);
    expect(runCommands(tiny, faulty.violation?.commands ?? []).passed).toBe(true);
    const clean = explore(tiny, { depth: 4, alphabet: letters });
    expect([clean.violation, clean.depthCompleted]).toEqual([null, 4]);
  });
});

describe('repro files', () => {
  it('hold the OS commands as data, validated', () => {
    expect(parseCommand({ kind: 'osLimit', limit: null }, 0, tiny)).toEqual({ ok: true, value: { kind: 'osLimit', limit: null } });
    expect(parseCommand({ kind: 'osRefuse', count: 2 }, 1, tiny)).toEqual({ ok: true, value: { kind: 'osRefuse', count: 2 } });
    const bad = parseCommand({ kind: 'osLimit', limit: -1 }, 2, tiny);
    expect(bad.ok ? '' : bad.reason).toBe('commands[2] (osLimit).limit must be a non-negative integer or null (got -1)');
    const badCount = parseCommand({ kind: 'osRefuse', count: 'x' }, 3, tiny);
    expect(badCount.ok ? '' : badCount.reason).toMatch(/commands\[3\] \(osRefuse\)\.count must be a non-negative integer/);
  });
});

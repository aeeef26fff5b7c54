// Goal: delta-zero's attach clause (properties/invariants/attachDelta.ts) sees a page attached with
// stale deltas or an unclamped `used`, and the planted attach-keeps-stale-delta (seed 002 phase 6:
// a page node released unsettled at an eviction, its deltas kept by the page attached into it) is
// killed by that clause, on a repro that differs from meta-light-never-flushes'.
// Method: short command sequences through a Session on tiny-meta; where the state must be broken
// beyond what a fault does, the test hooks set a slab field between steps; each case asserts the
// clause's own message, and the same sequences pass with the correct design.

import { describe, expect, it } from 'vitest';
import { makeConfig, profileConfig } from '../impl/index.ts';
import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { commandFromData } from '../properties/commands/index.ts';
import { INVARIANTS_BY_NAME } from '../properties/invariants/index.ts';
import { runCommands } from '../properties/runner.ts';
import { Session } from '../properties/session.ts';
import type { Violation } from '../properties/checkContext.ts';

const meta = profileConfig('tiny-meta');
const withFault = (fault: FaultName): AllocatorConfig => makeConfig({ ...meta, faults: [fault] });

/** Class 3 (stride 64, 1-2 blocks a slab, soft cap 3, 2 pages at most): two pages full after three blocks, the fourth evicts one. */
const EVICTION: readonly CommandData[] = [
  { kind: 'alloc', thread: 0, size: 32 },
  { kind: 'alloc', thread: 0, size: 32 },
  { kind: 'alloc', thread: 0, size: 32 },
  { kind: 'alloc', thread: 0, size: 32 },
];
const META_LIGHT_REPRO: readonly CommandData[] = [
  { kind: 'alloc', thread: 0, size: 16 },
  { kind: 'threadExit', thread: 0 },
];

/** Executes `commands` and returns delta-zero's verdict on the last step (other invariants ignored). */
function deltaZeroAfter(session: Session, commands: readonly CommandData[]): Violation | null {
  for (const data of commands) session.execute(commandFromData(data), session.stepsExecuted + 1);
  const ctx = session.lastContext;
  if (ctx === null) throw new Error('no step executed');
  return INVARIANTS_BY_NAME.get('delta-zero')?.check(ctx) ?? null;
}

/** A page of class 2 left as an orphan with one live block; returns the session and the page. */
function orphanPage(config: AllocatorConfig): { session: Session; page: number } {
  const session = new Session(config);
  expect(deltaZeroAfter(session, [{ kind: 'alloc', thread: 0, size: 20 }])).toBeNull();
  const page = session.view.thread(0).classes[2]?.pages.current ?? -1;
  expect(page).toBeGreaterThanOrEqual(0);
  expect(deltaZeroAfter(session, [{ kind: 'threadExit', thread: 0 }])).toBeNull();
  return { session, page };
}

describe('delta-zero: the attach clause', () => {
  it('holds for the correct design at an eviction and at an adoption', () => {
    expect(runCommands(meta, EVICTION).passed).toBe(true);
    const { session } = orphanPage(meta);
    expect(deltaZeroAfter(session, [{ kind: 'alloc', thread: 1, size: 20 }])).toBeNull();
  });

  it('sees a page attached with the deltas it had before (an attach that does not reset them)', () => {
    const { session, page } = orphanPage(withFault('attach-keeps-stale-delta'));
    session.hooks.setSlabField(page, 'usedDelta', 1); // under the threshold (3) even after the next allocation
    session.hooks.setSlabField(page, 'activeDelta', 1);
    const v = deltaZeroAfter(session, [{ kind: 'alloc', thread: 1, size: 20 }]); // Stage 0 adopts and attaches it
    expect(v?.message).toBe(`page ${page} was attached in this step with usedDelta 2, activeDelta 2, more than the 1 block(s) it gave since: the attach kept stale deltas`);
  });

  it('sees a page attached with a stored used above its capacity (an attach that does not clamp)', () => {
    const { session, page } = orphanPage(withFault('attach-keeps-stale-delta'));
    const capacity = session.view.slab(page)?.capacity ?? 0;
    session.hooks.setSlabField(page, 'used', capacity + 5);
    const v = deltaZeroAfter(session, [{ kind: 'alloc', thread: 1, size: 20 }]);
    expect(v?.message).toBe(`page ${page} was attached in this step with stored used ${capacity + 5} above its capacity ${capacity}: the attach did not clamp it`);
  });

  it('the correct attach resets and clamps the same broken page, so the clause holds', () => {
    const { session, page } = orphanPage(meta);
    const capacity = session.view.slab(page)?.capacity ?? 0;
    session.hooks.setSlabField(page, 'used', capacity + 5);
    session.hooks.setSlabField(page, 'usedDelta', 2);
    expect(deltaZeroAfter(session, [{ kind: 'alloc', thread: 1, size: 20 }])).toBeNull();
  });
});

describe('attach-keeps-stale-delta, planted whole', () => {
  it('is killed by the attach clause at the eviction, and the clean design passes the same commands', () => {
    const out = runCommands(withFault('attach-keeps-stale-delta'), EVICTION);
    expect(out.passed).toBe(false);
    if (out.passed) return;
    expect([out.invariant, out.step]).toEqual(['delta-zero', 4]);
    expect(out.message).toMatch(/was attached in this step with usedDelta 2, activeDelta 2, more than the 1 block\(s\) it gave since/);
  });

  it('does not fail on meta-light-never-flushes\' repro, and that fault is not caught by the attach clause', () => {
    expect(runCommands(withFault('attach-keeps-stale-delta'), META_LIGHT_REPRO).passed).toBe(true);
    const other = runCommands(withFault('meta-light-never-flushes'), META_LIGHT_REPRO);
    expect(other.passed === false && other.invariant).toBe('delta-zero');
    expect(other.passed === false && other.message).not.toMatch(/was attached/);
  });
});

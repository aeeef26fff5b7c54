// Minimisation past 1-minimal: the explorer finds a shorter repro the delta-debugging minimiser
// cannot reach by removing single commands.
import { describe, expect, it } from 'vitest';
import { minimize } from '../cli/minimize.ts';
import { minimizeShortest, shorterByExplorer } from '../cli/shortest.ts';
import { profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { runCommands } from '../properties/runner.ts';

describe('minimizeShortest', () => {
  // soft-cap-ignored in tiny: class 2's cap of 2 is reached by t0 (current + prefill); this
  // 1-minimal repro uses two more threads' worth of steps than needed.
  const config = profileConfig('tiny', { faults: ['soft-cap-ignored'] });
  const longer: CommandData[] = [
    { kind: 'alloc', thread: 0, size: 16 },
    { kind: 'alloc', thread: 0, size: 0 },
    { kind: 'free', thread: 0, ref: 1 },
    { kind: 'alloc', thread: 1, size: 16 },
  ];
  const run = (c: typeof config, cmds: readonly CommandData[]) => runCommands(c, cmds);

  it('the delta-debugging minimiser alone stops where no single command can go', () => {
    const out = runCommands(config, longer);
    expect(out.passed).toBe(false);
    const m = minimize(config, longer, 'soft-cap', run);
    expect(m.ok).toBe(true);
    expect(m.ok && m.value.commands.length).toBeGreaterThanOrEqual(2);
  });

  it('the explorer pass returns a shortest repro failing first with the same invariant', () => {
    const shorter = shorterByExplorer(config, longer, 'soft-cap', 10_000);
    expect(shorter).not.toBeNull();
    expect(shorter!.length).toBe(2);
    const o = runCommands(config, shorter!);
    expect(o.passed === false && o.invariant).toBe('soft-cap');
    const m = minimizeShortest(config, longer, 'soft-cap', run);
    expect(m.ok && m.value.commands.length).toBe(2);
  });

  it('the swarm sub-alphabets find a shorter repro that needs a kind the repro does not have', () => {
    // rebind-keeps-stale-cache on tiny-hot: the random suite's 1-minimal repro (5 allocs, 3 frees) is
    // 8 commands; the shortest needs a flush (6 commands). The repro's own kinds cannot get there.
    const hot = profileConfig('tiny-hot', { faults: ['rebind-keeps-stale-cache'] });
    const eight: CommandData[] = [
      ...Array.from({ length: 5 }, (): CommandData => ({ kind: 'alloc', thread: 0, size: 16 })),
      ...Array.from({ length: 3 }, (): CommandData => ({ kind: 'free', thread: 0, ref: 0 })),
    ];
    const before = runCommands(hot, eight);
    expect(before.passed === false && [before.invariant, before.step]).toEqual(['lists-wellformed', 8]);
    const shorter = shorterByExplorer(hot, eight, 'lists-wellformed', 8000);
    expect(shorter).not.toBeNull();
    expect(shorter!.length).toBe(6);
    expect(shorter!.some((c) => c.kind === 'flush')).toBe(true);
    const after = runCommands(hot, shorter!);
    expect(after.passed === false && after.invariant).toBe('lists-wellformed');
  }, 30_000);

  it('does nothing for large profiles or measured properties', () => {
    expect(shorterByExplorer(profileConfig('default', { faults: ['soft-cap-ignored'] }), longer, 'soft-cap', 1000)).toBeNull();
    expect(shorterByExplorer(config, longer, 'warm-pool-hit-rate', 1000)).toBeNull();
  });
});

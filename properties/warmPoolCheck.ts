// The suite's per-profile check of the measured property 'warm-pool-hit-rate' (SPEC §9: a fault
// that only hurts performance is caught by a measured property, not by a timing). runSuite runs it
// once per profile after the profile's property runs passed, so that `alloc-check run` catches
// `warm-pool-drops-slab` on any profile, with a counterexample that replays through runCommands.
// (properties/warmPool.ts holds the issue-6 measurement on SPEC §10's random-mixed workload.)
//
// Seed 001: after a refill from the shared pool, the warm pool is prefilled with up to
// warmPoolPrefill more slabs, so that the next slab exhaustions are served from it. On a workload
// that grows through 2·(p+1) slabs of one class (p = the prefill the warm pool can take), each
// acquisition is followed by p warm hits: the ideal hit rate is p/(p+1). The check asks for at least
// half of that; the historical bug (no prefill, exhausted slabs dropped: the pool oscillates between
// 0 and 1 entries) scores 0. Statistics are the measurement here; correctness is judged by the
// invariants elsewhere (the workload runs without per-step checks: a measurement, and the quadratic
// canary checks of hundreds of live blocks would dominate it).

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from './commandData.ts';
import { commandFromData } from './commands/index.ts';
import { Session } from './session.ts';

export interface WarmPoolWorkload {
  readonly cls: number;
  readonly commands: readonly CommandData[];
  /** Hit rate the prefill guarantees on this workload. */
  readonly idealRate: number;
}

/** The class the workload grows through: the thread-cache class with the fewest blocks per slab. */
function workloadClass(config: AllocatorConfig): number {
  for (let c = config.strides.length - 1; c >= 0; c--) if ((config.tinyHeapClasses & (1 << c)) === 0) return c;
  return -1;
}

/** The workload, or null when the config has no warm pool to measure (no prefill or no TLS class). */
export function warmPoolWorkload(config: AllocatorConfig): WarmPoolWorkload | null {
  const cls = workloadClass(config);
  const prefill = Math.min(config.warmPoolPrefill, config.warmPoolCap);
  if (cls < 0 || prefill === 0) return null;
  const stride = config.strides[cls] as number;
  const capacity = Math.floor(config.slabSize / stride);
  const slabs = 2 * (prefill + 1);
  // Enough slots that the soft cap never interferes; the route set so that the class is tiny.
  const commands: CommandData[] = [
    { kind: 'setRouteProfile', profile: 'conservative' },
    { kind: 'setSoftCap', cls, cap: slabs + prefill + 2 },
  ];
  for (let i = 0; i < slabs * capacity; i++) commands.push({ kind: 'alloc', thread: 0, size: stride - 1 });
  return { cls, commands, idealRate: prefill / (prefill + 1) };
}

export interface WarmPoolHitRate {
  readonly passed: boolean;
  readonly hits: number;
  readonly misses: number;
  readonly rate: number;
  readonly threshold: number;
  readonly message: string;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Warm-pool hit rate of class `cls` after running `commands`. */
export function measureWarmPoolHitRate(config: AllocatorConfig, commands: readonly CommandData[], cls: number, idealRate: number): WarmPoolHitRate {
  const session = new Session(config, []);
  for (let i = 0; i < commands.length; i++) {
    const command = commandFromData(commands[i] as CommandData);
    if (command.check(session.model)) session.execute(command, i + 1);
  }
  const stats = session.allocator.stats();
  const hits = stats.warmHits[cls] ?? 0;
  const misses = stats.warmMisses[cls] ?? 0;
  const rate = hits + misses === 0 ? 0 : hits / (hits + misses);
  const threshold = idealRate / 2;
  return {
    passed: rate >= threshold,
    hits,
    misses,
    rate,
    threshold,
    message: `warm pool hit rate of class ${cls}: ${hits} hits, ${misses} misses = ${pct(rate)}; at least ${pct(threshold)} expected (half of the ${pct(idealRate)} that prefill guarantees)`,
  };
}

/** The check on a config: null when not applicable, else the measurement. */
export function checkWarmPoolHitRate(config: AllocatorConfig): (WarmPoolHitRate & { readonly workload: WarmPoolWorkload }) | null {
  const workload = warmPoolWorkload(config);
  if (workload === null) return null;
  return { ...measureWarmPoolHitRate(config, workload.commands, workload.cls, workload.idealRate), workload };
}

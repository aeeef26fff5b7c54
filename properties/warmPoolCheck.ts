// The suite's per-profile check of the two measured warm-pool properties (SPEC §9: a fault that
// only hurts performance is caught by a measured property, not by a timing). runSuite runs it once
// per profile after the profile's property runs passed, so that `alloc-check run` catches
// `warm-pool-no-prefill` and `warm-pool-no-pushback` on any profile, with a counterexample that
// replays through runCommands. (properties/warmPool.ts holds the random-mixed measurement.)
//
// Seed 001's warm pool has two feeds. Prefill: after a refill from the shared pool, the warm pool
// takes up to warmPoolPrefill more slabs, so the next slab exhaustions are served from it.
// Push-back: a slab set aside (exhausted, still owned, not held) that gets blocks back returns to
// the warm pool unless the pool is full. The workload, on the thread-cache class with the fewest
// blocks per slab: (A) allocate the blocks of 2·(p+1) slabs (p = the prefill the pool can take),
// (B) free the oldest (p+1) slabs' worth as owner frees (the thread cache overflows and drains
// them back to their set-aside slabs), (C) allocate as many again. Hits are counted by
// properties/warmPoolObserver.ts from the view (which slab is current, what the warm pool holds
// before and after each step), never from the allocator's own counters. Two properties:
//   'warm-pool-hit-rate'      prefill hits / slab switches >= half of what prefill guarantees in
//                             phase A alone, p/(p+1) over its switches;
//   'warm-pool-pushback-rate' push-back hits / slab switches >= WORKLOAD_PUSHBACK_THRESHOLD.
// Thresholds and the figures they come from: docs/kill-matrix.md. Statistics are the measurement
// here; correctness is judged by the invariants elsewhere (the workload runs without per-step checks).
//
// Repro files written before the split hold the allocation-only workload (phase A alone, fault
// name warm-pool-drops-slab): it is still recognised and judged by the prefill property alone.

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from './commandData.ts';
import { commandFromData } from './commands/index.ts';
import type { FailureName } from './runnerApi.ts';
import { Session } from './session.ts';
import { WarmPoolObserver } from './warmPoolObserver.ts';

/** 'warm-pool-pushback-rate' on the command workload passes at or above this share of slab switches. */
export const WORKLOAD_PUSHBACK_THRESHOLD = 0.1;

export interface WarmPoolWorkload {
  readonly cls: number;
  readonly commands: readonly CommandData[];
  /** Prefill hits / slab switches that prefill guarantees on phase A alone. */
  readonly idealRate: number;
  /** The allocation-only workload of repro files written before the split (prefill judged only). */
  readonly legacy: boolean;
}

/** The class the workload grows through: the thread-cache class with the fewest blocks per slab. */
function workloadClass(config: AllocatorConfig): number {
  for (let c = config.strides.length - 1; c >= 0; c--) if ((config.tinyHeapClasses & (1 << c)) === 0) return c;
  return -1;
}

function fillCommands(config: AllocatorConfig, withFrees: boolean): WarmPoolWorkload | null {
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
  const alloc: CommandData = { kind: 'alloc', thread: 0, size: stride - 1 };
  for (let i = 0; i < slabs * capacity; i++) commands.push(alloc);
  if (withFrees) {
    const freed = (prefill + 1) * capacity;
    for (let i = 0; i < freed; i++) commands.push({ kind: 'free', thread: 0, ref: 0 });
    for (let i = 0; i < freed; i++) commands.push(alloc);
  }
  return { cls, commands, idealRate: prefill / (prefill + 1), legacy: !withFrees };
}

/** The workload, or null when the config has no warm pool to measure (no prefill or no TLS class). */
export function warmPoolWorkload(config: AllocatorConfig): WarmPoolWorkload | null {
  return fillCommands(config, true);
}

/** The workload `commands` are, for this config: the current one, the pre-split one, or null. */
export function recognisedWorkload(config: AllocatorConfig, commands: readonly CommandData[]): WarmPoolWorkload | null {
  for (const w of [fillCommands(config, true), fillCommands(config, false)]) {
    if (w !== null && w.commands.length === commands.length && w.commands.every((c, i) => JSON.stringify(c) === JSON.stringify(commands[i]))) return w;
  }
  return null;
}

export interface WarmPoolHitRate {
  readonly passed: boolean;
  /** The property that failed first (prefill before push-back), or null. */
  readonly invariant: Extract<FailureName, 'warm-pool-hit-rate' | 'warm-pool-pushback-rate'> | null;
  readonly switches: number;
  readonly prefillHits: number;
  readonly pushbackHits: number;
  readonly prefillThreshold: number;
  readonly pushbackThreshold: number;
  readonly message: string;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Runs `commands` (no per-step checks) and judges the warm pool of class `w.cls` as observed through the view. */
export function measureWarmPoolHitRate(config: AllocatorConfig, commands: readonly CommandData[], w: Pick<WarmPoolWorkload, 'cls' | 'idealRate' | 'legacy'>): WarmPoolHitRate {
  const session = new Session(config, []);
  const observer = new WarmPoolObserver(session.view, 0);
  for (let i = 0; i < commands.length; i++) {
    const data = commands[i] as CommandData;
    const command = commandFromData(data);
    if (!command.check(session.model)) continue;
    session.execute(command, i + 1);
    if (data.kind === 'alloc' && data.thread === 0) observer.observe('alloc', w.cls);
    else if (data.kind === 'free' && data.thread === 0) observer.observe('free', w.cls);
  }
  const t = observer.byClass().find((x) => x.cls === w.cls) ?? { switches: 0, prefillHits: 0, pushbackHits: 0 };
  const prefillThreshold = w.idealRate / 2;
  const pushbackThreshold = w.legacy ? 0 : WORKLOAD_PUSHBACK_THRESHOLD;
  const prefillRate = t.switches === 0 ? 0 : t.prefillHits / t.switches;
  const pushbackRate = t.switches === 0 ? 0 : t.pushbackHits / t.switches;
  const figures = `class ${w.cls}: ${t.switches} slab switches, ${t.prefillHits} served by prefilled slabs, ${t.pushbackHits} by pushed-back slabs`;
  const common = { switches: t.switches, prefillHits: t.prefillHits, pushbackHits: t.pushbackHits, prefillThreshold, pushbackThreshold };
  if (prefillRate < prefillThreshold) {
    return { passed: false, invariant: 'warm-pool-hit-rate', ...common, message: `warm pool prefill hits ${pct(prefillRate)} of slab switches (${figures}); at least ${pct(prefillThreshold)} expected (half of the ${pct(w.idealRate)} that prefill guarantees)` };
  }
  if (pushbackRate < pushbackThreshold) {
    return { passed: false, invariant: 'warm-pool-pushback-rate', ...common, message: `warm pool push-back hits ${pct(pushbackRate)} of slab switches (${figures}); at least ${pct(pushbackThreshold)} expected after frees gave set-aside slabs blocks back` };
  }
  return { passed: true, invariant: null, ...common, message: `warm pool ${figures}` };
}

/** The check on a config: null when not applicable, else the measurement. */
export function checkWarmPoolHitRate(config: AllocatorConfig): (WarmPoolHitRate & { readonly workload: WarmPoolWorkload }) | null {
  const workload = warmPoolWorkload(config);
  if (workload === null) return null;
  return { ...measureWarmPoolHitRate(config, workload.commands, workload), workload };
}

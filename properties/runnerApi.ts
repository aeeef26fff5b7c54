// The contract between the property suite (properties/) and its users (the CLI, the kill matrix,
// the explorer, the benchmarks). Types, and one predicate on them.

import type { Allocator, AllocatorConfig, FaultName } from '../impl/index.ts';
import type { CommandData, InvariantName } from './commandData.ts';

/** A failure is an invariant of SPEC §7, a measured warm-pool property, an exception thrown by impl/, or a native target's own check. */
export type FailureName = InvariantName | MeasuredFailureName | 'internal-error' | NativeFailureName;

/** Checks only a native target (a C allocator in a child process, native/) has: docs/native.md. */
export type NativeFailureName = 'alignment' | 'no-crash' | 'no-hang';

/** The measured properties (SPEC §9's performance-only faults): their counterexample is a fixed workload, not a sequence to shrink. */
export type MeasuredFailureName = 'warm-pool-hit-rate' | 'warm-pool-pushback-rate';

export function isMeasuredFailure(name: FailureName): name is MeasuredFailureName {
  return name === 'warm-pool-hit-rate' || name === 'warm-pool-pushback-rate';
}

export interface StepRecord {
  /** 1-based step number. */
  readonly step: number;
  readonly command: CommandData;
  /** As a user would type it: `alloc(t1, 24)`, `free(t0, #3)`. */
  readonly text: string;
  readonly thread: number | null;
  /** What the implementation returned, printed: `0x00a01231`, `ok`, `double-free`, `0 (failed)`. */
  readonly result: string;
}

export type RunOutcome =
  | { readonly passed: true; readonly steps: number; readonly records?: readonly StepRecord[]; readonly allocator?: Allocator }
  | {
      readonly passed: false;
      readonly invariant: FailureName;
      /** 1-based step at which the invariant was first reported. */
      readonly step: number;
      readonly message: string;
      readonly steps: number;
      /** A slab the failing check pointed at, for the replay map (slabId), if any. */
      readonly slabId?: number;
      readonly records?: readonly StepRecord[];
      /** The allocator as it stood after the failing step (only with keepAllocator). */
      readonly allocator?: Allocator;
    };

export interface RunOptions {
  /** Keep a StepRecord per executed step. */
  readonly record?: boolean;
  readonly keepAllocator?: boolean;
  /**
   * After the run passes every invariant, also judge a measured property over the whole run
   * (a 'warm-pool-hit-rate' counterexample replays with this set to 'warm-pool-hit-rate').
   */
  readonly measure?: 'warm-pool-hit-rate';
}

export interface Counterexample {
  readonly profile: string;
  readonly config: AllocatorConfig;
  readonly faults: readonly FaultName[];
  readonly seed: number;
  /** fast-check replay path, when known. */
  readonly path: string | null;
  readonly commands: readonly CommandData[];
  readonly invariant: FailureName;
  readonly step: number;
  readonly message: string;
  /** The failing run's index in its profile (see properties/schedule.ts); null for the measured property. */
  readonly runIndex: number | null;
}

export interface SuiteOptions {
  readonly profiles: readonly string[];
  /** Runs per profile (default: the profile's share of the default budget). */
  readonly runs?: number;
  /** Wall-clock budget for the whole suite in ms (the CLI's --time); splits across profiles. */
  readonly timeMs?: number;
  readonly seed: number;
  readonly faults: readonly FaultName[];
  /** Config fields laid over every profile (`--config FILE`), validated by the caller. */
  readonly configOverrides?: Readonly<Record<string, unknown>>;
  /** Only the run indexes i with i mod count = index (properties/schedule.ts); default: all. */
  readonly shard?: { readonly index: number; readonly count: number };
  /**
   * K, the whole-check period while searching (default DEFAULT_WHOLE_EVERY in properties/session.ts;
   * 1 judges every step whole). Shrinking and the stored repro always judge every step whole.
   */
  readonly wholeEvery?: number;
  /** false: report the first failing run as generated, without fast-check's shrinking (default true). */
  readonly shrink?: boolean;
  /** After each run: runs done over all profiles, the total (0 with a time budget), the profile. */
  readonly onProgress?: (done: number, total: number, profile: string) => void;
}

export interface ProfileResult {
  readonly profile: string;
  readonly runs: number;
  readonly steps: number;
  readonly passed: boolean;
  /** Wall-clock time the profile's runs took (shrinking included). */
  readonly timeMs: number;
}

export interface SuiteResult {
  readonly passed: boolean;
  readonly seed: number;
  readonly steps: number;
  readonly profiles: readonly ProfileResult[];
  /** First failure found, after fast-check's own shrinking (not yet minimised further). */
  readonly counterexample: Counterexample | null;
}

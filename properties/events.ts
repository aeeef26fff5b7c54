// What a step did, as the invariants need to know it: the command's own observations (return
// values, the model's prediction made before the step, the state digests around a bad free).

import type { AllocatorStats, FreeResult } from '../impl/index.ts';
import type { ArgTarget, BadFreeKind, MisuseMethod } from './commandData.ts';
import type { AllocPrediction, FreeVerdictDetail, LiveBlock } from '../model/index.ts';
import type { StateDigest } from './digest.ts';

/** How the view classifies a returned pointer: a tiny SuperSlab, a pool region, or neither. */
export type ServedBy = 'tiny' | 'pool' | 'failed' | 'stray';

export type StepEvent =
  | {
      readonly kind: 'alloc';
      readonly thread: number;
      readonly sizeBytes: number;
      readonly prediction: AllocPrediction;
      readonly ptr: number;
      readonly servedBy: ServedBy;
      /** The live block the implementation handed out again, if it did. */
      readonly duplicateOf: LiveBlock | undefined;
      /** The model's new block (absent when failed, stray or duplicate). */
      readonly block: LiveBlock | undefined;
    }
  | { readonly kind: 'free'; readonly thread: number; readonly block: LiveBlock; readonly result: FreeResult; readonly remote: boolean }
  | { readonly kind: 'write'; readonly block: LiveBlock }
  | {
      readonly kind: 'check';
      readonly block: LiveBlock;
      /** First offset whose byte differs from the canary, or -1. */
      readonly mismatchOffset: number;
      readonly expectedByte: number;
      readonly actualByte: number;
    }
  | {
      readonly kind: 'badFree';
      readonly thread: number;
      readonly bad: BadFreeKind;
      readonly ptr: number;
      readonly expected: FreeVerdictDetail;
      readonly result: FreeResult;
      readonly before: StateDigest;
      readonly after: StateDigest;
      /** For 'stale': the address now lies in an unmapped region or a slab rebound/released since. */
      readonly reallyStale: boolean;
      readonly description: string;
    }
  | { readonly kind: 'drain'; readonly thread: number; readonly cls: number }
  | { readonly kind: 'flush'; readonly thread: number }
  | { readonly kind: 'threadExit'; readonly thread: number }
  | { readonly kind: 'setSoftCap'; readonly cls: number; readonly cap: number }
  | { readonly kind: 'setRouteProfile' }
  | { readonly kind: 'trim' }
  | {
      /** usableSize(ptr): the model predicts the exact answer (stride − 1, the walked chunk's payload, or 0). */
      readonly kind: 'usableSize';
      readonly call: string;
      readonly target: ArgTarget;
      readonly ptr: number;
      readonly expected: number;
      /** The answer, or the exception's text. */
      readonly got: number | string;
    }
  | {
      /** readBytes / writeBytes on an argument of some class: the model predicts bytes back or a RangeError. */
      readonly kind: 'readBytes' | 'writeBytes';
      readonly call: string;
      readonly target: ArgTarget;
      readonly ptr: number;
      readonly expectRangeError: boolean;
      /** null when the call returned; else `${name}: ${message}` of what it threw. */
      readonly threw: string | null;
      readonly threwRangeError: boolean;
      /** readBytes of a live block: first offset whose byte differs from the block's canary, or -1. */
      readonly mismatchOffset: number;
      /** writeBytes that must be refused: the state digests around it (nothing may change). */
      readonly before?: StateDigest;
      readonly after?: StateDigest;
    }
  | {
      /** A public method called with an argument outside its domain: a RangeError (or free's error kind) and no change. */
      readonly kind: 'misuse';
      readonly method: MisuseMethod;
      readonly call: string;
      /** 'RangeError', or the free result the model predicts ('ok' for null, 'invalid-pointer'). */
      readonly expected: string;
      readonly got: string;
      /** The step makes every misuse of the method: call/expected/got are the first answered otherwise, else the last. */
      /** Frees among them answered with an error kind (each counts as a bad free). */
      readonly rejectedFrees: number;
      readonly before: StateDigest;
      readonly after: StateDigest;
    }
  | { readonly kind: 'stats'; readonly reported: AllocatorStats }
  | { readonly kind: 'osLimit'; readonly limit: number | null }
  | { readonly kind: 'osRefuse'; readonly count: number }
  /** A command that turned out not applicable once the pre-step view was known (nothing executed). */
  | { readonly kind: 'skipped'; readonly why: string };

export interface StepOutcome {
  readonly event: StepEvent;
  /** Printed result for the step record: `0x00a01231`, `ok`, `double-free`, `0 (failed)`. */
  readonly result: string;
  /**
   * An exception impl/ threw after the command's main call returned (e.g. writeBytes refusing the
   * pointer alloc just gave out). The invariants judge the state first, so that a named invariant
   * reports the cause; only if none fires does the step fail as 'internal-error'.
   */
  readonly deferredError?: string;
}

export function hex(addr: number): string {
  return `0x${(addr >>> 0).toString(16).padStart(8, '0')}`;
}

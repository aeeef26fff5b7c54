// The command protocol shared by the fast-check run and by runCommands: a command is plain data
// (`data`), an applicability test that only reads the model (`check`), the stepping logic (`run`)
// that drives the implementation and updates the model, and its text as a user would type it.

import type { Allocator, AllocatorConfig, AllocatorView, TestHooks } from '../../impl/index.ts';
import type { Model } from '../../model/index.ts';
import { regionBaseOf } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { ServedBy, StepOutcome } from '../events.ts';

/** What a command may touch while it runs. */
export interface StepTarget {
  readonly config: AllocatorConfig;
  readonly allocator: Allocator;
  readonly view: AllocatorView;
  readonly hooks: TestHooks;
  readonly model: Model;
}

export interface SuiteCommand {
  readonly data: CommandData;
  /** Applicable in this model state? Reads the model only. */
  check(model: Model): boolean;
  run(target: StepTarget): StepOutcome;
  /**
   * The same command with its refs resolved against the state it runs in: the non-negative index
   * (into the live list or the graveyard) of exactly what it will name. Replaying the normalised
   * command from the same state does the same thing; counterexamples are stored this way.
   */
  normalize(target: StepTarget): CommandData;
  toString(): string;
}

/** A ref taken modulo a list length, as a non-negative index (0 for an empty list). */
export function normalizeRef(ref: number, length: number): number {
  return length === 0 ? 0 : ((ref % length) + length) % length;
}

export function validThread(model: Model, thread: number): boolean {
  return Number.isInteger(thread) && thread >= 0 && thread < model.config.threads;
}

export function validClass(model: Model, cls: number): boolean {
  return Number.isInteger(cls) && cls >= 0 && cls < model.config.strides.length;
}

/** Which kind of region a returned pointer lies in, judged from the view's mapped regions. */
export function servedBy(target: StepTarget, ptr: number): ServedBy {
  if (ptr === 0) return 'failed';
  const base = regionBaseOf(target.config, ptr - 1);
  const region = target.view.mappedRegions().find((r) => r.base === base);
  if (region === undefined) return 'stray';
  return region.kind === 'superslab' ? 'tiny' : 'pool';
}

// One run: an allocator, its model, and the step loop shared by the fast-check property and by
// runCommands. A step runs the command (an exception from impl/ is an 'internal-error'), then every
// invariant in check order against the post-step state; the post-step snapshot becomes the next
// step's pre-step snapshot.

import type { Allocator, AllocatorConfig, TestHooks } from '../impl/index.ts';
import { cloneAllocator, createAllocator, testHooks } from '../impl/index.ts';
import { Model } from '../model/index.ts';
import type { CheckContext, Invariant, StepSnapshot } from './checkContext.ts';
import { CheckContext as Ctx, PostState, takeSnapshot } from './checkContext.ts';
import type { SuiteCommand, StepTarget } from './commands/index.ts';
import type { StepOutcome } from './events.ts';
import { INVARIANTS } from './invariants/index.ts';
import type { FailureName } from './runnerApi.ts';

export interface StepFailure {
  readonly invariant: FailureName;
  readonly message: string;
  readonly slabId?: number;
}

export interface StepReport {
  readonly outcome: StepOutcome | null;
  readonly failure: StepFailure | null;
}

/** Called after every executed step that passed its checks (the reach table listens here). */
export type StepObserver = (ctx: CheckContext) => void;

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

export class Session implements StepTarget {
  readonly config: AllocatorConfig;
  readonly allocator: Allocator;
  readonly hooks: TestHooks;
  readonly model: Model;
  readonly invariants: readonly Invariant[];
  private pre: StepSnapshot;
  private readonly observers: StepObserver[] = [];
  stepsExecuted = 0;
  /** Context of the last executed step (tests judge single invariants on it). */
  lastContext: CheckContext | null = null;

  constructor(config: AllocatorConfig, invariants: readonly Invariant[] = INVARIANTS) {
    this.config = config;
    this.allocator = createAllocator(config);
    this.hooks = testHooks(this.allocator);
    this.model = new Model(config);
    this.invariants = invariants;
    this.pre = takeSnapshot(new PostState(this.allocator.view), this.model);
  }

  /**
   * A deep, independent copy (allocator, model) that checks with `invariants`; the pre-step
   * snapshot is immutable and shared; observers are not copied.
   */
  clone(invariants: readonly Invariant[] = this.invariants): Session {
    const copy = Object.create(Session.prototype) as Session;
    const allocator = cloneAllocator(this.allocator);
    Object.assign(copy, {
      config: this.config,
      allocator,
      hooks: testHooks(allocator),
      model: this.model.clone(),
      invariants,
      pre: this.pre,
      observers: [],
      stepsExecuted: this.stepsExecuted,
    });
    return copy;
  }

  get view() {
    return this.allocator.view;
  }

  observe(observer: StepObserver): void {
    this.observers.push(observer);
  }

  /** Re-reads the pre-step snapshot (after a test hook broke the state on purpose). */
  resnapshot(): void {
    this.pre = takeSnapshot(new PostState(this.allocator.view), this.model);
  }

  /** Runs one applicable command (the caller has checked `check(model)`) and every invariant. */
  execute(command: SuiteCommand, step: number): StepReport {
    let outcome: StepOutcome;
    try {
      outcome = command.run(this);
    } catch (e) {
      return { outcome: null, failure: { invariant: 'internal-error', message: `${command.toString()} threw ${errorText(e)}` } };
    }
    this.stepsExecuted++;
    const ctx = new Ctx({ allocator: this.allocator, model: this.model, step, command: command.data, event: outcome.event, pre: this.pre });
    this.lastContext = ctx;
    const failure = this.checkAll(ctx);
    this.pre = takeSnapshot(ctx.post, this.model);
    if (failure !== null) return { outcome, failure };
    if (outcome.deferredError !== undefined) return { outcome, failure: { invariant: 'internal-error', message: outcome.deferredError } };
    for (const o of this.observers) o(ctx);
    return { outcome, failure: null };
  }

  /** Every invariant in check order; the first violation wins. */
  checkAll(ctx: CheckContext): StepFailure | null {
    for (const inv of this.invariants) {
      let v;
      try {
        v = inv.check(ctx);
      } catch (e) {
        // A state so broken that the check could not even read it is a violation of that invariant.
        v = { message: `the check could not read the state: ${errorText(e)}` };
      }
      if (v !== null) return { invariant: inv.name, message: v.message, ...(v.slabId !== undefined ? { slabId: v.slabId } : {}) };
    }
    return null;
  }
}

// One run: an allocator, its model, and the step loop shared by the fast-check property and by
// runCommands. A step runs the command (an exception from impl/ is an 'internal-error'), then every
// invariant in check order against the post-step state; the post-step snapshot becomes the next
// step's pre-step snapshot.

import type { Allocator, AllocatorConfig, TestHooks } from '../impl/index.ts';
import { cloneAllocator, createAllocator, restoreAllocator, testHooks } from '../impl/index.ts';
import { Model } from '../model/index.ts';
import type { CheckContext, Invariant, StepSnapshot, WalkLogs } from './checkContext.ts';
import { CheckContext as Ctx, PostState, takeSnapshot } from './checkContext.ts';
import type { SuiteCommand, StepTarget } from './commands/index.ts';
import type { StepOutcome } from './events.ts';
import { stepScope } from './stepScope.ts';
import type { CommandData } from './commandData.ts';
import type { Violation } from './checkContext.ts';
import { canaryMismatch } from './invariants/blocks.ts';
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

/** A step run but not yet judged, or the report of the exception it threw. */
export type RanStep = { readonly ok: true; readonly outcome: StepOutcome; readonly ctx: CheckContext } | { readonly ok: false; readonly report: StepReport };

export type JudgeScope = 'all' | 'step' | 'trusted';

/**
 * K, the whole-check period of the search (issue 13, docs/invariants.md "Incremental checks"): a
 * step of a fast-check run judges every step part and, block by block, only what the step could
 * have changed (properties/stepScope.ts); every K-th step and the end of every run judge the whole
 * state. Shrinking, replay, minimize and the repro writer judge every step whole (K = 1), so
 * repros and their lengths do not depend on K. Chosen by measurement (docs/invariants.md); K <= 64.
 */
export const DEFAULT_WHOLE_EVERY = 16;
export const MAX_WHOLE_EVERY = 64;

export interface SessionOptions {
  /** Judge the whole state every this many executed steps (1: every step). */
  readonly wholeEvery?: number;
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
  /** Made on first use: copies made by the explorer never need them. */
  private madeHooks: TestHooks | null = null;
  readonly model: Model;
  readonly invariants: readonly Invariant[];
  private pre: StepSnapshot;
  /** The last judged step's post state, not yet snapshotted (see settlePre). */
  private pendingPost: PostState | null = null;
  private readonly observers: StepObserver[] = [];
  stepsExecuted = 0;
  /** Context of the last executed step (tests judge single invariants on it). */
  lastContext: CheckContext | null = null;
  /** K: see DEFAULT_WHOLE_EVERY. */
  readonly wholeEvery: number;
  /** Steps judged incrementally since the state was last judged whole. */
  private sinceWhole = 0;
  /** The last judged step's list walks (checkContext.ts WalkLogs), for the next incremental step. */
  private walkLogs: WalkLogs | null = null;

  constructor(config: AllocatorConfig, invariants: readonly Invariant[] = INVARIANTS, options: SessionOptions = {}) {
    const k = options.wholeEvery ?? 1;
    if (!Number.isInteger(k) || k < 1 || k > MAX_WHOLE_EVERY) throw new RangeError(`wholeEvery must be an integer from 1 to ${MAX_WHOLE_EVERY}, got ${k}`);
    this.wholeEvery = k;
    this.config = config;
    this.allocator = createAllocator(config);
    this.model = new Model(config);
    this.invariants = invariants;
    this.pre = takeSnapshot(new PostState(this.allocator.view), this.model);
  }

  /**
   * A deep, independent copy (allocator, model) that checks with `invariants`; the pre-step
   * snapshot is immutable and shared; observers are not copied.
   */
  clone(invariants: readonly Invariant[] = this.invariants): Session {
    this.settlePre();
    const copy = Object.create(Session.prototype) as Session;
    const allocator = cloneAllocator(this.allocator);
    Object.assign(copy, {
      config: this.config,
      allocator,
      madeHooks: null,
      model: this.model.clone(),
      invariants,
      pre: this.pre,
      pendingPost: null,
      observers: [],
      stepsExecuted: this.stepsExecuted,
      wholeEvery: this.wholeEvery,
      sinceWhole: this.sinceWhole,
      walkLogs: this.walkLogs,
      lastContext: this.lastContext,
    });
    return copy;
  }

  /**
   * Makes this session an independent copy of `source` (same config) in place, as `clone` would
   * make one, but overwriting this session's allocator buffers instead of allocating new ones (the
   * explorer's per-transition copy); it keeps its own invariants.
   */
  restoreFrom(source: Session): void {
    source.settlePre();
    restoreAllocator(this.allocator, source.allocator);
    Object.assign(this, { madeHooks: null, model: source.model.clone(), pre: source.pre, pendingPost: null, stepsExecuted: source.stepsExecuted, lastContext: source.lastContext, sinceWhole: source.sinceWhole, walkLogs: source.walkLogs });
  }

  get hooks(): TestHooks {
    this.madeHooks ??= testHooks(this.allocator);
    return this.madeHooks;
  }

  get view() {
    return this.allocator.view;
  }

  observe(observer: StepObserver): void {
    this.observers.push(observer);
  }

  /** Runs one applicable command (the caller has checked `check(model)`) and every invariant. */
  execute(command: SuiteCommand, step: number): StepReport {
    const ran = this.run(command, step);
    return ran.ok ? this.judge(ran, 'all') : ran.report;
  }

  /**
   * Runs one applicable command without judging it: the step to hand to `judge`, or the report of
   * an exception thrown from impl/ (an 'internal-error'). The explorer runs, fingerprints the
   * post-step state, then judges.
   */
  run(command: SuiteCommand, step: number): RanStep {
    this.settlePre();
    // Incremental checks: a free or a write ends the evidence of a corruption of the block it names
    // (it leaves the live set, or gets new bytes). Judge that block's bytes first if the state has
    // not been judged whole since (a corruption of a slab no step named would otherwise be lost).
    if (this.sinceWhole > 0) {
      const evidence = unjudgedCorruption(this, command.data);
      if (evidence !== null) return { ok: false, report: { outcome: null, failure: { invariant: 'data-integrity', message: `before ${command.toString()}: ${evidence.message}`, ...(evidence.slabId !== undefined ? { slabId: evidence.slabId } : {}) } } };
    }
    let outcome: StepOutcome;
    try {
      outcome = command.run(this);
    } catch (e) {
      return { ok: false, report: { outcome: null, failure: { invariant: 'internal-error', message: `${command.toString()} threw ${errorText(e)}` } } };
    }
    this.stepsExecuted++;
    const ctx = new Ctx({ allocator: this.allocator, model: this.model, step, command: command.data, event: outcome.event, pre: this.pre });
    this.lastContext = ctx;
    return { ok: true, outcome, ctx };
  }

  /**
   * Judges a step just run (the last one): with 'all' every part of every invariant; with 'step'
   * only their step parts — for a post-step state already judged whole (state parts give the same
   * verdict on the same state); with 'trusted', nothing — for replaying a path whose steps were
   * judged before. The post-step state becomes the next step's pre-step snapshot.
   */
  judge(ran: RanStep & { ok: true }, scope: JudgeScope): StepReport {
    const { outcome, ctx } = ran;
    if (scope === 'all') {
      // Incremental unless this is the K-th step since the last whole judgement.
      if (this.sinceWhole + 1 < this.wholeEvery) {
        this.scopeIncrementally(ctx);
        this.sinceWhole++;
      } else this.sinceWhole = 0;
    }
    const failure = scope === 'trusted' ? null : this.checkAll(ctx, scope === 'step' ? 'step' : 'all');
    this.walkLogs = ctx.post.walkedLogs;
    this.pendingPost = ctx.post;
    if (failure !== null) return { outcome, failure };
    if (outcome.deferredError !== undefined) return { outcome, failure: { invariant: 'internal-error', message: outcome.deferredError } };
    for (const o of this.observers) o(ctx);
    return { outcome, failure: null };
  }

  /**
   * Makes `ctx` an incremental step's: its scope (properties/stepScope.ts, with the slabs of blocks
   * that left a changed thread cache, from the last walk), and the list walks its heap walk may
   * reuse — of slabs the scope leaves out, and of thread caches of other threads than the one the
   * command names, none of whose nodes lies in a slab in scope.
   */
  private scopeIncrementally(ctx: CheckContext): void {
    const scope = stepScope(ctx);
    ctx.scope = scope;
    const prior = this.walkLogs;
    if (prior === null) return;
    for (const index of scope.changedCaches) for (const id of prior.caches.get(index)?.slabIds ?? []) scope.slabs.add(id);
    const named = 'thread' in ctx.command ? ctx.command.thread : -1;
    const classCount = ctx.view.classCount;
    ctx.post.walkReuse = {
      slab: (id) => (scope.slabs.has(id) ? undefined : prior.slabs.get(id)),
      cache: (index) => {
        const log = prior.caches.get(index);
        if (log === undefined || Math.floor(index / classCount) === named) return undefined;
        for (const id of log.slabIds) if (scope.slabs.has(id)) return undefined;
        return log;
      },
    };
  }

  /**
   * Judges the state parts of every invariant on the last step's post state, whole, if a step since
   * the last whole judgement was judged incrementally (the end of a run). Null if nothing fails.
   */
  finishRun(): StepFailure | null {
    const last = this.lastContext;
    if (this.sinceWhole === 0 || last === null) return null;
    this.sinceWhole = 0;
    // A fresh post state (scope null, nothing reused): the last step's walk may have reused the
    // walks of lists outside its scope.
    const ctx = new Ctx({ allocator: this.allocator, model: this.model, step: last.step, command: last.command, event: last.event, pre: last.pre });
    this.pendingPost = ctx.post;
    return this.checkAll(ctx, 'state');
  }

  /**
   * The pre-step snapshot is taken lazily, just before the next step runs (so copies the explorer
   * discards never pay for one). It is the state the step starts from: a test hook's corruption
   * between two steps is part of it.
   */
  private settlePre(): void {
    if (this.pendingPost === null) return;
    this.pre = takeSnapshot(this.pendingPost, this.model);
    this.pendingPost = null;
  }

  /** Every invariant in check order (all parts, or only the step or the state parts); the first violation wins. */
  checkAll(ctx: CheckContext, parts: 'all' | 'step' | 'state' = 'all'): StepFailure | null {
    for (const inv of this.invariants) {
      let v;
      try {
        v = parts === 'all' ? inv.check(ctx) : parts === 'step' ? (inv.checkStep?.(ctx) ?? null) : (inv.checkState?.(ctx) ?? null);
      } catch (e) {
        // A state so broken that the check could not even read it is a violation of that invariant.
        v = { message: `the check could not read the state: ${errorText(e)}` };
      }
      if (v !== null) return { invariant: inv.name, message: v.message, ...(v.slabId !== undefined ? { slabId: v.slabId } : {}) };
    }
    return null;
  }
}

/** The first canary byte of the live block a free or write names that differs from what was written, or null. */
function unjudgedCorruption(session: Session, data: CommandData): Violation | null {
  if (data.kind !== 'free' && data.kind !== 'write') return null;
  const block = session.model.liveAt(data.ref);
  return block === undefined ? null : canaryMismatch(session.view, block);
}

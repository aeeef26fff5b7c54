// Checker throughput (issue 7): steps per second of the property suite with the model and every
// per-step invariant, beside the SAME command stream replayed on the implementation alone.
//
// The stream: `count` programs sampled from the suite's own program arbitrary
// (makeProgramArbitrary(config)) with a fixed fast-check seed, kept as plain CommandData.
//   checked    every program through a fresh Session, exactly as the suite steps it: a command
//              check() rejects is skipped, every other one is executed and followed by every
//              invariant of SPEC §7 (model updates, canary writes, snapshots included).
//   impl-only  the same executed steps as direct calls on a fresh createAllocator(config): refs
//              resolved against a plain array of live pointers (push on a successful alloc, splice
//              on free: the model's own order, so #ref names the same block); write(#r) writes
//              that many bytes of a scratch buffer, check(#r) reads them back (no comparison);
//              a bad free issues the very pointer the checked run aimed at (the suite computes it
//              from the model's graveyard and the view, which is checker work), a forged one
//              pokes the header byte through testHooks, frees, restores, as the suite does; a bad
//              free the suite skipped (nothing to aim at) is a no-op step. Nothing is checked, no
//              canary is written at alloc.
// Both sides process the same number of steps (the checked run's executed steps). A first,
// untimed checked pass records what the impl-only side needs (which commands ran, the pointers of
// bad frees) and every pointer alloc returned; a first, untimed impl-only pass verifies that it
// gets the very same pointers (otherwise the streams would differ and the bench stops).
// Also reported: the whole fast-check search (checkProfile: generation + replay + checks) at the
// same seed, the figure a user of `alloc-check run` sees.

import fc from 'fast-check';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { SuiteCommand } from '../properties/commands/index.ts';
import type { StepEvent } from '../properties/events.ts';
import type { SuiteModule } from './bundle.ts';

export const CHECKER_SEED = 42;

/** Only the checked passes over the sampled programs (what bench/profile.ts profiles). Returns the steps executed. */
export function checkedPasses(suite: SuiteModule, profile: string, programs: number, passes: number): number {
  const config = suite.profileConfig(profile);
  const cmds = sampleStreams(suite, config, programs).map((s) => s.map(suite.commandFromData));
  let steps = 0;
  for (let p = 0; p < passes; p++) for (const c of cmds) steps += runChecked(suite, config, c);
  return steps;
}

export interface CheckerProfileFigures {
  readonly profile: string;
  readonly programs: number;
  /** Commands generated (skipped ones included). */
  readonly commands: number;
  /** Steps executed per pass, the same on both sides. */
  readonly steps: number;
  readonly checkedStepsPerSec: number;
  readonly implOnlyStepsPerSec: number;
  /** checked / impl-only (1/5 is the target's alternative floor). */
  readonly checkedOverImplOnly: number;
  readonly checkedSeconds: number;
  readonly implOnlySeconds: number;
  /** Share of the impl-only time spent in createAllocator (one per program, on both sides). */
  readonly implOnlyCreateShare: number;
  /** fast-check's search over the same number of runs at the same seed (generation included). */
  readonly suiteStepsPerSec: number;
  readonly suiteSteps: number;
}

/** One executed step, as the implementation-alone replay runs it. */
type BareOp =
  | { readonly k: 'alloc'; readonly t: number; readonly size: number }
  | { readonly k: 'free'; readonly t: number; readonly ref: number }
  | { readonly k: 'write'; readonly ref: number }
  | { readonly k: 'check'; readonly ref: number }
  | { readonly k: 'drain'; readonly t: number; readonly cls: number }
  | { readonly k: 'flush'; readonly t: number }
  | { readonly k: 'threadExit'; readonly t: number }
  | { readonly k: 'setSoftCap'; readonly cls: number; readonly cap: number }
  | { readonly k: 'setRouteProfile'; readonly profile: Extract<CommandData, { kind: 'setRouteProfile' }>['profile'] }
  | { readonly k: 'trim' }
  | { readonly k: 'osLimit'; readonly limit: number | null }
  | { readonly k: 'osRefuse'; readonly count: number }
  | { readonly k: 'badFree'; readonly t: number; readonly ptr: number; readonly forgedXor: number }
  | { readonly k: 'nop' };

interface Recorded {
  readonly ops: readonly BareOp[];
  /** Every pointer alloc returned in the checked run, in order (0 for a failure). */
  readonly allocPtrs: readonly number[];
  /** Whether a forged-header bad free is among the ops (it needs testHooks). */
  readonly forged: boolean;
}

type Allocator = ReturnType<SuiteModule['createAllocator']>;

function sampleStreams(suite: SuiteModule, config: AllocatorConfig, count: number): CommandData[][] {
  const programs = fc.sample(suite.makeProgramArbitrary(config), { seed: CHECKER_SEED, numRuns: count });
  return programs.map((p) => p.commands.map((c) => c.data));
}

/** The checked run of one program; with `rec`, what the impl-only replay needs. Returns executed steps. */
function runChecked(suite: SuiteModule, config: AllocatorConfig, commands: readonly SuiteCommand[], rec?: { ops: BareOp[]; allocPtrs: number[] }): number {
  // run's default path: incremental checks, the whole state every K steps and at the end of the run.
  const session = new suite.Session(config, undefined, { wholeEvery: suite.DEFAULT_WHOLE_EVERY });
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i] as SuiteCommand;
    if (!command.check(session.model)) continue;
    const report = session.execute(command, i + 1);
    if (report.failure !== null) throw new Error(`checker bench: the clean suite failed (${report.failure.invariant} at step ${i + 1}: ${report.failure.message})`);
    if (rec !== undefined) {
      const event = report.outcome?.event;
      if (event?.kind === 'alloc') rec.allocPtrs.push(event.ptr);
      rec.ops.push(bareOpOf(command.data, event));
    }
  }
  const last = session.finishRun();
  if (last !== null) throw new Error(`checker bench: the clean suite failed (${last.invariant} at the end of a run: ${last.message})`);
  return session.stepsExecuted;
}

function bareOpOf(d: CommandData, event: StepEvent | undefined): BareOp {
  switch (d.kind) {
    case 'alloc':
      return { k: 'alloc', t: d.thread, size: d.size };
    case 'free':
      return { k: 'free', t: d.thread, ref: d.ref };
    case 'write':
      return { k: 'write', ref: d.ref };
    case 'check':
      return { k: 'check', ref: d.ref };
    case 'drain':
      return { k: 'drain', t: d.thread, cls: d.cls };
    case 'flush':
      return { k: 'flush', t: d.thread };
    case 'threadExit':
      return { k: 'threadExit', t: d.thread };
    case 'setSoftCap':
      return { k: 'setSoftCap', cls: d.cls, cap: d.cap };
    case 'setRouteProfile':
      return { k: 'setRouteProfile', profile: d.profile };
    case 'trim':
      return { k: 'trim' };
    case 'osLimit':
      return { k: 'osLimit', limit: d.limit };
    case 'osRefuse':
      return { k: 'osRefuse', count: d.count };
    case 'badFree':
      if (event?.kind !== 'badFree') return { k: 'nop' };
      // The suite's forged byte: header ^ (1 + offset % 255).
      return { k: 'badFree', t: d.thread, ptr: event.ptr, forgedXor: d.bad === 'forged' ? 1 + (d.offset % 255) : 0 };
    case 'usableSize':
    case 'readBytes':
    case 'writeBytes':
    case 'misuse':
    case 'stats':
      return { k: 'nop' }; // queries and refused calls: no state the implementation-only replay needs
  }
}

/** The implementation alone. Returns the steps processed; with `verify`, compares every alloc's pointer. */
function runBare(suite: SuiteModule, config: AllocatorConfig, rec: Recorded, scratch: Uint8Array, verify?: { at: number }): number {
  const ops = rec.ops;
  const a: Allocator = suite.createAllocator(config);
  const hooks = rec.forged ? suite.testHooks(a) : null;
  const live: number[] = [];
  const sizes: number[] = [];
  const at = (ref: number): number => {
    const n = live.length;
    return ((ref % n) + n) % n;
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as BareOp;
    switch (op.k) {
      case 'alloc': {
        const p = a.alloc(op.t, op.size);
        if (verify !== undefined && p !== rec.allocPtrs[verify.at++]) throw new Error(`checker bench: the impl-only replay diverged at step ${i + 1} (alloc returned ${p}, the checked run ${rec.allocPtrs[verify.at - 1]})`);
        if (p !== 0) {
          live.push(p);
          sizes.push(op.size);
        }
        break;
      }
      case 'free': {
        const j = at(op.ref);
        const p = live[j] as number;
        live.splice(j, 1);
        sizes.splice(j, 1);
        const r = a.free(op.t, p);
        if (verify !== undefined && !r.ok) throw new Error(`checker bench: the impl-only replay diverged at step ${i + 1} (free rejected)`);
        break;
      }
      case 'write': {
        const j = at(op.ref);
        const size = sizes[j] as number;
        if (size > 0) a.writeBytes(live[j] as number, scratch.subarray(0, size));
        break;
      }
      case 'check': {
        const j = at(op.ref);
        const size = sizes[j] as number;
        if (size > 0) a.readBytes(live[j] as number, size);
        break;
      }
      case 'drain':
        a.drain(op.t, op.cls);
        break;
      case 'flush':
        a.flush(op.t);
        break;
      case 'threadExit':
        a.threadExit(op.t);
        break;
      case 'setSoftCap':
        a.setSoftCap(op.cls, op.cap);
        break;
      case 'setRouteProfile':
        a.setRouteProfile(op.profile);
        break;
      case 'trim':
        a.trim();
        break;
      case 'osLimit':
        a.setOsMapLimit(op.limit);
        break;
      case 'osRefuse':
        a.refuseMaps(op.count);
        break;
      case 'badFree': {
        let r;
        if (op.forgedXor !== 0) {
          if (hooks === null) throw new Error('checker bench: a forged bad free without testHooks');
          const h = op.ptr - 1;
          const restore = a.view.readU8(h);
          hooks.pokeU8(h, (restore ^ op.forgedXor) & 0xff);
          r = a.free(op.t, op.ptr);
          hooks.pokeU8(h, restore);
        } else {
          r = a.free(op.t, op.ptr);
        }
        if (verify !== undefined && r.ok) throw new Error(`checker bench: the impl-only replay diverged at step ${i + 1} (a bad free was accepted)`);
        break;
      }
      case 'nop':
        break;
    }
  }
  return ops.length;
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Best (shortest) of `repeats` timed passes. */
function bestOf(repeats: number, pass: () => void): number {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    pass();
    best = Math.min(best, seconds(t0));
  }
  return best;
}

export interface CheckerPlan {
  readonly profile: string;
  /** Config fields laid over the profile (`--config FILE`). */
  readonly overrides?: Readonly<Record<string, unknown>>;
  readonly programs: number;
  readonly checkedRepeats: number;
  readonly implOnlyRepeats: number;
}

export function runCheckerProfile(suite: SuiteModule, plan: CheckerPlan): CheckerProfileFigures {
  const config = suite.profileConfig(plan.profile, (plan.overrides ?? {}) as Partial<AllocatorConfig>);
  const streams = sampleStreams(suite, config, plan.programs);
  const programs = streams.map((s) => s.map(suite.commandFromData));

  // Untimed first pass (also warms the JIT): what the impl-only replay needs.
  const recorded: Recorded[] = programs.map((cmds) => {
    const rec = { ops: [] as BareOp[], allocPtrs: [] as number[] };
    runChecked(suite, config, cmds, rec);
    return { ...rec, forged: rec.ops.some((o) => o.k === 'badFree' && o.forgedXor !== 0) };
  });
  const steps = recorded.reduce((s, r) => s + r.ops.length, 0);
  let maxSize = 1;
  for (const s of streams) for (const c of s) if (c.kind === 'alloc') maxSize = Math.max(maxSize, c.size);
  const scratch = new Uint8Array(maxSize).fill(0xa5);
  // Untimed: the impl-only replay must hand out exactly what the checked run got.
  for (const r of recorded) runBare(suite, config, r, scratch, { at: 0 });

  let checkedSteps = 0;
  const checkedSeconds = bestOf(plan.checkedRepeats, () => {
    checkedSteps = 0;
    for (const cmds of programs) checkedSteps += runChecked(suite, config, cmds);
  });
  if (checkedSteps !== steps) throw new Error(`checker bench: the checked run executed ${checkedSteps} steps, the recording ${steps}`);
  const implOnlySeconds = bestOf(plan.implOnlyRepeats, () => {
    for (const r of recorded) runBare(suite, config, r, scratch);
  });
  const createSeconds = bestOf(plan.implOnlyRepeats, () => {
    for (let i = 0; i < recorded.length; i++) suite.createAllocator(config);
  });

  // The whole search, as `alloc-check run` does it (fast-check generation, replay, checks).
  const t0 = process.hrtime.bigint();
  const search = suite.checkProfile(config, { seed: CHECKER_SEED, runs: plan.programs });
  const searchSeconds = seconds(t0);
  if (search.details.failed) throw new Error(`checker bench: the clean search failed on ${plan.profile}`);

  const checkedStepsPerSec = steps / checkedSeconds;
  const implOnlyStepsPerSec = steps / implOnlySeconds;
  return {
    profile: plan.profile,
    programs: plan.programs,
    commands: streams.reduce((s, x) => s + x.length, 0),
    steps,
    checkedStepsPerSec,
    implOnlyStepsPerSec,
    checkedOverImplOnly: checkedStepsPerSec / implOnlyStepsPerSec,
    checkedSeconds,
    implOnlySeconds,
    implOnlyCreateShare: Math.min(1, createSeconds / implOnlySeconds),
    suiteStepsPerSec: search.steps / searchSeconds,
    suiteSteps: search.steps,
  };
}

export interface CheckerFigures {
  /** The default profile (2 MiB SuperSlabs: the whole-heap checks walk them). */
  readonly default: CheckerProfileFigures;
  /** The tiny profile (512-byte SuperSlabs: the checks are cheap). */
  readonly tiny: CheckerProfileFigures;
  /** With `--config FILE`: the engineer's configuration. */
  readonly custom?: CheckerProfileFigures;
}

export function runCheckerBench(suite: SuiteModule, scale: number, custom?: { readonly profile: string; readonly overrides: Readonly<Record<string, unknown>> }): CheckerFigures {
  const n = (base: number): number => Math.max(10, Math.round(base * scale));
  return {
    default: runCheckerProfile(suite, { profile: 'default', programs: n(200), checkedRepeats: 3, implOnlyRepeats: 10 }),
    tiny: runCheckerProfile(suite, { profile: 'tiny', programs: n(1000), checkedRepeats: 3, implOnlyRepeats: 10 }),
    ...(custom !== undefined ? { custom: runCheckerProfile(suite, { profile: custom.profile, overrides: custom.overrides, programs: n(500), checkedRepeats: 3, implOnlyRepeats: 10 }) } : {}),
  };
}

// Judging a native run from outside: the model (model/) replays the commands beside the driver's
// reports, and every check that needs no introspection is applied after every step —
// no-double-allocation (live [ptr, ptr + usable) intervals disjoint), alignment, usable-size,
// data-integrity (canaries, re-read by the driver after every step and at every free), no-crash,
// no-hang, a free of a live block returning, bad frees (with `abort-ok`), and with the hakmem
// layout the SPEC's header byte and class usable size. The result is the suite's RunOutcome, so
// the project's minimiser and report code work unchanged.

import { match, P } from 'ts-pattern';
import type { AllocatorConfig } from '../impl/index.ts';
import { headerByteOf, Model, modelClassOfSize, POOL_CLASS } from '../model/index.ts';
import type { LiveBlock } from '../model/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { commandText } from '../properties/commands/index.ts';
import type { FailureName, RunOutcome, StepRecord } from '../properties/runnerApi.ts';
import type { DriverRun } from './driverProcess.ts';
import type { NativeOptions } from './target.ts';

export const hexPtr = (p: number): string => `0x${p.toString(16)}`;

/** min(16, the largest power of two <= size); 1 for size 0 (jemalloc and mimalloc give 8-byte requests 8). */
export function requiredAlignment(sizeBytes: number): number {
  if (sizeBytes <= 1) return 1;
  let a = 1;
  while (a * 2 <= sizeBytes && a < 16) a *= 2;
  return a;
}

function threadOf(c: CommandData): number | null {
  return 'thread' in c ? c.thread : null;
}

interface Failure {
  readonly invariant: FailureName;
  readonly message: string;
}

interface Extent {
  readonly block: LiveBlock;
  readonly end: number;
}

/** State of one judged run. */
class Judge {
  readonly model: Model;
  /** Live extents by pointer: [ptr, ptr + max(size, usable, 1)). */
  private readonly extents = new Map<number, Extent>();
  constructor(
    private readonly config: AllocatorConfig,
    private readonly options: NativeOptions,
  ) {
    this.model = new Model(config);
  }

  alloc(c: Extract<CommandData, { kind: 'alloc' }>, f: readonly string[]): { failure: Failure | null; result: string } {
    const ptr = parseInt(f[1] ?? '0', 16);
    const usable = Number(f[2] ?? -1);
    const hdr = Number(f[3] ?? -1);
    const text = commandText(c);
    if (ptr === 0) return { result: 'NULL', failure: { invariant: 'no-premature-failure', message: `malloc(${c.size}) on t${c.thread} returned NULL` } };
    const result = `${hexPtr(ptr)} (usable ${usable < 0 ? '?' : usable})`;
    const hakmem = this.options.layout === 'hakmem';
    const cls = modelClassOfSize(this.config.strides, c.size);
    const fail = (invariant: FailureName, message: string) => ({ result, failure: { invariant, message: `${text} returned ${hexPtr(ptr)}: ${message}` } });
    const align = requiredAlignment(c.size);
    if (!hakmem && ptr % align !== 0) return fail('alignment', `not ${align}-byte aligned (min(16, largest power of two <= ${c.size}))`);
    if (usable >= 0 && usable < c.size) return fail('usable-size', `malloc_usable_size is ${usable}, less than the ${c.size} bytes requested`);
    if (hakmem && cls !== POOL_CLASS) {
      const stride = this.config.strides[cls] as number;
      if (usable >= 0 && usable !== stride - 1) return fail('usable-size', `usable size ${usable}; class ${cls} (stride ${stride}) gives ${stride - 1}`);
      const want = headerByteOf(this.config, cls);
      if (hdr !== want) return fail('header', `header byte at ptr - 1 is ${hdr === -2 ? 'unreadable' : `0x${hdr.toString(16)}`}, expected 0x${want.toString(16)} (magic | class ${cls})`);
    }
    const end = ptr + Math.max(c.size, usable, 1);
    for (const e of this.extents.values()) {
      if (ptr < e.end && e.block.ptr < end) {
        const same = e.block.ptr === ptr ? 'the live block' : 'overlaps the live block';
        return fail('no-double-allocation', `${same} #${e.block.serial} [${hexPtr(e.block.ptr)}, ${hexPtr(e.end)}) of ${e.block.sizeBytes} bytes (alloc on t${e.block.thread})`);
      }
    }
    const block = this.model.recordAlloc(ptr, c.size, cls, cls === POOL_CLASS ? 'pool' : 'tiny', c.thread);
    this.extents.set(ptr, { block, end });
    return { result, failure: null };
  }

  /** A free (or write/check) reported on `ptr`: it must be the block the model names. */
  named(ref: number, reported: string | undefined): LiveBlock | Failure | null {
    const block = this.model.liveAt(ref);
    if (reported === '-' || reported === undefined) return block === undefined ? null : { invariant: 'internal-error', message: `the driver had no live block for #${ref}; the model has ${hexPtr(block.ptr)}` };
    const ptr = parseInt(reported, 16);
    if (block === undefined || block.ptr !== ptr) return { invariant: 'internal-error', message: `the driver named ${hexPtr(ptr)} for #${ref}; the model names ${block === undefined ? 'nothing' : hexPtr(block.ptr)}` };
    return block;
  }

  free(block: LiveBlock): void {
    this.model.recordFree(block.ptr);
    this.extents.delete(block.ptr);
  }

  broken(f: readonly string[]): Failure {
    const ptr = parseInt(f[1] ?? '0', 16);
    const b = this.model.liveByPointer(ptr);
    const who = b === undefined ? hexPtr(ptr) : `#${b.serial} ${hexPtr(ptr)} (${b.sizeBytes} bytes, alloc on t${b.thread})`;
    return { invariant: 'data-integrity', message: `live block ${who}: byte ${f[2]} is 0x${Number(f[4]).toString(16)}, its canary wrote 0x${Number(f[3]).toString(16)}` };
  }
}

type StepVerdict = { readonly result: string; readonly failure: Failure | null; readonly ends?: boolean };

function judgeStep(j: Judge, c: CommandData, line: string | undefined): StepVerdict {
  const f = (line ?? '').split(' ');
  const isBlock = (x: LiveBlock | Failure | null): x is LiveBlock => x !== null && 'ptr' in x;
  const onBlock = (ref: number, then: (b: LiveBlock) => StepVerdict): StepVerdict => {
    const named = j.named(ref, f[1]);
    if (named === null) return { result: '(no live block)', failure: null };
    return isBlock(named) ? then(named) : { result: '?', failure: named };
  };
  return match(c)
    .returnType<StepVerdict>()
    .with({ kind: 'alloc' }, (a) => j.alloc(a, f))
    .with({ kind: 'free' }, (d) =>
      onBlock(d.ref, (b) => {
        j.free(b);
        return { result: `ok (${hexPtr(b.ptr)})`, failure: null };
      }),
    )
    .with({ kind: 'write' }, (d) => onBlock(d.ref, () => ({ result: 'ok', failure: null })))
    .with({ kind: 'check' }, (d) =>
      onBlock(d.ref, () => {
        const off = Number(f[2]);
        if (off < 0) return { result: 'ok', failure: null };
        return { result: `mismatch at byte ${off}`, failure: j.broken(['I', f[1] ?? '0', String(off), f[4] ?? '-1', f[3] ?? '-1']) };
      }),
    )
    .with({ kind: 'threadExit' }, () => ({ result: 'ok', failure: null }))
    .with({ kind: 'trim' }, () => ({ result: f[1] === '-' ? '(no malloc_trim)' : `returned ${f[1]}`, failure: null }))
    .with({ kind: 'badFree' }, (d) => {
      if (f[1] === '-') return { result: '(no candidate)', failure: null };
      const ptr = hexPtr(parseInt(f[1] ?? '0', 16));
      return { result: `returned (${ptr})`, ends: true, failure: { invariant: 'bad-free-rejected', message: `${commandText(d)} of ${ptr} returned normally: undefined behaviour, not a rejection` } };
    })
    .with({ kind: P.union('drain', 'flush', 'setSoftCap', 'setRouteProfile', 'usableSize', 'readBytes', 'writeBytes', 'misuse', 'stats', 'osLimit', 'osRefuse') }, (d) => ({ result: '?', failure: { invariant: 'internal-error', message: `${d.kind} is not a native command` } }))
    .exhaustive();
}

function endFailure(run: DriverRun, commands: readonly CommandData[], options: NativeOptions): { failure: Failure | null; passEnds: boolean } {
  const at = run.stepsStarted;
  const cmd = commands[at - 1];
  const during = cmd === undefined ? 'before the first step' : `during step ${at}, ${run.inFreeNull ? `in the free(NULL) before ${commandText(cmd)}` : commandText(cmd)}`;
  const diag = run.stderr === '' ? '' : `; stderr: ${run.stderr.slice(0, 300)}`;
  return match(run.status)
    .returnType<{ failure: Failure | null; passEnds: boolean }>()
    .with({ kind: 'done' }, () => ({ failure: null, passEnds: false }))
    .with({ kind: 'hang' }, () => ({ failure: { invariant: 'no-hang', message: `no answer within the run's time limit ${during} (the child was killed)${diag}` }, passEnds: false }))
    .with({ kind: 'signal' }, (sig) => {
      if (cmd?.kind === 'badFree' && options.badFrees === 'abort-ok' && sig.name === 'SIGABRT') return { failure: null, passEnds: true };
      return { failure: { invariant: 'no-crash', message: `the child died of ${sig.name} (signal ${sig.signal}) ${during}${diag}` }, passEnds: false };
    })
    .with({ kind: 'exit' }, (e) => ({ failure: { invariant: 'no-crash', message: `the child exited with status ${e.code} ${during}${diag}` }, passEnds: false }))
    .with({ kind: 'bad-request' }, () => ({ failure: { invariant: 'internal-error', message: 'the driver rejected the request' }, passEnds: false }))
    .exhaustive();
}

/** The verdict on one driver run of `commands`. */
export function judgeRun(config: AllocatorConfig, options: NativeOptions, commands: readonly CommandData[], run: DriverRun, record: boolean): RunOutcome {
  const j = new Judge(config, options);
  const records: StepRecord[] = [];
  const lines = run.lines;
  let li = 0;
  const end = endFailure(run, commands, options);
  for (let k = 0; k < commands.length; k++) {
    const c = commands[k] as CommandData;
    const step = k + 1;
    if (step > run.stepsStarted) break;
    let line = lines[li];
    let verdict: StepVerdict;
    if (line?.startsWith('J ')) verdict = { result: 'canary broken', failure: j.broken(line.split(' ')) }; // found before a free or write
    else if (line === undefined) {
      // The child died or hung inside this step.
      const r: StepVerdict = end.passEnds ? { result: `aborted: ${run.stderr || '(no diagnostic)'}`, failure: null } : { result: run.status.kind === 'hang' ? 'HANG' : 'CRASH', failure: end.failure };
      if (record) records.push({ step, command: c, text: commandText(c), thread: threadOf(c), result: r.result });
      return r.failure === null ? { passed: true, steps: step, ...(record ? { records } : {}) } : { passed: false, ...r.failure, step, steps: step, ...(record ? { records } : {}) };
    } else {
      li++;
      verdict = judgeStep(j, c, line);
      line = lines[li];
      if (verdict.failure === null && line?.startsWith('I ')) verdict = { ...verdict, failure: j.broken(line.split(' ')) };
    }
    if (record) records.push({ step, command: c, text: commandText(c), thread: threadOf(c), result: verdict.result });
    if (verdict.failure !== null) return { passed: false, ...verdict.failure, step, steps: step, ...(record ? { records } : {}) };
    if (verdict.ends === true) break;
  }
  if (end.failure !== null) {
    const step = Math.max(1, run.stepsStarted);
    return { passed: false, ...end.failure, step, steps: step, ...(record ? { records } : {}) };
  }
  return { passed: true, steps: run.stepsStarted, ...(record ? { records } : {}) };
}

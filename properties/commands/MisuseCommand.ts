import { match } from 'ts-pattern';
import type { RouteProfile } from '../../impl/index.ts';
import type { Model } from '../../model/index.ts';
import { slabIdOfAddress } from '../../model/index.ts';
import type { CommandData, MisuseMethod } from '../commandData.ts';
import { MISUSE_METHODS } from '../commandData.ts';
import { stateDigest } from '../digest.ts';
import type { StepOutcome } from '../events.ts';
import { errorText } from './argTarget.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/** One call outside a method's domain: its text, what the model predicts, and the call itself. */
interface Misuse {
  readonly call: string;
  /** 'RangeError', free's predicted result ('ok' for null, an error kind), or usableSize's answer ('0'). */
  readonly expected: string;
  /** For an expected RangeError: the text of the bad argument, which its message must name. */
  readonly names?: string;
  readonly invoke: () => string;
}

/**
 * misuse(method, variant): every misuse of a public method, from `variant` on: calls with an argument outside its domain (a thread or
 * class out of range, a negative or fractional size, cap, length or limit, an unknown route
 * profile, a null, fractional or out-of-range pointer — also beside a live block's pointer, so that
 * a fast path that skips the check would act on a real block). The call must throw a RangeError whose
 * message names the bad argument — free answers instead: null is a no-op, a bad pointer is an
 * invalid-pointer; usableSize answers 0 — and change nothing but the bad-free count.
 */
export class MisuseCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly method: MisuseMethod,
    readonly variant: number,
  ) {
    this.data = { kind: 'misuse', method, variant };
  }

  check(_model: Model): boolean {
    return MISUSE_METHODS.includes(this.method) && Number.isInteger(this.variant) && this.variant >= 0;
  }

  private misuses(target: StepTarget): readonly Misuse[] {
    const a = target.allocator;
    const T = target.config.threads;
    const C = target.config.strides.length;
    // The model's first live block makes a bad argument beside a real pointer; without one, address
    // 1 (in region 0, never mapped: no block's user pointer).
    const block = target.model.live()[0];
    const live = block?.ptr;
    const p = live ?? 1;
    const owner = block?.thread ?? 0;
    const hexP = `0x${p.toString(16)}`;
    const usable = (): number => (live === undefined ? 0 : a.usableSize(live));
    const threw = (f: () => void): string => {
      f();
      return 'returned';
    };
    const freed = (t: number, q: number): Misuse => ({
      call: `free(t${t}, ${q})`,
      expected: t < 0 || t >= T || !Number.isInteger(t) ? 'RangeError' : q === 0 ? 'ok' : 'invalid-pointer',
      names: `thread ${t}`,
      invoke: () => {
        const r = a.free(t, q);
        return r.ok ? 'ok' : r.error;
      },
    });
    const ranged = (call: string, names: string, f: () => void): Misuse => ({ call, expected: 'RangeError', names, invoke: () => threw(f) });
    const zero = (q: number): Misuse => ({ call: `usableSize(${q})`, expected: '0', invoke: () => String(a.usableSize(q)) });
    return match(this.method)
      .returnType<readonly Misuse[]>()
      .with('alloc', () => [
        ranged(`alloc(t${T}, 8)`, `${T}`, () => a.alloc(T, 8)),
        ranged('alloc(t-1, 8)', '-1', () => a.alloc(-1, 8)),
        ranged('alloc(t0, -1)', '-1', () => a.alloc(0, -1)),
        ranged('alloc(t0, 1.5)', '1.5', () => a.alloc(0, 1.5)),
        ranged('alloc(t0, NaN)', 'NaN', () => a.alloc(0, Number.NaN)),
      ])
      .with('free', () => [
        freed(T, 0),
        freed(0, 0),
        freed(0, -1),
        freed(0, 2 ** 32),
        freed(0, 1.5),
        freed(-1, 1),
        // beside a live block: a wrapped, a fractional pointer, a bad thread on a real pointer
        freed(owner, p + 2 ** 32),
        freed(owner, p + 0.5),
        freed(T, p),
        freed(0.5, p),
        freed(-1, orphanedBlock(target) ?? p),
      ])
      .with('drain', () => [ranged(`drain(t${T}, 0)`, `${T}`, () => a.drain(T, 0)), ranged(`drain(t0, ${C})`, `${C}`, () => a.drain(0, C)), ranged('drain(t0, -1)', '-1', () => a.drain(0, -1))])
      .with('flush', () => [ranged(`flush(t${T})`, `${T}`, () => a.flush(T)), ranged('flush(t-1)', '-1', () => a.flush(-1))])
      .with('threadExit', () => [ranged(`threadExit(t${T})`, `${T}`, () => a.threadExit(T)), ranged('threadExit(t0.5)', '0.5', () => a.threadExit(0.5))])
      .with('setSoftCap', () => [
        ranged(`setSoftCap(${C}, 1)`, `${C}`, () => a.setSoftCap(C, 1)),
        ranged('setSoftCap(0, -1)', '-1', () => a.setSoftCap(0, -1)),
        ranged('setSoftCap(0, 1.5)', '1.5', () => a.setSoftCap(0, 1.5)),
      ])
      .with('setRouteProfile', () => [ranged('setRouteProfile("bogus")', 'bogus', () => a.setRouteProfile('bogus' as RouteProfile))])
      // usableSize answers 0 for anything but a live block's user pointer, wrapped addresses included
      .with('usableSize', () => [zero(0), zero(-1), zero(p + 0.5), zero(p + 2 ** 32), zero(p - 2 ** 32), zero(2 ** 32)])
      .with('readBytes', () => {
        const over = usable() + 1;
        return [
          ranged('readBytes(0x1, 0)', '0x1', () => a.readBytes(1, 0)),
          ranged(`readBytes(${hexP}, ${over})`, live === undefined ? hexP : `${over}`, () => a.readBytes(p, over)),
          ranged(`readBytes(${hexP}, 0.5)`, live === undefined ? hexP : '0.5', () => a.readBytes(p, 0.5)),
        ];
      })
      .with('writeBytes', () => {
        const over = usable() + 1;
        return [
          ranged('writeBytes(0x1, [])', '0x1', () => a.writeBytes(1, new Uint8Array(0))),
          ranged(`writeBytes(${hexP}, ${over} bytes)`, live === undefined ? hexP : `${over}`, () => a.writeBytes(p, new Uint8Array(over))),
        ];
      })
      .with('setOsMapLimit', () => [ranged('setOsMapLimit(-1)', '-1', () => a.setOsMapLimit(-1)), ranged('setOsMapLimit(1.5)', '1.5', () => a.setOsMapLimit(1.5))])
      .with('refuseMaps', () => [ranged('refuseMaps(-1)', '-1', () => a.refuseMaps(-1)), ranged('refuseMaps(0.5)', '0.5', () => a.refuseMaps(0.5))])
      .exhaustive();
  }

  /**
   * Every misuse of the method, from `variant` on (cyclically), stopping at the first one answered
   * otherwise than predicted: none changes the state, so one step judges them all (a single call
   * per step made the wrapped-pointer and bad-thread variants too rare to be drawn in a search).
   */
  run(target: StepTarget): StepOutcome {
    const list = this.misuses(target);
    const before = stateDigest(target.view, 1);
    let m = list[this.variant % list.length] as Misuse;
    let got = '';
    let rejectedFrees = 0;
    for (let i = 0; i < list.length; i++) {
      m = list[(this.variant + i) % list.length] as Misuse;
      got = attempt(m);
      if (this.method === 'free' && got !== 'ok' && !got.startsWith('RangeError') && !got.startsWith('threw')) rejectedFrees++;
      if (got !== m.expected) break;
    }
    const after = stateDigest(target.view, 1);
    return { event: { kind: 'misuse', method: this.method, call: m.call, expected: m.expected, got, rejectedFrees, before, after }, result: got };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `misuse(${this.method}, ${this.variant})`;
  }
}

/** One call: its answer, or what it threw (a RangeError must name the bad argument in its message). */
function attempt(m: Misuse): string {
  try {
    return m.invoke();
  } catch (e) {
    if (!(e instanceof RangeError)) return `threw ${errorText(e)}`;
    if (m.names !== undefined && !e.message.includes(m.names)) return `RangeError "${e.message}", which does not name ${m.names}`;
    return 'RangeError';
  }
}

/**
 * A live block of an orphaned slab (owner -1, after its thread exited): free(-1, it) must not take a
 * fast path that compares the thread with the owner before checking the thread's range.
 */
function orphanedBlock(target: StepTarget): number | undefined {
  const orphanSlabs = new Set<number>();
  for (let c = 0; c < target.config.strides.length; c++) for (const id of target.view.orphanList(c)) orphanSlabs.add(id);
  if (orphanSlabs.size === 0) return undefined;
  return target.model.live().find((b) => b.front === 'tiny' && orphanSlabs.has(slabIdOfAddress(target.config, b.ptr - 1)))?.ptr;
}

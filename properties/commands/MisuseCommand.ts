import { match } from 'ts-pattern';
import type { RouteProfile } from '../../impl/index.ts';
import type { Model } from '../../model/index.ts';
import type { CommandData, MisuseMethod } from '../commandData.ts';
import { MISUSE_METHODS } from '../commandData.ts';
import { stateDigest } from '../digest.ts';
import type { StepOutcome } from '../events.ts';
import { errorText } from './argTarget.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/** One call outside a method's domain: its text, what the model predicts, and the call itself. */
interface Misuse {
  readonly call: string;
  /** 'RangeError', or free's predicted result ('ok' for null, an error kind). */
  readonly expected: string;
  readonly invoke: () => string;
}

/**
 * misuse(method, variant): a public method called with an argument outside its domain (a thread or
 * class out of range, a negative or fractional size or cap, an unknown route profile, a null or
 * out-of-range pointer). The call must throw RangeError — free answers instead: null is a no-op,
 * an out-of-range pointer is an invalid-pointer — and change nothing but the bad-free count.
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
    const threw = (f: () => void): string => {
      f();
      return 'returned';
    };
    const freed = (t: number, p: number): Misuse => ({
      call: `free(t${t}, ${p})`,
      expected: t < 0 || t >= T || !Number.isInteger(t) ? 'RangeError' : p === 0 ? 'ok' : 'invalid-pointer',
      invoke: () => {
        const r = a.free(t, p);
        return r.ok ? 'ok' : r.error;
      },
    });
    const ranged = (call: string, f: () => void): Misuse => ({ call, expected: 'RangeError', invoke: () => threw(f) });
    return match(this.method)
      .returnType<readonly Misuse[]>()
      .with('alloc', () => [
        ranged(`alloc(t${T}, 8)`, () => a.alloc(T, 8)),
        ranged('alloc(t-1, 8)', () => a.alloc(-1, 8)),
        ranged('alloc(t0, -1)', () => a.alloc(0, -1)),
        ranged('alloc(t0, 1.5)', () => a.alloc(0, 1.5)),
        ranged('alloc(t0, NaN)', () => a.alloc(0, Number.NaN)),
      ])
      .with('free', () => [freed(T, 0), freed(0, 0), freed(0, -1), freed(0, 2 ** 32), freed(0, 1.5), freed(-1, 1)])
      .with('drain', () => [ranged(`drain(t${T}, 0)`, () => a.drain(T, 0)), ranged(`drain(t0, ${C})`, () => a.drain(0, C)), ranged('drain(t0, -1)', () => a.drain(0, -1))])
      .with('flush', () => [ranged(`flush(t${T})`, () => a.flush(T)), ranged('flush(t-1)', () => a.flush(-1))])
      .with('threadExit', () => [ranged(`threadExit(t${T})`, () => a.threadExit(T)), ranged('threadExit(t0.5)', () => a.threadExit(0.5))])
      .with('setSoftCap', () => [
        ranged(`setSoftCap(${C}, 1)`, () => a.setSoftCap(C, 1)),
        ranged('setSoftCap(0, -1)', () => a.setSoftCap(0, -1)),
        ranged('setSoftCap(0, 1.5)', () => a.setSoftCap(0, 1.5)),
      ])
      .with('setRouteProfile', () => [ranged('setRouteProfile("bogus")', () => a.setRouteProfile('bogus' as RouteProfile))])
      .exhaustive();
  }

  run(target: StepTarget): StepOutcome {
    const list = this.misuses(target);
    const m = list[this.variant % list.length] as Misuse;
    const before = stateDigest(target.view, 1);
    let got: string;
    try {
      got = m.invoke();
    } catch (e) {
      got = e instanceof RangeError ? 'RangeError' : `threw ${errorText(e)}`;
    }
    const after = stateDigest(target.view, 1);
    return { event: { kind: 'misuse', method: this.method, call: m.call, expected: m.expected, got, before, after }, result: got };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `misuse(${this.method}, ${this.variant})`;
  }
}

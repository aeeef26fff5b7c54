import type { Model } from '../../model/index.ts';
import type { ArgTarget, CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import { aimPointer, errorText, predictUsable, argTargetAvailable } from './argTarget.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef } from './Command.ts';

/** Lengths asked of a live block, by `offset` mod 4: its canary, all its usable bytes, one more, -1. */
const LIVE_LENGTHS = 4;

/**
 * readBytes(target, length): reads an address of any class. On a live block with a length within
 * its usable size the bytes come back, and the written canary among them; everything else (a block
 * that is not live, a length beyond the usable bytes or negative) must throw RangeError.
 */
export class ReadBytesCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly target: ArgTarget,
    readonly ref: number,
    readonly offset: number,
  ) {
    this.data = { kind: 'readBytes', target, ref, offset };
  }

  check(model: Model): boolean {
    return argTargetAvailable(model, this.target, this.ref, this.offset);
  }

  run(target: StepTarget): StepOutcome {
    const aim = aimPointer(target, this.target, this.ref, this.offset);
    if (aim === null) return { event: { kind: 'skipped', why: `no ${this.target} address` }, result: 'skipped' };
    const usable = predictUsable(target, aim.ptr);
    const block = Number.isInteger(aim.ptr) ? target.model.liveByPointer(aim.ptr) : undefined;
    const wanted = [block?.canary?.sizeBytes ?? 0, usable, usable + 1, -1][this.offset % LIVE_LENGTHS] as number;
    const length = usable > 0 ? wanted : 1 + (this.offset % 8);
    const expectRangeError = usable <= 0 || length < 0 || length > usable;
    let threw: string | null = null;
    let threwRangeError = false;
    let mismatchOffset = -1;
    try {
      const bytes = target.allocator.readBytes(aim.ptr, length);
      const canary = block?.canary ?? null;
      if (canary !== null) {
        for (let i = 0; i < Math.min(canary.sizeBytes, length); i++) {
          if (bytes[i] !== canary.bytes[i]) {
            mismatchOffset = i;
            break;
          }
        }
      }
      if (bytes.length !== length) threw = `returned ${bytes.length} bytes`;
    } catch (e) {
      threw = errorText(e);
      threwRangeError = e instanceof RangeError;
    }
    const call = `readBytes(${aim.text}, ${length})`;
    return {
      event: { kind: 'readBytes', call, target: this.target, ptr: aim.ptr, expectRangeError, threw, threwRangeError, mismatchOffset },
      result: threw === null ? `${length} bytes` : threwRangeError ? 'RangeError' : threw,
    };
  }

  normalize(target: StepTarget): CommandData {
    const n = this.target === 'freed' ? target.model.graveyard().length : target.model.liveCount();
    return { ...this.data, ref: normalizeRef(this.ref, n) } as CommandData;
  }

  toString(): string {
    return `readBytes(${this.target} #${this.ref}, ${this.offset})`;
  }
}

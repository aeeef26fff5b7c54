import type { Model } from '../../model/index.ts';
import type { ArgTarget, CommandData } from '../commandData.ts';
import { stateDigest } from '../digest.ts';
import type { StepOutcome } from '../events.ts';
import { aimPointer, errorText, predictUsable, argTargetAvailable } from './argTarget.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef } from './Command.ts';

/**
 * writeBytes(target, length) where the write must be refused: an address that is not a live block
 * (freed, interior, never allocated, inside the pool, out of range), or a live block with one byte
 * more than its usable size. It must throw RangeError and change nothing (state digests around it).
 * Legal writes are `write(#ref, seed)`. A freed address that is live again is skipped.
 */
export class WriteBytesCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly target: ArgTarget,
    readonly ref: number,
    readonly offset: number,
  ) {
    this.data = { kind: 'writeBytes', target, ref, offset };
  }

  check(model: Model): boolean {
    return argTargetAvailable(model, this.target, this.ref, this.offset);
  }

  run(target: StepTarget): StepOutcome {
    const aim = aimPointer(target, this.target, this.ref, this.offset);
    if (aim === null) return { event: { kind: 'skipped', why: `no ${this.target} address` }, result: 'skipped' };
    const usable = predictUsable(target, aim.ptr);
    if (this.target !== 'live' && usable > 0) return { event: { kind: 'skipped', why: `${aim.text} is live` }, result: 'skipped' };
    const length = usable > 0 ? usable + 1 : 1 + (this.offset % 8);
    const bytes = Uint8Array.from({ length }, (_, i) => (0x5a + i * 7 + this.offset) & 0xff);
    const focus = Number.isInteger(aim.ptr) ? aim.ptr : 0;
    const before = stateDigest(target.view, focus);
    let threw: string | null = null;
    let threwRangeError = false;
    try {
      target.allocator.writeBytes(aim.ptr, bytes);
    } catch (e) {
      threw = errorText(e);
      threwRangeError = e instanceof RangeError;
    }
    const after = stateDigest(target.view, focus);
    const call = `writeBytes(${aim.text}, ${length} bytes)`;
    return {
      event: { kind: 'writeBytes', call, target: this.target, ptr: aim.ptr, expectRangeError: true, threw, threwRangeError, mismatchOffset: -1, before, after },
      result: threw === null ? 'written' : threwRangeError ? 'RangeError' : threw,
    };
  }

  normalize(target: StepTarget): CommandData {
    const n = this.target === 'freed' ? target.model.graveyard().length : target.model.liveCount();
    return { ...this.data, ref: normalizeRef(this.ref, n) } as CommandData;
  }

  toString(): string {
    return `writeBytes(${this.target} #${this.ref}, ${this.offset})`;
  }
}

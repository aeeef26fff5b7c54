import type { Model } from '../../model/index.ts';
import type { ArgTarget, CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import { aimPointer, errorText, predictUsable, argTargetAvailable } from './argTarget.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef } from './Command.ts';

/**
 * usableSize(target): the usable size of an address of any class (live, freed, interior, never
 * allocated, inside the pool, out of range). The model predicts the answer exactly: stride − 1 or
 * the chunk's payload for a live block, 0 for anything else (a freed address reused by a live block
 * is live in the model too).
 */
export class UsableSizeCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly target: ArgTarget,
    readonly ref: number,
    readonly offset: number,
  ) {
    this.data = { kind: 'usableSize', target, ref, offset };
  }

  check(model: Model): boolean {
    return argTargetAvailable(model, this.target, this.ref, this.offset);
  }

  run(target: StepTarget): StepOutcome {
    const aim = aimPointer(target, this.target, this.ref, this.offset);
    if (aim === null) return { event: { kind: 'skipped', why: `no ${this.target} address` }, result: 'skipped' };
    const expected = predictUsable(target, aim.ptr);
    let got: number | string;
    try {
      got = target.allocator.usableSize(aim.ptr);
    } catch (e) {
      got = `threw ${errorText(e)}`;
    }
    const call = `usableSize(${aim.text})`;
    return { event: { kind: 'usableSize', call, target: this.target, ptr: aim.ptr, expected, got }, result: String(got) };
  }

  normalize(target: StepTarget): CommandData {
    const n = this.target === 'freed' ? target.model.graveyard().length : target.model.liveCount();
    return { ...this.data, ref: normalizeRef(this.ref, n) } as CommandData;
  }

  toString(): string {
    return this.target === 'live' ? `usableSize(#${this.ref})` : `usableSize(${this.target} #${this.ref}, ${this.offset})`;
  }
}

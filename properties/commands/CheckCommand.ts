import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef } from './Command.ts';

/** check(#ref): reads a live block's requested bytes back through the API and compares them. */
export class CheckCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(readonly ref: number) {
    this.data = { kind: 'check', ref };
  }

  check(model: Model): boolean {
    return Number.isInteger(this.ref) && model.liveCount() > 0;
  }

  run(target: StepTarget): StepOutcome {
    const block = target.model.liveAt(this.ref);
    if (block === undefined) throw new Error('CheckCommand.run without a live block');
    let mismatchOffset = -1;
    let expectedByte = 0;
    let actualByte = 0;
    const canary = block.canary;
    if (canary !== null) {
      const bytes = target.allocator.readBytes(block.ptr, canary.sizeBytes);
      for (let i = 0; i < canary.sizeBytes; i++) {
        const want = canary.bytes[i] as number;
        const got = bytes[i] ?? -1;
        if (got !== want) {
          mismatchOffset = i;
          expectedByte = want;
          actualByte = got;
          break;
        }
      }
    }
    return {
      event: { kind: 'check', block, mismatchOffset, expectedByte, actualByte },
      result: mismatchOffset < 0 ? 'ok' : `mismatch at byte ${mismatchOffset}`,
    };
  }

  normalize(target: StepTarget): CommandData {
    return { ...this.data, ref: normalizeRef(this.ref, target.model.liveCount()) } as CommandData;
  }

  toString(): string {
    return `check(#${this.ref})`;
  }
}

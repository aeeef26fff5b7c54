import type { Model } from '../../model/index.ts';
import { slabIdOfAddress } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef, validThread } from './Command.ts';

/** free(t, #ref): frees a live block; a thread other than the owner of its slab frees remotely. */
export class FreeCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly thread: number,
    readonly ref: number,
  ) {
    this.data = { kind: 'free', thread, ref };
  }

  check(model: Model): boolean {
    return validThread(model, this.thread) && Number.isInteger(this.ref) && model.liveCount() > 0;
  }

  run(target: StepTarget): StepOutcome {
    const block = target.model.liveAt(this.ref);
    if (block === undefined) throw new Error('FreeCommand.run without a live block (check() was not honoured)');
    // Remote when the block's slab is owned by another thread (judged before the free changes it).
    const slab = block.front === 'tiny' ? target.view.slab(slabIdOfAddress(target.config, block.ptr - 1)) : undefined;
    const remote = slab !== undefined && slab.owner >= 0 && slab.owner !== this.thread;
    const result = target.allocator.free(this.thread, block.ptr);
    if (result.ok) target.model.recordFree(block.ptr);
    return {
      event: { kind: 'free', thread: this.thread, block, result, remote },
      result: result.ok ? 'ok' : result.error,
    };
  }

  normalize(target: StepTarget): CommandData {
    return { ...this.data, ref: normalizeRef(this.ref, target.model.liveCount()) } as CommandData;
  }

  toString(): string {
    return `free(t${this.thread}, #${this.ref})`;
  }
}

import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { validThread } from './Command.ts';

/** flush(t): t returns its caches, drains its queues, flushes deltas and lets go of held slabs. */
export class FlushCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(readonly thread: number) {
    this.data = { kind: 'flush', thread };
  }

  check(model: Model): boolean {
    return validThread(model, this.thread);
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.flush(this.thread);
    target.model.markFlushed(this.thread);
    return { event: { kind: 'flush', thread: this.thread }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `flush(t${this.thread})`;
  }
}

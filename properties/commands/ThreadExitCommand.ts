import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { validThread } from './Command.ts';

/** threadExit(t): flush, then publish t's remaining slabs as orphans; t may start again. */
export class ThreadExitCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(readonly thread: number) {
    this.data = { kind: 'threadExit', thread };
  }

  check(model: Model): boolean {
    return validThread(model, this.thread);
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.threadExit(this.thread);
    target.model.markFlushed(this.thread);
    return { event: { kind: 'threadExit', thread: this.thread }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `threadExit(t${this.thread})`;
  }
}

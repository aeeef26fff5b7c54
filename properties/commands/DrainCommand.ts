import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { validClass, validThread } from './Command.ts';

/** drain(t, c): drains the remote queues of t's slabs of class c. */
export class DrainCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly thread: number,
    readonly cls: number,
  ) {
    this.data = { kind: 'drain', thread, cls };
  }

  check(model: Model): boolean {
    return validThread(model, this.thread) && validClass(model, this.cls);
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.drain(this.thread, this.cls);
    return { event: { kind: 'drain', thread: this.thread, cls: this.cls }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `drain(t${this.thread}, c${this.cls})`;
  }
}

import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { validClass } from './Command.ts';

/** setSoftCap(c, n): changes the cap, also below the current count of ACTIVE slots. */
export class SetSoftCapCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly cls: number,
    readonly cap: number,
  ) {
    this.data = { kind: 'setSoftCap', cls, cap };
  }

  check(model: Model): boolean {
    return validClass(model, this.cls) && Number.isInteger(this.cap) && this.cap >= 0;
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.setSoftCap(this.cls, this.cap);
    target.model.setSoftCap(this.cls, this.cap);
    return { event: { kind: 'setSoftCap', cls: this.cls, cap: this.cap }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `setSoftCap(c${this.cls}, ${this.cap})`;
  }
}

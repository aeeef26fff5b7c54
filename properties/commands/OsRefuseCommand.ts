import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/** osRefuse(k): the OS refuses the next k maps, whoever asks (osRefuse(0) cancels what is pending). */
export class OsRefuseCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(readonly count: number) {
    this.data = { kind: 'osRefuse', count };
  }

  check(_model: Model): boolean {
    return Number.isInteger(this.count) && this.count >= 0;
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.refuseMaps(this.count);
    target.model.setOsRefusals(this.count);
    return { event: { kind: 'osRefuse', count: this.count }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `osRefuse(${this.count})`;
  }
}

import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/** trim(): unmaps parked reserve SuperSlabs and empty pool regions. */
export class TrimCommand implements SuiteCommand {
  readonly data: CommandData = { kind: 'trim' };

  check(_model: Model): boolean {
    return true;
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.trim();
    return { event: { kind: 'trim' }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return 'trim()';
  }
}

import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/** osLimit(n): the OS maps at most n regions at once (SuperSlabs and pool regions); osLimit(none) lifts it. */
export class OsLimitCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(readonly limit: number | null) {
    this.data = { kind: 'osLimit', limit };
  }

  check(_model: Model): boolean {
    return this.limit === null || (Number.isInteger(this.limit) && this.limit >= 0);
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.setOsMapLimit(this.limit);
    target.model.setOsLimit(this.limit);
    return { event: { kind: 'osLimit', limit: this.limit }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `osLimit(${this.limit ?? 'none'})`;
  }
}

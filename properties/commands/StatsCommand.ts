import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/**
 * stats(): the public statistics call. The step checks compare what it reports with the figures
 * they judge every step against the suite's own accounting (regions seen, events observed).
 */
export class StatsCommand implements SuiteCommand {
  readonly data: CommandData = { kind: 'stats' };

  check(_model: Model): boolean {
    return true;
  }

  run(target: StepTarget): StepOutcome {
    const reported = target.allocator.stats();
    return { event: { kind: 'stats', reported }, result: `${reported.mappedBytes} bytes mapped` };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return 'stats()';
  }
}

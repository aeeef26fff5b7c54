import type { RouteProfile } from '../../impl/index.ts';
import { ROUTE_PROFILES } from '../../impl/index.ts';
import type { Model } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';

/** setRouteProfile(p): switches the class → route table while blocks are live. */
export class SetRouteProfileCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(readonly profile: RouteProfile) {
    this.data = { kind: 'setRouteProfile', profile };
  }

  check(_model: Model): boolean {
    return (ROUTE_PROFILES as readonly string[]).includes(this.profile);
  }

  run(target: StepTarget): StepOutcome {
    target.allocator.setRouteProfile(this.profile);
    target.model.setRouteProfile(this.profile);
    return { event: { kind: 'setRouteProfile' }, result: 'ok' };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `setRouteProfile(${this.profile})`;
  }
}

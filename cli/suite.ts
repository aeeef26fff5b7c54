// The property runner, loaded on demand: argument and file errors are reported before the suite
// (and the allocator behind it) is loaded at all. Typed by the contract (properties/runnerApi.ts).

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { RunOptions, RunOutcome, SuiteOptions, SuiteResult } from '../properties/runnerApi.ts';

export interface Runner {
  readonly runCommands: (config: AllocatorConfig, commands: readonly CommandData[], options?: RunOptions) => RunOutcome;
  readonly runSuite: (options: SuiteOptions) => SuiteResult;
}

export async function loadRunner(): Promise<Runner> {
  const { runCommands, runSuite } = await import('../properties/runner.ts');
  return { runCommands, runSuite };
}

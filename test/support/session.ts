// A legal prefix for tests that break a state: the commands run through a Session, and every one
// of them must be applicable and pass every invariant, so the break a test makes next is its own.

import { expect } from 'vitest';
import type { AllocatorConfig } from '../../impl/index.ts';
import type { CommandData } from '../../properties/commandData.ts';
import { commandFromData } from '../../properties/commands/index.ts';
import { Session } from '../../properties/session.ts';

/** Runs commands through a session; every step must be applicable and pass every invariant. */
export function legal(config: AllocatorConfig, commands: readonly CommandData[]): Session {
  const session = new Session(config);
  commands.forEach((data, i) => {
    const command = commandFromData(data);
    expect(command.check(session.model), `step ${i + 1} ${command.toString()} is applicable`).toBe(true);
    const report = session.execute(command, i + 1);
    expect(report.failure, `legal step ${i + 1} ${command.toString()}`).toBeNull();
  });
  return session;
}

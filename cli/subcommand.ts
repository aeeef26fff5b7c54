// What a subcommand module provides. cli/main.ts holds the table of them.

import type { Result } from './errors.ts';
import type { Io } from './io.ts';

/** 0: every check held; 1: a counterexample (an invariant failed); 2: usage, config or file error. */
export type ExitCode = 0 | 1 | 2;

export interface Subcommand {
  readonly name: string;
  /** One line for the top-level help. */
  readonly summary: string;
  /** Full help text (`alloc-check NAME --help`). */
  readonly usage: string;
  /** Runs with the arguments after the subcommand name. Errors are returned, never printed or thrown. */
  readonly run: (argv: readonly string[], io: Io) => Promise<Result<ExitCode>>;
}

/** A table entry: loaded on demand so that `list` or a usage error does not load the whole suite. */
export interface SubcommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Subcommand>;
}

export const wantsHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

// Plain CommandData → command object (and back through `.data`).

import { match } from 'ts-pattern';
import type { CommandData } from '../commandData.ts';
import { AllocCommand } from './AllocCommand.ts';
import { BadFreeCommand } from './BadFreeCommand.ts';
import { CheckCommand } from './CheckCommand.ts';
import type { SuiteCommand } from './Command.ts';
import { DrainCommand } from './DrainCommand.ts';
import { FlushCommand } from './FlushCommand.ts';
import { FreeCommand } from './FreeCommand.ts';
import { OsLimitCommand } from './OsLimitCommand.ts';
import { OsRefuseCommand } from './OsRefuseCommand.ts';
import { SetRouteProfileCommand } from './SetRouteProfileCommand.ts';
import { SetSoftCapCommand } from './SetSoftCapCommand.ts';
import { ThreadExitCommand } from './ThreadExitCommand.ts';
import { TrimCommand } from './TrimCommand.ts';
import { WriteCommand } from './WriteCommand.ts';
import { MisuseCommand } from './MisuseCommand.ts';
import { ReadBytesCommand } from './ReadBytesCommand.ts';
import { StatsCommand } from './StatsCommand.ts';
import { UsableSizeCommand } from './UsableSizeCommand.ts';
import { WriteBytesCommand } from './WriteBytesCommand.ts';

export function commandFromData(data: CommandData): SuiteCommand {
  return match(data)
    .with({ kind: 'alloc' }, (d) => new AllocCommand(d.thread, d.size))
    .with({ kind: 'free' }, (d) => new FreeCommand(d.thread, d.ref))
    .with({ kind: 'write' }, (d) => new WriteCommand(d.ref, d.seed))
    .with({ kind: 'check' }, (d) => new CheckCommand(d.ref))
    .with({ kind: 'drain' }, (d) => new DrainCommand(d.thread, d.cls))
    .with({ kind: 'flush' }, (d) => new FlushCommand(d.thread))
    .with({ kind: 'threadExit' }, (d) => new ThreadExitCommand(d.thread))
    .with({ kind: 'setSoftCap' }, (d) => new SetSoftCapCommand(d.cls, d.cap))
    .with({ kind: 'setRouteProfile' }, (d) => new SetRouteProfileCommand(d.profile))
    .with({ kind: 'trim' }, () => new TrimCommand())
    .with({ kind: 'badFree' }, (d) => new BadFreeCommand(d.thread, d.bad, d.ref, d.offset))
    .with({ kind: 'usableSize' }, (d) => new UsableSizeCommand(d.target, d.ref, d.offset))
    .with({ kind: 'readBytes' }, (d) => new ReadBytesCommand(d.target, d.ref, d.offset))
    .with({ kind: 'writeBytes' }, (d) => new WriteBytesCommand(d.target, d.ref, d.offset))
    .with({ kind: 'misuse' }, (d) => new MisuseCommand(d.method, d.variant))
    .with({ kind: 'stats' }, () => new StatsCommand())
    .with({ kind: 'osLimit' }, (d) => new OsLimitCommand(d.limit))
    .with({ kind: 'osRefuse' }, (d) => new OsRefuseCommand(d.count))
    .exhaustive();
}

/** The text of a command as a user would type it. */
export function commandText(data: CommandData): string {
  return commandFromData(data).toString();
}

export type { SuiteCommand, StepTarget } from './Command.ts';
export { MisuseCommand, OsLimitCommand, OsRefuseCommand, ReadBytesCommand, StatsCommand, UsableSizeCommand, WriteBytesCommand };
export { AllocCommand, BadFreeCommand, CheckCommand, DrainCommand, FlushCommand, FreeCommand, SetRouteProfileCommand, SetSoftCapCommand, ThreadExitCommand, TrimCommand, WriteCommand };
export { HEADER_FILL } from './WriteCommand.ts';

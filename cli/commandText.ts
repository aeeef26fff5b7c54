// Commands as a user would type them (`alloc(t1, 24)`, `free(t0, #3)`), in the same form as the
// suite's own Command.toString() (test/cli-text.test.ts holds them together). The runner's
// StepRecord carries that text for executed steps; this is for commands that were not executed
// (skipped by their precondition, or after the failure), without loading the suite.
// Blocks are `#i`: index into the model's live list, modulo its length.

import { match } from 'ts-pattern';
import type { CommandData } from '../properties/commandData.ts';

export function commandText(c: CommandData): string {
  return match(c)
    .with({ kind: 'alloc' }, (x) => `alloc(t${x.thread}, ${x.size})`)
    .with({ kind: 'free' }, (x) => `free(t${x.thread}, #${x.ref})`)
    .with({ kind: 'write' }, (x) => `write(#${x.ref}, ${x.seed})`)
    .with({ kind: 'check' }, (x) => `check(#${x.ref})`)
    .with({ kind: 'drain' }, (x) => `drain(t${x.thread}, c${x.cls})`)
    .with({ kind: 'flush' }, (x) => `flush(t${x.thread})`)
    .with({ kind: 'threadExit' }, (x) => `threadExit(t${x.thread})`)
    .with({ kind: 'setSoftCap' }, (x) => `setSoftCap(c${x.cls}, ${x.cap})`)
    .with({ kind: 'setRouteProfile' }, (x) => `setRouteProfile(${x.profile})`)
    .with({ kind: 'trim' }, () => 'trim()')
    .with({ kind: 'badFree' }, (x) => `badFree(t${x.thread}, ${x.bad}, #${x.ref}${x.bad === 'interior' || x.bad === 'foreign' || x.bad === 'forged' ? `, ${x.offset}` : ''})`)
    .with({ kind: 'usableSize' }, (x) => (x.target === 'live' ? `usableSize(#${x.ref})` : `usableSize(${x.target} #${x.ref}, ${x.offset})`))
    .with({ kind: 'readBytes' }, (x) => `readBytes(${x.target} #${x.ref}, ${x.offset})`)
    .with({ kind: 'writeBytes' }, (x) => `writeBytes(${x.target} #${x.ref}, ${x.offset})`)
    .with({ kind: 'misuse' }, (x) => `misuse(${x.method}, ${x.variant})`)
    .with({ kind: 'stats' }, () => 'stats()')
    .with({ kind: 'osLimit' }, (x) => `osLimit(${x.limit ?? 'none'})`)
    .with({ kind: 'osRefuse' }, (x) => `osRefuse(${x.count})`)
    .exhaustive();
}

/** The thread a command runs on, or null for global commands. */
export function commandThread(c: CommandData): number | null {
  return match(c)
    .with({ kind: 'alloc' }, { kind: 'free' }, { kind: 'drain' }, { kind: 'flush' }, { kind: 'threadExit' }, { kind: 'badFree' }, (x) => x.thread)
    .with({ kind: 'write' }, { kind: 'check' }, { kind: 'setSoftCap' }, { kind: 'setRouteProfile' }, { kind: 'trim' }, () => null)
    .with({ kind: 'usableSize' }, { kind: 'readBytes' }, { kind: 'writeBytes' }, { kind: 'misuse' }, { kind: 'stats' }, { kind: 'osLimit' }, { kind: 'osRefuse' }, () => null)
    .exhaustive();
}

/** The command with its fields in a fixed order (for stable hashing and readable files). */
export function canonicalCommand(c: CommandData): CommandData {
  return match<CommandData, CommandData>(c)
    .with({ kind: 'alloc' }, (x) => ({ kind: 'alloc', thread: x.thread, size: x.size }))
    .with({ kind: 'free' }, (x) => ({ kind: 'free', thread: x.thread, ref: x.ref }))
    .with({ kind: 'write' }, (x) => ({ kind: 'write', ref: x.ref, seed: x.seed }))
    .with({ kind: 'check' }, (x) => ({ kind: 'check', ref: x.ref }))
    .with({ kind: 'drain' }, (x) => ({ kind: 'drain', thread: x.thread, cls: x.cls }))
    .with({ kind: 'flush' }, (x) => ({ kind: 'flush', thread: x.thread }))
    .with({ kind: 'threadExit' }, (x) => ({ kind: 'threadExit', thread: x.thread }))
    .with({ kind: 'setSoftCap' }, (x) => ({ kind: 'setSoftCap', cls: x.cls, cap: x.cap }))
    .with({ kind: 'setRouteProfile' }, (x) => ({ kind: 'setRouteProfile', profile: x.profile }))
    .with({ kind: 'trim' }, () => ({ kind: 'trim' }))
    .with({ kind: 'badFree' }, (x) => ({ kind: 'badFree', thread: x.thread, bad: x.bad, ref: x.ref, offset: x.offset }))
    .with({ kind: 'usableSize' }, (x) => ({ kind: 'usableSize', target: x.target, ref: x.ref, offset: x.offset }))
    .with({ kind: 'readBytes' }, (x) => ({ kind: 'readBytes', target: x.target, ref: x.ref, offset: x.offset }))
    .with({ kind: 'writeBytes' }, (x) => ({ kind: 'writeBytes', target: x.target, ref: x.ref, offset: x.offset }))
    .with({ kind: 'misuse' }, (x) => ({ kind: 'misuse', method: x.method, variant: x.variant }))
    .with({ kind: 'stats' }, () => ({ kind: 'stats' }))
    .with({ kind: 'osLimit' }, (x) => ({ kind: 'osLimit', limit: x.limit }))
    .with({ kind: 'osRefuse' }, (x) => ({ kind: 'osRefuse', count: x.count }))
    .exhaustive();
}

// Goal: every check of a native target fails on a report that breaks it, and passes on one that
// does not. Method: driver reports written by hand in the driver's line format (native/driver.c)
// are parsed and judged (native/judge.ts) without a compiler or a child process; plus the target
// forms, the native command alphabet, and repro files with and without a "target".

import { describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { parseReproText, serializeRepro } from '../cli/repro.ts';
import type { ReproFile } from '../cli/repro.ts';
import { driverLine, NATIVE_EXCLUDED_KINDS, parseDriverOutput } from '../native/driverProcess.ts';
import { judgeRun, requiredAlignment } from '../native/judge.ts';
import { parseTarget } from '../native/target.ts';
import type { NativeOptions } from '../native/target.ts';

const config = profileConfig('default');
const plain: NativeOptions = { layout: 'plain', badFrees: 'off' };
const hakmem: NativeOptions = { layout: 'hakmem', badFrees: 'off' };
const abortOk: NativeOptions = { layout: 'plain', badFrees: 'abort-ok' };

const A = (size: number, thread = 0): CommandData => ({ kind: 'alloc', thread, size });
const F = (ref: number, thread = 0): CommandData => ({ kind: 'free', thread, ref });

/** Judges `lines` (result lines, then the status line) as the driver's report for `commands`. */
function judge(commands: readonly CommandData[], lines: readonly string[], options: NativeOptions = plain, stderr = ''): string {
  const { runs } = parseDriverOutput(`HELLO /lib/libc.so.6 1 1 1\n${lines.join('\n')}\nE ${stderr}\nEND\n`);
  const run = runs[0];
  if (run === undefined) throw new Error('no run parsed');
  const o = judgeRun(config, options, commands, run, true);
  return o.passed ? 'passed' : `${o.invariant}@${o.step}`;
}

describe('alignment rule: min(16, the largest power of two <= size)', () => {
  it('matches the table', () => {
    const table = [[0, 1], [1, 1], [2, 2], [7, 4], [8, 8], [15, 8], [16, 16], [100, 16], [5000, 16]] as const;
    for (const [size, want] of table) expect(requiredAlignment(size), `size ${size}`).toBe(want);
  });
});

describe('judging driver reports', () => {
  it('a clean report passes', () => {
    expect(judge([A(24), A(100, 1), F(0, 1), { kind: 'check', ref: 0 }], ['a 1000 24 -1', 'a 2000 104 -1', 'f 1000', 'c 2000 -1 -1', 'S DONE 4'])).toBe('passed');
  });
  it('no-double-allocation: the same pointer twice, and an overlapping interval', () => {
    expect(judge([A(24), A(24)], ['a 1000 24 -1', 'a 1000 24 -1', 'S DONE 2'])).toBe('no-double-allocation@2');
    expect(judge([A(24), A(24)], ['a 1000 24 -1', 'a 1010 24 -1', 'S DONE 2'])).toBe('no-double-allocation@2');
    expect(judge([A(24), F(0), A(24)], ['a 1000 24 -1', 'f 1000', 'a 1000 24 -1', 'S DONE 3'])).toBe('passed');
  });
  it('alignment: 16 for 16 bytes and more, 8 for an 8-byte request; not judged in the hakmem layout', () => {
    expect(judge([A(16)], ['a 1008 24 -1', 'S DONE 1'])).toBe('alignment@1');
    expect(judge([A(8)], ['a 1008 8 -1', 'S DONE 1'])).toBe('passed');
    expect(judge([A(8)], ['a 1001 15 161', 'S DONE 1'], hakmem)).toBe('passed');
  });
  it('usable-size: below the request; in the hakmem layout, other than stride - 1', () => {
    expect(judge([A(24)], ['a 1000 23 -1', 'S DONE 1'])).toBe('usable-size@1');
    expect(judge([A(24)], ['a 1001 24 162', 'S DONE 1'], hakmem)).toBe('usable-size@1');
    expect(judge([A(24)], ['a 1001 31 162', 'S DONE 1'], hakmem)).toBe('passed');
  });
  it('header (hakmem): magic | the class the model predicts', () => {
    expect(judge([A(24)], ['a 1001 31 163', 'S DONE 1'], hakmem)).toBe('header@1');
    expect(judge([A(24)], ['a 1000 31 163', 'S DONE 1'], plain)).toBe('passed');
  });
  it('data-integrity: a broken canary after a step, before a free, or at a check', () => {
    expect(judge([A(24), A(24)], ['a 1000 24 -1', 'a 2000 24 -1', 'I 1000 0 5 6', 'S DONE 2'])).toBe('data-integrity@2');
    expect(judge([A(24), F(0)], ['a 1000 24 -1', 'J 1000 3 5 6', 'S DONE 2'])).toBe('data-integrity@2');
    expect(judge([A(24), F(0)], ['a 1000 24 -1', 'I 1000 3 5 6', 'S DONE 2'])).toBe('data-integrity@1');
    expect(judge([A(24), { kind: 'check', ref: 0 }], ['a 1000 24 -1', 'c 1000 2 7', 'S DONE 2'])).toBe('data-integrity@2');
  });
  it('no-premature-failure: malloc returned NULL', () => {
    expect(judge([A(24)], ['a 0 -1 -1', 'S DONE 1'])).toBe('no-premature-failure@1');
  });
  it('no-crash and no-hang: a signal, an exit status, a timeout, at the step that was running', () => {
    expect(judge([A(24), F(0, 1)], ['a 1000 24 -1', 'S SIGNAL 2 11 SIGSEGV'])).toBe('no-crash@2');
    expect(judge([A(24), F(0, 1)], ['a 1000 24 -1', 'S EXIT 2 3'])).toBe('no-crash@2');
    expect(judge([A(24), { kind: 'trim' }], ['a 1000 24 -1', 'S HANG 2'])).toBe('no-hang@2');
  });
  it('bad frees: an abort is the rejection only with abort-ok and only at a bad free; a bad free that returns is reported', () => {
    const cmds: CommandData[] = [A(24), F(0), { kind: 'badFree', thread: 0, bad: 'double', ref: 0, offset: 0 }];
    expect(judge(cmds, ['a 1000 24 -1', 'f 1000', 'S SIGNAL 3 6 SIGABRT'], abortOk, 'free(): double free detected in tcache 2')).toBe('passed');
    expect(judge(cmds, ['a 1000 24 -1', 'f 1000', 'S SIGNAL 3 6 SIGABRT'], plain)).toBe('no-crash@3');
    expect(judge(cmds, ['a 1000 24 -1', 'f 1000', 'b 1000', 'S DONE 3'], abortOk)).toBe('bad-free-rejected@3');
    expect(judge([A(24), F(0)], ['a 1000 24 -1', 'S SIGNAL 2 6 SIGABRT'], abortOk)).toBe('no-crash@2');
  });
  it('the driver and the model must name the same block', () => {
    expect(judge([A(24), A(24), F(1)], ['a 1000 24 -1', 'a 2000 24 -1', 'f 1000', 'S DONE 3'])).toBe('internal-error@3');
  });
});

describe('targets and the native alphabet', () => {
  it('parses the target forms', () => {
    expect(parseTarget('impl')).toEqual({ kind: 'impl' });
    expect(parseTarget('native')).toMatchObject({ kind: 'native', preload: null });
    expect(parseTarget('native:jemalloc')).toMatchObject({ preload: 'libjemalloc.so.2', pkg: 'libjemalloc2' });
    expect(parseTarget('native:mimalloc')).toMatchObject({ preload: 'libmimalloc.so.2', pkg: 'libmimalloc2.0' });
    expect(parseTarget('native:/nonexistent/x.so')).toMatch(/no such file/);
    expect(parseTarget('glibc')).toMatch(/unknown target/);
  });
  it('drain, flush, setSoftCap, setRouteProfile, forged frees and the TS queries have no driver line', () => {
    const excluded: CommandData[] = [
      { kind: 'drain', thread: 0, cls: 0 },
      { kind: 'flush', thread: 0 },
      { kind: 'setSoftCap', cls: 0, cap: 1 },
      { kind: 'setRouteProfile', profile: 'hot' },
      { kind: 'badFree', thread: 0, bad: 'forged', ref: 0, offset: 0 },
    ];
    for (const c of excluded) expect(typeof driverLine(c), c.kind).toBe('object');
    expect(typeof driverLine({ kind: 'stats' } as CommandData)).toBe('object');
    expect(NATIVE_EXCLUDED_KINDS).toEqual(['drain', 'flush', 'setSoftCap', 'setRouteProfile', 'usableSize', 'readBytes', 'writeBytes', 'misuse', 'stats', 'osLimit', 'osRefuse']);
    expect(driverLine(A(5, 2))).toBe('a 2 5');
  });
  it('repro files: target and native options round-trip; a file without them is impl', () => {
    const base: ReproFile = { formatVersion: 1, profile: 'default', config, faults: [], seed: 1, path: null, commands: [A(0), F(0, 1)], invariant: 'no-crash', failingStep: 2, message: 'SIGSEGV', minimal: true, length: 2 };
    const withTarget: ReproFile = { ...base, target: 'native:jemalloc', native: { layout: 'hakmem', badFrees: 'abort-ok' } };
    const back = parseReproText(serializeRepro(withTarget));
    if (!back.ok) throw new Error(back.reason);
    expect(back.value.repro.target).toBe('native:jemalloc');
    expect(back.value.repro.native).toEqual({ layout: 'hakmem', badFrees: 'abort-ok' });
    const old = parseReproText(serializeRepro(base));
    if (!old.ok) throw new Error(old.reason);
    expect(old.value.repro.target).toBeUndefined();
    const bad = parseReproText(serializeRepro(base).replace('"profile": "default"', '"profile": "default", "target": "glibc"'));
    expect(bad.ok ? 'ok' : bad.reason).toMatch(/"target" must be/);
  });
});

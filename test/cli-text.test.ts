// The CLI's text pieces, in-process: command text agrees with the suite's own, the printed vitest
// test really reproduces (transpiled and run here against the real runner), step rows, JUnit,
// shell quoting, colour and progress on and off a terminal.

import { Writable } from 'node:stream';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { makeConfig, profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { commandText as suiteCommandText, runCommands } from '../properties/runner.ts';
import { commandText } from '../cli/commandText.ts';
import { makeOut, makeProgress, styleFor } from '../cli/io.ts';
import type { Io } from '../cli/io.ts';
import { junitXml, numberedSteps, rerunCommandLine, shellQuote, stepRows, stepTable, vitestSnippet } from '../cli/report.ts';

const ALL_KINDS: CommandData[] = [
  { kind: 'alloc', thread: 1, size: 24 },
  { kind: 'free', thread: 0, ref: 3 },
  { kind: 'write', ref: 2, seed: 7 },
  { kind: 'check', ref: 1 },
  { kind: 'drain', thread: 1, cls: 2 },
  { kind: 'flush', thread: 1 },
  { kind: 'threadExit', thread: 0 },
  { kind: 'setSoftCap', cls: 1, cap: 0 },
  { kind: 'setRouteProfile', profile: 'hot' },
  { kind: 'trim' },
  { kind: 'badFree', thread: 0, bad: 'double', ref: 0, offset: 5 },
  { kind: 'badFree', thread: 1, bad: 'interior', ref: 4, offset: 3 },
  { kind: 'badFree', thread: 1, bad: 'forged', ref: 4, offset: 0 },
  { kind: 'osLimit', limit: 2 },
  { kind: 'osLimit', limit: null },
  { kind: 'osRefuse', count: 3 },
];

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
const fakeIo = (tty: boolean, env: NodeJS.ProcessEnv = {}): Io & { stdout: Capture; stderr: Capture } => ({ stdout: new Capture(tty), stderr: new Capture(tty), env });

describe('command text', () => {
  it('is the suite’s own text for every kind', () => {
    expect(ALL_KINDS.map(commandText)).toEqual(ALL_KINDS.map(suiteCommandText));
    expect(commandText(ALL_KINDS[0] as CommandData)).toBe('alloc(t1, 24)');
    expect(ALL_KINDS.slice(-3).map(commandText)).toEqual(['osLimit(2)', 'osLimit(none)', 'osRefuse(3)']);
  });

  it('step rows: executed steps from the records, the rest marked skipped or not reached', () => {
    const config = profileConfig('tiny');
    // The free of #0 with nothing live is skipped by its precondition.
    const cmds: CommandData[] = [{ kind: 'free', thread: 0, ref: 0 }, { kind: 'alloc', thread: 0, size: 8 }, { kind: 'flush', thread: 0 }];
    const o = runCommands(config, cmds, { record: true });
    const rows = stepRows(cmds, o.records);
    expect(rows.map((r) => [r.step, r.text])).toEqual([
      [1, 'free(t0, #0)'],
      [2, 'alloc(t0, 8)'],
      [3, 'flush(t0)'],
    ]);
    expect(rows[0]?.result).toBe('(skipped: precondition)');
    expect(rows[1]?.result).toMatch(/^0x[0-9a-f]{8}$/);
    const table = stepTable(rows, 2);
    expect(table[0]).toBe('  step  thread  command       result');
    expect(table[3]).toMatch(/^> {4}2 {2}t0 {6}alloc\(t0, 8\) {2}0x[0-9a-f]{8}$/);
    expect(numberedSteps(rows, 4, 'no-leak')).toEqual(['  1. free(t0, #0)', '  2. alloc(t0, 8)', '  3. flush(t0)', '     (end of run)   <- no-leak fails here']);
  });
});

describe('the printed vitest test', () => {
  /** Strips the imports, transpiles, and runs the body with vitest's expect and the real suite. */
  function runSnippet(source: string): string[] {
    const body = source
      .split('\n')
      .filter((l) => !l.startsWith('import '))
      .join('\n');
    const js = ts.transpileModule(body, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
    const ran: string[] = [];
    const fakeTest = (name: string, fn: () => void): void => {
      fn();
      ran.push(name);
    };
    new Function('expect', 'test', 'makeConfig', 'runCommands', js)(expect, fakeTest, makeConfig, runCommands);
    return ran;
  }

  it('with a planted fault: asserts the failure and that it passes without the fault, and does', () => {
    const config = profileConfig('tiny', { faults: ['remote-free-keeps-active'] });
    const commands: CommandData[] = [
      { kind: 'alloc', thread: 0, size: 0 },
      { kind: 'free', thread: 1, ref: 0 },
    ];
    const o = runCommands(config, commands);
    expect(o).toMatchObject({ passed: false, invariant: 'census', step: 2 });
    const snippet = vitestSnippet({ file: 'counterexamples/census/x.json', config, faults: config.faults, commands, invariant: 'census', failingStep: 2 });
    expect(snippet).toContain(`import { runCommands } from '../properties/runner.ts';`);
    expect(snippet).toContain(`    {"kind":"free","thread":1,"ref":0}, // 2. free(t1, #0)`);
    expect(runSnippet(snippet)).toEqual(['census: counterexamples/census/x.json']);
    // A snippet that claims the wrong step does not pass.
    expect(() => runSnippet(snippet.replace(`['census', 2]`, `['census', 1]`))).toThrow();
  });

  it('with no fault (a real bug): asserts that the commands pass, so it fails until fixed', () => {
    const snippet = vitestSnippet({ file: 'f.json', config: profileConfig('tiny'), faults: [], commands: [{ kind: 'trim' }], invariant: 'no-leak', failingStep: 1 });
    expect(snippet).toContain('expect(runCommands(config, commands)).toMatchObject({ passed: true });');
    expect(runSnippet(snippet)).toHaveLength(1);
  });
});

describe('report pieces', () => {
  it('quotes shell arguments only when needed', () => {
    expect(shellQuote('counterexamples/census/ab12.json')).toBe('counterexamples/census/ab12.json');
    expect(shellQuote("my dir/it's.json")).toBe(`'my dir/it'\\''s.json'`);
  });

  it('re-run command repeats the search options', () => {
    expect(rerunCommandLine({ profiles: ['tiny'], allProfiles: false, seed: 9, budget: { kind: 'time', seconds: 2.5 }, faults: ['soft-cap-ignored'], outDir: null })).toBe(
      'npx alloc-check run --profile tiny --seed 9 --time 2.5 --faults soft-cap-ignored',
    );
    expect(rerunCommandLine({ profiles: ['a', 'b'], allProfiles: true, seed: 0, budget: { kind: 'runs', runs: 3 }, faults: [], outDir: 'out dir' })).toBe(
      `npx alloc-check run --profile all --seed 0 --runs 3 --out 'out dir'`,
    );
  });

  it('JUnit: one testcase per requested profile, failure with invariant and replay, escaped', () => {
    const x = junitXml({
      seed: 3,
      seconds: 1.5,
      requested: ['tiny', 'tiny-meta', 'tiny-hot'],
      profiles: [
        { profile: 'tiny', runs: 10, steps: 100, passed: true, timeMs: 1250 },
        { profile: 'tiny-meta', runs: 4, steps: 40, passed: false, timeMs: 20 },
      ],
      failure: { profile: 'tiny-meta', invariant: 'delta-zero', message: 'delta <3> & "more"', file: 'counterexamples/delta-zero/ab.json', steps: ['  1. alloc(t0, 8)'], rerun: 'npx alloc-check run --seed 3' },
    });
    expect(x.match(/<testcase /g)).toHaveLength(3);
    expect(x).toContain('<testsuites name="alloc-check" tests="3" failures="1" time="1.500">');
    expect(x).toContain('<testcase classname="alloc-check.run" name="tiny" time="1.250" runs="10" steps="100"/>');
    expect(x).toContain('<failure type="delta-zero" message="delta-zero: delta &lt;3&gt; &amp; &quot;more&quot; -- replay: npx alloc-check replay counterexamples/delta-zero/ab.json">');
    expect(x).toMatch(/name="tiny-hot" time="0.000">\s*<skipped /);
  });

  it('JUnit: a profile that ran too few runs is a failed testcase, never a passed one; every testcase has a time', () => {
    const x = junitXml({
      seed: 3,
      seconds: 0.01,
      requested: ['tiny', 'default'],
      profiles: [
        { profile: 'tiny', runs: 1, steps: 10, passed: true, timeMs: 9 },
        { profile: 'default', runs: 0, steps: 0, passed: true, timeMs: 0 },
      ],
      failure: null,
      starved: [{ profile: 'default', runs: 0 }],
      minRuns: 1,
    });
    expect(x).toContain('failures="1"');
    expect(x).toMatch(/name="default" time="0.000" runs="0" steps="0">\s*<failure type="too-few-runs" message="ran 0 runs, fewer than --min-runs 1/);
    expect(x).toContain('<testcase classname="alloc-check.run" name="tiny" time="0.009" runs="1" steps="10"/>');
    for (const tc of x.match(/<testcase [^>]*>/g) ?? []) expect(tc).toMatch(/ time="\d+\.\d{3}"/);
  });
});

describe('terminal handling', () => {
  it('colour only on a TTY and never with NO_COLOR', () => {
    expect(styleFor({ isTTY: true }, {}).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' }).red('x')).toBe('x');
    expect(styleFor({ isTTY: true }, { NO_COLOR: '' }).red('x')).toBe('\u001b[31mx\u001b[39m'); // empty: not set (no-color.org)
    expect(styleFor({ isTTY: false }, {}).red('x')).toBe('x');
  });

  it('with --json the human text goes to stderr and stdout holds only JSON', () => {
    const io = fakeIo(false);
    const out = makeOut(io, true);
    out.line('seed 1');
    out.json({ a: 1 });
    expect(io.stderr.text).toBe('seed 1\n');
    expect(JSON.parse(io.stdout.text)).toEqual({ a: 1 });
  });

  it('progress: a bar redrawn with \\r on a TTY, cleared at the end; plain lines otherwise', () => {
    let t = 0;
    const tty = fakeIo(true, { NO_COLOR: '1' });
    const p = makeProgress(tty, 'run', { now: () => (t += 100) });
    p.update(1, 4, 'tiny');
    p.update(2, 4, 'tiny');
    p.finish();
    expect(tty.stderr.text).toContain('\rrun [############............]  50% tiny 2/4 runs');
    expect(tty.stderr.text).not.toContain('\u001b[');
    expect(tty.stderr.text.endsWith('\r')).toBe(true);

    const plain = fakeIo(false);
    const q = makeProgress(plain, 'run');
    q.update(1, 4, 'tiny');
    q.update(2, 4, 'tiny');
    q.update(3, 4, 'tiny-meta');
    // The search interleaves profiles: a profile met again adds no line to a log.
    q.update(4, 6, 'tiny');
    q.update(5, 6, 'tiny-meta');
    q.finish();
    expect(plain.stderr.text).toBe('run: searching profile tiny\nrun: searching profile tiny-meta\n');
  });

  it('progress under a time budget shows the elapsed share', () => {
    let t = 0;
    const tty = fakeIo(true, { NO_COLOR: '1' });
    const p = makeProgress(tty, 'run', { timeMs: 1000, now: () => t });
    t = 250;
    p.update(7, 0, 'tiny');
    expect(tty.stderr.text).toContain('\rrun [######..................]  25% tiny 7 runs');
  });
});

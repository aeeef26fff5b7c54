// The merge gate never passes by accident, never crashes on ordinary shell use, never hangs.
// Method: one test per promise, each written to fail on the behaviour before the fix: a budget too
// small for one run is exit 1 (not PASSED) and a failed JUnit testcase; a closed pipe ends the
// tool quietly; a FIFO, a symlink loop, an empty path and a BOM get one line and exit 2 (the FIFO
// within a second); numbers and lists are refused with the rule they break; `mutants` writes
// nothing under counterexamples/ unless asked; `replay --faults` overrides the file's faults; a
// trailing step skipped by its precondition is labelled so; explore shows its progress inside a level
// on a terminal and reports both the depth asked and the depth completed. Most run main() in-process; pipes and
// the FIFO run the real binary, since there the process boundary is what is tested.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import { serializeRepro } from '../cli/repro.ts';
import type { ReproFile } from '../cli/repro.ts';
import { BIN, captureIo, ROOT, runCli, spawnCli, expectOneLineError } from './support/cli.ts';
import { main } from '../cli/main.ts';
import type { Ran } from './support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alloc-check-gate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


describe('no vacuous pass', () => {
  it('run --time 0.001 checks nothing: exit 1, one line naming the profiles that ran no run, no PASSED', async () => {
    const junit = join(tmp, 'vacuous.xml');
    const r = await runCli(['run', '--time', '0.001', '--seed', '1', '--junit', junit]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(/PASSED/);
    const line = r.stdout.split('\n').filter((l) => l.startsWith('NOT A PASS'));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(/^NOT A PASS: profiles? .*\(0 runs\).* ran fewer than --min-runs 1; nothing was checked there/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<failure type="too-few-runs"/);
    // Every profile without a run is a failed testcase, never a passed one.
    for (const tc of xml.match(/<testcase [^>]*runs="0"[^>]*(\/>|>)/g) ?? []) expect(tc.endsWith('/>'), tc).toBe(false);
  });

  it('--json says passed: false and names the starved profiles', async () => {
    // The first turn of a search always completes its run; the second profile never gets one.
    const r = await runCli(['run', '--profile', 'tiny,default', '--time', '0.001', '--seed', '1', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { passed: boolean; starved: string[] };
    expect(j).toMatchObject({ passed: false, starved: ['default'] });
  });

  it('--min-runs N: a profile under N runs fails the search; N above --runs is a usage error', async () => {
    const r = await runCli(['run', '--profile', 'tiny', '--runs', '3', '--min-runs', '3', '--seed', '1']);
    expect(r.code).toBe(0);
    expectOneLineError(await runCli(['run', '--profile', 'tiny', '--runs', '3', '--min-runs', '4']), /--min-runs 4 is more than --runs 3/);
    const starved = await runCli(['run', '--profile', 'tiny', '--time', '0.2', '--min-runs', '10000000', '--seed', '1']);
    expect(starved.code).toBe(1);
    expect(starved.stdout).toMatch(/^NOT A PASS: profile tiny \(\d+ runs?\) ran fewer than --min-runs 10000000/m);
  });

  it("mutants' clean run with a budget too small for a run is not a pass", async () => {
    const r = await runCli(['mutants', '--time', '0.001', '--faults', 'soft-cap-ignored', '--out', join(tmp, 'm0'), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { clean: { passed: boolean; starved: string[] } };
    expect(j.clean.passed).toBe(false);
    expect(j.clean.starved.length).toBeGreaterThan(0);
  });
});

/** A shell pipeline: the binary's stdout into `head -n`. */
function pipeline(args: readonly string[], lines: number): Promise<{ stdout: string; stderr: string }> {
  const quoted = args.map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    execFile('sh', ['-c', `"${process.execPath}" "${BIN}" ${quoted} | head -${lines}`], { cwd: ROOT, env: { ...process.env, NO_COLOR: '' }, timeout: 60_000 }, (_e, stdout, stderr) => resolve({ stdout, stderr }));
  });
}

describe('pipes: a reader that goes away ends the tool quietly', () => {
  it('list | head -1 prints one line and no trace', async () => {
    const r = await pipeline(['list'], 1);
    expect(r.stdout).toBe('profiles\n');
    expect(r.stderr).not.toMatch(/Error|EPIPE|at .*:\d+/);
  });

  it('run ... | head -2 prints two lines and no trace', async () => {
    const r = await pipeline(['run', '--profile', 'tiny', '--runs', '3', '--seed', '1'], 2);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/Error|EPIPE|at .*:\d+/);
  });
});

const validRepro: ReproFile = {
  formatVersion: 1,
  profile: 'tiny',
  config: profileConfig('tiny', { faults: ['double-free-unchecked'] }),
  faults: ['double-free-unchecked'],
  seed: 1,
  path: null,
  commands: [
    { kind: 'alloc', thread: 0, size: 0 },
    { kind: 'free', thread: 0, ref: 0 },
    { kind: 'badFree', thread: 0, bad: 'double', ref: 0, offset: 0 },
  ],
  invariant: 'bad-free-rejected',
  failingStep: 3,
  message: 'hand-written',
  minimal: true,
  length: 3,
};

describe('odd files', () => {
  it('replay of a FIFO exits 2 within a second, one line (the binary: the FIFO never gets a writer)', async () => {
    const fifo = join(tmp, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    const r = await spawnCli(['replay', fifo], {}, 10_000);
    const ms = Date.now() - started;
    expectOneLineError(r, /pipe\.json: is a FIFO \(named pipe\), not a regular file/);
    // The process start-up itself takes about a second on a loaded 2-core machine.
    expect(ms).toBeLessThan(5_000);
    const inProcess = Date.now();
    expectOneLineError(await runCli(['replay', fifo]), /is a FIFO/);
    expect(Date.now() - inProcess).toBeLessThan(1_000);
  });

  it('a symlink loop, an empty path and a UTF-8 BOM get one line of the tool’s own words', async () => {
    const loop = join(tmp, 'loop.json');
    symlinkSync(loop, loop);
    expectOneLineError(await runCli(['replay', loop]), /loop\.json: a symbolic link loop/);
    expectOneLineError(await runCli(['replay', '']), /\(empty path\): an empty path names no file/);
    const bom = join(tmp, 'bom.json');
    writeFileSync(bom, `\ufeff${serializeRepro(validRepro)}`);
    expectOneLineError(await runCli(['replay', bom]), /bom\.json: starts with a UTF-8 byte-order mark \(BOM\)/);
    expectOneLineError(await runCli(['minimize', bom]), /byte-order mark/);
  });
});

describe('numbers and lists', () => {
  const cases: [string, readonly string[], RegExp][] = [
    ['--runs -1', ['run', '--runs', '-1'], /option --runs: must be a whole number ≥ 1 \(got "-1"\)/],
    ['--seed -5', ['run', '--seed', '-5'], /option --seed: must be a whole number ≥ 0 \(got "-5"\)/],
    ['--time -2', ['run', '--time', '-2'], /option --time: must be more than 0/],
    ['--faults x,,', ['run', '--faults', 'soft-cap-ignored,,'], /option --faults: must be a fault name or a comma-separated list of them, with no empty item/],
    ['--faults ,x', ['mutants', '--faults', ',soft-cap-ignored'], /option --faults: .*no empty item/],
    ['--profile tiny,', ['run', '--profile', 'tiny,'], /option --profile: must be a profile name or a comma-separated list of them, with no empty item/],
    ['--profile all,tiny', ['run', '--profile', 'all,tiny'], /option --profile: "all" stands alone/],
    ['explore --faults x,,', ['explore', '--profile', 'tiny', '--depth', '2', '--faults', 'soft-cap-ignored,,'], /no empty item/],
    ['a repeated option', ['run', '--seed', '1', '--seed', '2'], /run: option --seed is given more than once/],
    ['a repeated flag', ['list', '--json', '--json'], /list: option --json is given more than once/],
    ['replay --faults x,,', ['replay', 'x.json', '--faults', 'soft-cap-ignored,,'], /no empty item/],
  ];
  for (const [name, args, re] of cases) it(name, async () => expectOneLineError(await runCli(args), re));
});

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

describe('mutants leaves the tree clean', () => {
  it('without --out it writes its repros to a temporary folder it names, and nothing under counterexamples/', async () => {
    const before = listTree(join(ROOT, 'counterexamples'));
    // --runs, not --time: a budget in seconds can starve a profile on a loaded runner (CI did).
    const r = await runCli(['mutants', '--faults', 'soft-cap-ignored', '--runs', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(listTree(join(ROOT, 'counterexamples'))).toEqual(before);
    const j = JSON.parse(r.stdout) as { outDir: string; faults: { file: string }[] };
    expect(j.outDir.startsWith(tmpdir())).toBe(true);
    expect(r.stderr).toContain(`repros: ${j.outDir} (a temporary folder`);
    expect(j.faults[0]?.file.startsWith(j.outDir)).toBe(true);
    rmSync(j.outDir, { recursive: true, force: true });
  }, 60_000);
});

describe('replay --faults LIST|none and the last rows', () => {
  const file = join(tmp, 'double.json');
  writeFileSync(file, serializeRepro(validRepro));

  it('--faults none replays without the file’s faults (and leaves the file as it was)', async () => {
    const before = readFileSync(file, 'utf8');
    expect((await runCli(['replay', file])).code).toBe(1);
    const r = await runCli(['replay', file, '--faults', 'none']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('replayed with faults: none (--faults; the file is unchanged)');
    expect(r.stdout).toMatch(/^NO LONGER FAILS/m);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const other = await runCli(['replay', file, '--faults', 'soft-cap-ignored', '--json']);
    expect(JSON.parse(other.stdout)).toMatchObject({ passed: true, faults: ['soft-cap-ignored'] });
    expectOneLineError(await runCli(['replay', file, '--faults', 'nope']), /unknown fault "nope"/);
  });

  it('a trailing step skipped by its precondition is labelled skipped, and the summary counts it', async () => {
    // The third free names a block of an empty live list: its precondition skips it.
    const skipped = join(tmp, 'skipped.json');
    const commands = [
      { kind: 'alloc', thread: 0, size: 0 },
      { kind: 'free', thread: 0, ref: 0 },
      { kind: 'free', thread: 0, ref: 0 },
    ] as const;
    writeFileSync(skipped, serializeRepro({ ...validRepro, commands: [...commands], length: 3 }));
    const r = await runCli(['replay', skipped, '--faults', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ +3 {2}t0 {6}free\(t0, #0\) {2}\(skipped: precondition\)$/m);
    expect(r.stdout).not.toContain('(not reached)');
    expect(r.stdout).toContain('all 3 steps passed (2 executed, 1 skipped by their precondition)');
  });
});

describe('explore: progress inside a level, and both depths in the JSON', () => {
  for (const workers of ['1', '2']) {
    it(`on a terminal a status line shows the level being searched (${workers} worker${workers === '1' ? '' : 's'}); --json has depth asked and completed`, async () => {
      const io = captureIo({}, true);
      // 3 s: enough for depth 1 and a status line inside the next level even on a loaded runner
      // (two workers take a while to start).
      const code = await main(['explore', '--profile', 'tiny', '--depth', '8', '--time', '3', '--workers', workers, '--json'], io);
      expect(code).toBe(0);
      const j = JSON.parse(io.stdout.text) as { depth: number; depthCompleted: number };
      expect(j.depth).toBe(8);
      expect(j.depthCompleted).toBeGreaterThanOrEqual(1);
      expect(j.depthCompleted).toBeLessThan(8);
      // Redrawn in place with \r, then cleared before the per-depth lines and at the end.
      expect(io.stderr.text).toMatch(/\rexplore: level \d+: \d+ transitions, \d+ distinct states, \d+\/s, \d+ s/);
    }, 30_000);
  }

  it('off a terminal there is no status line (a log gets the per-depth lines only)', async () => {
    const r = await runCli(['explore', '--profile', 'tiny', '--depth', '8', '--time', '1', '--workers', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('\r');
    expect(r.stdout).toMatch(/^ {2}depth 1: \d+ distinct states/m);
  });
});

// The command-line tool through its real entry point main() (in-process, test/support/cli.ts; the
// process boundary itself is tested in test/gate.test.ts and once here): bad input gets exit 2
// and one line on stderr naming the problem; a planted fault gets exit 1, a repro file, a replay
// and re-run command and a vitest test; replay and minimize work on the file it wrote.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_NAMES, PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import { INVARIANT_NAMES } from '../properties/commandData.ts';
import { loadRepro, serializeRepro } from '../cli/repro.ts';
import type { ReproFile } from '../cli/repro.ts';

import { runCli as cli, spawnCli, expectOneLineError } from './support/cli.ts';
import type { Ran } from './support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alloc-check-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


// A valid repro on the tiny profile; the bad files are variations of it.
const FAULT = 'double-free-unchecked';
const valid: ReproFile = {
  formatVersion: 1,
  profile: 'tiny',
  config: profileConfig('tiny', { faults: [FAULT] }),
  faults: [FAULT],
  seed: 1,
  path: null,
  commands: [
    { kind: 'alloc', thread: 0, size: 0 },
    { kind: 'free', thread: 0, ref: 0 },
  ],
  invariant: 'census',
  failingStep: 2,
  message: 'hand-written',
  minimal: false,
  length: 2,
};
const validText = serializeRepro(valid);
const variant = (name: string, patch: (o: Record<string, unknown>) => void): string => {
  const o = JSON.parse(validText) as Record<string, unknown>;
  patch(o);
  const f = join(tmp, name);
  writeFileSync(f, JSON.stringify(o));
  return f;
};
const raw = (name: string, text: string): string => {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
};

const files = {
  malformed: raw('malformed.json', '{ "formatVersion": 1, profile: tiny }'),
  truncated: raw('truncated.json', validText.slice(0, Math.floor(validText.length / 2))),
  v2: variant('v2.json', (o) => (o.formatVersion = 2)),
  badInvariant: variant('bad-invariant.json', (o) => (o.invariant = 'no-such-invariant')),
  badFault: variant('bad-fault.json', (o) => {
    o.faults = ['no-such-fault'];
    (o.config as Record<string, unknown>).faults = ['no-such-fault'];
  }),
  badConfig: variant('bad-config.json', (o) => ((o.config as Record<string, unknown>).slabSize = 100)),
  badCommand: variant('bad-command.json', (o) => (o.commands = [{ kind: 'realloc', thread: 0 }])),
};

describe.concurrent('bad input: exit 2, one line naming the problem', () => {
  const cases: [string, readonly string[], RegExp][] = [
    ['no subcommand', [], /missing subcommand; one of run, replay, minimize, list/],
    ['unknown subcommand', ['frobnicate'], /unknown subcommand "frobnicate"/],
    ['explore without --profile', ['explore', '--depth', '3'], /explore: missing --profile NAME/],
    ['explore with a bad --depth', ['explore', '--profile', 'tiny', '--depth', '0'], /--depth/],
    ['explore with an unknown profile', ['explore', '--profile', 'nope', '--depth', '2'], /unknown profile "nope"/],
    ['explore --swarm with --max-live', ['explore', '--profile', 'tiny', '--depth', '2', '--swarm', '--max-live', '2'], /explore: --swarm cannot be used with --max-live or --no-symmetry/],
    ['explore with zero --workers', ['explore', '--profile', 'tiny', '--depth', '2', '--workers', '0'], /option --workers: must be between 1 and 64/],
    ['explore with non-numeric --workers', ['explore', '--profile', 'tiny', '--depth', '2', '--workers', 'two'], /option --workers: must be a whole number \(got "two"\)/],
    ['unknown option', ['run', '--frobnicate'], /run: unknown option --frobnicate/],
    ['--runs with --time', ['run', '--runs', '5', '--time', '3'], /--runs and --time cannot be used together/],
    ['non-numeric --seed', ['run', '--seed', 'abc'], /option --seed: must be a whole number \(got "abc"\)/],
    ['negative --seed', ['run', '--seed', '-1'], /--seed/],
    ['--seed too large', ['run', '--seed', '4294967296'], /option --seed: must be between 0 and 2147483647/],
    ['non-numeric --runs', ['run', '--runs', 'many'], /option --runs: must be a whole number \(got "many"\)/],
    ['zero --runs', ['run', '--runs', '0'], /option --runs: must be a whole number ≥ 1 \(got "0"\)/],
    ['non-numeric --time', ['run', '--time', 'soon'], /option --time: must be a number of seconds \(got "soon"\)/],
    ['missing option value', ['run', '--seed'], /option --seed needs a value/],
    ['unknown profile', ['run', '--profile', 'huge'], /unknown profile "huge"; known: default, phase9, tiny/],
    ['unknown fault', ['run', '--faults', 'double-free-unchecked,no-such-fault'], /unknown fault "no-such-fault"; known: remote-drain-skips-empty/],
    ['positional to run', ['run', 'tiny'], /run: unexpected argument "tiny"/],
    ['replay without FILE', ['replay'], /replay: missing FILE/],
    ['replay of two files', ['replay', files.v2, files.v2], /replay: unexpected argument/],
    ['nonexistent file', ['replay', join(tmp, 'absent.json')], /absent\.json: no such file or directory/],
    ['a directory', ['replay', tmp], /is a directory/],
    ['malformed JSON', ['replay', files.malformed], /malformed\.json: invalid JSON/],
    ['truncated JSON', ['replay', files.truncated], /truncated\.json: truncated JSON/],
    ['unknown format version', ['replay', files.v2], /v2\.json: unknown formatVersion 2/],
    ['unknown invariant', ['replay', files.badInvariant], /bad-invariant\.json: unknown invariant "no-such-invariant"/],
    ['unknown fault in file', ['replay', files.badFault], /bad-fault\.json: unknown fault "no-such-fault"/],
    ['config failing validation', ['replay', files.badConfig], /bad-config\.json: invalid config: config\.slabSize: must be a power of two/],
    ['unknown command kind', ['replay', files.badCommand], /bad-command\.json: commands\[0\]: unknown command kind "realloc"/],
    ['minimize without FILE', ['minimize'], /minimize: missing FILE/],
    ['minimize --time junk', ['minimize', files.v2, '--time', 'x'], /option --time: must be a number of seconds/],
    ['list with an argument', ['list', 'profiles'], /list: unexpected argument "profiles"/],
  ];
  for (const [name, args, re] of cases) {
    it(name, async () => expectOneLineError(await cli(args), re));
  }

  it('as a process, too: the binary exits 2 with the same one line', async () => {
    expectOneLineError(await spawnCli(['run', '--seed', 'abc']), /option --seed: must be a whole number \(got "abc"\)/);
  });

  it('minimize on a bad file leaves it untouched', async () => {
    const before = readFileSync(files.truncated);
    const mtime = statSync(files.truncated).mtimeMs;
    expectOneLineError(await cli(['minimize', files.truncated]), /truncated JSON/);
    expect(readFileSync(files.truncated)).toEqual(before);
    expect(statSync(files.truncated).mtimeMs).toBe(mtime);
  });
});

describe.concurrent('list', () => {
  it('--json prints only the catalogues', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ profiles: [...PROFILE_NAMES], invariants: [...INVARIANT_NAMES], faults: [...FAULT_NAMES] });
  });

  it('prints profiles, invariants and faults for a human, without ANSI codes off a TTY', async () => {
    const r = await cli(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^profiles\n {2}default /);
    expect(r.stdout).toContain('  tiny          4 classes (strides 8/16/32/64), slab 128 B');
    expect(r.stdout).toContain('\n  no-leak\n');
    expect(r.stdout).toContain('\n  remote-free-keeps-active\n');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('--help prints the subcommand usage, exit 0', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: alloc-check run \[--profile NAME\|all\]/);
  });
});

describe('run, replay and minimize on a planted fault', () => {
  const out = join(tmp, 'ce');
  const junit = join(tmp, 'report.xml');
  let run: Ran;
  let file: string;

  beforeAll(async () => {
    run = await cli(['run', '--profile', 'tiny', '--faults', FAULT, '--runs', '200', '--seed', '1', '--out', out, '--junit', junit]);
    file = /^written: {2}(.*)$/m.exec(run.stdout)?.[1] ?? '';
  });

  it('as a process: the binary exits 1 on a counterexample', async () => {
    const r = await spawnCli(['run', '--profile', 'tiny', '--faults', FAULT, '--runs', '200', '--seed', '1', '--out', join(tmp, 'ce-process')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: invariant /m);
  });

  it('exits 1 and prints the seed, the invariant, the steps, the replay and re-run commands and a vitest test', () => {
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe('alloc-check run: seed 1');
    expect(run.stdout).toMatch(/^FAILED: invariant "[a-z-]+" broken \(profile tiny, faults: double-free-unchecked, seed 1\)$/m);
    expect(run.stdout).toMatch(/^minimal repro: \d+ steps? \(from \d+; minimal: /m);
    expect(run.stdout).toMatch(/^ +1\. [a-zA-Z]+\(/m);
    expect(run.stdout).toContain(`replay:   npx alloc-check replay ${file}`);
    expect(run.stdout).toContain(`re-run:   npx alloc-check run --profile tiny --seed 1 --runs 200 --faults ${FAULT} --out ${out}`);
    expect(run.stdout).toContain(`import { runCommands } from '../properties/runner.ts';`);
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('wrote a valid, minimal repro under <out>/<invariant>/', () => {
    const l = loadRepro(file);
    expect(l.ok).toBe(true);
    if (!l.ok) return;
    const r = l.value.repro;
    expect(file).toBe(join(out, r.invariant, `${/([0-9a-f]{12})\.json$/.exec(file)?.[1]}.json`));
    expect(r).toMatchObject({ profile: 'tiny', faults: [FAULT], seed: 1, minimal: true, length: r.commands.length });
    expect(run.stdout).toContain(`FAILED: invariant "${r.invariant}"`);
  });

  it('wrote a JUnit report with one testcase per profile and the failure', () => {
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml.match(/<testcase /g)).toHaveLength(1);
    expect(xml).toMatch(/<testcase classname="alloc-check.run" name="tiny"[^>]*>\s*<failure type="[a-z-]+" message="[^"]*replay: npx alloc-check replay /);
  });

  it('replay: step table, failure and slab map, exit 1', async () => {
    const r = await cli(['replay', file]);
    expect(r.code, r.stderr).toBe(1);
    const l = loadRepro(file);
    if (!l.ok) throw new Error(l.error.reason);
    const { invariant, failingStep, length } = l.value.repro;
    expect(r.stdout).toMatch(/^ {4}step {2}thread {2}command +result$/m);
    expect(r.stdout.match(/^ {2}[ >] +\d+ {2}(t\d|-) /gm)).toHaveLength(Math.min(failingStep, length));
    expect(r.stdout).toMatch(new RegExp(`^ {2}> +${failingStep} {2}`, 'm'));
    expect(r.stdout).toContain(`STILL FAILS: ${invariant} at step ${failingStep}: `);
    expect(r.stdout).toMatch(/^slab map after step \d+:\n {2}slab \d+ \(superslab 0x[0-9a-f]{8}, slab \d+, start 0x[0-9a-f]{8}\): class \d+/m);
    expect(r.stdout).toMatch(/^ {8}0 [#fcr.!]+$/m);
    expect(r.stdout).toContain('legend: # live (in the application), f free (on the slab freelist), c cached');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('replay --json: stdout holds only the JSON', async () => {
    const r = await cli(['replay', file, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as { passed: boolean; failure: { invariant: string; step: number }; steps: unknown[]; recorded: { invariant: string } };
    expect(j.passed).toBe(false);
    expect(j.failure.invariant).toBe(j.recorded.invariant);
    expect(j.steps).toHaveLength(j.failure.step > j.steps.length ? j.steps.length : j.failure.step);
  });

  it('replay of the same commands without the fault: exit 0, says it no longer fails', async () => {
    const l = loadRepro(file);
    if (!l.ok) throw new Error(l.error.reason);
    const clean = join(tmp, 'clean.json');
    writeFileSync(clean, serializeRepro({ ...l.value.repro, faults: [], config: l.value.cleanConfig }));
    const r = await cli(['replay', clean]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NO LONGER FAILS: all \d+ steps passed/m);
  });

  it('minimize: an unminimised copy is rewritten in place, minimal, still failing', async () => {
    const l = loadRepro(file);
    if (!l.ok) throw new Error(l.error.reason);
    const padded = join(tmp, 'padded.json');
    const extra = [{ kind: 'trim' } as const, ...l.value.repro.commands, { kind: 'flush', thread: 1 } as const];
    writeFileSync(padded, serializeRepro({ ...l.value.repro, commands: extra, length: extra.length, minimal: false }));
    const r = await cli(['minimize', padded]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`${extra.length} -> ${l.value.repro.length} steps (minimal)`);
    const after = loadRepro(padded);
    expect(after.ok && after.value.repro).toEqual({ ...l.value.repro });
  });

  it('an unwritable --out: exit 2, one line naming the file (after the failure report)', async () => {
    const blocker = join(tmp, 'not-a-dir');
    writeFileSync(blocker, '');
    const r = await cli(['run', '--profile', 'tiny', '--faults', FAULT, '--runs', '200', '--seed', '1', '--out', blocker]);
    expect(r.code).toBe(2);
    const errLines = r.stderr.split('\n').filter((l) => l.startsWith('alloc-check:'));
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(/^alloc-check: cannot write .*not-a-dir\/[a-z-]+\/[0-9a-f]{12}\.json: a path component is not a directory$/);
  });

  it('--json: stdout holds only the JSON document', async () => {
    const r = await cli(['run', '--profile', 'tiny', '--faults', FAULT, '--runs', '200', '--seed', '1', '--out', join(tmp, 'ce-json'), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['passed', 'seed', 'profiles', 'steps', 'counterexample', 'starved']);
    expect(j).toMatchObject({ passed: false, seed: 1, profiles: [{ profile: 'tiny', passed: false }] });
    expect(r.stderr).toMatch(/^alloc-check run: seed 1$/m);
  });
});

describe('run without faults', () => {
  it('exits 0 with --json {"passed": true, ...}; progress lines on stderr off a TTY', async () => {
    const r = await cli(['run', '--profile', 'tiny,tiny-meta', '--runs', '30', '--seed', '7', '--json'], { NO_COLOR: '1' });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { passed: boolean; seed: number; steps: number; counterexample: null; profiles: { profile: string; runs: number; passed: boolean }[] };
    expect(j).toMatchObject({ passed: true, seed: 7, counterexample: null });
    expect(j.profiles.map((p) => [p.profile, p.runs, p.passed])).toEqual([
      ['tiny', 30, true],
      ['tiny-meta', 30, true],
    ]);
    expect(j.steps).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^alloc-check run: seed 7$/m);
    expect(r.stderr).toMatch(/^PASSED: every invariant held/m);
    expect(r.stderr).not.toContain('\u001b[');
    expect(r.stderr).not.toContain('\r');
  });

  it('defaults the seed from the clock and prints it', async () => {
    const r = await cli(['run', '--profile', 'tiny', '--runs', '5']);
    expect(r.code, r.stderr).toBe(0);
    const seed = /^alloc-check run: seed (\d+) \(from the clock; pass --seed \1 to reuse it\)$/m.exec(r.stdout);
    expect(seed).not.toBeNull();
  });
});

describe('explore on a planted fault', () => {
  for (const mode of [['--workers', '2'], ['--swarm', '--workers', '1']] as const) {
    it(`${mode.join(' ')}: exit 1, --json names the shortest violation and its file, and replay reproduces it`, async () => {
      const out = join(tmp, `explore-${mode[0].slice(2)}`);
      const r = await cli(['explore', '--profile', 'tiny', '--depth', '4', '--time', '30', '--faults', 'double-free-unchecked', '--out', out, '--json', ...mode]);
      expect(r.code, r.stderr).toBe(1);
      const j = JSON.parse(r.stdout) as { violation: { invariant: string; length: number; file: string } };
      expect(j.violation).toMatchObject({ invariant: 'bad-free-rejected', length: 3 });
      const loaded = loadRepro(j.violation.file);
      if (!loaded.ok) throw new Error(loaded.error.reason);
      expect(loaded.value.repro).toMatchObject({ invariant: 'bad-free-rejected', failingStep: 3, minimal: true, faults: ['double-free-unchecked'] });
      const replayed = await cli(['replay', j.violation.file]);
      expect(replayed.code).toBe(1);
      expect(replayed.stdout).toContain('STILL FAILS: bad-free-rejected at step 3');
    }, 60_000);
  }
});

// The gate tests itself: the kill matrix at a fixed seed with a small budget, every fault searched
// by the user's own search (`run --profile all`, nothing that knows the fault). The clean run must
// pass, every planted fault must be killed by the check that describes it, and every repro the
// matrix writes must be short, minimal, and replay (fails with the fault, passes without). A spy
// runner shows that the matrix calls the suite with exactly `run`'s options. The command line is
// exercised in-process (bad input: exit 2 and one line) and once as a process.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_NAMES, PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FaultName } from '../impl/index.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import { isMeasuredFailure } from '../properties/runnerApi.ts';
import { main } from '../cli/main.ts';
import type { Io } from '../cli/io.ts';
import { loadRepro } from '../cli/repro.ts';
import { AIM_REPRO, loadMatrixDeps, matrixTable, median, nonNegativeRefs, parseMutantsArgs, runKillMatrix, SEED_DOCUMENTS, seedList } from '../cli/mutants.ts';
import type { KillMatrix, MatrixDeps } from '../cli/mutants.ts';
import { parseRunArgs, runMain } from '../cli/run.ts';
import type { SuiteOptions, SuiteResult } from '../properties/runnerApi.ts';
import { runSuite } from '../properties/runner.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'alloc-check-mutants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The check each fault must fall to at seed 1 (SPEC §7 names; the warm-pool one is measured). */
const EXPECTED: Readonly<Record<FaultName, readonly FailureName[]>> = {
  'remote-drain-skips-empty': ['empty-recycled'],
  'tls-drain-skips-empty': ['empty-recycled'],
  'soft-cap-ignored': ['soft-cap'],
  'empty-scan-tail-missed': ['empty-recycled'],
  'meta-light-never-flushes': ['delta-zero'],
  'attach-keeps-stale-delta': ['delta-zero'],
  'class-stride-offset': ['header'],
  // The clobbered header is seen by the list walk, or by the allocator's own pop check first.
  'remote-drain-no-header-restore': ['lists-wellformed', 'header', 'internal-error'],
  // The stale cached block is seen by the list walk, or popped in the step that rebinds it, where the
  // allocator's own header check throws first.
  'rebind-keeps-stale-cache': ['lists-wellformed', 'internal-error'],
  'warm-pool-no-prefill': ['warm-pool-hit-rate'],
  'warm-pool-no-pushback': ['warm-pool-pushback-rate'],
  'draining-never-freed': ['tier-release'],
  'release-leaves-warm-entry': ['warm-pool-valid'],
  'double-free-unchecked': ['bad-free-rejected'],
  'stale-class-hint': ['registry'],
  'remote-free-keeps-active': ['census'],
  'refused-prefill-keeps-entry': ['warm-pool-valid'],
};

// The user search's budget per fault: far more than the kills take (a few hundred ms on an idle
// machine), so that a loaded CI machine does not turn a slow kill into a red test.
const FAULT_CAP_MS = 8000;

let deps: MatrixDeps;
let matrix: KillMatrix;

beforeAll(async () => {
  deps = await loadMatrixDeps();
  const r = runKillMatrix({ seed: 1, seeds: 1, faultTimeMs: FAULT_CAP_MS, cleanTimeMs: 5000, minimizeTimeMs: 5000, outDir: join(tmp, 'matrix'), faults: FAULT_NAMES }, deps);
  if (!r.ok) throw new Error(`the matrix could not write its repros: ${JSON.stringify(r.error)}`);
  matrix = r.value;
}, 120_000);

describe('kill matrix at seed 1', () => {
  it('the clean run passes: every invariant on every profile, and the measured warm-pool property', () => {
    expect(matrix.clean.failure).toBeNull();
    expect(matrix.clean.passed).toBe(true);
    expect(matrix.clean.steps).toBeGreaterThan(0);
    expect(matrix.clean.profiles).toEqual([...PROFILE_NAMES]);
    expect(matrix.clean.starved).toEqual([]);
  });

  it('kills every fault, each by the check that describes it', () => {
    const got = Object.fromEntries(matrix.faults.map((f) => [f.name, f.killed ? f.invariant : 'NOT KILLED']));
    const want = Object.fromEntries(FAULT_NAMES.map((f) => [f, EXPECTED[f].includes(got[f] as FailureName) ? got[f] : `one of ${EXPECTED[f].join('|')}`]));
    expect(got).toEqual(want);
    expect(matrix.passed).toBe(true);
  });

  it('times every kill within the budget of the user search', () => {
    for (const f of matrix.faults) {
      expect(f.msToKill, f.name).not.toBeNull();
      expect(f.msToKill as number, f.name).toBeGreaterThanOrEqual(0);
      expect(f.msToKill as number, f.name).toBeLessThanOrEqual(FAULT_CAP_MS);
      expect(f.medianMsToKill, f.name).toBe(f.msToKill);
    }
  });

  it('keeps a minimal repro of at most 12 commands for every fault an invariant kills', () => {
    for (const f of matrix.faults) {
      if (f.invariant !== null && isMeasuredFailure(f.invariant)) continue; // the measured workload, not a sequence to shrink
      expect(f.repro, f.name).not.toBeNull();
      expect(f.repro?.minimal, f.name).toBe(true);
      expect(f.reproLength as number, f.name).toBeLessThanOrEqual(AIM_REPRO);
      expect(f.reproLength as number, f.name).toBeGreaterThanOrEqual(1);
      expect(f.repro?.rerun, f.name).toMatch(new RegExp(`^npx alloc-check run --profile ${f.profile} --seed 1 --runs \\d+ --faults ${f.name}$`));
    }
  });

  it('writes repros that replay: the same invariant with the fault, a pass without', () => {
    for (const f of matrix.faults) {
      const file = f.repro?.file;
      if (file == null) continue;
      expect(file).toContain(join(tmp, 'matrix', f.invariant as string));
      const loaded = loadRepro(file);
      if (!loaded.ok) throw new Error(loaded.error.reason);
      const { repro, faultyConfig, cleanConfig } = loaded.value;
      expect(repro.faults).toEqual([f.name]);
      expect(repro.commands).toEqual(f.repro?.commands);
      const faulty = deps.runCommands(faultyConfig, repro.commands);
      expect(faulty.passed ? 'passed' : faulty.invariant, f.name).toBe(f.invariant);
      expect(deps.runCommands(cleanConfig, repro.commands).passed, f.name).toBe(true);
    }
  });

  it('prints a rerun line that repeats the failing run exactly (the profile alone, runs up to it)', () => {
    const f = matrix.faults.find((x) => x.name === 'remote-drain-skips-empty');
    const search = f?.repro?.search;
    if (f === undefined || search == null) throw new Error('no fixed-run search recorded');
    expect(search.seed).toBe(1);
    const again = runSuite({ profiles: [search.profile], runs: search.runs, seed: search.seed, faults: [f.name] });
    expect(again.counterexample?.invariant).toBe(f.invariant);
    expect(again.counterexample?.runIndex).toBe(search.runs - 1);
  });

  it('prints a table row per fault with its seed document', () => {
    const lines = matrixTable(matrix);
    expect(lines[0]).toMatch(/^fault\s+seed doc\s+killed by\s+repro\s+ms to kill\s+profile\s+repro file$/);
    expect(lines).toHaveLength(2 + FAULT_NAMES.length);
    const row = lines.find((l) => l.startsWith('soft-cap-ignored '));
    expect(row).toMatch(/^soft-cap-ignored\s+003 Option C\s+soft-cap\s+\d+\s+\d+\s+tiny[-a-z]*\s+\S+soft-cap\/[0-9a-f]{12}\.json$/);
  });
});

describe('matrix pieces', () => {
  it('searches every fault with exactly the options `run --profile all --time S --seed N --faults F` passes', async () => {
    const calls: SuiteOptions[] = [];
    const spy = (o: SuiteOptions): SuiteResult => {
      calls.push(o);
      return runSuite({ ...o, timeMs: Math.min(o.timeMs ?? 50, 50) });
    };
    const r = runKillMatrix({ seed: 7, seeds: 1, faultTimeMs: 1500, cleanTimeMs: 1500, minimizeTimeMs: 100, outDir: null, faults: ['soft-cap-ignored'] }, { ...deps, runSuite: spy });
    expect(r.ok).toBe(true);
    const strip = ({ onProgress: _p, ...rest }: SuiteOptions) => rest;
    const runOptions: SuiteOptions[] = [];
    for (const faults of ['', 'soft-cap-ignored']) {
      const args = parseRunArgs(['--profile', 'all', '--time', '1.5', '--seed', '7', '--faults', faults]);
      if (!args.ok) throw new Error('bad run args');
      await runMain({ ...args.value, json: true }, fakeIo(), {
        runSuite: (o) => {
          runOptions.push(o);
          return { passed: true, seed: 7, steps: 1, profiles: o.profiles.map((p) => ({ profile: p, runs: 1, steps: 1, passed: true, timeMs: 0 })), counterexample: null };
        },
        runCommands: deps.runCommands,
      });
    }
    expect(calls.map(strip)).toEqual(runOptions.map(strip));
    expect(calls[1]?.profiles).toEqual([...PROFILE_NAMES]);
    expect(SEED_DOCUMENTS['remote-drain-skips-empty']).toBe('003 §4.3, A1');
  });

  it('replaces negative block refs by non-negative ones that fail the same way', () => {
    const config = profileConfig('tiny', { faults: ['double-free-unchecked'] });
    const commands: CommandData[] = [
      { kind: 'alloc', thread: 0, size: 0 },
      { kind: 'alloc', thread: 0, size: 0 },
      { kind: 'free', thread: 0, ref: -1 },
      { kind: 'badFree', thread: 0, bad: 'double', ref: -1, offset: 0 },
    ];
    const before = deps.runCommands(config, commands);
    expect(before.passed ? null : [before.invariant, before.step]).toEqual(['bad-free-rejected', 4]);
    const fixed = nonNegativeRefs(config, commands, { invariant: 'bad-free-rejected', step: 4 }, deps);
    expect(fixed?.map((c) => ('ref' in c ? c.ref : null))).toEqual([null, null, 0, 0]);
    const after = deps.runCommands(config, fixed ?? []);
    expect(after.passed ? null : [after.invariant, after.step]).toEqual(['bad-free-rejected', 4]);
  });

  it('median and seeds', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 9])).toBe(5);
    expect(median([4, 1, 9, 2])).toBe(3);
    expect(seedList(7, 3)).toEqual([7, 8, 9]);
    expect(seedList(2 ** 31 - 1, 2)).toEqual([2 ** 31 - 1, 0]);
  });

  it('parses options with their defaults', () => {
    const d = parseMutantsArgs([]);
    expect(d.ok && d.value).toEqual({ seed: 1, seeds: 1, faultSeconds: 3, faults: FAULT_NAMES, faultRuns: null, outDir: null, json: false, shard: null, custom: null, htmlDir: null });
    const o = parseMutantsArgs(['--seeds', '5', '--time', '0.5', '--seed', '9', '--faults', 'soft-cap-ignored', '--out', 'x', '--json']);
    expect(o.ok && o.value).toEqual({ seed: 9, seeds: 5, faultSeconds: 0.5, faultRuns: null, faults: ['soft-cap-ignored'], outDir: 'x', json: true, shard: null, custom: null, htmlDir: null });
  });
});

class Capture extends Writable {
  text = '';
  readonly isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}
const fakeIo = (): Io & { stdout: Capture; stderr: Capture } => ({ stdout: new Capture(), stderr: new Capture(), env: {} });

describe('alloc-check mutants: bad input is exit 2 and one line', () => {
  const cases: [string, readonly string[], RegExp][] = [
    ['unknown option', ['--frobnicate'], /^alloc-check: mutants: unknown option --frobnicate \(try --help\)$/],
    ['--seeds 0', ['--seeds', '0'], /^alloc-check: option --seeds: must be between 1 and 1000 \(got "0"\)$/],
    ['non-numeric --seeds', ['--seeds', 'five'], /^alloc-check: option --seeds: must be a whole number \(got "five"\)$/],
    ['negative --seeds', ['--seeds', '-2'], /--seeds/],
    ['non-numeric --time', ['--time', 'soon'], /^alloc-check: option --time: must be a number of seconds \(got "soon"\)$/],
    ['--time 0', ['--time', '0'], /^alloc-check: option --time: must be more than 0/],
    ['non-numeric --seed', ['--seed', 'x'], /^alloc-check: option --seed: must be a whole number/],
    ['missing value', ['--seeds'], /^alloc-check: mutants: option --seeds needs a value/],
    ['unknown fault', ['--faults', 'no-such-fault'], /^alloc-check: unknown fault "no-such-fault"; known: remote-drain-skips-empty/],
    ['no fault', ['--faults', ''], /^alloc-check: option --faults: must name at least one fault/],
    ['empty --out', ['--out', ''], /^alloc-check: option --out: must be a path/],
    ['positional', ['tiny'], /^alloc-check: mutants: unexpected argument "tiny"/],
  ];
  for (const [name, args, re] of cases) {
    it(name, async () => {
      const io = fakeIo();
      const code = await main(['mutants', ...args], io);
      expect({ code, stdout: io.stdout.text }).toEqual({ code: 2, stdout: '' });
      const lines = io.stderr.text.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }

  it('as a process: --seeds 0 exits 2 with one line on stderr', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'alloc-check.js'), 'mutants', '--seeds', '0'], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      });
    });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 2, stdout: '', stderr: 'alloc-check: option --seeds: must be between 1 and 1000 (got "0")\n' });
  });
});

describe('alloc-check mutants --json', () => {
  it('two faults, two seeds: the documented shape, exit 0, repros under --out', async () => {
    const io = fakeIo();
    const out = join(tmp, 'json');
    // A run budget, so that the verdict does not depend on the machine's speed.
    const code = await main(['mutants', '--json', '--seeds', '2', '--runs', '40', '--faults', 'soft-cap-ignored,double-free-unchecked', '--out', out], io);
    expect(code).toBe(0);
    const doc = JSON.parse(io.stdout.text) as {
      clean: { passed: boolean; steps: number };
      faults: { name: string; killed: boolean; invariant: string; reproLength: number; msToKill: number; medianMsToKill: number; maxMsToKill: number; file: string }[];
    };
    expect(doc.clean.passed).toBe(true);
    expect(doc.clean.steps).toBeGreaterThan(0);
    expect(doc.faults.map((f) => [f.name, f.killed, f.invariant])).toEqual([
      ['soft-cap-ignored', true, 'soft-cap'],
      ['double-free-unchecked', true, 'bad-free-rejected'],
    ]);
    for (const f of doc.faults) {
      expect(f.reproLength).toBeLessThanOrEqual(AIM_REPRO);
      expect(f.maxMsToKill).toBeGreaterThanOrEqual(f.medianMsToKill);
      expect(f.file.startsWith(out)).toBe(true);
      expect(JSON.parse(readFileSync(f.file, 'utf8')).faults).toEqual([f.name]);
    }
    // The human report went to stderr, the table in it.
    expect(io.stderr.text).toMatch(/^alloc-check mutants: seeds 1\.\.2, 2 faults, each searched by run --profile all --runs 40/);
    expect(io.stderr.text).toMatch(/2\/2 faults killed under every one of 2 seeds by the user's search \(run --profile all\); clean run passed/);
  }, 60_000);
});

// Goal: the native targets have teeth and pass clean allocators. Method: the deliberately broken C
// allocator of test/fixtures/brokenmalloc.c is built and preloaded under the real driver; for each
// planted bug a seeded search must find it with the expected check, the project's minimiser must
// shrink it to a 1-minimal repro that still fails, and the same commands must pass on the clean
// fixture. The clean fixture (both layouts), glibc, and — where installed — jemalloc and mimalloc
// must pass a seeded search; glibc's abort on a double free is the rejection under
// `--bad-frees abort-ok`. The CLI is spawned for a crash: run writes the repro, replay exits 1
// naming the signal (the allocator's env recorded in the file); no compiler is exit 2 with one line. Needs a C compiler (skipped with a
// message without one, a failure with CI=true); jemalloc and mimalloc tests likewise.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import { ensureBuilt, findCompiler } from '../native/build.ts';
import { minimizeNative, nativeRunner, searchNative } from '../native/runner.ts';
import { parseTarget } from '../native/target.ts';
import type { NativeOptions, NativeTarget } from '../native/target.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CI = process.env.CI === 'true';
const haveCompiler = findCompiler() !== null;
if (!haveCompiler && CI) throw new Error('native tests: no C compiler found and CI=true (a missing compiler fails in CI)');
if (!haveCompiler) console.warn('SKIPPED native tests: no C compiler found (tried $CC, cc, gcc, clang); install gcc to run them');

const config = profileConfig('default');
const tmp = mkdtempSync(join(tmpdir(), 'alloc-check-native-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function asNative(name: string): NativeTarget {
  const t = parseTarget(name);
  if (typeof t === 'string' || t.kind !== 'native') throw new Error(`bad target ${name}: ${String(t)}`);
  return t;
}

function fixtureTarget(): NativeTarget {
  return asNative(`native:${ensureBuilt({ source: join(ROOT, 'test/fixtures/brokenmalloc.c'), name: 'brokenmalloc', kind: 'shared' })}`);
}

function withBug<T>(bug: string, f: () => T): T {
  const before = process.env.ALLOC_CHECK_FIXTURE_BUG;
  process.env.ALLOC_CHECK_FIXTURE_BUG = bug;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.ALLOC_CHECK_FIXTURE_BUG;
    else process.env.ALLOC_CHECK_FIXTURE_BUG = before;
  }
}

const plain: NativeOptions = { layout: 'plain', badFrees: 'off' };
const hakmem: NativeOptions = { layout: 'hakmem', badFrees: 'off' };

describe.skipIf(!haveCompiler)('the broken fixture allocator: every planted bug is found and minimised', () => {
  const cases: readonly { bug: string; options: NativeOptions; invariant: FailureName; maxLength: number; hangMs?: number }[] = [
    { bug: 'reuse-live', options: plain, invariant: 'no-double-allocation', maxLength: 8 },
    { bug: 'usable-short', options: plain, invariant: 'usable-size', maxLength: 1 },
    { bug: 'neighbour-corrupt', options: plain, invariant: 'data-integrity', maxLength: 3 },
    { bug: 'cross-thread-crash', options: plain, invariant: 'no-crash', maxLength: 2 },
    { bug: 'misaligned', options: plain, invariant: 'alignment', maxLength: 1 },
    { bug: 'wrong-header', options: hakmem, invariant: 'header', maxLength: 1 },
    { bug: 'trim-deadlock', options: plain, invariant: 'no-hang', maxLength: 1, hangMs: 100 },
    { bug: 'free-null-crash', options: plain, invariant: 'no-crash', maxLength: 2 },
  ];
  for (const c of cases) {
    it(`${c.bug}: ${c.invariant}, minimal repro of at most ${c.maxLength} commands, passes on the clean fixture`, () => {
      const target = fixtureTarget();
      const { found, minimal, cleanPassed } = withBug(c.bug, () => {
        const runner = nativeRunner(target, c.options, c.hangMs ?? 1000);
        const search = searchNative(runner, config, { seed: 7, runs: 256, batch: 32 });
        expect(search.failure, `${c.bug} was not found in ${search.runs} runs`).not.toBeNull();
        const failure = search.failure as NonNullable<typeof search.failure>;
        expect(failure.outcome.invariant, failure.outcome.message).toBe(c.invariant);
        const m = minimizeNative(runner, config, failure.commands, c.invariant, { timeMs: 8000 });
        if (!m.ok) throw new Error(`minimising ${c.bug} failed: ${JSON.stringify(m.error.outcome)}`);
        const again = runner.run(config, m.value.commands);
        expect(again.passed ? 'passed' : again.invariant).toBe(c.invariant);
        return { found: failure, minimal: m.value, cleanPassed: withBug('none', () => nativeRunner(target, c.options, 1000).run(config, m.value.commands).passed) };
      });
      console.log(`${c.bug}: ${found.outcome.invariant} after ${found.run} runs; minimal ${JSON.stringify(minimal.commands)}: ${minimal.outcome.message}`);
      if (c.bug === 'free-null-crash') expect(minimal.outcome.message).toMatch(/SIGSEGV .* in the free\(NULL\) before free\(t0, #0\)/);
      expect(minimal.minimal).toBe(true);
      expect(minimal.commands.length).toBeLessThanOrEqual(c.maxLength);
      expect(cleanPassed).toBe(true);
    });
  }

  it('the clean fixture passes a seeded search in both layouts', () => {
    const target = fixtureTarget();
    for (const options of [plain, hakmem]) {
      const r = withBug('none', () => searchNative(nativeRunner(target, options), config, { seed: 3, runs: 192 }));
      expect(r.failure?.outcome ?? null).toBeNull();
      expect(r.steps).toBeGreaterThan(1000);
    }
  });
});

describe.skipIf(!haveCompiler)('the build cache', () => {
  it('rebuilds when the source changes, reuses the binary when it does not', () => {
    const src = join(tmp, 'cache-probe.c');
    writeFileSync(src, 'int probe(void) { return 1; }\n');
    const a = ensureBuilt({ source: src, name: 'cache-probe', kind: 'shared' });
    expect(ensureBuilt({ source: src, name: 'cache-probe', kind: 'shared' })).toBe(a);
    writeFileSync(src, 'int probe(void) { return 2; }\n');
    const b = ensureBuilt({ source: src, name: 'cache-probe', kind: 'shared' });
    expect(b).not.toBe(a);
    expect(existsSync(b)).toBe(true);
    for (const f of [a, b]) rmSync(f, { force: true });
  });
});

describe.skipIf(!haveCompiler)('system malloc (glibc)', () => {
  it('passes a seeded search; address randomisation is off so a run repeats its addresses', () => {
    const runner = nativeRunner(asNative('native'), plain);
    expect(runner.session.hello.mallocObject).toMatch(/libc\.so/);
    const r = searchNative(runner, config, { seed: 11, runs: 128 });
    expect(r.failure?.outcome ?? null).toBeNull();
    const cmds: CommandData[] = [{ kind: 'alloc', thread: 0, size: 24 }, { kind: 'alloc', thread: 1, size: 100 }, { kind: 'free', thread: 1, ref: 0 }];
    const a = runner.run(config, cmds, { record: true });
    const b = runner.run(config, cmds, { record: true });
    if (runner.session.hello.aslrOff) expect(a.records?.map((x) => x.result)).toEqual(b.records?.map((x) => x.result));
    else console.warn('address randomisation could not be turned off here: addresses differ between runs');
  });

  it('--bad-frees abort-ok: glibc aborts on a double free (the rejection, the run ends there); an interior free that returns is reported', () => {
    const runner = nativeRunner(asNative('native'), { layout: 'plain', badFrees: 'abort-ok' });
    const double: CommandData[] = [{ kind: 'alloc', thread: 0, size: 24 }, { kind: 'free', thread: 0, ref: 0 }, { kind: 'badFree', thread: 0, bad: 'double', ref: 0, offset: 0 }, { kind: 'alloc', thread: 0, size: 8 }];
    const o = runner.run(config, double, { record: true });
    expect(o.passed).toBe(true);
    expect(o.records?.[2]?.result).toMatch(/aborted: .*double free/);
    // Without abort-ok the same abort is a crash.
    const strict = nativeRunner(asNative('native'), plain).run(config, double);
    expect(strict.passed ? 'passed' : strict.invariant).toBe('no-crash');
  });
});

const haveLib = (name: string): boolean => {
  try {
    nativeRunner(asNative(name), plain);
    return true;
  } catch {
    return false;
  }
};

for (const lib of ['native:jemalloc', 'native:mimalloc'] as const) {
  const present = haveCompiler && haveLib(lib);
  if (!present && CI) throw new Error(`${lib}: the library is not installed and CI=true (.ci/run installs libjemalloc2 and libmimalloc2.0)`);
  if (!present) console.warn(`SKIPPED ${lib} tests: the library is not installed (apt-get install ${lib === 'native:jemalloc' ? 'libjemalloc2' : 'libmimalloc2.0'})`);
  describe.skipIf(!present)(lib, () => {
    it('passes a seeded search', () => {
      const runner = nativeRunner(asNative(lib), plain);
      expect(runner.session.hello.mallocObject).toContain(lib === 'native:jemalloc' ? 'libjemalloc' : 'libmimalloc');
      const r = searchNative(runner, config, { seed: 13, runs: 96 });
      expect(r.failure?.outcome ?? null).toBeNull();
    });
  });
}

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'alloc-check.js'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe.skipIf(!haveCompiler)('the CLI on a native target', () => {
  it('run finds the cross-thread crash, writes a repro with its target; replay exits 1 naming the signal', async () => {
    const so = fixtureTarget().preload as string;
    const env = { ALLOC_CHECK_FIXTURE_BUG: 'cross-thread-crash' };
    const run = await cli(['run', '--target', `native:${so}`, '--runs', '64', '--seed', '5', '--out', tmp, '--json'], env);
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout) as { passed: boolean; target: string; counterexample: { invariant: string; file: string; length: number } };
    expect(doc.counterexample.invariant).toBe('no-crash');
    expect(doc.target).toBe(`native:${so}`);
    const files = readdirSync(join(tmp, 'no-crash'));
    expect(files).toHaveLength(1);
    const file = join(tmp, 'no-crash', files[0] as string);
    const replay = await cli(['replay', file]); // the bug switch is recorded in the file's native.env
    expect(replay.code, replay.stderr).toBe(1);
    expect(replay.stdout).toMatch(/STILL FAILS: no-crash at step \d+: the child died of SIGSEGV/);
    const clean = await cli(['replay', file], { ALLOC_CHECK_FIXTURE_BUG: 'none' });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('NO LONGER FAILS');
  });

  it('no C compiler: exit 2 and one line', async () => {
    const r = await cli(['run', '--target', 'native', '--runs', '1'], { CC: '/nonexistent/cc', PATH: '/nonexistent' });
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/no C compiler found/);
  });
});

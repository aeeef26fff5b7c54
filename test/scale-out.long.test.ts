// The engineer's own configuration and searches split across CI machines. Method: a config file
// laid over a profile runs, and the repro it writes replays with the file gone; every bad config
// field is exit 2 with one line naming the field, the rule and the value; for run, mutants and
// explore --swarm the shards' work is disjoint and together exactly the unsharded work; merge
// passes only when every shard is there, passed and ran something; the nightly shard script runs
// for N = 2 and its merge passes. The sharded matrix and swarm are run for real and compared with
// the unsharded ones.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_NAMES, PROFILE_NAMES, profileConfig } from '../impl/index.ts';
import { runKillMatrix, shardFaults } from '../matrix/killMatrix.ts';
import { exploreSwarm, subAlphabets } from '../explore/swarm.ts';
import { runCommands, runSuite } from '../properties/runner.ts';
import type { SuiteOptions, SuiteResult } from '../properties/runnerApi.ts';
import { shardRunCount, shardRunIndex } from '../properties/schedule.ts';
import { expectOneLineError as oneLineError, ROOT, runCli } from './support/cli.ts';
import type { Ran } from './support/cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'alloc-check-scale-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const file = (name: string, text: string): string => {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
};

describe('alloc-check profiles', () => {
  it('--json prints every built-in profile as its full config, without faults', async () => {
    const r = await runCli(['profiles', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual([...PROFILE_NAMES]);
    const { faults: _f, ...tiny } = profileConfig('tiny');
    expect(doc.tiny).toEqual(JSON.parse(JSON.stringify(tiny)));
    expect('faults' in (doc.default ?? {})).toBe(false);
  });
});

describe('--config FILE', () => {
  const custom = file('my.json', JSON.stringify({ softCap: [4, 4, 3, 3], slabSize: 256, superslabSize: 1024 }));

  it('runs the configuration, says so, and reports its reach', async () => {
    const r = await runCli(['run', '--config', custom, '--profile', 'tiny', '--runs', '10', '--seed', '3', '--reach', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/config: {3}.*my\.json over tiny \(softCap, slabSize, superslabSize\)/);
    expect(r.stderr).toMatch(/^ {2}soft-cap-reached +\d+%$/m);
    const j = JSON.parse(r.stdout) as { config: string; reach: { profile: string; runs: number; counts: Record<string, number> }[] };
    expect(j.config).toBe(custom);
    expect(j.reach[0]?.runs).toBe(200);
    expect(Object.keys(j.reach[0]?.counts ?? {})).toContain('soft-cap-reached');
  });

  it('a repro found under it records the full config, and replays with the file gone', async () => {
    const cfg = file('mine.json', JSON.stringify({ softCap: [5, 5, 5, 5] }));
    const out = join(tmp, 'ce');
    const r = await runCli(['run', '--config', cfg, '--profile', 'tiny', '--faults', 'soft-cap-ignored', '--runs', '50', '--seed', '1', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const written = (JSON.parse(r.stdout) as { counterexample: { file: string } }).counterexample.file;
    expect((JSON.parse(readFileSync(written, 'utf8')) as { config: { softCap: number[] } }).config.softCap).toEqual([5, 5, 5, 5]);
    rmSync(cfg);
    const replayed = await runCli(['replay', written]);
    expect(replayed.code).toBe(1);
    expect(replayed.stdout).toContain('STILL FAILS: soft-cap');
  });

  const bad: [string, string, RegExp][] = [
    ['a field of the wrong kind', '{"slabSize": 100}', /bad\.json: invalid config: config\.slabSize: must be a power of two \(got 100\)$/],
    ['strides out of order', '{"strides": [16, 8, 32, 64]}', /config\.strides: must be strictly increasing/],
    ['a negative cap', '{"softCap": [-1, 2, 2, 2]}', /config\.softCap\[0\]: must be in \[0, \d+\] \(got -1\)$/],
    ['an unknown field', '{"slabsize": 256}', /config\.slabsize: is not a configuration field \(got 256\)$/],
    ['a faults field', '{"faults": ["soft-cap-ignored"]}', /config\.faults: is not taken from a config file \(switch planted faults on with --faults\)/],
    ['not an object', '[1, 2]', /bad\.json: a config file must hold a JSON object of config fields$/],
    ['invalid JSON', '{"slabSize": ', /bad\.json: invalid JSON/],
  ];
  for (const [name, text, re] of bad) {
    it(`${name}: exit 2, one line naming the field, the rule and the value`, async () => {
      const f = file('bad.json', text);
      oneLineError(await runCli(['run', '--config', f, '--profile', 'tiny', '--runs', '1']), re);
      oneLineError(await runCli(['explore', '--config', f, '--profile', 'tiny', '--depth', '1']), re);
      oneLineError(await runCli(['mutants', '--config', f, '--profile', 'tiny']), re);
    });
  }

  it('with --profile all it is refused', async () => {
    oneLineError(await runCli(['run', '--config', custom, '--profile', 'all']), /--config lays a file over one profile/);
  });
});

describe('--shard I/N: disjoint parts that together are the unsharded work', () => {
  it('run: run indexes are disjoint and cover 0..runs-1; the shards together take the same steps', () => {
    for (const count of [1, 2, 3, 7]) {
      const seen: number[] = [];
      for (let index = 0; index < count; index++) for (let k = 0; k < shardRunCount({ index, count }, 20); k++) seen.push(shardRunIndex({ index, count }, k));
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    const whole = runSuite({ profiles: ['tiny', 'tiny-meta'], runs: 12, seed: 9, faults: [] });
    const parts = [0, 1, 2].map((index) => runSuite({ profiles: ['tiny', 'tiny-meta'], runs: 12, seed: 9, faults: [], shard: { index, count: 3 } }));
    for (const p of ['tiny', 'tiny-meta']) {
      const sum = (key: 'runs' | 'steps') => parts.reduce((s, r) => s + (r.profiles.find((x) => x.profile === p)?.[key] ?? 0), 0);
      const w = whole.profiles.find((x) => x.profile === p);
      expect([sum('runs'), sum('steps')]).toEqual([w?.runs, w?.steps]);
    }
  });

  it('a failing run is found by its shard at the same run index as without shards', () => {
    const whole = runSuite({ profiles: ['tiny'], runs: 60, seed: 1, faults: ['remote-drain-skips-empty'] });
    const i = whole.counterexample?.runIndex;
    if (i == null) throw new Error('expected a counterexample');
    const mine = runSuite({ profiles: ['tiny'], runs: 60, seed: 1, faults: ['remote-drain-skips-empty'], shard: { index: i % 2, count: 2 } });
    expect(mine.counterexample?.runIndex).toBe(i);
    expect(mine.counterexample?.commands).toEqual(whole.counterexample?.commands);
  });

  it('mutants and explore --swarm: faults and sub-alphabets split disjointly, none lost', () => {
    for (const count of [2, 3, 5]) {
      const faults = Array.from({ length: count }, (_, index) => shardFaults(FAULT_NAMES, { index, count })).flat();
      expect([...faults].sort()).toEqual([...FAULT_NAMES].sort());
      const names = subAlphabets(profileConfig('tiny')).map((s) => s.name);
      const split = Array.from({ length: count }, (_, index) => names.filter((_, i) => i % count === index)).flat();
      expect(split.sort()).toEqual([...names].sort());
    }
  });

  it('mutants: the matrix itself, sharded, searches each fault in exactly one shard', () => {
    const searched = (shard?: { index: number; count: number }): string[] => {
      const faults: string[] = [];
      const spy = (o: SuiteOptions): SuiteResult => {
        faults.push(...o.faults);
        return { passed: true, seed: o.seed, steps: 1, profiles: o.profiles.map((p) => ({ profile: p, runs: 1, steps: 1, passed: true, timeMs: 0 })), counterexample: null };
      };
      const r = runKillMatrix({ seed: 1, seeds: 1, faultTimeMs: 10, cleanTimeMs: 10, minimizeTimeMs: 10, outDir: null, faults: FAULT_NAMES, ...(shard !== undefined ? { shard } : {}) }, { runSuite: spy, runCommands });
      expect(r.ok).toBe(true);
      return faults;
    };
    const whole = searched();
    const parts = [0, 1, 2].map((index) => searched({ index, count: 3 }));
    expect(parts.flat().sort()).toEqual([...whole].sort());
    expect(new Set(parts.flat()).size).toBe(parts.flat().length);
  });

  it('explore --swarm: the sharded searches cover exactly the sub-alphabets of the unsharded one', async () => {
    const config = profileConfig('tiny');
    const names = async (shard?: { index: number; count: number }): Promise<string[]> =>
      (await exploreSwarm(config, { depth: 1, timeMs: 60_000, workers: 1, ...(shard !== undefined ? { shard } : {}) })).results.map((x) => x.name);
    const whole = await names();
    expect(whole).toHaveLength(subAlphabets(config).length);
    const parts = [await names({ index: 0, count: 2 }), await names({ index: 1, count: 2 })];
    expect(parts.flat().sort()).toEqual([...whole].sort());
    expect(parts[0]?.some((n) => parts[1]?.includes(n))).toBe(false);
  }, 60_000);

  it('a bad --shard is exit 2', async () => {
    oneLineError(await runCli(['run', '--shard', '3/2']), /option --shard: I must be between 1 and N \(2\)/);
    oneLineError(await runCli(['run', '--shard', '1-2']), /option --shard: must be I\/N/);
    oneLineError(await runCli(['explore', '--profile', 'tiny', '--depth', '2', '--shard', '1/2']), /--shard splits the sub-alphabets of --swarm/);
  });
});

describe('alloc-check merge', () => {
  const runShard = async (i: number, n: number, extra: readonly string[] = []): Promise<string> => {
    const r = await runCli(['run', '--profile', 'tiny,tiny-hot', '--runs', '8', '--seed', '4', '--shard', `${i}/${n}`, '--out', join(tmp, 'ce-shards'), '--json', ...extra]);
    return file(`run-${i}-${n}-${extra.length}.json`, r.stdout);
  };

  it('joins shards: the merged totals are the unsharded search; passes', async () => {
    const whole = JSON.parse((await runCli(['run', '--profile', 'tiny,tiny-hot', '--runs', '8', '--seed', '4', '--out', join(tmp, 'ce-shards'), '--json'])).stdout) as { profiles: { profile: string; runs: number; steps: number }[] };
    const files = [await runShard(1, 2), await runShard(2, 2)];
    const r = await runCli(['merge', ...files, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { passed: boolean; profiles: { profile: string; runs: number; steps: number }[] };
    expect(m.passed).toBe(true);
    expect(m.profiles.map((p) => [p.profile, p.runs, p.steps])).toEqual(whole.profiles.map((p) => [p.profile, p.runs, p.steps]));
  });

  it('fails when a shard is missing, failed, or ran nothing; exit 2 on a file that is not a shard report', async () => {
    const one = await runShard(1, 2);
    const missing = await runCli(['merge', one]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('problem: shard 2/2 is missing');
    const failed = file('failed.json', JSON.stringify({ passed: false, seed: 4, profiles: [{ profile: 'tiny', runs: 3, steps: 9, passed: false }], steps: 9, counterexample: { invariant: 'census', file: 'x.json', length: 2, profile: 'tiny', runIndex: 5 }, shard: { index: 2, count: 2 } }));
    const f = await runCli(['merge', one, failed]);
    expect(f.code).toBe(1);
    expect(f.stdout).toMatch(/MERGED: NOT PASSED \(counterexample: census/);
    const empty = file('empty.json', JSON.stringify({ passed: true, seed: 4, profiles: [{ profile: 'tiny', runs: 0, steps: 0, passed: true }, { profile: 'tiny-hot', runs: 0, steps: 0, passed: true }], steps: 0, counterexample: null, shard: { index: 2, count: 2 } }));
    const e = await runCli(['merge', one, empty, '--min-runs', '8']);
    expect(e.code).toBe(1);
    expect(e.stdout).toMatch(/fewer than --min-runs 8 runs on tiny, tiny-hot/);
    oneLineError(await runCli(['merge', file('plain.json', '{"passed": true}')]), /plain\.json: not a shard report/);
  });
});

describe('scripts/nightly-shard.sh: the job a CI matrix runs, for N = 2', () => {
  const sh = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> =>
    new Promise((resolve) =>
      execFile('bash', args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (e, stdout, stderr) =>
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : -1, out: stdout + stderr }),
      ),
    );

  it('two shards, then the merge: every part passes', async () => {
    const env = { SEED: '5', RUN_RUNS: '4', SWARM_SECONDS: '1', SWARM_PROFILES: 'tiny', MUTANTS_RUNS: '10', MUTANTS_FAULTS: 'soft-cap-ignored,class-stride-offset' };
    const dirs = [join(tmp, 'n1'), join(tmp, 'n2')];
    const shards = await Promise.all([1, 2].map((i) => sh(['scripts/nightly-shard.sh', String(i), '2', dirs[i - 1] as string], env)));
    for (const s of shards) expect(s.code, s.out).toBe(0);
    const merged = await sh(['scripts/nightly-merge.sh', ...dirs], {});
    expect(merged.code, merged.out).toBe(0);
    expect(merged.out).toMatch(/== run[\s\S]*MERGED: PASSED[\s\S]*== mutants[\s\S]*MERGED: PASSED[\s\S]*== explore --swarm tiny[\s\S]*MERGED: PASSED/);
  }, 120_000);

  it('a bad shard number is a usage error', async () => {
    const r = await sh(['scripts/nightly-shard.sh', '3', '2'], {});
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/usage: scripts\/nightly-shard\.sh I N/);
  });
});

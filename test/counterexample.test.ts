// Counterexample files: the id, the round trip, and every way a file can be wrong, each reported
// as one line naming the problem.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { findReproFiles, loadRepro, parseReproText, reproId, reproPath, serializeRepro, writeRepro } from '../cli/repro.ts';
import type { ReproFile } from '../cli/repro.ts';

const dir = mkdtempSync(join(tmpdir(), 'alloc-check-ce-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commands: CommandData[] = [
  { kind: 'alloc', thread: 0, size: 0 },
  { kind: 'free', thread: 1, ref: 0 },
  { kind: 'badFree', thread: 0, bad: 'double', ref: 0, offset: 0 },
];
const repro: ReproFile = {
  formatVersion: 1,
  profile: 'tiny',
  config: profileConfig('tiny', { faults: ['double-free-unchecked'] }),
  faults: ['double-free-unchecked'],
  seed: 1,
  path: '3:1:0',
  commands,
  invariant: 'bad-free-rejected',
  failingStep: 3,
  message: 'double free accepted',
  minimal: true,
  length: 3,
};
const text = serializeRepro(repro);
const obj = (): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const reasonOf = (value: unknown): string => {
  const r = parseReproText(typeof value === 'string' ? value : JSON.stringify(value));
  return r.ok ? 'OK' : r.reason;
};

describe('reproId', () => {
  it('is 12 hex digits, stable under key order and fault order, sensitive to commands and faults', () => {
    const id = reproId(commands, ['double-free-unchecked']);
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const reordered = commands.map((c) => Object.fromEntries(Object.entries(c).reverse()) as CommandData);
    expect(reproId(reordered, ['double-free-unchecked'])).toBe(id);
    expect(reproId(commands, ['soft-cap-ignored', 'double-free-unchecked'])).toBe(reproId(commands, ['double-free-unchecked', 'soft-cap-ignored']));
    expect(reproId(commands, [])).not.toBe(id);
    expect(reproId(commands.slice(1), ['double-free-unchecked'])).not.toBe(id);
  });

  it('names the file <out>/<invariant>/<id>.json', () => {
    expect(reproPath('counterexamples', repro)).toBe(join('counterexamples', 'bad-free-rejected', `${reproId(commands, repro.faults)}.json`));
  });
});

describe('round trip', () => {
  it('serialises one command per line and reads back the same repro and configs', () => {
    expect(text.split('\n').filter((l) => l.trim().startsWith('{"kind"'))).toHaveLength(3);
    const r = parseReproText(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.repro).toEqual(repro);
    expect(r.value.faultyConfig.faults).toEqual(['double-free-unchecked']);
    expect(r.value.cleanConfig.faults).toEqual([]);
    expect(r.value.cleanConfig.strides).toEqual([8, 16, 32, 64]);
  });

  it('writes atomically under <invariant>/ and loads it back; findReproFiles finds it recursively', () => {
    const w = writeRepro(dir, repro);
    expect(w.ok).toBe(true);
    if (!w.ok) return;
    expect(readdirSync(join(dir, 'bad-free-rejected'))).toEqual([`${reproId(commands, repro.faults)}.json`]); // no temp file left
    const l = loadRepro(w.value);
    expect(l.ok && l.value.repro).toEqual(repro);
    expect(findReproFiles(dir)).toEqual([w.value]);
    expect(findReproFiles(join(dir, 'absent'))).toEqual([]);
  });

  it('replays the stored config, not the profile: a renamed profile still loads', () => {
    const o = obj();
    o.profile = 'a-profile-that-no-longer-exists';
    expect(reasonOf(o)).toBe('OK');
  });
});

describe('validation: one line naming the problem', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['empty file', () => '', /^empty file/],
    ['truncated', () => text.slice(0, 200), /^truncated JSON/],
    ['not JSON', () => 'formatVersion: 1', /^invalid JSON/],
    ['not an object', () => [1, 2], /top level is not a JSON object/],
    ['no formatVersion', () => ({ ...obj(), formatVersion: undefined }), /no "formatVersion"/],
    ['unknown formatVersion', () => ({ ...obj(), formatVersion: 2 }), /unknown formatVersion 2 \(this tool reads version 1\)/],
    ['missing field', () => ({ ...obj(), message: undefined }), /missing field "message"/],
    ['extra field', () => ({ ...obj(), note: 'x' }), /unexpected field "note"/],
    ['unknown invariant', () => ({ ...obj(), invariant: 'no-such-invariant' }), /unknown invariant "no-such-invariant"/],
    ['unknown fault', () => ({ ...obj(), faults: ['no-such-fault'] }), /unknown fault "no-such-fault" in "faults"/],
    ['config.faults disagree', () => ({ ...obj(), faults: [] }), /config\.faults .* disagrees with "faults"/],
    ['config missing a field', () => ({ ...obj(), config: { ...(obj().config as object), slabSize: undefined } }), /config is missing field "slabSize"/],
    ['config fails makeConfig', () => ({ ...obj(), config: { ...(obj().config as object), strides: [8, 8, 32, 64] } }), /invalid config: config\.strides: must be strictly increasing/],
    ['unknown command kind', () => ({ ...obj(), commands: [{ kind: 'realloc', thread: 0 }], length: 1, failingStep: 1 }), /commands\[0\]: unknown command kind "realloc"/],
    ['missing command field', () => ({ ...obj(), commands: [{ kind: 'alloc', thread: 0 }], length: 1, failingStep: 1 }), /commands\[0\] \(alloc\): missing field "size"/],
    ['bad command field', () => ({ ...obj(), commands: [{ kind: 'alloc', thread: 0, size: -1 }], length: 1, failingStep: 1 }), /commands\[0\] \(alloc\)\.size must be a non-negative integer \(got -1\)/],
    ['thread out of range', () => ({ ...obj(), commands: [{ kind: 'flush', thread: 2 }], length: 1, failingStep: 1 }), /commands\[0\] \(flush\)\.thread must be a thread 0\.\.1 \(got 2\)/],
    ['unknown bad-free kind', () => ({ ...obj(), commands: [{ kind: 'badFree', thread: 0, bad: 'triple', ref: 0, offset: 0 }], length: 1, failingStep: 1 }), /\.bad must be one of double, interior, foreign, stale, forged/],
    ['length disagrees', () => ({ ...obj(), length: 7 }), /"length" is 7 but there are 3 commands/],
    ['failingStep out of range', () => ({ ...obj(), failingStep: 9 }), /"failingStep" must be an integer in 1\.\.4 \(got 9\)/],
    ['minimal not boolean', () => ({ ...obj(), minimal: 'yes' }), /"minimal" must be true or false/],
  ];
  for (const [name, make, re] of cases) {
    it(name, () => {
      const reason = reasonOf(make());
      expect(reason).toMatch(re);
      expect(reason).not.toContain('\n');
    });
  }

  it('loadRepro names the file and the problem (missing, directory, bad content)', () => {
    const missing = loadRepro(join(dir, 'nope.json'));
    expect(missing).toEqual({ ok: false, error: { kind: 'bad-file', file: join(dir, 'nope.json'), reason: 'no such file or directory' } });
    expect(loadRepro(dir)).toMatchObject({ ok: false, error: { kind: 'bad-file', reason: 'is a directory, not a counterexample file' } });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, text.slice(0, 50));
    expect(loadRepro(broken)).toMatchObject({ ok: false, error: { kind: 'bad-file', file: broken, reason: expect.stringMatching(/^truncated JSON/) } });
    expect(readFileSync(broken, 'utf8')).toBe(text.slice(0, 50));
  });
});

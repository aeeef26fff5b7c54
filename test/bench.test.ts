// Goal: `npm run bench -- --json` keeps its allocator schema and carries the references of issue 13
// (the pure freelist over the precomputed stream, the no-op harness, each workload's ratio to
// both), and the precomputed streams are the very draws the generator-in-the-loop workloads made.
// Method: run bench/main.ts for real at the smallest scale (10 000 iterations per workload, ~2 s)
// and check every field's presence, type and arithmetic against the other fields (never a timing's
// value); compare drawStream with xorshift32 drawn inline, as the old loops drew it.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { drawStream, freelistLoop, mixedStream, xorshift32 } from '../bench/workloads.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKLOADS = ['random-mixed-256', 'random-mixed-8192', 'tiny-hot', 'c7-only', 'c7-only-metaLight', 'larson-4t'];

function benchJson(args: readonly string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`bench failed: ${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

const rate = (x: unknown): number => {
  expect(typeof x).toBe('number');
  expect(Number.isFinite(x) && (x as number) > 0, `a positive rate, got ${String(x)}`).toBe(true);
  return x as number;
};

describe('bench --json, allocator section', () => {
  it('has the old fields, freelistLoop, noopHarness, and each ratio consistent with its figures', async () => {
    const j = await benchJson(['--only', 'allocator', '--scale', '0.01', '--json']);
    const freelist = rate((j.freelistLoop as { opsPerSec: unknown }).opsPerSec);
    const bare = rate((j.bareLoop as { opsPerSec: unknown }).opsPerSec);
    const harness = rate((j.noopHarness as { opsPerSec: unknown }).opsPerSec);
    expect(Object.keys(j).sort()).toEqual(['bareLoop', 'freelistLoop', 'noopHarness', 'run', 'seedFigures', 'seedFiguresNoDraining', 'warmPoolByClass256', 'workloads']);
    const workloads = j.workloads as Record<string, Record<string, unknown>>;
    expect(Object.keys(workloads)).toEqual(WORKLOADS);
    for (const [name, w] of Object.entries(workloads)) {
      const ops = rate(w.opsPerSec);
      expect(w.ratioToBare, name).toBeCloseTo(ops / bare, 9);
      expect(w.ratioToFreelist, name).toBeCloseTo(ops / freelist, 9);
      expect(w.ratioToHarness, name).toBeCloseTo(ops / rate(w.harnessOpsPerSec), 9);
      expect(w.failures, name).toBe(0);
      expect(rate(w.ops), name).toBeGreaterThanOrEqual(10_000);
    }
    expect((workloads['random-mixed-256'] as Record<string, unknown>).harnessOpsPerSec).toBe(harness);
    expect((j.seedFigures as { tinyFailures: unknown }).tinyFailures).toBe(0);
  });
});

describe('precomputed streams', () => {
  it('are the draws of the old loops: the slot, then the size, per iteration', () => {
    const s = mixedStream(256, 5000, 42);
    const rnd = xorshift32(42);
    for (let it = 0; it < 5000; it++) {
      expect(s.slots[it]).toBe(rnd() % 256);
      expect(s.sizes[it]).toBe(16 + (rnd() % 1025));
    }
    const one = drawStream(64, 100, 42);
    const rnd1 = xorshift32(42);
    expect(one.sizes.length).toBe(0);
    for (let it = 0; it < 100; it++) expect(one.slots[it]).toBe(rnd1() % 64);
  });

  it('freelistLoop does a free per occupied slot and an alloc per iteration', () => {
    const s = mixedStream(256, 5000, 42);
    const seen = new Set<number>();
    let frees = 0;
    for (const j of s.slots) {
      if (seen.has(j)) frees++;
      seen.add(j);
    }
    expect(freelistLoop(s).ops).toBe(5000 + frees);
  });
});

// Regression spec: every counterexample file under counterexamples/ (recursively) is replayed.
// With its faults switched on it must still fail with the same invariant (else the repro has
// rotted), and with no fault the same commands must pass (else the suite raises a false alarm, or
// the allocator has a real bug).

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommands } from '../properties/runner.ts';
import { displayPath, findReproFiles, loadRepro } from '../cli/repro.ts';

const DIR = fileURLToPath(new URL('../counterexamples/', import.meta.url));
const found = findReproFiles(DIR);

/** An independent listing of the directory, so that the replay list cannot silently shrink. */
function listing(): string[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(DIR, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries
    .map((p) => join(DIR, p))
    .filter((p) => p.endsWith('.json') && statSync(p).isFile())
    .sort();
}

describe('counterexamples/ regression', () => {
  it(`replays every counterexample file in the directory (${found.length} found)`, () => {
    expect(found).toEqual(listing());
  });

  if (found.length === 0) {
    it.skip('NOTE: counterexamples/ holds no repro yet, nothing to replay (the kill-matrix work adds them)', () => undefined);
  }

  for (const file of found) {
    const rel = displayPath(file);
    describe(rel, () => {
      const loaded = loadRepro(file);

      it('is a valid counterexample file, stored under its invariant', () => {
        expect(loaded.ok ? 'valid' : loaded.error.reason, `${rel} does not load`).toBe('valid');
        if (!loaded.ok) return;
        expect(basename(dirname(file)), `${rel} is not under counterexamples/${loaded.value.repro.invariant}/`).toBe(loaded.value.repro.invariant);
      });

      it('still fails with its invariant when its faults are on', () => {
        if (!loaded.ok) throw new Error(`${rel}: ${loaded.error.reason}`);
        const { repro, faultyConfig } = loaded.value;
        const o = runCommands(faultyConfig, repro.commands);
        const got = o.passed ? 'it passed' : `${o.invariant} at step ${o.step}: ${o.message}`;
        expect(
          o.passed ? null : o.invariant,
          `the repro has rotted: ${rel} should fail with ${repro.invariant} (faults: ${repro.faults.join(',') || 'none'}) but ${got}`,
        ).toBe(repro.invariant);
      });

      it('passes with no fault switched on', () => {
        if (!loaded.ok) throw new Error(`${rel}: ${loaded.error.reason}`);
        const { repro, cleanConfig } = loaded.value;
        const o = runCommands(cleanConfig, repro.commands);
        expect(o.passed ? null : `${o.invariant} at step ${o.step}: ${o.message}`, `${rel} fails with no fault: a false alarm in the suite or a real allocator bug`).toBe(null);
      });
    });
  }
});

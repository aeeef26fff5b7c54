// The no-loss-of-detection check of incremental checks (issue 13), shared by the two halves of the
// fault list (test/incremental-faults-1.long.test.ts and -2, so that vitest's two workers share them):
// the user search (run --profile all --runs RUNS --seed 1) with K = DEFAULT_WHOLE_EVERY and with
// K = 1 finds the fault in the same run, with the same shrunk repro and the same invariant.

import { describe, expect, it } from 'vitest';
import { FAULT_NAMES } from '../../impl/index.ts';
import { userSearchOptions } from '../../matrix/killMatrix.ts';
import { runSuite } from '../../properties/runner.ts';
import { DEFAULT_WHOLE_EVERY } from '../../properties/session.ts';

const RUNS = 40;

/** Declares the comparison for every planted fault whose index in FAULT_NAMES is `half` mod 2. */
export function sameFirstFailureOnFaults(half: 0 | 1): void {
  const faults = FAULT_NAMES.filter((_, i) => i % 2 === half);
  describe(`incremental checks lose no detection on the planted faults (half ${half + 1} of 2)`, () => {
    // Without fast-check's shrinking: shrink attempts judge every step whole whatever K is (so a
    // shrunk repro depends only on the failing run it starts from: test/incremental.test.ts checks
    // one fault end to end); what K can change is which generated run fails first, and how.
    it.each(faults.map((f) => [f]))(`%s: the same first failure with K = ${DEFAULT_WHOLE_EVERY} as with K = 1`, (fault) => {
      const base = { ...userSearchOptions({ runs: RUNS, seed: 1, faults: [fault] }), shrink: false };
      const whole = runSuite({ ...base, wholeEvery: 1 });
      const incremental = runSuite({ ...base, wholeEvery: DEFAULT_WHOLE_EVERY });
      // Every planted fault is found by this search (otherwise the comparison would be empty).
      expect(whole.passed, `${fault} found with K = 1`).toBe(false);
      expect(incremental.passed, `${fault} found with K = ${DEFAULT_WHOLE_EVERY}`).toBe(false);
      const a = whole.counterexample;
      const b = incremental.counterexample;
      expect(b?.profile).toBe(a?.profile);
      expect(b?.runIndex).toBe(a?.runIndex);
      expect(b?.invariant).toBe(a?.invariant);
      expect(b?.commands).toEqual(a?.commands);
    });
  });
}

// The property suite at a fixed seed on every profile: fast-check generates swarm-weighted command
// sequences, the model runs beside the implementation, and all 15 invariants are checked after every
// step. ALLOC_CHECK_RUNS sets the runs per small-scope profile (default 300; the big profiles get an
// eighth of them: their steps are dearer and the small scopes carry the search); ALLOC_CHECK_SEED
// the seed. Longer budgets: ALLOC_CHECK_RUNS=20000 npx vitest run test/properties.test.ts.

import { afterAll, describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from '../impl/index.ts';
import { runSuite } from '../properties/runner.ts';

const RUNS = Number(process.env.ALLOC_CHECK_RUNS ?? 300);
const SEED = Number(process.env.ALLOC_CHECK_SEED ?? 20240601);

const runsFor = (profile: string): number => (profile.startsWith('tiny') ? RUNS : Math.max(1, Math.round(RUNS / 8)));

let totalSteps = 0;
let totalRuns = 0;
let totalMs = 0;

describe(`property suite (seed ${SEED}, ${RUNS} runs per small-scope profile)`, () => {
  for (const profile of PROFILE_NAMES) {
    it(`${profile}: every invariant holds after every step`, () => {
      const started = performance.now();
      const result = runSuite({ profiles: [profile], runs: runsFor(profile), seed: SEED, faults: [] });
      const ms = performance.now() - started;
      const ce = result.counterexample;
      expect(ce === null ? 'passed' : `${ce.invariant} at step ${ce.step}: ${ce.message}\n${JSON.stringify(ce.commands)}`).toBe('passed');
      expect(result.passed).toBe(true);
      expect(result.profiles).toHaveLength(1);
      expect(result.profiles[0]?.runs).toBe(runsFor(profile));
      // Real work was done: runs average well over a dozen executed steps.
      expect(result.steps).toBeGreaterThan(12 * runsFor(profile));
      totalSteps += result.steps;
      totalRuns += runsFor(profile);
      totalMs += ms;
      console.log(`${profile.padEnd(13)} ${String(runsFor(profile)).padStart(5)} runs ${String(result.steps).padStart(7)} steps checked  ${Math.round((1000 * result.steps) / ms)} steps/s`);
    });
  }
});

afterAll(() => {
  if (totalRuns > 0) {
    console.log(`property suite: ${totalRuns} runs, ${totalSteps} steps checked (every invariant after every step) in ${(totalMs / 1000).toFixed(1)} s = ${Math.round((1000 * totalSteps) / totalMs)} steps/s`);
  }
});

// Goal: the killing test of the mutation run (npm run mutation, docs/mutation.md): the suite's own
// bounded, seeded search over every profile, the thing a user gates on. A mutant of impl/ is
// "killed by the search" when this test fails with it switched on.
// Method: runSuite(userSearchOptions({ runs, seed })) with the run count and seed of
// searchOptions.ts (the options of `alloc-check run --profile all --runs 10 --seed 1`); it must
// pass, and must have run every profile's runs. Only test/mutation/vitest.mutation.config.ts
// includes this file: `npm test` never runs it.

import { expect, it } from 'vitest';
import { runSuite } from '../../properties/runner.ts';
import { MUTATION_RUNS, SEARCH_TEST_NAME, mutationSearchOptions } from './searchOptions.ts';

it(SEARCH_TEST_NAME, () => {
  const result = runSuite(mutationSearchOptions());
  const ce = result.counterexample;
  expect(ce === null ? 'passed' : `${ce.invariant} on ${ce.profile} at step ${ce.step}: ${ce.message}`).toBe('passed');
  for (const p of result.profiles) expect(p.runs, p.profile).toBe(MUTATION_RUNS);
});

// The killing search of the mutation run (docs/mutation.md), shared by the vitest file that runs it
// under Stryker and by scripts/mutation.ts, which prints it: `alloc-check run --profile all --runs
// MUTATION_RUNS --seed MUTATION_SEED`, a fixed run count per profile so that a verdict never
// depends on the machine's speed.

import { userSearchOptions } from '../../matrix/killMatrix.ts';
import type { SuiteOptions } from '../../properties/runnerApi.ts';

/** Runs per profile (every built-in profile, round-robin): chosen so that the full run fits its budget (docs/mutation.md "Duration"). */
export const MUTATION_RUNS = 10;
export const MUTATION_SEED = 1;

/** The search's options: exactly what `alloc-check run --profile all --runs N --seed S` builds. */
export function mutationSearchOptions(): SuiteOptions {
  return userSearchOptions({ runs: MUTATION_RUNS, seed: MUTATION_SEED, faults: [] });
}

/** The vitest name of the search test: scripts/mutation.ts tells "killed by the search" by it. */
export const SEARCH_TEST_NAME = `the user search (run --profile all --runs ${MUTATION_RUNS} --seed ${MUTATION_SEED}) passes`;

/** The unit-test column: the unit tests of impl/ (config validation's own tests left out: config is excluded). */
export const UNIT_TEST_FILES: readonly string[] = ['test/impl-core.test.ts', 'test/impl-fronts.test.ts', 'test/pool.test.ts'];

export const SEARCH_TEST_FILE = 'test/mutation/search.mutation.ts';

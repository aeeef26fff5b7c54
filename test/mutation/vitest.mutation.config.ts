// The vitest configuration of the mutation run only (stryker.config.mjs points at it; `npm test`
// uses vitest.config.ts and never includes these files). The search test runs first in every
// mutant's run and Stryker bails at the first failing test, so a mutant a unit test kills was
// survived by the search: scripts/mutation.ts reads "killed by unit tests only" from that.

import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';
import { SEARCH_TEST_FILE, UNIT_TEST_FILES } from './searchOptions.ts';

class SearchFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => (f.moduleId.endsWith(SEARCH_TEST_FILE) ? 0 : 1);
    return [...files].sort((a, b) => rank(a) - rank(b) || a.moduleId.localeCompare(b.moduleId));
  }
}

export default defineConfig({
  test: {
    include: [SEARCH_TEST_FILE, ...UNIT_TEST_FILES],
    // The search under Stryker's instrumentation (its coverage dry run above all) runs many times slower than plain.
    testTimeout: 900_000,
    fileParallelism: false,
    sequence: { sequencer: SearchFirst },
  },
});

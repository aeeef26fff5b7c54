// StrykerJS over impl/ (issue 17, docs/mutation.md). Run it through `npm run mutation`
// (scripts/mutation.ts), which picks the files to mutate (all of impl/ but the harness files,
// --quick, --shard I/N), classifies the results and writes the report; `npx stryker run` alone
// mutates the default list below and prints Stryker's own figures only.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'test/mutation/vitest.mutation.config.ts', related: false },
  // The harness files (config validation, the view, test hooks, clone code) are not mutated:
  // their mutants test the harness, not the allocator (scripts/mutation.ts: EXCLUDED_FILES).
  mutate: ['impl/**/*.ts', '!impl/config.ts', '!impl/view.ts', '!impl/viewImpl.ts', '!impl/hooks.ts', '!impl/clone.ts'],
  coverageAnalysis: 'perTest',
  checkers: [],
  concurrency: 2,
  timeoutMS: 20000,
  timeoutFactor: 2,
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/stryker.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['/reports', '/counterexamples', '/tmp', '/test-output', '/dist', '/.git'],
  disableTypeChecks: 'impl/**/*.ts',
};

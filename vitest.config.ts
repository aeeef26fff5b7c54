import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on the 2-core machines this project runs
    // on that is one, and the files ran one after another. The tests are CPU-bound and independent
    // (each writes under its own temporary folder), so both cores run files side by side.
    maxWorkers: 2,
  },
});

import { configDefaults, defineConfig } from 'vitest/config';

// `npm test`: every test but the long end-to-end searches (test/*.long.test.ts: the reach table,
// the K-equivalence over every planted fault, the sharded matrix and swarm, the explorer's worker
// runs), which `npm run test:long` runs (vitest.long.config.ts) and CI runs after `npm test`. The
// split keeps `npm test` under two minutes on an idle 2-core machine.
export const shared = {
  testTimeout: 120_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // Vitest's default is one worker fewer than the cores: on the 2-core machines this project runs
  // on that is one, and the files ran one after another. The tests are CPU-bound and independent
  // (each writes under its own temporary folder), so both cores run files side by side.
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/**/*.long.test.ts'],
  },
});

import { defineConfig } from 'vitest/config';
import { shared } from './vitest.config.ts';

// `npm run test:long`: the long end-to-end searches only (see vitest.config.ts); CI runs it after `npm test`.
export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.long.test.ts'],
  },
});

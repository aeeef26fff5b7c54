// Incremental checks lose no detection: half 1 of the planted faults (test/support/incremental.ts).

import { sameFirstFailureOnFaults } from './support/incremental.ts';

sameFirstFailureOnFaults(0);

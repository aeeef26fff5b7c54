// A driver for CPU profiles of the bench's figures that miss their targets (docs/bench.md):
//
//   node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile.ts TARGET
//   node --import tsx bench/profileSummary.ts DIR/<file>.cpuprofile
//
// TARGET: random-mixed-256 (the allocator workload on the bundled impl/, 10 x 1M iterations), or
// checked-default / checked-tiny (only the checked passes of the checker section, on the bundled
// suite, same programs and seed). Each runs several seconds of that work and little else.

import { loadBundledImpl, loadBundledSuite } from './bundle.ts';
import { checkedPasses } from './checkerBench.ts';
import { randomMixed } from './workloads.ts';

const TARGETS = ['random-mixed-256', 'checked-default', 'checked-tiny'] as const;
type Target = (typeof TARGETS)[number];

async function run(t: Target): Promise<string> {
  switch (t) {
    case 'random-mixed-256': {
      const impl = await loadBundledImpl();
      let ops = 0;
      for (let r = 0; r < 10; r++) ops += randomMixed(impl.createAllocator(impl.profileConfig('default')), 256, 1_000_000, 42).ops;
      return `${ops} allocator calls`;
    }
    case 'checked-default':
      return `${checkedPasses(await loadBundledSuite(), 'default', 200, 2)} checked steps`;
    case 'checked-tiny':
      return `${checkedPasses(await loadBundledSuite(), 'tiny', 1000, 3)} checked steps`;
  }
}

const target = process.argv[2];
if (target === undefined || process.argv.length > 3 || !(TARGETS as readonly string[]).includes(target)) {
  console.error(`profile: one TARGET, one of ${TARGETS.join(', ')}`);
  process.exit(2);
}
const t0 = performance.now();
const what = await run(target as Target);
console.error(`profile: ${target}: ${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

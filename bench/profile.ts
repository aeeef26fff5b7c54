// A driver for CPU profiles of the bench's figures that miss their targets (docs/bench.md):
//
//   node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/profile.ts TARGET
//   node --import tsx bench/profileSummary.ts DIR/<file>.cpuprofile
//
// TARGET: random-mixed-256 (the allocator workload on the bundled impl/, 10 x 1M iterations), or
// checked-default / checked-tiny (only the checked passes of the checker section, on the bundled
// suite, same programs and seed). Each runs several seconds of that work and little else.
// harness-256 is no profile but a calibration: the random-mixed 256 loop itself, calling an
// allocator whose alloc/free do nothing (the bench measures the same per workload, from a copy of
// bench/workloads.ts bundled apart). Random streams are drawn before the timed loops, as in the bench.

import { loadBundledImpl, loadBundledSuite } from './bundle.ts';
import { checkedPasses } from './checkerBench.ts';
import { mixedStream, nopAllocator, randomMixed } from './workloads.ts';

const TARGETS = ['random-mixed-256', 'checked-default', 'checked-tiny', 'harness-256'] as const;
type Target = (typeof TARGETS)[number];

async function run(t: Target): Promise<string> {
  switch (t) {
    case 'random-mixed-256': {
      const impl = await loadBundledImpl();
      const stream = mixedStream(256, 1_000_000, 42);
      let ops = 0;
      for (let r = 0; r < 10; r++) ops += randomMixed(impl.createAllocator(impl.profileConfig('default')), stream).ops;
      return `${ops} allocator calls`;
    }
    case 'harness-256': {
      const nop = nopAllocator(8);
      const stream = mixedStream(256, 1_000_000, 42);
      let best = 0;
      for (let r = 0; r < 5; r++) {
        const res = randomMixed(nop, stream);
        best = Math.max(best, res.ops / res.seconds);
      }
      return `the loop with no-op alloc/free calls: ${(best / 1e6).toFixed(1)}M calls/s (best of 5), ${((2 * 1e9) / best).toFixed(1)} ns per iteration`;
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

// `npm run bench [-- --json] [-- --scale X]`: figures for people to compare side by side in one
// run. No figure here is asserted anywhere; a test never asserts a timing.

import { parseArgs } from 'node:util';
import { runAllocatorBench, type AllocatorFigures } from './allocatorBench.ts';
import { loadBundledImpl } from './bundle.ts';

const pct = (x: number | null): string => (x === null ? '   -' : `${(100 * x).toFixed(1)}%`);
const mops = (x: number): string => `${(x / 1e6).toFixed(2)}M`;

function printAllocator(f: AllocatorFigures): void {
  console.log('Allocator throughput (alloc + free calls per second, best of 3, fixed seeds)');
  console.log(`  ${'workload'.padEnd(22)} ${'ops/s'.padStart(9)}  ${'x bare'.padStart(7)}  failures  acquisitions (stage0/0.5/1/2/3)`);
  console.log(`  ${'bare reference loop'.padEnd(22)} ${mops(f.bareLoop.opsPerSec).padStart(9)}  ${'1.000'.padStart(7)}`);
  for (const [name, w] of Object.entries(f.workloads)) {
    const st = w.stages ? `${w.stages.stage0}/${w.stages.stage0_5}/${w.stages.stage1}/${w.stages.stage2}/${w.stages.stage3}` : '';
    console.log(`  ${name.padEnd(22)} ${mops(w.opsPerSec).padStart(9)}  ${w.ratioToBare.toFixed(3).padStart(7)}  ${String(w.failures).padStart(8)}  ${st}`);
  }
  const s = f.seedFigures;
  const n = f.seedFiguresNoDraining;
  console.log('');
  console.log("The seeds' figures on random-mixed ws 8192        default config      hotThreshold 0 (no DRAINING)");
  const row = (label: string, a: string, b: string, note = ''): void => console.log(`  ${label.padEnd(30)} ${a.padStart(20)} ${b.padStart(28)}   ${note}`);
  row('tiny failures', String(s.tinyFailures), String(n.tinyFailures), '(seeds: must be 0)');
  row('Stage 1 share after warm-up', `${pct(s.stage1Share)} of ${s.acquisitionsAfterWarmup}`, `${pct(n.stage1Share)} of ${n.acquisitionsAfterWarmup}`, '(seed 003 wanted > 70%)');
  row('EMPTY reuse (Stage 0.5 + 1)', pct(s.emptyReuseShare), pct(n.emptyReuseShare), '(Stage 0.5 scans before Stage 1 pops)');
  row('warm pool hit rate', pct(s.warmPoolHitRate), pct(n.warmPoolHitRate), '(seed 001: 55.6% for C7)');
  row('mapped / live bytes', s.mappedOverLive.toFixed(2), n.mappedOverLive.toFixed(2), '(seed 004: overhead of mapped over live)');
  console.log(`  warm pool hit rate by class, default: ${s.warmPoolHitRateByClass.map(pct).join(' ')}`);
  console.log(`  warm pool hit rate by class, random-mixed ws 256: ${f.warmPoolByClass256.map(pct).join(' ')}`);
}

async function main(): Promise<void> {
  let values: { json?: boolean; scale?: string };
  try {
    values = parseArgs({ options: { json: { type: 'boolean' }, scale: { type: 'string' } }, strict: true }).values;
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(2);
  }
  const scale = values.scale === undefined ? 1 : Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0) {
    console.error(`bench: --scale must be a positive number, got "${values.scale}"`);
    process.exit(2);
  }
  const impl = await loadBundledImpl();
  if (!values.json) console.log(`bench: seed 42, scale ${scale} (1M iterations per workload at scale 1)\n`);
  const allocator = runAllocatorBench(impl, scale);
  if (values.json) {
    console.log(JSON.stringify({ workloads: allocator.workloads, bareLoop: allocator.bareLoop, seedFigures: allocator.seedFigures, seedFiguresNoDraining: allocator.seedFiguresNoDraining, warmPoolByClass256: allocator.warmPoolByClass256 }, null, 2));
    return;
  }
  printAllocator(allocator);
}

await main();

// Loads code for benchmarking bundled by esbuild into one ES module, as it would ship. (Under the
// tsx loader every cross-module import goes through a getter, which costs the allocator's hot path
// ~2x and is an artifact of the development loader, not of the allocator.)
//   loadBundledImpl   impl/ alone (the allocator section);
//   loadBundledSuite  bench/suiteEntry.ts: the property suite, the kill matrix and impl/ in one
//                     bundle (the checker and fault sections), npm packages left external;
//   loadBundledWorkloads  a separate copy of bench/workloads.ts for the no-op harness: its loops'
//                     call sites see only the no-op allocator, the real ones only the real one.

import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ImplModule = typeof import('../impl/index.ts');
type WorkloadsModule = typeof import('./workloads.ts');
export type SuiteModule = typeof import('./suiteEntry.ts');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function loadBundle<T>(entry: string, name: string): Promise<T> {
  const outDir = join(root, 'node_modules', '.cache', 'alloc-check');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.bundle.mjs`);
  buildSync({ entryPoints: [join(root, entry)], bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', sourcemap: 'linked', outfile, logLevel: 'error' });
  return (await import(pathToFileURL(outfile).href)) as T;
}

export function loadBundledImpl(): Promise<ImplModule> {
  return loadBundle<ImplModule>(join('impl', 'index.ts'), 'impl');
}

export function loadBundledSuite(): Promise<SuiteModule> {
  return loadBundle<SuiteModule>(join('bench', 'suiteEntry.ts'), 'suite');
}

export function loadBundledWorkloads(): Promise<WorkloadsModule> {
  return loadBundle<WorkloadsModule>(join('bench', 'workloads.ts'), 'workloads-harness');
}

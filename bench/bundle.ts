// Loads the allocator for benchmarking: impl/ bundled by esbuild into one ES module, as it would
// ship. (Under the tsx loader every cross-module import goes through a getter, which costs the
// hot path ~2x and is an artifact of the development loader, not of the allocator.)

import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type ImplModule = typeof import('../impl/index.ts');

export async function loadBundledImpl(): Promise<ImplModule> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = join(root, 'node_modules', '.cache', 'alloc-check');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'impl.bundle.mjs');
  buildSync({ entryPoints: [join(root, 'impl', 'index.ts')], bundle: true, format: 'esm', platform: 'node', target: 'node20', outfile, logLevel: 'error' });
  return (await import(pathToFileURL(outfile).href)) as ImplModule;
}

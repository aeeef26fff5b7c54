// Summarises a V8 CPU profile (`node --cpu-prof`): the top functions by self time, and self time
// per source file. Code loaded from an esbuild bundle (bench/bundle.ts) is attributed to its source
// file through the `// path/file.ts` markers esbuild writes before each module.
//
//   node --import tsx bench/profileSummary.ts FILE.cpuprofile [--top N]

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function isProfile(v: unknown): v is CpuProfile {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o.nodes) && Array.isArray(o.samples) && Array.isArray(o.timeDeltas);
}

/** For a bundle: sorted [line, source file] markers; for anything else: null. */
const markerCache = new Map<string, readonly (readonly [number, string])[] | null>();
function markersOf(url: string): readonly (readonly [number, string])[] | null {
  const known = markerCache.get(url);
  if (known !== undefined) return known;
  let markers: (readonly [number, string])[] | null = null;
  if (url.endsWith('.bundle.mjs')) {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    if (existsSync(path)) {
      markers = [];
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const m = /^\/\/ ((?:impl|model|properties|cli|bench|explore)\/\S+\.ts)$/.exec(line);
          if (m !== null) markers?.push([i, m[1] as string]);
        });
    }
  }
  markerCache.set(url, markers);
  return markers;
}

function sourceOf(frame: CallFrame): string {
  const { url, lineNumber } = frame;
  if (url === '') return '(native/vm)';
  const markers = markersOf(url);
  if (markers !== null) {
    let file = '(bundle prelude)';
    for (const [line, f] of markers) {
      if (line > lineNumber) break;
      file = f;
    }
    return file;
  }
  const nm = url.indexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length).split('/').slice(0, 2).join('/').replace(/\/(lib|dist|cjs|esm)$/, '');
  const root = url.indexOf('/work/main/');
  return root >= 0 ? url.slice(root + '/work/main/'.length) : url.replace(/^file:\/\//, '');
}

function main(): void {
  let file: string;
  let top = 25;
  try {
    const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new Error('one profile file expected');
    file = positionals[0] as string;
    if (values.top !== undefined) {
      top = Number(values.top);
      if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a positive integer, got "${values.top}"`);
    }
  } catch (e) {
    console.error(`profileSummary: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    process.exit(2);
  }
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isProfile(raw)) {
    console.error(`profileSummary: ${file} is not a V8 CPU profile`);
    process.exit(2);
  }
  const byId = new Map(raw.nodes.map((n) => [n.id, n]));
  const selfByFn = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  raw.samples.forEach((id, i) => {
    const dt = raw.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') {
      idle += dt;
      return;
    }
    total += dt;
    const src = sourceOf(node.callFrame);
    const key = `${name === '' ? '(anonymous)' : name}  [${src}]`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
    selfByFile.set(src, (selfByFile.get(src) ?? 0) + dt);
  });
  const share = (us: number): string => `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const msOf = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s of samples (idle/program excluded: ${(idle / 1e6).toFixed(2)} s)`);
  console.log(`\ntop ${top} functions by self time`);
  for (const [k, us] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(us)} ${msOf(us)}  ${k}`);
  console.log('\nself time by source file');
  for (const [k, us] of [...selfByFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(us)} ${msOf(us)}  ${k}`);
}

main();

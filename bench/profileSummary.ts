// Summarises a V8 CPU profile (`node --cpu-prof`): the top functions by self time (with where they
// are defined), the top functions by total time (self + callees: e.g. each invariant's check),
// and self time per source file. Code loaded from an esbuild bundle (bench/bundle.ts
// writes a source map beside it) is attributed to its TypeScript source through the map.
//
//   node --import tsx bench/profileSummary.ts FILE.cpuprofile [--top N]

import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
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

const ROOT_MARK = '/work/main/';

/** Path relative to the repository when it lies inside it. */
function relative(path: string): string {
  const p = path.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) return p.slice(nm + 'node_modules/'.length).split('/').slice(0, 2).join('/').replace(/\/(lib|dist|cjs|esm)$/, '');
  const root = p.indexOf(ROOT_MARK);
  if (root >= 0) return p.slice(root + ROOT_MARK.length);
  const up = p.lastIndexOf('../');
  return up >= 0 ? p.slice(up + 3) : p;
}

const mapCache = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  const known = mapCache.get(url);
  if (known !== undefined) return known;
  let map: SourceMap | null = null;
  if (url.startsWith('file:') && url.endsWith('.mjs')) {
    const path = `${fileURLToPath(url)}.map`;
    if (existsSync(path)) map = new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as SourceMapPayload);
  }
  mapCache.set(url, map);
  return map;
}

/** Source file and 1-based line where the frame's function is defined. */
function locate(frame: CallFrame): { file: string; where: string } {
  const { url, lineNumber, columnNumber } = frame;
  if (url === '') return { file: '(native/vm)', where: '(native/vm)' };
  const map = sourceMapOf(url);
  if (map !== null) {
    const e = map.findEntry(lineNumber, columnNumber);
    if ('originalSource' in e && typeof e.originalSource === 'string') {
      const file = relative(e.originalSource);
      return { file, where: `${file}:${e.originalLine + 1}` };
    }
  }
  const file = relative(url);
  // Files run through the tsx loader carry tsx's own line numbers: the file alone.
  return { file, where: file.startsWith('node:') || !file.includes('/') || file.endsWith('.ts') ? file : `${file}:${lineNumber + 1}` };
}

// `... | head` closes the pipe early: stop quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

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
  const parent = new Map<number, number>();
  for (const n of raw.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map<number, { key: string; file: string }>();
  const keyOfNode = (n: ProfileNode): { key: string; file: string } => {
    let k = keyOf.get(n.id);
    if (k === undefined) {
      const { file, where } = locate(n.callFrame);
      k = { key: `${n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName}  ${where}`, file };
      keyOf.set(n.id, k);
    }
    return k;
  };
  const totalByFn = new Map<string, number>();
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
    const { key, file: src } = keyOfNode(node);
    // Total time: once per distinct function on the sample's stack (recursion counted once).
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (n === undefined) break;
      const k = keyOfNode(n).key;
      if (seen.has(k)) continue;
      seen.add(k);
      totalByFn.set(k, (totalByFn.get(k) ?? 0) + dt);
    }
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
    selfByFile.set(src, (selfByFile.get(src) ?? 0) + dt);
  });
  const share = (us: number): string => `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%`;
  const msOf = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s of samples (idle/program excluded: ${(idle / 1e6).toFixed(2)} s)`);
  console.log(`\ntop ${top} functions by self time`);
  for (const [k, us] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(us)} ${msOf(us)}  ${k}`);
  console.log(`\ntop ${top} functions by total time (self + callees), the profile's roots and runners left out`);
  const skip = /^\(root\)|^\(program\)|^\(anonymous\)  (node:|\(native)|  node:|  tsx|  esbuild|^run  bench\/profile|^main  /;
  for (const [k, us] of [...totalByFn].filter(([k]) => !skip.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(us)} ${msOf(us)}  ${k}`);
  console.log('\nself time by source file');
  for (const [k, us] of [...selfByFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(us)} ${msOf(us)}  ${k}`);
}

main();

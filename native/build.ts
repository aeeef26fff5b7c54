// Builds the native driver (and test fixtures) with the system's C compiler on first use, into
// native/.cache/ (git-ignored). The output name carries a hash of the source, the flags and the
// compiler, so a changed source is rebuilt; the build writes a temporary file and renames it, so
// concurrent builds (test workers, a CLI run) never see a half-written binary.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A problem with the native target that the user must fix (the CLI prints it as one line, exit 2). */
export class NativeSetupError extends Error {
  override readonly name = 'NativeSetupError';
}

export const NATIVE_DIR = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(NATIVE_DIR, '.cache');
export const DRIVER_SOURCE = join(NATIVE_DIR, 'driver.c');

let compilerMemo: string | null | undefined;

/** The first working C compiler: $CC, then cc, gcc, clang; null when there is none. */
export function findCompiler(env: NodeJS.ProcessEnv = process.env): string | null {
  if (compilerMemo !== undefined && env === process.env) return compilerMemo;
  const candidates = [env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => c !== undefined && c.trim() !== '');
  let found: string | null = null;
  for (const cc of candidates) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env });
    if (r.status === 0) {
      found = cc;
      break;
    }
  }
  if (env === process.env) compilerMemo = found;
  return found;
}

export const NO_COMPILER_MESSAGE = 'no C compiler found (tried $CC, cc, gcc, clang): native targets build their driver with one; install gcc (apt-get install gcc)';

export interface BuildSpec {
  readonly source: string;
  /** Output stem in the cache folder. */
  readonly name: string;
  readonly kind: 'executable' | 'shared';
  readonly flags?: readonly string[];
}

/** Path of the built binary, building it first when the cache has none for this source. */
export function ensureBuilt(spec: BuildSpec): string {
  const cc = findCompiler();
  if (cc === null) throw new NativeSetupError(NO_COMPILER_MESSAGE);
  const source = readFileSync(spec.source);
  const flags = [
    '-O2',
    '-std=gnu11',
    '-Wall',
    '-Wextra',
    // The fixture interposes malloc: the compiler must not turn malloc + memset into calloc.
    '-fno-builtin',
    ...(spec.kind === 'shared' ? ['-shared', '-fPIC'] : []),
    ...(spec.flags ?? []),
  ];
  const hash = createHash('sha256').update(source).update(JSON.stringify([cc, flags])).digest('hex').slice(0, 12);
  const out = join(CACHE_DIR, `${spec.name}-${hash}${spec.kind === 'shared' ? '.so' : ''}`);
  if (existsSync(out)) return out;
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(cc, [...flags, '-o', tmp, spec.source, '-lpthread', '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const first = (r.stderr || r.error?.message || '').split('\n').find((l) => /error/i.test(l)) ?? `exit status ${r.status}`;
    throw new NativeSetupError(`building ${spec.source} with ${cc} failed: ${first.trim()}`);
  }
  renameSync(tmp, out);
  return out;
}

export function ensureDriver(): string {
  return ensureBuilt({ source: DRIVER_SOURCE, name: 'driver', kind: 'executable' });
}

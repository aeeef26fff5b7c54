// Targets of a run: `impl` (the TypeScript implementation) or a C allocator in a child process —
// `native` (the system malloc), `native:jemalloc`, `native:mimalloc` (Debian's libjemalloc2 and
// libmimalloc2.0, by soname, where the dynamic linker finds them), `native:PATH.so` (any
// malloc-interposing library, by LD_PRELOAD). Plus the native options: the layout whose extra
// invariants apply (`hakmem`: the SPEC's header byte and class usable size) and the bad-free policy.

import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';

export type TargetSpec =
  | { readonly kind: 'impl' }
  | {
      readonly kind: 'native';
      /** As the user writes it: native, native:jemalloc, native:/abs/path.so. */
      readonly name: string;
      /** LD_PRELOAD value, or null for the system malloc. */
      readonly preload: string | null;
      /** Debian package that provides it (for the message when it is missing). */
      readonly pkg: string | null;
    };

export type NativeTarget = Extract<TargetSpec, { kind: 'native' }>;

export type Layout = 'plain' | 'hakmem';
export type BadFreePolicy = 'off' | 'abort-ok';

export interface NativeOptions {
  readonly layout: Layout;
  readonly badFrees: BadFreePolicy;
  /**
   * The allocator's own settings from the environment of the run that found a repro (MALLOC_CONF,
   * MIMALLOC_*, GLIBC_TUNABLES, the fixture's bug switch), so that a replay sees the same
   * allocator; a variable set in the replaying process's environment wins.
   */
  readonly env?: Readonly<Record<string, string>>;
}

const ALLOCATOR_ENV = /^(MALLOC_|MIMALLOC_|JE_MALLOC_|GLIBC_TUNABLES$|ALLOC_CHECK_FIXTURE_)/;

/** The variables of `env` that configure an allocator. */
export function allocatorEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (ALLOCATOR_ENV.test(k) && v !== undefined) out[k] = v;
  return out;
}

export const DEFAULT_NATIVE_OPTIONS: NativeOptions = { layout: 'plain', badFrees: 'off' };

const KNOWN: Readonly<Record<string, { readonly soname: string; readonly pkg: string }>> = {
  jemalloc: { soname: 'libjemalloc.so.2', pkg: 'libjemalloc2' },
  mimalloc: { soname: 'libmimalloc.so.2', pkg: 'libmimalloc2.0' },
};

export const TARGET_FORMS = 'impl, native, native:jemalloc, native:mimalloc or native:PATH.so';

/** Parses a --target value (or a repro file's "target"); a string is the reason it is rejected. */
export function parseTarget(value: string, cwd: string = process.cwd()): TargetSpec | string {
  if (value === 'impl') return { kind: 'impl' };
  if (value === 'native') return { kind: 'native', name: 'native', preload: null, pkg: null };
  if (!value.startsWith('native:')) return `unknown target "${value}": must be ${TARGET_FORMS}`;
  const rest = value.slice('native:'.length);
  const known = Object.hasOwn(KNOWN, rest) ? KNOWN[rest] : undefined;
  if (known !== undefined) return { kind: 'native', name: value, preload: known.soname, pkg: known.pkg };
  if (!rest.endsWith('.so') && !/\.so\.\d+(\.\d+)*$/.test(rest)) return `unknown target "${value}": must be ${TARGET_FORMS} (a path must name a .so file)`;
  const path = resolve(cwd, rest);
  if (!existsSync(path) || !statSync(path).isFile()) return `target ${value}: no such file ${path}`;
  return { kind: 'native', name: `native:${path}`, preload: path, pkg: null };
}

/** Whether the object the driver found malloc in is the one the target asked for. */
export function mallocObjectMatches(target: NativeTarget, mallocObject: string): boolean {
  if (target.preload === null) return /\/libc\.so(\.\d+)?$/.test(mallocObject) || basename(mallocObject).startsWith('libc.so');
  if (target.preload.includes('/')) {
    try {
      return realpathSync(mallocObject) === realpathSync(target.preload);
    } catch {
      return false;
    }
  }
  return basename(mallocObject) === target.preload || basename(mallocObject).startsWith(target.preload.replace(/\.so.*$/, '.so'));
}

export function parseLayout(value: string): Layout | string {
  return value === 'plain' || value === 'hakmem' ? value : `unknown layout "${value}": must be plain or hakmem`;
}

export function parseBadFrees(value: string): BadFreePolicy | string {
  return value === 'off' || value === 'abort-ok' ? value : `unknown bad-free policy "${value}": must be off or abort-ok`;
}

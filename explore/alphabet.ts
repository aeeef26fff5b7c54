// The finite command alphabet the explorer enumerates for a small-scope profile.

import type { AllocatorConfig } from '../impl/index.ts';
import type { BadFreeKind, CommandData } from '../properties/commandData.ts';

export interface AlphabetOptions {
  /** Largest live index a free names (frees of #0..#maxRef-1). */
  readonly maxRef?: number;
  /** Soft-cap values setSoftCap may set, per class. */
  readonly softCapValues?: readonly number[];
}

const BAD_FREES: readonly BadFreeKind[] = ['double', 'interior', 'foreign', 'stale', 'forged'];

/**
 * One size per class (its smallest), one pool size (just past the last class); free of each live
 * index from every thread; drain of every class, flush and exit of every thread; soft caps from a
 * small set; trim; canary write and check of live index 0; every bad-free kind from every thread;
 * osRefuse(1) and osLimit(1).
 * Every thread has the same commands: the thread-renaming reduction relies on it.
 */
export function alphabet(config: AllocatorConfig, options: AlphabetOptions = {}): CommandData[] {
  const maxRef = options.maxRef ?? 3;
  const softCapValues = options.softCapValues ?? [1];
  const classes = config.strides.length;
  const sizes = [...Array.from({ length: classes }, (_, c) => (c === 0 ? 0 : (config.strides[c - 1] as number))), config.strides[classes - 1] as number];
  const out: CommandData[] = [];
  for (let t = 0; t < config.threads; t++) for (const size of sizes) out.push({ kind: 'alloc', thread: t, size });
  for (let t = 0; t < config.threads; t++) for (let ref = 0; ref < maxRef; ref++) out.push({ kind: 'free', thread: t, ref });
  for (let t = 0; t < config.threads; t++) for (let cls = 0; cls < classes; cls++) out.push({ kind: 'drain', thread: t, cls });
  for (let t = 0; t < config.threads; t++) out.push({ kind: 'flush', thread: t }, { kind: 'threadExit', thread: t });
  for (let cls = 0; cls < classes; cls++) for (const cap of softCapValues) out.push({ kind: 'setSoftCap', cls, cap });
  out.push({ kind: 'trim' }, { kind: 'write', ref: 0, seed: 1 }, { kind: 'check', ref: 0 });
  for (let t = 0; t < config.threads; t++) for (const bad of BAD_FREES) out.push({ kind: 'badFree', thread: t, bad, ref: 0, offset: 1 });
  // Refusals (SPEC §2): the next map refused, whoever asks; and a world of one mapped region.
  out.push({ kind: 'osRefuse', count: 1 }, { kind: 'osLimit', limit: 1 });
  return out;
}

// The native alphabet: the suite's command kinds that mean something on malloc — alloc (sizes on
// the profile's class boundaries, pool sizes, now and then a large mapping-sized request), free
// (owner or remote), write, check, threadExit, trim and, with `--bad-frees abort-ok`, bad frees
// (double, interior, foreign). drain, flush, setSoftCap and setRouteProfile are left out.

import fc from 'fast-check';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { NativeOptions } from './target.ts';

function sizeArbitrary(config: AllocatorConfig): fc.Arbitrary<number> {
  const s = config.strides;
  const classSize = fc.integer({ min: 0, max: s.length - 1 }).chain((c) => {
    const hi = (s[c] as number) - 1;
    const lo = c === 0 ? 0 : (s[c - 1] as number);
    return fc.oneof({ weight: 3, arbitrary: fc.constant(hi) }, { weight: 2, arbitrary: fc.constant(lo) }, { weight: 2, arbitrary: fc.integer({ min: lo, max: hi }) });
  });
  const last = s[s.length - 1] as number;
  return fc.oneof(
    { weight: 12, arbitrary: classSize },
    { weight: 2, arbitrary: fc.integer({ min: last, max: 4 * last }) },
    { weight: 1, arbitrary: fc.constantFrom(64 * 1024, 200 * 1024, 1 << 20) },
  );
}

export function nativeCommandArbitrary(config: AllocatorConfig, options: NativeOptions): fc.Arbitrary<CommandData> {
  const thread = fc.integer({ min: 0, max: config.threads - 1 });
  const ref = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 15 }) }, { weight: 1, arbitrary: fc.constant(-1) });
  const options_: { weight: number; arbitrary: fc.Arbitrary<CommandData> }[] = [
    { weight: 14, arbitrary: fc.tuple(thread, sizeArbitrary(config)).map(([t, size]): CommandData => ({ kind: 'alloc', thread: t, size })) },
    { weight: 9, arbitrary: fc.tuple(thread, ref).map(([t, r]): CommandData => ({ kind: 'free', thread: t, ref: r })) },
    { weight: 1, arbitrary: fc.tuple(ref, fc.nat({ max: 255 })).map(([r, seed]): CommandData => ({ kind: 'write', ref: r, seed })) },
    { weight: 2, arbitrary: ref.map((r): CommandData => ({ kind: 'check', ref: r })) },
    { weight: 2, arbitrary: thread.map((t): CommandData => ({ kind: 'threadExit', thread: t })) },
    { weight: 1, arbitrary: fc.constant<CommandData>({ kind: 'trim' }) },
  ];
  if (options.badFrees === 'abort-ok') {
    options_.push({
      weight: 1,
      arbitrary: fc
        .tuple(thread, fc.constantFrom('double' as const, 'interior' as const, 'foreign' as const), ref, fc.nat({ max: 999 }))
        .map(([t, bad, r, offset]): CommandData => ({ kind: 'badFree', thread: t, bad, ref: r, offset })),
    });
  }
  return fc.oneof(...options_);
}

export function nativeSequenceArbitrary(config: AllocatorConfig, options: NativeOptions, maxLength = 60): fc.Arbitrary<CommandData[]> {
  return fc.array(nativeCommandArbitrary(config, options), { minLength: 1, maxLength, size: 'max' });
}

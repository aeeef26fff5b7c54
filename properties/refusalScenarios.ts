// Generators for OS refusals (SPEC §2, issue 19): the osLimit/osRefuse commands and the scenario
// chunks that bring a refusal to every map site — Stage 3 on an allocation's refill, the warm-pool
// prefill, a TinyHeap page refill, the pool's region growth, and the re-map of a freed index — and
// then lift it and repeat the request (which must then succeed, no-premature-failure judges).
// Kept apart from arbitraries.ts, which only registers them.

import fc from 'fast-check';
import type { AllocatorConfig } from '../impl/index.ts';
import type { SuiteCommand } from './commands/index.ts';
import { AllocCommand, FlushCommand, FreeCommand, OsLimitCommand, OsRefuseCommand, TrimCommand } from './commands/index.ts';

/** Regions a config can map at once: the registry plus the pool's budget. */
export function regionCapacityOf(config: AllocatorConfig): number {
  return config.registryCapacity + Math.floor(config.poolBytes / config.superslabSize);
}

/** Limits worth setting: none (lift), or small counts around what short runs map (at most a handful of regions). */
function limitArbitrary(config: AllocatorConfig): fc.Arbitrary<number | null> {
  const top = Math.min(regionCapacityOf(config), 6);
  return fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: top }) });
}

/** Refusal counts: mostly 1-3 (a tiny allocation retries once, then a TINY_FIRST one asks the pool), rarely 0 (cancel). */
function refuseCountArbitrary(): fc.Arbitrary<number> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) });
}

export function osCommandArbitraries(config: AllocatorConfig): { readonly osLimit: fc.Arbitrary<SuiteCommand>; readonly osRefuse: fc.Arbitrary<SuiteCommand> } {
  return {
    osLimit: limitArbitrary(config).map((n) => new OsLimitCommand(n)),
    osRefuse: refuseCountArbitrary().map((k) => new OsRefuseCommand(k)),
  };
}

export interface ScenarioParts {
  readonly thread: fc.Arbitrary<number>;
  /** A size the run draws (its classes, maybe pool sizes). */
  readonly size: fc.Arbitrary<number>;
  /** A size of any class. */
  readonly anySize: fc.Arbitrary<number>;
  readonly has: (kind: 'osLimit' | 'osRefuse' | 'free' | 'flush' | 'trim') => boolean;
}

type Weighted = { weight: number; arbitrary: fc.Arbitrary<SuiteCommand[]> };

const allocs = (t: number, size: number, n: number): SuiteCommand[] => Array.from({ length: n }, () => new AllocCommand(t, size));

/**
 * Refusal chunks (each ends with the OS serving normally again and the refused request repeated):
 *   refuseNext   a few allocations of assorted sizes (so the next one may need Stage 3 from its
 *                refill, its prefill or a page refill, or the pool's growth), osRefuse(k), the
 *                request n times, osRefuse(0), the request again
 *   atLimit      osLimit(L), allocations, osLimit(none), the same allocation again
 *   remap        allocations, frees, flush (and trim): a SuperSlab unmapped; osRefuse(k), then
 *                allocations: the refused map is the re-map of the freed index
 */
export function refusalScenarios(config: AllocatorConfig, parts: ScenarioParts): Weighted[] {
  const out: Weighted[] = [];
  const { thread, size, anySize, has } = parts;
  if (has('osRefuse')) {
    out.push({
      weight: 2,
      arbitrary: fc
        .tuple(thread, fc.array(anySize, { minLength: 0, maxLength: 4 }), size, refuseCountArbitrary(), fc.integer({ min: 1, max: 3 }))
        .map(([t, before, s, k, n]) => [...before.map((b) => new AllocCommand(t, b)), new OsRefuseCommand(Math.max(1, k)), ...allocs(t, s, n), new OsRefuseCommand(0), new AllocCommand(t, s)]),
    });
  }
  if (has('osLimit')) {
    out.push({
      weight: 1,
      arbitrary: fc
        .tuple(thread, limitArbitrary(config), size, fc.integer({ min: 1, max: 6 }))
        .map(([t, limit, s, n]) => [new OsLimitCommand(limit ?? 1), ...allocs(t, s, n), new OsLimitCommand(config.osMapLimit), new AllocCommand(t, s)]),
    });
  }
  if (has('osRefuse') && has('free') && has('flush')) {
    out.push({
      weight: 1,
      arbitrary: fc.tuple(thread, anySize, anySize, fc.integer({ min: 1, max: 6 }), refuseCountArbitrary()).map(([t, first, next, n, k]) => [
        ...allocs(t, first, n),
        ...Array.from({ length: n }, () => new FreeCommand(t, -1)),
        new FlushCommand(t),
        ...(has('trim') ? [new TrimCommand()] : []),
        new OsRefuseCommand(Math.max(1, k)),
        ...allocs(t, next, 2),
        new OsRefuseCommand(0),
        new AllocCommand(t, next),
      ]),
    });
  }
  return out;
}

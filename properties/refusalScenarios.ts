// Generators for OS refusals (SPEC §2, issue 19): the osLimit/osRefuse commands and the scenario
// chunks that bring a refusal to every map site — Stage 3 on an allocation's refill, the warm-pool
// prefill, a TinyHeap page refill, the pool's region growth, and the re-map of a freed index — and
// then lift it and repeat the request (which must then succeed, no-premature-failure judges).
// Kept apart from arbitraries.ts, which only registers them.

import fc from 'fast-check';
import type { AllocatorConfig, RouteProfile } from '../impl/index.ts';
import type { SuiteCommand } from './commands/index.ts';
import { AllocCommand, FlushCommand, FreeCommand, OsLimitCommand, OsRefuseCommand, SetRouteProfileCommand, SetSoftCapCommand, ThreadExitCommand, TrimCommand } from './commands/index.ts';

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
  readonly has: (kind: 'osLimit' | 'osRefuse' | 'free' | 'flush' | 'trim' | 'setSoftCap' | 'setRouteProfile' | 'threadExit') => boolean;
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
 *   parkedAtLimit a SuperSlab parked, osLimit(L), pool allocations that need a region (below)
 */
export function refusalScenarios(config: AllocatorConfig, parts: ScenarioParts): Weighted[] {
  const out: Weighted[] = [];
  const { thread, size, anySize, has } = parts;
  if (has('osRefuse')) {
    out.push({
      weight: 1,
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
      // Everything freed (oldest first, threads alternating) and every thread flushed: the SuperSlabs
      // are unmapped, so the next map would take a freed index again.
      arbitrary: fc.tuple(thread, fc.integer({ min: 6, max: 16 }), anySize, refuseCountArbitrary()).map(([t, n, next, k]) => [
        ...Array.from({ length: n }, (_, i) => new FreeCommand((t + i) % config.threads, 0)),
        ...Array.from({ length: config.threads }, (_, i) => new FlushCommand(i)),
        ...(has('trim') ? [new TrimCommand()] : []),
        new OsRefuseCommand(Math.max(1, k)),
        ...allocs(t, next, 2),
        new OsRefuseCommand(0),
        new AllocCommand(t, next),
      ]),
    });
  }
  // parkedAtLimit (configs with an empty reserve only): from a clean slate (everything freed, every
  // thread flushed, the reserve trimmed: nothing mapped), a thread fills and empties a slab and lets
  // go of it (its SuperSlab parks, the only region mapped), osLimit(1), then pool allocations of up
  // to half a region, which need one: at the limit the pool must give the parked SuperSlab back and
  // ask again (no-premature-failure judges the failure it would otherwise be), then the configured limit.
  if (config.emptyReserve > 0 && has('osLimit') && has('free') && has('flush') && config.poolBytes >= config.superslabSize) {
    const poolSize = Math.floor(config.superslabSize / 2) - 16;
    out.push({
      weight: 2,
      arbitrary: fc
        .tuple(thread, anySize, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }))
        .map(([t, s, n, m]) => [
          ...Array.from({ length: 48 }, (_, i) => new FreeCommand((t + i) % config.threads, 0)),
          ...Array.from({ length: config.threads }, (_, i) => new FlushCommand(i)),
          new TrimCommand(),
          ...allocs(t, s, n),
          ...Array.from({ length: n }, () => new FreeCommand(t, -1)),
          new FlushCommand(t),
          new OsLimitCommand(1),
          ...allocs(t, poolSize, m),
          new OsLimitCommand(config.osMapLimit),
        ]),
    });
  }
  if (has('osRefuse')) out.push(...aimedScenarios(config, parts));
  return out;
}

/** The smallest and the largest size of class c. */
function classSizes(config: AllocatorConfig, c: number): readonly number[] {
  return [c === 0 ? 0 : (config.strides[c - 1] as number), (config.strides[c] as number) - 1];
}

/**
 * Chunks aimed at the map sites a refusal rarely meets by chance:
 *   prefillSqueeze  a slot taken alone (soft cap 1 for that allocation), then first allocations of
 *                   assorted classes and threads, each after osRefuse(1): once an acquisition takes
 *                   the last free slot, its prefill needs Stage 3, and meets the refusal
 *   orphanPrefill   an allocation, the thread's exit, osRefuse(1), the class again: Stage 0 adopts
 *                   the orphan and the prefill meets the refusal at Stage 3 (the SuperSlab DRAINING)
 *   pageRefusal     from a clean slate, osRefuse(k), allocations of a TinyHeap class (page refills
 *                   that need Stage 3), osRefuse(0), the allocation again
 */
function aimedScenarios(config: AllocatorConfig, parts: ScenarioParts): Weighted[] {
  const out: Weighted[] = [];
  // Optionally from a clean slate (everything freed, every thread flushed, the reserve trimmed), and
  // under a route profile whose tiny front serves every class (the profile may route them to the pool).
  const quiesce = (t: number): SuiteCommand[] => [
    ...Array.from({ length: 48 }, (_, i) => new FreeCommand((t + i) % config.threads, 0)),
    ...Array.from({ length: config.threads }, (_, i) => new FlushCommand(i)),
    new TrimCommand(),
  ];
  const routes: (RouteProfile | null)[] = parts.has('setRouteProfile') ? [null, 'conservative', 'full'] : [null];
  const canClean = parts.has('free') && parts.has('flush');
  const lead = fc
    .tuple(canClean ? fc.integer({ min: 0, max: 3 }).map((n) => n > 0) : fc.constant(false), fc.constantFrom(...routes))
    .map(([clean, route]) => (t: number): SuiteCommand[] => [...(clean ? quiesce(t) : []), ...(route === null ? [] : [new SetRouteProfileCommand(route)])]);
  const classes = config.strides.map((_, c) => c);
  const heapClasses = classes.filter((c) => (config.tinyHeapClasses & (1 << c)) !== 0);
  const cls = fc.constantFrom(...classes);
  const sizeOf = (c: number, big: boolean): number => classSizes(config, c)[big ? 1 : 0] as number;
  out.push({
    weight: 1,
    arbitrary: fc
      .tuple(lead, parts.thread, cls, fc.boolean(), fc.array(fc.tuple(parts.thread, cls, fc.boolean()), { minLength: 2, maxLength: 5 }))
      .map(([before, t, lone, loneBig, firsts]) => [
        ...before(t),
        ...(parts.has('setSoftCap') ? [new SetSoftCapCommand(lone, 1), new AllocCommand(t, sizeOf(lone, loneBig)), new SetSoftCapCommand(lone, config.softCap[lone] as number)] : []),
        ...firsts.flatMap(([u, c, big]) => [new OsRefuseCommand(1), new AllocCommand(u, sizeOf(c, big))]),
        new OsRefuseCommand(0),
      ]),
  });
  const tlsClasses = classes.filter((c) => !heapClasses.includes(c));
  if (parts.has('threadExit') && tlsClasses.length > 0) {
    out.push({
      weight: 2,
      // The exiting thread's empty warm slabs are released while its block stays live: the SuperSlab
      // turns DRAINING (one block is far below the threshold) and gives no more slots; the orphan is
      // adopted at Stage 0, so the adopter's prefill needs Stage 3.
      arbitrary: fc.tuple(lead, parts.thread, parts.thread, fc.constantFrom(...tlsClasses), fc.boolean()).map(([before, a, b, c, big]) => [
        ...before(a),
        new AllocCommand(a, sizeOf(c, big)),
        new ThreadExitCommand(a),
        new OsRefuseCommand(1),
        new AllocCommand(b, sizeOf(c, big)),
        new OsRefuseCommand(0),
      ]),
    });
  }
  if (heapClasses.length > 0) {
    out.push({
      weight: 2,
      arbitrary: fc
        .tuple(parts.thread, fc.constantFrom(...heapClasses), fc.boolean(), fc.constantFrom(...routes), fc.integer({ min: 1, max: 4 }), refuseCountArbitrary())
        .map(([t, c, big, route, n, k]) => [
          // From a clean slate: the first page of the class is attached after the refusal is set.
          ...(canClean ? quiesce(t) : []),
          ...(route === null ? [] : [new SetRouteProfileCommand(route)]),
          new OsRefuseCommand(Math.max(1, k)),
          ...allocs(t, sizeOf(c, big), n),
          new OsRefuseCommand(0),
          new AllocCommand(t, sizeOf(c, big)),
        ]),
    });
  }
  return out;
}

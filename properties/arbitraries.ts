// Generators. Swarm testing: every run draws which command kinds are on and which size classes it
// concentrates on, so that different runs go deep in different directions (a run that never frees
// reaches caps and registry-full; one that frees and flushes a lot reaches releases, tier changes,
// unmapping and address reuse). Sizes sit on class boundaries of the profile's strides.

import fc from 'fast-check';
import type { AllocatorConfig, RouteProfile } from '../impl/index.ts';
import { ROUTE_PROFILES } from '../impl/index.ts';
import { isTinyHeapClass, modelRouteOf } from '../model/index.ts';
import type { BadFreeKind, CommandKind } from './commandData.ts';
import type { SuiteCommand } from './commands/index.ts';
import { osCommandArbitraries, refusalScenarios } from './refusalScenarios.ts';
import {
  AllocCommand,
  BadFreeCommand,
  CheckCommand,
  DrainCommand,
  FlushCommand,
  FreeCommand,
  SetRouteProfileCommand,
  SetSoftCapCommand,
  ThreadExitCommand,
  TrimCommand,
  WriteCommand,
  HEADER_FILL,
} from './commands/index.ts';
import { MisuseCommand, ReadBytesCommand, StatsCommand, UsableSizeCommand, WriteBytesCommand } from './commands/index.ts';
import { ARG_TARGETS, MISUSE_METHODS } from './commandData.ts';
import type { ArgTarget, MisuseMethod } from './commandData.ts';

export const BAD_FREE_KINDS: readonly BadFreeKind[] = ['double', 'interior', 'foreign', 'stale', 'forged'];

/** Relative weight of each command kind when it is switched on. */
export const BASE_WEIGHTS: Readonly<Record<CommandKind, number>> = {
  alloc: 14,
  free: 9,
  write: 1,
  check: 1,
  drain: 2,
  flush: 3,
  threadExit: 2,
  setSoftCap: 1,
  setRouteProfile: 1,
  trim: 1,
  badFree: 4,
  // Every other public method, on every class of argument (see properties/commands/argTarget.ts).
  usableSize: 1,
  readBytes: 1,
  writeBytes: 1,
  misuse: 1,
  stats: 1,
  osLimit: 1,
  osRefuse: 1,
};

/** Kinds that query or call with a bad argument: they share one slot of the command mix. */
const QUERY_KINDS: readonly CommandKind[] = ['usableSize', 'readBytes', 'writeBytes', 'misuse', 'stats'];

const OPTIONAL_KINDS: readonly CommandKind[] = ['free', 'write', 'check', 'drain', 'flush', 'threadExit', 'setSoftCap', 'setRouteProfile', 'trim', 'badFree', 'osLimit', 'osRefuse'];

/** What one run switches on. */
export interface Swarm {
  readonly enabled: ReadonlySet<CommandKind>;
  readonly badKinds: readonly BadFreeKind[];
  /** Classes the run's tiny sizes come from. */
  readonly classes: readonly number[];
  /** Whether sizes beyond the last class (pool sizes) are drawn. */
  readonly poolSizes: boolean;
  /** Whether the run ends with "free everything, flush every thread". */
  readonly epilogue: boolean;
  /** Whether scenario chunks (bursts and short shapes into deep states, see makeScenarioArbitrary) are drawn. */
  readonly bursts: boolean;
  /** A route profile switched to before the first command, if any (reaches tiny states in an all-pool profile and vice versa). */
  readonly startProfile: RouteProfile | null;
}

export interface Program {
  readonly swarm: Swarm;
  /** Commands to run in order, epilogue included. */
  readonly commands: readonly SuiteCommand[];
}

/** Every kind on, every class, pool sizes, epilogue: what a single-command generator uses by default. */
export function fullSwarm(config: AllocatorConfig): Swarm {
  return {
    enabled: new Set<CommandKind>(['alloc', ...OPTIONAL_KINDS]),
    badKinds: BAD_FREE_KINDS,
    classes: config.strides.map((_, c) => c),
    poolSizes: true,
    epilogue: true,
    bursts: true,
    startProfile: null,
  };
}

export function swarmArbitrary(config: AllocatorConfig): fc.Arbitrary<Swarm> {
  const classes = config.strides.map((_, c) => c);
  // Each optional kind is on in about 3 runs out of 4.
  const mostly = fc.integer({ min: 0, max: 3 }).map((n) => n > 0);
  // The OS's refusals are on in every other run: the runs without them search as before.
  const half = fc.boolean();
  return fc
    .record({
      on: fc.tuple(...OPTIONAL_KINDS.map((k) => (k === 'osLimit' || k === 'osRefuse' ? half : mostly))),
      badKinds: fc.subarray([...BAD_FREE_KINDS], { minLength: 1 }),
      classes: fc.oneof(
        { weight: 2, arbitrary: fc.constant(classes) },
        { weight: 3, arbitrary: fc.subarray(classes, { minLength: 1, maxLength: 2 }) },
      ),
      poolSizes: fc.integer({ min: 0, max: 2 }).map((n) => n === 0),
      epilogue: fc.integer({ min: 0, max: 2 }).map((n) => n === 0),
      bursts: mostly,
      // An all-pool profile reaches the tiny front only after a switch: switch more often there.
      startProfile: fc.option(fc.constantFrom(...ROUTE_PROFILES), { freq: config.routeProfile === 'off' ? 3 : 2 }),
    })
    .map(({ on, badKinds, classes: cls, poolSizes, epilogue, bursts, startProfile }) => ({
      enabled: new Set<CommandKind>(['alloc', ...OPTIONAL_KINDS.filter((_, i) => on[i])]),
      badKinds,
      classes: cls,
      poolSizes,
      epilogue,
      bursts,
      startProfile,
    }));
}

/** Sizes of class c: its largest and smallest request, and anything between. */
function classSizeArbitrary(config: AllocatorConfig, cls: number): fc.Arbitrary<number> {
  const hi = (config.strides[cls] as number) - 1;
  const lo = cls === 0 ? 0 : (config.strides[cls - 1] as number);
  return fc.oneof({ weight: 3, arbitrary: fc.constant(hi) }, { weight: 2, arbitrary: fc.constant(lo) }, { weight: 2, arbitrary: fc.integer({ min: lo, max: hi }) });
}

/** Pool sizes: just past the last class, up to a few strides, and rarely more than a pool region holds. */
function poolSizeArbitrary(config: AllocatorConfig): fc.Arbitrary<number> {
  const last = config.strides[config.strides.length - 1] as number;
  const hi = Math.max(last, Math.min(last * 2, config.superslabSize / 2));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(last) },
    { weight: 4, arbitrary: fc.integer({ min: last, max: hi }) },
    { weight: 1, arbitrary: fc.constant(config.superslabSize) },
  );
}

export function sizeArbitrary(config: AllocatorConfig, swarm: Swarm): fc.Arbitrary<number> {
  const tiny = fc.oneof(...swarm.classes.map((c) => classSizeArbitrary(config, c)));
  if (!swarm.poolSizes) return tiny;
  return fc.oneof({ weight: 6, arbitrary: tiny }, { weight: 1, arbitrary: poolSizeArbitrary(config) });
}

/** One command under a swarm (by default every kind on). */
export function makeCommandArbitrary(config: AllocatorConfig, swarm: Swarm = fullSwarm(config)): fc.Arbitrary<SuiteCommand> {
  const thread = fc.integer({ min: 0, max: config.threads - 1 });
  const cls = fc.oneof(fc.constantFrom(...swarm.classes), fc.integer({ min: 0, max: config.strides.length - 1 }));
  // Small refs name the oldest blocks, -1 the newest.
  const ref = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 31 }) }, { weight: 1, arbitrary: fc.constant(-1) });
  const argTarget = fc.constantFrom(...ARG_TARGETS);
  const byKind: Record<CommandKind, fc.Arbitrary<SuiteCommand>> = {
    alloc: fc.tuple(thread, sizeArbitrary(config, swarm)).map(([t, s]) => new AllocCommand(t, s)),
    free: fc.tuple(thread, ref).map(([t, r]) => new FreeCommand(t, r)),
    // One write in eight fills the block with its own header byte (HEADER_FILL): data that looks
    // like a header, which an interior free must not be fooled by.
    write: fc.tuple(ref, fc.oneof({ arbitrary: fc.nat({ max: 255 }), weight: 7 }, { arbitrary: fc.constant(HEADER_FILL), weight: 1 })).map(([r, s]) => new WriteCommand(r, s)),
    check: ref.map((r) => new CheckCommand(r)),
    drain: fc.tuple(thread, cls).map(([t, c]) => new DrainCommand(t, c)),
    flush: thread.map((t) => new FlushCommand(t)),
    threadExit: thread.map((t) => new ThreadExitCommand(t)),
    // Caps from 0 to a little above the profile's own (small scopes), or 0–3 when the profile's cap is large.
    setSoftCap: fc
      .tuple(cls, fc.nat({ max: 1000 }), fc.boolean())
      .map(([c, k, restore]) => {
        const own = config.softCap[c] as number;
        const top = own <= 4 ? 2 * own + 1 : 3;
        return new SetSoftCapCommand(c, restore ? own : k % (top + 1));
      }),
    setRouteProfile: fc.constantFrom(...ROUTE_PROFILES).map((p) => new SetRouteProfileCommand(p)),
    trim: fc.constant(new TrimCommand()),
    badFree: fc
      .tuple(thread, fc.constantFrom(...swarm.badKinds), ref, fc.nat({ max: 999 }))
      .map(([t, k, r, o]) => new BadFreeCommand(t, k, r, o)),
    usableSize: fc.tuple(argTarget, ref, fc.nat({ max: 999 })).map(([k, r, o]) => new UsableSizeCommand(k, r, o)),
    readBytes: fc.tuple(argTarget, ref, fc.nat({ max: 999 })).map(([k, r, o]) => new ReadBytesCommand(k, r, o)),
    writeBytes: fc.tuple(argTarget, ref, fc.nat({ max: 999 })).map(([k, r, o]) => new WriteBytesCommand(k, r, o)),
    misuse: fc.tuple(fc.constantFrom(...MISUSE_METHODS), fc.nat({ max: 9 })).map(([m, v]) => new MisuseCommand(m, v)),
    stats: fc.constant(new StatsCommand()),
    ...osCommandArbitraries(config),
  };
  // The query and refused-call kinds share one slot of weight (they reach no deep state themselves);
  // the programs get them interleaved by withQueries instead, so a swarm never enables them here.
  const queries = [...swarm.enabled].filter((k) => QUERY_KINDS.includes(k));
  const weighted = [...swarm.enabled].filter((k) => !QUERY_KINDS.includes(k)).map((k) => ({ weight: BASE_WEIGHTS[k], arbitrary: byKind[k] }));
  if (queries.length > 0) weighted.push({ weight: 1, arbitrary: fc.oneof(...queries.map((k) => ({ weight: BASE_WEIGHTS[k], arbitrary: byKind[k] }))) });
  return fc.oneof(...weighted);
}

/**
 * The epilogue: one free per allocation of the body (frees of nothing are skipped), alternating
 * threads so that some are remote, then a flush of every thread: afterwards `no-leak` is judged.
 */
export function epilogueOf(config: AllocatorConfig, body: readonly SuiteCommand[]): SuiteCommand[] {
  const allocs = body.filter((c) => c.data.kind === 'alloc').length;
  const out: SuiteCommand[] = [];
  for (let i = 0; i < allocs; i++) out.push(new FreeCommand(i % config.threads, 0));
  for (let t = 0; t < config.threads; t++) out.push(new FlushCommand(t));
  return out;
}

/**
 * Scenario chunks: short shapes that lead into the deep states, expanded into plain commands (so a
 * counterexample never mentions them). Refs of -k name the k-th newest live block (refs are taken
 * modulo the live count).
 *   allocBurst   n × alloc(t, size)                       fills a slab, reaches caps and registry-full
 *   freeBurst    n × free(t, #r)                          empties slabs, overflows a cache
 *   handoff      allocs by a, flush(a), remote frees by b, drain(a, c)   → remote drain releases a slab
 *   heldDrain    allocs by a, remote frees by b, drain(a, c)   → a drain empties a slab a still holds
 *   exitAdopt    allocs by a, threadExit(a), alloc by b   → orphan published, then adopted (Stage 0)
 *   keepHot      allocs of one class, allocs of another, free the newest, flush → a release that
 *                leaves the SuperSlab HOT, then an alloc of a third class → Stage 0.5/1, rebinding
 *   capSqueeze   setSoftCap(c, small), allocs of c        → cap reached, tiny failure, pool fallback
 *   strand       (keep one block, free a slab, flush) per SuperSlab → DRAINING SuperSlabs, registry full
 *   recycle      allocs, frees, flush, trim, allocs       → a SuperSlab unmapped and its addresses reused
 *   cacheRelease alloc, flush, allocs, frees newest first   → a cache overflow drain empties a let-go slab
 *   quiesce      frees of the oldest blocks, flush of every thread, trim → no-leak judged mid-run
 *   doubleFree   (alloc,) free newest, badFree(double, newest dead)  → a double free the allocator sees
 * Some end with a stale free of the newest dead address, right after the release that made it stale.
 *   overflow     allocs by t, frees of the burst by t     → the thread cache overflows and drains
 */
export function makeScenarioArbitrary(config: AllocatorConfig, swarm: Swarm): fc.Arbitrary<SuiteCommand[]> {
  const threads = config.threads;
  const thread = fc.integer({ min: 0, max: threads - 1 });
  const otherThread = (t: number, k: number): number => (threads === 1 ? t : (t + 1 + (k % (threads - 1))) % threads);
  const count = fc.integer({ min: 2, max: 6 });
  const classSize = fc.constantFrom(...swarm.classes).chain((c) => classSizeArbitrary(config, c));
  const anySize = fc.integer({ min: 0, max: config.strides.length - 1 }).chain((c) => classSizeArbitrary(config, c));
  const clsOf = (size: number): number => {
    for (let c = 0; c < config.strides.length; c++) if ((config.strides[c] as number) - 1 >= size) return c;
    return config.strides.length - 1;
  };
  const allocs = (t: number, size: number, n: number): SuiteCommand[] => Array.from({ length: n }, () => new AllocCommand(t, size));
  const freesNewest = (t: number, n: number): SuiteCommand[] => Array.from({ length: n }, () => new FreeCommand(t, -1));
  const has = (k: CommandKind): boolean => swarm.enabled.has(k);
  /** The route profile the run starts under. */
  const profile = swarm.startProfile ?? config.routeProfile;
  const staleTail = (t: number): SuiteCommand[] => (has('badFree') && swarm.badKinds.includes('stale') ? [new BadFreeCommand(t, 'stale', -1, 0)] : []);

  const options: { weight: number; arbitrary: fc.Arbitrary<SuiteCommand[]> }[] = [
    { weight: 3, arbitrary: fc.tuple(thread, sizeArbitrary(config, swarm), count).map(([t, size, n]) => allocs(t, size, n)) },
  ];
  if (has('free')) {
    options.push({
      weight: 2,
      arbitrary: fc.tuple(thread, fc.oneof(fc.nat({ max: 3 }), fc.constant(-1)), count).map(([t, r, n]) => Array.from({ length: n }, () => new FreeCommand(t, r))),
    });
    options.push({
      weight: 2,
      // Oldest first empties the slab the burst exhausted and set aside; newest first the current one.
      arbitrary: fc
        .tuple(thread, classSize, fc.integer({ min: 3, max: 10 }), fc.nat({ max: 2 }), fc.boolean())
        .map(([t, size, n, extra, oldestFirst]) => [
          ...allocs(t, size, n),
          ...(oldestFirst ? Array.from({ length: n - extra }, (_, i) => new FreeCommand(t, -(n - i))) : freesNewest(t, Math.max(1, n - extra))),
        ]),
    });
  }
  if (has('free') && has('flush') && threads >= 2) {
    options.push({
      weight: 2,
      arbitrary: fc.tuple(thread, fc.nat(), classSize, count).map(([a, k, size, n]) => {
        const b = otherThread(a, k);
        return [...allocs(a, size, n), new FlushCommand(a), ...freesNewest(b, n), has('drain') ? new DrainCommand(a, clsOf(size)) : new FlushCommand(a), ...staleTail(b)];
      }),
    });
  }
  // The same with a's slab still held (its current slab, a TinyHeap page) when b's frees come
  // back: a's drain empties it, and a keeps it (current) or lets go of it, never releases it
  // held. Half of them on a TinyHeap class when the config has one (its pages are held
  // differently). A thread-cache slab empties only when a's cache holds none of its blocks: a
  // fresh slab (after flush(a)) and exactly one refill's worth of allocations (one pop for each
  // block the refill moved into the cache), in half of them.
  const heapClasses = config.strides.map((_, c) => c).filter((c) => isTinyHeapClass(config, c));
  const heldSize = heapClasses.length === 0 ? classSize : fc.oneof(classSize, fc.constantFrom(...heapClasses).chain((c) => classSizeArbitrary(config, c)));
  const oneRefill = (c: number): number => Math.min(config.refillBatch, config.tlsCap[c] as number);
  if (has('free') && has('drain') && threads >= 2) {
    options.push({
      weight: 2,
      arbitrary: fc.tuple(thread, fc.nat(), heldSize, fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([a, k, size, count, exact]) => {
        const b = otherThread(a, k);
        const c = clsOf(size);
        const tlsClass = !isTinyHeapClass(config, c);
        const n = exact && tlsClass ? oneRefill(c) : count;
        const fresh = exact && tlsClass && has('flush') ? [new FlushCommand(a)] : [];
        // A class the starting route profile sends to the pool gets the tiny front first (tiny-hot's
        // and tiny-off's TinyHeap class), when route switches are on.
        const toTiny = has('setRouteProfile') && modelRouteOf(profile, c, config.strides.length) === 'POOL_ONLY' ? [new SetRouteProfileCommand('full')] : [];
        return [...toTiny, ...fresh, ...allocs(a, size, n), ...freesNewest(b, n), new DrainCommand(a, c), ...staleTail(b)];
      }),
    });
  }
  if (has('threadExit')) {
    options.push({
      weight: 2,
      arbitrary: fc.tuple(thread, fc.nat(), classSize, count).map(([a, k, size, n]) => [...allocs(a, size, n), new ThreadExitCommand(a), new AllocCommand(otherThread(a, k), size)]),
    });
  }
  // The largest class the starting route profile serves from the tiny front: its blocks keep a
  // SuperSlab's utilization above the hot threshold.
  let bigClass = config.strides.length - 1;
  while (bigClass > 0 && modelRouteOf(profile, bigClass, config.strides.length) === 'POOL_ONLY') bigClass--;
  // Enough of them to stay above the threshold (bounded: big SuperSlabs cannot be kept HOT in a short run).
  const keepMin = Math.min(8, Math.floor((config.hotThreshold * (config.superslabSize - config.ssHeaderBytes)) / (config.strides[bigClass] as number)) + 1);
  if (has('free') && has('flush')) {
    options.push({
      weight: 3,
      arbitrary: fc
        .tuple(thread, fc.constant((config.strides[bigClass] as number) - 1), anySize, anySize, fc.integer({ min: keepMin, max: keepMin + 1 }), count)
        .map(([t, keep, drop, next, nKeep, nDrop]) => [
          ...allocs(t, keep, nKeep),
          ...allocs(t, drop, nDrop),
          ...freesNewest(t, nDrop),
          new FlushCommand(t),
          ...staleTail(t),
          new AllocCommand(t, next),
        ]),
    });
  }
  // Stranding: SuperSlab after SuperSlab kept mapped by one live block while a release turns it
  // DRAINING, until the registry is full (small registries only).
  if (has('free') && has('flush') && config.registryCapacity <= 8) {
    options.push({
      weight: 2,
      arbitrary: fc.tuple(thread, fc.nat({ max: config.strides.length - 1 }), fc.integer({ min: 1, max: 3 })).map(([t, first, nDrop]) => {
        const out: SuiteCommand[] = [];
        for (let i = 0; i <= config.registryCapacity; i++) {
          const keepCls = (first + i) % config.strides.length;
          const dropCls = (first + i + 1) % config.strides.length;
          out.push(new AllocCommand(t, (config.strides[keepCls] as number) - 1), ...allocs(t, (config.strides[dropCls] as number) - 1, nDrop), ...freesNewest(t, nDrop), new FlushCommand(t));
        }
        return [...out, ...staleTail(t)];
      }),
    });
  }
  // A let-go slab's last blocks come back through a cache overflow: allocate one or two blocks, flush
  // (the thread lets go of its slab), allocate k more (from another slab), then free them newest
  // first so that the kept blocks are freed last, on top of a full cache → the drain empties the
  // unheld slab (or returns one of its blocks while the other is still cached).
  if (has('free') && has('flush')) {
    options.push({
      weight: 1,
      // One or two kept blocks: with two, the drain returns one while the other still sits in the cache.
      arbitrary: fc.tuple(thread, classSize, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 2 })).map(([t, size, k, kept]) => [
        ...allocs(t, size, kept),
        new FlushCommand(t),
        ...allocs(t, size, k),
        ...freesNewest(t, k + kept),
      ]),
    });
  }
  // Recycling: a slab's worth allocated and freed, the thread flushed, the reserve trimmed, then new
  // allocations: the SuperSlab is unmapped and its addresses mapped again.
  if (has('free') && has('flush')) {
    options.push({
      weight: 1,
      arbitrary: fc.tuple(thread, thread, classSize, anySize, fc.integer({ min: 2, max: 8 })).map(([a, b, size, next, n]) => [
        ...allocs(a, size, n),
        ...freesNewest(a, n),
        new FlushCommand(a),
        ...(has('trim') ? [new TrimCommand()] : []),
        ...staleTail(b),
        ...allocs(b, next, 2),
      ]),
    });
  }
  // Quiescence mid-run: free the oldest blocks from alternating threads, flush everyone, trim, go on.
  // Judges no-leak mid-run, and unmaps whole SuperSlabs whose addresses the next allocations reuse.
  if (has('free') && has('flush')) {
    options.push({
      weight: 1,
      arbitrary: fc.tuple(thread, fc.integer({ min: 6, max: 16 }), anySize).map(([t, n, next]) => [
        ...Array.from({ length: n }, (_, i) => new FreeCommand((t + i) % threads, 0)),
        ...Array.from({ length: threads }, (_, i) => new FlushCommand(i)),
        ...(has('trim') ? [new TrimCommand()] : []),
        ...staleTail(t),
        ...allocs(t, next, 2),
      ]),
    });
  }
  if (has('badFree') && swarm.badKinds.includes('double')) {
    options.push({
      weight: 1,
      // Either a fresh block freed by its owner (cached, header intact: the allocator sees a double
      // free) or the newest live block freed by any thread (remote: the link clobbers the header).
      arbitrary: fc.oneof(
        fc.tuple(thread, classSize).map(([t, size]) => [new AllocCommand(t, size), new FreeCommand(t, -1), new BadFreeCommand(t, 'double', -1, 0)]),
        fc.tuple(thread, thread).map(([a, b]) => [new FreeCommand(a, -1), new BadFreeCommand(b, 'double', -1, 0)]),
      ),
    });
  }
  if (has('setSoftCap')) {
    options.push({
      weight: 1,
      arbitrary: fc
        .tuple(thread, classSize, fc.integer({ min: 0, max: 2 }), count)
        .map(([t, size, cap, n]) => [new SetSoftCapCommand(clsOf(size), cap), ...allocs(t, size, n + 2)]),
    });
  }
  options.push(...refusalScenarios(config, { thread, size: sizeArbitrary(config, swarm), anySize, has }));
  return fc.oneof(...options);
}

/** One step in QUERY_EVERY gets a query after it (on average). */
export const QUERY_EVERY = 12;

/** FNV-1a of a string: the interleaving below is derived from the program's own commands. */
function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The body with queries and refused calls interleaved: usableSize, readBytes, writeBytes on every
 * class of argument, public methods called outside their domain, stats(). None changes the
 * allocator's state (a refused free only counts itself), so the state the rest of the program
 * reaches is the same with and without them. They are derived from the commands already drawn (a
 * hash of each command and its position), not from new random draws, so the programs a seed gives
 * stay the ones it gave before they existed: the search reaches the same deep states as fast.
 */
export function withQueries(body: readonly SuiteCommand[]): SuiteCommand[] {
  const out: SuiteCommand[] = [];
  body.forEach((command, i) => {
    out.push(command);
    const h = textHash(`${i}:${command.toString()}`);
    if (h % QUERY_EVERY !== 0) return;
    const pick = (h >>> 4) % 8;
    const target = ARG_TARGETS[(h >>> 7) % ARG_TARGETS.length] as ArgTarget;
    const ref = (h >>> 10) % 4 === 0 ? -1 : (h >>> 12) % 32;
    const offset = (h >>> 17) % 1000;
    if (pick <= 1) out.push(new UsableSizeCommand(target, ref, offset));
    else if (pick <= 3) out.push(new ReadBytesCommand(target, ref, offset));
    else if (pick <= 5) out.push(new WriteBytesCommand(target, ref, offset));
    else if (pick === 6) out.push(new MisuseCommand(MISUSE_METHODS[(h >>> 7) % MISUSE_METHODS.length] as MisuseMethod, offset % 10));
    else out.push(new StatsCommand());
  });
  return out;
}

/** Longest generated body per profile, in chunks (a command or a burst). */
export function maxChunksFor(config: AllocatorConfig): number {
  return config.superslabSize <= 64 * 1024 ? 44 : 32;
}

/** Whole runs: a swarm, a body of commands under it, and maybe the epilogue. */
export function makeProgramArbitrary(config: AllocatorConfig, maxChunks = maxChunksFor(config)): fc.Arbitrary<Program> {
  return swarmArbitrary(config).chain((swarm) => {
    const single = makeCommandArbitrary(config, swarm).map((c) => [c]);
    const chunk = swarm.bursts ? fc.oneof({ weight: 5, arbitrary: single }, { weight: 3, arbitrary: makeScenarioArbitrary(config, swarm) }) : single;
    return fc.array(chunk, { minLength: 1, maxLength: maxChunks, size: 'max' }).map((chunks) => {
      const prefix: SuiteCommand[] = swarm.startProfile === null ? [] : [new SetRouteProfileCommand(swarm.startProfile)];
      const body = withQueries([...prefix, ...chunks.flat()]);
      return { swarm, commands: swarm.epilogue ? [...body, ...epilogueOf(config, body)] : body };
    });
  });
}

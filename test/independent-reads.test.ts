// Goal: the checks judge the allocator from raw bytes, their own walks and the model, not from the
// implementation's summaries of itself — so a summary that lies is caught, and a verdict never rests
// on one. Method: after a few legal steps (which every invariant passes), the same step is judged
// again through an allocator whose read-only view (or public method) misreports one figure — a
// slab's freelistHead, carved, remoteCount, a thread's tlsCount, a pool chunk's flags, each stats()
// figure, each lookup structure (registered flag, live bitmap, live bytes, per-class slab counts,
// held flag, stride, delta threshold, Stage 2 hint) — and the invariant the figure belongs to must
// report it; the honest view passes. no-premature-failure is shown judging from its own walk: an
// implementation whose carved count says "nothing left" fails an allocation with blocks never carved.
// The new commands (usableSize, readBytes, writeBytes, misuse, stats) run on every argument class
// without an alarm on the clean allocator, and flag a method that answers otherwise.

import { describe, expect, it } from 'vitest';
import type { Allocator, AllocatorStats, AllocatorView, SlabView, SuperSlabView, ThreadView } from '../impl/index.ts';
import { profileConfig } from '../impl/index.ts';
import { CheckContext } from '../properties/checkContext.ts';
import type { Violation } from '../properties/checkContext.ts';
import type { ArgTarget, CommandData, InvariantName } from '../properties/commandData.ts';
import { ARG_TARGETS, MISUSE_METHODS } from '../properties/commandData.ts';
import { commandFromData } from '../properties/commands/index.ts';
import type { StepTarget } from '../properties/commands/index.ts';
import { INVARIANTS, INVARIANTS_BY_NAME } from '../properties/invariants/index.ts';
import { Session } from '../properties/session.ts';
import { legal } from './support/session.ts';

const tiny = profileConfig('tiny');
const A7: CommandData = { kind: 'alloc', thread: 0, size: 7 };


type Patch = Partial<{ [K in keyof AllocatorView]: AllocatorView[K] extends (...args: infer A) => infer R ? (real: AllocatorView, ...args: A) => R : never }>;

/** The real view, with the methods of `patch` answering instead (each gets the real view first). */
function lyingView(real: AllocatorView, patch: Patch): AllocatorView {
  return new Proxy(real, {
    get(target, prop, receiver) {
      const p = (patch as Record<string | symbol, ((real: AllocatorView, ...args: unknown[]) => unknown) | undefined>)[prop];
      if (p !== undefined) return (...args: unknown[]) => p(target, ...args);
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The allocator with its view (and optionally some methods) replaced. */
function lyingAllocator(real: Allocator, view: AllocatorView, methods: Partial<Allocator> = {}): Allocator {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'view') return view;
      const m = (methods as Record<string | symbol, unknown>)[prop];
      if (m !== undefined) return m;
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The last step judged by invariant `name` (or by every invariant, first violation) through `allocator`. */
function judgeThrough(session: Session, allocator: Allocator, name: InvariantName | 'any'): Violation | null {
  const last = session.lastContext;
  if (last === null) throw new Error('no step yet');
  const ctx = new CheckContext({ allocator, model: session.model, step: last.step, command: last.command, event: last.event, pre: last.pre });
  if (name !== 'any') return (INVARIANTS_BY_NAME.get(name) ?? INVARIANTS[0])?.check(ctx) ?? null;
  for (const inv of INVARIANTS) {
    const v = inv.check(ctx);
    if (v !== null) return v;
  }
  return null;
}

function judgeLying(session: Session, patch: Patch, name: InvariantName | 'any'): Violation | null {
  return judgeThrough(session, lyingAllocator(session.allocator, lyingView(session.allocator.view, patch)), name);
}

const patchSlab = (id: number, f: (s: SlabView) => SlabView): Patch => ({
  superslabs: (real) => real.superslabs().map((ss) => ({ ...ss, slabs: ss.slabs.map((s) => (s.slabId === id ? f(s) : s)) })),
});
const patchSuperslab = (base: number, f: (ss: SuperSlabView) => SuperSlabView): Patch => ({
  superslabs: (real) => real.superslabs().map((ss) => (ss.base === base ? f(ss) : ss)),
});
const patchThread = (t: number, c: number, f: (cv: ThreadView['classes'][number]) => ThreadView['classes'][number]): Patch => ({
  thread: (real, th) => {
    const tv = real.thread(th);
    return th !== t ? tv : { ...tv, classes: tv.classes.map((cv, i) => (i === c ? f(cv) : cv)) };
  },
});

function slabOf(session: Session, ptr: number): SlabView {
  const cfg = session.config;
  const ssBase = ptr - 1 - ((ptr - 1) % cfg.superslabSize);
  const slab = session.view.superslab(ssBase)?.slabs[Math.floor((ptr - 1 - ssBase) / cfg.slabSize)];
  if (slab === undefined) throw new Error(`no slab at 0x${ptr.toString(16)}`);
  return slab;
}

/** t0's slab with a freelist (flushed cache) and a remote queue (t1 freed into it); t1 holds a cache. */
function listsState(): { s: Session; slab: SlabView } {
  const s = legal(tiny, [A7, A7, { kind: 'flush', thread: 0 }, { kind: 'free', thread: 1, ref: 0 }, { kind: 'alloc', thread: 1, size: 7 }]);
  const slab = slabOf(s, (s.model.live()[0] ?? { ptr: 0 }).ptr);
  expect(slab.freelistHead).not.toBe(0);
  expect(slab.remoteCount).toBe(1);
  expect(s.view.thread(1).classes[0]?.tlsCount).toBeGreaterThan(0);
  expect(judgeLying(s, {}, 'any')).toBeNull();
  return { s, slab };
}

describe('a view that misreports a slab or thread summary is caught by its walk', () => {
  it('freelistHead hidden: the census finds carved blocks on no list and not live (lost)', () => {
    const { s, slab } = listsState();
    const v = judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, freelistHead: 0 })), 'census');
    expect(v?.message).toMatch(/carved and on no free list, but not live in the model/);
  });

  it('carved one too many: the census counts one block nobody holds', () => {
    const { s, slab } = listsState();
    const v = judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, carved: x.carved + 1 })), 'census');
    expect(v?.message).toMatch(/lost block/);
  });

  it('remoteCount off by one: the queue walk disagrees', () => {
    const { s, slab } = listsState();
    const v = judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, remoteCount: x.remoteCount + 1 })), 'lists-wellformed');
    expect(v?.message).toMatch(/remote queue of slab \d+ holds 1 blocks, remoteCount says 2/);
  });

  it('tlsCount off by one: the cache walk disagrees', () => {
    const { s } = listsState();
    const v = judgeLying(s, patchThread(1, 0, (cv) => ({ ...cv, tlsCount: cv.tlsCount + 1 })), 'lists-wellformed');
    expect(v?.message).toMatch(/TLS cache of t1 c0 holds \d+ blocks, tlsCount says/);
  });

  it('used off by one: the census counts live + cached + remote itself', () => {
    const { s, slab } = listsState();
    const v = judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, used: x.used + 1 })), 'census');
    expect(v?.message).toMatch(/live \+ \d+ cached \+ 1 remote/);
  });
});

describe('no-premature-failure judges from its own walk and the model', () => {
  it('a failure with every block carved and nothing free is allowed (no false alarm)', () => {
    // Cap 1 on class 0: its one slab (12 blocks) is used up, then the tiny front fails (pool fallback).
    const s = legal(tiny, [{ kind: 'setSoftCap', cls: 0, cap: 1 }, ...Array.from({ length: 13 }, () => A7)]);
    expect(s.allocator.stats().tinyFailures).toBe(1);
    expect(judgeLying(s, {}, 'no-premature-failure')).toBeNull();
  });

  it('a slab whose carved count claims it is exhausted fails an allocation: blocks never carved are found', () => {
    const s = legal(tiny, [{ kind: 'setSoftCap', cls: 0, cap: 1 }, A7]);
    const slab = slabOf(s, (s.model.live()[0] ?? { ptr: 0 }).ptr);
    // The implementation now believes the slab is fully carved, and its cache is dropped: its
    // summaries (carved = capacity, freelistHead 0, remoteCount 0, tlsCount 0) say nothing is free.
    s.hooks.setSlabField(slab.slabId, 'carved', slab.capacity);
    s.hooks.setTlsHead(0, 0, 0, 0);
    s.execute(commandFromData(A7), s.stepsExecuted + 1);
    expect(s.allocator.stats().tinyFailures).toBe(1);
    const after = slabOf(s, (s.model.live()[0] ?? { ptr: 0 }).ptr);
    expect([after.carved, after.freelistHead, after.remoteCount, s.view.thread(0).classes[0]?.tlsCount]).toEqual([after.capacity, 0, 0, 0]);
    const v = judgeThrough(s, s.allocator, 'no-premature-failure');
    expect(v?.message).toMatch(/its own slab \d+ holds free blocks: 0 on its freelist, \d+ never carved/);
  });
});

describe('the pool is judged from its raw chunk headers', () => {
  function poolState(): Session {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }, { kind: 'alloc', thread: 0, size: 80 }]);
    expect(s.model.live().every((b) => b.front === 'pool')).toBe(true);
    return s;
  }

  it('a chunk reported free while its header says allocated', () => {
    const s = poolState();
    const patch: Patch = { pool: (real) => ({ ...real.pool(), blocks: real.pool().blocks.map((b, i) => (i === 0 ? { ...b, allocated: false } : b)) }) };
    expect(judgeLying(s, patch, 'lists-wellformed')?.message).toMatch(/the headers say \d+ bytes, allocated .* the pool reports .* free/);
    // The census and the header check read the raw headers, not the report: they stay right.
    expect(judgeLying(s, patch, 'census')).toBeNull();
    expect(judgeLying(s, patch, 'header')).toBeNull();
  });

  it('a chunk size or a region misreported', () => {
    const s = poolState();
    const sized: Patch = { pool: (real) => ({ ...real.pool(), blocks: real.pool().blocks.map((b, i) => (i === 1 ? { ...b, chunkBytes: b.chunkBytes + 8 } : b)) }) };
    expect(judgeLying(s, sized, 'lists-wellformed')?.message).toMatch(/pool chunk 0x[0-9a-f]+: the headers say/);
    const regions: Patch = { pool: (real) => ({ ...real.pool(), regions: [] }) };
    expect(judgeLying(s, regions, 'lists-wellformed')?.message).toMatch(/the pool reports regions \[\], the mapped pool regions are/);
  });
});

/** Paths to every numeric figure of stats(): counters, stage totals and rows, warm-pool rows. */
function statsPaths(s: AllocatorStats): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'number') out.push(k);
    else if (k === 'stages') for (const st of Object.keys(v)) out.push(`stages.${st}`);
    else if (k === 'stagesByClass') (v as object[]).forEach((row, c) => Object.keys(row).forEach((st) => out.push(`stagesByClass.${c}.${st}`)));
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const st of Object.keys(v)) out.push(`${k}.${st}`);
    else (v as number[]).forEach((_, c) => out.push(`${k}.${c}`));
  }
  return out;
}

function bumped(s: AllocatorStats, path: string): AllocatorStats {
  const copy = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
  const keys = path.split('.');
  let at = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  at[last] = (at[last] as number) + 1;
  return copy as unknown as AllocatorStats;
}

describe('every stats() figure is checked against the suite’s own accounting', () => {
  it('each figure reported one too high is flagged in an alloc, a free or a flush step; the honest figures pass', () => {
    const base: CommandData[] = [A7, { kind: 'alloc', thread: 1, size: 20 }];
    const steps: CommandData[] = [A7, { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }];
    const sessions = steps.map((step) => legal(tiny, [...base, step]));
    const paths = statsPaths(sessions[0]?.view.stats() as AllocatorStats);
    expect(paths.length).toBeGreaterThan(30);
    for (const s of sessions) expect(judgeLying(s, {}, 'any')).toBeNull();
    for (const path of paths) {
      const flagged = sessions.map((s) => judgeLying(s, { stats: (real) => bumped(real.stats(), path) }, 'any')).filter((v) => v !== null);
      expect(flagged.length, `stats().${path} + 1`).toBeGreaterThan(0);
      expect(flagged[0]?.message, path).toMatch(/stats\(\)/);
    }
  });

  it('the public stats() call must report the figures the checks judged', () => {
    const s = legal(tiny, [A7, { kind: 'stats' }]);
    const liar = lyingAllocator(s.allocator, s.allocator.view, { stats: () => bumped(s.allocator.stats(), 'releases') });
    const target: StepTarget = { config: s.config, allocator: liar, view: s.view, hooks: s.hooks, model: s.model };
    const outcome = commandFromData({ kind: 'stats' }).run(target);
    const last = s.lastContext as CheckContext;
    const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: last.step, command: last.command, event: outcome.event, pre: last.pre });
    expect(INVARIANTS_BY_NAME.get('registry')?.check(ctx)?.message).toMatch(/stats\(\) returned .*the figures checked this step are/);
  });
});

describe('every lookup structure is checked against the state it summarises', () => {
  function cachedState(): { s: Session; slab: SlabView; ss: SuperSlabView } {
    const s = legal(tiny, [A7, A7]);
    const slab = slabOf(s, (s.model.live()[0] ?? { ptr: 0 }).ptr);
    const ss = s.view.superslab(slab.ssBase) as SuperSlabView;
    return { s, slab, ss };
  }

  it('the registered flag the free path tests', () => {
    const { s, ss } = cachedState();
    expect(judgeLying(s, patchSuperslab(ss.base, (x) => ({ ...x, registered: false })), 'registry')?.message).toMatch(/registered flag clear, but the registry list holds it/);
  });

  it('per-SuperSlab live bytes (the tier’s utilization)', () => {
    const { s, ss } = cachedState();
    expect(judgeLying(s, patchSuperslab(ss.base, (x) => ({ ...x, liveBytes: x.liveBytes + 8 })), 'census')?.message).toMatch(/records 24 live bytes, the model's live blocks in it take 16/);
  });

  it('per-class slab counts (membership in the by-class registry lists)', () => {
    const { s, ss } = cachedState();
    const v = judgeLying(s, patchSuperslab(ss.base, (x) => ({ ...x, classSlabs: x.classSlabs.map((n, c) => (c === 1 ? n + 1 : n)) })), 'registry');
    expect(v?.message).toMatch(/counts 1 slabs bound to class 1, 0 are/);
  });

  it('membership in a by-class registry list follows the slabs bound to the class', () => {
    const { s, ss } = cachedState();
    const v = judgeLying(s, { registryByClass: (real, c) => (c === 1 ? [...real.registryByClass(1), ss.base] : real.registryByClass(c)) }, 'registry');
    expect(v?.message).toMatch(/has 0 slabs bound to class 1 but is on the class's registry list|the list of class 1 names 0x[0-9a-f]+, which has none/);
  });

  it('the live bitmap: a cached block marked live, a live block unmarked', () => {
    const { s, slab } = cachedState();
    const word = s.view.liveBitmap(slab.slabId)[0] as number;
    // Two blocks live (the refill handed out the last carved first); the third carved one is cached.
    expect(word.toString(2).replace(/0/g, '')).toBe('11');
    const zero = ~word & (word + 1);
    const extra: Patch = { liveBitmap: (real, id) => (id === slab.slabId ? real.liveBitmap(id).map((w, i) => (i === 0 ? w | zero : w)) : real.liveBitmap(id)) };
    expect(judgeLying(s, extra, 'census')?.message).toMatch(/live bitmap of slab \d+ marks block \d+ .* live, the model does not hold it/);
    const missing: Patch = { liveBitmap: (real, id) => (id === slab.slabId ? real.liveBitmap(id).map((w, i) => (i === 0 ? w & (w - 1) : w)) : real.liveBitmap(id)) };
    expect(judgeLying(s, missing, 'census')?.message).toMatch(/marks 1 blocks live, the model holds 2/);
  });

  it('the held flag (what the release path consults)', () => {
    const { s, slab } = cachedState();
    expect(slab.held).toBe('current');
    expect(judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, held: 'none' })), 'warm-pool-valid')?.message).toMatch(/records held 'none', its owner's structures say 'current'/);
  });

  it('the stride and shift the free path divides by', () => {
    const { s, slab } = cachedState();
    expect(judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, stride: x.stride + 8 })), 'lists-wellformed')?.message).toMatch(/records stride 16 .* the class has 8/);
    expect(judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, strideShift: -1 })), 'lists-wellformed')?.message).toMatch(/shift -1/);
  });

  it('the delta threshold fixed at binding', () => {
    const { s, slab } = cachedState();
    expect(judgeLying(s, patchSlab(slab.slabId, (x) => ({ ...x, deltaThreshold: x.deltaThreshold + 1 })), 'delta-zero')?.message).toMatch(/records delta threshold/);
  });

  it('the route table the allocation path consults', () => {
    const { s } = cachedState();
    expect(judgeLying(s, { routes: (real) => real.routes().map((r, c) => (c === 2 ? 'POOL_ONLY' : r)) }, 'header')?.message).toMatch(/route table sends class 2 POOL_ONLY, profile conservative says TINY_FIRST/);
    expect(judgeLying(s, { routeProfile: () => 'off' }, 'header')?.message).toMatch(/route profile is off, it was last set to conservative/);
  });

  it('the Stage 2 hint never names a parked SuperSlab', () => {
    const threads = profileConfig('tiny-threads');
    const s = legal(threads, [A7, { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }]);
    const parked = s.view.reserve();
    expect(parked.length).toBe(1);
    expect(judgeLying(s, { classHint: (real, c) => (c === 0 ? (parked[0] as number) : real.classHint(c)) }, 'registry')?.message).toMatch(/Stage 2 hint of class 0 points at .* parked in the reserve/);
  });
});

describe('every public method on every class of argument', () => {
  const setup: CommandData[] = [A7, { kind: 'alloc', thread: 1, size: 20 }, { kind: 'alloc', thread: 0, size: 100 }, A7, { kind: 'free', thread: 1, ref: 0 }, { kind: 'write', ref: 0, seed: 3 }];
  const queries = (target: ArgTarget): CommandData[] =>
    [0, 1, 2, 3, 4, 5, 6, 7].flatMap((offset) => [
      { kind: 'usableSize', target, ref: offset % 3, offset },
      { kind: 'readBytes', target, ref: offset % 3, offset },
      { kind: 'writeBytes', target, ref: offset % 3, offset },
    ]);

  it('the clean allocator answers as the model predicts, with RangeError where a block is not live', () => {
    const all: CommandData[] = [
      ...setup,
      ...ARG_TARGETS.flatMap(queries),
      ...MISUSE_METHODS.flatMap((method) => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((variant): CommandData => ({ kind: 'misuse', method, variant }))),
      { kind: 'stats' },
    ];
    const s = legal(tiny, all);
    const badFrees = s.allocator.stats().badFrees;
    expect(badFrees).toBeGreaterThan(0); // free(t0, -1), free(t0, 2^32), free(t0, 1.5) were rejected and counted
  });

  it('a usableSize that answers for a freed block is flagged', () => {
    const s = legal(tiny, [A7, { kind: 'free', thread: 0, ref: 0 }]);
    const liar = lyingAllocator(s.allocator, s.allocator.view, { usableSize: () => 7 });
    const target: StepTarget = { config: s.config, allocator: liar, view: s.view, hooks: s.hooks, model: s.model };
    const outcome = commandFromData({ kind: 'usableSize', target: 'freed', ref: 0, offset: 0 }).run(target);
    const last = s.lastContext as CheckContext;
    const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: last.step, command: last.command, event: outcome.event, pre: last.pre });
    expect(INVARIANTS_BY_NAME.get('usable-size')?.check(ctx)?.message).toMatch(/usableSize\(freed #0\) returned 7, the model predicts 0/);
  });

  it('a readBytes or writeBytes that accepts a block that is not live, or a refused call that throws otherwise, is flagged', () => {
    const s = legal(tiny, [A7, { kind: 'free', thread: 0, ref: 0 }, A7]);
    const last = s.lastContext as CheckContext;
    const judgeWith = (methods: Partial<Allocator>, data: CommandData, name: InvariantName): string | undefined => {
      const target: StepTarget = { config: s.config, allocator: lyingAllocator(s.allocator, s.allocator.view, methods), view: s.view, hooks: s.hooks, model: s.model };
      const outcome = commandFromData(data).run(target);
      const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: last.step, command: last.command, event: outcome.event, pre: last.pre });
      return INVARIANTS_BY_NAME.get(name)?.check(ctx)?.message;
    };
    expect(judgeWith({ readBytes: (_p: number, n: number) => new Uint8Array(n) }, { kind: 'readBytes', target: 'never', ref: 0, offset: 0 }, 'data-integrity')).toMatch(/succeeded; a call outside a live block's usable bytes must throw RangeError/);
    expect(
      judgeWith(
        {
          writeBytes: () => {
            throw new TypeError('boom');
          },
        },
        { kind: 'writeBytes', target: 'interior', ref: 0, offset: 0 },
        'data-integrity',
      ),
    ).toMatch(/threw TypeError: boom/);
    const scribbles: Partial<Allocator> = {
      writeBytes: (p: number) => {
        s.hooks.pokeU8(p, s.view.readU8(p) ^ 0xff);
        throw new RangeError('refused, after writing');
      },
    };
    expect(judgeWith(scribbles, { kind: 'writeBytes', target: 'never', ref: 0, offset: 2 }, 'data-integrity')).toMatch(/refused writeBytes\(0x[0-9a-f]+ \(uncarved, slab \d+\), \d+ bytes\) changed the state: bytes of .* changed/);
    const writesAnyway: Partial<Allocator> = { writeBytes: () => undefined };
    expect(judgeWith(writesAnyway, { kind: 'writeBytes', target: 'live', ref: 0, offset: 0 }, 'data-integrity')).toMatch(/succeeded/);
    expect(judgeWith({ drain: () => undefined }, { kind: 'misuse', method: 'drain', variant: 1 }, 'bad-free-rejected')).toMatch(/drain\(t0, 4\) gave returned; expected RangeError/);
    expect(judgeWith({ free: () => ({ ok: true }) }, { kind: 'misuse', method: 'free', variant: 2 }, 'bad-free-rejected')).toMatch(/free\(t0, -1\) gave ok; expected invalid-pointer/);
  });

  it('misuse beside a live block: a fast path that skips a check, an error that names nothing, a wrapped address are flagged', () => {
    const s = legal(tiny, [A7, A7]);
    const last = s.lastContext as CheckContext;
    const judgeWith = (methods: Partial<Allocator>, data: CommandData): string | undefined => {
      const target: StepTarget = { config: s.config, allocator: lyingAllocator(s.allocator, s.allocator.view, methods), view: s.view, hooks: s.hooks, model: s.model };
      const outcome = commandFromData(data).run(target);
      const ctx = new CheckContext({ allocator: s.allocator, model: s.model, step: last.step, command: last.command, event: outcome.event, pre: last.pre });
      return INVARIANTS_BY_NAME.get('bad-free-rejected')?.check(ctx)?.message;
    };
    const T = tiny.threads;
    const live = (s.model.live()[0] as { ptr: number }).ptr;
    expect(judgeWith({ setSoftCap: () => { throw new RangeError('bad cap'); } }, { kind: 'misuse', method: 'setSoftCap', variant: 1 })).toMatch(/^setSoftCap\(0, -1\) gave RangeError "bad cap", which does not name -1; expected RangeError/);
    // A lookup that wraps the address to 32 bits answers for the live block 2^32 above it.
    const wrapping: Partial<Allocator> = { usableSize: (p: number) => s.allocator.usableSize(p >>> 0) };
    expect(judgeWith(wrapping, { kind: 'misuse', method: 'usableSize', variant: 3 })).toMatch(new RegExp(`^usableSize\\(${live + 2 ** 32}\\) gave \\d+; expected 0`));
    expect(judgeWith({ refuseMaps: () => undefined }, { kind: 'misuse', method: 'refuseMaps', variant: 0 })).toMatch(/^refuseMaps\(-1\) gave returned; expected RangeError/);
    // A free whose fast path takes a live pointer without checking the thread: it frees the block (last: it changes s).
    const unchecked: Partial<Allocator> = { free: (_t: number, p: number) => s.allocator.free(0, p) };
    expect(judgeWith(unchecked, { kind: 'misuse', method: 'free', variant: 8 })).toMatch(new RegExp(`^free\\(t${T}, ${live}\\) gave ok; expected RangeError`));
    const s2 = legal(tiny, [A7, { kind: 'misuse', method: 'free', variant: 8 }, { kind: 'misuse', method: 'readBytes', variant: 1 }, { kind: 'misuse', method: 'writeBytes', variant: 1 }]);
    expect(s2.model.liveCount()).toBe(1);
  });
});

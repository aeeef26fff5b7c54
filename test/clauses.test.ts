// Every clause of docs/invariants.md can fail, with its own message. Goal: no clause is a check that
// cannot fail, and each reports the rule it enforces. Method: legal steps on the small `tiny`
// profiles (each must pass every invariant), then the state is broken on purpose — through the
// test hooks (impl/hooks.ts), through a view or allocator that misreports one figure, or by
// re-judging the real step against a hand-built pre-step snapshot or event — and the clause's
// invariant must report the clause's stable message. Where a clause must stay quiet (a SuperSlab
// mapped again within a step), a test says so too.

import { describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { Allocator, AllocatorView, SlabView, ThreadView } from '../impl/index.ts';
import type { CommandData, InvariantName } from '../properties/commandData.ts';
import { commandFromData } from '../properties/commands/index.ts';
import { INVARIANTS_BY_NAME } from '../properties/invariants/index.ts';
import { Session } from '../properties/session.ts';
import type { PolicySnapshot, StepSnapshot, SuperSlabSnapshot, Violation } from '../properties/checkContext.ts';
import { CheckContext } from '../properties/checkContext.ts';
import type { StepEvent } from '../properties/events.ts';
import { legal } from './support/session.ts';

const tiny = profileConfig('tiny');
const meta = profileConfig('tiny-meta');
const A7: CommandData = { kind: 'alloc', thread: 0, size: 7 };
const A20: CommandData = { kind: 'alloc', thread: 0, size: 20 };
const TRIM: CommandData = { kind: 'trim' };
/** A step that changes nothing (trim would unmap an emptied pool region). */
const DRAIN: CommandData = { kind: 'drain', thread: 0, cls: 0 };


function invariant(name: InvariantName) {
  const inv = INVARIANTS_BY_NAME.get(name);
  if (inv === undefined) throw new Error(`no invariant ${name}`);
  return inv;
}

/** Executes one more command (whatever the invariants say) and returns what `name` reports on it. */
function judge(session: Session, name: InvariantName, data: CommandData): Violation | null {
  session.execute(commandFromData(data), session.stepsExecuted + 1);
  return rejudge(session, name);
}

/** Executes one more command and returns what the state part alone of `name` reports on it. */
function judgeState(session: Session, name: InvariantName, data: CommandData): Violation | null {
  session.execute(commandFromData(data), session.stepsExecuted + 1);
  const ctx = session.lastContext;
  if (ctx === null) throw new Error('no step executed yet');
  return invariant(name).checkState?.(ctx) ?? null;
}

/**
 * Judges the last step again with invariant `name`, on the state as it is now (a hook may have
 * broken it since), optionally with a hand-built pre-step snapshot, event, or a misreporting allocator.
 */
function rejudge(session: Session, name: InvariantName, over: { pre?: StepSnapshot; event?: StepEvent; allocator?: Allocator } = {}): Violation | null {
  const last = session.lastContext;
  if (last === null) throw new Error('no step executed yet');
  const ctx = new CheckContext({
    allocator: over.allocator ?? session.allocator,
    model: session.model,
    step: last.step,
    command: last.command,
    event: over.event ?? last.event,
    pre: over.pre ?? last.pre,
  });
  return invariant(name).check(ctx);
}

/** The allocator with some view methods (and allocator methods) replaced: a misreporting allocator. */
function misreporting(a: Allocator, view: Partial<AllocatorView>, methods: Partial<Pick<Allocator, 'usableSize'>> = {}): Allocator {
  const v = Object.assign(Object.create(a.view) as AllocatorView, view);
  return Object.assign(Object.create(a) as Allocator, { view: v }, methods);
}

function slabOf(session: Session, ptr: number): { ssBase: number; slab: SlabView } {
  const cfg = session.config;
  const ssBase = ptr - 1 - ((ptr - 1) % cfg.superslabSize);
  const slab = session.view.superslab(ssBase)?.slabs[Math.floor((ptr - 1 - ssBase) / cfg.slabSize)];
  if (slab === undefined) throw new Error(`0x${ptr.toString(16)} is in no slab`);
  return { ssBase, slab };
}

function live(session: Session, index = 0) {
  const b = session.model.live()[index];
  if (b === undefined) throw new Error('no live block');
  return b;
}

function slabs(session: Session): SlabView[] {
  return session.view.superslabs().flatMap((ss) => ss.slabs);
}

function lastPre(session: Session): StepSnapshot {
  const pre = session.lastContext?.pre;
  if (pre === undefined) throw new Error('no step executed yet');
  return pre;
}

function prePolicy(session: Session): PolicySnapshot {
  const p = lastPre(session).policy;
  if (p === undefined) throw new Error('no policy snapshot');
  return p;
}

/** A pre-step snapshot with one SuperSlab's record replaced. */
function preWithSuperslab(session: Session, ssBase: number, edit: (s: SuperSlabSnapshot) => SuperSlabSnapshot): StepSnapshot {
  const pre = lastPre(session);
  const before = pre.superslabs.get(ssBase);
  if (before === undefined) throw new Error('no such SuperSlab before the step');
  const superslabs = new Map(pre.superslabs);
  superslabs.set(ssBase, edit(before));
  return { ...pre, superslabs };
}

/** A pre-step snapshot with the policy part edited. */
function preWithPolicy(session: Session, edit: (p: PolicySnapshot) => PolicySnapshot): StepSnapshot {
  return { ...lastPre(session), policy: edit(prePolicy(session)) };
}

function withThreadClass(p: PolicySnapshot, t: number, c: number, edit: (cv: ThreadView['classes'][number]) => ThreadView['classes'][number]): PolicySnapshot {
  const threads = p.threads.map((tv) => (tv.thread !== t ? tv : { ...tv, classes: tv.classes.map((cv, i) => (i === c ? edit(cv) : cv)) }));
  return { ...p, threads };
}

function allocEvent(session: Session): Extract<StepEvent, { kind: 'alloc' }> {
  const ev = session.lastContext?.event;
  if (ev === undefined || ev.kind !== 'alloc') throw new Error('the last step is not an alloc');
  return ev;
}

describe('no-double-allocation', () => {
  it('must never: an allocation returns a live block', () => {
    const s = legal(tiny, [A7, A7]);
    const victim = live(s, 0);
    const tls = s.view.thread(0).classes[0];
    if (tls === undefined) throw new Error('no class 0');
    s.hooks.pokeU32(victim.ptr, tls.tlsHead);
    s.hooks.setTlsHead(0, 0, victim.ptr - 1, tls.tlsCount + 1);
    expect(judge(s, 'no-double-allocation', A7)?.message).toMatch(/which is live/);
  });

  it('must never: a fresh block overlaps a live one (hand-built step)', () => {
    const s = legal(tiny, [A7, A7]);
    const ev = allocEvent(s);
    if (ev.block === undefined) throw new Error('no fresh block');
    const other = live(s, 0);
    const event: StepEvent = { ...ev, ptr: other.ptr + 2, block: { ...ev.block, ptr: other.ptr + 2 } };
    expect(rejudge(s, 'no-double-allocation', { event })?.message).toMatch(/overlap live block/);
  });

  it('must: an allocated block leaves every free list', () => {
    const s = legal(tiny, [A7]);
    expect(rejudge(s, 'no-double-allocation')).toBeNull();
    const fresh = live(s, 0);
    const tls = s.view.thread(0).classes[0];
    if (tls === undefined) throw new Error('no class 0');
    s.hooks.pokeU32(fresh.ptr, tls.tlsHead);
    s.hooks.setTlsHead(0, 0, fresh.ptr - 1, tls.tlsCount + 1);
    expect(rejudge(s, 'no-double-allocation')?.message).toMatch(/^an allocated block must leave every free list: .* still on the TLS cache of t0/);
  });
});

describe('header', () => {
  it('must: a live tiny block keeps magic|class', () => {
    const s = legal(tiny, [A7, A20]);
    s.hooks.pokeU8(live(s, 1).ptr - 1, tiny.headerMagic | 3);
    expect(judge(s, 'header', TRIM)?.message).toMatch(/has header 0xa3, expected 0xa2/);
  });

  it('must: a live block lies in an ACTIVE slab bound to its class', () => {
    const s = legal(tiny, [A7]);
    const { slab } = slabOf(s, live(s).ptr);
    s.hooks.setSlabField(slab.slabId, 'cls', 1);
    expect(judge(s, 'header', TRIM)?.message).toMatch(/lies in slab \d+ bound to class 1/);
    s.hooks.setSlabField(slab.slabId, 'cls', 0);
    s.hooks.setSlabState(slab.slabId, 'EMPTY');
    expect(judge(s, 'header', TRIM)?.message).toMatch(/lies in slab \d+, which is EMPTY/);
  });

  it('must: a live block is a carved block of its slab', () => {
    const s = legal(tiny, [A7]);
    const { slab } = slabOf(s, live(s).ptr);
    s.hooks.setSlabField(slab.slabId, 'carved', 0);
    expect(judge(s, 'header', TRIM)?.message).toMatch(/beyond carved 0/);
  });

  it('must: a live pool block is an allocated chunk with the pool tag', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    s.hooks.setPoolChunkAllocated(live(s).ptr - s.view.pool().headerBytes, false);
    expect(judge(s, 'header', DRAIN)?.message).toMatch(/lies in a chunk the pool marks free/);
  });

  it('must never: a front the route forbids serves the allocation (hand-built step)', () => {
    const s = legal(tiny, [{ kind: 'setRouteProfile', profile: 'full' }, A7]);
    const event: StepEvent = { ...allocEvent(s), servedBy: 'pool' };
    expect(rejudge(s, 'header', { event })?.message).toMatch(/under route TINY_ONLY was served by pool; allowed: tiny, failed/);
  });

  it('must never: an allocation returns a pointer in no mapped region (hand-built step)', () => {
    const s = legal(tiny, [A7]);
    const event: StepEvent = { ...allocEvent(s), servedBy: 'stray', ptr: 0x7000001 };
    expect(rejudge(s, 'header', { event })?.message).toMatch(/in no mapped SuperSlab or pool region/);
  });

  it('must never: the pool header tag has the tiny form', () => {
    const s = legal(tiny, [A7]);
    const pool = s.view.pool();
    const a = misreporting(s.allocator, { pool: () => ({ ...pool, headerTag: tiny.headerMagic | 1 }) });
    expect(rejudge(s, 'header', { allocator: a })?.message).toMatch(/has the tiny form magic\|class/);
  });
});

describe('usable-size', () => {
  it('must: usable size ≥ requested', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    s.hooks.setPoolChunkAllocated(live(s).ptr - s.view.pool().headerBytes, false);
    expect(judge(s, 'usable-size', TRIM)?.message).toMatch(/= 0 < requested 100/);
  });

  it('must: a tiny block’s usable size is stride − 1', () => {
    const s = legal(tiny, [A7]);
    const a = misreporting(s.allocator, {}, { usableSize: () => 9 });
    expect(rejudge(s, 'usable-size', { allocator: a })?.message).toMatch(/= 9, class 0 gives stride − 1 = 7/);
  });

  it('must never: a pool block’s usable size exceeds its chunk’s payload', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    const a = misreporting(s.allocator, {}, { usableSize: () => 100_000 });
    expect(rejudge(s, 'usable-size', { allocator: a })?.message).toMatch(/its chunk's payload \(walked\) is \d+/);
  });

  it('must never: a pointer that is not live has a usable size', () => {
    const s = legal(tiny, [A7, A7, { kind: 'free', thread: 0, ref: 0 }]);
    expect(rejudge(s, 'usable-size')).toBeNull();
    const a = misreporting(s.allocator, {}, { usableSize: () => 7 });
    expect(rejudge(s, 'usable-size', { allocator: a })?.message).toMatch(/^a pointer that is not live must have no usable size: usableSize\(.*\) = 7 after its free/);
    const b = legal(tiny, [A7, A7, { kind: 'badFree', thread: 0, bad: 'interior', ref: 0, offset: 1 }]);
    expect(rejudge(b, 'usable-size')).toBeNull();
    const ab = misreporting(b.allocator, {}, { usableSize: () => 7 });
    expect(rejudge(b, 'usable-size', { allocator: ab })?.message).toMatch(/^a pointer that is not live must have no usable size: .* after a rejected free/);
  });
});

describe('data-integrity', () => {
  it('must: written bytes stay until the block is freed (raw memory and readBytes)', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 30 }, { kind: 'write', ref: 0, seed: 9 }]);
    const b = live(s);
    s.hooks.pokeU8(b.ptr + 5, s.view.readU8(b.ptr + 5) ^ 0x5a);
    expect(judge(s, 'data-integrity', TRIM)?.message).toMatch(/byte 5 is .*, written .* and never freed/);
    expect(judge(s, 'data-integrity', { kind: 'check', ref: 0 })?.message).toMatch(/readBytes\(.*\) byte 5/);
  });
});

describe('census', () => {
  it('must never: a carved block on no free list that the model does not hold (lost block)', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setTlsHead(0, 0, 0, 0);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/is carved and on no free list, but not live in the model \(lost block\)/);
  });

  it('must: every live block of the model is carved and on no free list', () => {
    const s = legal(tiny, [A7, A7]);
    const victim = live(s, 0);
    const tls = s.view.thread(0).classes[0];
    if (tls === undefined) throw new Error('no class 0');
    s.hooks.pokeU32(victim.ptr, tls.tlsHead);
    s.hooks.setTlsHead(0, 0, victim.ptr - 1, tls.tlsCount + 1);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/live block .* of the model is on the tls of t0/);
  });

  it('must: used and totalActive equal the census', () => {
    const s = legal(tiny, [A7]);
    const { ssBase, slab } = slabOf(s, live(s).ptr);
    s.hooks.setSlabField(slab.slabId, 'used', slab.used + 1);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/census counts \d+ \(\d+ live \+ \d+ cached \+ \d+ remote\)/);
    s.hooks.setSlabField(slab.slabId, 'used', slab.used);
    s.hooks.setTotalActive(ssBase, 5);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/totalActive 5 = 5, the census counts 1 live blocks/);
  });

  it('must never: live blocks in a slab that is not ACTIVE', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setSlabState(slabOf(s, live(s).ptr).slab.slabId, 'EMPTY');
    expect(judge(s, 'census', TRIM)?.message).toMatch(/is EMPTY but the model holds 1 live blocks in it/);
  });

  it('pool, both ways: allocated chunks are exactly the model’s pool blocks', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }, { kind: 'alloc', thread: 0, size: 100 }, { kind: 'free', thread: 0, ref: 0 }]);
    const headerBytes = s.view.pool().headerBytes;
    const dead = s.model.deadGraves()[0];
    if (dead === undefined) throw new Error('no freed pool block');
    s.hooks.setPoolChunkAllocated(dead.ptr - headerBytes, true);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/pool chunk at .* is allocated but not live in the model \(lost block\)/);
    s.hooks.setPoolChunkAllocated(dead.ptr - headerBytes, false);
    s.hooks.setPoolChunkAllocated(live(s).ptr - headerBytes, false);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/is live in the model but not allocated in the pool/);
  });
});

describe('lists-wellformed', () => {
  it('must: every list acyclic, in bounds, header-correct (the walk)', () => {
    const s = legal(tiny, [A7]);
    const tls = s.view.thread(0).classes[0];
    if (tls === undefined) throw new Error('no class 0');
    s.hooks.pokeU32(tls.tlsHead + 1, tls.tlsHead);
    expect(judge(s, 'lists-wellformed', TRIM)?.message).toMatch(/TLS cache of t0 c0 has a cycle/);
  });

  it('must: every ownerless ACTIVE slab is on its orphan list', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setSlabField(s.view.thread(0).classes[0]?.warm[0] ?? -1, 'owner', -1);
    expect(judge(s, 'lists-wellformed', TRIM)?.message).toMatch(/has no owner and is on no orphan list/);
  });

  it('must never: a page list holds a slab its thread does not own', () => {
    const s = legal(meta, [A20]);
    s.hooks.setSlabField(slabOf(s, live(s).ptr).slab.slabId, 'owner', 1);
    expect(judge(s, 'lists-wellformed', TRIM)?.message).toMatch(/page list of t0 c2 holds slab \d+ \(ACTIVE, class 2, owner 1\)/);
  });

  it('policy: an owner’s free pushes on its cache; a cache over its cap drains half of itself', () => {
    const s = legal(tiny, [A7, A7, { kind: 'free', thread: 0, ref: 0 }]);
    expect(rejudge(s, 'lists-wellformed')).toBeNull();
    const cap = tiny.tlsCap[0] as number;
    const over = preWithPolicy(s, (p) => withThreadClass(p, 0, 0, (cv) => ({ ...cv, tlsCount: cap })));
    expect(rejudge(s, 'lists-wellformed', { pre: over })?.message).toMatch(/^a thread cache over its cap must drain half of itself: the cache of t0 c0 went 4 -> \d+ at a free, expected 3/);
    const under = preWithPolicy(s, (p) => withThreadClass(p, 0, 0, (cv) => ({ ...cv, tlsCount: 0 })));
    expect(rejudge(s, 'lists-wellformed', { pre: under })?.message).toMatch(/^an owner's free must push the block on its thread cache: the cache of t0 c0 went 0 -> 2/);
  });

  it('policy: a free goes where its slab’s owner dictates (remote queue for another thread’s free)', () => {
    const s = legal(tiny, [A7, { kind: 'free', thread: 1, ref: 0 }]);
    expect(rejudge(s, 'lists-wellformed')).toBeNull();
    const { slab } = slabOf(s, s.model.deadGraves()[0]?.ptr ?? 0);
    s.hooks.setSlabField(slab.slabId, 'remoteHead', 0);
    s.hooks.setSlabField(slab.slabId, 'remoteCount', 0);
    expect(rejudge(s, 'lists-wellformed')?.message).toMatch(/^a free must put the block where its slab's owner dictates: t1 freed .* \(owner 0\), which is not at the head of the remote of slab/);
  });
});

describe('empty-recycled', () => {
  it('must: an ACTIVE slab at used 0 that its owner does not hold is released', () => {
    const s = legal(tiny, [A7, { kind: 'threadExit', thread: 0 }]);
    s.hooks.setSlabField(slabOf(s, live(s).ptr).slab.slabId, 'used', 0);
    // The state part (the step part also sees used go 1 -> 0 unheld, and says so first).
    expect(judgeState(s, 'empty-recycled', TRIM)?.message).toMatch(/has used 0 and its owner does not hold it: it should have been released/);
  });

  it('must: every EMPTY slot on an EMPTY list; must never: a list entry that is not EMPTY, or one listed twice', () => {
    const s = legal(tiny, [A20, A7, { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }]);
    const empty = slabs(s).find((sl) => sl.state === 'EMPTY');
    const active = slabs(s).find((sl) => sl.state === 'ACTIVE');
    if (empty === undefined || active === undefined) throw new Error('expected an EMPTY and an ACTIVE slab');
    const real = s.view.emptyList(empty.cls);
    const listing = (ids: number[]) => misreporting(s.allocator, { emptyList: (c: number) => (c === empty.cls ? ids : s.view.emptyList(c)) });
    expect(judge(s, 'empty-recycled', TRIM)).toBeNull();
    expect(rejudge(s, 'empty-recycled', { allocator: listing([...real, active.slabId]) })?.message).toMatch(new RegExp(`holds slab ${active.slabId}, which is ACTIVE`));
    expect(rejudge(s, 'empty-recycled', { allocator: listing([...real, empty.slabId]) })?.message).toMatch(/is on the EMPTY list of class \d and of class \d/);
    s.hooks.unlinkEmpty(empty.slabId);
    expect(judge(s, 'empty-recycled', TRIM)?.message).toMatch(/is on no EMPTY list/);
  });

  it('must: the empty mask, owner and class agree with the slot state', () => {
    const s = legal(tiny, [A20, A7, { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }]);
    const empty = slabs(s).find((sl) => sl.state === 'EMPTY');
    const unused = legal(tiny, [A7]).view.superslabs()[0]?.slabs.find((sl) => sl.state === 'UNUSED');
    if (empty === undefined || unused === undefined) throw new Error('expected EMPTY and UNUSED slabs');
    s.hooks.setSlabField(empty.slabId, 'owner', 0);
    expect(judge(s, 'empty-recycled', TRIM)?.message).toMatch(/EMPTY slab \d+ is owned by t0/);
    s.hooks.setSlabField(empty.slabId, 'owner', -1);
    s.hooks.setSlabState(slabOf(s, live(s).ptr).slab.slabId, 'EMPTY');
    expect(judge(s, 'empty-recycled', TRIM)?.message).toMatch(/is EMPTY but its SuperSlab's empty mask bit is 0/);
    const u = legal(tiny, [A7]);
    u.hooks.setSlabField(unused.slabId, 'cls', 2);
    expect(judge(u, 'empty-recycled', TRIM)?.message).toMatch(/UNUSED slab \d+ is bound to class 2/);
  });

  it('must: activeSlots equals the ACTIVE slots', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setActiveSlots(0, 3);
    expect(judge(s, 'empty-recycled', TRIM)?.message).toMatch(/activeSlots\(0\) = 3, but 2 slots of class 0 are ACTIVE/);
  });

  it('policy: a release happens when used reaches 0 with the owner not holding it (hand-built pre-step)', () => {
    // A TinyHeap current page that emptied is kept (held): legal. Claimed unheld before the step, it must have been released.
    const s = legal(meta, [A20, { kind: 'free', thread: 0, ref: 0 }, TRIM]);
    expect(rejudge(s, 'empty-recycled')).toBeNull();
    const page = slabs(s).find((sl) => sl.state === 'ACTIVE' && sl.cls === 2);
    if (page === undefined) throw new Error('expected the current page');
    const unheld = (used: number, remote: number) =>
      preWithSuperslab(s, page.ssBase, (ss) => ({
        ...ss,
        slabUsed: ss.slabUsed.map((u, i) => (i === page.slabIndex ? used : u)),
        slabRemote: ss.slabRemote.map((r, i) => (i === page.slabIndex ? remote : r)),
        slabHeld: ss.slabHeld.map((h, i) => (i === page.slabIndex ? false : h)),
      }));
    expect(rejudge(s, 'empty-recycled', { pre: unheld(2, 2) })?.message).toMatch(/was emptied by the drain of its remote queue while its owner did not hold it, but was not released/);
    expect(rejudge(s, 'empty-recycled', { pre: unheld(1, 0) })?.message).toMatch(/^a slab whose used reaches 0 while its owner does not hold it must be released/);
  });

  it('policy: acquisition takes the first stage that can give a slot', () => {
    // Class 2 and a spare class-0 slot are EMPTY after the flush (no DRAINING: threshold 0); class 1
    // must rebind one (stage 1) before mapping a SuperSlab.
    const cool = profileConfig('tiny', { hotThreshold: 0 });
    const steps: CommandData[] = [A20, A7, { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }];
    const clean = legal(cool, [...steps, { kind: 'alloc', thread: 1, size: 15 }]);
    expect(slabOf(clean, live(clean, 1).ptr).ssBase).toBe(slabOf(clean, live(clean, 0).ptr).ssBase);
    const s = legal(cool, steps);
    for (const sl of slabs(s)) if (sl.state === 'EMPTY') s.hooks.unlinkEmpty(sl.slabId);
    expect(judge(s, 'empty-recycled', { kind: 'alloc', thread: 1, size: 15 })?.message).toMatch(
      /^acquisition must take the first stage that can give a slot: alloc\(t1, 15\) returned .* from stage 3 \(a new or reserve SuperSlab\), but stage 1 \(another class’s EMPTY list\) could give one/,
    );
  });
  it("policy: the first attempt acquires from the shared pool, not from the thread's own set-aside slabs (hand-built pre-step)", () => {
    // Class 2 maps the SuperSlab; class 0 then claims one of its UNUSED slots (stage 2): legal.
    const s = legal(tiny, [A20, A7]);
    expect(rejudge(s, 'empty-recycled')).toBeNull();
    const served = slabOf(s, live(s, 1).ptr).slab;
    const before = prePolicy(s).slabs.get(served.slabId);
    if (before === undefined || before.state !== 'UNUSED') throw new Error('expected an UNUSED slot claimed by stage 2');
    // Claimed to be t0's own set-aside slab of class 0 before the step (owned, ACTIVE, not held).
    const setAside = preWithPolicy(s, (p) => ({ ...p, slabs: new Map([...p.slabs, [served.slabId, { ...before, state: 'ACTIVE' as const, owner: 0, cls: 0 }]]) }));
    expect(rejudge(s, 'empty-recycled', { pre: setAside })?.message).toMatch(
      new RegExp(`^acquisition must come from the shared pool: alloc\\(t0, 7\\) returned .* of slab ${served.slabId}, a slab thread t0 had set aside, but stage 2 \\(an UNUSED slot of a HOT SuperSlab\\) could give a slot`),
    );
  });
});

describe('policies of drain, flush, threadExit and held slabs', () => {
  it('empty-recycled, policy: a slab its owner holds is not released (hand-built pre-step)', () => {
    // t0 exits: its slab becomes an orphan; t1 frees its last block: the orphan is released (legal).
    const s = legal(tiny, [A7, { kind: 'threadExit', thread: 0 }, { kind: 'free', thread: 1, ref: 0 }]);
    expect(rejudge(s, 'empty-recycled')).toBeNull();
    const freed = s.model.deadGraves()[0]?.ptr ?? 0;
    const released = [...prePolicy(s).slabs.values()].find((sl) => sl.start <= freed - 1 && freed - 1 < sl.start + sl.usableBytes);
    const before = released;
    if (released === undefined || before === undefined || before.owner !== -1) throw new Error('expected the orphan released by the free');
    const held = preWithPolicy(s, (p) => {
      const q = withThreadClass(p, 0, 0, (cv) => ({ ...cv, current: released.slabId }));
      return { ...q, slabs: new Map([...q.slabs, [released.slabId, { ...before, owner: 0 }]]) };
    });
    expect(rejudge(s, 'empty-recycled', { pre: held })?.message).toMatch(new RegExp(`^a slab its owner holds must not be released: slab ${released.slabId}, the current slab of t0 c0, was released by free`));
  });

  it('lists-wellformed, policy: drain empties the remote queues; flush returns every cached block; threadExit publishes every slab', () => {
    const d = legal(tiny, [A7, { kind: 'free', thread: 1, ref: 0 }, { kind: 'drain', thread: 0, cls: 0 }]);
    expect(rejudge(d, 'lists-wellformed')).toBeNull();
    const current = d.view.thread(0).classes[0]?.current ?? -1;
    d.hooks.setSlabField(current, 'remoteCount', 1);
    expect(rejudge(d, 'lists-wellformed')?.message).toMatch(new RegExp(`^drain\\(t0, 0\\) must empty the remote queues of its slabs: slab ${current} still holds 1`));
    const f = legal(tiny, [A7, { kind: 'flush', thread: 0 }]);
    expect(rejudge(f, 'lists-wellformed')).toBeNull();
    f.hooks.setTlsHead(0, 1, 0, 1);
    expect(rejudge(f, 'lists-wellformed')?.message).toMatch(/^flush\(t0\) must return every cached block: the cache of t0 c1 still holds 1/);
    const x = legal(tiny, [A7, { kind: 'threadExit', thread: 0 }]);
    expect(rejudge(x, 'lists-wellformed')).toBeNull();
    const orphan = slabOf(x, live(x).ptr).slab.slabId;
    x.hooks.setSlabField(orphan, 'owner', 0);
    expect(rejudge(x, 'lists-wellformed')?.message).toMatch(new RegExp(`^threadExit\\(t0\\) must publish its slabs as orphans: slab ${orphan} is still owned by t0`));
  });

  it('warm-pool-valid, policy: flush lets go of every held slab', () => {
    const f = legal(tiny, [A7, { kind: 'flush', thread: 0 }]);
    expect(rejudge(f, 'warm-pool-valid')).toBeNull();
    const kept = slabOf(f, live(f).ptr).slab.slabId;
    f.hooks.pushWarm(0, 0, kept);
    expect(rejudge(f, 'warm-pool-valid')?.message).toMatch(new RegExp(`^flush\\(t0\\) must let go of every held slab: t0 c0 still holds ${kept}`));
  });
});

describe('soft-cap', () => {
  it('must never: a class at its cap gains a slot', () => {
    const s = legal(tiny, [{ kind: 'setSoftCap', cls: 0, cap: 1 }, A7]);
    const unused = slabs(s).find((sl) => sl.state === 'UNUSED');
    if (unused === undefined) throw new Error('expected an UNUSED slot');
    s.hooks.setSlabField(unused.slabId, 'cls', 0);
    s.hooks.setSlabState(unused.slabId, 'ACTIVE');
    expect(judge(s, 'soft-cap', TRIM)?.message).toMatch(/class 0 went from 1 to 2 ACTIVE slots with soft cap 1/);
  });

  it('must: the cap in force is the one last set', () => {
    const s = legal(tiny, [{ kind: 'setSoftCap', cls: 1, cap: 0 }]);
    s.allocator.setSoftCap(1, 2);
    expect(judge(s, 'soft-cap', TRIM)?.message).toMatch(/softCap\(1\) is 2, but it was last set to 0/);
  });
});

describe('no-premature-failure', () => {
  it('must never: the tiny front fails while a slot is free under the cap', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setActiveSlots(1, tiny.softCap[1] as number);
    expect(judge(s, 'no-premature-failure', { kind: 'alloc', thread: 0, size: 15 })?.message).toMatch(/the tiny front failed although class 1 is under its cap \(0 < 3\)/);
  });

  it('must never: the tiny front fails while an orphan or the thread’s own slab has blocks', () => {
    // Class 0 at its cap (t0's current slab and warm slab); t1 must fail unless it may adopt.
    const s = legal(tiny, [A7, { kind: 'setSoftCap', cls: 0, cap: 2 }]);
    const warm = s.view.thread(0).classes[0]?.warm[0];
    if (warm === undefined) throw new Error('expected a warm slab');
    const orphaned = legal(tiny, [A7, { kind: 'setSoftCap', cls: 0, cap: 2 }]);
    orphaned.hooks.setSlabField(warm, 'owner', -1); // ownerless, but on no orphan list: the allocator cannot adopt it
    expect(judge(orphaned, 'no-premature-failure', { kind: 'alloc', thread: 1, size: 7 })?.message).toMatch(new RegExp(`although orphan slab ${warm} has free blocks`));
    s.hooks.setSlabField(warm, 'owner', 1); // t1's by the view, still in t0's warm pool: t1 cannot use it
    expect(judge(s, 'no-premature-failure', { kind: 'alloc', thread: 1, size: 7 })?.message).toMatch(new RegExp(`although its own slab ${warm} holds free blocks`));
  });

  it('must never: the tiny front fails with blocks in the thread’s own cache', () => {
    const s = legal(tiny, [A7, { kind: 'setSoftCap', cls: 0, cap: 2 }, { kind: 'alloc', thread: 1, size: 7 }]);
    expect(live(s, 1).front).toBe('pool');
    const cached = s.view.thread(0).classes[0];
    if (cached === undefined) throw new Error('no class 0');
    s.hooks.setTlsHead(1, 0, cached.tlsHead, 1);
    expect(rejudge(s, 'no-premature-failure')?.message).toMatch(/although its TLS cache of class 0 holds \d+ blocks/);
  });

  it('must never: the pool fails a request its budget allows (hand-built step)', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    const event: StepEvent = { ...allocEvent(s), ptr: 0, servedBy: 'failed', block: undefined };
    s.hooks.setPoolChunkAllocated(live(s).ptr - s.view.pool().headerBytes, false);
    expect(rejudge(s, 'no-premature-failure', { event })?.message).toMatch(/returned 0: the pool failed a 100-byte request/);
  });

  it('policy: a thread-cache hit pops the cache head (hand-built pre-step)', () => {
    const s = legal(tiny, [A7, A7]);
    expect(rejudge(s, 'no-premature-failure')).toBeNull();
    const pre = preWithPolicy(s, (p) => withThreadClass(p, 0, 0, (cv) => ({ ...cv, tlsHead: cv.tlsHead + 8 })));
    expect(rejudge(s, 'no-premature-failure', { pre })?.message).toMatch(/^a thread-cache hit must pop the cache head/);
  });

  it('policy: a refill serves from the current slab while it has blocks', () => {
    const s = legal(tiny, [A7, A7, A7]); // the cache of 3 is spent; the current slab has 9 uncarved blocks
    const current = s.view.thread(0).classes[0]?.current ?? -1;
    const slab = s.view.slab(current);
    if (slab === undefined) throw new Error('no current slab');
    s.hooks.setSlabField(current, 'capacity', slab.carved); // the allocator now believes it exhausted
    expect(judge(s, 'no-premature-failure', A7)?.message).toMatch(new RegExp(`^refill must serve from the current slab, then the warm pool, before acquiring: .* but the current slab ${current} had 9 blocks to give`));
  });

  it('policy: a refill takes the warm pool before acquiring', () => {
    // Class 2: slab 0 holds 3 blocks, spent by three allocations; the warm slab must serve next.
    const s = legal(tiny, [{ kind: 'setSoftCap', cls: 2, cap: 3 }, A20, A20, A20]);
    const warm = s.view.thread(0).classes[2]?.warm[0];
    if (warm === undefined) throw new Error('expected a warm slab');
    s.hooks.setSlabField(warm, 'capacity', 0);
    expect(judge(s, 'no-premature-failure', A20)?.message).toMatch(new RegExp(`^refill must serve from the current slab, then the warm pool, before acquiring: .* but the top slab of the warm pool with blocks ${warm} had 4 blocks to give`));
  });

  it('policy: within a slab, the remote queue first, then the freelist, then carving, refillBatch blocks', () => {
    const s = legal(tiny, [A7, A7, A7, A7]); // the 4th is a refill: 3 fresh blocks carved
    expect(rejudge(s, 'no-premature-failure')).toBeNull();
    const current = s.view.thread(0).classes[0]?.current ?? -1;
    const withFreelist = preWithPolicy(s, (p) => ({ ...p, freelistLength: new Map([...p.freelistLength, [current, 2]]) }));
    expect(rejudge(s, 'no-premature-failure', { pre: withFreelist })?.message).toMatch(/^refill must take the remote queue and the freelist before carving: .* carved 3 -> 6, expected 4 \(remote 0, freelist 2, batch 3\)/);
    const tls = s.view.thread(0).classes[0];
    if (tls === undefined) throw new Error('no class 0');
    s.hooks.setTlsHead(0, 0, tls.tlsHead, tls.tlsCount + 1);
    expect(rejudge(s, 'no-premature-failure')?.message).toMatch(/^refill must move min\(refillBatch, cache room\) blocks: .* then holds 3, expected 2/);
    // A remote queue the refill did not drain.
    const r = legal(tiny, [A7, A7, A7, { kind: 'free', thread: 1, ref: 0 }]);
    const cur = r.view.thread(0).classes[0]?.current ?? -1;
    r.hooks.setSlabField(cur, 'remoteHead', 0); // the allocator no longer sees the queue; its count stays
    expect(judge(r, 'no-premature-failure', A7)?.message).toMatch(/^refill must drain the current slab's remote queue first: .* still holds 1 of 1/);
  });

  it('policy: TinyHeap serves from its current page, freelist before carving, then a held page', () => {
    const s = legal(meta, [A20, A20]);
    expect(rejudge(s, 'no-premature-failure')).toBeNull();
    const page = s.view.thread(0).classes[2]?.pages.current ?? -1;
    const withFreelist = preWithPolicy(s, (p) => ({ ...p, freelistLength: new Map([...p.freelistLength, [page, 1]]) }));
    expect(rejudge(s, 'no-premature-failure', { pre: withFreelist })?.message).toMatch(/^a TinyHeap allocation must take the page freelist before carving/);
    const other = slabs(s).find((sl) => sl.state === 'UNUSED');
    if (other === undefined) throw new Error('expected an UNUSED slot');
    const noCurrent = preWithPolicy(s, (p) => {
      const q = withThreadClass(p, 0, 2, (cv) => ({ ...cv, pages: { current: -1, partial: [other.slabId], full: [] } }));
      return { ...q, slabs: new Map([...q.slabs, [other.slabId, { ...other, state: 'ACTIVE', cls: 2, owner: 0 }]]) };
    });
    expect(rejudge(s, 'no-premature-failure', { pre: noCurrent })?.message).toMatch(new RegExp(`^a TinyHeap allocation must take a held page with blocks before acquiring: .* but page ${other.slabId} had blocks`));
    const s2 = legal(meta, [A20]);
    s2.hooks.setSlabField(page, 'capacity', 1); // the allocator believes the page exhausted
    expect(judge(s2, 'no-premature-failure', A20)?.message).toMatch(new RegExp(`^a TinyHeap allocation must serve from its current page while it has blocks: .* but page ${page} had`));
  });
});

describe('delta-zero', () => {
  it('must never: a delta at its threshold, on a page not held, or without metaLight', () => {
    const s = legal(meta, [{ kind: 'alloc', thread: 0, size: 40 }]);
    const { slab } = slabOf(s, live(s).ptr);
    const threshold = Math.max(meta.deltaFlushMin, slab.capacity * meta.deltaFlushFactor);
    s.hooks.setSlabField(slab.slabId, 'usedDelta', threshold);
    s.hooks.setSlabField(slab.slabId, 'used', 1 - threshold);
    expect(judge(s, 'delta-zero', TRIM)?.message).toMatch(new RegExp(`at or over the flush threshold ${threshold}`));
    const f = legal(meta, [{ kind: 'alloc', thread: 0, size: 40 }, { kind: 'flush', thread: 0 }]);
    f.hooks.setSlabField(slabOf(f, live(f).ptr).slab.slabId, 'activeDelta', 1);
    expect(judge(f, 'delta-zero', TRIM)?.message).toMatch(/is not a held TinyHeap page but has usedDelta 0, activeDelta 1/);
    const t = legal(tiny, [A7]);
    t.hooks.setSlabField(slabOf(t, live(t).ptr).slab.slabId, 'activeDelta', 1);
    expect(judge(t, 'delta-zero', TRIM)?.message).toMatch(/has usedDelta 0, activeDelta 1 without metaLight/);
  });

  it('must: a page that became empty has zero deltas', () => {
    const s = legal(meta, [A20, { kind: 'free', thread: 0, ref: 0 }]);
    const page = slabs(s).find((sl) => sl.state === 'ACTIVE' && sl.cls === 2);
    if (page === undefined) throw new Error('expected the current page');
    s.hooks.setSlabField(page.slabId, 'usedDelta', 1);
    s.hooks.setSlabField(page.slabId, 'used', -1);
    expect(judge(s, 'delta-zero', TRIM)?.message).toMatch(/became empty but kept usedDelta 1/);
  });
});

describe('tier-release', () => {
  /** t0 allocates one block and flushes: its spare warm slot is released with 8 live bytes, the SuperSlab turns DRAINING. */
  function drained(): Session {
    const s = legal(tiny, [A7, { kind: 'flush', thread: 0 }]);
    expect(s.view.superslabs()[0]?.tier).toBe('DRAINING');
    return s;
  }

  it('must: a release that leaves a SuperSlab at or below the threshold turns it DRAINING', () => {
    const s = drained();
    const ssBase = s.view.superslabs()[0]?.base ?? 0;
    s.hooks.setTier(ssBase, 'HOT');
    expect(rejudge(s, 'tier-release')?.message).toMatch(/^a release left SuperSlab 0x00000200 at 8 live bytes, at or below the threshold 120, but it stayed HOT/);
  });

  it('must never: a DRAINING SuperSlab goes back to HOT in the same mapping (a new mapping may)', () => {
    const s = drained();
    const ssBase = s.view.superslabs()[0]?.base ?? 0;
    judge(s, 'tier-release', TRIM);
    s.hooks.setTier(ssBase, 'HOT');
    expect(rejudge(s, 'tier-release')?.message).toMatch(/^DRAINING SuperSlab 0x00000200 went back to HOT in the same mapping/);
    const remapped = preWithSuperslab(s, ssBase, (ss) => ({ ...ss, mapGeneration: ss.mapGeneration - 1 }));
    expect(rejudge(s, 'tier-release', { pre: remapped })).toBeNull();
  });

  it('must never: turning DRAINING without a release, or above the threshold', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setTier(s.view.superslabs()[0]?.base ?? 0, 'DRAINING');
    expect(judge(s, 'tier-release', TRIM)?.message).toMatch(/turned DRAINING in a step that released none of its slabs/);
    const d = drained();
    const ssBase = d.view.superslabs()[0]?.base ?? 0;
    expect(rejudge(d, 'tier-release')).toBeNull();
    const full = preWithSuperslab(d, ssBase, (ss) => ({ ...ss, liveBytes: 400 }));
    expect(rejudge(d, 'tier-release', { pre: full })?.message).toMatch(/turned DRAINING with 400 live bytes, above the threshold 120/);
  });

  it('must never: a DRAINING SuperSlab gives a slot (hand-built pre-step)', () => {
    const s = legal(tiny, [A7, { kind: 'alloc', thread: 0, size: 15 }]);
    const ssBase = s.view.superslabs()[0]?.base ?? 0;
    s.hooks.setTier(ssBase, 'DRAINING');
    const pre = preWithSuperslab(s, ssBase, (ss) => ({ ...ss, tier: 'DRAINING' }));
    expect(rejudge(s, 'tier-release', { pre })?.message).toMatch(/^DRAINING SuperSlab 0x00000200 gave slot \d+ to class 1/);
  });

  it('must: nothing outstanding and nothing held is freed; FREE is never left mapped; DRAINING needs a threshold', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setTier(s.view.superslabs()[0]?.base ?? 0, 'FREE');
    expect(judge(s, 'tier-release', TRIM)?.message).toMatch(/is FREE but still mapped outside the reserve/);
    const z = legal(profileConfig('tiny', { hotThreshold: 0 }), [A7]);
    z.hooks.setTier(z.view.superslabs()[0]?.base ?? 0, 'DRAINING');
    expect(judge(z, 'tier-release', TRIM)?.message).toMatch(/although hotThreshold 0 disables DRAINING/);
    const r = legal(tiny, [A7]);
    const a = misreporting(r.allocator, { reserve: () => [0x200] });
    expect(rejudge(r, 'tier-release', { allocator: a })?.message).toMatch(/the reserve parks 1 SuperSlabs, over emptyReserve 0/);
  });
});

describe('warm-pool-valid', () => {
  it('must: every entry ACTIVE, of that class, owned by that thread, once; at most warmPoolCap', () => {
    const s = legal(tiny, [A7, A20]);
    const c2 = slabOf(s, live(s, 1).ptr).slab.slabId;
    s.hooks.pushWarm(0, 0, c2);
    expect(judge(s, 'warm-pool-valid', TRIM)?.message).toMatch(new RegExp(`warm pool of t0 c0 holds slab ${c2} of class 2`));
    const d = legal(tiny, [A7]);
    const warm = d.view.thread(0).classes[0]?.warm[0] ?? -1;
    d.hooks.pushWarm(0, 0, warm);
    expect(judge(d, 'warm-pool-valid', TRIM)?.message).toMatch(new RegExp(`slab ${warm} is in warm pool of t0 c0 and in warm pool of t0 c0`));
    const o = legal(tiny, [A7]);
    o.hooks.setSlabField(warm, 'owner', 1);
    expect(judge(o, 'warm-pool-valid', TRIM)?.message).toMatch(new RegExp(`holds slab ${warm} owned by 1`));
    const t0 = o.view.thread(0);
    const many = misreporting(o.allocator, { thread: (t: number) => (t !== 0 ? o.view.thread(t) : { ...t0, classes: t0.classes.map((cv, c) => (c === 0 ? { ...cv, warm: [warm, warm, warm] } : cv)) }) });
    expect(rejudge(o, 'warm-pool-valid', { allocator: many })?.message).toMatch(/holds 3 slabs, over its cap 2/);
  });

  it('must: a warm-pool slab still has a free block', () => {
    const s = legal(tiny, [A7]);
    const warm = s.view.thread(0).classes[0]?.warm[0] ?? -1;
    s.hooks.setSlabField(warm, 'carved', 16);
    expect(judge(s, 'warm-pool-valid', TRIM)?.message).toMatch(new RegExp(`^a warm-pool slab must still have a free block: slab ${warm} in the warm pool of t0 c0 has none`));
  });
});

describe('registry', () => {
  it('both ways: mapped SuperSlabs are registered, registry entries are mapped', () => {
    const s = legal(tiny, [A7]);
    s.hooks.unregister(s.view.superslabs()[0]?.base ?? 0);
    expect(judge(s, 'registry', TRIM)?.message).toMatch(/is mapped but not registered/);
    const r = legal(tiny, [A7]);
    const a = misreporting(r.allocator, { registry: () => [...r.view.registry(), 0x600] });
    expect(rejudge(r, 'registry', { allocator: a })?.message).toMatch(/registry entry 0x00000600 is not a mapped SuperSlab/);
  });

  it('both ways: a SuperSlab with an ACTIVE slab of c is on c’s list; c’s list names only SuperSlabs with a slot of c', () => {
    const s = legal(tiny, [A7]);
    const off = misreporting(s.allocator, { registryByClass: (c: number) => (c === 0 ? [] : s.view.registryByClass(c)) });
    expect(rejudge(s, 'registry', { allocator: off })?.message).toMatch(/holds ACTIVE slab \d+ of class 0 but is not on the class's registry list/);
    const extra = misreporting(s.allocator, { registryByClass: (c: number) => (c === 1 ? [0x200] : s.view.registryByClass(c)) });
    expect(rejudge(s, 'registry', { allocator: extra })?.message).toMatch(/^a by-class registry list must name only SuperSlabs with a slot of the class: the list of class 1 names 0x00000200/);
  });

  it('must never: the Stage 2 hint points at an unmapped SuperSlab; the pool misreports its mapped bytes', () => {
    const s = legal(tiny, [A7]);
    s.hooks.setClassHint(1, 3 * tiny.superslabSize);
    expect(judge(s, 'registry', TRIM)?.message).toMatch(/Stage 2 hint of class 1 points at 0x00000600/);
    const p = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    const pool = p.view.pool();
    const a = misreporting(p.allocator, { pool: () => ({ ...pool, mappedBytes: pool.mappedBytes + 512 }) });
    expect(rejudge(p, 'registry', { allocator: a })?.message).toMatch(/pool reports 1024 mapped bytes, its regions total 512/);
  });
});

describe('bad-free-rejected', () => {
  it('must: a bad free is rejected with its kind and changes nothing; must never: a legal free rejected', () => {
    const s = legal(tiny, [
      { kind: 'alloc', thread: 0, size: 100 },
      { kind: 'alloc', thread: 0, size: 100 },
      { kind: 'free', thread: 0, ref: 0 },
      { kind: 'badFree', thread: 0, bad: 'double', ref: 0, offset: 0 },
    ]);
    const ev = s.lastContext?.event;
    if (ev === undefined || ev.kind !== 'badFree') throw new Error('expected a bad free');
    const other = legal(tiny, [A7, { kind: 'badFree', thread: 0, bad: 'interior', ref: 0, offset: 1 }]).lastContext?.event;
    if (other === undefined || other.kind !== 'badFree') throw new Error('expected a bad free');
    expect(rejudge(s, 'bad-free-rejected', { event: { ...ev, result: { ok: true } } })?.message).toMatch(/was accepted; expected double-free/);
    expect(rejudge(s, 'bad-free-rejected', { event: { ...ev, result: { ok: false, error: 'interior-pointer' } } })?.message).toMatch(/returned interior-pointer; expected double-free/);
    expect(rejudge(s, 'bad-free-rejected', { event: { ...ev, after: other.after } })?.message).toMatch(/changed the state: /);
    const f = legal(tiny, [A7]);
    const block = live(f);
    expect(rejudge(f, 'bad-free-rejected', { event: { kind: 'free', thread: 0, block, result: { ok: false, error: 'double-free' }, remote: false } })?.message).toMatch(/of a live block was rejected as double-free/);
  });
});

describe('no-leak', () => {
  it('must: at quiescence no SuperSlab and no pool region stays mapped', () => {
    const steps: CommandData[] = [A7, { kind: 'free', thread: 0, ref: 0 }, { kind: 'flush', thread: 0 }, { kind: 'flush', thread: 1 }];
    const s = legal(tiny, steps);
    expect(s.model.quiescent()).toBe(true);
    const ss = misreporting(s.allocator, { superslabs: () => legal(tiny, [A7]).view.superslabs() });
    expect(rejudge(s, 'no-leak', { allocator: ss })?.message).toMatch(/yet 1 SuperSlabs stay mapped \(emptyReserve 0\)/);
    const pool = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]).view.pool();
    const p = misreporting(s.allocator, { pool: () => pool });
    expect(rejudge(s, 'no-leak', { allocator: p })?.message).toMatch(/^everything is freed, yet pool regions stay mapped: 0x/);
  });
});

describe('more ways to break the same clauses (one test per message variant that the hooks cannot reach)', () => {
  it('header: not in a mapped SuperSlab; pool tag; pool chunk unknown', () => {
    const s = legal(tiny, [A7]);
    expect(rejudge(s, 'header', { allocator: misreporting(s.allocator, { mappedRegions: () => [] }) })?.message).toMatch(/is not in a mapped SuperSlab/);
    const p = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    const pool = p.view.pool();
    // The pool's own report is no longer trusted (independent reads): the header check walks the raw
    // chunk headers, and the lying report is flagged where it is compared with that walk.
    expect(rejudge(p, 'header', { allocator: misreporting(p.allocator, { pool: () => ({ ...pool, blocks: [] }) }) })).toBeNull();
    expect(rejudge(p, 'lists-wellformed', { allocator: misreporting(p.allocator, { pool: () => ({ ...pool, blocks: [] }) }) })?.message).toMatch(/pool/);
    p.hooks.pokeU8(live(p).ptr - 1, 0);
    expect(judge(p, 'header', DRAIN)?.message).toMatch(/has tag 0x0, expected/);
  });

  it('data-integrity: written bytes in unmapped memory', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 30 }, { kind: 'write', ref: 0, seed: 9 }]);
    expect(rejudge(s, 'data-integrity', { allocator: misreporting(s.allocator, { isMapped: () => false }) })?.message).toMatch(/holds written bytes in unmapped memory/);
  });

  it('census: model blocks in an unmapped SuperSlab; a non-ACTIVE slab with used', () => {
    const s = legal(tiny, [A7]);
    expect(rejudge(s, 'census', { allocator: misreporting(s.allocator, { superslabs: () => [] }) })?.message).toMatch(/whose SuperSlab is not mapped/);
    const unused = slabs(s).find((sl) => sl.state === 'UNUSED');
    if (unused === undefined) throw new Error('expected an UNUSED slot');
    s.hooks.setSlabField(unused.slabId, 'used', 1);
    expect(judge(s, 'census', TRIM)?.message).toMatch(/UNUSED slab \d+ has used 1, expected 0/);
  });

  it('lists-wellformed: an orphan list entry that is not an orphan; TinyHeap pages of a class TinyHeap does not serve', () => {
    const s = legal(tiny, [A7]);
    const owned = slabOf(s, live(s).ptr).slab.slabId;
    expect(rejudge(s, 'lists-wellformed', { allocator: misreporting(s.allocator, { orphanList: (c: number) => (c === 0 ? [owned] : []) }) })?.message).toMatch(new RegExp(`orphan list of class 0 holds slab ${owned} \\(ACTIVE, class 0, owner 0\\)`));
    const t0 = s.view.thread(0);
    const pages = misreporting(s.allocator, { thread: (t: number) => (t !== 0 ? s.view.thread(t) : { ...t0, classes: t0.classes.map((cv, c) => (c === 0 ? { ...cv, pages: { current: owned, partial: [], full: [] } } : cv)) }) });
    expect(rejudge(s, 'lists-wellformed', { allocator: pages })?.message).toMatch(/t0 holds TinyHeap pages for class 0, which TinyHeap does not serve/);
    // A TinyHeap class (C3 on tiny) holding one page more than tinyHeapMaxPages (2).
    const over = misreporting(s.allocator, { thread: (t: number) => (t !== 0 ? s.view.thread(t) : { ...t0, classes: t0.classes.map((cv, c) => (c === 3 ? { ...cv, pages: { current: owned, partial: [owned + 1], full: [owned + 2] } } : cv)) }) });
    expect(rejudge(s, 'lists-wellformed', { allocator: over })?.message).toMatch(/t0 holds 3 TinyHeap pages of class 3, over tinyHeapMaxPages 2/);
  });

  it('registry: listed twice, over capacity, out of order, a by-class entry not registered or parked, SuperSlabs and registry disagree', () => {
    const s = legal(tiny, [A7]);
    const mis = (view: Partial<AllocatorView>) => rejudge(s, 'registry', { allocator: misreporting(s.allocator, view) })?.message;
    expect(mis({ registry: () => [0x200, 0x200] })).toMatch(/the registry lists a SuperSlab twice/);
    expect(mis({ registry: () => [0x200, 0x400, 0x600, 0x800] })).toMatch(/holds 4 SuperSlabs, over its capacity 3/);
    expect(mis({ registry: () => [0x400, 0x200] })).toMatch(/the registry is not in ascending order: \[0x00000400, 0x00000200\]/);
    expect(mis({ registryByClass: (c: number) => (c === 0 ? [0x200, 0x400] : []) })).toMatch(/registry list of class 0 names 0x00000400, not registered/);
    expect(mis({ reserve: () => [0x200] })).toMatch(/registry list of class 0 names 0x00000200, parked in the reserve/);
    expect(mis({ superslabs: () => [] })).toMatch(/mapped SuperSlabs \[\] and the registry \[0x00000200\] disagree/);
  });

  it('tier-release: a reserve SuperSlab that is not FREE', () => {
    const threads = profileConfig('tiny-threads');
    const s = legal(threads, [A7]);
    const ss = s.view.superslabs();
    const a = misreporting(s.allocator, { reserve: () => [0x200], superslabs: () => ss.map((x) => ({ ...x, inReserve: true })) });
    expect(rejudge(s, 'tier-release', { allocator: a })?.message).toMatch(/reserve SuperSlab 0x00000200 is HOT, expected FREE/);
  });

  it('no-premature-failure: the tiny front failed with room in the registry (hand-built step)', () => {
    const s = legal(tiny, [A7, A7, A7, A7]);
    const event: StepEvent = { ...allocEvent(s), servedBy: 'pool' };
    expect(rejudge(s, 'no-premature-failure', { event })?.message).toMatch(/under its cap \(2 < 3\) and HOT SuperSlab 0x00000200 has UNUSED slot/);
    const a = misreporting(s.allocator, { superslabs: () => [] });
    expect(rejudge(s, 'no-premature-failure', { event, allocator: a })?.message).toMatch(/under its cap \(0 < 3\) and the registry has room \(1\/3 SuperSlabs mapped, 0 parked/);
  });
});

describe('census: a pool chunk records the request the model made (mutation survivors pool.ts:124, 137, 260)', () => {
  it('a slack byte changed in a live chunk header is caught; the clean one passes', () => {
    const off = profileConfig('tiny-off');
    const s = new Session(off);
    const alloc = commandFromData({ kind: 'alloc', thread: 0, size: 20 });
    expect(s.execute(alloc, 1).failure).toBeNull();
    const b = s.model.live()[0];
    if (b === undefined || b.front !== 'pool') throw new Error('expected a pool block on tiny-off');
    const chunk = s.lastContext?.post.poolWalk().allocatedByPtr.get(b.ptr);
    if (chunk === undefined) throw new Error('no chunk');
    // u32 chunkBytes, then u16 slack (impl/pool.ts's layout): one more byte of slack.
    s.hooks.pokeU8(chunk.chunk + 4, s.view.readU8(chunk.chunk + 4) + 1);
    const v = s.execute(commandFromData({ kind: 'stats' }), 2).failure;
    expect(v?.invariant).toBe('census');
    expect(v?.message).toMatch(/of 20 B: its chunk header records a request of 19 B/);
  });
});

describe('lists-wellformed: the pool layout contract (mutation survivors of coalesce, release, split)', () => {
  const A100: CommandData = { kind: 'alloc', thread: 0, size: 100 };
  /** Writes a chunk header's u32 chunkBytes and u16 slack (impl/pool.ts's layout) through the hooks. */
  function pokeChunk(s: Session, chunk: number, chunkBytes: number, slack: number): void {
    for (let i = 0; i < 4; i++) s.hooks.pokeU8(chunk + i, (chunkBytes >>> (8 * i)) & 0xff);
    s.hooks.pokeU8(chunk + 4, slack & 0xff);
    s.hooks.pokeU8(chunk + 5, slack >>> 8);
  }

  it('the legal state passes; two adjacent free chunks are reported', () => {
    const s = legal(tiny, [A100]);
    expect(rejudge(s, 'lists-wellformed')).toBeNull();
    // The block's chunk marked free beside the free remainder split off behind it.
    s.hooks.setPoolChunkAllocated(live(s).ptr - s.view.pool().headerBytes, false);
    expect(rejudge(s, 'lists-wellformed')?.message).toMatch(/^pool chunks 0x[0-9a-f]+ and 0x[0-9a-f]+ are adjacent and both free/);
  });

  it('a mapped region without an allocated chunk is reported', () => {
    const s = legal(tiny, [A100]);
    const chunk = live(s).ptr - s.view.pool().headerBytes;
    s.hooks.setPoolChunkAllocated(chunk, false);
    pokeChunk(s, chunk, tiny.superslabSize, 0); // one free chunk over the whole region
    expect(rejudge(s, 'lists-wellformed')?.message).toMatch(/^pool region 0x[0-9a-f]+ holds no allocated chunk but is still mapped/);
  });

  it('an allocated chunk that kept a remainder it could split off is reported', () => {
    const s = legal(tiny, [A100, A100]);
    const first = (s.model.live()[0] as { ptr: number }).ptr - s.view.pool().headerBytes;
    const bytes = s.view.readU32(first);
    // The first chunk swallows the second: twice its size, the same 100-byte request.
    pokeChunk(s, first, 2 * bytes, 2 * bytes - 8 - 100);
    expect(rejudge(s, 'lists-wellformed')?.message).toMatch(new RegExp(`of ${2 * bytes} B holds a request of 100 B \\(a ${bytes} B chunk\\): the ${bytes} B remainder was not split off`));
  });
});

describe('badFree foreign: a pool region’s first and last bytes (mutation survivors pool.ts:176, 177)', () => {
  it('one pool aim in four is the region base, rejected as an invalid pointer with nothing changed', () => {
    const s = legal(tiny, [{ kind: 'alloc', thread: 0, size: 100 }]);
    // offset = variant + 6 × param: variant 5 aims into a pool region, param 8 (a multiple of 4) at its base.
    s.execute(commandFromData({ kind: 'badFree', thread: 0, bad: 'foreign', ref: 0, offset: 5 + 6 * 8 }), s.stepsExecuted + 1);
    const event = s.lastContext?.event;
    if (event?.kind !== 'badFree') throw new Error(`expected a badFree event, got ${event?.kind}`);
    expect(event.description).toMatch(/^first byte of pool region 0x/);
    expect(event.expected.verdict).toBe('invalid-pointer');
    expect(s.lastContext && rejudge(s, 'bad-free-rejected')).toBeNull();
    // param 9 (1 mod 4): the region's last byte, inside the last chunk: an interior pointer.
    s.execute(commandFromData({ kind: 'badFree', thread: 0, bad: 'foreign', ref: 0, offset: 5 + 6 * 9 }), s.stepsExecuted + 1);
    const last = s.lastContext?.event;
    if (last?.kind !== 'badFree') throw new Error(`expected a badFree event, got ${last?.kind}`);
    expect(last.description).toMatch(/^last byte of pool region 0x/);
    expect(last.expected.verdict).toBe('interior-pointer');
    expect(rejudge(s, 'bad-free-rejected')).toBeNull();
  });
});

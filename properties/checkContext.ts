// What an invariant sees after a step: the read-only view (snapshotted once per step and shared by
// every check), the model, the step's event, the pre-step snapshot, and a heap walk that follows
// every freelist, thread cache and remote queue through raw memory itself. Every walk is bounded by
// a capacity and detects cycles by the set of visited nodes: a broken list is reported, never hangs.

import { match } from 'ts-pattern';
import type { Allocator, AllocatorConfig, AllocatorStats, AllocatorView, OsView, PoolView, SlabView, SuperSlabView, ThreadView } from '../impl/index.ts';
import type { CommandData, InvariantName } from './commandData.ts';
import type { LiveBlock, Model } from '../model/index.ts';
import { headerByteOf, regionBaseOf, slabIdOfAddress, slabStartOf, superslabUsableBytes } from '../model/index.ts';
import type { StepEvent } from './events.ts';
import { hex } from './events.ts';
import type { PoolWalk } from './poolWalk.ts';
import { walkPool } from './poolWalk.ts';

export interface Violation {
  readonly message: string;
  readonly slabId?: number;
}

/**
 * What a state check may read: the post-step state (view, allocator, snapshots of them) and the
 * model, never the step (its command, event or pre-step snapshot). The type enforces it.
 */
export type StateContext = Pick<CheckContext, 'config' | 'view' | 'allocator' | 'model' | 'post' | 'scope'>;

/**
 * What the state parts of an incremental step judge block by block (properties/stepScope.ts): the
 * slabs and the pool the step could have changed, derived from the model (the blocks the command
 * names) and from a per-slab diff of the post-step view against the pre-step snapshot — never from
 * the implementation's own account of what it touched. Null: the whole state (every K-th step, the
 * end of a run, and every step of replay, minimize and the repro writer).
 */
export interface CheckScope {
  /** Slab ids whose live blocks the per-block state checks judge. */
  readonly slabs: ReadonlySet<number>;
  /** Whether the pool's live blocks are judged. */
  readonly pool: boolean;
}

/** Whether a per-block state check judges live block `b` this step. */
export function inScope(ctx: StateContext, b: LiveBlock): boolean {
  const scope = ctx.scope;
  if (scope === null) return true;
  if (b.front !== 'tiny') return scope.pool;
  return scope.slabs.has(slabIdOfAddress(ctx.config, b.ptr - 1));
}

export type StepCheck = (ctx: CheckContext) => Violation | null;
export type StateCheck = (ctx: StateContext) => Violation | null;

/**
 * One SPEC invariant, in two parts. `checkStep` judges the step itself (what alloc or free returned,
 * or how the state moved from the pre-step snapshot); `checkState` judges the post-step state alone,
 * so the same state (view and model) always gets the same verdict whatever step led to it — the
 * explorer relies on that to judge a state once, however many transitions reach it. Neither part
 * mutates anything.
 */
export interface Invariant {
  readonly name: InvariantName;
  readonly checkStep: StepCheck | null;
  readonly checkState: StateCheck | null;
  /** The first violation of either part (the step's first), or null. */
  check(ctx: CheckContext): Violation | null;
}

export function defineInvariant(parts: { readonly name: InvariantName; readonly step?: StepCheck; readonly state?: StateCheck }): Invariant {
  const checkStep = parts.step ?? null;
  const checkState = parts.state ?? null;
  return Object.freeze({
    name: parts.name,
    checkStep,
    checkState,
    check(ctx: CheckContext): Violation | null {
      return checkStep?.(ctx) ?? checkState?.(ctx) ?? null;
    },
  });
}

/** State of one SuperSlab as remembered from before a step (for the invariants that compare). */
export interface SuperSlabSnapshot {
  readonly tier: SuperSlabView['tier'];
  readonly slabStates: readonly SlabView['state'][];
  readonly slabClasses: readonly number[];
  /** True used (stored + delta) per slab. */
  readonly slabUsed: readonly number[];
  /** Blocks waiting on the remote queue. */
  readonly slabRemote: readonly number[];
  /** Blocks carved; never decreases while a slab stays bound (a drop means it was released and rebound). */
  readonly slabCarved: readonly number[];
  /** Whether the slab's owner held it (current, warm pool, TinyHeap page). */
  readonly slabHeld: readonly boolean[];
  /** Bytes (class strides) of blocks the model held live in it. */
  readonly liveBytes: number;
  /** Owner thread per slab (-1 for none). */
  readonly slabOwners: readonly number[];
  /** Freelist and remote-queue heads per slab, as the view reports them (the incremental scope's diff). */
  readonly slabFreeHeads: readonly number[];
  readonly slabRemoteHeads: readonly number[];
  /** The view's map generation (a different one after the step: unmapped and mapped again, or taken back from the reserve). */
  readonly mapGeneration: number;
  readonly inReserve: boolean;
}

/**
 * What the policy clauses need of the pre-step state to predict which source must serve a step:
 * plain view snapshots (never live structures) and the suite's own walk of the freelists. Absent
 * when the pre-step state was too broken to walk.
 */
export interface PolicySnapshot {
  readonly config: AllocatorConfig;
  readonly slabs: ReadonlyMap<number, SlabView>;
  readonly threads: readonly ThreadView[];
  /** Per ACTIVE slab: blocks on its freelist, as the suite walked them. */
  readonly freelistLength: ReadonlyMap<number, number>;
  readonly orphans: readonly (readonly number[])[];
  readonly registryByClass: readonly (readonly number[])[];
  readonly registered: ReadonlySet<number>;
  readonly reserveLength: number;
}

export interface StepSnapshot {
  readonly superslabs: ReadonlyMap<number, SuperSlabSnapshot>;
  /** ACTIVE slots per class, counted from the slab states (not the implementation's counter). */
  readonly activeCounted: readonly number[];
  readonly softCaps: readonly number[];
  /** What stats() reported before the step (the step checks judge how each figure moved). */
  readonly stats: AllocatorStats;
  /** Mapped region bases before the step. */
  readonly regionBases: readonly number[];
  /** Warm-pool entries per thread and class (index thread * classCount + cls) before the step. */
  readonly warmLengths: readonly number[];
  /** The OS before the step: its limit, pending refusals, and the bases of every mapped region. */
  readonly os: OsView & { readonly regions: ReadonlySet<number> };
  /** Thread-cache heads and counts (index thread * classCount + cls), for the incremental scope's diff. */
  readonly tlsHeads: readonly number[];
  readonly tlsCounts: readonly number[];
  /** A signature of the pool's chunks as the view lists them (poolSignature), for the scope's diff. */
  readonly poolSignature: number;
  readonly policy?: PolicySnapshot;
}

/** Where a free block sits. */
export interface FreePlace {
  readonly list: 'freelist' | 'tls' | 'remote';
  /** Slab whose list it is (freelist, remote) or that holds the block (tls). */
  readonly slabId: number;
  readonly thread: number;
}

export type HolderRole = 'current' | 'warm' | 'page';

export interface Holder {
  readonly thread: number;
  readonly cls: number;
  readonly role: HolderRole;
}

/** Result of walking every list of the heap once. */
export interface HeapWalk {
  /** Structural problems, in walk order (lists-wellformed reports the first). */
  readonly problems: readonly Violation[];
  /** Free block base → where it is (first place found; duplicates are problems). */
  readonly places: ReadonlyMap<number, FreePlace>;
  /** Per ACTIVE slab: blocks on its own freelist (walked). */
  readonly freelistLength: ReadonlyMap<number, number>;
  /** Per ACTIVE slab: distinct carved blocks of it found on some free list. */
  readonly placedInSlab: ReadonlyMap<number, number>;
  /** Per ACTIVE slab: blocks walked on its remote queue. */
  readonly remoteLength: ReadonlyMap<number, number>;
  /** Per ACTIVE slab: blocks of it found in some thread cache. */
  readonly cachedInSlab: ReadonlyMap<number, number>;
  /** Blocks walked in thread t's cache of class c, at index t * classCount + c. */
  readonly tlsLength: readonly number[];
  /** Carved blocks of an ACTIVE slab on no free list (what the implementation holds live); computed on demand. */
  implLive(slabId: number): readonly number[];
}

/** Post-step view snapshots, computed on first use and shared by every check of the step. */
export class PostState {
  readonly view: AllocatorView;
  readonly config: AllocatorConfig;
  private cachedSuperslabs: readonly SuperSlabView[] | undefined;
  private cachedSlabs: Map<number, SlabView> | undefined;
  private cachedThreads: readonly ThreadView[] | undefined;
  private cachedHolders: Map<number, Holder[]> | undefined;
  private cachedWalk: HeapWalk | undefined;
  private cachedRegions: ReadonlyMap<number, 'superslab' | 'pool'> | undefined;
  private cachedPool: PoolView | undefined;
  private cachedPoolWalk: PoolWalk | undefined;
  private cachedStats: AllocatorStats | undefined;
  private cachedActive: number[] | undefined;
  /** Set by the session on an incremental step: the walks of the previous step the heap walk may reuse. */
  walkReuse: WalkReuse | null = null;
  /** After the heap walk: the logs of every ACTIVE slab's lists and every thread cache (the next step may reuse them). */
  walkedLogs: WalkLogs | null = null;

  constructor(view: AllocatorView) {
    this.view = view;
    this.config = view.config;
  }

  superslabs(): readonly SuperSlabView[] {
    this.cachedSuperslabs ??= this.view.superslabs();
    return this.cachedSuperslabs;
  }

  pool(): PoolView {
    this.cachedPool ??= this.view.pool();
    return this.cachedPool;
  }

  /** What stats() reports after the step (the step clauses judge each figure). */
  stats(): AllocatorStats {
    this.cachedStats ??= this.view.stats();
    return this.cachedStats;
  }

  /** The suite's own walk of the pool's raw chunk headers (the checks judge the pool from it). */
  poolWalk(): PoolWalk {
    this.cachedPoolWalk ??= walkPool(this.view);
    return this.cachedPoolWalk;
  }

  /** Mapped region base → kind. */
  regions(): ReadonlyMap<number, 'superslab' | 'pool'> {
    if (this.cachedRegions === undefined) {
      const m = new Map<number, 'superslab' | 'pool'>();
      for (const r of this.view.mappedRegions()) m.set(r.base, r.kind);
      this.cachedRegions = m;
    }
    return this.cachedRegions;
  }

  slabs(): ReadonlyMap<number, SlabView> {
    if (this.cachedSlabs === undefined) {
      const m = new Map<number, SlabView>();
      for (const ss of this.superslabs()) for (const s of ss.slabs) m.set(s.slabId, s);
      this.cachedSlabs = m;
    }
    return this.cachedSlabs;
  }

  /** The slab whose bytes hold `addr`, if its SuperSlab is mapped. */
  slabAt(addr: number): SlabView | undefined {
    return this.slabs().get(slabIdOfAddress(this.config, addr));
  }

  threads(): readonly ThreadView[] {
    this.cachedThreads ??= Array.from({ length: this.config.threads }, (_, t) => this.view.thread(t));
    return this.cachedThreads;
  }

  /** slabId → every (thread, class, role) that holds it: current slab, warm pool entry, TinyHeap page. */
  holders(): ReadonlyMap<number, readonly Holder[]> {
    if (this.cachedHolders === undefined) {
      const m = new Map<number, Holder[]>();
      const add = (id: number, h: Holder): void => {
        if (id < 0) return;
        const list = m.get(id);
        if (list === undefined) m.set(id, [h]);
        else list.push(h);
      };
      for (const tv of this.threads()) {
        tv.classes.forEach((cv, cls) => {
          add(cv.current, { thread: tv.thread, cls, role: 'current' });
          for (const id of cv.warm) add(id, { thread: tv.thread, cls, role: 'warm' });
          add(cv.pages.current, { thread: tv.thread, cls, role: 'page' });
          for (const id of cv.pages.partial) add(id, { thread: tv.thread, cls, role: 'page' });
          for (const id of cv.pages.full) add(id, { thread: tv.thread, cls, role: 'page' });
        });
      }
      this.cachedHolders = m;
    }
    return this.cachedHolders;
  }

  /** Held by its owner: the owner's current slab, warm-pool entry or TinyHeap page of the slab's class. */
  heldByOwner(slab: SlabView): boolean {
    if (slab.owner < 0) return false;
    const hs = this.holders().get(slab.slabId);
    return hs !== undefined && hs.some((h) => h.thread === slab.owner && h.cls === slab.cls);
  }

  /** Held as a TinyHeap page by its owner. */
  heldAsPage(slab: SlabView): boolean {
    if (slab.owner < 0) return false;
    const hs = this.holders().get(slab.slabId);
    return hs !== undefined && hs.some((h) => h.thread === slab.owner && h.cls === slab.cls && h.role === 'page');
  }

  walk(): HeapWalk {
    this.cachedWalk ??= walkHeap(this);
    return this.cachedWalk;
  }

  /** ACTIVE slots per class counted from slab states. */
  activeCounted(): readonly number[] {
    if (this.cachedActive !== undefined) return this.cachedActive;
    const counts = new Array<number>(this.view.classCount).fill(0);
    for (const ss of this.superslabs()) {
      for (const s of ss.slabs) if (s.state === 'ACTIVE' && s.cls >= 0 && s.cls < counts.length) counts[s.cls]++;
    }
    this.cachedActive = counts;
    return counts;
  }
}

export class CheckContext {
  readonly config: AllocatorConfig;
  readonly view: AllocatorView;
  readonly allocator: Allocator;
  readonly model: Model;
  readonly step: number;
  readonly command: CommandData;
  readonly event: StepEvent;
  readonly pre: StepSnapshot;
  readonly post: PostState;
  /** Set by the session before the step is judged: null judges the whole state. */
  scope: CheckScope | null = null;

  constructor(args: {
    allocator: Allocator;
    model: Model;
    step: number;
    command: CommandData;
    event: StepEvent;
    pre: StepSnapshot;
  }) {
    this.allocator = args.allocator;
    this.view = args.allocator.view;
    this.config = this.view.config;
    this.model = args.model;
    this.step = args.step;
    this.command = args.command;
    this.event = args.event;
    this.pre = args.pre;
    this.post = new PostState(this.view);
  }
}

/** Live bytes (class strides of the model's live tiny blocks) per SuperSlab base. */
export function modelLiveBytesBySuperslab(config: AllocatorConfig, model: Model): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of model.live()) {
    if (b.front !== 'tiny' || b.sizeClass < 0) continue;
    const base = regionBaseOf(config, b.ptr - 1);
    m.set(base, (m.get(base) ?? 0) + (config.strides[b.sizeClass] as number));
  }
  return m;
}

export function takeSnapshot(post: PostState, model: Model): StepSnapshot {
  const liveBytes = modelLiveBytesBySuperslab(post.config, model);
  const superslabs = new Map<number, SuperSlabSnapshot>();
  const remoteLength = post.superslabs().length > 0 ? post.walk().remoteLength : new Map<number, number>();
  for (const ss of post.superslabs()) {
    // One pass over the slabs (this snapshot is taken after every step).
    const n = ss.slabs.length;
    const slabStates = new Array<SlabView['state']>(n);
    const slabClasses = new Array<number>(n);
    const slabUsed = new Array<number>(n);
    const slabCarved = new Array<number>(n);
    const slabRemote = new Array<number>(n);
    const slabHeld = new Array<boolean>(n);
    const slabOwners = new Array<number>(n);
    const slabFreeHeads = new Array<number>(n);
    const slabRemoteHeads = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const s = ss.slabs[i] as SlabView;
      const active = s.state === 'ACTIVE';
      slabStates[i] = s.state;
      slabClasses[i] = s.cls;
      slabUsed[i] = s.used + s.usedDelta;
      slabCarved[i] = s.carved;
      // Walked, not the slab's remoteCount (a queue exists only on ACTIVE slabs).
      slabRemote[i] = active ? (remoteLength.get(s.slabId) ?? 0) : 0;
      slabHeld[i] = active && post.heldByOwner(s);
      slabOwners[i] = s.owner;
      slabFreeHeads[i] = s.freelistHead;
      slabRemoteHeads[i] = s.remoteHead;
    }
    superslabs.set(ss.base, {
      tier: ss.tier,
      slabStates,
      slabClasses,
      slabUsed,
      slabCarved,
      slabRemote,
      slabHeld,
      liveBytes: liveBytes.get(ss.base) ?? 0,
      slabOwners,
      slabFreeHeads,
      slabRemoteHeads,
      mapGeneration: ss.mapGeneration,
      inReserve: ss.inReserve,
    });
  }
  const classCount = post.view.classCount;
  const softCaps = new Array<number>(classCount);
  for (let c = 0; c < classCount; c++) softCaps[c] = post.view.softCap(c);
  const osNow = post.view.os();
  const regionBases = [...post.regions().keys()];
  const os = { mapLimit: osNow.mapLimit, refusalsPending: osNow.refusalsPending, regions: new Set(regionBases) };
  const policy = takePolicySnapshot(post);
  // Plain loops, not flatMap: this runs after every step (flatMap was most of its cost, measured).
  const threads = post.threads();
  const cacheCount = threads.length * classCount;
  const tlsHeads = new Array<number>(cacheCount);
  const tlsCounts = new Array<number>(cacheCount);
  const warmLengths = new Array<number>(cacheCount);
  for (let t = 0; t < threads.length; t++) {
    const classes = (threads[t] as ThreadView).classes;
    for (let c = 0; c < classCount; c++) {
      const cv = classes[c];
      const index = t * classCount + c;
      tlsHeads[index] = cv === undefined ? 0 : cv.tlsHead;
      tlsCounts[index] = cv === undefined ? 0 : cv.tlsCount;
      warmLengths[index] = cv === undefined ? 0 : cv.warm.length;
    }
  }
  const activeCounted = post.activeCounted().slice();
  const poolSig = poolSignature(post.pool());
  const stats = post.stats();
  if (policy === undefined) return { tlsHeads, tlsCounts, poolSignature: poolSig, superslabs, activeCounted, softCaps, stats, regionBases, warmLengths, os };
  return { tlsHeads, tlsCounts, poolSignature: poolSig, superslabs, activeCounted, softCaps, stats, regionBases, warmLengths, os, policy };
}

/** A hash of every pool chunk's place, size, request and allocated flag (a change puts the pool in scope). */
export function poolSignature(pool: PoolView): number {
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v | 0), 0x01000193);
  };
  mix(pool.blocks.length);
  for (const b of pool.blocks) {
    mix(b.chunk);
    mix(b.chunkBytes);
    mix(b.requestedBytes);
    mix(b.allocated ? 1 : 0);
  }
  return h >>> 0;
}

function takePolicySnapshot(post: PostState): PolicySnapshot | undefined {
  try {
    const view = post.view;
    const orphans = new Array<readonly number[]>(view.classCount);
    const registryByClass = new Array<readonly number[]>(view.classCount);
    for (let c = 0; c < view.classCount; c++) {
      orphans[c] = view.orphanList(c);
      registryByClass[c] = view.registryByClass(c);
    }
    return {
      config: post.config,
      slabs: post.slabs(),
      threads: post.threads(),
      freelistLength: post.walk().freelistLength,
      orphans,
      registryByClass,
      registered: new Set(view.registry()),
      reserveLength: view.reserve().length,
    };
  } catch {
    return undefined; // a state too broken to read: the policies judge nothing after it
  }
}

/** Utilization threshold in live bytes. */
export function hotThresholdBytes(config: AllocatorConfig): number {
  return config.hotThreshold * superslabUsableBytes(config);
}

// --- the heap walk ------------------------------------------------------------------------------

interface NodeRule {
  /** Returns a problem description for a node, or null if the node is acceptable. */
  (base: number): { problem: string; fatal: boolean; slabId?: number } | null;
}

/**
 * Walks a singly linked list of block bases (link at base + linkOffset) through raw memory, bounded
 * by maxNodes, cycles detected by the set of visited nodes; reports each problem and each node
 * accepted. Returns the nodes visited.
 */
function walkLinkedList(
  view: AllocatorView,
  list: { readonly head: number; readonly linkOffset: number; readonly maxNodes: number; readonly listName: string; readonly rule: NodeRule; readonly ownerSlab: number | undefined },
  onProblem: (v: Violation) => void,
  onNode: (base: number) => void,
): number {
  const { linkOffset, maxNodes, listName, rule, ownerSlab } = list;
  const visited = new Set<number>();
  let cur = list.head;
  let n = 0;
  while (cur !== 0) {
    if (visited.has(cur)) {
      onProblem({ message: `${listName} has a cycle through ${hex(cur)} after ${n} nodes`, slabId: ownerSlab });
      return n;
    }
    if (n >= maxNodes) {
      onProblem({ message: `${listName} is longer than its bound of ${maxNodes} nodes`, slabId: ownerSlab });
      return n;
    }
    if (!view.isMapped(cur) || !view.isMapped(cur + linkOffset + 3)) {
      onProblem({ message: `${listName} node ${hex(cur)} is not in mapped memory`, slabId: ownerSlab });
      return n;
    }
    const verdict = rule(cur);
    if (verdict !== null) {
      onProblem({ message: `${listName} node ${hex(cur)}: ${verdict.problem}`, slabId: verdict.slabId ?? ownerSlab });
      if (verdict.fatal) return n;
    }
    visited.add(cur);
    onNode(cur);
    n++;
    cur = view.readU32(cur + linkOffset);
  }
  return n;
}

function walkHeap(post: PostState): HeapWalk {
  const config = post.config;
  const view = post.view;
  const problems: Violation[] = [];
  const places = new Map<number, FreePlace>();
  const freelistLength = new Map<number, number>();
  const remoteLength = new Map<number, number>();
  const cachedInSlab = new Map<number, number>();
  const tlsLength = new Array<number>(config.threads * view.classCount).fill(0);
  // (implLive is computed on demand below.)
  const stridesOk = (cls: number): boolean => cls >= 0 && cls < config.strides.length;

  let totalCarved = 0;
  for (const ss of post.superslabs()) for (const s of ss.slabs) if (s.state === 'ACTIVE') totalCarved += Math.max(0, s.carved);

  /** Where block `base` lies, judged from the slab geometry the config dictates. */
  const blockOf = (base: number): { slab: SlabView; index: number; onBoundary: boolean } | null => {
    const slab = post.slabAt(base);
    if (slab === undefined || !stridesOk(slab.cls)) return null;
    const start = slabStartOf(config, slab.ssBase, slab.slabIndex);
    const stride = config.strides[slab.cls] as number;
    const off = base - start;
    if (off < 0) return null;
    return { slab, index: Math.floor(off / stride), onBoundary: off % stride === 0 };
  };

  // Distinct carved blocks of each ACTIVE slab that sit on a free list (every placed node passed its
  // list's bounds rule, so it is a carved block of the slab named in its place).
  const placedInSlab = new Map<number, number>();
  const place = (base: number, p: FreePlace, listName: string): void => {
    const prior = places.get(base);
    if (prior !== undefined) {
      problems.push({
        message: `block ${hex(base)} is on ${listName} and also on ${describePlace(prior)}`,
        slabId: p.slabId,
      });
      return;
    }
    places.set(base, p);
    if (p.slabId >= 0) placedInSlab.set(p.slabId, (placedInSlab.get(p.slabId) ?? 0) + 1);
  };

  /** Walks thread `thread`'s cache of class `cls` into a log (reading the nodes' slabs' view fields and bytes). */
  const walkCacheList = (head: number, count: number, maxNodes: number, cls: number, thread: number, name: string): CacheLog => {
    const events: SlabWalkEvent[] = [];
    const slabIds = new Set<number>();
    const header = headerByteOf(config, cls);
    // The slab the rule found for the node being walked (onNode runs right after the rule, for
    // the same node, and only when the rule found one).
    let nodeSlab = -1;
    const rule: NodeRule = (base) => {
      const where = blockOf(base);
      if (where === null) return { problem: 'not in a slab with a class', fatal: true };
      const { slab, index, onBoundary } = where;
      nodeSlab = slab.slabId;
      slabIds.add(slab.slabId);
      if (slab.state !== 'ACTIVE') return { problem: `in slab ${slab.slabId}, which is ${slab.state}`, fatal: true, slabId: slab.slabId };
      if (slab.cls !== cls) return { problem: `in slab ${slab.slabId} of class ${slab.cls}`, fatal: true, slabId: slab.slabId };
      if (slab.owner !== thread) return { problem: `in slab ${slab.slabId} owned by ${slab.owner}`, fatal: false, slabId: slab.slabId };
      if (!onBoundary) return { problem: `not on a block boundary of slab ${slab.slabId}`, fatal: true, slabId: slab.slabId };
      if (index >= slab.carved) return { problem: `block ${index} beyond carved ${slab.carved} of slab ${slab.slabId}`, fatal: true, slabId: slab.slabId };
      if (view.readU8(base) !== header) {
        return { problem: `header 0x${view.readU8(base).toString(16)} ≠ 0x${header.toString(16)}`, fatal: false, slabId: slab.slabId };
      }
      return null;
    };
    let slabless = false;
    const tracked: NodeRule = (base) => {
      nodeSlab = -1;
      const v = rule(base);
      if (nodeSlab < 0) slabless = true;
      return v;
    };
    const nodes = walkLinkedList(
      view,
      { head, linkOffset: 1, maxNodes, listName: name, rule: tracked, ownerSlab: undefined },
      (v) => events.push({ kind: 'problem', violation: v }),
      (b) => events.push({ kind: 'place', base: b, place: { list: 'tls', slabId: nodeSlab, thread }, listName: `the ${name}` }),
    );
    // A walk stopped by its bound (which moves with the carved total), or through a node in no
    // slab (whose verdict a SuperSlab mapped there later would change), is never reused.
    return { head, count, events, nodes, reusable: nodes < maxNodes && !slabless, slabIds };
  };

  // Per ACTIVE slab: its freelist (link at base+1, header kept) and remote queue (link over the
  // header), walked into a log of what the walk found (problems, nodes placed, in order) and then
  // applied. An incremental step reuses the log of a slab its scope leaves out (the slab's view
  // fields and the blocks named did not change: properties/stepScope.ts); the whole state is walked
  // afresh on every whole check.
  const reuse = post.walkReuse;
  const logs = new Map<number, SlabLog>();
  for (const ss of post.superslabs()) {
    for (const slab of ss.slabs) {
      if (slab.state !== 'ACTIVE') continue;
      const prior = reuse?.slab(slab.slabId);
      const log = prior !== undefined && sameSlabKey(prior, slab) ? prior : walkSlabLists(post, ss.base, slab);
      logs.set(slab.slabId, log);
      for (const e of log.events) {
        if (e.kind === 'problem') problems.push(e.violation);
        else place(e.base, e.place, e.listName);
      }
      if (log.freelistLength >= 0) freelistLength.set(slab.slabId, log.freelistLength);
      if (log.remoteLength >= 0) remoteLength.set(slab.slabId, log.remoteLength);
    }
  }

  // Thread caches: blocks of ACTIVE slabs of that class owned by that thread, header kept. Walked
  // into a log like the slabs' lists; an incremental step reuses the log of a cache whose head and
  // count are unchanged, whose thread the command does not name, and none of whose slabs is in the
  // step's scope (the rule reads the node's slab fields and bytes only).
  const cacheLogs = new Map<number, CacheLog>();
  for (const tv of post.threads()) {
    tv.classes.forEach((cv, cls) => {
      if (cv.tlsHead === 0 && cv.tlsCount === 0) return;
      const index = tv.thread * view.classCount + cls;
      const name = `TLS cache of t${tv.thread} c${cls}`;
      const prior = reuse?.cache(index);
      const maxNodes = totalCarved + 1;
      const log =
        prior !== undefined && prior.head === cv.tlsHead && prior.count === cv.tlsCount && prior.reusable && prior.nodes < maxNodes
          ? prior
          : walkCacheList(cv.tlsHead, cv.tlsCount, maxNodes, cls, tv.thread, name);
      cacheLogs.set(index, log);
      for (const e of log.events) {
        if (e.kind === 'problem') problems.push(e.violation);
        else {
          const id = e.place.slabId;
          if (!places.has(e.base) && id >= 0) cachedInSlab.set(id, (cachedInSlab.get(id) ?? 0) + 1);
          place(e.base, e.place, e.listName);
        }
      }
      const n = log.nodes;
      tlsLength[index] = n;
      if (n !== cv.tlsCount) problems.push({ message: `${name} holds ${n} blocks, tlsCount says ${cv.tlsCount}` });
      if (n > (config.tlsCap[cls] as number)) problems.push({ message: `${name} holds ${n} blocks (walked), over its cap ${config.tlsCap[cls]}` });
    });
  }
  post.walkedLogs = { slabs: logs, caches: cacheLogs };

  const implLive = (slabId: number): number[] => {
    const slab = post.slabs().get(slabId);
    if (slab === undefined || slab.state !== 'ACTIVE' || !stridesOk(slab.cls)) return [];
    const stride = config.strides[slab.cls] as number;
    const start = slabStartOf(config, slab.ssBase, slab.slabIndex);
    const usable = slab.slabIndex === 0 ? config.slabSize - config.ssHeaderBytes : config.slabSize;
    const carved = Math.max(0, Math.min(slab.carved, Math.floor(usable / stride)));
    const live: number[] = [];
    for (let i = 0; i < carved; i++) {
      const base = start + i * stride;
      if (!places.has(base)) live.push(base);
    }
    return live;
  };
  return { problems, places, freelistLength, placedInSlab, remoteLength, cachedInSlab, tlsLength, implLive };
}

/** What walking one ACTIVE slab's freelist and remote queue found, in walk order. */
export type SlabWalkEvent =
  | { readonly kind: 'problem'; readonly violation: Violation }
  | { readonly kind: 'place'; readonly base: number; readonly place: FreePlace; readonly listName: string };

export interface SlabLog {
  /** The slab's view fields the walk read (slabLogKey): a log is reused only while they are unchanged. */
  readonly key: readonly number[];
  readonly events: readonly SlabWalkEvent[];
  /** Nodes walked on the freelist and the remote queue (-1: the slab has no valid class, not walked). */
  readonly freelistLength: number;
  readonly remoteLength: number;
}

/** What walking one thread cache found, in walk order, and what it read. */
export interface CacheLog {
  readonly head: number;
  readonly count: number;
  readonly events: readonly SlabWalkEvent[];
  readonly nodes: number;
  /** False when the walk stopped at its bound or went through a node in no slab: never reused. */
  readonly reusable: boolean;
  /** The slabs whose fields and bytes the walk read (the nodes' slabs). */
  readonly slabIds: ReadonlySet<number>;
}

/** Every list walk of one step (a thread cache's index is thread * classCount + cls). */
export interface WalkLogs {
  readonly slabs: ReadonlyMap<number, SlabLog>;
  readonly caches: ReadonlyMap<number, CacheLog>;
}

/** The walks an incremental step may reuse (session.ts decides from the step's scope). */
export interface WalkReuse {
  slab(slabId: number): SlabLog | undefined;
  cache(index: number): CacheLog | undefined;
}

/** The view fields of a slab that its list walk reads. */
export function slabLogKey(slab: SlabView): readonly number[] {
  return [slab.cls, slab.carved, slab.freelistHead, slab.remoteHead, slab.remoteCount, slab.owner, slab.start, slab.capacity, slab.slabIndex, slab.ssBase];
}

/** Whether `log` was walked from a slab with the view fields `slab` has now. */
export function sameSlabKey(log: SlabLog, slab: SlabView): boolean {
  const key = slabLogKey(slab);
  for (let i = 0; i < key.length; i++) if (key[i] !== log.key[i]) return false;
  return true;
}

/** Walks one ACTIVE slab's two lists (reading only the slab's view fields and its carved blocks). */
function walkSlabLists(post: PostState, ssBase: number, slab: SlabView): SlabLog {
  const config = post.config;
  const view = post.view;
  const events: SlabWalkEvent[] = [];
  const problem = (v: Violation): void => {
    events.push({ kind: 'problem', violation: v });
  };
  if (!(slab.cls >= 0 && slab.cls < config.strides.length)) {
    problem({ message: `ACTIVE slab ${slab.slabId} has no valid class (${slab.cls})`, slabId: slab.slabId });
    return { key: slabLogKey(slab), events, freelistLength: -1, remoteLength: -1 };
  }
  const stride = config.strides[slab.cls] as number;
  const start = slabStartOf(config, ssBase, slab.slabIndex);
  const usable = slab.slabIndex === 0 ? config.slabSize - config.ssHeaderBytes : config.slabSize;
  const capacity = Math.floor(usable / stride);
  if (slab.start !== start) problem({ message: `slab ${slab.slabId} starts at ${hex(slab.start)}, layout says ${hex(start)}`, slabId: slab.slabId });
  if (slab.capacity !== capacity) problem({ message: `slab ${slab.slabId} capacity ${slab.capacity}, layout says ${capacity} for class ${slab.cls}`, slabId: slab.slabId });
  if (slab.carved < 0 || slab.carved > capacity) problem({ message: `slab ${slab.slabId} carved ${slab.carved} outside [0, ${capacity}]`, slabId: slab.slabId });
  const header = headerByteOf(config, slab.cls);
  const carvedEnd = start + Math.min(slab.carved, capacity) * stride;
  const inThisSlab =
    (checkHeader: boolean): NodeRule =>
    (base) => {
      const off = base - start;
      if (off < 0 || base >= carvedEnd) return { problem: `outside the carved blocks of slab ${slab.slabId}`, fatal: true };
      if (off % stride !== 0) return { problem: `not on a block boundary of slab ${slab.slabId}`, fatal: true };
      if (checkHeader && view.readU8(base) !== header) return { problem: `header 0x${view.readU8(base).toString(16)} ≠ 0x${header.toString(16)}`, fatal: false };
      return null;
    };
  const walk = (head: number, linkOffset: number, listName: string, checkHeader: boolean, list: 'freelist' | 'remote', placeName: string): number =>
    walkLinkedList(view, { head, linkOffset, maxNodes: capacity + 1, listName, rule: inThisSlab(checkHeader), ownerSlab: slab.slabId }, problem, (base) =>
      events.push({ kind: 'place', base, place: { list, slabId: slab.slabId, thread: -1 }, listName: placeName }),
    );
  const flen = walk(slab.freelistHead, 1, `freelist of slab ${slab.slabId}`, true, 'freelist', `the freelist of slab ${slab.slabId}`);
  const rlen = walk(slab.remoteHead, 0, `remote queue of slab ${slab.slabId}`, false, 'remote', `the remote queue of slab ${slab.slabId}`);
  if (rlen !== slab.remoteCount) {
    problem({ message: `remote queue of slab ${slab.slabId} holds ${rlen} blocks, remoteCount says ${slab.remoteCount}`, slabId: slab.slabId });
  }
  if (slab.owner < 0 && rlen > 0) {
    problem({ message: `orphan slab ${slab.slabId} has ${rlen} blocks on a remote queue (frees to orphans go to the freelist)`, slabId: slab.slabId });
  }
  return { key: slabLogKey(slab), events, freelistLength: flen, remoteLength: rlen };
}

function describePlace(p: FreePlace): string {
  return match(p.list)
    .with('freelist', () => `the freelist of slab ${p.slabId}`)
    .with('remote', () => `the remote queue of slab ${p.slabId}`)
    .with('tls', () => `the TLS cache of t${p.thread}`)
    .exhaustive();
}

// The abstract reference model (SPEC §7): sets of live blocks per class with their requested size,
// canary bytes and allocating thread, the soft caps and route profile the commands set, a bounded
// graveyard of freed addresses for stale and double frees, and the prediction of what each
// allocation may return. Deterministic: no clock, no randomness.

import { match } from 'ts-pattern';
import type { AllocatorConfig, RouteKind, RouteProfile } from '../impl/index.ts';
import { modelClassOfSize, modelRouteOf, POOL_CLASS } from './sizeClass.ts';

export type BlockFront = 'tiny' | 'pool';

/**
 * Canary bytes written over a block's whole requested range: byte i is canaryByte(seed, i). Only
 * the seed and length are stored; the pattern is recomputed when checked.
 */
export interface Canary {
  readonly seed: number;
  readonly sizeBytes: number;
  /** The pattern itself (byte i = canaryByte(seed, i)), computed once. */
  readonly bytes: Uint8Array;
}

export interface LiveBlock {
  /** Allocation serial number in this run (stable name for messages). */
  readonly serial: number;
  readonly ptr: number;
  readonly sizeBytes: number;
  /** Class of the requested size computed by the model; POOL_CLASS for a pool size. */
  readonly sizeClass: number;
  /** Which front served it (a TINY_FIRST fallback is a pool block of a tiny size class). */
  readonly front: BlockFront;
  readonly thread: number;
  /** Null until something is written into it (size 0 blocks never get one). */
  readonly canary: Canary | null;
}

/** A freed address kept for double and stale frees, with what the model knew of it when freed. */
export interface GraveEntry {
  readonly ptr: number;
  readonly front: BlockFront;
  readonly sizeClass: number;
  readonly regionBase: number;
}

/** How many freed addresses the graveyard remembers (oldest dropped first). */
export const GRAVEYARD_CAPACITY = 16;

export type AllocOutcome = 'tiny' | 'pool' | 'failed';

export interface AllocPrediction {
  readonly sizeClass: number;
  /** Route of the class, or 'POOL' for a size beyond the last class. */
  readonly route: RouteKind | 'POOL';
  /** What the allocation may legally return (the invariants judge whether a failure was premature). */
  readonly allowed: readonly AllocOutcome[];
  /** True when the tiny front is asked first (a 0 or pool result is then a tiny failure). */
  readonly tinyFirst: boolean;
  /**
   * True when the OS may refuse a map (a limit is set, or refusals were ordered and may still be
   * pending): only then may a refused map excuse a failure that needed a new region (SPEC §2).
   */
  readonly osMayRefuse: boolean;
}

/**
 * Seeds FILL_SEED_BASE | b name the fill pattern: every byte b (a block filled with bytes that look
 * like a header, which an application may write: the free path must not take data for a header).
 */
export const FILL_SEED_BASE = 0x7f000000;

/** The seed of the pattern whose every byte is `byte`. */
export function fillSeed(byte: number): number {
  return FILL_SEED_BASE | (byte & 0xff);
}

/** Canary pattern: a byte per offset, derived from a seed so that two writes rarely coincide (or a fill, see FILL_SEED_BASE). */
export function canaryByte(seed: number, offset: number): number {
  if ((seed & 0xffffff00) === FILL_SEED_BASE) return seed & 0xff;
  return (Math.imul(seed + 1, 0x9e3779b1) + Math.imul(offset + 1, 0x85ebca6b) + (offset >>> 3)) >>> 24;
}

export function makeCanary(seed: number, sizeBytes: number): Canary | null {
  if (sizeBytes <= 0) return null;
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = canaryByte(seed, i);
  return { seed, sizeBytes, bytes };
}

export function canaryBytes(canary: Canary): Uint8Array {
  return canary.bytes;
}

export class Model {
  readonly config: AllocatorConfig;
  private readonly liveList: LiveBlock[] = [];
  private readonly liveByPtr = new Map<number, LiveBlock>();
  private readonly graves: GraveEntry[] = [];
  private readonly caps: number[];
  private profile: RouteProfile;
  /** Per thread: true once the thread was flushed (or exited) after the last alloc/free of anyone. */
  private readonly settled: boolean[];
  private serialCounter = 0;
  /** The OS map limit the config and the osLimit commands set (null: none). */
  private osLimitNow: number | null;
  /** Refusals the last osRefuse ordered: an upper bound of those still pending (maps use them up unseen). */
  private osRefusalBound = 0;

  constructor(config: AllocatorConfig) {
    this.config = config;
    this.osLimitNow = config.osMapLimit;
    this.caps = [...config.softCap];
    this.profile = config.routeProfile;
    this.settled = new Array<boolean>(config.threads).fill(true);
  }

  // --- reading ---------------------------------------------------------------------------------

  live(): readonly LiveBlock[] {
    return this.liveList;
  }

  liveCount(): number {
    return this.liveList.length;
  }

  /** The live block a command's `ref` names (index modulo the live count), or undefined if none. */
  liveAt(ref: number): LiveBlock | undefined {
    const n = this.liveList.length;
    if (n === 0) return undefined;
    return this.liveList[((ref % n) + n) % n];
  }

  liveByPointer(ptr: number): LiveBlock | undefined {
    return this.liveByPtr.get(ptr);
  }

  isLive(ptr: number): boolean {
    return this.liveByPtr.has(ptr);
  }

  graveyard(): readonly GraveEntry[] {
    return this.graves;
  }

  /** Graveyard entries whose address is not live again (the model never aims a bad free at a live block). */
  deadGraves(): GraveEntry[] {
    return this.graves.filter((g) => !this.liveByPtr.has(g.ptr));
  }

  softCap(cls: number): number {
    return this.caps[cls] as number;
  }

  routeProfile(): RouteProfile {
    return this.profile;
  }

  routeOfClass(cls: number): RouteKind | 'POOL' {
    return cls === POOL_CLASS ? 'POOL' : modelRouteOf(this.profile, cls, this.config.strides.length);
  }

  /** Everything freed and every thread flushed since: the state in which `no-leak` is judged. */
  /** Per thread: flushed (or exited) since the last alloc/free of anyone. */
  settledThreads(): readonly boolean[] {
    return this.settled;
  }

  /** A deep, independent copy (for the explorer); the live list and its index stay aliased in the copy. */
  clone(): Model {
    const copy = new Model(this.config);
    for (const block of this.liveList) {
      const b: LiveBlock = { ...block };
      copy.liveList.push(b);
      copy.liveByPtr.set(b.ptr, b);
    }
    copy.graves.push(...this.graves);
    copy.caps.splice(0, copy.caps.length, ...this.caps);
    copy.profile = this.profile;
    copy.settled.splice(0, copy.settled.length, ...this.settled);
    copy.serialCounter = this.serialCounter;
    copy.osLimitNow = this.osLimitNow;
    copy.osRefusalBound = this.osRefusalBound;
    return copy;
  }

  quiescent(): boolean {
    return this.liveList.length === 0 && this.settled.every((s) => s);
  }

  nextSerial(): number {
    return this.serialCounter;
  }

  /** The OS map limit in force (null: none). */
  osLimit(): number | null {
    return this.osLimitNow;
  }

  /** At most this many maps may still be refused by the last osRefuse. */
  osRefusalsBound(): number {
    return this.osRefusalBound;
  }

  /** What alloc(size) may return under the current route profile (SPEC §5, §6). */
  predictAlloc(sizeBytes: number): AllocPrediction {
    const sizeClass = modelClassOfSize(this.config.strides, sizeBytes);
    const route = this.routeOfClass(sizeClass);
    const osMayRefuse = this.osLimitNow !== null || this.osRefusalBound > 0;
    return match(route)
      .returnType<AllocPrediction>()
      .with('TINY_ONLY', () => ({ sizeClass, route, allowed: ['tiny', 'failed'], tinyFirst: true, osMayRefuse }))
      .with('TINY_FIRST', () => ({ sizeClass, route, allowed: ['tiny', 'pool', 'failed'], tinyFirst: true, osMayRefuse }))
      .with('POOL_ONLY', 'POOL', () => ({ sizeClass, route, allowed: ['pool', 'failed'], tinyFirst: false, osMayRefuse }))
      .exhaustive();
  }

  // --- updating --------------------------------------------------------------------------------

  /** Records a fresh block; returns it. The caller has already checked that `ptr` was not live. */
  recordAlloc(ptr: number, sizeBytes: number, sizeClass: number, front: BlockFront, thread: number): LiveBlock {
    const block: LiveBlock = { serial: this.serialCounter++, ptr, sizeBytes, sizeClass, front, thread, canary: null };
    this.liveList.push(block);
    this.liveByPtr.set(ptr, block);
    this.unsettleAll();
    return block;
  }

  recordWrite(ptr: number, canary: Canary | null): void {
    const old = this.liveByPtr.get(ptr);
    if (old === undefined) throw new Error(`model: write to a block that is not live (0x${ptr.toString(16)})`);
    const updated: LiveBlock = { ...old, canary };
    this.liveByPtr.set(ptr, updated);
    const idx = this.liveList.indexOf(old);
    this.liveList[idx] = updated;
  }

  /** Removes a live block and remembers its address in the bounded graveyard. */
  recordFree(ptr: number): LiveBlock {
    const block = this.liveByPtr.get(ptr);
    if (block === undefined) throw new Error(`model: free of a block that is not live (0x${ptr.toString(16)})`);
    this.liveByPtr.delete(ptr);
    this.liveList.splice(this.liveList.indexOf(block), 1);
    const existing = this.graves.findIndex((g) => g.ptr === ptr);
    if (existing >= 0) this.graves.splice(existing, 1);
    this.graves.push({
      ptr,
      front: block.front,
      sizeClass: block.sizeClass,
      regionBase: ptr - (ptr % this.config.superslabSize),
    });
    if (this.graves.length > GRAVEYARD_CAPACITY) this.graves.shift();
    this.unsettleAll();
    return block;
  }

  setSoftCap(cls: number, cap: number): void {
    this.caps[cls] = cap;
  }

  setRouteProfile(profile: RouteProfile): void {
    this.profile = profile;
  }

  setOsLimit(limit: number | null): void {
    this.osLimitNow = limit;
  }

  setOsRefusals(count: number): void {
    this.osRefusalBound = count;
  }

  markFlushed(thread: number): void {
    this.settled[thread] = true;
  }

  private unsettleAll(): void {
    this.settled.fill(false);
  }
}

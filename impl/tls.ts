// The TLS front (SPEC §5.1): per-thread caches of free blocks, refill from the current slab, the
// warm pool, the shared pool, and the drains that give blocks back to their slabs.

import {
  HELD_CURRENT,
  HELD_NONE,
  HELD_WARM,
  Heap,
  MAP_SITE_PREFILL,
  HeapCorruptionError,
  SLAB_ACTIVE,
} from './heap.ts';
import { acquireSlab, releaseSlab } from './sharedPool.ts';

/** Pops the head of cache i (class c), checking its header: a wrong one is corruption, never returned. */
export function popTls(h: Heap, i: number, c: number, base: number): number {
  const k = base >>> h.ssShift;
  const m = h.memOf(base);
  const o = base & h.ssMask;
  if (m[o] !== (h.magic | c)) {
    throw new HeapCorruptionError(`TLS cache of class ${c} holds block 0x${base.toString(16)} with header 0x${(m[o] as number).toString(16)}`, base);
  }
  h.tlsHead[i] = ((m[o + 1] as number) | ((m[o + 2] as number) << 8) | ((m[o + 3] as number) << 16) | ((m[o + 4] as number) << 24)) >>> 0;
  h.tlsCount[i] = (h.tlsCount[i] as number) - 1;
  h.setLiveByBase(k * h.slabsPerSS + (o >>> h.slabShift), base);
  h.ssTotalActive[k] = (h.ssTotalActive[k] as number) + 1;
  return base;
}

/** Owner free of a TLS-class block: push on the cache; an over-cap cache drains half of itself. */
export function pushTls(h: Heap, t: number, c: number, base: number): void {
  const i = t * h.classCount + c;
  const next = h.tlsHead[i] as number;
  const m = h.memOf(base);
  const o = (base & h.ssMask) + 1;
  m[o] = next & 0xff;
  m[o + 1] = (next >>> 8) & 0xff;
  m[o + 2] = (next >>> 16) & 0xff;
  m[o + 3] = (next >>> 24) & 0xff;
  h.tlsHead[i] = base;
  const count = (h.tlsCount[i] as number) + 1;
  h.tlsCount[i] = count;
  if (count > (h.tlsCap[i] as number)) {
    h.tlsOverflowDrains++;
    drainTls(h, t, c, count >>> 1);
  }
}

/** Returns up to `count` blocks from the head of thread t's class-c cache to their slabs. */
export function drainTls(h: Heap, t: number, c: number, count: number): void {
  const i = t * h.classCount + c;
  let b = h.tlsHead[i] as number;
  for (let n = 0; n < count && b !== 0; n++) {
    const next = h.readU32(b + 1);
    const g = h.slabIdOf(b);
    h.writeU32(b + 1, h.slabFree[g] as number);
    h.slabFree[g] = b;
    h.slabUsed[g] = (h.slabUsed[g] as number) - 1;
    h.tlsCount[i] = (h.tlsCount[i] as number) - 1;
    b = next;
    settleAfterTlsReturn(h, g, t, c);
  }
  h.tlsHead[i] = b;
}

function liveBlocksOf(h: Heap, g: number): number {
  let n = 0;
  const cap = h.slabCapacity[g] as number;
  for (let idx = 0; idx < cap; idx++) if (h.isLive(g, idx)) n++;
  return n;
}

function settleAfterTlsReturn(h: Heap, g: number, t: number, c: number): void {
  if (h.slabHeld[g] !== HELD_NONE) return; // the owner holds it: it stays ACTIVE even if empty
  if (h.slabUsed[g] === 0) {
    if (!h.faults.tlsDrainSkipsEmpty) releaseSlab(h, g);
    return;
  }
  if (h.faults.rebindKeepsStaleCache && h.slabRemoteCount[g] === 0 && liveBlocksOf(h, g) === 0) {
    // The original counted only blocks live in the application: the slab was released (and could
    // be rebound) while the rest of its blocks still sat in this thread's cache.
    h.slabUsed[g] = 0;
    releaseSlab(h, g);
    return;
  }
  pushBackWarm(h, g, t, c);
}

/**
 * The push-back rule (seed 001's fix): a set-aside slab (owned, ACTIVE, not held) that gets blocks
 * back goes back to its owner's warm pool, unless the pool is full.
 */
export function pushBackWarm(h: Heap, g: number, t: number, c: number): void {
  if (h.faults.warmPoolNoPushback) return; // the original discarded an exhausted slab for good
  if (h.slabOwner[g] !== t || h.slabHeld[g] !== HELD_NONE) return;
  const i = t * h.classCount + c;
  const count = h.warmCount[i] as number;
  if (count >= h.warmCap) return;
  h.warm[i * h.warmCap + count] = g;
  h.warmCount[i] = count + 1;
  h.slabHeld[g] = HELD_WARM;
}

/** Drains slab g's remote queue onto its freelist, restoring the headers the links clobbered. Returns the block count. */
export function drainRemote(h: Heap, g: number): number {
  let b = h.slabRemoteHead[g] as number;
  if (b === 0) return 0;
  const header = h.magic | (h.slabCls[g] as number);
  const bound = h.slabCapacity[g] as number;
  let n = 0;
  while (b !== 0) {
    if (++n > bound) throw new HeapCorruptionError(`remote queue of slab ${g} is longer than its capacity`, b);
    const next = h.readU32(b);
    if (!h.faults.remoteDrainNoHeaderRestore) h.writeU8(b, header);
    h.writeU32(b + 1, h.slabFree[g] as number);
    h.slabFree[g] = b;
    b = next;
  }
  h.slabRemoteHead[g] = 0;
  h.slabRemoteCount[g] = 0;
  h.slabUsed[g] = (h.slabUsed[g] as number) - n;
  return n;
}

/** After a remote drain outside refill: an unheld slab that emptied is released. */
export function settleAfterRemoteDrain(h: Heap, g: number): void {
  if (h.slabHeld[g] !== HELD_NONE || h.trueUsed(g) !== 0) return;
  if (h.faults.remoteDrainSkipsEmpty) return;
  h.remoteDrainReleases++;
  releaseSlab(h, g);
}

/** Moves up to refillBatch blocks of slab g (remote queue, freelist, then fresh carving) into cache i. */
function refillFrom(h: Heap, g: number, i: number, c: number): number {
  if (h.slabRemoteHead[g] !== 0) drainRemote(h, g);
  const want = Math.min(h.cfg.refillBatch, (h.tlsCap[i] as number) - (h.tlsCount[i] as number));
  let head = h.tlsHead[i] as number;
  let n = 0;
  while (n < want && h.slabFree[g] !== 0) {
    const b = h.slabFree[g] as number;
    h.slabFree[g] = h.readU32(b + 1);
    h.writeU32(b + 1, head);
    head = b;
    n++;
  }
  const capacity = h.slabCapacity[g] as number;
  const stride = h.slabStride[g] as number;
  const start = h.slabStart[g] as number;
  const header = h.magic | c;
  let carved = h.slabCarved[g] as number;
  while (n < want && carved < capacity) {
    let b = start + carved * stride;
    // The historical HDR_RESET bug: one index->base conversion at the C1/C2 boundary added a class-1 stride.
    if (h.faults.classStrideOffset && c === 2 && (carved & 1) === 1) b += h.strides[1] as number;
    h.writeU8(b, header);
    h.writeU32(b + 1, head);
    head = b;
    carved++;
    n++;
  }
  h.slabCarved[g] = carved;
  h.slabUsed[g] = (h.slabUsed[g] as number) + n;
  h.tlsHead[i] = head;
  h.tlsCount[i] = (h.tlsCount[i] as number) + n;
  return n;
}

function makeCurrent(h: Heap, i: number, g: number): void {
  h.curSlab[i] = g;
  h.slabHeld[g] = HELD_CURRENT;
}

function warmPop(h: Heap, i: number): number {
  const count = h.warmCount[i] as number;
  if (count === 0) return -1;
  const at = i * h.warmCap + count - 1;
  const g = h.warm[at] as number;
  h.warm[at] = -1;
  h.warmCount[i] = count - 1;
  return g;
}

/** After a shared-pool acquisition, the dry warm pool takes up to warmPoolPrefill more slabs (seed 001). */
function prefillWarm(h: Heap, t: number, c: number, i: number): void {
  if (h.faults.warmPoolNoPrefill) return; // the original took one slab per refill: no prefill
  for (let j = 0; j < h.cfg.warmPoolPrefill && (h.warmCount[i] as number) < h.warmCap; j++) {
    // The entry is claimed first, then filled by the acquisition (or given back).
    const count = h.warmCount[i] as number;
    h.warmCount[i] = count + 1;
    const refusalsBefore = h.os.refusals;
    const g = acquireSlab(h, c, t, MAP_SITE_PREFILL);
    if (g < 0) {
      // The planted out-of-memory bug: when the OS refused the map, the entry was not given back.
      if (!(h.faults.refusedPrefillKeepsEntry && h.os.refusals > refusalsBefore)) h.warmCount[i] = count;
      return;
    }
    h.warm[i * h.warmCap + count] = g;
    h.slabHeld[g] = HELD_WARM;
    h.warmPrefills[c] = (h.warmPrefills[c] as number) + 1;
  }
}

/** An owned, unheld slab of class c with a block to give (after reclaim drained everything). */
export function findOwnSlabWithFree(h: Heap, t: number, c: number): number {
  const S = h.slabsPerSS;
  for (const k of h.byClass[c] as number[]) {
    for (let s = 0; s < S; s++) {
      const g = k * S + s;
      if (h.slabState[g] === SLAB_ACTIVE && h.slabCls[g] === c && h.slabOwner[g] === t && h.slabHeld[g] === HELD_NONE && h.hasFreeBlock(g)) return g;
    }
  }
  return -1;
}

/** Every ACTIVE slab of class c owned by t, as a fresh list (slow paths only). */
export function ownedSlabs(h: Heap, t: number, c: number): number[] {
  const out: number[] = [];
  const S = h.slabsPerSS;
  for (const k of h.byClass[c] as number[]) {
    for (let s = 0; s < S; s++) {
      const g = k * S + s;
      if (h.slabState[g] === SLAB_ACTIVE && h.slabCls[g] === c && h.slabOwner[g] === t) out.push(g);
    }
  }
  return out;
}

/** Reclaim before failing (SPEC §5): flush the class-c cache to its slabs and drain t's remote queues of c. */
export function reclaim(h: Heap, t: number, c: number): void {
  const i = t * h.classCount + c;
  drainTls(h, t, c, h.tlsCount[i] as number);
  for (const g of ownedSlabs(h, t, c)) {
    if (h.slabState[g] !== SLAB_ACTIVE) continue; // released by an earlier drain of this loop
    if (drainRemote(h, g) === 0) continue;
    settleAfterRemoteDrain(h, g);
    if (h.slabState[g] === SLAB_ACTIVE) pushBackWarm(h, g, t, c);
  }
}

/** The TLS miss path: refill the cache and pop one block, or 0 when the tiny front fails. */
export function tlsAllocSlow(h: Heap, t: number, c: number): number {
  const i = t * h.classCount + c;
  for (let attempt = 0; attempt < 2; attempt++) {
    const b = refillLoop(h, t, c, i, attempt === 1);
    if (b !== 0) return b;
    if (attempt === 0) reclaim(h, t, c);
  }
  return 0;
}

function refillLoop(h: Heap, t: number, c: number, i: number, scanOwn: boolean): number {
  // Each pass either returns, or retires a slab and installs another: bounded by the slabs a
  // thread can reach in one refill (current, warm pool, one own slab, one acquisition).
  const bound = 4 + h.warmCap;
  for (let pass = 0; pass < bound; pass++) {
    let g = h.curSlab[i] as number;
    if (g >= 0) {
      if (refillFrom(h, g, i, c) > 0) return popTls(h, i, c, h.tlsHead[i] as number);
      // Exhausted: set aside; it stays owned and comes back through the warm pool when it regains blocks.
      h.slabHeld[g] = HELD_NONE;
      h.curSlab[i] = -1;
    }
    g = warmPop(h, i);
    if (g >= 0) {
      h.warmHits[c] = (h.warmHits[c] as number) + 1;
      makeCurrent(h, i, g);
      continue;
    }
    h.warmMisses[c] = (h.warmMisses[c] as number) + 1;
    if (scanOwn) {
      g = findOwnSlabWithFree(h, t, c);
      if (g >= 0) {
        makeCurrent(h, i, g);
        continue;
      }
    }
    g = acquireSlab(h, c, t);
    if (g < 0) return 0;
    makeCurrent(h, i, g);
    prefillWarm(h, t, c, i);
  }
  throw new HeapCorruptionError(`refill of class ${c} for thread ${t} did not settle in ${bound} passes`, 0);
}

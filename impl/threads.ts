// Thread-level operations (SPEC §4): drain(t,c), flush(t) and threadExit(t).

import { HELD_NONE, Heap, SLAB_ACTIVE } from './heap.ts';
import { releaseSlab } from './sharedPool.ts';
import { detachPage, settleHeapSlab } from './tinyHeap.ts';
import { drainRemote, ownedSlabs, pushBackWarm, settleAfterRemoteDrain } from './tls.ts';

/** drain(t,c): the remote queues of t's slabs of class c, and whatever that empties. */
export function drainThreadClass(h: Heap, t: number, c: number): void {
  const heapClass = h.isTinyHeapClass(c);
  for (const g of ownedSlabs(h, t, c)) {
    if (h.slabState[g] !== SLAB_ACTIVE || drainRemote(h, g) === 0) continue;
    if (heapClass) settleHeapSlab(h, g);
    else {
      settleAfterRemoteDrain(h, g);
      if (h.slabState[g] === SLAB_ACTIVE) pushBackWarm(h, g, t, c);
    }
  }
}

/** Returns every block of cache (t,c) to its slab, without releasing or re-warming anything. */
function returnAllCached(h: Heap, t: number, c: number): void {
  const i = t * h.classCount + c;
  let b = h.tlsHead[i] as number;
  let n = h.tlsCount[i] as number;
  while (b !== 0 && n > 0) {
    const next = h.readU32(b + 1);
    const g = h.slabIdOf(b);
    h.writeU32(b + 1, h.slabFree[g] as number);
    h.slabFree[g] = b;
    h.slabUsed[g] = (h.slabUsed[g] as number) - 1;
    b = next;
    n--;
  }
  h.tlsHead[i] = 0;
  h.tlsCount[i] = 0;
}

/** Lets go of everything thread t holds for class c: current slab, warm pool, TinyHeap pages. */
function letGo(h: Heap, t: number, c: number): void {
  const i = t * h.classCount + c;
  const cur = h.curSlab[i] as number;
  if (cur >= 0) {
    h.slabHeld[cur] = HELD_NONE;
    h.curSlab[i] = -1;
  }
  const warmBase = i * h.warmCap;
  const warmCount = h.warmCount[i] as number;
  for (let j = 0; j < warmCount; j++) {
    const g = h.warm[warmBase + j] as number;
    h.slabHeld[g] = HELD_NONE;
    // The historical bug: the empty warm slab was released, its entry left in the pool.
    if (h.faults.releaseLeavesWarmEntry && h.slabState[g] === SLAB_ACTIVE && h.trueUsed(g) === 0) releaseSlab(h, g);
  }
  if (!h.faults.releaseLeavesWarmEntry) {
    h.warm.fill(-1, warmBase, warmBase + warmCount);
    h.warmCount[i] = 0;
  }
  while ((h.pageCount[i] as number) > 0) detachPage(h, i, h.pages[i * h.maxPages] as number);
}

/**
 * flush(t): every cached block back to its slab, remote queues of t's slabs drained, deltas
 * flushed, held slabs let go; slabs left empty are released, the others stay owned by t.
 */
export function flushThread(h: Heap, t: number): void {
  for (let c = 0; c < h.classCount; c++) {
    letGo(h, t, c);
    returnAllCached(h, t, c);
    for (const g of ownedSlabs(h, t, c)) {
      drainRemote(h, g);
      // The never-flushes bug left a let-go page's deltas pending (settled only at its release).
      if (!h.faults.metaLightNeverFlushes) h.flushDeltas(g);
      if (h.trueUsed(g) === 0) releaseSlab(h, g);
    }
  }
}

/** threadExit(t): flush, then publish the remaining (partial) slabs on the orphan lists. */
export function exitThread(h: Heap, t: number): void {
  flushThread(h, t);
  for (let c = 0; c < h.classCount; c++) {
    for (const g of ownedSlabs(h, t, c)) {
      h.slabOwner[g] = -1;
      (h.orphanLists[c] as number[]).push(g);
      h.orphansPublished++;
    }
  }
}

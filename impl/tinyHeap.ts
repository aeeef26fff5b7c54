// The TinyHeap front (SPEC §5.2, seed 002) for the classes in tinyHeapClasses: per thread and
// class a current page, partial and full pages (at most tinyHeapMaxPages held). Owner frees go
// straight to the page freelist. With metaLight, an allocation updates page-local deltas instead
// of `used`/`totalActive` (frees update the stored values directly, as seed 002 did); deltas are
// flushed at the threshold, when the page empties, when it is detached, and on flush/exit.

import { HELD_NONE, HELD_PAGE, Heap, HeapCorruptionError, MAP_SITE_PAGE, SLAB_ACTIVE } from './heap.ts';
import { acquireSlab, releaseSlab } from './sharedPool.ts';
import { drainRemote, findOwnSlabWithFree, ownedSlabs } from './tls.ts';

/** Takes a block from page g (freelist, then fresh carving); 0 when the page has none. */
function takeFromPage(h: Heap, g: number, c: number): number {
  const header = h.magic | c;
  let b = h.slabFree[g] as number;
  if (b !== 0) {
    const m = h.memOf(b);
    const o = b & h.ssMask;
    if (m[o] !== header) {
      throw new HeapCorruptionError(`page freelist of slab ${g} holds block 0x${b.toString(16)} with header 0x${(m[o] as number).toString(16)}`, b);
    }
    h.slabFree[g] = ((m[o + 1] as number) | ((m[o + 2] as number) << 8) | ((m[o + 3] as number) << 16) | ((m[o + 4] as number) << 24)) >>> 0;
    return b;
  }
  const carved = h.slabCarved[g] as number;
  if (carved >= (h.slabCapacity[g] as number)) return 0;
  b = (h.slabStart[g] as number) + carved * (h.slabStride[g] as number);
  h.writeU8(b, header);
  h.slabCarved[g] = carved + 1;
  return b;
}

/** The TinyHeap fast path: a block of current page g (class c) with its accounting, or 0. */
export function pageAlloc(h: Heap, g: number, c: number): number {
  const b = takeFromPage(h, g, c);
  if (b !== 0) accountAlloc(h, g, b);
  return b;
}

/** Counts block b of page g as allocated: live bit, and used/totalActive (or their deltas). */
function accountAlloc(h: Heap, g: number, b: number): void {
  const k = b >>> h.ssShift;
  h.setLiveByBase(g, b);
  if (!h.metaLight) {
    h.slabUsed[g] = (h.slabUsed[g] as number) + 1;
    h.ssTotalActive[k] = (h.ssTotalActive[k] as number) + 1;
    return;
  }
  const usedDelta = (h.slabUsedDelta[g] as number) + 1;
  const activeDelta = (h.slabActiveDelta[g] as number) + 1;
  h.slabUsedDelta[g] = usedDelta;
  h.slabActiveDelta[g] = activeDelta;
  const threshold = h.slabDeltaThreshold[g] as number;
  if ((usedDelta >= threshold || activeDelta >= threshold) && !h.faults.metaLightNeverFlushes) {
    h.flushDeltas(g);
    h.deltaThresholdFlushes++;
  }
}

/** TinyHeap allocation: the current page's freelist or carving, else the slow path. Returns a base or 0. */
export function heapAlloc(h: Heap, t: number, c: number): number {
  const i = t * h.classCount + c;
  const g = h.pageCur[i] as number;
  if (g >= 0) {
    const b = takeFromPage(h, g, c);
    if (b !== 0) {
      accountAlloc(h, g, b);
      return b;
    }
  }
  return heapAllocSlow(h, t, c, i);
}

function heapAllocSlow(h: Heap, t: number, c: number, i: number): number {
  for (let attempt = 0; attempt < 2; attempt++) {
    const b = pageRefill(h, t, c, i, attempt === 1);
    if (b !== 0) return b;
    if (attempt === 0) reclaimPages(h, t, c);
  }
  return 0;
}

function takeAndAccount(h: Heap, g: number, c: number): number {
  const b = takeFromPage(h, g, c);
  if (b !== 0) accountAlloc(h, g, b);
  return b;
}

function pageRefill(h: Heap, t: number, c: number, i: number, scanOwn: boolean): number {
  const cur = h.pageCur[i] as number;
  if (cur >= 0) {
    if (h.slabRemoteHead[cur] !== 0) drainRemote(h, cur);
    const b = takeAndAccount(h, cur, c);
    if (b !== 0) return b;
    h.slabPageFull[cur] = 1; // exhausted: moves to the full list
    h.pageCur[i] = -1;
  }
  // A partial page, or a full one whose remote queue brings blocks back.
  const base = i * h.maxPages;
  const count = h.pageCount[i] as number;
  for (let j = 0; j < count; j++) {
    const g = h.pages[base + j] as number;
    if (h.slabRemoteHead[g] !== 0) drainRemote(h, g);
    if (!h.hasFreeBlock(g)) continue;
    h.slabPageFull[g] = 0;
    h.pageCur[i] = g;
    return takeAndAccount(h, g, c);
  }
  let g = scanOwn ? findOwnSlabWithFree(h, t, c) : -1;
  if (g < 0) {
    g = acquireSlab(h, c, t, MAP_SITE_PAGE);
    if (g < 0) return 0;
  }
  // Evicting the oldest page releases its node, which the new page then takes. Seed 002 kept the
  // deltas in the node: the stale-delta bug released the node unsettled (the evicted page's
  // deltas stay in the node, never applied to its `used`) and the attach kept them.
  let nodeUsedDelta = 0;
  let nodeActiveDelta = 0;
  if ((h.pageCount[i] as number) >= h.maxPages) {
    const evicted = h.pages[base] as number;
    if (h.faults.attachKeepsStaleDelta) {
      nodeUsedDelta = h.slabUsedDelta[evicted] as number;
      nodeActiveDelta = h.slabActiveDelta[evicted] as number;
      h.slabUsedDelta[evicted] = 0;
      h.slabActiveDelta[evicted] = 0;
    }
    detachPage(h, i, evicted);
  }
  attachPage(h, i, g, nodeUsedDelta, nodeActiveDelta);
  return takeAndAccount(h, g, c);
}

/**
 * Attaching a page resets its deltas and clamps `used` to its capacity (seed 002 phase 6): a page
 * coming back with stale accounting must not poison the current/partial lists. `nodeUsedDelta` /
 * `nodeActiveDelta` are what the node it takes still holds: always 0 unless the stale-delta bug
 * released that node unsettled, and then the bug's attach keeps them (no reset, no clamp).
 */
function attachPage(h: Heap, i: number, g: number, nodeUsedDelta: number, nodeActiveDelta: number): void {
  if (!h.faults.attachKeepsStaleDelta) {
    h.slabUsedDelta[g] = 0;
    h.slabActiveDelta[g] = 0;
    if ((h.slabUsed[g] as number) > (h.slabCapacity[g] as number)) h.slabUsed[g] = h.slabCapacity[g] as number;
  } else {
    h.slabUsedDelta[g] = (h.slabUsedDelta[g] as number) + nodeUsedDelta;
    h.slabActiveDelta[g] = (h.slabActiveDelta[g] as number) + nodeActiveDelta;
  }
  const count = h.pageCount[i] as number;
  h.pages[i * h.maxPages + count] = g;
  h.pageCount[i] = count + 1;
  h.pageCur[i] = g;
  h.slabPageFull[g] = 0;
  h.slabHeld[g] = HELD_PAGE;
}

/** Detaching settles the page's deltas; it stays owned (set aside) unless it is empty. */
export function detachPage(h: Heap, i: number, g: number): void {
  // The never-flushes bug settled deltas only at release.
  if (!h.faults.metaLightNeverFlushes) h.flushDeltas(g);
  const base = i * h.maxPages;
  const count = h.pageCount[i] as number;
  let at = -1;
  for (let j = 0; j < count; j++) if (h.pages[base + j] === g) at = j;
  if (at < 0) throw new HeapCorruptionError(`slab ${g} is not a page of context ${i}`, 0);
  for (let j = at; j < count - 1; j++) h.pages[base + j] = h.pages[base + j + 1] as number;
  h.pages[base + count - 1] = -1;
  h.pageCount[i] = count - 1;
  if (h.pageCur[i] === g) h.pageCur[i] = -1;
  h.slabHeld[g] = HELD_NONE;
  h.slabPageFull[g] = 0;
}

/** Owner free to a TinyHeap page: straight onto the page freelist. */
export function heapOwnerFree(h: Heap, t: number, c: number, g: number, base: number): void {
  h.writeU32(base + 1, h.slabFree[g] as number);
  h.slabFree[g] = base;
  h.slabUsed[g] = (h.slabUsed[g] as number) - 1;
  h.slabPageFull[g] = 0;
  if (h.trueUsed(g) === 0) settleEmptyPage(h, t * h.classCount + c, g);
}

/**
 * Page g's true used reached 0: its deltas are flushed; a held page other than the current one
 * is detached and released through the shared pool; an unheld (set-aside) one is released. The
 * current page is kept (it is held), so alloc/free pairs do not churn the shared pool.
 */
export function settleEmptyPage(h: Heap, i: number, g: number): void {
  const held = h.slabHeld[g] as number;
  const isCurrent = held === HELD_PAGE && h.pageCur[i] === g;
  // The never-flushes bug settled deltas only when the page was released.
  if (!isCurrent || !h.faults.metaLightNeverFlushes) h.flushDeltas(g);
  if (isCurrent) return;
  if (held === HELD_PAGE) detachPage(h, i, g);
  h.flushDeltas(g);
  releaseSlab(h, g);
}

/** Settles a TinyHeap-class slab after blocks came back to it (remote drain, drain command). */
export function settleHeapSlab(h: Heap, g: number): void {
  if (h.slabState[g] !== SLAB_ACTIVE || h.trueUsed(g) !== 0) return;
  const owner = h.slabOwner[g] as number;
  if (owner < 0) {
    releaseSlab(h, g);
    return;
  }
  settleEmptyPage(h, owner * h.classCount + (h.slabCls[g] as number), g);
}

/** Before failing: drain the remote queues of t's slabs of c and settle what emptied. */
function reclaimPages(h: Heap, t: number, c: number): void {
  for (const g of ownedSlabs(h, t, c)) {
    if (h.slabState[g] !== SLAB_ACTIVE) continue;
    if (drainRemote(h, g) > 0) settleHeapSlab(h, g);
  }
}

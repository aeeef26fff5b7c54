// What an incremental step could have changed (issue 13), so that its per-block state checks judge
// only that: the scope is derived from the model (the blocks the command names) and from a per-slab
// diff of the post-step view against the pre-step snapshot (state, class, used, carved, owner,
// freelist and remote heads, map generation; SuperSlabs mapped or unmapped; thread caches whose head
// or count changed; the pool's chunks). It never asks the
// implementation what it touched. A part nobody touched that is corrupted anyway (a stray write) is
// caught by the next whole check, at most K steps later (session.ts: wholeEvery).

import type { CheckContext, CheckScope, SuperSlabSnapshot } from './checkContext.ts';
import { poolSignature } from './checkContext.ts';
import type { SlabView, SuperSlabView } from '../impl/index.ts';
import { regionBaseOf, slabIdOfAddress } from '../model/index.ts';

/** Pointers the command names, as the model and the step's event know them (0: none). */
function namedPointers(ctx: CheckContext): readonly number[] {
  const ev = ctx.event;
  switch (ev.kind) {
    case 'alloc':
      return ev.duplicateOf !== undefined ? [ev.ptr, ev.duplicateOf.ptr] : [ev.ptr];
    case 'free':
    case 'write':
    case 'check':
      return [ev.block.ptr];
    case 'badFree':
    case 'usableSize':
    case 'readBytes':
    case 'writeBytes':
      return [ev.ptr];
    default:
      return [];
  }
}

function slabChanged(pre: SuperSlabSnapshot, ss: SuperSlabView, i: number): boolean {
  const s = ss.slabs[i];
  if (s === undefined) return true;
  return (
    pre.slabStates[i] !== s.state ||
    pre.slabClasses[i] !== s.cls ||
    pre.slabUsed[i] !== s.used + s.usedDelta ||
    pre.slabCarved[i] !== s.carved ||
    pre.slabOwners[i] !== s.owner ||
    pre.slabFreeHeads[i] !== s.freelistHead ||
    pre.slabRemoteHeads[i] !== s.remoteHead
  );
}

/** The slabs and pool an incremental step judges block by block, and the thread caches that changed. */
export function stepScope(ctx: CheckContext): CheckScope & { readonly changedCaches: readonly number[]; readonly slabs: Set<number> } {
  const config = ctx.config;
  const slabs = new Set<number>();
  const changedCaches: number[] = [];
  let pool = false;
  const regions = ctx.post.regions();
  for (const ptr of namedPointers(ctx)) {
    if (ptr <= 0) continue;
    slabs.add(slabIdOfAddress(config, ptr - 1));
    const base = regionBaseOf(config, ptr - 1);
    if (regions.get(base) === 'pool' || ctx.pre.os.regions.has(base) !== regions.has(base)) pool = true;
  }
  // A region mapped or unmapped: every slab of it (and the pool, if it is one of the pool's).
  if (ctx.pre.os.regions.size !== regions.size) pool = true;
  // The pool's chunks changed (split, merged, marked allocated or free), named or not.
  if (ctx.pre.poolSignature !== poolSignature(ctx.post.pool())) pool = true;
  // A thread cache whose head or count changed: the slabs of the blocks on it now (a bounded walk
  // of its links) and, through the session, of those on it before (census counts cached blocks).
  const threads = ctx.post.threads();
  for (const tv of threads) {
    tv.classes.forEach((cv, cls) => {
      const index = tv.thread * ctx.view.classCount + cls;
      if (ctx.pre.tlsHeads[index] === cv.tlsHead && ctx.pre.tlsCounts[index] === cv.tlsCount) return;
      changedCaches.push(index);
      let node = cv.tlsHead;
      for (let n = 0; node !== 0 && n <= cv.tlsCount && ctx.view.isMapped(node + 4); n++) {
        slabs.add(slabIdOfAddress(config, node));
        node = ctx.view.readU32(node + 1);
      }
    });
  }
  for (const base of ctx.pre.os.regions) if (!regions.has(base)) pool = true;
  const seen = new Set<number>();
  for (const ss of ctx.post.superslabs()) {
    seen.add(ss.base);
    const pre = ctx.pre.superslabs.get(ss.base);
    const whole = pre === undefined || pre.mapGeneration !== ss.mapGeneration || pre.inReserve !== ss.inReserve;
    for (let i = 0; i < ss.slabs.length; i++) {
      if (whole || slabChanged(pre, ss, i)) slabs.add((ss.slabs[i] as SlabView).slabId);
    }
  }
  for (const [base, pre] of ctx.pre.superslabs) {
    if (seen.has(base)) continue;
    for (let i = 0; i < pre.slabStates.length; i++) slabs.add(slabIdOfAddress(config, base + i * config.slabSize));
  }
  return { slabs, pool, changedCaches };
}

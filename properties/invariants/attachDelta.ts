// delta-zero's attach clause (SPEC §5.2, seed 002 phase 6): attaching a page resets its deltas and
// clamps its stored `used` to its capacity. A page that became a held TinyHeap page in this step
// (not held by its owner before the step, held as a page after it) may carry only the delta of the
// one block this step's allocation took from it, and never a stored `used` above its capacity.
// Judged from the view's slab fields, the holders the suite reconstructs from the thread views, the
// pre-step snapshot and the step's own returned pointer.

import type { CheckContext, Violation } from '../checkContext.ts';
import { slabIdOfAddress } from '../../model/index.ts';

/** Blocks this step's allocation took from slab `slabId`: 1 if it returned a tiny block there, else 0. */
function blocksServedFrom(ctx: CheckContext, slabId: number): number {
  const ev = ctx.event;
  if (ev.kind !== 'alloc' || ev.servedBy !== 'tiny' || ev.ptr === 0) return 0;
  return slabIdOfAddress(ctx.config, ev.ptr - 1) === slabId ? 1 : 0;
}

export function attachDeltaViolation(ctx: CheckContext): Violation | null {
  for (const ss of ctx.post.superslabs()) {
    const before = ctx.pre.superslabs.get(ss.base);
    for (const s of ss.slabs) {
      if (s.state !== 'ACTIVE' || !ctx.post.heldAsPage(s)) continue;
      const wasHeld = before !== undefined && before.slabStates[s.slabIndex] === 'ACTIVE' && before.slabClasses[s.slabIndex] === s.cls && before.slabHeld[s.slabIndex] === true;
      if (wasHeld) continue;
      const served = blocksServedFrom(ctx, s.slabId);
      if (Math.abs(s.usedDelta) > served || Math.abs(s.activeDelta) > served) {
        return {
          message: `page ${s.slabId} was attached in this step with usedDelta ${s.usedDelta}, activeDelta ${s.activeDelta}, more than the ${served} block(s) it gave since: the attach kept stale deltas`,
          slabId: s.slabId,
        };
      }
      if (s.used > s.capacity) {
        return { message: `page ${s.slabId} was attached in this step with stored used ${s.used} above its capacity ${s.capacity}: the attach did not clamp it`, slabId: s.slabId };
      }
    }
  }
  return null;
}

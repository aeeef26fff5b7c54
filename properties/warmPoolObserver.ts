// What the suite sees of one thread's warm pools, from the read-only view alone (never from the
// allocator's own warmHits/warmMisses counters). After every step the caller reports which class
// the step touched; the observer compares that class's current slab and warm-pool entries with
// what it saw after the previous step:
//   * an entry that appeared during an allocation was put there by prefill (seed 001: a refill from
//     the shared pool takes up to warmPoolPrefill more slabs); one that appeared during a free or a
//     drain was pushed back (a set-aside slab got blocks back);
//   * an allocation after which the current slab is another slab is a *switch*; if the new current
//     slab was in the warm pool before the step, the switch was served by the warm pool, and is
//     counted as a prefill hit or a push-back hit by that entry's origin.
// Rates are over switches: prefillHits / switches and pushbackHits / switches. (An allocation that
// fails at the soft cap reclaims, and that can push a slab back within the allocation's step; it
// would be labelled prefill. The measured workloads raise or never reach the caps, so it does not
// occur in them: with warm-pool-no-prefill they measure exactly 0 prefill hits on every seed.)

import type { AllocatorView } from '../impl/index.ts';

export type WarmEntryOrigin = 'prefill' | 'pushback';

export interface WarmPoolTally {
  /** Allocations after which the class's current slab was another slab. */
  readonly switches: number;
  readonly prefillHits: number;
  readonly pushbackHits: number;
}

export interface WarmPoolClassTally extends WarmPoolTally {
  readonly cls: number;
}

export class WarmPoolObserver {
  private readonly view: AllocatorView;
  private readonly thread: number;
  private readonly lastWarm: (readonly number[])[];
  private readonly lastCurrent: number[];
  private readonly origins: Map<number, WarmEntryOrigin>[];
  private readonly tallies: { switches: number; prefillHits: number; pushbackHits: number }[];

  constructor(view: AllocatorView, thread: number) {
    this.view = view;
    this.thread = thread;
    const n = view.classCount;
    const tv = view.thread(thread);
    this.lastWarm = tv.classes.map((c) => [...c.warm]);
    this.lastCurrent = tv.classes.map((c) => c.current);
    this.origins = Array.from({ length: n }, () => new Map<number, WarmEntryOrigin>());
    this.tallies = Array.from({ length: n }, () => ({ switches: 0, prefillHits: 0, pushbackHits: 0 }));
  }

  /** After a step of the observed thread that touched class `cls`: an allocation, or a free/drain. */
  observe(kind: 'alloc' | 'free', cls: number): void {
    const tc = this.view.thread(this.thread).classes[cls];
    if (tc === undefined) return;
    const before = this.lastWarm[cls] as readonly number[];
    const origins = this.origins[cls] as Map<number, WarmEntryOrigin>;
    if (kind === 'alloc' && tc.current >= 0 && tc.current !== this.lastCurrent[cls]) {
      const tally = this.tallies[cls] as { switches: number; prefillHits: number; pushbackHits: number };
      tally.switches++;
      if (before.includes(tc.current)) {
        if (origins.get(tc.current) === 'pushback') tally.pushbackHits++;
        else tally.prefillHits++;
      }
    }
    for (const g of tc.warm) if (!before.includes(g)) origins.set(g, kind === 'alloc' ? 'prefill' : 'pushback');
    for (const g of before) if (!tc.warm.includes(g)) origins.delete(g);
    this.lastWarm[cls] = [...tc.warm];
    this.lastCurrent[cls] = tc.current;
  }

  /** Classes with any switch, ascending. */
  byClass(): readonly WarmPoolClassTally[] {
    return this.tallies.flatMap((t, cls) => (t.switches > 0 ? [{ cls, ...t }] : []));
  }

  total(): WarmPoolTally {
    const all = this.byClass();
    return {
      switches: all.reduce((s, t) => s + t.switches, 0),
      prefillHits: all.reduce((s, t) => s + t.prefillHits, 0),
      pushbackHits: all.reduce((s, t) => s + t.pushbackHits, 0),
    };
  }
}

// Every invariant of SPEC §7 under its stable name. INVARIANTS is in check order: the step's own
// observations first (what alloc/free returned), then the structure they rest on (lists and the
// metaLight deltas before the census that counts through them: true used = stored + delta), then
// slot and SuperSlab life cycle. The first violation in this
// order is the one reported.

import type { Invariant, StateCheck, StepCheck } from '../checkContext.ts';
import { defineInvariant } from '../checkContext.ts';
import type { InvariantName } from '../commandData.ts';
import { INVARIANT_NAMES } from '../commandData.ts';
import { dataIntegrity, header, noDoubleAllocation as noDoubleAllocationBase, usableSize as usableSizeBase } from './blocks.ts';
import { deadPointerNoUsableSize, freshBlockOffLists, poolUnmappedAtQuiescence, registryListHoldsClass, warmEntryHasBlock } from './clauses.ts';
import { census, emptyRecycled as emptyRecycledBase, listsWellformed as listsWellformedBase, registry as registryBase, softCap, warmPoolValid as warmPoolValidBase } from './heap.ts';
import { badFreeRejected, deltaZero, noLeak as noLeakBase, noPrematureFailure as noPrematureFailureBase, tierRelease } from './lifecycle.ts';
import { withIndependentReadsAll } from './independent.ts';
import { refusalNoTrace } from './refusal.ts';
import { acquisitionOrder, drainFlushExitEffects, flushLetsGo, freeRouting, heldNotReleased, refillOrder, tlsOverflowHalf } from './policies.ts';

/**
 * An invariant with more clauses: its own step part first, then the added step clauses; its own
 * state part first, then the added state clauses (two-way halves from clauses.ts, policies from
 * policies.ts). The first violation wins.
 */
function withClauses(base: Invariant, more: { readonly step?: readonly StepCheck[]; readonly state?: readonly StateCheck[] }): Invariant {
  const steps = [...(base.checkStep !== null ? [base.checkStep] : []), ...(more.step ?? [])];
  const states = [...(base.checkState !== null ? [base.checkState] : []), ...(more.state ?? [])];
  const first = <C>(checks: readonly ((ctx: C) => ReturnType<StepCheck>)[]) => (ctx: C) => {
    for (const check of checks) {
      const v = check(ctx);
      if (v !== null) return v;
    }
    return null;
  };
  return defineInvariant({
    name: base.name,
    ...(steps.length > 0 ? { step: first(steps) } : {}),
    ...(states.length > 0 ? { state: first(states) } : {}),
  });
}

const noDoubleAllocation = withClauses(noDoubleAllocationBase, { step: [freshBlockOffLists] });
const usableSize = withClauses(usableSizeBase, { step: [deadPointerNoUsableSize] });
const listsWellformed = withClauses(listsWellformedBase, { step: [tlsOverflowHalf, freeRouting, drainFlushExitEffects] });
const emptyRecycled = withClauses(emptyRecycledBase, { step: [heldNotReleased, acquisitionOrder] });
const warmPoolValid = withClauses(warmPoolValidBase, { step: [flushLetsGo], state: [warmEntryHasBlock] });
const registry = withClauses(registryBase, { state: [registryListHoldsClass] });
const noPrematureFailure = withClauses(noPrematureFailureBase, { step: [refillOrder] });
const noLeak = withClauses(noLeakBase, { state: [poolUnmappedAtQuiescence] });

export const INVARIANTS: readonly Invariant[] = withIndependentReadsAll([
  noDoubleAllocation,
  badFreeRejected,
  header,
  usableSize,
  dataIntegrity,
  listsWellformed,
  deltaZero,
  census,
  emptyRecycled,
  warmPoolValid,
  registry,
  softCap,
  noPrematureFailure,
  refusalNoTrace,
  tierRelease,
  noLeak,
]);

export const INVARIANTS_BY_NAME: ReadonlyMap<InvariantName, Invariant> = new Map(INVARIANTS.map((i) => [i.name, i]));

// Every stable name has exactly one check.
for (const name of INVARIANT_NAMES) {
  if (!INVARIANTS_BY_NAME.has(name)) throw new Error(`invariant ${name} has no check`);
}

export { refusalNoTrace };
export { dataIntegrity, header, noDoubleAllocation, usableSize, census, emptyRecycled, listsWellformed, registry, softCap, warmPoolValid, badFreeRejected, deltaZero, noLeak, noPrematureFailure, tierRelease };

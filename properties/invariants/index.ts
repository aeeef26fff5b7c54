// Every invariant of SPEC §7 under its stable name. INVARIANTS is in check order: the step's own
// observations first (what alloc/free returned), then the structure they rest on (lists and the
// metaLight deltas before the census that counts through them: true used = stored + delta), then
// slot and SuperSlab life cycle. The first violation in this
// order is the one reported.

import type { Invariant } from '../checkContext.ts';
import type { InvariantName } from '../commandData.ts';
import { INVARIANT_NAMES } from '../commandData.ts';
import { dataIntegrity, header, noDoubleAllocation, usableSize } from './blocks.ts';
import { census, emptyRecycled, listsWellformed, registry, softCap, warmPoolValid } from './heap.ts';
import { badFreeRejected, deltaZero, noLeak, noPrematureFailure, tierRelease } from './lifecycle.ts';
import { withIndependentReadsAll } from './independent.ts';
import { refusalNoTrace } from './refusal.ts';

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

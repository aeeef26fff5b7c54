// Composes the independent-read clauses (lookups.ts: lookup structures against what they summarise;
// selfReports.ts: stats() and the query calls against the suite's own accounting) onto the stable
// invariants they belong to. An invariant's own parts run first, so its existing verdicts and
// messages are unchanged; the clauses run after, under the same name.

import type { CheckContext, Invariant, StateCheck, StepCheck } from '../checkContext.ts';
import type { InvariantName } from '../commandData.ts';
import { deltaThresholdClause, heldFlagClause, liveLookupClause, poolListClause, registryLookupClause, routeTableClause, strideClause } from './lookups.ts';
import {
  badFreeStatsClause,
  bytesCallClause,
  deltaStatsClause,
  failureStatsClause,
  misuseClause,
  registryStatsClause,
  slotStatsClause,
  tierStatsClause,
  usableQueryClause,
} from './selfReports.ts';

interface Clauses {
  readonly step?: readonly StepCheck[];
  readonly state?: readonly StateCheck[];
}

export const INDEPENDENT_CLAUSES: Readonly<Partial<Record<InvariantName, Clauses>>> = {
  'lists-wellformed': { state: [poolListClause, strideClause] },
  census: { state: [liveLookupClause] },
  'empty-recycled': { step: [slotStatsClause] },
  'warm-pool-valid': { state: [heldFlagClause] },
  registry: { step: [registryStatsClause], state: [registryLookupClause] },
  'no-premature-failure': { step: [failureStatsClause] },
  'delta-zero': { step: [deltaStatsClause], state: [deltaThresholdClause] },
  'tier-release': { step: [tierStatsClause] },
  'bad-free-rejected': { step: [badFreeStatsClause, misuseClause] },
  'usable-size': { step: [usableQueryClause] },
  header: { state: [routeTableClause] },
  'data-integrity': { step: [bytesCallClause] },
};

function firstOf<C>(checks: readonly ((ctx: C) => ReturnType<StepCheck>)[], ctx: C): ReturnType<StepCheck> {
  for (const check of checks) {
    const v = check(ctx);
    if (v !== null) return v;
  }
  return null;
}

/** The invariant with its independent-read clauses appended (itself when it has none). */
export function withIndependentReads(inv: Invariant): Invariant {
  const extra = INDEPENDENT_CLAUSES[inv.name];
  if (extra === undefined) return inv;
  const steps = extra.step ?? [];
  const states = extra.state ?? [];
  const ownStep = inv.checkStep;
  const ownState = inv.checkState;
  const checkStep: StepCheck | null = ownStep === null && steps.length === 0 ? null : (ctx) => ownStep?.(ctx) ?? firstOf(steps, ctx);
  const checkState: StateCheck | null = ownState === null && states.length === 0 ? null : (ctx) => ownState?.(ctx) ?? firstOf(states, ctx);
  return Object.freeze({
    name: inv.name,
    checkStep,
    checkState,
    // The invariant's own parts first (its verdicts and messages unchanged), then the clauses.
    check: (ctx: CheckContext) => ownStep?.(ctx) ?? ownState?.(ctx) ?? firstOf(steps, ctx) ?? firstOf(states, ctx),
  });
}

/** Every invariant of a list, with its clauses. */
export function withIndependentReadsAll(list: readonly Invariant[]): readonly Invariant[] {
  return list.map(withIndependentReads);
}

// The heap after every step of a command sequence: the property suite's own step loop
// (properties/runner.ts `replay`, the loop `runCommands` uses, so a repro steps exactly as it
// replays), with a whole-heap capture (report/heapState.ts) after each executed step.

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { Session, commandFromData, replay } from '../properties/runner.ts';
import { cellLegend } from './cells.ts';
import { captureHeap } from './heapState.ts';
import type { HeapState } from './heapState.ts';

export interface Timeline {
  /** states[k]: the heap after step k; states[0] before step 1. A skipped step repeats the state before it. */
  readonly states: readonly HeapState[];
  /** executed[k]: step k ran (false for a step its precondition skipped, and for k = 0). */
  readonly executed: readonly boolean[];
}

/** Steps through `commands` up to the first failing step (or the end), capturing the heap after each. */
export function captureTimeline(config: AllocatorConfig, commands: readonly CommandData[]): Timeline {
  const initial = new Session(config);
  const after = new Map<number, HeapState>();
  const r = replay(config, commands.map(commandFromData), {
    observer: (ctx) => void after.set(ctx.step, captureHeap(ctx.view, ctx.model)),
  });
  // Observers hear only steps that passed; the failing step's state is the session as it stopped.
  if (r.failure !== null) after.set(r.failure.step, captureHeap(r.session.view, r.session.model));
  const states: HeapState[] = [captureHeap(initial.view, initial.model)];
  const executed: boolean[] = [false];
  for (let step = 1; step <= r.steps; step++) {
    const s = after.get(step);
    states.push(s ?? (states[step - 1] as HeapState));
    executed.push(s !== undefined);
  }
  return { states, executed };
}

/** `replay --json`'s `timeline`: every block of every bound slab at every step, cells per report/cells.ts. */
export function timelineJson(t: Timeline): { legend: Record<string, string>; steps: unknown[] } {
  return {
    legend: cellLegend(),
    steps: t.states.map((s, step) => ({ step, executed: t.executed[step] === true, ...s })),
  };
}

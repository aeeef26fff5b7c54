// What the HTML report embeds (as JSON) for its browser client: the repro, the verdict, the step
// rows, the heap timeline as deltas, the colour table, and the replay command and vitest test.
// Types only, shared by the writer (report/html.ts) and the client (report/client/main.ts).

import type { CellKind } from './cells.ts';
import type { StepDelta } from './delta.ts';

export interface ReportRow {
  readonly step: number;
  readonly thread: number | null;
  readonly command: string;
  readonly result: string;
  readonly executed: boolean;
}

export type ReportOutcome =
  | { readonly passed: true; readonly steps: number }
  | {
      readonly passed: false;
      readonly invariant: string;
      readonly step: number;
      readonly message: string;
      readonly slabId: number | null;
    };

export interface ReportPayload {
  readonly file: string;
  readonly profile: string;
  readonly faults: readonly string[];
  readonly seed: number;
  readonly recorded: {
    readonly invariant: string;
    readonly failingStep: number;
    readonly length: number;
    readonly minimal: boolean;
  };
  readonly outcome: ReportOutcome;
  readonly config: {
    readonly strides: readonly number[];
    readonly slabSize: number;
    readonly superslabSize: number;
    readonly threads: number;
    readonly headerMagic: number;
  };
  /** rows[k-1] is step k; the timeline has one more state (step 0, before step 1). */
  readonly rows: readonly ReportRow[];
  /** deltas[0] builds the state before step 1 from an empty heap; deltas[k] the state after step k. */
  readonly deltas: readonly StepDelta[];
  readonly cellKinds: readonly CellKind[];
  readonly threadColours: readonly string[];
  readonly replayCommand: string;
  readonly vitest: string;
}

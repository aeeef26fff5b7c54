// Bounded exhaustive exploration (issue 8): breadth-first over every command sequence of a finite
// alphabet, every invariant checked on every transition, states deduplicated by canonical
// fingerprints. BFS order makes the first violation found a shortest one.

import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { INVARIANTS, Session, commandFromData } from '../properties/runner.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import { alphabet as defaultAlphabet } from './alphabet.ts';
import { fingerprint } from './fingerprint.ts';

export interface ExploreOptions {
  readonly depth: number;
  /** Wall-clock budget in ms; the report says which depth was completed. */
  readonly timeMs?: number;
  /** Logical-thread renaming (default on). */
  readonly symmetry?: boolean;
  readonly alphabet?: readonly CommandData[];
  /** Bound on blocks live at once: an alloc is not tried while this many are live (default: none). */
  readonly maxLive?: number;
  /**
   * Look only for violations of this invariant: a transition that breaks another one is a dead end
   * (not expanded), so the result is a shortest sequence whose FIRST failure is this invariant.
   */
  readonly targetInvariant?: FailureName;
  /** Called after each completed depth. */
  readonly onDepth?: (depth: number, distinctStates: number, transitions: number) => void;
}

export interface ExploreViolation {
  readonly invariant: FailureName;
  readonly message: string;
  /** The shortest failing sequence (BFS order): its last command fails. */
  readonly commands: readonly CommandData[];
}

export interface ExploreReport {
  readonly depth: number;
  /** Deepest level whose every transition was checked. */
  readonly depthCompleted: number;
  /** The reachable space was exhausted (no new state at some level) within the depth. */
  readonly exhausted: boolean;
  /** Transitions executed and checked (states generated). */
  readonly states: number;
  /** Distinct states after deduplication (the root included). */
  readonly distinctStates: number;
  readonly statesPerSec: number;
  /** Estimated bytes the explorer keeps per distinct state (fingerprint + path node). */
  readonly bytesPerState: number;
  readonly elapsedMs: number;
  readonly alphabetSize: number;
  readonly violation: ExploreViolation | null;
}

/** A state is kept as the path that reached it (its parent and last command), not as a copy. */
interface PathNode {
  readonly parent: PathNode | null;
  readonly command: CommandData | null;
}

function pathOf(node: PathNode): CommandData[] {
  const out: CommandData[] = [];
  for (let n: PathNode | null = node; n !== null && n.command !== null; n = n.parent) out.push(n.command);
  return out.reverse();
}

/** Rebuilds the state at the end of `path` (its transitions were checked when first explored). */
function materialize(config: AllocatorConfig, path: readonly CommandData[]): Session {
  const session = new Session(config, []);
  path.forEach((data, i) => {
    const command = commandFromData(data);
    if (!command.check(session.model)) throw new Error(`explore: path step ${i + 1} (${command.toString()}) is no longer applicable`);
    const report = session.execute(command, i + 1);
    if (report.failure !== null) throw new Error(`explore: path step ${i + 1} failed on replay: ${report.failure.message}`);
  });
  session.resnapshot();
  return session;
}

/** Approximate heap bytes of one stored state: its fingerprint in the set and its path node. */
const BYTES_PER_FINGERPRINT = 16 /* chars */ * 1 + 16 /* string header */ + 24 /* set entry */;
const BYTES_PER_NODE = 32 /* object */ + 8 /* array slot */;

export function explore(config: AllocatorConfig, options: ExploreOptions): ExploreReport {
  const letters = options.alphabet ?? defaultAlphabet(config);
  const symmetry = options.symmetry ?? true;
  const maxLive = options.maxLive ?? Infinity;
  const started = Date.now();
  const deadline = options.timeMs === undefined ? Infinity : started + options.timeMs;
  const root = new Session(config, []);
  const seen = new Set<string>([fingerprint(root.view, root.model, { symmetry })]);
  let frontier: PathNode[] = [{ parent: null, command: null }];
  let transitions = 0;
  let depthCompleted = 0;
  let exhausted = false;
  let violation: ExploreViolation | null = null;

  const report = (): ExploreReport => {
    const elapsedMs = Math.max(1, Date.now() - started);
    return {
      depth: options.depth,
      depthCompleted,
      exhausted,
      states: transitions,
      distinctStates: seen.size,
      statesPerSec: Math.round((transitions / elapsedMs) * 1000),
      bytesPerState: BYTES_PER_FINGERPRINT + BYTES_PER_NODE,
      elapsedMs,
      alphabetSize: letters.length,
      violation,
    };
  };

  for (let depth = 0; depth < options.depth; depth++) {
    const next: PathNode[] = [];
    for (const node of frontier) {
      if (Date.now() > deadline) return report();
      const path = pathOf(node);
      const parent = materialize(config, path);
      for (const data of letters) {
        const command = commandFromData(data);
        if (!command.check(parent.model)) continue;
        if (data.kind === 'alloc' && parent.model.liveCount() >= maxLive) continue;
        const child = parent.clone(INVARIANTS);
        transitions++;
        const step = child.execute(command, depth + 1);
        if (step.failure !== null) {
          if (options.targetInvariant !== undefined && step.failure.invariant !== options.targetInvariant) continue;
          violation = { invariant: step.failure.invariant, message: step.failure.message, commands: [...path, data] };
          return report();
        }
        const f = fingerprint(child.view, child.model, { symmetry });
        if (seen.has(f)) continue;
        seen.add(f);
        next.push({ parent: node, command: data });
      }
    }
    depthCompleted = depth + 1;
    options.onDepth?.(depthCompleted, seen.size, transitions);
    if (next.length === 0) {
      exhausted = true;
      break;
    }
    frontier = next;
  }
  return report();
}

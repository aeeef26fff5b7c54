// Text the tool prints about a counterexample: numbered steps, replay and re-run commands, a
// ready-to-paste vitest test, and the JUnit XML report.

import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import type { FailureName, ProfileResult, StepRecord } from '../properties/runnerApi.ts';
import { canonicalCommand, commandText, commandThread } from './commandText.ts';
import { displayPath } from './repro.ts';

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const replayCommandLine = (file: string): string => `npx alloc-check replay ${shellQuote(displayPath(file))}`;

export interface SearchOptions {
  readonly profiles: readonly string[];
  readonly allProfiles: boolean;
  readonly seed: number;
  readonly budget: { readonly kind: 'runs'; readonly runs: number } | { readonly kind: 'time'; readonly seconds: number };
  readonly faults: readonly FaultName[];
  readonly outDir: string | null;
  /** `--config FILE`, when the search had one. */
  readonly configFile?: string | null;
  /** 0-based shard, when the search was one. */
  readonly shard?: { readonly index: number; readonly count: number } | null;
}

/** The command line that repeats a search exactly. */
export function rerunCommandLine(o: SearchOptions): string {
  const parts = ['npx alloc-check run', `--profile ${o.allProfiles ? 'all' : o.profiles.map(shellQuote).join(',')}`, `--seed ${o.seed}`];
  parts.push(o.budget.kind === 'runs' ? `--runs ${o.budget.runs}` : `--time ${o.budget.seconds}`);
  if (o.configFile != null) parts.push(`--config ${shellQuote(o.configFile)}`);
  if (o.shard != null) parts.push(`--shard ${o.shard.index + 1}/${o.shard.count}`);
  if (o.faults.length > 0) parts.push(`--faults ${o.faults.join(',')}`);
  if (o.outDir !== null) parts.push(`--out ${shellQuote(o.outDir)}`);
  return parts.join(' ');
}

/**
 * One row per command: the runner's record where the step was executed (records exist only for
 * executed steps), else the command with `notRun` as its result (skipped by its precondition when
 * it is within the processed steps, not reached after them).
 */
export function stepRows(commands: readonly CommandData[], records: readonly StepRecord[] | undefined, processedSteps?: number): StepRecord[] {
  const byStep = new Map((records ?? []).map((r) => [r.step, r]));
  // Steps up to `processed` were looked at: one without a record was skipped by its precondition
  // (a trailing one too); steps after it were never reached (the run stopped at a failure).
  const processed = processedSteps ?? Math.max(0, ...byStep.keys());
  return commands.map((command, i) => {
    const r = byStep.get(i + 1);
    const result = records === undefined ? '(not recorded)' : i + 1 <= processed ? '(skipped: precondition)' : '(not reached)';
    return r ?? { step: i + 1, command, text: commandText(command), thread: commandThread(command), result };
  });
}

/** `  1. alloc(t0, 8)` lines; the failing step is marked. */
export function numberedSteps(rows: readonly StepRecord[], failingStep: number, invariant: FailureName): string[] {
  const w = String(rows.length).length;
  const lines = rows.map((r) => `  ${String(r.step).padStart(w)}. ${r.text}${r.step === failingStep ? `   <- ${invariant} fails here` : ''}`);
  if (failingStep > rows.length) lines.push(`  ${' '.repeat(w)}  (end of run)   <- ${invariant} fails here`);
  return lines;
}

/** A table: step | thread | command | result, with the failing row marked `>`. */
export function stepTable(rows: readonly StepRecord[], failingStep: number | null): string[] {
  const cells = rows.map((r) => [String(r.step), r.thread === null ? '-' : `t${r.thread}`, r.text, r.result]);
  const head = ['step', 'thread', 'command', 'result'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const fmt = (c: readonly string[], mark: string) =>
    `${mark} ${c.map((x, i) => (i === 0 ? x.padStart(widths[i] as number) : x.padEnd(widths[i] as number))).join('  ')}`.trimEnd();
  return [fmt(head, ' '), fmt(widths.map((w) => '-'.repeat(w)), ' '), ...rows.map((r, i) => fmt(cells[i] as string[], r.step === failingStep ? '>' : ' '))];
}

const tsString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A test file for test/: reproduces the counterexample through runCommands, self-contained. */
export function vitestSnippet(args: {
  readonly file: string;
  readonly config: AllocatorConfig;
  readonly faults: readonly FaultName[];
  readonly commands: readonly CommandData[];
  readonly invariant: FailureName;
  readonly failingStep: number;
}): string {
  const { config, faults, commands, invariant, failingStep } = args;
  const rel = displayPath(args.file);
  const configLiteral = JSON.stringify({ ...config, faults: [...faults] });
  const cmdLines = commands.map((c, i) => `    ${JSON.stringify(canonicalCommand(c))}, // ${i + 1}. ${commandText(c)}`);
  const lines = [
    `import { expect, test } from 'vitest';`,
    `import { makeConfig } from '../impl/index.ts';`,
    `import type { CommandData } from '../properties/commandData.ts';`,
    `import { runCommands } from '../properties/runner.ts';`,
    ``,
    `// From ${rel} (replay: ${replayCommandLine(args.file)})`,
    `test(${tsString(`${invariant}: ${rel}`)}, () => {`,
    `  const config = makeConfig(${configLiteral});`,
    `  const commands: CommandData[] = [`,
    ...cmdLines,
    `  ];`,
  ];
  if (faults.length > 0) {
    lines.push(
      `  // With the planted fault(s) on, the suite must catch it, at the same step ...`,
      `  const outcome = runCommands(config, commands);`,
      `  expect(outcome.passed).toBe(false);`,
      `  expect(outcome.passed === false && [outcome.invariant, outcome.step]).toEqual([${tsString(invariant)}, ${failingStep}]);`,
      `  // ... and without them the same commands must pass.`,
      `  expect(runCommands(makeConfig({ ...config, faults: [] }), commands).passed).toBe(true);`,
    );
  } else {
    lines.push(`  // Fails until the allocator is fixed (today: ${invariant} at step ${failingStep}).`, `  expect(runCommands(config, commands)).toMatchObject({ passed: true });`);
  }
  lines.push(`});`);
  return `${lines.join('\n')}\n`;
}

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[^\t\n\r\x20-\uFFFD]/gu, '');

export interface JunitFailure {
  readonly profile: string;
  readonly invariant: FailureName;
  readonly message: string;
  readonly file: string;
  readonly steps: readonly string[];
  readonly rerun: string;
}

/** One testcase per profile; the failing profile has a failure element (invariant + replay command). */
export function junitXml(args: {
  readonly seed: number;
  readonly profiles: readonly ProfileResult[];
  readonly requested: readonly string[];
  readonly failure: JunitFailure | null;
  readonly seconds: number;
  /** Profiles that ran fewer than minRuns runs: failed testcases, never passed ones. */
  readonly starved?: readonly { readonly profile: string; readonly runs: number }[];
  readonly minRuns?: number;
}): string {
  const starved = args.starved ?? [];
  const cases = args.requested.map((name) => {
    const pr = args.profiles.find((p) => p.profile === name);
    const failed = args.failure !== null && args.failure.profile === name;
    const time = ((pr?.timeMs ?? 0) / 1000).toFixed(3);
    const attrs = `classname="alloc-check.run" name="${xml(name)}" time="${time}"${pr ? ` runs="${pr.runs}" steps="${pr.steps}"` : ''}`;
    const starvedCase = starved.find((p) => p.profile === name);
    if (starvedCase !== undefined) {
      const message = `ran ${starvedCase.runs} run${starvedCase.runs === 1 ? '' : 's'}, fewer than --min-runs ${args.minRuns ?? 1}: nothing was checked (give a larger --time or --runs)`;
      return `    <testcase ${attrs}>\n      <failure type="too-few-runs" message="${xml(message)}">${xml(message)}</failure>\n    </testcase>`;
    }
    if (failed && args.failure !== null) {
      const f = args.failure;
      const body = [
        `invariant: ${f.invariant}`,
        `message: ${f.message}`,
        `minimal repro (${f.steps.length} steps):`,
        ...f.steps,
        `replay: ${replayCommandLine(f.file)}`,
        `re-run: ${f.rerun}`,
      ].join('\n');
      return `    <testcase ${attrs}>\n      <failure type="${xml(f.invariant)}" message="${xml(`${f.invariant}: ${f.message} -- replay: ${replayCommandLine(f.file)}`)}">${xml(body)}</failure>\n    </testcase>`;
    }
    if (pr === undefined) return `    <testcase ${attrs}>\n      <skipped message="not run (the search stopped at the first failure)"/>\n    </testcase>`;
    return `    <testcase ${attrs}/>`;
  });
  const failures = (args.failure === null ? 0 : 1) + starved.length;
  const skipped = args.requested.filter((n) => !args.profiles.some((p) => p.profile === n) && args.failure?.profile !== n && !starved.some((p) => p.profile === n)).length;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="alloc-check" tests="${args.requested.length}" failures="${failures}" time="${args.seconds.toFixed(3)}">`,
    `  <testsuite name="alloc-check run (seed ${args.seed})" tests="${args.requested.length}" failures="${failures}" skipped="${skipped}" time="${args.seconds.toFixed(3)}">`,
    `    <properties><property name="seed" value="${args.seed}"/></properties>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join('\n');
}

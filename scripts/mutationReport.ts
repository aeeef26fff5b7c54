// The mutation report (issue 17, docs/mutation.md): from Stryker's JSON report to the suite's own
// columns. Pure functions over data (no Stryker, no file writes), so that test/mutation-report.test.ts
// checks them cheaply; scripts/mutation.ts runs Stryker and writes the files.
//
// Columns: a mutant of impl/ is killed by the search (the user search of test/mutation/
// search.mutation.ts failed with it), killed by unit tests only (the search ran first and passed,
// a unit test of UNIT_TEST_FILES failed), timed out, survived (no test failed, or no test reached
// it), or equivalent (a survivor judged so in docs/mutation.json's judgements). Harness mutants
// (the fault switches, HARNESS_FUNCTIONS) are a separate row, outside the score; the harness files are not mutated.

import { readdirSync } from 'node:fs';
import ts from 'typescript';

/**
 * Test-only code inside mutated files: the body of a test hook kept beside the structure it pokes,
 * an accessor only the unit tests call. Its mutants test the harness, not the allocator: they are
 * counted with the fault switches, outside the score (found in session 4's run: all 19 of
 * setChunkAllocated's and 7 of mappedCount's were killed only by the unit tests, which call them).
 */
export const HARNESS_FUNCTIONS: Readonly<Record<string, string>> = {
  'impl/pool.ts:setChunkAllocated': 'the body of the test hook setPoolChunkAllocated (impl/hooks.ts); no allocator path calls it',
  'impl/os.ts:mappedCount': 'an accessor only the unit tests call (no allocator path, no view)',
  // Clone code and the test-hook entry kept in allocator.ts beside the class they copy (session 5):
  // the explorer's copies and the hooks, like impl/clone.ts and impl/hooks.ts, which are excluded.
  'impl/allocator.ts:clone': 'clone code: the explorer\'s deep copy (impl/clone.ts is excluded)',
  'impl/allocator.ts:restoreFrom': 'clone code: the explorer\'s copy in place (impl/clone.ts is excluded)',
  'impl/allocator.ts:cloneAllocator': 'clone code: the explorer\'s entry to clone (impl/clone.ts is excluded)',
  'impl/allocator.ts:restoreAllocator': 'clone code: the explorer\'s entry to restoreFrom (impl/clone.ts is excluded)',
  'impl/allocator.ts:testHooks': 'the entry of the test hooks (impl/hooks.ts is excluded)',
};

/** Whether a mutant key (file:function:...) lies in a HARNESS_FUNCTIONS function. */
export function inHarnessFunction(key: string): boolean {
  const [file, fn] = key.split(':');
  return HARNESS_FUNCTIONS[`${file}:${fn}`] !== undefined;
}

/** Files of impl/ that are not mutated: their mutants test the harness, not the allocator. */
export const EXCLUDED_FILES: Readonly<Record<string, string>> = {
  'impl/config.ts': 'config validation and profiles',
  'impl/view.ts': 'the read-only view the checks read: types',
  'impl/viewImpl.ts': 'the read-only view: implementation',
  'impl/hooks.ts': 'test hooks',
  'impl/clone.ts': 'clone code: copies for the explorer',
};

/** Every file of impl/ (as `impl/x.ts`), sorted. */
export const implFiles = (root = '.'): string[] => readdirSync(`${root}/impl`).filter((f) => f.endsWith('.ts')).map((f) => `impl/${f}`).sort();

/** Shard `index` (0-based) of `count`: the files i (in the given order) with i mod count = index. */
export function shardFiles(files: readonly string[], shard: { readonly index: number; readonly count: number } | null): string[] {
  return shard === null ? [...files] : files.filter((_, i) => i % shard.count === shard.index);
}

/**
 * Shard reports (`--shard I/N`, each its own files) as one report: rows and figures of the union,
 * new survivors against `baseline`. Null when two reports measured the same file.
 */
export function mergeReports(parts: readonly MutationReport[], mutatedFiles: readonly string[], baseline: MutationReport | null, command: string): MutationReport | null {
  const measured = parts.flatMap((p) => p.measuredFiles);
  if (new Set(measured).size !== measured.length || parts.length === 0) return null;
  const first = parts[0] as MutationReport;
  const mutants = parts.flatMap((p) => p.mutants);
  const perFile: Record<string, Counts> = {};
  for (const p of parts) Object.assign(perFile, p.perFile);
  const notRunFiles = mutatedFiles.filter((f) => !measured.includes(f));
  return {
    ...first,
    kind: notRunFiles.length === 0 ? 'full' : 'files',
    command,
    durationS: Math.max(...parts.map((p) => p.durationS)),
    measuredFiles: mutatedFiles.filter((f) => measured.includes(f)),
    notRunFiles,
    totals: countRows(mutants),
    perFile,
    newSurvivors: newSurvivors(mutants, baseline),
    mutants,
  };
}

/**
 * `--files … --update` (and `--quick --update`): the committed report with the files this run
 * measured replaced by this run's rows, every other file's rows kept from it. Without this the
 * committed full report would be overwritten by a partial one (found in session 8: a two-file
 * re-run left docs/mutation.json with two files measured and eleven "not run"). New survivors are
 * this run's (against the committed report); the duration kept is the longest part's (the full
 * run's, for a full report re-run in part). Null when the committed report is not there.
 */
export function spliceIntoBaseline(baseline: MutationReport | null, partial: MutationReport, mutatedFiles: readonly string[]): MutationReport | null {
  if (baseline === null) return null;
  const redone = new Set(partial.measuredFiles);
  const keptFiles = baseline.measuredFiles.filter((f) => !redone.has(f));
  const kept: MutationReport = {
    ...baseline,
    measuredFiles: keptFiles,
    mutants: baseline.mutants.filter((m) => !redone.has(m.file)),
    perFile: Object.fromEntries(keptFiles.flatMap((f) => (baseline.perFile[f] !== undefined ? [[f, baseline.perFile[f] as Counts]] : []))),
  };
  const merged = mergeReports([kept, partial], mutatedFiles, null, `${baseline.command} (${baseline.date}), then ${partial.command} (${partial.date})`);
  if (merged === null) return null;
  return { ...merged, date: partial.date, newSurvivors: partial.newSurvivors, judgements: partial.judgements };
}

/** `--quick`: these files only (a fixed, documented subset). */
export const QUICK_FILES: readonly string[] = ['impl/free.ts', 'impl/threads.ts'];

export type Verdict = 'killedBySearch' | 'killedByUnitTestsOnly' | 'timedOut' | 'survived' | 'equivalent' | 'error' | 'harness';

export interface MutantRow {
  readonly key: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  /** Stryker's own status (Killed, Survived, NoCoverage, Timeout, ...). */
  readonly status: string;
  readonly verdict: Verdict;
}

export interface Counts {
  mutants: number;
  killedBySearch: number;
  killedByUnitTestsOnly: number;
  survived: number;
  equivalent: number;
  timedOut: number;
  errors: number;
  /** Survivors no test reached (Stryker's NoCoverage), part of `survived`. */
  notReached: number;
  /** Fault-switch mutants: not in `mutants`, not in the score. */
  harness: number;
  score: number | null;
}

export interface Judgement {
  readonly verdict: 'equivalent' | 'not-equivalent';
  readonly note: string;
}

export interface MutationReport {
  readonly kind: 'full' | 'quick' | 'files' | 'shard';
  readonly command: string;
  readonly date: string;
  readonly durationS: number;
  readonly search: { readonly runsPerProfile: number; readonly seed: number; readonly testFile: string };
  readonly unitTestFiles: readonly string[];
  readonly measuredFiles: readonly string[];
  /** Mutated files not in this run (a quick or sharded run): listed, with no figures. */
  readonly notRunFiles: readonly string[];
  readonly excludedFiles: Readonly<Record<string, string>>;
  readonly totals: Counts;
  readonly perFile: Readonly<Record<string, Counts>>;
  readonly newSurvivors: readonly string[];
  readonly mutants: readonly MutantRow[];
  readonly judgements: Readonly<Record<string, Judgement>>;
}

// --- Stryker's JSON report (mutation-testing-report-schema), the parts read here --------------

export interface StrykerMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly killedBy?: readonly string[];
  readonly testsCompleted?: number;
  readonly location: { readonly start: { readonly line: number; readonly column: number }; readonly end: { readonly line: number; readonly column: number } };
}
export interface StrykerJson {
  readonly files: Readonly<Record<string, { readonly source: string; readonly mutants: readonly StrykerMutant[] }>>;
  readonly testFiles?: Readonly<Record<string, { readonly tests: readonly { readonly id: string; readonly name: string }[] }>>;
}

// --- fault switches ---------------------------------------------------------------------------

interface Span {
  readonly start: number;
  readonly end: number;
}

/** `h.faults.x`, `config.faults.includes(...)`: a read of the fault switches. */
const isFaultRead = (n: ts.Node): boolean => ts.isPropertyAccessExpression(n) && /(^|\.)faults$/.test(n.expression.getText());

const isLogical = (n: ts.Node): n is ts.BinaryExpression =>
  ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || n.operatorToken.kind === ts.SyntaxKind.BarBarToken);

const stripParens = (n: ts.Expression): ts.Expression => (ts.isParenthesizedExpression(n) ? stripParens(n.expression) : n);

/**
 * The harness spans of a file: the fault switches. A fault operand (`h.faults.x`, `!h.faults.x`)
 * and the `&&`/`||` joining it to a condition; the branch only a fault takes (the then-branch of
 * `if (h.faults.x ...)`, the else-branch of `if (!h.faults.x)`); the function `faultFlags` and the
 * statement storing its result (heap.ts: resolving config.faults once).
 */
export function faultSpans(fileName: string, source: string): { readonly within: Span[]; readonly logical: Span[] } {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const within: Span[] = [];
  const logical: Span[] = [];
  const span = (n: ts.Node): Span => ({ start: n.getStart(sf), end: n.getEnd() });
  const operandOf = (read: ts.Node): ts.Node => {
    let n: ts.Node = ts.isCallExpression(read.parent) && read.parent.expression === read ? read.parent : read;
    while (ts.isParenthesizedExpression(n.parent) || (ts.isPrefixUnaryExpression(n.parent) && n.parent.operator === ts.SyntaxKind.ExclamationToken)) n = n.parent;
    return n;
  };
  const positive = (operand: ts.Node): boolean => !(ts.isPrefixUnaryExpression(stripParens(operand as ts.Expression)));
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name?.text === 'faultFlags') within.push(span(n));
    if (ts.isExpressionStatement(n) && /\bfaultFlags\(/.test(n.getText(sf))) within.push(span(n));
    if (isFaultRead(n)) {
      const operand = operandOf(n);
      within.push(span(operand));
      const parent = operand.parent;
      if (isLogical(parent)) logical.push(span(parent));
      // The condition the operand is a conjunct of: `f`, or `a && f && b` (parentheses allowed).
      let cond: ts.Node = operand;
      while (ts.isParenthesizedExpression(cond.parent) || (isLogical(cond.parent) && cond.parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken)) cond = cond.parent;
      const holder = cond.parent;
      const guarded = (ts.isIfStatement(holder) && holder.expression === cond) || (ts.isConditionalExpression(holder) && holder.condition === cond);
      if (guarded && positive(operand)) {
        // `if (f && more) x`: the whole condition and x run for the fault only (with faults off the condition is false).
        within.push(span(cond));
        within.push(span(ts.isIfStatement(holder) ? holder.thenStatement : (holder as ts.ConditionalExpression).whenTrue));
      } else if (guarded && cond === operand) {
        // `if (!f) x else y`: y runs for the fault only.
        const other = ts.isIfStatement(holder) ? holder.elseStatement : (holder as ts.ConditionalExpression).whenFalse;
        if (other !== undefined) within.push(span(other));
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { within, logical };
}

// --- classification ---------------------------------------------------------------------------

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  return starts;
}

/** Enclosing function, method, class member or top-level constant of an offset, for keys that survive line shifts. */
function enclosingName(sf: ts.SourceFile, offset: number): string {
  let name = '<module>';
  const visit = (n: ts.Node): void => {
    if (offset < n.getStart(sf) || offset >= n.getEnd()) return;
    const fnVariable = ts.isVariableDeclaration(n) && (n.parent.parent.parent === sf || (n.initializer !== undefined && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))));
    if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isClassDeclaration(n) || ts.isPropertyDeclaration(n) || fnVariable) && n.name !== undefined) name = n.name.getText(sf);
    if (ts.isConstructorDeclaration(n)) name = 'constructor';
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return name;
}

const squash = (s: string, max: number): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
};

export function searchTestIds(json: StrykerJson, searchTestFile: string): Set<string> {
  return new Set((json.testFiles?.[searchTestFile]?.tests ?? []).map((t) => t.id));
}

/**
 * Mutants the search killed after another test had run: none when the search runs first (the
 * mutation vitest config's sequencer) and Stryker bails at the first failure. Any other count
 * means the order broke, and "killed by unit tests only" may hold mutants the search kills too.
 */
export function orderViolations(json: StrykerJson, searchTestFile: string): number {
  const searchIds = searchTestIds(json, searchTestFile);
  let n = 0;
  for (const f of Object.values(json.files)) for (const m of f.mutants) if (m.status === 'Killed' && (m.killedBy ?? []).some((id) => searchIds.has(id)) && (m.testsCompleted ?? 1) > 1) n++;
  return n;
}

/** Every mutant of the Stryker report as a row with its verdict. */
export function classify(json: StrykerJson, searchTestFile: string, judgements: Readonly<Record<string, Judgement>>): MutantRow[] {
  const searchIds = searchTestIds(json, searchTestFile);
  const rows: MutantRow[] = [];
  for (const file of Object.keys(json.files).sort()) {
    const { source, mutants } = json.files[file] as { source: string; mutants: readonly StrykerMutant[] };
    const starts = lineStarts(source);
    const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true);
    const spans = faultSpans(file, source);
    const seen = new Map<string, number>();
    const sorted = [...mutants].sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column || a.mutatorName.localeCompare(b.mutatorName) || (a.replacement ?? '').localeCompare(b.replacement ?? ''));
    for (const m of sorted) {
      const start = (starts[m.location.start.line - 1] as number) + m.location.start.column - 1;
      const end = (starts[m.location.end.line - 1] as number) + m.location.end.column - 1;
      const original = squash(source.slice(start, end), 120);
      const replacement = squash(m.replacement ?? '', 120);
      const base = `${file}:${enclosingName(sf, start)}:${m.mutatorName}:${original} → ${replacement}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const key = n === 1 ? base : `${base} #${n}`;
      const harness = spans.within.some((s) => s.start <= start && end <= s.end) || (m.mutatorName === 'LogicalOperator' && spans.logical.some((s) => s.start === start && s.end === end));
      const verdict = harness || inHarnessFunction(key) ? 'harness' : verdictOf(m, searchIds, judgements[key]);
      rows.push({ key, file, line: m.location.start.line, column: m.location.start.column, mutator: m.mutatorName, original, replacement, status: m.status, verdict });
    }
  }
  return rows;
}

function verdictOf(m: StrykerMutant, searchIds: ReadonlySet<string>, judgement: Judgement | undefined): Verdict {
  switch (m.status) {
    case 'Killed':
      return (m.killedBy ?? []).some((id) => searchIds.has(id)) ? 'killedBySearch' : 'killedByUnitTestsOnly';
    case 'Timeout':
      return 'timedOut';
    case 'Survived':
    case 'NoCoverage':
      return judgement?.verdict === 'equivalent' ? 'equivalent' : 'survived';
    default:
      return 'error';
  }
}

export function countRows(rows: readonly MutantRow[]): Counts {
  const c: Counts = { mutants: 0, killedBySearch: 0, killedByUnitTestsOnly: 0, survived: 0, equivalent: 0, timedOut: 0, errors: 0, notReached: 0, harness: 0, score: null };
  for (const r of rows) {
    if (r.verdict === 'harness') {
      c.harness++;
      continue;
    }
    c.mutants++;
    if (r.verdict === 'error') c.errors++;
    else c[r.verdict]++;
    if (r.verdict === 'survived' && r.status === 'NoCoverage') c.notReached++;
  }
  c.score = c.mutants - c.equivalent > 0 ? c.killedBySearch / (c.mutants - c.equivalent) : null;
  return c;
}

/**
 * Survivors not there before: a survivor of a file the baseline measured whose key the baseline
 * does not hold as a survivor (or equivalent). Files the baseline did not measure are not compared.
 */
export function newSurvivors(rows: readonly MutantRow[], baseline: MutationReport | null): string[] {
  if (baseline === null) return [];
  const measured = new Set(baseline.measuredFiles);
  const before = new Set(baseline.mutants.filter((m) => m.verdict === 'survived' || m.verdict === 'equivalent').map((m) => m.key));
  return rows.filter((r) => r.verdict === 'survived' && measured.has(r.file) && !before.has(r.key)).map((r) => r.key);
}

/**
 * The report with its survivors judged again by `judgements` (after a judgement was written into
 * docs/mutation.json by hand): a survivor judged equivalent becomes equivalent, and back; counts redone.
 */
export function rejudged(report: MutationReport, judgements: Readonly<Record<string, Judgement>>): MutationReport {
  const mutants = report.mutants.map((m): MutantRow => {
    if (inHarnessFunction(m.key)) return { ...m, verdict: 'harness' };
    if (m.verdict !== 'survived' && m.verdict !== 'equivalent') return m;
    return { ...m, verdict: judgements[m.key]?.verdict === 'equivalent' ? 'equivalent' : 'survived' };
  });
  const perFile: Record<string, Counts> = {};
  for (const f of report.measuredFiles) perFile[f] = countRows(mutants.filter((m) => m.file === f));
  return { ...report, mutants, perFile, totals: countRows(mutants), judgements };
}

/** The one document `npm run mutation -- --json` prints. */
export function jsonSummary(report: MutationReport): Record<string, unknown> {
  const t = report.totals;
  return { mutants: t.mutants, killedBySearch: t.killedBySearch, killedByUnitTestsOnly: t.killedByUnitTestsOnly, survived: t.survived, equivalent: t.equivalent, timedOut: t.timedOut, score: t.score, newSurvivors: report.newSurvivors };
}

/** What is wrong with a committed report's coverage of impl/ (empty: every file accounted for). */
export function coverageProblems(report: MutationReport, implFiles: readonly string[]): string[] {
  const problems: string[] = [];
  const measured = new Set(report.measuredFiles);
  const notRun = new Set(report.notRunFiles);
  for (const f of implFiles) {
    const excluded = report.excludedFiles[f] !== undefined;
    const places = [measured.has(f), notRun.has(f), excluded].filter(Boolean).length;
    if (places === 0) problems.push(`${f}: not in the report (neither measured, not-run nor excluded)`);
    if (places > 1) problems.push(`${f}: listed in more than one of measured, not-run, excluded`);
    if (measured.has(f) && report.perFile[f] === undefined) problems.push(`${f}: measured but has no figures`);
    if (report.kind === 'full' && notRun.has(f)) problems.push(`${f}: a full report leaves it not run`);
  }
  for (const f of [...measured, ...notRun, ...Object.keys(report.excludedFiles)]) if (!implFiles.includes(f)) problems.push(`${f}: in the report but not a file of impl/`);
  return problems;
}

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

/** The generated section of docs/mutation.md. */
export function markdown(report: MutationReport): string {
  const head = '| file | mutants | killed by search | unit tests only | survived (not reached) | equivalent | timed out | errors | score | harness: fault switches, test-only code (not scored) |';
  const row = (name: string, c: Counts): string => `| ${name} | ${c.mutants} | ${c.killedBySearch} | ${c.killedByUnitTestsOnly} | ${c.survived} (${c.notReached}) | ${c.equivalent} | ${c.timedOut} | ${c.errors} | ${pct(c.score)} | ${c.harness} |`;
  const lines = [
    `Report kind: **${report.kind}**${report.kind === 'full' ? '' : ' (a subset of impl/, not the full run)'}; \`${report.command}\`, ${report.date}, ${report.durationS} s.`,
    `Killing search: \`alloc-check run --profile all --runs ${report.search.runsPerProfile} --seed ${report.search.seed}\` (${report.search.testFile}); unit-test column: ${report.unitTestFiles.join(', ')}.`,
    '',
  ];
  if (report.newSurvivors.length > 0) lines.push('**New survivors (regressions):**', ...report.newSurvivors.map((k) => `- \`${k}\``), '');
  lines.push(head, '|---|---|---|---|---|---|---|---|---|---|', row('**all measured**', report.totals));
  for (const f of report.measuredFiles) lines.push(row(f, report.perFile[f] as Counts));
  lines.push('', `Not run in this report: ${report.notRunFiles.length === 0 ? 'none' : report.notRunFiles.join(', ')}.`);
  lines.push(`Excluded (not mutated): ${Object.entries(report.excludedFiles).map(([f, why]) => `${f} (${why})`).join(', ')}.`, '');
  const unitOnly = report.mutants.filter((m) => m.verdict === 'killedByUnitTestsOnly');
  lines.push(`Killed by unit tests only (${unitOnly.length}: the search survived them, a gap of the search):`, '');
  for (const m of unitOnly) lines.push(`- ${m.file}:${m.line} \`${m.key.replace(/\|/g, '\\|')}\``);
  lines.push('');
  const survivors = report.mutants.filter((m) => m.verdict === 'survived' || m.verdict === 'equivalent' || m.verdict === 'timedOut');
  lines.push('Survivors, equivalents and time-outs (key: file:function:mutator:original → replacement):', '', '| line | verdict | key | judgement |', '|---|---|---|---|');
  for (const m of survivors) lines.push(`| ${m.file}:${m.line} | ${m.verdict}${m.status === 'NoCoverage' ? ' (not reached)' : ''} | \`${m.key.replace(/\|/g, '\\|')}\` | ${(report.judgements[m.key]?.note ?? '').replace(/\|/g, '\\|')} |`);
  return lines.join('\n');
}

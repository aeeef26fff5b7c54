// Goal: the committed mutation report (docs/mutation.json, written by `npm run mutation --
// --update`) accounts for every file of impl/: each is measured (with its figures), not run in this
// report (a quick or sharded one, listed so), or excluded with its reason; its figures add up; and
// the report's own classification rules (fault switches, new survivors, the score) hold.
// Method: read the committed JSON and the impl/ directory (no Stryker run); the coverage checker
// is also run on reports broken on purpose (a file dropped, a full report leaving a file out) and
// must report them; the fault-switch spans are checked on a small source written here.

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXCLUDED_FILES, classify, countRows, coverageProblems, faultSpans, implFiles, mergeReports, newSurvivors, orderViolations, shardFiles, spliceIntoBaseline } from '../scripts/mutationReport.ts';
import type { MutantRow, MutationReport, StrykerJson } from '../scripts/mutationReport.ts';
// Type-only (erased at run time: nothing runs): so that `tsc -p tsconfig.json` also checks the script.
import type {} from '../scripts/mutation.ts';

const REPORT_PATH = 'docs/mutation.json';
const report = (): MutationReport => JSON.parse(readFileSync(REPORT_PATH, 'utf8')) as MutationReport;

describe('the committed mutation report', () => {
  it('exists (npm run mutation -- --update writes it)', () => {
    expect(existsSync(REPORT_PATH)).toBe(true);
  });

  it('covers every file of impl/: measured, not run (listed) or excluded with a reason', () => {
    const r = report();
    expect(coverageProblems(r, implFiles())).toEqual([]);
    expect(r.excludedFiles).toEqual(EXCLUDED_FILES);
    if (r.kind !== 'full') console.log(`docs/mutation.json is a ${r.kind} report: ${r.notRunFiles.length} mutated files not run yet (${r.notRunFiles.join(', ')})`);
  });

  it('its figures are its rows: totals and per-file counts recomputed from the mutants', () => {
    const r = report();
    expect(countRows(r.mutants)).toEqual(r.totals);
    for (const f of r.measuredFiles) expect(countRows(r.mutants.filter((m) => m.file === f)), f).toEqual(r.perFile[f]);
    expect(r.mutants.every((m) => r.measuredFiles.includes(m.file))).toBe(true);
    expect(r.totals.mutants).toBeGreaterThan(0);
  });

  it('the coverage check fails on a report that drops a file or leaves one out of a full run', () => {
    const r = report();
    const dropped = { ...r, measuredFiles: r.measuredFiles.slice(1), notRunFiles: r.notRunFiles };
    expect(coverageProblems(dropped, implFiles()).join('\n')).toContain(`${r.measuredFiles[0]}: not in the report`);
    const fullButPartial = { ...r, kind: 'full' as const, notRunFiles: [...r.notRunFiles, 'impl/tls.ts'].filter((f, i, a) => a.indexOf(f) === i), measuredFiles: r.measuredFiles.filter((f) => f !== 'impl/tls.ts') };
    expect(coverageProblems(fullButPartial, implFiles()).join('\n')).toContain('impl/tls.ts: a full report leaves it not run');
    expect(coverageProblems(r, [...implFiles(), 'impl/newFile.ts'])).toEqual(['impl/newFile.ts: not in the report (neither measured, not-run nor excluded)']);
  });
});

describe('the report rules', () => {
  const source = [
    'function f(h: H, g: number): void {',
    '  if (!h.faults.a) flush(g);',
    '  if (h.faults.b && g > 0) broken(g);',
    '  if (g > 1 && !h.faults.c) other(g);',
    '}',
  ].join('\n');
  const text = (s: { start: number; end: number }): string => source.slice(s.start, s.end);

  it('fault switches: the operand, the && joining it, the branch only a fault takes; allocator code is not one', () => {
    const spans = faultSpans('x.ts', source);
    const within = spans.within.map(text);
    expect(within).toContain('!h.faults.a');
    expect(within).toContain('h.faults.b && g > 0');
    expect(within).toContain('broken(g);');
    expect(within).toContain('!h.faults.c');
    expect(within).not.toContain('flush(g);');
    expect(within).not.toContain('other(g);');
    expect(within.some((w) => w.includes('g > 1'))).toBe(false);
    expect(spans.logical.map(text)).toEqual(['h.faults.b && g > 0', 'g > 1 && !h.faults.c']);
  });

  const row = (key: string, verdict: MutantRow['verdict'], status = 'Survived'): MutantRow => ({ key, file: 'impl/a.ts', line: 1, column: 1, mutator: 'm', original: 'o', replacement: 'r', status, verdict });

  it('score = killed by the search / (mutants - equivalent); harness rows are outside', () => {
    const c = countRows([row('1', 'killedBySearch'), row('2', 'killedBySearch'), row('3', 'killedByUnitTestsOnly'), row('4', 'survived', 'NoCoverage'), row('5', 'equivalent'), row('6', 'harness')]);
    expect(c).toMatchObject({ mutants: 5, killedBySearch: 2, killedByUnitTestsOnly: 1, survived: 1, notReached: 1, equivalent: 1, harness: 1, score: 0.5 });
  });

  it('a survivor is new when the baseline measured its file and did not have it survive', () => {
    const baseline = { measuredFiles: ['impl/a.ts'], mutants: [row('old', 'survived'), row('killed-before', 'killedBySearch')] } as unknown as MutationReport;
    const now = [row('old', 'survived'), row('killed-before', 'survived'), { ...row('elsewhere', 'survived'), file: 'impl/b.ts' }];
    expect(newSurvivors(now, baseline)).toEqual(['killed-before']);
    expect(newSurvivors(now, null)).toEqual([]);
  });

  it('columns from Stryker: search kill, unit-only kill, fault switch; a search kill after another test is an order violation', () => {
    const at = (line: number, c0: number, c1: number) => ({ start: { line, column: c0 }, end: { line, column: c1 } });
    const json = (searchTestsCompleted: number): StrykerJson => ({
      files: {
        'impl/a.ts': {
          source,
          mutants: [
            { id: '1', mutatorName: 'ArithmeticOperator', replacement: 'g < 1', status: 'Killed', killedBy: ['s'], testsCompleted: searchTestsCompleted, location: at(4, 7, 12) },
            { id: '2', mutatorName: 'BlockStatement', replacement: '{}', status: 'Killed', killedBy: ['u'], testsCompleted: 2, location: at(2, 20, 28) },
            { id: '3', mutatorName: 'BooleanLiteral', replacement: 'h.faults.a', status: 'Survived', location: at(2, 7, 18) },
          ],
        },
      },
      testFiles: { 'test/mutation/search.mutation.ts': { tests: [{ id: 's', name: 'search' }] }, 'test/u.test.ts': { tests: [{ id: 'u', name: 'unit' }] } },
    });
    const rows = classify(json(1), 'test/mutation/search.mutation.ts', {});
    expect(rows.map((r) => [r.original, r.verdict])).toEqual([['!h.faults.a', 'harness'], ['flush(g)', 'killedByUnitTestsOnly'], ['g > 1', 'killedBySearch']]);
    expect(orderViolations(json(1), 'test/mutation/search.mutation.ts')).toBe(0);
    expect(orderViolations(json(2), 'test/mutation/search.mutation.ts')).toBe(1);
  });

  it('--shard I/N: the shards of the mutated files are disjoint and together all of them; --merge joins shard reports', () => {
    const files = implFiles().filter((f) => EXCLUDED_FILES[f] === undefined);
    for (let count = 1; count <= 4; count++) {
      const shards = Array.from({ length: count }, (_, index) => shardFiles(files, { index, count }));
      expect(shards.flat().sort()).toEqual(files);
    }
    const r = report();
    const part = (keep: readonly string[]): MutationReport => ({ ...r, measuredFiles: keep, mutants: r.mutants.filter((m) => keep.includes(m.file)), perFile: Object.fromEntries(keep.map((f) => [f, r.perFile[f] as (typeof r.perFile)[string]])) });
    const halves = shardFiles(r.measuredFiles, { index: 0, count: 2 });
    const rest = r.measuredFiles.filter((f) => !halves.includes(f));
    const merged = mergeReports([part(halves), part(rest)], files, null, 'merge');
    expect(merged?.totals).toEqual(r.totals);
    expect(merged?.notRunFiles).toEqual(r.notRunFiles);
    expect(mergeReports([part(halves), part(halves)], files, null, 'merge')).toBeNull();
  });

  it('--files --update splices: the re-run files\' rows replace the committed ones, every other file is kept', () => {
    const files = implFiles().filter((f) => EXCLUDED_FILES[f] === undefined);
    const r = report();
    const redo = r.measuredFiles.slice(0, 2);
    const rows = r.mutants.filter((m) => redo.includes(m.file)).map((m, i) => (i === 0 ? { ...m, verdict: 'survived' as const, status: 'Survived' } : m));
    const partial: MutationReport = { ...r, kind: 'files', command: 'partial', date: 'later', measuredFiles: redo, notRunFiles: files.filter((f) => !redo.includes(f)), mutants: rows, perFile: Object.fromEntries(redo.map((f) => [f, countRows(rows.filter((m) => m.file === f))])), totals: countRows(rows), newSurvivors: ['k'] };
    const spliced = spliceIntoBaseline(r, partial, files);
    expect(spliced?.measuredFiles).toEqual(r.measuredFiles);
    expect(spliced?.kind).toBe(r.kind);
    expect(spliced?.mutants.length).toBe(r.mutants.length);
    expect(spliced?.totals).toEqual(countRows([...r.mutants.filter((m) => !redo.includes(m.file)), ...rows]));
    expect(spliced?.perFile[redo[0] as string]).toEqual(partial.perFile[redo[0] as string]);
    expect(spliced?.perFile[r.measuredFiles[3] as string]).toEqual(r.perFile[r.measuredFiles[3] as string]);
    expect([spliced?.newSurvivors, spliced?.date]).toEqual([['k'], 'later']);
    expect(spliceIntoBaseline(null, partial, files)).toBeNull();
  });
});

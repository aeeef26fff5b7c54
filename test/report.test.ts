// Goal: the heap timeline behind the HTML report and `replay --json` says the truth about every
// block at every step, survives the step-to-step delta coding unchanged, and keeps reports small
// (a 30-step run on the `default` profile, 2 MiB SuperSlabs, under 1 MB).
// Method: the stored repros of counterexamples/ (their planted faults show known states: a remote
// block whose header a drain forgot to restore, a TLS cache made cyclic by an unchecked double
// free), the same commands with no fault, two sessions whose models are swapped to force
// disagreements, and a generated 30-step, 4-thread, every-class sequence on `default`.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import type { AllocatorConfig } from '../impl/index.ts';
import type { CommandData } from '../properties/commandData.ts';
import { Session, commandFromData, runCommands } from '../properties/runner.ts';
import { findReproFiles, loadRepro } from '../cli/repro.ts';
import type { LoadedRepro } from '../cli/repro.ts';
import { slabMap } from '../cli/slabMap.ts';
import { EMPTY_HEAP, decodeTimeline, encodeDelta, encodeTimeline, rleDecode, rleEncode } from '../report/delta.ts';
import { captureHeap } from '../report/heapState.ts';
import type { HeapState } from '../report/heapState.ts';
import { renderReportHtml, reportHtmlFor, reportPayload, writeReportInto, writeReportsInto } from '../report/html.ts';
import { captureTimeline } from '../report/timeline.ts';
import { runCli } from './support/cli.ts';

const REPROS = findReproFiles(new URL('../counterexamples', import.meta.url).pathname);

function load(suffix: string): LoadedRepro {
  const file = REPROS.find((f) => f.endsWith(suffix));
  const l = file === undefined ? null : loadRepro(file);
  if (l === null || !l.ok) throw new Error(`no repro ${suffix}`);
  return l.value;
}

const cellAt = (s: HeapState, slabId: number, block: number): string | undefined =>
  s.slabs.find((x) => x.slabId === slabId)?.cells[block];

describe('heap timeline', () => {
  it('has one state per processed step, and the delta coding gives every state back exactly', () => {
    expect(REPROS.length).toBeGreaterThan(10);
    for (const file of REPROS) {
      const l = loadRepro(file);
      if (!l.ok) throw new Error(file);
      const t = captureTimeline(l.value.faultyConfig, l.value.repro.commands);
      expect(t.states.length, file).toBe(l.value.repro.failingStep + 1);
      expect(decodeTimeline(encodeTimeline(t.states)), file).toEqual(t.states);
    }
    expect(rleDecode(rleEncode('fff#..........c'))).toBe('fff#..........c');
    expect(rleEncode('ffff#')).toBe('4f#');
  });

  it('agrees with the failing-step slab map of replay, block for block (header aside)', () => {
    let compared = 0;
    for (const file of REPROS) {
      const l = loadRepro(file);
      if (!l.ok) throw new Error(file);
      const outcome = runCommands(l.value.faultyConfig, l.value.repro.commands, { keepAllocator: true });
      if (outcome.passed || outcome.slabId === undefined || outcome.allocator === undefined) continue;
      const map = slabMap(outcome.allocator.view, outcome.slabId);
      if (map === undefined || map.cells === '') continue;
      const t = captureTimeline(l.value.faultyConfig, l.value.repro.commands);
      const cells = t.states[outcome.step]?.slabs.find((s) => s.slabId === outcome.slabId)?.cells ?? '';
      // The text map has no header state: a header-wrong block is one of its other states there.
      expect([...cells].map((ch, i) => (ch === 'x' ? map.cells[i] : ch)).join(''), file).toBe(map.cells);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(5);
  });

  it('shows a remote block, then its unrestored header after the drain; restored with no fault', () => {
    const l = load('lists-wellformed/ad4a8620e58d.json'); // alloc(t0, 0), free(t1, #0), drain(t0, c0)
    const faulty = captureTimeline(l.faultyConfig, l.repro.commands).states;
    const clean = captureTimeline(l.cleanConfig, l.repro.commands).states;
    const slab = faulty[1]?.slabs.find((s) => s.cells.includes('#'));
    if (slab === undefined) throw new Error('no live block after step 1');
    const block = slab.cells.indexOf('#');
    expect([1, 2, 3].map((k) => cellAt(faulty[k] as HeapState, slab.slabId, block))).toEqual(['#', 'r', 'x']);
    expect([1, 2, 3].map((k) => cellAt(clean[k] as HeapState, slab.slabId, block))).toEqual(['#', 'r', 'f']);
  });

  it('reports a cycle in a TLS cache (unchecked double free) and the blocks it hides', () => {
    const l = load('bad-free-rejected/3a69c76aa129.json');
    const t = captureTimeline(l.faultyConfig, l.repro.commands);
    const last = t.states[t.states.length - 1] as HeapState;
    expect(last.notes.some((n) => /cache: cycle at/.test(n))).toBe(true);
    expect(t.states[1]?.notes).toEqual([]);
  });

  it('shows disagreements with the model both ways, and none on an honest state', () => {
    const config = profileConfig('tiny');
    const one = new Session(config);
    const two = new Session(config);
    const alloc = commandFromData({ kind: 'alloc', thread: 0, size: 8 });
    one.execute(alloc, 1);
    two.execute(alloc, 1);
    two.execute(commandFromData({ kind: 'alloc', thread: 0, size: 8 }), 2);
    expect(captureHeap(two.view, two.model).compare.disagreements).toEqual([]);
    const implAhead = captureHeap(two.view, one.model).compare;
    expect(implAhead.disagreements).toEqual([
      expect.stringMatching(/^implementation: 0x[0-9a-f]{8} live \(C1\), on no list; model: not live$/),
    ]);
    expect(implAhead.classes[1]).toMatchObject({ modelLive: 1, implLive: 2 });
    const modelAhead = captureHeap(one.view, two.model).compare;
    expect(modelAhead.disagreements).toEqual([
      expect.stringMatching(/^model: 0x[0-9a-f]{8} live \(C1, t0\); implementation: in a thread cache \(C1\)$/),
    ]);
    expect(modelAhead.disagreeBases).toHaveLength(1);
  });
});

/** 30 steps on 4 threads over every tiny class and the pool: remote frees, drains, a flush. */
function defaultProfileSteps(): CommandData[] {
  const sizes = [1, 15, 31, 63, 127, 255, 511, 2047, 3000];
  const out: CommandData[] = [];
  for (let i = 0; out.length < 30; i++) {
    out.push({ kind: 'alloc', thread: i % 4, size: sizes[i % sizes.length] as number });
    if (i % 3 === 2) out.push({ kind: 'free', thread: (i + 1) % 4, ref: i });
    if (i % 7 === 6) out.push({ kind: 'drain', thread: i % 4, cls: i % 8 });
  }
  return [...out.slice(0, 29), { kind: 'flush', thread: 1 }];
}

function syntheticRepro(config: AllocatorConfig, commands: readonly CommandData[]): LoadedRepro {
  return {
    file: 'counterexamples/none/default-30.json',
    faultyConfig: config,
    cleanConfig: config,
    repro: {
      formatVersion: 1,
      profile: 'default',
      config,
      faults: [],
      seed: 0,
      path: null,
      commands,
      invariant: 'census',
      failingStep: 30,
      message: '',
      minimal: false,
      length: commands.length,
    },
  };
}

describe('report size', () => {
  it('keeps a 30-step run on the default profile under 1 MB', () => {
    const config = profileConfig('default');
    const commands = defaultProfileSteps();
    const loaded = syntheticRepro(config, commands);
    const outcome = runCommands(config, commands, { record: true });
    expect(outcome.passed).toBe(true);
    const timeline = captureTimeline(config, commands);
    expect(timeline.states).toHaveLength(31);
    const bound = (timeline.states[30] as HeapState).slabs.filter((s) => s.cls >= 0);
    expect(bound.length).toBeGreaterThanOrEqual(8); // every class has a slab: 8192-block C0 slabs included
    const html = renderReportHtml(reportPayload(loaded, outcome, timeline));
    const bytes = Buffer.byteLength(html);
    const plainBytes = JSON.stringify(timeline.states).length;
    const wholeBytes = JSON.stringify(timeline.states.map((s) => encodeDelta(EMPTY_HEAP, s))).length;
    console.log(
      `report size: 30 steps on default: ${bytes} bytes ` +
        `(every state whole: ${wholeBytes} bytes of data run-length coded, ${plainBytes} plain)`,
    );
    expect(bytes).toBeLessThan(1_000_000);
    // The step deltas, not only the run-length coding, keep it small.
    expect(bytes).toBeLessThan(wholeBytes / 2);
  });

  it('measures the largest report of the repros in counterexamples/', () => {
    let largest = { file: '', bytes: 0 };
    for (const file of REPROS) {
      const l = loadRepro(file);
      if (!l.ok) throw new Error(file);
      const bytes = Buffer.byteLength(reportHtmlFor(l.value));
      if (bytes > largest.bytes) largest = { file, bytes };
    }
    console.log(
      `report size: largest for counterexamples/: ${largest.bytes} bytes ` +
        `(${largest.file.replace(/.*counterexamples\//, 'counterexamples/')})`,
    );
    expect(largest.bytes).toBeLessThan(1_000_000);
  });
});

describe('--html DIR hook (writeReportInto)', () => {
  it('writes DIR/<invariant>-<id>.html for a repro file, self-contained; a bad file is an error value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alloc-check-html-'));
    try {
      const repro = REPROS.find((f) => f.endsWith('census/aa3e36d6cb6f.json')) as string;
      const r = writeReportInto(join(dir, 'reports'), repro);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      expect(r.value.file).toBe(join(dir, 'reports', 'census-aa3e36d6cb6f.html'));
      const html = readFileSync(r.value.file, 'utf8');
      expect(Buffer.byteLength(html)).toBe(r.value.bytes);
      expect(html).toContain('"invariant":"census"');
      // Nothing fetched from anywhere: no external script, stylesheet, font or image.
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*['"]?(https?:)?\/\//i);
      expect(html).toContain(`default-src 'none'`);
      const bad = writeReportInto(dir, join(dir, 'missing.json'));
      expect(bad.ok).toBe(false);
      const two = writeReportsInto(join(dir, 'many'), REPROS.slice(0, 2));
      expect(two.ok && two.value.map((w) => w.file.replace(/.*[\\/]/, ''))).toEqual(
        REPROS.slice(0, 2).map((f) =>
          f
            .split('/')
            .slice(-2)
            .join('-')
            .replace(/\.json$/, '.html'),
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('replay --json (the real CLI)', () => {
  it('keeps its fields and adds the timeline: every block of every slab at every step', () => {
    const root = new URL('..', import.meta.url).pathname;
    let stdout = '';
    try {
      execFileSync(
        process.execPath,
        [join(root, 'bin', 'alloc-check.js'), 'replay', 'counterexamples/census/aa3e36d6cb6f.json', '--json'],
        { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (e) {
      stdout = (e as { stdout: string; status: number }).stdout; // exit 1: the repro still fails
      expect((e as { status: number }).status).toBe(1);
    }
    const doc = JSON.parse(stdout) as Record<string, unknown> & {
      failure: { step: number };
      timeline: {
        legend: Record<string, string>;
        steps: { step: number; slabs: { cells: string; carved: number }[] }[];
      };
    };
    expect(Object.keys(doc)).toEqual(
      expect.arrayContaining(['file', 'recorded', 'passed', 'failure', 'steps', 'slabMap', 'timeline']),
    );
    expect(doc.timeline.steps.map((s) => s.step)).toEqual([0, 1, 2]);
    expect(doc.failure.step).toBe(2);
    expect(Object.keys(doc.timeline.legend).sort()).toEqual(['!', '#', '.', 'c', 'f', 'r', 'x']);
    const last = doc.timeline.steps[2];
    expect(last?.slabs.filter((s) => s.cells !== '').map((s) => s.cells)).toEqual(['ccr.........', '................']);
  });
});

describe('--html DIR on run, mutants and explore: one report per counterexample written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alloc-check-html-dir-'));
  const htmlFiles = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.html'));

  it('run writes the report of its repro, named <invariant>-<id>.html, and prints where', async () => {
    const r = await runCli(['run', '--profile', 'tiny', '--faults', 'soft-cap-ignored', '--runs', '20', '--seed', '1', '--out', join(dir, 'ce'), '--html', dir]);
    expect(r.code).toBe(1);
    const line = /^report: {3}(.*soft-cap-[0-9a-f]{12}\.html) \((\d+) bytes\)$/m.exec(r.stdout);
    expect(line, r.stdout).not.toBeNull();
    expect(readFileSync(line?.[1] ?? '', 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('explore writes the report of its shortest violation; mutants one per repro', async () => {
    const before = htmlFiles().length;
    const e = await runCli(['explore', '--profile', 'tiny', '--depth', '3', '--time', '20', '--workers', '1', '--faults', 'double-free-unchecked', '--out', join(dir, 'ex'), '--html', dir]);
    expect(e.code).toBe(1);
    expect(e.stdout).toMatch(/^report: {3}.*bad-free-rejected-[0-9a-f]{12}\.html \(\d+ bytes\)$/m);
    const m = await runCli(['mutants', '--faults', 'class-stride-offset,release-leaves-warm-entry', '--runs', '10', '--out', join(dir, 'mu'), '--html', dir]);
    expect(m.code).toBe(0);
    expect(m.stdout.match(/^report: {3}.*\.html \(\d+ bytes\)$/gm)).toHaveLength(2);
    expect(htmlFiles().length).toBeGreaterThanOrEqual(before + 2);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

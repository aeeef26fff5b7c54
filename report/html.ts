// The self-contained HTML report of one counterexample: one file holding the stylesheet, the
// browser client (report/client/main.ts with lit-html, bundled by esbuild into one inline script)
// and the data (report/payload.ts) with the heap timeline as step deltas. A Content-Security-Policy
// forbids every fetch, so the page cannot reach the network even by mistake.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, transformSync } from 'esbuild';
import type { AllocatorConfig } from '../impl/index.ts';
import { runCommands } from '../properties/runner.ts';
import type { RunOutcome } from '../properties/runnerApi.ts';
import type { LoadedRepro } from '../cli/repro.ts';
import { displayPath, loadRepro } from '../cli/repro.ts';
import { replayCommandLine, stepRows, vitestSnippet } from '../cli/report.ts';
import { describeFsError, err, ok } from '../cli/errors.ts';
import type { Result } from '../cli/errors.ts';
import { CELL_KINDS, THREAD_COLOURS } from './cells.ts';
import { encodeTimeline } from './delta.ts';
import type { ReportPayload } from './payload.ts';
import { captureTimeline } from './timeline.ts';
import type { Timeline } from './timeline.ts';

const here = dirname(fileURLToPath(import.meta.url));

let clientBundle: string | null = null;

/** The client and lit-html as one minified IIFE (built once per process, 0.1–0.3 s here; synchronous). */
function bundleClient(): string {
  if (clientBundle !== null) return clientBundle;
  const r = buildSync({
    entryPoints: [join(here, 'client', 'main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const js = r.outputFiles[0]?.text ?? '';
  if (js === '' || /<\/script/i.test(js))
    throw new Error('report client bundle is empty or holds a closing script tag');
  clientBundle = js;
  return js;
}

/** `config`: what the repro was replayed with (its faults are the ones shown); by default the file's. */
export function reportPayload(
  loaded: LoadedRepro,
  outcome: RunOutcome,
  timeline: Timeline,
  config: AllocatorConfig = loaded.faultyConfig,
): ReportPayload {
  const { repro } = loaded;
  const lastStep = timeline.states.length - 1;
  const rows = stepRows(repro.commands, outcome.records)
    .slice(0, lastStep)
    .map((r) => ({
      step: r.step,
      thread: r.thread,
      command: r.text,
      result: r.result,
      executed: timeline.executed[r.step] === true,
    }));
  return {
    file: displayPath(loaded.file),
    profile: repro.profile,
    faults: [...config.faults],
    seed: repro.seed,
    recorded: {
      invariant: repro.invariant,
      failingStep: repro.failingStep,
      length: repro.length,
      minimal: repro.minimal,
    },
    outcome: outcome.passed
      ? { passed: true, steps: outcome.steps }
      : {
          passed: false,
          invariant: outcome.invariant,
          step: outcome.step,
          message: outcome.message,
          slabId: outcome.slabId ?? null,
        },
    config: {
      strides: config.strides,
      slabSize: config.slabSize,
      superslabSize: config.superslabSize,
      threads: config.threads,
      headerMagic: config.headerMagic,
    },
    rows,
    deltas: encodeTimeline(timeline.states),
    cellKinds: CELL_KINDS,
    threadColours: THREAD_COLOURS,
    replayCommand: replayCommandLine(loaded.file),
    vitest: vitestSnippet({
      file: loaded.file,
      config: repro.config,
      faults: repro.faults,
      commands: repro.commands,
      invariant: repro.invariant,
      failingStep: repro.failingStep,
    }),
  };
}

/** Inline script and style only: the page can fetch nothing, not even by mistake. */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderReportHtml(payload: ReportPayload): string {
  const css = transformSync(readFileSync(join(here, 'client', 'report.css'), 'utf8'), {
    loader: 'css',
    minify: true,
  }).code;
  const js = bundleClient();
  // `<` never appears raw inside the JSON, so no `</script>` can end the data block early.
  const json = JSON.stringify(payload).replace(/</g, '\\u003c');
  const verdict = payload.outcome.passed ? 'passes' : `${payload.outcome.invariant} at step ${payload.outcome.step}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`alloc-check: ${verdict} — ${payload.file}`)}</title>`,
    `<style>${css}</style></head><body>`,
    '<div id="app"><noscript>This report draws its heap map with JavaScript.</noscript></div>',
    `<script type="application/json" id="report-data">${json}</script>`,
    `<script>${js}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Runs the repro with its faults on (as `replay` does) and builds its report. */
export function reportHtmlFor(loaded: LoadedRepro): string {
  const outcome = runCommands(loaded.faultyConfig, loaded.repro.commands, { record: true });
  return renderReportHtml(reportPayload(loaded, outcome, captureTimeline(loaded.faultyConfig, loaded.repro.commands)));
}

export function writeHtml(file: string, text: string): Result<{ file: string; bytes: number }> {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return ok({ file, bytes: Buffer.byteLength(text) });
  } catch (e) {
    return err({ kind: 'io', file, reason: describeFsError(e) });
  }
}

/** Where `--html DIR` puts the report of a repro file: DIR/<invariant>-<id>.html. */
export function reportPathIn(dir: string, reproFile: string): string {
  return join(dir, `${basename(dirname(reproFile))}-${basename(reproFile, '.json')}.html`);
}

/**
 * The hook for `run`/`mutants`/`explore --html DIR`: given a repro file just written, writes its
 * report into DIR (synchronous). Returns the report's path and size, or a bad-file / io error.
 */
export function writeReportInto(dir: string, reproFile: string): Result<{ file: string; bytes: number }> {
  const loaded = loadRepro(reproFile);
  if (!loaded.ok) return loaded;
  return writeHtml(reportPathIn(dir, reproFile), reportHtmlFor(loaded.value));
}

/** `writeReportInto` for each repro file (mutants writes one a fault); stops at the first error. */
export function writeReportsInto(
  dir: string,
  reproFiles: readonly string[],
): Result<{ file: string; bytes: number }[]> {
  const written: { file: string; bytes: number }[] = [];
  for (const f of reproFiles) {
    const r = writeReportInto(dir, f);
    if (!r.ok) return r;
    written.push(r.value);
  }
  return ok(written);
}

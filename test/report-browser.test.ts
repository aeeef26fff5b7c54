// Goal: the HTML report of a planted fault's repro works in a real browser: it opens from disk
// with no network, shows the failing step with the right invariant, steps with the keyboard (and
// the slider and a row click), and paints a block the colour `replay --json` gives its state at
// two different steps.
// Method: the real CLI (`node bin/alloc-check.js replay FILE --html OUT` and `--json`) on
// counterexamples/lists-wellformed/ad4a8620e58d.json (remote-drain-no-header-restore); Debian's
// chromium, headless, driven by playwright-core; the block is one whose state changes at the
// failing step, its expected colour taken from report/cells.ts for the state the JSON names.
// Skipped, saying so, where no chromium is installed; with CI=true a missing chromium FAILS.
// The browser: ALLOC_CHECK_CHROMIUM, else /usr/bin/chromium (or chromium-browser, google-chrome).
// The screenshot goes to test-output/report-browser.png (git-ignored).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellColour, cellKind } from '../report/cells.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'alloc-check.js');
const REPRO = 'counterexamples/lists-wellformed/ad4a8620e58d.json';
/** ALLOC_CHECK_CHROMIUM, else Debian's chromium, else the Chromium-family browsers other images ship. */
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const CHROMIUM =
  process.env.ALLOC_CHECK_CHROMIUM ??
  CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ??
  (CHROMIUM_CANDIDATES[0] as string);
const SCREENSHOT = join(ROOT, 'test-output', 'report-browser.png');
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true' || process.env.CI === '1';

if (!haveChromium) {
  console.warn(
    `report-browser: SKIPPED${inCi ? ' (and FAILED: CI=true)' : ''}: no chromium at ${CHROMIUM} ` +
      '(apt-get install -y chromium, or set ALLOC_CHECK_CHROMIUM)',
  );
}

function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '' }, timeout: 60_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

interface JsonSlab {
  readonly slabId: number;
  readonly owner: number;
  readonly cells: string;
}
interface JsonStep {
  readonly step: number;
  readonly slabs: readonly JsonSlab[];
}

/** The one browser global the page callbacks use (this project type-checks without the DOM lib). */
interface BrowserGlobals {
  getComputedStyle(el: unknown): { readonly backgroundColor: string };
}

/** `#1e63c6` → `rgb(30, 99, 198)`, as getComputedStyle prints it. */
function rgb(hexColour: string): string {
  const n = Number.parseInt(hexColour.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

it.runIf(inCi && !haveChromium)('finds chromium (required with CI=true)', () => {
  expect.fail(`CI=true but no chromium at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium)`);
});

describe.runIf(haveChromium)('HTML report in headless chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alloc-check-report-'));
  const htmlFile = join(tmp, 'report.html');
  let browser: BrowserContext;
  let page: Page;
  let steps: readonly JsonStep[];
  let failingStep: number;
  let invariant: string;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const written = await cli(['replay', REPRO, '--html', htmlFile]);
    expect(written.code, written.stderr).toBe(1); // the repro still fails
    const json = await cli(['replay', REPRO, '--json']);
    const doc = JSON.parse(json.stdout) as {
      failure: { invariant: string; step: number };
      timeline: { steps: JsonStep[] };
    };
    ({ invariant, step: failingStep } = doc.failure);
    steps = doc.timeline.steps;
    const { chromium } = await import('playwright-core');
    // A fresh profile directory each run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(pathToFileURL(htmlFile).href);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const shownStep = async () => Number(await page.getAttribute('#step-label', 'data-step'));
  const blockColour = (slabId: number, block: number) =>
    page.$eval(
      `i.b[data-slab="${slabId}"][data-block="${block}"]`,
      (el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor,
    );
  const expectedColour = (step: number, slabId: number, block: number) => {
    const slab = steps[step]?.slabs.find((s) => s.slabId === slabId);
    if (slab === undefined) throw new Error(`slab ${slabId} is not in the JSON at step ${step}`);
    return {
      colour: rgb(cellColour(slab.cells[block] as string, slab.owner)),
      state: cellKind(slab.cells[block] as string)?.name,
    };
  };

  it('loads from disk with no request but its own file, and no script error', () => {
    expect(pageErrors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
  });

  it('opens at the failing step, marked with its invariant and message', async () => {
    expect(await shownStep()).toBe(failingStep);
    const banner = page.locator('#failure');
    expect(await banner.getAttribute('data-invariant')).toBe(invariant);
    expect(await banner.textContent()).toContain(`${invariant} fails at step ${failingStep}`);
    const row = page.locator(`tr[data-step="${failingStep}"]`);
    expect(await row.getAttribute('class')).toMatch(/\bfailing\b/);
    expect(await page.locator('tr.failing-msg').textContent()).toContain(invariant);
  });

  /** Every block drawn on the page, `slab:block` → its computed colour. */
  const painted = async () =>
    new Map(
      await page.$$eval('i.b[data-slab]', (els) =>
        els.map(
          (el) =>
            [
              `${el.getAttribute('data-slab')}:${el.getAttribute('data-block')}`,
              (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor,
            ] as const,
        ),
      ),
    );

  /**
   * Every block of every slab at `step`: drawn (unless in a collapsed uncarved run) in the colour
   * of its JSON state. Returns the states seen.
   */
  async function expectEveryBlock(step: number): Promise<Set<string>> {
    const shown = await painted();
    const seen = new Set<string>();
    for (const slab of (steps[step] as JsonStep).slabs) {
      [...slab.cells].forEach((ch, i) => {
        const colour = shown.get(`${slab.slabId}:${i}`);
        if (colour === undefined && ch === '.') return; // part of a collapsed run
        expect(colour, `step ${step} slab ${slab.slabId} block ${i} (${ch})`).toBe(rgb(cellColour(ch, slab.owner)));
        seen.add(cellKind(ch)?.name ?? ch);
      });
    }
    return seen;
  }

  it('paints every block the colour of its JSON state, at the failing step and the step before', async () => {
    const seen = new Set([...(await expectEveryBlock(failingStep))]);
    await page.keyboard.press('ArrowLeft');
    for (const st of await expectEveryBlock(failingStep - 1)) seen.add(st);
    await page.keyboard.press('ArrowLeft');
    for (const st of await expectEveryBlock(failingStep - 2)) seen.add(st);
    await page.keyboard.press('End');
    expect(await shownStep()).toBe(failingStep);
    // The three steps cover live, cached, remote, uncarved and header-wrong blocks.
    expect([...seen].sort()).toEqual(['cached', 'header-wrong', 'live', 'remote', 'uncarved']);
  });

  it('paints a block the colour of its JSON state at two steps, stepping with the keyboard', async () => {
    // A block whose cell changes at the failing step.
    const after = steps[failingStep] as JsonStep;
    const before = steps[failingStep - 1] as JsonStep;
    let pick: { slabId: number; block: number } | null = null;
    for (const s of after.slabs) {
      const old = before.slabs.find((b) => b.slabId === s.slabId);
      const i = [...s.cells].findIndex((ch, k) => old !== undefined && old.cells[k] !== ch && ch !== '.');
      if (i >= 0) pick = { slabId: s.slabId, block: i };
      if (pick !== null) break;
    }
    if (pick === null) throw new Error('no block changes state at the failing step');
    const atFail = expectedColour(failingStep, pick.slabId, pick.block);
    const atPrev = expectedColour(failingStep - 1, pick.slabId, pick.block);
    expect(atFail.colour).not.toBe(atPrev.colour);
    expect(await blockColour(pick.slabId, pick.block)).toBe(atFail.colour);
    expect(await page.getAttribute(`i.b[data-slab="${pick.slabId}"][data-block="${pick.block}"]`, 'data-state')).toBe(
      atFail.state,
    );

    await page.keyboard.press('ArrowLeft');
    expect(await shownStep()).toBe(failingStep - 1);
    expect(await blockColour(pick.slabId, pick.block)).toBe(atPrev.colour);
    await page.keyboard.press('ArrowRight');
    expect(await shownStep()).toBe(failingStep);
    expect(await blockColour(pick.slabId, pick.block)).toBe(atFail.colour);
  });

  it('follows a row click and the slider, and saves a screenshot', async () => {
    await page.click('tr[data-step="1"]');
    expect(await shownStep()).toBe(1);
    await page.locator('#slider').fill(String(failingStep));
    expect(await shownStep()).toBe(failingStep);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`report-browser: screenshot ${SCREENSHOT}`);
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});

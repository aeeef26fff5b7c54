// The report's browser side: rebuilds every heap state from the embedded deltas, then renders the
// selected step with lit-html (templates; lit-html patches the DOM between steps). Navigation:
// left/right keys (Home/End), the slider, a click on a step row. Bundled into the HTML file by
// report/html.ts (esbuild), so the page needs no network. Type-checked by report/client/tsconfig.json.

import { html, nothing, render } from 'lit-html';
import type { TemplateResult } from 'lit-html';
import { decodeTimeline } from '../delta.ts';
import type { HeapState, SlabState, SuperSlabState, ThreadState } from '../heapState.ts';
import type { ReportPayload, ReportRow } from '../payload.ts';

const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}') as ReportPayload;
const states = decodeTimeline(data.deltas);
const lastStep = states.length - 1;
const failingStep = data.outcome.passed ? null : Math.min(data.outcome.step, lastStep);
let selected = failingStep ?? lastStep;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const kindOf = (ch: string) => data.cellKinds.find((k) => k.ch === ch);
const threadColour = (t: number): string => data.threadColours[t % data.threadColours.length] ?? '#000';

function cellColour(ch: string, owner: number): string {
  if (ch === '#' && owner >= 0) return threadColour(owner);
  return kindOf(ch)?.colour ?? '#ff00ff';
}

/** Uncarved runs at least this long are drawn as one bar. */
const RUN_COLLAPSE_MIN = 24;

function slabCells(s: SlabState, prev: SlabState | undefined, disagree: ReadonlySet<number>): TemplateResult[] {
  const out: TemplateResult[] = [];
  const before = prev !== undefined && prev.cells.length === s.cells.length ? prev.cells : null;
  for (let i = 0; i < s.cells.length;) {
    const ch = s.cells[i] as string;
    let j = i + 1;
    if (ch === '.') while (j < s.cells.length && s.cells[j] === '.') j++;
    if (ch === '.' && j - i >= RUN_COLLAPSE_MIN) {
      out.push(
        html`<span
          class="run"
          data-slab=${s.slabId}
          data-block=${i}
          data-state="uncarved"
          style="background:${cellColour('.', -1)}"
          >blocks ${i}–${j - 1} uncarved</span
        >`,
      );
      i = j;
      continue;
    }
    for (let k = i; k < (ch === '.' ? j : i + 1); k++) out.push(blockCell(s, k, before, disagree));
    i = ch === '.' ? j : i + 1;
  }
  return out;
}

function blockCell(s: SlabState, i: number, before: string | null, disagree: ReadonlySet<number>): TemplateResult {
  const ch = s.cells[i] as string;
  const kind = kindOf(ch);
  const base = s.start + i * s.stride;
  // A slab new at this step: its carved blocks count as changed.
  const changed = before === null ? selected > 0 && ch !== '.' : before[i] !== ch;
  const cls = `b${changed ? ' chg' : ''}${disagree.has(base) ? ' dis' : ''}`;
  const owner = ch === '#' && s.owner >= 0 ? `, slab owner t${s.owner}` : '';
  const title =
    `block ${i} at ${hex(base)}: ${kind?.name ?? ch}${owner}` +
    `${changed ? ' (changed at this step)' : ''}${disagree.has(base) ? ' (model disagrees)' : ''}`;
  return html`<i
    class=${cls}
    data-slab=${s.slabId}
    data-block=${i}
    data-state=${kind?.name ?? ch}
    style="background:${cellColour(ch, s.owner)}"
    title=${title}
  ></i>`;
}

function slabCard(s: SlabState, prev: SlabState | undefined, disagree: ReadonlySet<number>): TemplateResult {
  const pointed = !data.outcome.passed && selected === failingStep && data.outcome.slabId === s.slabId;
  const metaChanged =
    prev === undefined ? selected > 0 : JSON.stringify({ ...prev, cells: '' }) !== JSON.stringify({ ...s, cells: '' });
  const owner = s.owner < 0 ? 'no owner' : html`owner <b style="color:${threadColour(s.owner)}">t${s.owner}</b>`;
  const bound = s.cls >= 0;
  const counts = html`<span>C${s.cls} (stride ${s.stride})</span> · ${owner} · cap ${s.capacity}
    · carved ${s.carved} · used ${s.used}`;
  const deltas = html` · <span class="warn">Δused ${s.usedDelta} Δactive ${s.activeDelta}</span>`;
  const cellsClass = `cells${/^\.*$/.test(s.cells) ? ' inline' : ''}`;
  return html`<div
    class="slab ${s.state.toLowerCase()}${pointed ? ' pointed' : ''}${metaChanged ? ' meta-chg' : ''}"
    data-slab-card=${s.slabId}
  >
    <div class="slab-head">
      <b>slab ${s.slabIndex}</b> <span class="dim">#${s.slabId} @${hex(s.start)}</span>
      <span class="tag st-${s.state.toLowerCase()}">${s.state}</span>
      ${bound ? counts : nothing} ${s.remoteCount > 0 ? html` · remote ${s.remoteCount}` : nothing}
      ${s.usedDelta !== 0 || s.activeDelta !== 0 ? deltas : nothing}
      ${s.held.map((h) => html` <span class="tag held">${h}</span>`)}
      ${pointed ? html` <span class="tag bad">the failing check pointed here</span>` : nothing}
    </div>
    ${bound ? html`<div class=${cellsClass}>${slabCells(s, prev, disagree)}</div>` : nothing}
  </div>`;
}

/** Consecutive unbound UNUSED slabs are listed on one line. */
function superslabCard(
  ss: SuperSlabState,
  state: HeapState,
  prev: HeapState | undefined,
  disagree: ReadonlySet<number>,
): TemplateResult {
  const slabs = ss.slabIds
    .map((id) => state.slabs.find((s) => s.slabId === id))
    .filter((s): s is SlabState => s !== undefined);
  const prevSlab = (id: number) => prev?.slabs.find((s) => s.slabId === id);
  const parts: TemplateResult[] = [];
  for (let i = 0; i < slabs.length;) {
    const s = slabs[i] as SlabState;
    if (s.cls < 0 && s.state === 'UNUSED' && s.held.length === 0) {
      let j = i + 1;
      while (j < slabs.length && (slabs[j] as SlabState).cls < 0 && (slabs[j] as SlabState).state === 'UNUSED') j++;
      parts.push(
        html`<div class="slab unused dim">
          slab${j - i > 1 ? `s ${s.slabIndex}–${(slabs[j - 1] as SlabState).slabIndex}` : ` ${s.slabIndex}`}: UNUSED
        </div>`,
      );
      i = j;
      continue;
    }
    parts.push(slabCard(s, prevSlab(s.slabId), disagree));
    i++;
  }
  const isNew = prev !== undefined && !prev.superslabs.some((p) => p.base === ss.base);
  return html`<section class="ss${isNew ? ' meta-chg' : ''}">
    <h3>
      SuperSlab ${hex(ss.base)} <span class="dim">region ${ss.regionIndex}</span>
      <span class="tag tier-${ss.tier.toLowerCase()}">${ss.tier}</span>
      <span>totalActive ${ss.totalActive}</span>${ss.inReserve ? html` <span class="tag">in reserve</span>` : nothing}
      <span class="dim">empty mask ${ss.emptyMask.toString(2).padStart(ss.slabIds.length, '0')}</span>
    </h3>
    ${parts}
  </section>`;
}

function threadsPanel(threads: readonly ThreadState[]): TemplateResult {
  const list = (ids: readonly number[]) => (ids.length === 0 ? '–' : ids.map((i) => `#${i}`).join(' '));
  const rows = threads.flatMap((t) =>
    t.classes.map(
      (c) =>
        html`<tr>
          <td style="color:${threadColour(t.thread)}"><b>t${t.thread}</b></td>
          <td>C${c.cls}</td>
          <td>${c.tlsCount}${c.tlsHead !== 0 ? html` <span class="dim">head ${hex(c.tlsHead)}</span>` : nothing}</td>
          <td>${c.current < 0 ? '–' : `#${c.current}`}</td>
          <td>${list(c.warm)}</td>
          <td>${c.pageCurrent < 0 ? '–' : `#${c.pageCurrent}`} / ${list(c.pagePartial)} / ${list(c.pageFull)}</td>
        </tr>`,
    ),
  );
  return html`<section class="panel">
    <h2>Threads</h2>
    ${
      rows.length === 0
        ? html`<p class="dim">no thread holds a cache, slab, warm pool entry or page</p>`
        : html`<table class="grid">
            <tr>
              <th>thread</th>
              <th>class</th>
              <th>TLS cache</th>
              <th>current slab</th>
              <th>warm pool (bottom → top)</th>
              <th>TinyHeap pages: current / partial / full</th>
            </tr>
            ${rows}
          </table>`
    }
  </section>`;
}

const chunkTitle = (c: HeapState['pool']['chunks'][number]): string =>
  `chunk ${hex(c.chunk)}: ${c.chunkBytes} B, ${c.allocated ? `allocated (${c.requestedBytes} B asked)` : 'free'}`;

function poolPanel(state: HeapState): TemplateResult {
  const p = state.pool;
  if (p.regions.length === 0)
    return html`<section class="panel">
      <h2>Pool</h2>
      <p class="dim">no pool region mapped (budget ${p.budgetBytes} B)</p>
    </section>`;
  return html`<section class="panel">
    <h2>Pool <span class="dim">${p.mappedBytes} B mapped of ${p.budgetBytes} B budget</span></h2>
    ${p.regions.map((r) => {
      const chunks = p.chunks.filter((c) => c.chunk >= r.base && c.chunk < r.base + r.bytes);
      return html`<div class="pool-region">
        <span class="dim">${hex(r.base)}</span>
        <div class="pool-bar">
          ${chunks.map(
            (c) =>
              html`<span
                class="chunk ${c.allocated ? 'alloc' : 'freec'}"
                style="flex-grow:${c.chunkBytes}"
                title=${chunkTitle(c)}
                >${c.allocated ? c.requestedBytes : ''}</span
              >`,
          )}
        </div>
      </div>`;
    })}
  </section>`;
}

function comparePanel(state: HeapState): TemplateResult {
  const cmp = state.compare;
  const bad = (a: number, b: number) => (a !== b ? 'bad-row' : '');
  return html`<section class="panel" id="compare">
    <h2>Model beside the implementation</h2>
    <table class="grid">
      <tr>
        <th>class</th>
        <th>stride</th>
        <th>model live</th>
        <th>impl. live</th>
        <th>slots / cap</th>
      </tr>
      ${cmp.classes.map(
        (c) =>
          html`<tr class=${bad(c.modelLive, c.implLive)}>
            <td>C${c.cls}</td>
            <td>${c.stride}</td>
            <td>${c.modelLive}</td>
            <td>${c.implLive}</td>
            <td>${c.activeSlots} / ${c.softCap}</td>
          </tr>`,
      )}
      <tr class=${bad(cmp.poolModelLive, cmp.poolImplLive)}>
        <td>pool</td>
        <td></td>
        <td>${cmp.poolModelLive}</td>
        <td>${cmp.poolImplLive}</td>
        <td></td>
      </tr>
    </table>
    ${
      cmp.disagreements.length === 0
        ? html`<p class="ok">model and implementation agree on every live block</p>`
        : html`<ul class="disagree">
            ${cmp.disagreements.map((d) => html`<li>${d}</li>`)}
          </ul>`
    }
    ${
      state.notes.length > 0
        ? html`<ul class="notes">
            ${state.notes.map((n) => html`<li>walk: ${n}</li>`)}
          </ul>`
        : nothing
    }
  </section>`;
}

function stepRow(r: ReportRow): TemplateResult {
  const failing = r.step === failingStep;
  const cls = `${r.step === selected ? 'sel' : ''}${failing ? ' failing' : ''}${r.executed ? '' : ' skipped'}`;
  const o = data.outcome;
  return html`<tr class=${cls} data-step=${r.step} @click=${() => select(r.step)}>
      <td>${r.step}</td>
      <td>${r.thread === null ? '–' : html`<span style="color:${threadColour(r.thread)}">t${r.thread}</span>`}</td>
      <td><code>${r.command}</code></td>
      <td><code>${r.result}</code></td>
    </tr>
    ${
      failing && !o.passed
        ? html`<tr class="failing-msg">
            <td></td>
            <td colspan="3"><b>${o.invariant}</b> fails here: ${o.message}</td>
          </tr>`
        : nothing
    }`;
}

function stepsPanel(): TemplateResult {
  const rows = data.rows.filter((r) => r.step <= lastStep);
  return html`<section class="panel">
    <h2>Steps</h2>
    <div class="controls">
      <button @click=${() => select(selected - 1)} ?disabled=${selected === 0}>◀</button>
      <input
        id="slider"
        type="range"
        min="0"
        max=${lastStep}
        .value=${String(selected)}
        @input=${(e: Event) => select(Number((e.target as HTMLInputElement).value))}
      />
      <button @click=${() => select(selected + 1)} ?disabled=${selected === lastStep}>▶</button>
      <span class="dim">← → keys</span>
    </div>
    <table class="grid steps">
      <tr>
        <th>step</th>
        <th>thread</th>
        <th>command</th>
        <th>result</th>
      </tr>
      <tr class=${selected === 0 ? 'sel' : ''} data-step="0" @click=${() => select(0)}>
        <td>0</td>
        <td>–</td>
        <td class="dim">(start: empty heap)</td>
        <td></td>
      </tr>
      ${rows.map(stepRow)}
    </table>
  </section>`;
}

function legend(): TemplateResult {
  const swatch = (colour: string, text: string) =>
    html`<span><i class="b" style="background:${colour}"></i>${text}</span>`;
  const threads = Array.from({ length: Math.min(data.config.threads, data.threadColours.length) }, (_x, t) =>
    swatch(threadColour(t), `live, t${t}'s slab`),
  );
  return html`<div class="legend">
    ${data.cellKinds.map((k) =>
      k.ch === '#' ? html`${swatch(k.colour, 'live, orphan slab')}${threads}` : swatch(k.colour, k.name),
    )}<span><i class="b chg"></i>changed at this step</span
    ><span><span class="swatch-meta"></span>slab or SuperSlab metadata changed</span
    ><span><i class="b dis"></i>model disagrees</span>
  </div>`;
}

function header(): TemplateResult {
  const o = data.outcome;
  const row = data.rows[selected - 1];
  const rowText =
    row === undefined
      ? ' (before the first step)'
      : html`: <code>${row.command}</code> →
          <code>${row.result}</code>${row.executed ? '' : ' (skipped by its precondition)'}`;
  return html`<header>
    <h1>alloc-check: ${data.file}</h1>
    <p class="dim">
      profile <b>${data.profile}</b> · faults ${data.faults.length === 0 ? 'none' : data.faults.join(', ')} · seed
      ${data.seed} · recorded: ${data.recorded.invariant} at step ${data.recorded.failingStep} of
      ${data.recorded.length}${data.recorded.minimal ? ' (minimal)' : ''}
    </p>
    ${
      o.passed
        ? html`<p id="failure" class="banner ok">NO LONGER FAILS: all ${o.steps} steps passed</p>`
        : html`<p id="failure" class="banner bad" data-invariant=${o.invariant} data-step=${o.step}>
            <b>${o.invariant}</b> fails at step ${o.step}: ${o.message}
          </p>`
    }
    <p id="step-label" data-step=${selected}>
      <b>step ${selected} of ${lastStep}</b>${rowText}
      ${selected === failingStep ? html` <span class="tag bad">failing step</span>` : nothing}
    </p>
  </header>`;
}

function heapPanel(state: HeapState, prev: HeapState | undefined): TemplateResult {
  const disagree = new Set(state.compare.disagreeBases);
  return html`<section class="panel" id="heap">
    <h2>Heap map after step ${selected}</h2>
    ${legend()}
    ${
      state.superslabs.length === 0
        ? html`<p class="dim">no SuperSlab mapped</p>`
        : state.superslabs.map((ss) => superslabCard(ss, state, prev, disagree))
    }
  </section>`;
}

function commandsPanel(): TemplateResult {
  return html`<section class="panel">
    <h2>Replay</h2>
    <pre>${data.replayCommand}</pre>
    <h2>Ready-to-paste vitest test</h2>
    <pre>${data.vitest}</pre>
  </section>`;
}

function app(): TemplateResult {
  const state = states[selected] as HeapState;
  const prev = selected > 0 ? states[selected - 1] : undefined;
  return html`${header()}
    <div class="layout">
      <div class="left">${stepsPanel()}${comparePanel(state)}</div>
      <div class="right">${heapPanel(state, prev)}${threadsPanel(state.threads)}${poolPanel(state)}</div>
    </div>
    ${commandsPanel()}`;
}

function select(step: number): void {
  selected = Math.max(0, Math.min(lastStep, step));
  draw();
}

function draw(): void {
  const root = document.getElementById('app');
  if (root !== null) render(app(), root);
}

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement && e.target.id === 'slider') return; // the slider steps itself
  if (e.key === 'ArrowLeft') select(selected - 1);
  else if (e.key === 'ArrowRight') select(selected + 1);
  else if (e.key === 'Home') select(0);
  else if (e.key === 'End') select(lastStep);
  else return;
  e.preventDefault();
});

draw();

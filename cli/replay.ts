// `alloc-check replay FILE [--json]`: replays a counterexample file with its faults switched on,
// prints the step table and, at the failing step, a map of the slab involved.

import { makeConfig } from '../impl/index.ts';
import { faultsOption, parseOptions } from './args.ts';
import { err, ok } from './errors.ts';
import { makeOut } from './io.ts';
import { displayPath, loadRepro } from './repro.ts';
import { stepRows, stepTable } from './report.ts';
import { MAP_LEGEND, renderSlabMap, slabMap } from './slabMap.ts';
import type { SlabMap } from './slabMap.ts';
import type { Subcommand } from './subcommand.ts';
import { loadRunner } from './suite.ts';

const usage = `usage: alloc-check replay FILE [--faults LIST|none] [--json] [--html OUT.html] [--target T]

Replays a counterexample file (counterexamples/<invariant>/<id>.json) with its stored config and
faults: prints every step (step, thread, command, result), the failure, and a map of the slab the
failing check pointed at (one character per block: live, free, cached, remote, uncarved).

  --faults LIST|none  replay with these faults instead of the file's (none: no fault, to check that
                  a fix holds without editing the file)
  --json          print {"file", "recorded", "passed", "failure", "steps", "slabMap", "timeline"} on
                  stdout only; timeline.steps[k] is the whole heap after step k (every block of
                  every slab, one character each: timeline.legend), step 0 before the first
  --target T      replay against this target instead of the file's (impl, native,
                  native:jemalloc, native:mimalloc, native:PATH.so; docs/native.md)
  --html OUT.html write a self-contained HTML report: step table, heap map at every step
                  (keys left/right, slider, click a row), the model beside the implementation

exit: 1 the invariant still fails, 0 the repro no longer fails, 2 bad file or usage
`;

export const replayCommand: Subcommand = {
  name: 'replay',
  summary: 'replay a counterexample file step by step, with a map of the slab involved',
  usage,
  run: async (argvIn, io) => {
    const hooked = await (await import('./target.ts')).targetHook('replay', argvIn, io); // --target (native targets: cli/target.ts)
    if (hooked.kind === 'handled') return hooked.result;
    const argv = hooked.argv;
    const parsed = parseOptions('replay', argv, { json: { type: 'boolean' }, faults: { type: 'string' }, html: { type: 'string' } }, 1);
    if (!parsed.ok) return parsed;
    const fileArg = parsed.value.positionals[0];
    if (fileArg === undefined) return err({ kind: 'usage', subcommand: 'replay', message: 'missing FILE (a counterexample .json file)' });
    // Options are judged before the file is read, so a bad option is named whatever the file holds.
    const override = parsed.value.values.faults;
    if (override === '') return err({ kind: 'bad-option', option: '--faults', value: override, rule: 'must be a comma-separated list of fault names, or none' });
    const overrideFaults = override === undefined || override === 'none' ? ok([]) : faultsOption(override);
    if (!overrideFaults.ok) return overrideFaults;
    const loaded = loadRepro(fileArg);
    if (!loaded.ok) return loaded;
    const { repro } = loaded.value;
    const faults = override === undefined ? ok(repro.faults) : overrideFaults;
    const faultyConfig = makeConfig({ ...loaded.value.cleanConfig, faults: [...faults.value] });
    const json = parsed.value.values.json === true;
    const htmlOut = parsed.value.values.html;
    if (htmlOut === '') return err({ kind: 'usage', subcommand: 'replay', message: '--html needs a file name (OUT.html)' });
    const { runCommands } = await loadRunner();
    const out = makeOut(io, json);
    const s = out.style;

    const outcome = runCommands(faultyConfig, repro.commands, { record: true, keepAllocator: true });
    const failingStep = outcome.passed ? null : outcome.step;
    const rows = stepRows(repro.commands, outcome.records, outcome.steps).slice(0, outcome.passed ? undefined : Math.max(outcome.step, 1));
    const executed = outcome.records?.length ?? 0;
    const skipped = rows.length - executed;
    let map: SlabMap | undefined;
    if (!outcome.passed && outcome.slabId !== undefined && outcome.allocator !== undefined) {
      map = slabMap(outcome.allocator.view, outcome.slabId);
    }

    out.line(`replay ${displayPath(loaded.value.file)}`);
    out.line(
      `  recorded: ${repro.invariant} at step ${repro.failingStep} of ${repro.length}${repro.minimal ? ' (minimal)' : ''}; ` +
        `profile ${repro.profile}, faults: ${repro.faults.length === 0 ? 'none' : repro.faults.join(',')}, seed ${repro.seed}`,
    );
    if (override !== undefined) out.line(`  replayed with faults: ${faults.value.length === 0 ? 'none' : faults.value.join(',')} (--faults; the file is unchanged)`);
    out.line();
    for (const l of stepTable(rows, failingStep)) out.line(`  ${l}`);
    if (!outcome.passed && outcome.step > repro.commands.length) out.line(`  > (end of run)`);
    out.line();
    if (outcome.passed) {
      out.line(
        `${s.green(s.bold('NO LONGER FAILS'))}: all ${rows.length} steps passed (${executed} executed, ${skipped} skipped by their precondition); "${repro.invariant}" held. ` +
          `The bug is fixed or the repro has rotted (it no longer reaches the state it was written for).`,
      );
    } else {
      const same = outcome.invariant === repro.invariant;
      out.line(
        `${s.red(s.bold(same ? 'STILL FAILS' : 'FAILS DIFFERENTLY'))}: ${outcome.invariant} at step ${outcome.step}: ${outcome.message}` +
          (same ? (outcome.step === repro.failingStep ? '' : ` (recorded at step ${repro.failingStep})`) : ` (recorded: ${repro.invariant} at step ${repro.failingStep})`),
      );
      if (map !== undefined) {
        out.line();
        out.line(`slab map after step ${outcome.step}:`);
        for (const l of renderSlabMap(map)) out.line(`  ${l}`);
      } else if (outcome.slabId !== undefined) {
        out.line(`  (slab ${outcome.slabId} is no longer mapped: no map)`);
      }
    }

    const wantTimeline = json || htmlOut !== undefined;
    const { captureTimeline, timelineJson } = await import('../report/timeline.ts');
    const timeline = wantTimeline ? captureTimeline(faultyConfig, repro.commands) : null;
    if (htmlOut !== undefined && timeline !== null) {
      const { renderReportHtml, reportPayload, writeHtml } = await import('../report/html.ts');
      const written = writeHtml(htmlOut, renderReportHtml(reportPayload(loaded.value, outcome, timeline, faultyConfig)));
      if (!written.ok) return written;
      out.line();
      out.line(`report:   ${displayPath(written.value.file)} (${written.value.bytes} bytes)`);
    }

    if (json) {
      out.json({
        file: displayPath(loaded.value.file),
        recorded: { invariant: repro.invariant, failingStep: repro.failingStep },
        faults: faults.value,
        passed: outcome.passed,
        failure: outcome.passed ? null : { invariant: outcome.invariant, step: outcome.step, message: outcome.message, slabId: outcome.slabId ?? null },
        steps: rows.map((r) => ({ step: r.step, thread: r.thread, command: r.text, result: r.result })),
        slabMap:
          map === undefined
            ? null
            : { slabId: map.slab.slabId, cls: map.slab.cls, state: map.slab.state, cells: map.cells, legend: Object.fromEntries(MAP_LEGEND), notes: map.notes },
        timeline: timeline === null ? null : timelineJson(timeline),
      });
    }
    return ok(outcome.passed ? 0 : 1);
  },
};

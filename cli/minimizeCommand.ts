// `alloc-check minimize FILE`: minimises a counterexample file further and rewrites it in place,
// atomically (temp file + rename), only after the minimised commands were shown to fail with the
// same invariant. A bad file, or one whose repro no longer fails, is left untouched.

import { intOption, parseOptions, secondsOption } from './args.ts';
import { err, ok } from './errors.ts';
import { makeOut } from './io.ts';
import { minimizeShortest } from './shortest.ts';
import { displayPath, loadRepro, serializeRepro, writeFileAtomic } from './repro.ts';
import type { ReproFile } from './repro.ts';
import { numberedSteps, replayCommandLine, stepRows } from './report.ts';
import type { Subcommand } from './subcommand.ts';
import { loadRunner } from './suite.ts';

const DEFAULT_TIME_SECONDS = 60;
const DEFAULT_ATTEMPTS = 20_000;

const usage = `usage: alloc-check minimize FILE [--time S] [--attempts N] [--target T]

Shrinks a counterexample file until no single command can be removed, no thread merged into a
lower one, no size made smaller within its class and no other number moved toward 0, while the
same invariant still fails; on small-scope profiles the explorer then looks for a shorter sequence
failing with the same invariant (cli/shortest.ts, 8 s), minimised in turn. Then it rewrites FILE in
place (atomically). The file name (its id) is kept. A file that does not validate, or whose repro no longer fails, is not touched.

  --time S       time budget in seconds (default ${DEFAULT_TIME_SECONDS})
  --attempts N   replay budget (default ${DEFAULT_ATTEMPTS})
  --target T     run against this target instead of the file's (impl, native, native:jemalloc,
                 native:mimalloc, native:PATH.so; docs/native.md)

exit: 1 the file holds a failing counterexample (rewritten, or already minimal),
      0 the repro no longer fails (file left unchanged), 2 bad file or usage
`;

export const minimizeCommand: Subcommand = {
  name: 'minimize',
  summary: 'shrink a counterexample file further and rewrite it in place',
  usage,
  run: async (argvIn, io) => {
    const hooked = await (await import('./target.ts')).targetHook('minimize', argvIn, io); // --target (native targets: cli/target.ts)
    if (hooked.kind === 'handled') return hooked.result;
    const argv = hooked.argv;
    const parsed = parseOptions('minimize', argv, { time: { type: 'string' }, attempts: { type: 'string' } }, 1);
    if (!parsed.ok) return parsed;
    const fileArg = parsed.value.positionals[0];
    if (fileArg === undefined) return err({ kind: 'usage', subcommand: 'minimize', message: 'missing FILE (a counterexample .json file)' });
    const v = parsed.value.values;
    let timeS = DEFAULT_TIME_SECONDS;
    if (v.time !== undefined) {
      const t = secondsOption('--time', v.time, 24 * 3600);
      if (!t.ok) return t;
      timeS = t.value;
    }
    let attempts = DEFAULT_ATTEMPTS;
    if (v.attempts !== undefined) {
      const a = intOption('--attempts', v.attempts, 1, 10_000_000);
      if (!a.ok) return a;
      attempts = a.value;
    }
    const loaded = loadRepro(fileArg);
    if (!loaded.ok) return loaded;
    const { file, repro, faultyConfig } = loaded.value;
    const { runCommands } = await loadRunner();
    const out = makeOut(io, false);
    const s = out.style;

    const m = minimizeShortest(faultyConfig, repro.commands, repro.invariant, (c, cmds) => runCommands(c, cmds), { timeMs: timeS * 1000, maxAttempts: attempts });
    if (!m.ok) {
      const o = m.error.outcome;
      out.line(
        `${s.green(s.bold('NO LONGER FAILS'))}: ${displayPath(file)} ${o.passed ? 'passes' : `fails with ${o.invariant}, not ${repro.invariant}`}; nothing to minimise, file left unchanged`,
      );
      return ok(o.passed ? 0 : 1);
    }
    const r = m.value;
    const final = runCommands(faultyConfig, r.commands, { record: true });
    if (final.passed || final.invariant !== repro.invariant) {
      // Cannot happen with a deterministic runner; never write a file that does not fail.
      return err({ kind: 'internal', message: `the minimised commands of ${displayPath(file)} did not fail again with ${repro.invariant}; file left unchanged` });
    }
    const updated: ReproFile = {
      ...repro,
      commands: r.commands,
      length: r.commands.length,
      failingStep: final.step,
      message: final.message,
      minimal: r.minimal,
    };
    const before = serializeRepro(repro);
    const after = serializeRepro(updated);
    if (after === before) {
      out.line(`${displayPath(file)}: already ${r.minimal ? 'minimal' : 'as small as this budget gets it'} (${repro.length} step${repro.length === 1 ? '' : 's'}); file unchanged`);
    } else {
      const w = writeFileAtomic(file, after);
      if (!w.ok) return w;
      out.line(`${displayPath(file)}: ${repro.length} -> ${r.commands.length} steps${r.minimal ? ' (minimal)' : ' (budget ran out; not proven minimal)'}, ${r.attempts} replays; rewritten`);
    }
    for (const l of numberedSteps(stepRows(r.commands, final.records, final.steps), final.step, final.invariant)) out.line(l);
    out.line(`  ${final.invariant} at step ${final.step}: ${final.message}`);
    out.line(`replay:   ${replayCommandLine(file)}`);
    return ok(1);
  },
};

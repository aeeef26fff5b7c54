// The examples in docs/cli.md cannot go stale. Method: every ```console block holds one or more
// `$ npx alloc-check ARGS` lines, each followed by the output a real run printed (copied from one)
// and, optionally, `# exit N`. Each command is run again through main() (in-process), and every
// documented output line must appear in the real output, in the same order, once numbers, hex
// addresses, repro ids and temporary paths are read as placeholders ("…" lines stand for omitted
// output). So a renamed line, a changed layout, a dropped field or a changed exit code turns it red,
// while the figures of a run may differ. Documented commands are cheap ones (--runs, small budgets).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli.ts';

interface Example {
  readonly args: readonly string[];
  readonly lines: readonly string[];
  readonly exit: number | null;
}

/** The examples of a markdown file, in order. */
export function examples(markdown: string): Example[] {
  const out: Example[] = [];
  const blocks = markdown.match(/```console\n[\s\S]*?```/g) ?? [];
  for (const block of blocks) {
    const body = block.replace(/^```console\n/, '').replace(/```$/, '').split('\n');
    let current: { args: string[]; lines: string[]; exit: number | null } | null = null;
    for (const line of body) {
      const cmd = /^\$ npx alloc-check (.*)$/.exec(line);
      if (cmd !== null) {
        if (current !== null) out.push(current);
        current = { args: (cmd[1] as string).split(/\s+/).filter((a) => a !== ''), lines: [], exit: null };
        continue;
      }
      const exit = /^# exit (\d+)$/.exec(line);
      if (exit !== null && current !== null) current.exit = Number(exit[1]);
      else if (current !== null) current.lines.push(line);
    }
    if (current !== null) out.push(current);
  }
  return out;
}

/** Figures, addresses, ids and temporary paths as placeholders; spacing collapsed. */
export function shape(line: string): string {
  return line
    .replace(/\/tmp\/[^\s)]*/g, 'PATH')
    .replace(/\b[0-9a-f]{12}\b/g, 'ID')
    .replace(/0x[0-9a-f]+/g, 'ADDR')
    .replace(/\d+(\.\d+)?/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The documented lines that are not found, in order, in the real output. */
export function missingLines(documented: readonly string[], real: string): string[] {
  const have = real.split('\n').map(shape);
  const missing: string[] = [];
  let at = 0;
  for (const line of documented) {
    const want = shape(line);
    if (want === '' || want === '…' || want === '...') continue;
    const found = have.indexOf(want, at);
    if (found === -1) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

const doc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
const all = examples(doc);

describe('docs/cli.md examples still run and print what they show', () => {
  it('has examples of every subcommand the tool lists', () => {
    const documented = new Set(all.map((e) => e.args[0]));
    for (const sub of ['run', 'replay', 'minimize', 'list', 'profiles', 'merge', 'mutants', 'explore']) expect(documented, sub).toContain(sub);
  });

  it('the shape check itself fails on a changed line and passes on changed figures', () => {
    expect(missingLines(['  tiny   20 runs   1215 steps  held'], '  tiny   30 runs   99 steps  held\n')).toEqual([]);
    expect(missingLines(['  tiny   20 runs   1215 steps  held'], '  tiny   30 runs   99 steps  FAILED\n')).toHaveLength(1);
    expect(missingLines(['a', 'b'], 'b\na\n')).toEqual(['b']);
  });

  for (const e of all) {
    it(`$ npx alloc-check ${e.args.join(' ')}`, async () => {
      const r = await runCli(e.args);
      expect(missingLines(e.lines, `${r.stdout}\n${r.stderr}`), `${r.stdout}\n${r.stderr}`).toEqual([]);
      if (e.exit !== null) expect(r.code).toBe(e.exit);
    }, 60_000);
  }
});

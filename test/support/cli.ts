// Two ways to run the command-line tool in a test: in-process (`runCli`: main() with captured
// streams, the same code path as the binary but without a Node start-up of 1–2 s), and as a real
// process (`spawnCli`), kept for what only a process shows: exit codes set by bin/, pipes, FIFOs.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { main } from '../../cli/main.ts';
import type { Io } from '../../cli/io.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'alloc-check.js');

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export const captureIo = (env: NodeJS.ProcessEnv = {}, tty = false): Io & { stdout: Capture; stderr: Capture } => ({
  stdout: new Capture(tty),
  stderr: new Capture(tty),
  env: { NO_COLOR: '', ...env },
});

/** main() with captured stdout and stderr, as the binary would run it (off a TTY). */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const io = captureIo(env);
  const code = await main(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** The real binary in a child process. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '', ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit 2, nothing on stdout, exactly one line on stderr (`alloc-check: …`) matching `re`, no stack trace. */
export function expectOneLineError(r: Ran, re: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^alloc-check: /);
  expect(lines[0]).toMatch(re);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

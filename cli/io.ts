// Terminal handling: where human text goes, colour (only on a TTY and never with NO_COLOR), and a
// progress display (a bar on a terminal, plain lines otherwise; always on stderr).

export interface Io {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** NO_COLOR (https://no-color.org): set and not empty disables colour. */
export const noColorRequested = (env: NodeJS.ProcessEnv): boolean => env.NO_COLOR !== undefined && env.NO_COLOR !== '';

export interface Style {
  readonly red: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string): string => s;

export function styleFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): Style {
  if (stream.isTTY !== true || noColorRequested(env)) return { red: plain, green: plain, yellow: plain, bold: plain, dim: plain };
  return { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) };
}

/**
 * Human-readable output. With --json, stdout holds only the JSON document, so the human report
 * moves to stderr.
 */
export interface Out {
  readonly line: (s?: string) => void;
  readonly style: Style;
  readonly json: (value: unknown) => void;
}

export function makeOut(io: Io, json: boolean): Out {
  const human = json ? io.stderr : io.stdout;
  return {
    line: (s = '') => void human.write(`${s}\n`),
    style: styleFor(human, io.env),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

export interface Progress {
  readonly update: (done: number, total: number, label: string) => void;
  readonly finish: () => void;
}

/**
 * A bar redrawn in place on a terminal; on anything else one plain line per new label. With no
 * run count known in advance (a time budget), the bar shows the elapsed share of `timeMs`.
 */
export function makeProgress(io: Io, title: string, options: { readonly timeMs?: number; readonly now?: () => number } = {}): Progress {
  const err = io.stderr;
  const now = options.now ?? Date.now;
  const started = now();
  if (err.isTTY === true) {
    const color = !noColorRequested(io.env);
    let last = '';
    let lastLabel = '';
    let lastDraw = -Infinity;
    let width = 0;
    return {
      update: (done, total, label) => {
        // Redraw at most every 80 ms (and whenever the profile changes).
        if (label === lastLabel && now() - lastDraw < 80) return;
        lastLabel = label;
        lastDraw = now();
        const frac = total > 0 ? Math.min(1, done / total) : options.timeMs !== undefined && options.timeMs > 0 ? Math.min(1, (now() - started) / options.timeMs) : 0;
        const n = Math.round(frac * 24);
        const bar = `${'#'.repeat(n)}${'.'.repeat(24 - n)}`;
        const count = total > 0 ? `${done}/${total} runs` : `${done} runs`;
        const text = `${title} [${color ? `\u001b[32m${bar}\u001b[39m` : bar}] ${String(Math.floor(frac * 100)).padStart(3)}% ${label} ${count}`;
        if (text === last) return;
        last = text;
        width = Math.max(width, text.length);
        err.write(`\r${text.padEnd(width)}`);
      },
      finish: () => {
        if (width > 0) err.write(`\r${' '.repeat(width)}\r`);
        width = 0;
      },
    };
  }
  // Off a terminal (a CI log): one line the first time each profile is searched. The search
  // interleaves the profiles in short slices, so a line per change would be thousands of lines.
  const seen = new Set<string>();
  return {
    update: (_done, _total, label) => {
      if (seen.has(label)) return;
      seen.add(label);
      err.write(`${title}: searching profile ${label}\n`);
    },
    finish: () => undefined,
  };
}

/** The status a shell reports for a process ended by SIGPIPE (128 + 13). */
export const CLOSED_PIPE_EXIT = 141;

/**
 * A reader that goes away (`alloc-check list | head -1`) closes the pipe: the next write fails with
 * EPIPE. Like other Unix tools, stop there, quietly: no stack trace, no half-written report, and a
 * non-zero status (the search was cut short, so it is not a pass). Other write errors still throw.
 */
export function stopQuietlyOnClosedPipe(
  streams: readonly NodeJS.EventEmitter[],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (e: unknown) => {
      if (typeof e === 'object' && e !== null && 'code' in e && (e as { code: unknown }).code === 'EPIPE') exit(CLOSED_PIPE_EXIT);
      else throw e;
    });
  }
}

/**
 * One status line on a terminal's stderr, redrawn in place (at most every 80 ms) and cleared
 * before anything else is printed; nothing at all off a terminal (logs get the final lines only).
 */
export function makeStatusLine(io: Io, now: () => number = Date.now): { readonly show: (text: string) => void; readonly clear: () => void } {
  const err = io.stderr;
  if (err.isTTY !== true) return { show: () => undefined, clear: () => undefined };
  let width = 0;
  let lastDraw = -Infinity;
  return {
    show: (text) => {
      if (now() - lastDraw < 80) return;
      lastDraw = now();
      width = Math.max(width, text.length);
      err.write(`\r${text.padEnd(width)}`);
    },
    clear: () => {
      if (width > 0) err.write(`\r${' '.repeat(width)}\r`);
      width = 0;
    },
  };
}

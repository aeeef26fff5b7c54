// Talking to the driver (native/driver.c): command sequences in its line format on stdin, one
// batch of runs per process (the driver forks a child per run from a parent that has loaded the
// target, so every run starts from the same allocator state), its reports parsed back.

import { spawnSync } from 'node:child_process';
import { match, P } from 'ts-pattern';
import type { CommandData } from '../properties/commandData.ts';
import { ensureDriver, NativeSetupError } from './build.ts';
import type { NativeOptions, NativeTarget } from './target.ts';
import { mallocObjectMatches } from './target.ts';

/** Per-run wall-clock limit inside the driver: a run that takes longer is a hang. */
export const DEFAULT_RUN_TIMEOUT_MS = 3000;

export type RunStatus =
  | { readonly kind: 'done' }
  | { readonly kind: 'signal'; readonly signal: number; readonly name: string }
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'bad-request' };

export interface DriverRun {
  /** The driver's result lines, in order (see native/driver.c). */
  readonly lines: readonly string[];
  readonly status: RunStatus;
  /** Steps the child had started when it ended (1-based index of the last one). */
  readonly stepsStarted: number;
  /** What the child wrote on stderr (an allocator's diagnostic), newlines as ' | '. */
  readonly stderr: string;
  /** The child ended inside the free(NULL) the driver calls before every free. */
  readonly inFreeNull: boolean;
}

export interface Hello {
  readonly mallocObject: string;
  readonly aslrOff: boolean;
  readonly hasTrim: boolean;
  readonly hasUsableSize: boolean;
}

/** Kinds a native alphabet leaves out: they have no malloc meaning. */
export const NATIVE_EXCLUDED_KINDS = ['drain', 'flush', 'setSoftCap', 'setRouteProfile', 'usableSize', 'readBytes', 'writeBytes', 'misuse', 'stats', 'osLimit', 'osRefuse'] as const;

/** The driver's line for a command, or the reason it has none. */
export function driverLine(c: CommandData): string | { readonly reason: string } {
  return match(c)
    .returnType<string | { readonly reason: string }>()
    .with({ kind: 'alloc' }, (d) => `a ${d.thread} ${d.size}`)
    .with({ kind: 'free' }, (d) => `f ${d.thread} ${d.ref}`)
    .with({ kind: 'write' }, (d) => `w ${d.ref} ${d.seed}`)
    .with({ kind: 'check' }, (d) => `c ${d.ref}`)
    .with({ kind: 'threadExit' }, (d) => `x ${d.thread}`)
    .with({ kind: 'trim' }, () => 't')
    .with({ kind: 'badFree', bad: 'double' }, { kind: 'badFree', bad: 'stale' }, (d) => `b ${d.thread} d ${d.ref} ${d.offset}`)
    .with({ kind: 'badFree', bad: 'interior' }, (d) => `b ${d.thread} i ${d.ref} ${d.offset}`)
    .with({ kind: 'badFree', bad: 'foreign' }, (d) => `b ${d.thread} o ${d.ref} ${d.offset}`)
    .with({ kind: 'badFree', bad: 'forged' }, () => ({ reason: 'a forged-header free needs the test hook of the TypeScript implementation' }))
    .with({ kind: 'drain' }, { kind: 'flush' }, { kind: 'setSoftCap' }, { kind: 'setRouteProfile' }, (d) => ({ reason: `${d.kind} has no malloc meaning` }))
    // The queries of the TypeScript implementation's own entry points (its view and RangeError
    // contract); a native target's usable size is judged on every alloc instead.
    .with({ kind: P.union('usableSize', 'readBytes', 'writeBytes', 'misuse', 'stats') }, (d) => ({ reason: `${d.kind} queries the TypeScript implementation's own API` }))
    // OS refusals are the simulated OS's; a real allocator's maps are the kernel's.
    .with({ kind: P.union('osLimit', 'osRefuse') }, (d) => ({ reason: `${d.kind} drives the simulated OS of the TypeScript implementation` }))
    .exhaustive();
}

export interface RunRequest {
  readonly threads: number;
  readonly commands: readonly CommandData[];
}

function requestText(req: RunRequest, options: NativeOptions, timeoutMs: number): string {
  const flags = (options.layout === 'hakmem' ? 1 : 0) | (options.badFrees === 'abort-ok' ? 2 : 0);
  const lines = [`RUN ${req.threads} ${timeoutMs} ${flags}`];
  for (const c of req.commands) {
    const l = driverLine(c);
    if (typeof l !== 'string') throw new NativeSetupError(`${c.kind}: not on a native target (${l.reason})`);
    lines.push(l);
  }
  lines.push('END');
  return `${lines.join('\n')}\n`;
}

function parseStatus(line: string): { status: RunStatus; stepsStarted: number } {
  const f = line.split(' ');
  const steps = Number(f[2] ?? 0);
  const status = match(f[1])
    .returnType<RunStatus>()
    .with('DONE', () => ({ kind: 'done' }))
    .with('SIGNAL', () => ({ kind: 'signal', signal: Number(f[3]), name: f[4] ?? `signal ${f[3]}` }))
    .with('EXIT', () => ({ kind: 'exit', code: Number(f[3]) }))
    .with('HANG', () => ({ kind: 'hang' }))
    .otherwise(() => ({ kind: 'bad-request' }));
  return { status, stepsStarted: steps };
}

/** Parses the driver's stdout into its hello and one DriverRun per run. */
export function parseDriverOutput(text: string): { hello: Hello | null; runs: DriverRun[] } {
  const lines = text.split('\n');
  let hello: Hello | null = null;
  const runs: DriverRun[] = [];
  let current: string[] = [];
  let pending: { status: RunStatus; stepsStarted: number } | null = null;
  let stderr = '';
  let inFreeNull = false;
  for (const line of lines) {
    if (line.startsWith('HELLO ')) {
      const f = line.split(' ');
      hello = { mallocObject: f[1] ?? '?', aslrOff: f[2] === '1', hasTrim: f[3] === '1', hasUsableSize: f[4] === '1' };
    } else if (line === 'N') inFreeNull = true;
    else if (line.startsWith('S ')) pending = parseStatus(line);
    else if (line.startsWith('E ') || line === 'E') stderr = line.slice(2);
    else if (line === 'END') {
      runs.push({ lines: current, status: pending?.status ?? { kind: 'bad-request' }, stepsStarted: pending?.stepsStarted ?? 0, stderr, inFreeNull });
      current = [];
      pending = null;
      stderr = '';
      inFreeNull = false;
    } else if (line !== '') current.push(line);
  }
  return { hello, runs };
}

export interface DriverSession {
  readonly target: NativeTarget;
  readonly options: NativeOptions;
  readonly hello: Hello;
  /** Runs every request, each in its own forked child; one process per call. */
  runBatch(requests: readonly RunRequest[]): DriverRun[];
}

function missingMessage(target: NativeTarget, hello: Hello | null): string {
  const got = hello === null ? 'the driver did not start' : `malloc resolved to ${hello.mallocObject}`;
  if (target.pkg !== null) return `${target.name}: ${target.preload} was not loaded (${got}); install it with apt-get install ${target.pkg}`;
  return `${target.name}: the target does not interpose malloc (${got})`;
}

/** Starts (builds if needed) the driver for a target and checks that malloc really is the target's. */
export function openDriver(target: NativeTarget, options: NativeOptions, timeoutMs: number = DEFAULT_RUN_TIMEOUT_MS): DriverSession {
  const driver = ensureDriver();
  const env: NodeJS.ProcessEnv = { ...(options.env ?? {}), ...process.env };
  delete env.ALLOC_CHECK_NO_ASLR_TRIED;
  if (target.preload !== null) env.LD_PRELOAD = target.preload;
  else delete env.LD_PRELOAD;
  const spawn = (input: string, runs: number): { hello: Hello | null; runs: DriverRun[] } => {
    const r = spawnSync(driver, [], { input, env, encoding: 'utf8', maxBuffer: 1 << 30, timeout: 60_000 + runs * (timeoutMs + 1000), stdio: ['pipe', 'pipe', 'pipe'] });
    if (r.error !== undefined) throw new NativeSetupError(`${target.name}: the driver failed: ${r.error.message}`);
    return parseDriverOutput(r.stdout);
  };
  const probe = spawn('', 0);
  if (probe.hello === null || !mallocObjectMatches(target, probe.hello.mallocObject)) throw new NativeSetupError(missingMessage(target, probe.hello));
  const hello = probe.hello;
  return {
    target,
    options,
    hello,
    runBatch(requests) {
      if (requests.length === 0) return [];
      const out = spawn(requests.map((q) => requestText(q, options, timeoutMs)).join(''), requests.length);
      if (out.runs.length !== requests.length) throw new NativeSetupError(`${target.name}: the driver answered ${out.runs.length} of ${requests.length} runs`);
      return out.runs;
    },
  };
}

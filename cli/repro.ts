// Counterexample files: `counterexamples/<invariant>/<id>.json`.
//
//   { "formatVersion": 1, "profile", "config" (the full AllocatorConfig), "faults", "seed", "path",
//     "commands" (CommandData[]), "invariant", "failingStep", "message", "minimal", "length" }
//
// The stored config is what replays (not the profile name), so a file still replays after the
// profiles change. The top-level `faults` is what is switched on for the replay; `config.faults`
// must agree with it. id = a short stable hash of the commands and the faults.
// Reading validates everything and reports the first problem as one line.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, makeConfig, resolveFaultNames, ROUTE_PROFILES } from '../impl/index.ts';
import type { AllocatorConfig, FaultName } from '../impl/index.ts';
import { ARG_TARGETS, INVARIANT_NAMES, MISUSE_METHODS } from '../properties/commandData.ts';
import type { BadFreeKind, CommandData, CommandKind } from '../properties/commandData.ts';
import type { FailureName } from '../properties/runnerApi.ts';
import { canonicalCommand } from './commandText.ts';
import { describeFsError, describeThrown, err, ok } from './errors.ts';
import type { CliError, Result } from './errors.ts';

export const FORMAT_VERSION = 1;

/** Every failure name a counterexample may carry: the §7 invariants plus the runner's extras. */
export const FAILURE_NAMES = [...INVARIANT_NAMES, 'warm-pool-hit-rate', 'warm-pool-pushback-rate', 'internal-error', 'alignment', 'no-crash', 'no-hang'] as const satisfies readonly FailureName[];
// Compile-time check that FAILURE_NAMES covers FailureName exactly.
type _Covers = Exclude<FailureName, (typeof FAILURE_NAMES)[number]> extends never ? true : never;
const _covers: _Covers = true;
void _covers;

export const COMMAND_KINDS = ['alloc', 'free', 'write', 'check', 'drain', 'flush', 'threadExit', 'setSoftCap', 'setRouteProfile', 'trim', 'badFree', 'usableSize', 'readBytes', 'writeBytes', 'misuse', 'stats', 'osLimit', 'osRefuse'] as const satisfies readonly CommandKind[];
type _KindsCover = Exclude<CommandKind, (typeof COMMAND_KINDS)[number]> extends never ? true : never;
const _kindsCover: _KindsCover = true;
void _kindsCover;

export const BAD_FREE_KINDS = ['double', 'interior', 'foreign', 'stale', 'forged'] as const satisfies readonly BadFreeKind[];

export interface ReproFile {
  readonly formatVersion: 1;
  readonly profile: string;
  readonly config: AllocatorConfig;
  readonly faults: readonly FaultName[];
  readonly seed: number;
  readonly path: string | null;
  readonly commands: readonly CommandData[];
  readonly invariant: FailureName;
  readonly failingStep: number;
  readonly message: string;
  readonly minimal: boolean;
  readonly length: number;
  /** Where it runs (native/target.ts): absent in older files and for the TypeScript implementation = `impl`. */
  readonly target?: string;
  /** Options of a native target (absent: plain layout, bad frees off). */
  readonly native?: ReproNativeOptions;
}

export interface ReproNativeOptions {
  readonly layout: 'plain' | 'hakmem';
  readonly badFrees: 'off' | 'abort-ok';
  /** Allocator settings from the environment (MALLOC_CONF, ...) of the run that wrote the file. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A repro that was read and validated, with the configs to replay it with and without its faults. */
export interface LoadedRepro {
  readonly file: string;
  readonly repro: ReproFile;
  /** config with the file's faults switched on. */
  readonly faultyConfig: AllocatorConfig;
  /** The same config with no fault. */
  readonly cleanConfig: AllocatorConfig;
}

// --- id and serialisation ---------------------------------------------------------------------

/** Short stable hash of the commands and the (sorted) faults: 12 hex digits. */
export function reproId(commands: readonly CommandData[], faults: readonly FaultName[]): string {
  const canonical = JSON.stringify({ commands: commands.map(canonicalCommand), faults: [...new Set(faults)].sort() });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/** Config fields in DEFAULT_CONFIG's order, so files diff well. */
function canonicalConfig(config: AllocatorConfig): AllocatorConfig {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(DEFAULT_CONFIG)) out[k] = (config as unknown as Record<string, unknown>)[k];
  return out as unknown as AllocatorConfig;
}

/** Commands one per line, the rest indented: small diffs, readable in review. */
export function serializeRepro(r: ReproFile): string {
  const head: Record<string, unknown> = {
    formatVersion: r.formatVersion,
    profile: r.profile,
    ...(r.target === undefined ? {} : { target: r.target }),
    ...(r.native === undefined ? {} : { native: r.native }),
    invariant: r.invariant,
    failingStep: r.failingStep,
    message: r.message,
    minimal: r.minimal,
    length: r.length,
    faults: r.faults,
    seed: r.seed,
    path: r.path,
    config: canonicalConfig(r.config),
  };
  const configText = (c: AllocatorConfig): string =>
    `{\n${Object.entries(c)
      .map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n')}\n  }`;
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${k === 'config' ? configText(v as AllocatorConfig) : JSON.stringify(v)}`);
  const cmds = r.commands.map((c) => `    ${JSON.stringify(canonicalCommand(c))}`).join(',\n');
  lines.push(`  "commands": [${r.commands.length === 0 ? '' : `\n${cmds}\n  `}]`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

export function reproPath(outDir: string, r: Pick<ReproFile, 'invariant' | 'commands' | 'faults'>): string {
  return join(outDir, r.invariant, `${reproId(r.commands, r.faults)}.json`);
}

/** Writes atomically: a temp file in the same directory, then rename over the target. */
export function writeFileAtomic(file: string, text: string): Result<string> {
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return ok(file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing left to clean
    }
    return err({ kind: 'io', file, reason: describeFsError(e) });
  }
}

export function writeRepro(outDir: string, r: ReproFile): Result<string> {
  return writeFileAtomic(reproPath(outDir, r), serializeRepro(r));
}

// --- reading and validation -------------------------------------------------------------------

type Check<T> = { ok: true; value: T } | { ok: false; reason: string };
const good = <T>(value: T): Check<T> => ({ ok: true, value });
const bad = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 40)}...` : s;
};

const COMMAND_FIELDS: Readonly<Record<CommandKind, readonly string[]>> = {
  alloc: ['thread', 'size'],
  free: ['thread', 'ref'],
  write: ['ref', 'seed'],
  check: ['ref'],
  drain: ['thread', 'cls'],
  flush: ['thread'],
  threadExit: ['thread'],
  setSoftCap: ['cls', 'cap'],
  setRouteProfile: ['profile'],
  trim: [],
  badFree: ['thread', 'bad', 'ref', 'offset'],
  usableSize: ['target', 'ref', 'offset'],
  readBytes: ['target', 'ref', 'offset'],
  writeBytes: ['target', 'ref', 'offset'],
  misuse: ['method', 'variant'],
  stats: [],
  osLimit: ['limit'],
  osRefuse: ['count'],
};

/** Validates one command against the config it will run on. */
export function parseCommand(raw: unknown, index: number, config: AllocatorConfig): Check<CommandData> {
  const where = `commands[${index}]`;
  if (!isObject(raw)) return bad(`${where} is not an object`);
  const kind = raw.kind;
  if (typeof kind !== 'string' || !(COMMAND_KINDS as readonly string[]).includes(kind)) {
    return bad(`${where}: unknown command kind ${show(kind)}; known: ${COMMAND_KINDS.join(', ')}`);
  }
  const fields = COMMAND_FIELDS[kind as CommandKind];
  for (const k of Object.keys(raw)) {
    if (k !== 'kind' && !fields.includes(k)) return bad(`${where} (${kind}): unexpected field "${k}"`);
  }
  for (const f of fields) {
    if (!(f in raw)) return bad(`${where} (${kind}): missing field "${f}"`);
    const v = raw[f];
    const fail = (rule: string): { ok: false; reason: string } => bad(`${where} (${kind}).${f} ${rule} (got ${show(v)})`);
    switch (f) {
      case 'profile':
        if (typeof v !== 'string' || !(ROUTE_PROFILES as readonly string[]).includes(v)) return fail(`must be one of ${ROUTE_PROFILES.join(', ')}`);
        break;
      case 'bad':
        if (typeof v !== 'string' || !(BAD_FREE_KINDS as readonly string[]).includes(v)) return fail(`must be one of ${BAD_FREE_KINDS.join(', ')}`);
        break;
      case 'target':
        if (typeof v !== 'string' || !(ARG_TARGETS as readonly string[]).includes(v)) return fail(`must be one of ${ARG_TARGETS.join(', ')}`);
        break;
      case 'method':
        if (typeof v !== 'string' || !(MISUSE_METHODS as readonly string[]).includes(v)) return fail(`must be one of ${MISUSE_METHODS.join(', ')}`);
        break;
      case 'thread':
        if (!isInt(v) || v < 0 || v >= config.threads) return fail(`must be a thread 0..${config.threads - 1}`);
        break;
      case 'cls':
        if (!isInt(v) || v < 0 || v >= config.strides.length) return fail(`must be a class 0..${config.strides.length - 1}`);
        break;
      case 'limit': // regions the OS maps at once, or null for no limit
        if (v !== null && (!isInt(v) || v < 0)) return fail('must be a non-negative integer or null');
        break;
      case 'offset':
      case 'ref': // a live index, taken modulo the live count: -1 names the newest block
        if (!isInt(v)) return fail('must be an integer');
        break;
      default: // size, seed, cap, count
        if (!isInt(v) || v < 0) return fail('must be a non-negative integer');
    }
  }
  return good(canonicalCommand(raw as unknown as CommandData));
}

const TOP_FIELDS = ['formatVersion', 'profile', 'config', 'faults', 'seed', 'path', 'commands', 'invariant', 'failingStep', 'message', 'minimal', 'length'] as const;

function parseFaults(v: unknown, where: string): Check<readonly FaultName[]> {
  if (!Array.isArray(v)) return bad(`${where} must be an array of fault names`);
  // SPEC names that were renamed or split (FAULT_ALIASES) still load, as the entries they stand for.
  const resolved = resolveFaultNames(v as readonly unknown[]);
  if (!resolved.ok) return bad(`unknown fault ${show(resolved.unknown)} in ${where}`);
  return good(resolved.faults);
}

/** The optional "target" (impl, native, native:NAME) and "native" ({layout, badFrees}) fields. */
function parseTargetFields(value: Record<string, unknown>): Check<{ target?: string; native?: ReproNativeOptions }> {
  const out: { target?: string; native?: ReproNativeOptions } = {};
  if ('target' in value) {
    const t = value.target;
    if (typeof t !== 'string' || !(t === 'impl' || t === 'native' || t.startsWith('native:'))) return bad(`"target" must be impl, native or native:NAME (got ${show(t)})`);
    out.target = t;
  }
  if ('native' in value) {
    const n = value.native;
    const env = isObject(n) ? n.env : undefined;
    const envOk = env === undefined || (isObject(env) && Object.values(env).every((v) => typeof v === 'string'));
    if (!isObject(n) || (n.layout !== 'plain' && n.layout !== 'hakmem') || (n.badFrees !== 'off' && n.badFrees !== 'abort-ok') || !envOk || Object.keys(n).some((k) => !['layout', 'badFrees', 'env'].includes(k))) {
      return bad(`"native" must be {"layout": "plain"|"hakmem", "badFrees": "off"|"abort-ok"[, "env": {NAME: string}]} (got ${show(n)})`);
    }
    out.native = { layout: n.layout, badFrees: n.badFrees, ...(env === undefined ? {} : { env: env as Record<string, string> }) };
  }
  return good(out);
}

/**
 * Config fields added after format version 1, with the value that behaves as the allocator did
 * before the field existed: a file written before them replays with that value (it is not a
 * default leaking in: it is what the file's run had).
 */
const ADDED_CONFIG_FIELDS: Readonly<Partial<Record<keyof AllocatorConfig, unknown>>> = { osMapLimit: null };

/** Validates a parsed JSON value as a counterexample file. */
export function parseRepro(value: unknown): Check<{ repro: ReproFile; faultyConfig: AllocatorConfig; cleanConfig: AllocatorConfig }> {
  if (!isObject(value)) return bad('not a counterexample: the top level is not a JSON object');
  if (!('formatVersion' in value)) return bad('not a counterexample: no "formatVersion"');
  if (value.formatVersion !== FORMAT_VERSION) return bad(`unknown formatVersion ${show(value.formatVersion)} (this tool reads version ${FORMAT_VERSION})`);
  for (const k of TOP_FIELDS) if (!(k in value)) return bad(`missing field "${k}"`);
  for (const k of Object.keys(value)) if (!(TOP_FIELDS as readonly string[]).includes(k) && k !== 'target' && k !== 'native') return bad(`unexpected field "${k}"`);
  const target = parseTargetFields(value);
  if (!target.ok) return target;

  const invariant = value.invariant;
  if (typeof invariant !== 'string' || !(FAILURE_NAMES as readonly string[]).includes(invariant)) {
    return bad(`unknown invariant ${show(invariant)}; known: ${FAILURE_NAMES.join(', ')}`);
  }
  const faults = parseFaults(value.faults, '"faults"');
  if (!faults.ok) return faults;
  if (typeof value.profile !== 'string') return bad(`"profile" must be a string (got ${show(value.profile)})`);
  if (!isInt(value.seed)) return bad(`"seed" must be an integer (got ${show(value.seed)})`);
  if (value.path !== null && typeof value.path !== 'string') return bad(`"path" must be a string or null (got ${show(value.path)})`);
  if (typeof value.message !== 'string') return bad(`"message" must be a string (got ${show(value.message)})`);
  if (typeof value.minimal !== 'boolean') return bad(`"minimal" must be true or false (got ${show(value.minimal)})`);

  // The config: every field present (defaults must not leak into a replay), valid for makeConfig.
  const rawConfig = value.config;
  if (!isObject(rawConfig)) return bad(`"config" must be an object (got ${show(rawConfig)})`);
  for (const k of Object.keys(DEFAULT_CONFIG)) if (!(k in rawConfig) && !(k in ADDED_CONFIG_FIELDS)) return bad(`config is missing field "${k}"`);
  const configFaults = parseFaults(rawConfig.faults, 'config.faults');
  if (!configFaults.ok) return configFaults;
  if ([...configFaults.value].sort().join(',') !== [...faults.value].sort().join(',')) {
    return bad(`config.faults ${show(configFaults.value)} disagrees with "faults" ${show(faults.value)}`);
  }
  let faultyConfig: AllocatorConfig;
  let cleanConfig: AllocatorConfig;
  try {
    faultyConfig = makeConfig({ ...ADDED_CONFIG_FIELDS, ...rawConfig, faults: faults.value });
    cleanConfig = makeConfig({ ...ADDED_CONFIG_FIELDS, ...rawConfig, faults: [] });
  } catch (e) {
    if (e instanceof ConfigError) return bad(`invalid config: config.${e.field}: ${e.rule} (got ${show(e.value)})`);
    return bad(`invalid config: ${describeThrown(e)}`);
  }

  if (!Array.isArray(value.commands)) return bad(`"commands" must be an array (got ${show(value.commands)})`);
  const commands: CommandData[] = [];
  for (let i = 0; i < value.commands.length; i++) {
    const c = parseCommand(value.commands[i], i, faultyConfig);
    if (!c.ok) return c;
    commands.push(c.value);
  }
  if (value.length !== commands.length) return bad(`"length" is ${show(value.length)} but there are ${commands.length} commands`);
  // The failing step may be one past the last command (checks at the end of a run, e.g. no-leak).
  if (!isInt(value.failingStep) || value.failingStep < 1 || value.failingStep > commands.length + 1) {
    return bad(`"failingStep" must be an integer in 1..${commands.length + 1} (got ${show(value.failingStep)})`);
  }

  const repro: ReproFile = {
    formatVersion: 1,
    profile: value.profile,
    config: faultyConfig,
    faults: faults.value,
    seed: value.seed,
    path: value.path as string | null,
    commands,
    invariant: invariant as FailureName,
    failingStep: value.failingStep,
    message: value.message,
    minimal: value.minimal,
    length: commands.length,
    ...target.value,
  };
  return good({ repro, faultyConfig, cleanConfig });
}

/** Parses JSON text; the reason says whether the file looks truncated. */
export function parseReproText(text: string): Check<{ repro: ReproFile; faultyConfig: AllocatorConfig; cleanConfig: AllocatorConfig }> {
  if (text.trim() === '') return bad('empty file (truncated?)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = describeThrown(e).replace(/^SyntaxError: /, '');
    const t = text.trim();
    const truncated = /end of JSON input|Unterminated string/i.test(m) || (/^[{[]/.test(t) && !/[}\]]$/.test(t));
    return bad(truncated ? `truncated JSON (${m})` : `invalid JSON (${m})`);
  }
  return parseRepro(value);
}

/** Reads and validates a counterexample file. */
export type BadFile = Extract<CliError, { kind: 'bad-file' }>;

export function loadRepro(file: string): Result<LoadedRepro, BadFile> {
  const text = readRegularFile(file, 'counterexample');
  if (!text.ok) return text;
  const parsed = parseReproText(text.value);
  if (!parsed.ok) return err({ kind: 'bad-file', file, reason: parsed.reason } as const);
  return ok({ file, ...parsed.value });
}

const FILE_KINDS: readonly [(s: Stats) => boolean, string][] = [
  [(s) => s.isFIFO(), 'a FIFO (named pipe)'],
  [(s) => s.isSocket(), 'a socket'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
];

/**
 * The text of a regular file, or one line saying why not. Anything but a regular file is refused
 * before it is opened: reading a FIFO would wait for a writer forever.
 */
export function readRegularFile(file: string, what: string): Result<string, BadFile> {
  if (file === '') return err({ kind: 'bad-file', file: '(empty path)', reason: `an empty path names no file; give the path of a ${what} .json file` });
  let text: string;
  try {
    const st = statSync(file);
    if (st.isDirectory()) return err({ kind: 'bad-file', file, reason: `is a directory, not a ${what} file` });
    if (!st.isFile()) {
      const kind = FILE_KINDS.find(([test]) => test(st))?.[1] ?? 'not a regular file';
      return err({ kind: 'bad-file', file, reason: `is ${kind}, not a regular file; give a ${what} .json file` });
    }
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return err({ kind: 'bad-file', file, reason: describeFsError(e) });
  }
  if (text.charCodeAt(0) === 0xfeff) return err({ kind: 'bad-file', file, reason: 'starts with a UTF-8 byte-order mark (BOM), which JSON files must not have; save it as plain UTF-8' });
  return ok(text);
}

/** Every `.json` file under `dir`, recursively, sorted, as paths joined onto `dir`. [] if `dir` is absent. */
export function findReproFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (e) {
    if (describeFsError(e) === 'no such file or directory') return [];
    throw e;
  }
  return entries
    .filter((p) => p.endsWith('.json'))
    .map((p) => join(dir, p))
    .filter((p) => statSync(p).isFile())
    .sort();
}

/** Path for display: relative to the working directory when inside it, with forward slashes. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  const p = rel !== '' && !rel.startsWith('..') ? rel : file;
  return p.split(sep).join('/');
}

// Configuration of the allocator (SPEC §1): every field, its default, its validation, and the
// named profiles the suite runs. A bad config is rejected up front with an error that names the
// field and the rule, never half-applied.

export const FAULT_NAMES = [
  'remote-drain-skips-empty',
  'tls-drain-skips-empty',
  'soft-cap-ignored',
  'empty-scan-tail-missed',
  'meta-light-never-flushes',
  'attach-keeps-stale-delta',
  'class-stride-offset',
  'remote-drain-no-header-restore',
  'rebind-keeps-stale-cache',
  'warm-pool-no-prefill',
  'warm-pool-no-pushback',
  'draining-never-freed',
  'release-leaves-warm-entry',
  'double-free-unchecked',
  'stale-class-hint',
  'remote-free-keeps-active',
  'refused-prefill-keeps-entry',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * SPEC §9 names that were renamed or split, each with the catalogue entries it switches on, so that
 * configs and repro files written with the SPEC name still mean what they meant. SPEC's
 * `warm-pool-drops-slab` is seed 001's whole historical bug: no prefill and no push-back.
 */
export const FAULT_ALIASES = Object.freeze({
  'warm-pool-drops-slab': ['warm-pool-no-prefill', 'warm-pool-no-pushback'],
} as const satisfies Readonly<Record<string, readonly FaultName[]>>);
export type FaultAlias = keyof typeof FAULT_ALIASES;

/** Catalogue names for a list of fault names and SPEC aliases (aliases expanded, duplicates dropped, order kept), or the first unknown name. */
export function resolveFaultNames(names: readonly unknown[]): { readonly ok: true; readonly faults: readonly FaultName[] } | { readonly ok: false; readonly unknown: unknown } {
  const out: FaultName[] = [];
  for (const n of names) {
    const expanded: readonly FaultName[] | undefined =
      typeof n !== 'string' ? undefined : (FAULT_NAMES as readonly string[]).includes(n) ? [n as FaultName] : Object.hasOwn(FAULT_ALIASES, n) ? FAULT_ALIASES[n as FaultAlias] : undefined;
    if (expanded === undefined) return { ok: false, unknown: n };
    for (const f of expanded) if (!out.includes(f)) out.push(f);
  }
  return { ok: true, faults: out };
}

/** Every name `faults` accepts: the catalogue, then the SPEC aliases. */
export const ACCEPTED_FAULT_NAMES: readonly string[] = Object.freeze([...FAULT_NAMES, ...Object.keys(FAULT_ALIASES)]);

export const ROUTE_PROFILES = ['conservative', 'hot', 'off', 'full'] as const;
export type RouteProfile = (typeof ROUTE_PROFILES)[number];

export interface AllocatorConfig {
  /** Block stride per tiny class in bytes, strictly increasing; class c serves sizes up to stride-1. */
  readonly strides: readonly number[];
  readonly headerMagic: number;
  readonly classMask: number;
  readonly slabSize: number;
  readonly superslabSize: number;
  /** Bytes of slab 0 taken by the SuperSlab header. */
  readonly ssHeaderBytes: number;
  /** Per class: max ACTIVE slots bound to the class. */
  readonly softCap: readonly number[];
  readonly emptyScanLimit: number;
  /** Per class: max blocks in one thread's cache. */
  readonly tlsCap: readonly number[];
  readonly refillBatch: number;
  readonly warmPoolCap: number;
  readonly warmPoolPrefill: number;
  /** Utilization (live bytes / usable bytes) at or below which a SuperSlab turns DRAINING; 0 disables. */
  readonly hotThreshold: number;
  readonly emptyReserve: number;
  readonly registryCapacity: number;
  /** Bitmask of the classes served by the TinyHeap front. */
  readonly tinyHeapClasses: number;
  readonly tinyHeapMaxPages: number;
  readonly metaLight: boolean;
  readonly deltaFlushMin: number;
  readonly deltaFlushFactor: number;
  readonly routeProfile: RouteProfile;
  readonly threads: number;
  /** Budget of the fallback pool in bytes (mapped pool regions never exceed it). */
  readonly poolBytes: number;
  /** Most regions (SuperSlabs and pool regions together) the OS maps at once; null: no limit (SPEC §2). */
  readonly osMapLimit: number | null;
  readonly faults: readonly FaultName[];
}

export const DEFAULT_CONFIG: AllocatorConfig = Object.freeze({
  strides: [8, 16, 32, 64, 128, 256, 512, 2048],
  headerMagic: 0xa0,
  classMask: 0x0f,
  slabSize: 65536,
  superslabSize: 2 * 1024 * 1024,
  ssHeaderBytes: 2048,
  softCap: [512, 512, 512, 512, 512, 512, 512, 512],
  emptyScanLimit: 32,
  tlsCap: [2048, 1024, 768, 512, 256, 256, 128, 64],
  refillBatch: 64,
  warmPoolCap: 16,
  warmPoolPrefill: 3,
  hotThreshold: 0.25,
  emptyReserve: 0,
  registryCapacity: 1024,
  tinyHeapClasses: 0x80,
  tinyHeapMaxPages: 4,
  metaLight: false,
  deltaFlushMin: 256,
  deltaFlushFactor: 16,
  routeProfile: 'conservative',
  threads: 4,
  poolBytes: 64 * 1024 * 1024,
  osMapLimit: null,
  faults: [],
});

/** A rejected configuration: names the field, the rule it broke and the value it had. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly value: unknown,
  ) {
    super(`config.${field}: ${rule} (got ${JSON.stringify(value)})`);
    this.name = 'ConfigError';
  }
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

/** Smallest stride that holds the 1-byte header and the 4-byte freelist link at base+1. */
export const MIN_STRIDE = 5;
/** Largest address the simulated 32-bit address space allows (exclusive). */
export const ADDRESS_LIMIT = 2 ** 32;

function requireInt(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!isInt(value)) throw new ConfigError(field, 'must be an integer', value);
  if (value < min || value > max) throw new ConfigError(field, `must be in [${min}, ${max}]`, value);
  return value;
}

function requireIntArray(field: string, value: unknown, length: number, min: number): readonly number[] {
  if (!Array.isArray(value)) throw new ConfigError(field, 'must be an array of integers', value);
  if (value.length !== length) throw new ConfigError(field, `must have one entry per class (${length})`, value);
  value.forEach((v, i) => requireInt(`${field}[${i}]`, v, min));
  return value as number[];
}

const KNOWN_FIELDS = new Set(Object.keys(DEFAULT_CONFIG));

/**
 * Validates a full or partial configuration on top of the defaults. Throws ConfigError on the
 * first broken rule. Returns a frozen, complete config.
 */
export function makeConfig(overrides: Partial<Record<keyof AllocatorConfig, unknown>> = {}): AllocatorConfig {
  for (const key of Object.keys(overrides)) {
    if (!KNOWN_FIELDS.has(key)) throw new ConfigError(key, 'is not a configuration field', (overrides as Record<string, unknown>)[key]);
  }
  const raw = { ...DEFAULT_CONFIG, ...overrides } as Record<keyof AllocatorConfig, unknown>;

  const strides = raw.strides;
  if (!Array.isArray(strides) || strides.length === 0) throw new ConfigError('strides', 'must be a non-empty array of integers', strides);
  strides.forEach((s, i) => {
    requireInt(`strides[${i}]`, s, MIN_STRIDE);
    if (i > 0 && (s as number) <= (strides[i - 1] as number)) throw new ConfigError('strides', 'must be strictly increasing', strides);
  });
  const classCount = strides.length;
  const headerMagic = requireInt('headerMagic', raw.headerMagic, 1, 0xff);
  const classMask = requireInt('classMask', raw.classMask, 0, 0xff);
  if ((classMask & (classMask + 1)) !== 0) throw new ConfigError('classMask', 'must be of the form 2^k - 1', classMask);
  if ((headerMagic & classMask) !== 0) throw new ConfigError('headerMagic', 'must have no bit in common with classMask', headerMagic);
  if (classCount > classMask + 1) throw new ConfigError('strides', `at most classMask+1 (${classMask + 1}) classes fit in a header`, strides);

  const slabSize = requireInt('slabSize', raw.slabSize, 16);
  if (!isPow2(slabSize)) throw new ConfigError('slabSize', 'must be a power of two', slabSize);
  const superslabSize = requireInt('superslabSize', raw.superslabSize, 16);
  if (!isPow2(superslabSize)) throw new ConfigError('superslabSize', 'must be a power of two', superslabSize);
  if (superslabSize < slabSize * 2) throw new ConfigError('superslabSize', 'must hold at least two slabs', superslabSize);
  if (superslabSize > slabSize * 32) throw new ConfigError('superslabSize', 'must hold at most 32 slabs (the per-SuperSlab empty mask is 32 bits)', superslabSize);
  const ssHeaderBytes = requireInt('ssHeaderBytes', raw.ssHeaderBytes, 0, slabSize - 1);
  const maxStride = strides[classCount - 1] as number;
  if (maxStride > slabSize - ssHeaderBytes) throw new ConfigError('strides', `the largest stride must fit in slab 0's usable ${slabSize - ssHeaderBytes} bytes`, strides);

  const softCap = requireIntArray('softCap', raw.softCap, classCount, 0);
  const emptyScanLimit = requireInt('emptyScanLimit', raw.emptyScanLimit, 0);
  const tlsCap = requireIntArray('tlsCap', raw.tlsCap, classCount, 1);
  const refillBatch = requireInt('refillBatch', raw.refillBatch, 1);
  const warmPoolCap = requireInt('warmPoolCap', raw.warmPoolCap, 0, 4096);
  const warmPoolPrefill = requireInt('warmPoolPrefill', raw.warmPoolPrefill, 0, 4096);
  if (warmPoolPrefill > warmPoolCap) throw new ConfigError('warmPoolPrefill', 'must not exceed warmPoolCap', warmPoolPrefill);
  const hotThreshold = raw.hotThreshold;
  if (typeof hotThreshold !== 'number' || !Number.isFinite(hotThreshold) || hotThreshold < 0 || hotThreshold > 1) {
    throw new ConfigError('hotThreshold', 'must be a number in [0, 1]', hotThreshold);
  }
  const emptyReserve = requireInt('emptyReserve', raw.emptyReserve, 0);
  const registryCapacity = requireInt('registryCapacity', raw.registryCapacity, 1);
  const tinyHeapClasses = requireInt('tinyHeapClasses', raw.tinyHeapClasses, 0, 2 ** classCount - 1);
  const tinyHeapMaxPages = requireInt('tinyHeapMaxPages', raw.tinyHeapMaxPages, 1, 4096);
  if (typeof raw.metaLight !== 'boolean') throw new ConfigError('metaLight', 'must be a boolean', raw.metaLight);
  const deltaFlushMin = requireInt('deltaFlushMin', raw.deltaFlushMin, 1);
  const deltaFlushFactor = requireInt('deltaFlushFactor', raw.deltaFlushFactor, 1);
  if (typeof raw.routeProfile !== 'string' || !(ROUTE_PROFILES as readonly string[]).includes(raw.routeProfile)) {
    throw new ConfigError('routeProfile', `must be one of ${ROUTE_PROFILES.join(', ')}`, raw.routeProfile);
  }
  const threads = requireInt('threads', raw.threads, 1, 64);
  const poolBytes = requireInt('poolBytes', raw.poolBytes, 0);
  if (poolBytes % superslabSize !== 0) throw new ConfigError('poolBytes', 'must be a multiple of superslabSize (pool regions are SuperSlab-sized)', poolBytes);
  const osMapLimit = raw.osMapLimit === null ? null : requireInt('osMapLimit', raw.osMapLimit, 0);
  if (!Array.isArray(raw.faults)) throw new ConfigError('faults', 'must be an array of fault names', raw.faults);
  const resolvedFaults = resolveFaultNames(raw.faults as readonly unknown[]);
  if (!resolvedFaults.ok) throw new ConfigError('faults', `unknown fault name "${String(resolvedFaults.unknown)}"; known: ${ACCEPTED_FAULT_NAMES.join(', ')}`, raw.faults);
  // Regions are numbered from 1; the highest must stay inside the 32-bit address space.
  const maxRegions = registryCapacity + poolBytes / superslabSize;
  if ((maxRegions + 1) * superslabSize > ADDRESS_LIMIT) {
    throw new ConfigError('registryCapacity', `(registryCapacity + poolBytes/superslabSize + 1) * superslabSize must fit in 32-bit addresses`, registryCapacity);
  }

  return Object.freeze({
    strides: Object.freeze([...(strides as number[])]),
    headerMagic,
    classMask,
    slabSize,
    superslabSize,
    ssHeaderBytes,
    softCap: Object.freeze([...softCap]),
    emptyScanLimit,
    tlsCap: Object.freeze([...tlsCap]),
    refillBatch,
    warmPoolCap,
    warmPoolPrefill,
    hotThreshold,
    emptyReserve,
    registryCapacity,
    tinyHeapClasses,
    tinyHeapMaxPages,
    metaLight: raw.metaLight,
    deltaFlushMin,
    deltaFlushFactor,
    routeProfile: raw.routeProfile as RouteProfile,
    threads,
    poolBytes,
    osMapLimit,
    faults: Object.freeze([...resolvedFaults.faults]),
  });
}

// --- named profiles ---------------------------------------------------------------------------
// Small-scope profiles carry most of the search: slabs of a handful of blocks, soft caps of 2-3,
// thread caps of 2-4, a registry of a few SuperSlabs, so that short sequences reach caps,
// releases, tier changes, unmapping, rebinding and registry-full.

const TINY_BASE: Partial<AllocatorConfig> = {
  strides: [8, 16, 32, 64],
  slabSize: 128,
  superslabSize: 512,
  ssHeaderBytes: 32,
  softCap: [3, 3, 2, 2],
  emptyScanLimit: 2,
  tlsCap: [4, 3, 2, 2],
  refillBatch: 3,
  warmPoolCap: 2,
  warmPoolPrefill: 1,
  hotThreshold: 0.25,
  emptyReserve: 0,
  registryCapacity: 3,
  tinyHeapClasses: 0x8,
  tinyHeapMaxPages: 2,
  metaLight: false,
  deltaFlushMin: 3,
  deltaFlushFactor: 1,
  threads: 2,
  poolBytes: 1024,
};

export const PROFILE_OVERRIDES: Readonly<Record<string, Partial<AllocatorConfig>>> = Object.freeze({
  default: {},
  phase9: { superslabSize: 512 * 1024, emptyScanLimit: 16 },
  tiny: TINY_BASE,
  // The OS maps at most 5 of the 6 regions registry and pool could hold: the profile runs close to its limit.
  'tiny-threads': { ...TINY_BASE, threads: 4, registryCapacity: 4, softCap: [2, 2, 2, 2], tlsCap: [2, 2, 2, 2], emptyReserve: 1, osMapLimit: 5 },
  'tiny-meta': { ...TINY_BASE, metaLight: true, tinyHeapClasses: 0xc, tinyHeapMaxPages: 2, softCap: [3, 3, 3, 3] },
  'tiny-hot': { ...TINY_BASE, routeProfile: 'hot' },
  'tiny-full': { ...TINY_BASE, routeProfile: 'full' },
  'tiny-off': { ...TINY_BASE, routeProfile: 'off' },
  // Strides that are not powers of two (SPEC §1 allows any that hold a header and a link): the free
  // path's division by the stride instead of a shift, and blocks that straddle no boundary evenly.
  'tiny-odd': { ...TINY_BASE, strides: [12, 24, 40, 64] },
});

export const PROFILE_NAMES: readonly string[] = Object.freeze(Object.keys(PROFILE_OVERRIDES));

export class UnknownProfileError extends Error {
  constructor(readonly profile: string) {
    super(`unknown profile "${profile}"; known: ${PROFILE_NAMES.join(', ')}`);
    this.name = 'UnknownProfileError';
  }
}

export function profileConfig(name: string, extra: Partial<AllocatorConfig> = {}): AllocatorConfig {
  const base = PROFILE_OVERRIDES[name];
  if (base === undefined) throw new UnknownProfileError(name);
  return makeConfig({ ...base, ...extra });
}

/** Smallest class whose usable size (stride - 1) holds `sizeBytes`, or -1 if larger than every class. */
export function sizeToClassOf(strides: readonly number[], sizeBytes: number): number {
  for (let c = 0; c < strides.length; c++) if ((strides[c] as number) - 1 >= sizeBytes) return c;
  return -1;
}

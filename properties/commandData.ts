// Commands as plain data: what counterexample files store, so that a repro still replays after a
// refactor (not only through seed and path). Blocks are named by index into the model's live list
// (taken modulo its length), so shrunk sequences stay valid.

import type { RouteProfile } from '../impl/index.ts';

export type BadFreeKind = 'double' | 'interior' | 'foreign' | 'stale' | 'forged';

/** Classes of pointer argument the model can name (SPEC §8 and the API's domain). */
export type ArgTarget = 'live' | 'freed' | 'interior' | 'never' | 'pool' | 'range';
export const ARG_TARGETS: readonly ArgTarget[] = ['live', 'freed', 'interior', 'never', 'pool', 'range'];

/** Public methods called with an argument outside their domain by the misuse command. */
export type MisuseMethod = 'alloc' | 'free' | 'drain' | 'flush' | 'threadExit' | 'setSoftCap' | 'setRouteProfile' | 'usableSize' | 'readBytes' | 'writeBytes' | 'setOsMapLimit' | 'refuseMaps';
export const MISUSE_METHODS: readonly MisuseMethod[] = ['alloc', 'free', 'drain', 'flush', 'threadExit', 'setSoftCap', 'setRouteProfile', 'usableSize', 'readBytes', 'writeBytes', 'setOsMapLimit', 'refuseMaps'];

export type CommandData =
  | { readonly kind: 'alloc'; readonly thread: number; readonly size: number }
  | { readonly kind: 'free'; readonly thread: number; readonly ref: number }
  | { readonly kind: 'write'; readonly ref: number; readonly seed: number }
  | { readonly kind: 'check'; readonly ref: number }
  | { readonly kind: 'drain'; readonly thread: number; readonly cls: number }
  | { readonly kind: 'flush'; readonly thread: number }
  | { readonly kind: 'threadExit'; readonly thread: number }
  | { readonly kind: 'setSoftCap'; readonly cls: number; readonly cap: number }
  | { readonly kind: 'setRouteProfile'; readonly profile: RouteProfile }
  | { readonly kind: 'trim' }
  | { readonly kind: 'badFree'; readonly thread: number; readonly bad: BadFreeKind; readonly ref: number; readonly offset: number }
  | { readonly kind: 'usableSize'; readonly target: ArgTarget; readonly ref: number; readonly offset: number }
  | { readonly kind: 'readBytes'; readonly target: ArgTarget; readonly ref: number; readonly offset: number }
  | { readonly kind: 'writeBytes'; readonly target: ArgTarget; readonly ref: number; readonly offset: number }
  | { readonly kind: 'misuse'; readonly method: MisuseMethod; readonly variant: number }
  | { readonly kind: 'stats' }
  /** The OS maps at most `limit` regions at once (null: no limit). */
  | { readonly kind: 'osLimit'; readonly limit: number | null }
  /** The OS refuses the next `count` maps. */
  | { readonly kind: 'osRefuse'; readonly count: number };

export type CommandKind = CommandData['kind'];

export const INVARIANT_NAMES = [
  'no-double-allocation',
  'header',
  'usable-size',
  'data-integrity',
  'census',
  'lists-wellformed',
  'empty-recycled',
  'soft-cap',
  'no-premature-failure',
  'delta-zero',
  'tier-release',
  'warm-pool-valid',
  'registry',
  'bad-free-rejected',
  'no-leak',
  'refusal-no-trace',
] as const;
export type InvariantName = (typeof INVARIANT_NAMES)[number];

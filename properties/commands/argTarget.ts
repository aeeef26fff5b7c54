// Pointer arguments of every class the model can name, for the commands that call a public method
// on one (usableSize, readBytes, writeBytes), and the model's prediction of the usable size there.
//   live      a block the model holds live (#ref into the live list)
//   freed     an address from the graveyard (#ref); it may be live again, and then the model knows it
//   interior  a live block's pointer plus 1.. (inside the block)
//   never     an address never handed out: region 0, a SuperSlab header, beyond carved, an idle slab,
//             an unmapped region
//   pool      inside a pool region but no user pointer: a chunk header byte, a free chunk's payload
//   range     not an address at all: 0, -1, 2^32, a fraction, NaN

import { match } from 'ts-pattern';
import type { ArgTarget } from '../commandData.ts';
import { ARG_TARGETS } from '../commandData.ts';
import type { Model } from '../../model/index.ts';
import { hex } from '../events.ts';
import { slabStartOf } from '../../model/index.ts';
import { POOL_HEADER_BYTES, walkPool } from '../poolWalk.ts';
import type { StepTarget } from './Command.ts';

export interface AimedPtr {
  readonly ptr: number;
  /** How the call is printed: `#3`, `freed #2`, `interior #1+5`, `0x00200801 (never)`. */
  readonly text: string;
}

const RANGE_PTRS: readonly number[] = [0, -1, 2 ** 32, 2 ** 32 + 1, 1.5, Number.NaN];

const pick = <T>(xs: readonly T[], k: number): T | undefined => (xs.length === 0 ? undefined : xs[((k % xs.length) + xs.length) % xs.length]);

/** The address `target` names in this state, or null when there is none (the command is skipped). */
export function aimPointer(target: StepTarget, kind: ArgTarget, ref: number, offset: number): AimedPtr | null {
  const { model, config } = target;
  return match(kind)
    .returnType<AimedPtr | null>()
    .with('live', () => {
      const b = model.liveAt(ref);
      return b === undefined ? null : { ptr: b.ptr, text: `#${ref}` };
    })
    .with('freed', () => {
      const g = pick(model.graveyard(), ref);
      return g === undefined ? null : { ptr: g.ptr, text: `freed #${ref}` };
    })
    .with('interior', () => {
      const b = model.liveAt(ref);
      if (b === undefined) return null;
      const span = b.front === 'tiny' ? (config.strides[b.sizeClass] as number) - 2 : Math.max(1, b.sizeBytes - 1);
      if (span < 1) return null;
      const k = 1 + (offset % span);
      return { ptr: b.ptr + k, text: `interior #${ref}+${k}` };
    })
    .with('never', () => aimNever(target, offset))
    .with('pool', () => aimPoolInside(target, offset))
    .with('range', () => {
      const ptr = pick(RANGE_PTRS, offset) as number;
      return { ptr, text: String(ptr) };
    })
    .exhaustive();
}

function aimNever(target: StepTarget, offset: number): AimedPtr {
  const { view, config } = target;
  const variant = offset % 5;
  const param = Math.floor(offset / 5);
  const regionZero: AimedPtr = { ptr: 2 + (param % 1000), text: `${hex(2 + (param % 1000))} (region 0)` };
  const superslabs = view.superslabs().filter((s) => !s.inReserve);
  const slabs = superslabs.flatMap((s) => s.slabs);
  const named = (ptr: number, what: string): AimedPtr => ({ ptr, text: `${hex(ptr)} (${what})` });
  if (variant === 1) {
    const ss = pick(superslabs, param);
    if (ss !== undefined && config.ssHeaderBytes >= 2) return named(ss.base + 1 + (param % (config.ssHeaderBytes - 1)), 'SuperSlab header');
  } else if (variant === 2) {
    const s = pick(
      slabs.filter((x) => x.state === 'ACTIVE' && x.carved < x.capacity),
      param,
    );
    if (s !== undefined) return named(slabStartOf(config, s.ssBase, s.slabIndex) + s.carved * (config.strides[s.cls] as number) + 1, `uncarved, slab ${s.slabId}`);
  } else if (variant === 3) {
    const s = pick(
      slabs.filter((x) => x.state !== 'ACTIVE'),
      param,
    );
    if (s !== undefined) return named(slabStartOf(config, s.ssBase, s.slabIndex) + 1, `${s.state} slab ${s.slabId}`);
  } else if (variant === 4) {
    const maxRegions = config.registryCapacity + config.poolBytes / config.superslabSize;
    for (let k = 1; k <= maxRegions; k++) {
      const base = k * config.superslabSize;
      if (!view.isMapped(base)) return named(base + 1 + (param % 64), 'unmapped region');
    }
  }
  return regionZero;
}

function aimPoolInside(target: StepTarget, offset: number): AimedPtr | null {
  const walk = walkPool(target.view);
  const chunk = pick(walk.chunks, Math.floor(offset / 2));
  if (chunk === undefined) return null;
  // A byte of the chunk's header, or (for a free chunk) its would-be user pointer.
  const ptr = chunk.allocated || offset % 2 === 0 ? chunk.chunk + (offset % POOL_HEADER_BYTES) : chunk.userPtr;
  return { ptr, text: `${hex(ptr)} (pool ${chunk.allocated ? 'chunk header' : 'free chunk'})` };
}

/**
 * usableSize's answer the model predicts: stride − 1 for a live tiny block, the chunk's payload (from
 * the suite's walk of the raw pool headers) for a live pool block, 0 for anything that is not the
 * user pointer of a live block.
 */
export function predictUsable(target: StepTarget, ptr: number): number {
  const b = Number.isInteger(ptr) ? target.model.liveByPointer(ptr) : undefined;
  if (b === undefined) return 0;
  if (b.front === 'tiny') return (target.config.strides[b.sizeClass] as number) - 1;
  const chunk = walkPool(target.view).allocatedByPtr.get(ptr);
  return chunk === undefined ? -1 : chunk.chunkBytes - POOL_HEADER_BYTES;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * The precondition the query commands share: a well-formed argument class, and a block to aim at
 * when the class needs one (a live block for live and interior, a freed one for freed).
 */
export function argTargetAvailable(model: Model, target: ArgTarget, ref: number, offset: number): boolean {
  if (!ARG_TARGETS.includes(target) || !Number.isInteger(ref) || !Number.isInteger(offset) || offset < 0) return false;
  if (target === 'live' || target === 'interior') return model.liveCount() > 0;
  if (target === 'freed') return model.graveyard().length > 0;
  return true;
}

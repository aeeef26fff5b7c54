import { match } from 'ts-pattern';
import type { GraveEntry, Model } from '../../model/index.ts';
import { predictFree, regionBaseOf, slabIdOfAddress, slabStartOf } from '../../model/index.ts';
import type { BadFreeKind, CommandData } from '../commandData.ts';
import { stateDigest } from '../digest.ts';
import { poolTagOf, walkPool } from '../poolWalk.ts';
import type { StepOutcome } from '../events.ts';
import { hex } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef, validThread } from './Command.ts';

/** Ways of forging a foreign pointer; `offset` picks one (mod the count) and a parameter (offset / count). */
const FOREIGN_VARIANTS = 6;

interface Aim {
  readonly ptr: number;
  readonly description: string;
  readonly reallyStale: boolean;
}

/**
 * badFree(t, kind, #ref[, offset]): a free the allocator must reject with the kind the oracle
 * predicts, changing nothing.
 *   double   — a freed address from the graveyard (#ref indexes the graveyard's dead entries)
 *   stale    — like double, preferring addresses whose region was unmapped or slab rebound since
 *   interior — a live block's pointer plus 1..stride-2 (inside the block)
 *   foreign  — an address never handed out (region 0, a SuperSlab header, beyond carved, an idle
 *              slab, an unmapped region, a pool region's first or last byte, inside a pool region)
 *   forged   — a live block whose header byte is overwritten through the test hook, freed, restored
 */
export class BadFreeCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly thread: number,
    readonly bad: BadFreeKind,
    readonly ref: number,
    readonly offset: number,
  ) {
    this.data = { kind: 'badFree', thread, bad, ref, offset };
  }

  check(model: Model): boolean {
    if (!validThread(model, this.thread) || !Number.isInteger(this.ref) || !Number.isInteger(this.offset) || this.offset < 0) return false;
    const live = model.liveAt(this.ref);
    return match(this.bad)
      .with('double', 'stale', () => model.deadGraves().length > 0)
      .with('interior', () => live !== undefined && (live.front === 'tiny' || live.sizeBytes >= 2))
      .with('forged', () => live !== undefined)
      .with('foreign', () => true)
      .exhaustive();
  }

  private aim(target: StepTarget): Aim | null {
    const { model, config } = target;
    const pick = <T>(xs: readonly T[], k: number): T => xs[((k % xs.length) + xs.length) % xs.length] as T;
    return match(this.bad)
      .returnType<Aim | null>()
      .with('double', 'stale', () => {
        const { list, stale } = this.graveCandidates(target);
        if (list.length === 0) return null;
        const g = pick(list, this.ref);
        return { ptr: g.ptr, description: `${stale ? 'stale' : 'freed'} ${g.front} address of class ${g.sizeClass}`, reallyStale: stale || this.isStale(target, g) };
      })
      .with('interior', () => {
        const b = model.liveAt(this.ref);
        if (b === undefined) return null;
        const span = b.front === 'tiny' ? (config.strides[b.sizeClass] as number) - 2 : b.sizeBytes - 1;
        if (span < 1) return null;
        const k = 1 + (this.offset % span);
        return { ptr: b.ptr + k, description: `live block ${hex(b.ptr)} + ${k}`, reallyStale: false };
      })
      .with('forged', () => {
        const b = model.liveAt(this.ref);
        if (b === undefined) return null;
        return { ptr: b.ptr, description: `live block ${hex(b.ptr)} with a forged header`, reallyStale: false };
      })
      .with('foreign', () => this.aimForeign(target))
      .exhaustive();
  }

  /** Whether a freed address now lies in an unmapped region, or a slab released or rebound since. */
  private isStale(target: StepTarget, g: GraveEntry): boolean {
    const { view, config } = target;
    const base = regionBaseOf(config, g.ptr - 1);
    if (!view.isMapped(base)) return true;
    const kind = view.mappedRegions().find((r) => r.base === base)?.kind;
    if (kind !== (g.front === 'tiny' ? 'superslab' : 'pool')) return true;
    if (g.front === 'pool') return false;
    const slab = view.slab(slabIdOfAddress(config, g.ptr - 1));
    return slab === undefined || slab.state !== 'ACTIVE' || slab.cls !== g.sizeClass;
  }

  /** The list `ref` indexes for double and stale frees: for 'stale', the stale addresses when there are any. */
  private graveCandidates(target: StepTarget): { list: readonly GraveEntry[]; stale: boolean } {
    const dead = target.model.deadGraves();
    if (this.bad === 'stale') {
      const stale = dead.filter((g) => this.isStale(target, g));
      if (stale.length > 0) return { list: stale, stale: true };
    }
    return { list: dead, stale: false };
  }

  normalize(target: StepTarget): CommandData {
    const length = match(this.bad)
      .with('double', 'stale', () => this.graveCandidates(target).list.length)
      .with('interior', 'forged', () => target.model.liveCount())
      .with('foreign', () => 0)
      .exhaustive();
    return { ...this.data, ref: normalizeRef(this.ref, length) } as CommandData;
  }

  private aimForeign(target: StepTarget): Aim {
    const { view, config } = target;
    const variant = this.offset % FOREIGN_VARIANTS;
    const param = Math.floor(this.offset / FOREIGN_VARIANTS);
    // Region 0 is never mapped: the fallback of every variant that finds nothing to aim at.
    const regionZero: Aim = { ptr: 2 + (param % (config.superslabSize - 4)), description: 'address in region 0', reallyStale: false };
    const superslabs = view.superslabs().filter((s) => !s.inReserve);
    switch (variant) {
      case 0:
        return regionZero;
      case 1: {
        if (superslabs.length === 0 || config.ssHeaderBytes < 2) return regionZero;
        const ss = superslabs[param % superslabs.length];
        if (ss === undefined) return regionZero;
        return { ptr: ss.base + 1 + (param % (config.ssHeaderBytes - 1)), description: `inside the header of SuperSlab ${hex(ss.base)}`, reallyStale: false };
      }
      case 2: {
        const slabs = superslabs.flatMap((s) => s.slabs).filter((s) => s.state === 'ACTIVE' && s.carved < s.capacity);
        if (slabs.length === 0) return regionZero;
        const s = slabs[param % slabs.length];
        if (s === undefined) return regionZero;
        const stride = config.strides[s.cls] as number;
        const ptr = slabStartOf(config, s.ssBase, s.slabIndex) + s.carved * stride + 1;
        return { ptr, description: `first uncarved block of slab ${s.slabId}`, reallyStale: false };
      }
      case 3: {
        const slabs = superslabs.flatMap((s) => s.slabs).filter((s) => s.state !== 'ACTIVE');
        if (slabs.length === 0) return regionZero;
        const s = slabs[param % slabs.length];
        if (s === undefined) return regionZero;
        return { ptr: slabStartOf(config, s.ssBase, s.slabIndex) + 1, description: `block 0 of ${s.state} slab ${s.slabId}`, reallyStale: false };
      }
      case 4: {
        // The lowest region index that is not mapped, within the address space the config allows.
        const maxRegions = config.registryCapacity + config.poolBytes / config.superslabSize;
        for (let k = 1; k <= maxRegions; k++) {
          const base = k * config.superslabSize;
          if (!view.isMapped(base)) return { ptr: base + 1 + (param % 64), description: `unmapped region ${hex(base)}`, reallyStale: false };
        }
        return regionZero;
      }
      default: {
        const regions = walkPool(view).regions;
        if (regions.length === 0) return regionZero;
        const r = regions[param % regions.length];
        if (r === undefined) return regionZero;
        // One in four at the region's first byte (no chunk's user pointer can be there), one in four
        // at its last byte (the end of the last chunk), the rest inside.
        if (param % 4 === 0) return { ptr: r, description: `first byte of pool region ${hex(r)}`, reallyStale: false };
        if (param % 4 === 1) return { ptr: r + config.superslabSize - 1, description: `last byte of pool region ${hex(r)}`, reallyStale: false };
        return { ptr: r + 1 + (param % (config.superslabSize - 2)), description: `inside pool region ${hex(r)}`, reallyStale: false };
      }
    }
  }

  run(target: StepTarget): StepOutcome {
    const { view, model, hooks, allocator } = target;
    const aim = this.aim(target);
    if (aim === null) return { event: { kind: 'skipped', why: 'nothing to aim at' }, result: 'skipped' };
    const headerAddr = aim.ptr - 1;
    const before = stateDigest(view, aim.ptr);
    let restore: number | null = null;
    if (this.bad === 'forged') {
      restore = view.readU8(headerAddr);
      const forgedByte = (restore ^ (1 + (this.offset % 255))) & 0xff;
      hooks.pokeU8(headerAddr, forgedByte);
    }
    // The oracle judges the state the free sees (with the forged byte in place).
    const walk = walkPool(view);
    const expected = predictFree(view, model, aim.ptr, { regions: walk.regions, chunks: walk.chunks, headerTag: poolTagOf(target.config) });
    if (expected.verdict === 'ok') {
      // The address is a live block: no allocator can tell that from a legal free. Never aim there.
      if (restore !== null) hooks.pokeU8(headerAddr, restore);
      return { event: { kind: 'skipped', why: `${hex(aim.ptr)} is live` }, result: 'skipped' };
    }
    const result = allocator.free(this.thread, aim.ptr);
    if (restore !== null) hooks.pokeU8(headerAddr, restore);
    const after = stateDigest(view, aim.ptr);
    return {
      event: { kind: 'badFree', thread: this.thread, bad: this.bad, ptr: aim.ptr, expected, result, before, after, reallyStale: aim.reallyStale, description: aim.description },
      result: result.ok ? 'ok' : result.error,
    };
  }

  toString(): string {
    const withOffset = this.bad === 'interior' || this.bad === 'foreign' || this.bad === 'forged';
    return `badFree(t${this.thread}, ${this.bad}, #${this.ref}${withOffset ? `, ${this.offset}` : ''})`;
  }
}

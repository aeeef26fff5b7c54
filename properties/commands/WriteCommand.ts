import type { Model } from '../../model/index.ts';
import { canaryBytes, fillSeed, headerByteOf, makeCanary } from '../../model/index.ts';
import { poolTagOf } from '../poolWalk.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { normalizeRef } from './Command.ts';

/** The write seed that fills the block with bytes that look like its own header (write(#ref, header-fill)). */
export const HEADER_FILL = 256;

/**
 * write(#ref, seed): overwrites a live block's requested bytes with a new canary pattern; with
 * seed HEADER_FILL, with the block's own header byte (magic | class, or the pool's tag) at every
 * offset, so that an interior free of it finds a header-like byte before it.
 */
export class WriteCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly ref: number,
    readonly seed: number,
  ) {
    this.data = { kind: 'write', ref, seed };
  }

  check(model: Model): boolean {
    return Number.isInteger(this.ref) && Number.isInteger(this.seed) && model.liveCount() > 0;
  }

  run(target: StepTarget): StepOutcome {
    const block = target.model.liveAt(this.ref);
    if (block === undefined) throw new Error('WriteCommand.run without a live block');
    // Seeds of explicit writes are kept apart from allocation serials (which seed the alloc canaries).
    const fill = block.front === 'tiny' ? headerByteOf(target.config, block.sizeClass) : poolTagOf(target.config);
    const canary = makeCanary(this.seed === HEADER_FILL ? fillSeed(fill) : 0x40000000 + this.seed, block.sizeBytes);
    if (canary !== null) target.allocator.writeBytes(block.ptr, canaryBytes(canary));
    target.model.recordWrite(block.ptr, canary);
    const updated = target.model.liveByPointer(block.ptr) ?? block;
    return { event: { kind: 'write', block: updated }, result: 'ok' };
  }

  normalize(target: StepTarget): CommandData {
    return { ...this.data, ref: normalizeRef(this.ref, target.model.liveCount()) } as CommandData;
  }

  toString(): string {
    return `write(#${this.ref}, ${this.seed === HEADER_FILL ? 'header-fill' : this.seed})`;
  }
}

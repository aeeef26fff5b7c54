import type { Model } from '../../model/index.ts';
import { canaryBytes, makeCanary } from '../../model/index.ts';
import type { CommandData } from '../commandData.ts';
import type { StepOutcome } from '../events.ts';
import { hex } from '../events.ts';
import type { StepTarget, SuiteCommand } from './Command.ts';
import { servedBy, validThread } from './Command.ts';

/** alloc(t, size): a fresh block whose whole requested range is then filled with a canary. */
export class AllocCommand implements SuiteCommand {
  readonly data: CommandData;
  constructor(
    readonly thread: number,
    readonly sizeBytes: number,
  ) {
    this.data = { kind: 'alloc', thread, size: sizeBytes };
  }

  check(model: Model): boolean {
    return validThread(model, this.thread) && Number.isInteger(this.sizeBytes) && this.sizeBytes >= 0;
  }

  run(target: StepTarget): StepOutcome {
    const { model, allocator } = target;
    const prediction = model.predictAlloc(this.sizeBytes);
    const ptr = allocator.alloc(this.thread, this.sizeBytes);
    const served = servedBy(target, ptr);
    const duplicateOf = ptr === 0 ? undefined : model.liveByPointer(ptr);
    let block = undefined;
    let deferredError: string | undefined;
    if (duplicateOf === undefined && (served === 'tiny' || served === 'pool')) {
      block = model.recordAlloc(ptr, this.sizeBytes, prediction.sizeClass, served, this.thread);
      // The canary seed is the allocation serial: deterministic, and different for every block.
      const canary = makeCanary(block.serial, this.sizeBytes);
      if (canary !== null) {
        try {
          allocator.writeBytes(ptr, canaryBytes(canary));
          model.recordWrite(ptr, canary);
          block = model.liveByPointer(ptr);
        } catch (e) {
          deferredError = `writeBytes(${hex(ptr)}, ${this.sizeBytes} bytes) after ${this.toString()} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
        }
      }
    }
    return {
      ...(deferredError !== undefined ? { deferredError } : {}),
      event: { kind: 'alloc', thread: this.thread, sizeBytes: this.sizeBytes, prediction, ptr, servedBy: served, duplicateOf, block },
      result: ptr === 0 ? '0 (failed)' : hex(ptr),
    };
  }

  normalize(_target: StepTarget): CommandData {
    return this.data;
  }

  toString(): string {
    return `alloc(t${this.thread}, ${this.sizeBytes})`;
  }
}

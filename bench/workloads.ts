// The seeds' workloads (SPEC §10), as functions over any allocator with the public API, and the
// references they are measured against. Each workload's random stream (slot indices, request sizes)
// is drawn by xorshift32 from a fixed seed BEFORE the timed loop (`drawStream`), so every run does
// the same operations and the timed loop reads two typed arrays instead of running the generator
// (which took ~85% of the old bare loop's time: issue 13).
//
// References (docs/bench.md):
//   freelistLoop  a pure single-class freelist over the same precomputed slot sequence: the
//                 physical limit of this harness;
//   NopAllocator  alloc/free that do nothing, run through the very workload loops (from a copy of
//                 this module bundled apart, so the real workloads' call sites stay monomorphic);
//   bareLoop      the old reference: the freelist with the generator inside the timed loop.

import type { Allocator, FreeResult } from '../impl/index.ts';

export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export interface WorkloadResult {
  /** alloc + free calls made. */
  readonly ops: number;
  readonly seconds: number;
  /** Requested bytes of the blocks still live at the end. */
  readonly liveBytes: number;
  readonly failures: number;
}

/** A workload's random stream, drawn before the timed loop. */
export interface SlotStream {
  /** Working-set slots; every `slots[i]` is in [0, ws). */
  readonly ws: number;
  /** The slot of iteration i. */
  readonly slots: Int32Array;
  /** The request size of iteration i (empty when the workload has one size). */
  readonly sizes: Int32Array;
}

/**
 * The stream the generator-in-the-loop workloads drew, in the same order: per iteration the slot
 * (`rnd() % ws`), then, if `sizeSpan` > 0, the size (`sizeMin + rnd() % sizeSpan`).
 */
export function drawStream(ws: number, iterations: number, seed: number, sizeMin = 0, sizeSpan = 0): SlotStream {
  const rnd = xorshift32(seed);
  const slots = new Int32Array(iterations);
  const sizes = new Int32Array(sizeSpan > 0 ? iterations : 0);
  for (let it = 0; it < iterations; it++) {
    slots[it] = rnd() % ws;
    if (sizeSpan > 0) sizes[it] = sizeMin + (rnd() % sizeSpan);
  }
  return { ws, slots, sizes };
}

/** random-mixed's stream (seed 003/000): sizes uniform in 16–1040. */
export function mixedStream(ws: number, iterations: number, seed: number): SlotStream {
  return drawStream(ws, iterations, seed, 16, 1040 - 16 + 1);
}

/** larson-like's stream: sizes uniform in 16–256. */
export function larsonStream(ws: number, iterations: number, seed: number): SlotStream {
  return drawStream(ws, iterations, seed, 16, 241);
}

function timed(run: () => { ops: number; liveBytes: number; failures: number }): WorkloadResult {
  const t0 = process.hrtime.bigint();
  const r = run();
  return { ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** random-mixed (seed 003/000): a working set of `ws` slots; each iteration frees the stream's slot if occupied and allocates into it. */
export function randomMixed(a: Allocator, stream: SlotStream, checkpoint?: { at: number; run: () => void }): WorkloadResult {
  const { ws, slots: slotOf, sizes: sizeOf } = stream;
  const iterations = slotOf.length;
  return timed(() => {
    const slots = new Float64Array(ws);
    const sizes = new Int32Array(ws);
    let ops = 0;
    let failures = 0;
    const checkpointAt = checkpoint === undefined ? -1 : checkpoint.at;
    for (let it = 0; it < iterations; it++) {
      if (it === checkpointAt) checkpoint?.run();
      const j = slotOf[it] as number;
      const old = slots[j] as number;
      if (old !== 0) {
        a.free(0, old);
        ops++;
      }
      const size = sizeOf[it] as number;
      const p = a.alloc(0, size);
      ops++;
      if (p === 0) failures++;
      slots[j] = p;
      sizes[j] = size;
    }
    let liveBytes = 0;
    for (let j = 0; j < ws; j++) if (slots[j] !== 0) liveBytes += sizes[j] as number;
    return { ops, liveBytes, failures };
  });
}

/** c7-only (seed 002): one size, a working set of `stream.ws` slots. */
export function oneSize(a: Allocator, stream: SlotStream, sizeBytes: number): WorkloadResult {
  const { ws, slots: slotOf } = stream;
  const iterations = slotOf.length;
  return timed(() => {
    const slots = new Float64Array(ws);
    let ops = 0;
    let failures = 0;
    for (let it = 0; it < iterations; it++) {
      const j = slotOf[it] as number;
      const old = slots[j] as number;
      if (old !== 0) {
        a.free(0, old);
        ops++;
      }
      const p = a.alloc(0, sizeBytes);
      ops++;
      if (p === 0) failures++;
      slots[j] = p;
    }
    return { ops, liveBytes: 0, failures };
  });
}

/** tiny-hot: one small size, alloc/free pairs (no random stream). */
export function tinyHot(a: Allocator, sizeBytes: number, pairs: number): WorkloadResult {
  return timed(() => {
    let failures = 0;
    for (let it = 0; it < pairs; it++) {
      const p = a.alloc(0, sizeBytes);
      if (p === 0) failures++;
      a.free(0, p);
    }
    return { ops: 2 * pairs, liveBytes: 0, failures };
  });
}

/**
 * larson-like: `threads` threads share one working set; the thread at turn frees whatever the slot
 * holds (usually another thread's block: a remote free) and allocates a new block into it. Each
 * thread drains its remote queues every `drainEvery` of its own operations, as an allocator's
 * periodic collection would.
 */
export function larsonLike(a: Allocator, threads: number, stream: SlotStream, drainEvery = 4096): WorkloadResult {
  const { ws, slots: slotOf, sizes: sizeOf } = stream;
  const iterations = slotOf.length;
  return timed(() => {
    const slots = new Float64Array(ws);
    const classes = a.view.classCount;
    let ops = 0;
    let failures = 0;
    for (let it = 0; it < iterations; it++) {
      const t = it % threads;
      const j = slotOf[it] as number;
      const old = slots[j] as number;
      if (old !== 0) {
        a.free(t, old);
        ops++;
      }
      const p = a.alloc(t, sizeOf[it] as number);
      ops++;
      if (p === 0) failures++;
      slots[j] = p;
      if (it % drainEvery === drainEvery - 1) for (let c = 0; c < classes; c++) a.drain(t, c);
    }
    return { ops, liveBytes: 0, failures };
  });
}

/**
 * freelistLoop: random-mixed's slot pattern over a single-class freelist in one typed array (pop
 * on alloc, push on free), reading the precomputed stream: no allocator and no generator, the
 * physical limit of any allocator in this harness.
 */
export function freelistLoop(stream: SlotStream): WorkloadResult {
  const { ws, slots: slotOf } = stream;
  const iterations = slotOf.length;
  return timed(() => {
    const blocks = 1 << 16;
    const next = new Int32Array(blocks);
    for (let b = 0; b < blocks - 1; b++) next[b] = b + 2; // 1-based, 0 ends the list
    let head = 1;
    const slots = new Int32Array(ws);
    let ops = 0;
    for (let it = 0; it < iterations; it++) {
      const j = slotOf[it] as number;
      const old = slots[j] as number;
      if (old !== 0) {
        next[old - 1] = head;
        head = old;
        ops++;
      }
      const p = head;
      head = next[p - 1] as number;
      slots[j] = p;
      ops++;
    }
    return { ops, liveBytes: 0, failures: head < 0 ? 1 : 0 };
  });
}

/**
 * The old bare reference loop: freelistLoop's work with the xorshift32 generator inside the timed
 * loop (two draws per iteration, as random-mixed made): kept for comparison with earlier runs.
 */
export function bareLoop(ws: number, iterations: number, seed: number): WorkloadResult {
  return timed(() => {
    const rnd = xorshift32(seed);
    const blocks = 1 << 16;
    const next = new Int32Array(blocks);
    for (let b = 0; b < blocks - 1; b++) next[b] = b + 2; // 1-based, 0 ends the list
    let head = 1;
    const slots = new Int32Array(ws);
    let ops = 0;
    for (let it = 0; it < iterations; it++) {
      const j = rnd() % ws;
      const old = slots[j] as number;
      if (old !== 0) {
        next[old - 1] = head;
        head = old;
        ops++;
      }
      rnd(); // the size draw of random-mixed
      const p = head;
      head = next[p - 1] as number;
      slots[j] = p;
      ops++;
    }
    return { ops, liveBytes: 0, failures: head < 0 ? 1 : 0 };
  });
}

/**
 * An allocator whose alloc/free/drain do nothing (alloc hands out a distinct non-zero pointer per
 * call): the workload loops run over it measure the harness alone.
 */
export class NopAllocator {
  private next = 0;
  private readonly ok: FreeResult = { ok: true };
  readonly view: { readonly classCount: number };
  constructor(classCount: number) {
    this.view = { classCount };
  }
  alloc(_thread: number, _size: number): number {
    this.next = (this.next + 1) & 0xffff;
    return this.next + 1;
  }
  free(_thread: number, _ptr: number): FreeResult {
    return this.ok;
  }
  drain(_thread: number, _cls: number): void {}
}

/** NopAllocator typed as the API the workloads take (it has every member they call). */
export function nopAllocator(classCount: number): Allocator {
  return new NopAllocator(classCount) as unknown as Allocator;
}

// The seeds' workloads (SPEC §10), as functions over any allocator with the public API. Each is
// driven by its own xorshift32 generator from a fixed seed, so every run does the same operations.

import type { Allocator } from '../impl/index.ts';

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

function timed(run: () => { ops: number; liveBytes: number; failures: number }): WorkloadResult {
  const t0 = process.hrtime.bigint();
  const r = run();
  return { ...r, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** random-mixed (seed 003/000): a working set of `ws` slots; each iteration frees a random slot if occupied and allocates into it. */
export function randomMixed(a: Allocator, ws: number, iterations: number, seed: number, checkpoint?: { at: number; run: () => void }): WorkloadResult {
  const minSize = 16;
  const maxSize = 1040;
  return timed(() => {
    const rnd = xorshift32(seed);
    const slots = new Float64Array(ws);
    const sizes = new Int32Array(ws);
    const span = maxSize - minSize + 1;
    let ops = 0;
    let failures = 0;
    const checkpointAt = checkpoint === undefined ? -1 : checkpoint.at;
    for (let it = 0; it < iterations; it++) {
      if (it === checkpointAt) checkpoint?.run();
      const j = rnd() % ws;
      const old = slots[j] as number;
      if (old !== 0) {
        a.free(0, old);
        ops++;
      }
      const size = minSize + (rnd() % span);
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

/** tiny-hot: one small size, alloc/free pairs. */
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
export function larsonLike(a: Allocator, threads: number, ws: number, iterations: number, seed: number, drainEvery = 4096): WorkloadResult {
  return timed(() => {
    const rnd = xorshift32(seed);
    const slots = new Float64Array(ws);
    const classes = a.view.classCount;
    let ops = 0;
    let failures = 0;
    for (let it = 0; it < iterations; it++) {
      const t = it % threads;
      const j = rnd() % ws;
      const old = slots[j] as number;
      if (old !== 0) {
        a.free(t, old);
        ops++;
      }
      const p = a.alloc(t, 16 + (rnd() % 241));
      ops++;
      if (p === 0) failures++;
      slots[j] = p;
      if (it % drainEvery === drainEvery - 1) for (let c = 0; c < classes; c++) a.drain(t, c);
    }
    return { ops, liveBytes: 0, failures };
  });
}

/**
 * The bare reference loop: the same slot pattern as random-mixed over a single-class freelist in
 * one typed array (pop on alloc, push on free): a proxy for the limit of any allocator here.
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

// The suite's own walk of the fallback pool: every chunk of every mapped pool region parsed from the
// raw header bytes in memory (the layout impl/pool.ts documents: u32 LE chunkBytes, u16 LE slack,
// flags with bit 0 = allocated, then the tag byte; the user pointer 8 bytes in). The checks judge
// the pool from this walk, and compare it with the pool's own walk (`view.pool().blocks`): a
// difference means the allocator describes its pool otherwise than its bytes do.

import type { AllocatorView, PoolView } from '../impl/index.ts';
import { hex } from './events.ts';

/** Bytes between a chunk's start and its user pointer. */
export const POOL_HEADER_BYTES = 8;
/** Smallest chunk the layout allows (header plus 8 payload bytes). */
export const POOL_MIN_CHUNK = 16;
const OFF_SLACK = 4;
const OFF_FLAGS = 6;
const OFF_TAG = 7;
const FLAG_ALLOCATED = 1;

/** The pool's tag byte by its documented rule: no bit of headerMagic, none of classMask. */
export function poolTagOf(config: { readonly headerMagic: number; readonly classMask: number }): number {
  return ~config.headerMagic & ~config.classMask & 0xff;
}

export interface PoolChunk {
  /** Address of the chunk's header. */
  readonly chunk: number;
  readonly userPtr: number;
  readonly chunkBytes: number;
  /** chunkBytes − header − slack for an allocated chunk, 0 for a free one. */
  readonly requestedBytes: number;
  readonly allocated: boolean;
  readonly tag: number;
}

export interface PoolWalk {
  /** Mapped pool regions (from the mapped-region list), ascending. */
  readonly regions: readonly number[];
  /** Every chunk the raw headers describe, in address order (a broken walk stops at the bad header). */
  readonly chunks: readonly PoolChunk[];
  /** Allocated chunks by user pointer. */
  readonly allocatedByPtr: ReadonlyMap<number, PoolChunk>;
  /** Structural problems: a header that does not tile its region. */
  readonly problems: readonly string[];
}

/** Walks every mapped pool region's chunk headers through the view's raw reads. */
export function walkPool(view: AllocatorView): PoolWalk {
  const regionBytes = view.config.superslabSize;
  const regions = view
    .mappedRegions()
    .filter((r) => r.kind === 'pool')
    .map((r) => r.base);
  const chunks: PoolChunk[] = [];
  const allocatedByPtr = new Map<number, PoolChunk>();
  const problems: string[] = [];
  for (const base of regions) {
    let off = 0;
    for (let step = 0; off < regionBytes; step++) {
      if (step > regionBytes / POOL_MIN_CHUNK) {
        problems.push(`pool region ${hex(base)}: chunk walk longer than the region allows`);
        break;
      }
      const at = base + off;
      const chunkBytes = view.readU32(at);
      const slack = view.readU8(at + OFF_SLACK) | (view.readU8(at + OFF_SLACK + 1) << 8);
      const allocated = (view.readU8(at + OFF_FLAGS) & FLAG_ALLOCATED) !== 0;
      const tag = view.readU8(at + OFF_TAG);
      const requestedBytes = allocated ? chunkBytes - POOL_HEADER_BYTES - slack : 0;
      const c: PoolChunk = { chunk: at, userPtr: at + POOL_HEADER_BYTES, chunkBytes, requestedBytes, allocated, tag };
      chunks.push(c);
      if (chunkBytes < POOL_MIN_CHUNK || chunkBytes % 8 !== 0 || off + chunkBytes > regionBytes) {
        problems.push(`pool chunk ${hex(at)} has size ${chunkBytes} (must be a multiple of 8, at least ${POOL_MIN_CHUNK}, inside its region)`);
        break;
      }
      if (allocated) allocatedByPtr.set(c.userPtr, c);
      off += chunkBytes;
    }
  }
  return { regions, chunks, allocatedByPtr, problems };
}

/** The chunk whose bytes hold `addr`, if the walk reached it. */
export function chunkHolding(walk: PoolWalk, addr: number): PoolChunk | undefined {
  return walk.chunks.find((c) => c.chunk <= addr && addr < c.chunk + c.chunkBytes);
}

/** First difference between the raw walk and the pool's own report of its chunks and regions, or null. */
export function poolReportDifference(walk: PoolWalk, pool: PoolView): string | null {
  const reported = pool.regions.map((r) => r.base);
  if (reported.length !== walk.regions.length || reported.some((b, i) => b !== walk.regions[i])) {
    return `the pool reports regions [${reported.map(hex).join(', ')}], the mapped pool regions are [${walk.regions.map(hex).join(', ')}]`;
  }
  if (pool.headerBytes !== POOL_HEADER_BYTES) return `the pool reports ${pool.headerBytes} header bytes, its layout has ${POOL_HEADER_BYTES}`;
  const n = Math.max(walk.chunks.length, pool.blocks.length);
  for (let i = 0; i < n; i++) {
    const raw = walk.chunks[i];
    const own = pool.blocks[i];
    if (raw === undefined || own === undefined) {
      return `the pool reports ${pool.blocks.length} chunks, its headers describe ${walk.chunks.length} (first unmatched: ${hex((raw ?? own)?.chunk ?? 0)})`;
    }
    if (raw.chunk !== own.chunk || raw.userPtr !== own.userPtr || raw.chunkBytes !== own.chunkBytes || raw.allocated !== own.allocated || raw.requestedBytes !== own.requestedBytes) {
      return `pool chunk ${hex(raw.chunk)}: the headers say ${raw.chunkBytes} bytes, ${raw.allocated ? `allocated (${raw.requestedBytes} requested)` : 'free'}; the pool reports ${hex(own.chunk)} of ${own.chunkBytes} bytes, ${own.allocated ? `allocated (${own.requestedBytes} requested)` : 'free'}`;
    }
  }
  return null;
}

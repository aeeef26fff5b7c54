// The fallback pool (SPEC §6): a real, simple first-fit allocator for large sizes and for tiny
// overflow, in its own OS regions, with a header that can never be mistaken for a tiny header.
//
// Design choices
// --------------
// * Regions. The pool maps regions of superslabSize bytes with os.map(RegionKind.POOL). Its budget
//   is poolBytes / superslabSize regions mapped at once; when that many are mapped, or the OS has
//   no free index left, an allocation that fits nowhere fails with 0 (counted in `failures`).
//   A request whose chunk would not fit in one region (align8(size + 8) > regionSize) also fails
//   with 0. Chunks never cross regions. The OsLayer's regionSize must equal superslabSize.
// * Chunks tile every region exactly, from its base to its end, in address order. Every chunk is
//   8-byte aligned, at least MIN_CHUNK = 16 bytes, and starts with an 8-byte header:
//       chunk+0..3  u32 LE chunkBytes (header included, multiple of 8)
//       chunk+4..5  u16 LE slack = (chunkBytes - 8) - requestedBytes (0 for a free chunk)
//       chunk+6     flags: bit 0 = allocated
//       chunk+7     headerTag (= userPtr - 1), on free chunks too
//   userPtr = chunk + 8; usable size = chunkBytes - 8 >= requested.
//   Deviation from "u16 requested bytes": a u16 cannot hold requests of up to superslabSize - 8
//   (2 MiB - 8 by default), so the header stores the slack instead, which is always small
//   (< 8 of alignment + < 16 of unsplit remainder, or 8 for a zero-byte request); requestedBytes
//   is recovered as chunkBytes - 8 - slack. The view reports requestedBytes = 0 for free chunks.
//   Region indexes start at 1 and a chunk's userPtr is at least its region base + 8, so no chunk
//   ever has userPtr 0.
// * headerTag = (~headerMagic & ~classMask) & 0xff. A tiny header is headerMagic | c, which has
//   every bit of headerMagic set; headerTag has none of headerMagic's bits, and config validation
//   guarantees headerMagic >= 1, so headerTag can never equal headerMagic | c for any class c.
//   (It also has no bit of classMask, so it is not magic-with-a-stray-class either.)
// * Allocation: first fit over the pool's regions in ascending address order and their chunks in
//   address order. A chosen free chunk is split when the remainder is at least MIN_CHUNK bytes;
//   the remainder becomes a free chunk with its own header. If nothing fits and the budget
//   allows, a new region is mapped as one free chunk spanning it and the block is carved there.
// * Free validation, in SPEC order; the first failure is returned and nothing is written:
//     1. ptr's region is not a mapped region of this pool, ptr is region base (ptr - 1 lies
//        outside the region), or the region's chunk walk is broken before reaching ptr - 1
//        -> ERR_INVALID_POINTER
//     2. ptr is not the userPtr of the chunk containing ptr - 1        -> ERR_INTERIOR_POINTER
//     3. the byte at ptr - 1 is not headerTag                          -> ERR_HEADER_MISMATCH
//     4. the chunk is not allocated                                    -> ERR_DOUBLE_FREE
//   On success the chunk is marked free, then one walk from the region start merges every run of
//   adjacent free chunks (so both neighbours coalesce; absorbed headers are zeroed), and if the
//   region then holds no allocated chunk it is unmapped at once. trim() only catches regions left
//   empty some other way (e.g. by the test hook).
// * Bounded walks: every walk stops after regionSize / 8 steps and at the first header whose
//   chunkBytes is not a multiple of 8, is below MIN_CHUNK or runs past the region end (a corrupted
//   header, which only test hooks can produce). The view reports a broken walk by stopping there.
// * All state lives in region bytes plus one Uint8Array of owned-region flags; view() builds fresh
//   plain objects every time.

import type { AllocatorConfig } from './config.ts';
import { ERR_DOUBLE_FREE, ERR_HEADER_MISMATCH, ERR_INTERIOR_POINTER, ERR_INVALID_POINTER, FREE_OK } from './codes.ts';
import type { FreeCode } from './codes.ts';
import { RegionKind } from './os.ts';
import type { OsLayer } from './os.ts';
import type { PoolBlockView, PoolRegionView, PoolView } from './view.ts';

/** Bytes between chunk start and userPtr. */
export const POOL_HEADER_BYTES = 8;
/** Smallest chunk: header plus 8 payload bytes; also the smallest split remainder. */
export const POOL_MIN_CHUNK = 16;
const FLAG_ALLOCATED = 1;
const OFF_BYTES = 0;
const OFF_SLACK = 4;
const OFF_FLAGS = 6;
const OFF_TAG = 7;

/** The pool's tag byte for a config: no bit of headerMagic (so never headerMagic|c), no bit of classMask. */
export function poolHeaderTag(config: Pick<AllocatorConfig, 'headerMagic' | 'classMask'>): number {
  return ~config.headerMagic & ~config.classMask & 0xff;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Result of locating the chunk that contains an address: its region offset, or -1 if not found. */
interface Located {
  readonly mem: Uint8Array;
  readonly base: number;
  /** Offset of the chunk in the region, -1 if the walk did not reach the address. */
  readonly offset: number;
}

export class FallbackPool {
  readonly headerTag: number;
  readonly headerBytes = POOL_HEADER_BYTES;
  /** Successful allocations. */
  allocs = 0;
  /** Failed allocations (budget spent, too large, an invalid size, or a refused map). */
  failures = 0;
  /** Region growths the OS refused. */
  mapRefusals = 0;

  private readonly os: OsLayer;
  private readonly config: AllocatorConfig;
  private readonly regionSize: number;
  private readonly budgetRegions: number;
  /** owned[k] = 1 while region k is mapped by the pool. */
  private readonly owned: Uint8Array;
  private regionCount = 0;
  private readonly maxSteps: number;

  constructor(os: OsLayer, config: AllocatorConfig) {
    if (os.regionSize !== config.superslabSize) {
      throw new RangeError(`FallbackPool: OS regionSize ${os.regionSize} must equal superslabSize ${config.superslabSize}`);
    }
    this.os = os;
    this.config = config;
    this.regionSize = os.regionSize;
    this.budgetRegions = Math.floor(config.poolBytes / config.superslabSize);
    this.owned = new Uint8Array(os.indexLimit);
    this.headerTag = poolHeaderTag(config);
    this.maxSteps = this.regionSize / 8;
  }

  mappedBytes(): number {
    return this.regionCount * this.regionSize;
  }

  // --- header access --------------------------------------------------------------------------

  private static chunkBytesAt(mem: Uint8Array, off: number): number {
    return (mem[off + OFF_BYTES] | (mem[off + OFF_BYTES + 1] << 8) | (mem[off + OFF_BYTES + 2] << 16) | (mem[off + OFF_BYTES + 3] << 24)) >>> 0;
  }

  private static slackAt(mem: Uint8Array, off: number): number {
    return mem[off + OFF_SLACK] | (mem[off + OFF_SLACK + 1] << 8);
  }

  private static isAllocatedAt(mem: Uint8Array, off: number): boolean {
    return (mem[off + OFF_FLAGS] & FLAG_ALLOCATED) !== 0;
  }

  private writeHeader(mem: Uint8Array, off: number, chunkBytes: number, slack: number, allocated: boolean): void {
    mem[off + OFF_BYTES] = chunkBytes & 0xff;
    mem[off + OFF_BYTES + 1] = (chunkBytes >>> 8) & 0xff;
    mem[off + OFF_BYTES + 2] = (chunkBytes >>> 16) & 0xff;
    mem[off + OFF_BYTES + 3] = (chunkBytes >>> 24) & 0xff;
    mem[off + OFF_SLACK] = slack & 0xff;
    mem[off + OFF_SLACK + 1] = (slack >>> 8) & 0xff;
    mem[off + OFF_FLAGS] = allocated ? FLAG_ALLOCATED : 0;
    mem[off + OFF_TAG] = this.headerTag;
  }

  /** True when the header at `off` describes a chunk that the walk may step over. */
  private validChunk(mem: Uint8Array, off: number): boolean {
    const bytes = FallbackPool.chunkBytesAt(mem, off);
    return bytes >= POOL_MIN_CHUNK && bytes % 8 === 0 && off + bytes <= this.regionSize;
  }

  /** Memory of region k if the pool owns it and the OS agrees it is a mapped pool region. */
  private regionMem(k: number): Uint8Array | undefined {
    if (!Number.isInteger(k) || k <= 0 || k >= this.os.indexLimit) return undefined;
    if (this.owned[k] !== 1 || this.os.kind[k] !== RegionKind.POOL) return undefined;
    return this.os.mem[k];
  }

  /** Walks region k's chunks to the one containing region offset `target`. */
  private locate(k: number, target: number): Located | undefined {
    const mem = this.regionMem(k);
    if (mem === undefined) return undefined;
    const base = k * this.regionSize;
    let off = 0;
    for (let step = 0; step < this.maxSteps && off < this.regionSize; step++) {
      if (!this.validChunk(mem, off)) break;
      const bytes = FallbackPool.chunkBytesAt(mem, off);
      if (target < off + bytes) return { mem, base, offset: off };
      off += bytes;
    }
    return { mem, base, offset: -1 };
  }

  /** Free validation without side effects; on FREE_OK also returns where the chunk is. */
  private check(ptr: number): { code: FreeCode; mem?: Uint8Array; k?: number; offset?: number } {
    if (!Number.isSafeInteger(ptr) || ptr <= 0 || ptr >= 2 ** 32) return { code: ERR_INVALID_POINTER };
    const k = Math.floor(ptr / this.regionSize);
    const inRegion = ptr - k * this.regionSize;
    // ptr - 1 must lie in ptr's own region for it to be inside this region's chunk walk.
    if (inRegion === 0) return { code: ERR_INVALID_POINTER };
    const found = this.locate(k, inRegion - 1);
    if (found === undefined || found.offset < 0) return { code: ERR_INVALID_POINTER };
    const { mem, offset } = found;
    if (inRegion !== offset + POOL_HEADER_BYTES) return { code: ERR_INTERIOR_POINTER };
    if (mem[offset + OFF_TAG] !== this.headerTag) return { code: ERR_HEADER_MISMATCH };
    if (!FallbackPool.isAllocatedAt(mem, offset)) return { code: ERR_DOUBLE_FREE };
    return { code: FREE_OK, mem, k, offset };
  }

  // --- allocation -----------------------------------------------------------------------------

  /** User pointer or 0 (budget spent, request too large for one region, or an invalid size). */
  alloc(sizeBytes: number): number {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      this.failures++;
      return 0;
    }
    const need = Math.max(POOL_MIN_CHUNK, align8(sizeBytes + POOL_HEADER_BYTES));
    if (need > this.regionSize) {
      this.failures++;
      return 0;
    }
    for (let k = 1; k < this.os.indexLimit; k++) {
      const mem = this.regionMem(k);
      if (mem === undefined) continue;
      const ptr = this.allocIn(k, mem, need, sizeBytes);
      if (ptr !== 0) return ptr;
    }
    if (this.regionCount >= this.budgetRegions) {
      this.failures++;
      return 0;
    }
    const refusalsBefore = this.os.refusals;
    const k = this.os.map(RegionKind.POOL);
    if (k === 0) {
      if (this.os.refusals > refusalsBefore) this.mapRefusals++;
      this.failures++;
      return 0;
    }
    const mem = this.os.mem[k];
    if (mem === undefined) throw new Error(`FallbackPool: region ${k} mapped without memory`);
    this.owned[k] = 1;
    this.regionCount++;
    this.writeHeader(mem, 0, this.regionSize, 0, false);
    const ptr = this.allocIn(k, mem, need, sizeBytes);
    if (ptr === 0) throw new Error('FallbackPool: a fresh region could not hold a request that fits a region');
    return ptr;
  }

  /** First fit inside region k; 0 if no free chunk of at least `need` bytes. */
  private allocIn(k: number, mem: Uint8Array, need: number, sizeBytes: number): number {
    let off = 0;
    for (let step = 0; step < this.maxSteps && off < this.regionSize; step++) {
      if (!this.validChunk(mem, off)) return 0;
      const bytes = FallbackPool.chunkBytesAt(mem, off);
      if (!FallbackPool.isAllocatedAt(mem, off) && bytes >= need) {
        let chunkBytes = bytes;
        if (bytes - need >= POOL_MIN_CHUNK) {
          chunkBytes = need;
          this.writeHeader(mem, off + need, bytes - need, 0, false);
        }
        const usable = chunkBytes - POOL_HEADER_BYTES;
        this.writeHeader(mem, off, chunkBytes, usable - sizeBytes, true);
        this.allocs++;
        return k * this.regionSize + off + POOL_HEADER_BYTES;
      }
      off += bytes;
    }
    return 0;
  }

  // --- free -----------------------------------------------------------------------------------

  /**
   * Caller has already established that ptr's region has os.kind === RegionKind.POOL.
   * Returns a FreeCode; on error nothing changes (metadata and bytes bit-for-bit).
   */
  free(ptr: number): FreeCode {
    const r = this.check(ptr);
    if (r.code !== FREE_OK || r.mem === undefined || r.k === undefined || r.offset === undefined) return r.code;
    const { mem, k, offset } = r;
    mem[offset + OFF_FLAGS] &= ~FLAG_ALLOCATED & 0xff;
    mem[offset + OFF_SLACK] = 0;
    mem[offset + OFF_SLACK + 1] = 0;
    const anyAllocated = this.coalesce(mem);
    if (!anyAllocated) this.release(k);
    return FREE_OK;
  }

  /** Merges every run of adjacent free chunks of a region; returns whether any chunk is allocated. */
  private coalesce(mem: Uint8Array): boolean {
    let anyAllocated = false;
    let off = 0;
    for (let step = 0; step < this.maxSteps && off < this.regionSize; step++) {
      if (!this.validChunk(mem, off)) return true; // a broken walk: keep the region, never unmap blindly
      let bytes = FallbackPool.chunkBytesAt(mem, off);
      if (FallbackPool.isAllocatedAt(mem, off)) {
        anyAllocated = true;
      } else {
        // absorb the free chunks that follow, each absorption also bounded by the region
        for (let inner = 0; inner < this.maxSteps; inner++) {
          const next = off + bytes;
          if (next >= this.regionSize || !this.validChunk(mem, next) || FallbackPool.isAllocatedAt(mem, next)) break;
          bytes += FallbackPool.chunkBytesAt(mem, next);
          mem.fill(0, next, next + POOL_HEADER_BYTES);
        }
        this.writeHeader(mem, off, bytes, 0, false);
      }
      off += bytes;
    }
    return anyAllocated;
  }

  private release(k: number): void {
    this.owned[k] = 0;
    this.regionCount--;
    this.os.unmap(k);
  }

  /** Payload bytes of a live (allocated) pool block whose userPtr is ptr, else 0. */
  usableSize(ptr: number): number {
    const r = this.check(ptr);
    if (r.code !== FREE_OK || r.mem === undefined || r.offset === undefined) return 0;
    return FallbackPool.chunkBytesAt(r.mem, r.offset) - POOL_HEADER_BYTES;
  }

  /** Unmaps regions that hold no allocated chunk (free() already does this eagerly). */
  trim(): void {
    for (let k = 1; k < this.os.indexLimit; k++) {
      const mem = this.regionMem(k);
      if (mem === undefined) continue;
      if (!this.coalesce(mem)) this.release(k);
    }
  }

  /** Test-only hook: flips the allocated flag of the chunk at `chunk` (and nothing else). */
  setChunkAllocated(chunk: number, allocated: boolean): void {
    const k = Math.floor(chunk / this.regionSize);
    const off = chunk - k * this.regionSize;
    const found = this.locate(k, off);
    if (found === undefined || found.offset !== off) {
      throw new RangeError(`FallbackPool.setChunkAllocated: ${chunk} is not a chunk of a mapped pool region`);
    }
    if (allocated) found.mem[off + OFF_FLAGS] |= FLAG_ALLOCATED;
    else found.mem[off + OFF_FLAGS] &= ~FLAG_ALLOCATED & 0xff;
  }

  // --- view -----------------------------------------------------------------------------------

  view(): PoolView {
    const regions: PoolRegionView[] = [];
    const blocks: PoolBlockView[] = [];
    for (let k = 1; k < this.os.indexLimit; k++) {
      const mem = this.regionMem(k);
      if (mem === undefined) continue;
      const base = k * this.regionSize;
      regions.push({ base, regionIndex: k, bytes: this.regionSize });
      let off = 0;
      for (let step = 0; step < this.maxSteps && off < this.regionSize; step++) {
        const chunkBytes = FallbackPool.chunkBytesAt(mem, off);
        const allocated = FallbackPool.isAllocatedAt(mem, off);
        const requestedBytes = allocated ? chunkBytes - POOL_HEADER_BYTES - FallbackPool.slackAt(mem, off) : 0;
        blocks.push({ chunk: base + off, userPtr: base + off + POOL_HEADER_BYTES, chunkBytes, requestedBytes, allocated });
        if (!this.validChunk(mem, off)) break; // reported as-is; the walk cannot go on
        off += chunkBytes;
      }
    }
    return {
      regions,
      blocks,
      mappedBytes: this.mappedBytes(),
      budgetBytes: this.config.poolBytes,
      headerTag: this.headerTag,
      headerBytes: POOL_HEADER_BYTES,
    };
  }
}

import { describe, it, expect } from 'vitest';
import { DEFAULT_CONFIG, makeConfig, profileConfig } from '../impl/config.ts';
import type { AllocatorConfig } from '../impl/config.ts';
import { OsLayer, RegionKind } from '../impl/os.ts';
import { FallbackPool, POOL_HEADER_BYTES, poolHeaderTag } from '../impl/pool.ts';
import { ERR_DOUBLE_FREE, ERR_HEADER_MISMATCH, ERR_INTERIOR_POINTER, ERR_INVALID_POINTER, FREE_OK } from '../impl/codes.ts';
import type { PoolView } from '../impl/view.ts';

const REGION = 512;

/** tiny profile: superslabSize 512, poolBytes 1024 -> a budget of 2 regions. */
function setup(poolBytes = 1024, maxRegions = 8): { os: OsLayer; pool: FallbackPool; config: AllocatorConfig } {
  const config = profileConfig('tiny', { poolBytes });
  expect(config.superslabSize).toBe(REGION);
  const os = new OsLayer(REGION, maxRegions);
  return { os, pool: new FallbackPool(os, config), config };
}

function memOf(os: OsLayer, addr: number): Uint8Array {
  const k = os.indexOf(addr);
  const mem = os.mem[k];
  if (mem === undefined) throw new Error(`no memory for ${addr}`);
  return mem;
}

function fill(os: OsLayer, ptr: number, len: number, seed: number): void {
  const mem = memOf(os, ptr);
  const off = ptr & os.regionMask;
  for (let i = 0; i < len; i++) mem[off + i] = (seed + i * 7) & 0xff;
}

function readBack(os: OsLayer, ptr: number, len: number): number[] {
  const mem = memOf(os, ptr);
  const off = ptr & os.regionMask;
  return Array.from(mem.subarray(off, off + len));
}

function expected(len: number, seed: number): number[] {
  return Array.from({ length: len }, (_, i) => (seed + i * 7) & 0xff);
}

/** Deep copy of every region's bytes (mapped or not) for bit-for-bit comparison. */
function snapshotMem(os: OsLayer): (number[] | undefined)[] {
  return os.mem.map((m) => (m === undefined ? undefined : Array.from(m)));
}

function liveBlocks(v: PoolView): { userPtr: number; chunkBytes: number }[] {
  return v.blocks.filter((b) => b.allocated).map((b) => ({ userPtr: b.userPtr, chunkBytes: b.chunkBytes }));
}

describe('FallbackPool: allocation', () => {
  it('returns distinct, non-overlapping, 8-aligned blocks with usable >= requested', () => {
    const { os, pool } = setup();
    const sizes = [1, 7, 8, 9, 24, 40, 0, 100, 3, 64];
    const ptrs = sizes.map((s) => pool.alloc(s));
    for (const p of ptrs) expect(p).toBeGreaterThan(0);
    expect(new Set(ptrs).size).toBe(ptrs.length);
    const spans = ptrs.map((p, i) => {
      expect(p % 8).toBe(0);
      const usable = pool.usableSize(p);
      expect(usable).toBeGreaterThanOrEqual(sizes[i] as number);
      expect(usable % 8).toBe(0);
      // chunk (header included) lies inside one pool region
      expect(os.kind[os.indexOf(p - POOL_HEADER_BYTES)]).toBe(RegionKind.POOL);
      expect(os.indexOf(p - POOL_HEADER_BYTES)).toBe(os.indexOf(p + usable - 1));
      return [p - POOL_HEADER_BYTES, p + usable] as const;
    });
    const sorted = [...spans].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
    expect(pool.allocs).toBe(sizes.length);
    expect(pool.failures).toBe(0);

    // the view reports every chunk, tiling each region, with the requested sizes
    const v = pool.view();
    expect(v.headerBytes).toBe(8);
    expect(v.budgetBytes).toBe(1024);
    expect(v.mappedBytes).toBe(pool.mappedBytes());
    for (const r of v.regions) {
      const chunks = v.blocks.filter((b) => b.chunk >= r.base && b.chunk < r.base + r.bytes);
      let at = r.base;
      for (const c of chunks) {
        expect(c.chunk).toBe(at);
        expect(c.userPtr).toBe(c.chunk + 8);
        at += c.chunkBytes;
      }
      expect(at).toBe(r.base + r.bytes);
    }
    for (let i = 0; i < ptrs.length; i++) {
      const b = v.blocks.find((x) => x.userPtr === ptrs[i]);
      expect(b?.allocated).toBe(true);
      expect(b?.requestedBytes).toBe(sizes[i]);
      expect(memOf(os, ptrs[i] as number)[((ptrs[i] as number) - 1) & os.regionMask]).toBe(pool.headerTag);
    }
  });

  it('first block of a fresh region sits right after its header, never at address 0', () => {
    const { os, pool } = setup();
    const p = pool.alloc(10);
    expect(p).toBe(1 * REGION + 8);
    expect(os.kind[1]).toBe(RegionKind.POOL);
    expect(pool.usableSize(p)).toBe(16);
  });

  it('data written into one block is unchanged by alloc/free of others', () => {
    const { os, pool } = setup();
    const a = pool.alloc(40);
    const keep = pool.alloc(56);
    const b = pool.alloc(24);
    fill(os, keep, 56, 0x31);
    fill(os, a, 40, 0x90);
    fill(os, b, 24, 0x11);
    expect(pool.free(a)).toBe(FREE_OK);
    expect(pool.free(b)).toBe(FREE_OK);
    const c = pool.alloc(16);
    const d = pool.alloc(200);
    const e = pool.alloc(8);
    for (const p of [c, d, e]) {
      expect(p).toBeGreaterThan(0);
      fill(os, p, pool.usableSize(p), 0xee);
    }
    expect(pool.free(d)).toBe(FREE_OK);
    expect(pool.free(c)).toBe(FREE_OK);
    expect(readBack(os, keep, 56)).toEqual(expected(56, 0x31));
    expect(pool.usableSize(keep)).toBe(56);
  });

  it('first fit reuses freed space at the lowest address', () => {
    const { pool } = setup();
    const a = pool.alloc(32);
    const b = pool.alloc(32);
    const c = pool.alloc(32);
    expect(pool.free(a)).toBe(FREE_OK);
    expect(pool.free(c)).toBe(FREE_OK);
    // both a's and c's space (c merged with the tail) are free; first fit picks a's
    expect(pool.alloc(24)).toBe(a);
    // b still live
    expect(pool.usableSize(b)).toBe(32);
  });

  it('splits only when the remainder is at least 16 bytes', () => {
    const { pool } = setup();
    const a = pool.alloc(32); // chunk 40
    const b = pool.alloc(8); // keeps the region alive
    expect(pool.free(a)).toBe(FREE_OK);
    // a 24-byte request needs 32: remainder 8 < 16, so it takes the whole 40-byte chunk
    const c = pool.alloc(24);
    expect(c).toBe(a);
    expect(pool.usableSize(c)).toBe(32);
    expect(pool.view().blocks.find((x) => x.userPtr === c)?.requestedBytes).toBe(24);
    expect(pool.usableSize(b)).toBe(8);
  });

  it('coalescing lets a big block fit after both neighbours are freed', () => {
    const { os, pool } = setup(REGION); // budget: one region
    // fill the region exactly: 4 chunks of 128 bytes
    const ptrs = [120, 120, 120, 120].map((s) => pool.alloc(s));
    expect(ptrs).toEqual([520, 648, 776, 904]);
    expect(pool.alloc(8)).toBe(0);
    expect(pool.failures).toBe(1);
    // free the middle two in an order that needs backward coalescing too
    expect(pool.free(ptrs[2] as number)).toBe(FREE_OK);
    expect(pool.free(ptrs[1] as number)).toBe(FREE_OK);
    const big = pool.alloc(240); // needs 248 of the 256 merged bytes
    expect(big).toBe(ptrs[1]);
    expect(pool.usableSize(big)).toBe(248);
    expect(os.mappedCount(RegionKind.POOL)).toBe(1);
  });

  it('forward coalescing: freeing into a free tail merges with it', () => {
    const { pool } = setup(REGION);
    const a = pool.alloc(8);
    const b = pool.alloc(8);
    expect(pool.view().blocks.length).toBe(3);
    expect(pool.free(b)).toBe(FREE_OK);
    const blocks = pool.view().blocks;
    expect(blocks.map((x) => [x.chunk, x.chunkBytes, x.allocated])).toEqual([
      [a - 8, 16, true],
      [a + 8, REGION - 16, false],
    ]);
  });
});

describe('FallbackPool: budget and sizes', () => {
  it('fails cleanly with 0 when poolBytes is spent, counts the failure, and freeing makes room', () => {
    const { os, pool } = setup(1024); // 2 regions
    const a = pool.alloc(REGION - 8); // a whole region
    const b = pool.alloc(REGION - 8);
    expect(a).toBe(REGION + 8);
    expect(b).toBe(2 * REGION + 8);
    expect(pool.mappedBytes()).toBe(1024);
    const before = snapshotMem(os);
    const viewBefore = pool.view();
    expect(pool.alloc(1)).toBe(0);
    expect(pool.failures).toBe(1);
    expect(pool.allocs).toBe(2);
    // the OS still has free indexes: the budget, not the OS, refused
    expect(os.mappedCount(RegionKind.POOL)).toBe(2);
    expect(os.kind[3]).toBe(RegionKind.NONE);
    expect(snapshotMem(os)).toEqual(before);
    expect(pool.view()).toEqual(viewBefore);
    expect(pool.free(a)).toBe(FREE_OK);
    expect(pool.mappedBytes()).toBe(REGION);
    const c = pool.alloc(1);
    expect(c).toBe(REGION + 8);
    expect(pool.failures).toBe(1);
  });

  it('poolBytes 0 means every pool request fails', () => {
    const { os, pool } = setup(0);
    expect(pool.alloc(1)).toBe(0);
    expect(pool.failures).toBe(1);
    expect(os.maps).toBe(0);
  });

  it('fails when the OS address space is spent even within budget', () => {
    const { os, pool } = setup(2048, 2); // budget 4 regions, OS only 2
    expect(pool.alloc(REGION - 8)).toBeGreaterThan(0);
    expect(pool.alloc(REGION - 8)).toBeGreaterThan(0);
    expect(pool.alloc(REGION - 8)).toBe(0);
    expect(pool.failures).toBe(1);
    expect(os.mappedCount(RegionKind.POOL)).toBe(2);
  });

  it('a request larger than one region returns 0 without mapping', () => {
    const { os, pool } = setup();
    expect(pool.alloc(REGION - 7)).toBe(0);
    expect(pool.alloc(10_000)).toBe(0);
    expect(pool.alloc(-1)).toBe(0);
    expect(pool.alloc(1.5)).toBe(0);
    expect(pool.failures).toBe(4);
    expect(os.maps).toBe(0);
    expect(pool.alloc(REGION - 8)).toBe(REGION + 8);
    expect(pool.usableSize(REGION + 8)).toBe(REGION - 8);
  });

  it('records large requests exactly with the default config (2 MiB regions)', () => {
    const os = new OsLayer(DEFAULT_CONFIG.superslabSize, 4);
    const pool = new FallbackPool(os, makeConfig({ poolBytes: 2 * DEFAULT_CONFIG.superslabSize }));
    const size = 100_003; // above u16
    const p = pool.alloc(size);
    expect(p).toBe(DEFAULT_CONFIG.superslabSize + 8);
    expect(pool.usableSize(p)).toBe(100_008);
    expect(pool.view().blocks[0]).toEqual({ chunk: p - 8, userPtr: p, chunkBytes: 100_016, requestedBytes: size, allocated: true });
    expect(pool.alloc(DEFAULT_CONFIG.superslabSize - 8)).toBe(2 * DEFAULT_CONFIG.superslabSize + 8);
  });

  it('rejects an OS whose region size differs from superslabSize', () => {
    expect(() => new FallbackPool(new OsLayer(1024, 4), profileConfig('tiny'))).toThrow(RangeError);
  });
});

describe('FallbackPool: bad frees change nothing', () => {
  function scene(): { os: OsLayer; pool: FallbackPool; a: number; b: number; freed: number } {
    const { os, pool } = setup();
    const a = pool.alloc(32);
    const freed = pool.alloc(16);
    const b = pool.alloc(48);
    fill(os, a, 32, 5);
    fill(os, b, 48, 9);
    expect(pool.free(freed)).toBe(FREE_OK);
    return { os, pool, a, b, freed };
  }

  function expectUnchanged(os: OsLayer, pool: FallbackPool, ptr: number, code: number): void {
    const mem = snapshotMem(os);
    const v = pool.view();
    const counters = [pool.allocs, pool.failures, os.maps, os.unmaps, os.mappedBytes];
    expect(pool.free(ptr)).toBe(code);
    expect(snapshotMem(os)).toEqual(mem);
    expect(pool.view()).toEqual(v);
    expect([pool.allocs, pool.failures, os.maps, os.unmaps, os.mappedBytes]).toEqual(counters);
    expect(pool.usableSize(ptr)).toBe(0);
  }

  it('invalid pointer: region base, unmapped region, beyond the address space, region not the pool\'s', () => {
    const { os, pool, a } = scene();
    expectUnchanged(os, pool, REGION, ERR_INVALID_POINTER); // ptr-1 lies before the first chunk
    expectUnchanged(os, pool, 3 * REGION + 8, ERR_INVALID_POINTER); // unmapped region
    expectUnchanged(os, pool, 100 * REGION + 8, ERR_INVALID_POINTER); // beyond the OS
    expectUnchanged(os, pool, 0, ERR_INVALID_POINTER);
    expectUnchanged(os, pool, 2 ** 32 + 8, ERR_INVALID_POINTER);
    // a region mapped by someone else (a SuperSlab) is not the pool's
    const ss = os.map(RegionKind.SUPERSLAB);
    expect(ss).toBe(2);
    expectUnchanged(os, pool, ss * REGION + 8, ERR_INVALID_POINTER);
    expect(pool.usableSize(a)).toBe(32);
  });

  it('invalid pointer: a region whose chunk walk is broken before ptr', () => {
    const { os, pool, a } = scene();
    // corrupt the first chunk's size to 12 (not a multiple of 8): nothing after it is walkable
    const mem = memOf(os, a);
    mem[0] = 12;
    expectUnchanged(os, pool, a + 48, ERR_INVALID_POINTER);
  });

  it('interior pointer: inside a payload, inside a header, and a stale user pointer absorbed by coalescing', () => {
    const { os, pool, a, b } = scene();
    expectUnchanged(os, pool, a + 1, ERR_INTERIOR_POINTER);
    expectUnchanged(os, pool, a + 8, ERR_INTERIOR_POINTER);
    expectUnchanged(os, pool, b - 4, ERR_INTERIOR_POINTER); // in b's header
    expectUnchanged(os, pool, REGION + 3, ERR_INTERIOR_POINTER); // in the first header
    // free b: it merges with the free tail; an old user pointer in that tail is interior now
    const tailUser = b + 56; // userPtr of the former tail chunk (b's chunk is 56 bytes at b-8)
    expect(pool.view().blocks.some((x) => x.userPtr === tailUser && !x.allocated)).toBe(true);
    expect(pool.free(b)).toBe(FREE_OK);
    expectUnchanged(os, pool, tailUser, ERR_INTERIOR_POINTER);
  });

  it('header mismatch: a forged tag byte at ptr-1', () => {
    const { os, pool, a } = scene();
    const mem = memOf(os, a);
    const at = (a - 1) & os.regionMask;
    mem[at] = (DEFAULT_CONFIG.headerMagic | 3) & 0xff; // looks like a tiny header
    expectUnchanged(os, pool, a, ERR_HEADER_MISMATCH);
    mem[at] = pool.headerTag;
    expect(pool.usableSize(a)).toBe(32);
  });

  it('double free: freeing a freed (unmerged) chunk, and the same pointer twice', () => {
    const { os, pool, a, b, freed } = scene();
    expectUnchanged(os, pool, freed, ERR_DOUBLE_FREE);
    expect(pool.free(a)).toBe(FREE_OK);
    expectUnchanged(os, pool, a, ERR_DOUBLE_FREE);
    expect(pool.usableSize(b)).toBe(48);
    expect(readBack(os, b, 48)).toEqual(expected(48, 9));
  });

  it('an error takes precedence in SPEC order (interior before header before double free)', () => {
    const { os, pool, a, freed } = scene();
    // forge the tag of a freed chunk: header mismatch wins over double free
    memOf(os, freed)[(freed - 1) & os.regionMask] = 0;
    expectUnchanged(os, pool, freed, ERR_HEADER_MISMATCH);
    // interior wins over the tag: ptr a+16 has a non-tag byte at ptr-1 anyway
    expectUnchanged(os, pool, a + 16, ERR_INTERIOR_POINTER);
  });
});

describe('FallbackPool: regions', () => {
  it('unmaps a region when its last block is freed, and the next map reuses its addresses', () => {
    const { os, pool } = setup();
    const a = pool.alloc(REGION - 8); // region 1
    const b = pool.alloc(100); // region 2
    const c = pool.alloc(60); // region 2
    expect(os.indexOf(b)).toBe(2);
    expect(os.indexOf(c)).toBe(2);
    expect(pool.free(b)).toBe(FREE_OK);
    expect(os.kind[2]).toBe(RegionKind.POOL);
    expect(pool.free(c)).toBe(FREE_OK);
    expect(os.kind[2]).toBe(RegionKind.NONE);
    expect(os.unmaps).toBe(1);
    expect(pool.mappedBytes()).toBe(REGION);
    expect(pool.view().regions).toEqual([{ base: REGION, regionIndex: 1, bytes: REGION }]);
    expect(pool.free(a)).toBe(FREE_OK);
    expect(os.kind[1]).toBe(RegionKind.NONE);
    expect(pool.view()).toEqual({ regions: [], blocks: [], mappedBytes: 0, budgetBytes: 1024, headerTag: pool.headerTag, headerBytes: 8 });
    // the stale pointer is now in an unmapped region
    expect(pool.free(a)).toBe(ERR_INVALID_POINTER);
    // the next map takes region 1 again, with fresh zeroed bytes and a new chunk at the same address
    const d = pool.alloc(8);
    expect(d).toBe(a);
    expect(os.maps).toBe(3);
    expect(pool.view().blocks.map((x) => x.chunkBytes)).toEqual([16, REGION - 16]);
  });

  it('trim() unmaps a region left without allocated chunks by the test hook', () => {
    const { os, pool } = setup();
    const a = pool.alloc(8);
    const b = pool.alloc(8);
    pool.trim();
    expect(os.kind[1]).toBe(RegionKind.POOL); // live blocks: nothing to trim
    expect(pool.free(a)).toBe(FREE_OK);
    pool.setChunkAllocated(b - 8, false);
    expect(pool.view().blocks.find((x) => x.userPtr === b)?.allocated).toBe(false);
    expect(pool.usableSize(b)).toBe(0);
    expect(pool.free(b)).toBe(ERR_DOUBLE_FREE);
    pool.trim();
    expect(os.kind[1]).toBe(RegionKind.NONE);
    expect(pool.mappedBytes()).toBe(0);
  });

  it('setChunkAllocated flips only the flag bit and rejects non-chunks', () => {
    const { os, pool } = setup();
    const a = pool.alloc(8);
    const tail = a + 8; // chunk address of the free tail
    const before = snapshotMem(os);
    pool.setChunkAllocated(tail, true);
    const after = snapshotMem(os);
    const diff: number[] = [];
    after[1]!.forEach((v, i) => { if (v !== before[1]![i]) diff.push(i); });
    expect(diff).toEqual([(tail + 6) & os.regionMask]);
    expect(pool.usableSize(tail + 8)).toBe(REGION - 24);
    expect(() => pool.setChunkAllocated(a, true)).toThrow(RangeError); // a userPtr, not a chunk
    expect(() => pool.setChunkAllocated(3 * REGION, true)).toThrow(RangeError);
  });
});

describe('FallbackPool: header tag', () => {
  const configs: [string, AllocatorConfig][] = [
    ['default', makeConfig()],
    ['tiny', profileConfig('tiny')],
    ['magic 0x80 mask 0x7f', makeConfig({ headerMagic: 0x80, classMask: 0x7f })],
    ['magic 0x01 mask 0x00', makeConfig({ headerMagic: 0x01, classMask: 0x00, strides: [8], softCap: [1], tlsCap: [1], tinyHeapClasses: 0 })],
  ];
  for (const [name, cfg] of configs) {
    it(`is never headerMagic|c (${name})`, () => {
      const tag = poolHeaderTag(cfg);
      for (let c = 0; c <= cfg.classMask; c++) expect(tag).not.toBe(cfg.headerMagic | c);
      expect(tag & cfg.headerMagic).toBe(0);
      expect(tag).toBeGreaterThanOrEqual(0);
      expect(tag).toBeLessThanOrEqual(0xff);
    });
  }

  it('has the documented value and is what the pool writes', () => {
    expect(poolHeaderTag(makeConfig())).toBe(0x50);
    expect(poolHeaderTag(profileConfig('tiny'))).toBe(0x50);
    const { os, pool } = setup();
    expect(pool.headerTag).toBe(0x50);
    expect(pool.view().headerTag).toBe(0x50);
    const p = pool.alloc(20);
    expect(memOf(os, p)[(p - 1) & os.regionMask]).toBe(0x50);
  });
});

describe('FallbackPool: randomized churn against a shadow', () => {
  it('keeps blocks disjoint, contents intact and the walk tiled through 2000 operations', () => {
    const { os, pool } = setup(1024);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const live = new Map<number, { len: number; tag: number }>();
    let failures = 0;
    for (let step = 0; step < 2000; step++) {
      if (live.size > 0 && rnd(10) < 4) { // slightly alloc-heavy: the budget is reached
        const keys = [...live.keys()];
        const p = keys[rnd(keys.length)] as number;
        const info = live.get(p)!;
        expect(readBack(os, p, info.len)).toEqual(expected(info.len, info.tag));
        expect(pool.free(p)).toBe(FREE_OK);
        live.delete(p);
      } else {
        const size = rnd(200);
        const p = pool.alloc(size);
        if (p === 0) {
          failures++;
          continue;
        }
        expect(live.has(p)).toBe(false);
        expect(pool.usableSize(p)).toBeGreaterThanOrEqual(size);
        fill(os, p, size, step & 0xff);
        live.set(p, { len: size, tag: step & 0xff });
      }
      const v = pool.view();
      expect(liveBlocks(v).map((x) => x.userPtr).sort((x, y) => x - y)).toEqual([...live.keys()].sort((x, y) => x - y));
      // no two adjacent free chunks survive a free (coalescing is complete)
      for (let i = 1; i < v.blocks.length; i++) {
        const prev = v.blocks[i - 1]!;
        const cur = v.blocks[i]!;
        const sameRegion = os.indexOf(prev.chunk) === os.indexOf(cur.chunk);
        if (sameRegion) {
          expect(prev.chunk + prev.chunkBytes).toBe(cur.chunk); // chunks tile the region
          expect(prev.allocated || cur.allocated).toBe(true); // no two free neighbours survive
        }
      }
      expect(v.regions.length).toBeLessThanOrEqual(2);
      // every mapped region holds at least one live block (eager unmap)
      for (const r of v.regions) expect(v.blocks.some((x) => x.allocated && x.chunk >= r.base && x.chunk < r.base + r.bytes)).toBe(true);
    }
    expect(pool.failures).toBe(failures);
    expect(failures).toBeGreaterThan(0);
    for (const [p, info] of live) {
      expect(readBack(os, p, info.len)).toEqual(expected(info.len, info.tag));
      expect(pool.free(p)).toBe(FREE_OK);
    }
    expect(pool.mappedBytes()).toBe(0);
    expect(os.mappedCount(RegionKind.POOL)).toBe(0);
  });
});

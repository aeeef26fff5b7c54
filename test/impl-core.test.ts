// Unit scenarios for the allocator core (issue 2), several taken from the seeds.
import { describe, expect, it } from 'vitest';
import { createAllocator, profileConfig, testHooks, type Allocator, type AllocatorView } from '../impl/index.ts';

/** Everything a bad free must leave unchanged: metadata snapshots and every mapped byte. */
function snapshot(a: Allocator): string {
  const v: AllocatorView = a.view;
  const bytes: number[] = [];
  for (const r of v.mappedRegions()) for (let o = 0; o < v.config.superslabSize; o++) bytes.push(v.readU8(r.base + o));
  const threads = Array.from({ length: v.config.threads }, (_, t) => v.thread(t));
  const classes = Array.from({ length: v.classCount }, (_, c) => ({
    empty: v.emptyList(c),
    orphans: v.orphanList(c),
    active: v.activeSlots(c),
    byClass: v.registryByClass(c),
    hint: v.classHint(c),
  }));
  return JSON.stringify({ ss: v.superslabs(), threads, classes, registry: v.registry(), reserve: v.reserve(), pool: v.pool(), bytes });
}

describe('layout and headers', () => {
  it('C7 (2048 B) holds 31 blocks in slab 0 and 32 in the other 64 KiB slabs (seed 003)', () => {
    const a = createAllocator(profileConfig('default'));
    const first = a.alloc(0, 1500);
    const slab0 = a.view.superslabs()[0]!.slabs[0]!;
    expect(slab0.cls).toBe(7);
    expect(slab0.capacity).toBe(31);
    expect(first - 1).toBe(slab0.start);
    expect(slab0.start).toBe(a.view.superslabs()[0]!.base + 2048);
    // Fill the first page; the next page is slab 1 of the same SuperSlab.
    for (let n = 1; n < 31; n++) a.alloc(0, 1500);
    const next = a.alloc(0, 1500);
    const slab1 = a.view.superslabs()[0]!.slabs[1]!;
    expect(slab1.cls).toBe(7);
    expect(slab1.capacity).toBe(32);
    expect(next - 1).toBe(slab1.start);
  });

  it('the header of a C6 block is 0xa6; user pointer = base + 1; usable = stride - 1', () => {
    const a = createAllocator(profileConfig('default'));
    const p = a.alloc(0, 300);
    expect(a.view.readU8(p - 1)).toBe(0xa6);
    expect(a.usableSize(p)).toBe(511);
    const q = a.alloc(0, 300);
    expect(Math.abs(q - p)).toBe(512);
    expect(a.view.readU8(a.alloc(0, 0) - 1)).toBe(0xa0);
  });

  it('user bytes are real memory: canaries survive other allocations and frees', () => {
    const a = createAllocator(profileConfig('tiny'));
    const p = a.alloc(0, 20);
    a.writeBytes(p, Uint8Array.from({ length: 31 }, (_, i) => i + 1));
    const others = [a.alloc(0, 20), a.alloc(1, 20), a.alloc(0, 3)];
    for (const q of others) a.free(1, q);
    expect(Array.from(a.readBytes(p, 31))).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(() => a.writeBytes(p, new Uint8Array(32))).toThrow(RangeError);
    expect(() => a.readBytes(p + 1, 1)).toThrow(RangeError);
  });

  it('free-list links are little-endian at base+1 (TLS) and at base over the header (remote)', () => {
    const a = createAllocator(profileConfig('tiny'));
    const p = a.alloc(0, 20);
    const q = a.alloc(0, 20);
    expect(a.free(0, p).ok).toBe(true);
    expect(a.free(0, q).ok).toBe(true);
    const t0 = a.view.thread(0).classes[2]!;
    expect(t0.tlsHead).toBe(q - 1);
    expect(a.view.readU32(q)).toBe(p - 1);
    expect(a.view.readU8(q - 1)).toBe(0xa2);
    const r = a.alloc(0, 20);
    const s = a.alloc(0, 20);
    expect(a.free(1, r).ok).toBe(true); // remote: thread 0 owns the slab
    expect(a.free(1, s).ok).toBe(true);
    const slab = a.view.slab(a.view.thread(0).classes[2]!.current)!;
    expect(slab.remoteHead).toBe(s - 1);
    expect(slab.remoteCount).toBe(2);
    expect(a.view.readU32(s - 1)).toBe(r - 1); // the link clobbers the header
    a.drain(0, 2);
    expect(a.view.readU8(s - 1)).toBe(0xa2); // the drain restores it
    expect(a.view.readU8(r - 1)).toBe(0xa2);
  });
});

describe('shared pool, release and recycling', () => {
  it("a slab emptied by a remote drain is released and its slot reused through Stage 1 (seed 003's missing link)", () => {
    const cfg = profileConfig('tiny', { hotThreshold: 0, emptyScanLimit: 0, warmPoolPrefill: 0, warmPoolCap: 0 });
    const a = createAllocator(cfg);
    const cap = Math.floor((cfg.slabSize - cfg.ssHeaderBytes) / 16); // class 1 in slab 0
    const blocks: number[] = [];
    for (let n = 0; n < cap; n++) blocks.push(a.alloc(0, 10));
    const first = a.view.slab(a.view.thread(0).classes[1]!.current)!;
    blocks.push(a.alloc(0, 10)); // exhausts slab 0: it is set aside, slab 1 becomes current
    expect(a.view.thread(0).classes[1]!.current).not.toBe(first.slabId);
    for (const p of blocks.slice(0, cap)) expect(a.free(1, p).ok).toBe(true);
    expect(a.view.slab(first.slabId)!.remoteCount).toBe(cap);
    expect(a.view.slab(first.slabId)!.state).toBe('ACTIVE');
    const releasesBefore = a.stats().releases;
    a.drain(0, 1);
    expect(a.view.slab(first.slabId)!.state).toBe('EMPTY');
    expect(a.stats().releases).toBe(releasesBefore + 1);
    expect(a.stats().remoteDrainReleases).toBe(1);
    expect(a.view.emptyList(1)).toEqual([first.slabId]);
    // Thread 1 needs a class-1 slot: Stage 0.5 is off (scan limit 0), so Stage 1 pops it.
    const stage1Before = a.stats().stages.stage1;
    const p = a.alloc(1, 10);
    expect(a.stats().stages.stage1).toBe(stage1Before + 1);
    expect(a.view.slab(first.slabId)!.owner).toBe(1);
    expect(p - 1).toBeGreaterThanOrEqual(first.start);
    expect(p - 1).toBeLessThan(first.start + first.usableBytes);
    expect(a.view.emptyList(1)).toEqual([]);
  });

  it('Stage 1 rebinds an EMPTY slot of another class, leaving no stale reference', () => {
    const cfg = profileConfig('tiny', { hotThreshold: 0, emptyScanLimit: 0, warmPoolPrefill: 0, warmPoolCap: 0, registryCapacity: 1 });
    const a = createAllocator(cfg);
    const p = a.alloc(0, 3); // class 0
    const slabId = a.view.thread(0).classes[0]!.current;
    a.free(0, p);
    // Fill the other slots so that only the EMPTY one remains.
    a.flush(0);
    // The SuperSlab is unmapped when its last slab empties; keep another slab busy to keep it.
    const keep = a.alloc(0, 40); // class 3 takes a slot
    const q = a.alloc(0, 3); // class 0 again
    a.free(0, q);
    a.flush(0);
    expect(a.view.slab(a.view.superslabs()[0]!.slabs.find((s) => s.cls === 0)!.slabId)!.state).toBe('EMPTY');
    const rebindsBefore = a.stats().rebinds;
    const r = a.alloc(1, 20); // class 2: no class-2 EMPTY slot; Stage 1 takes the class-0 one
    expect(r).not.toBe(0);
    expect(a.stats().rebinds).toBeGreaterThan(rebindsBefore);
    for (let t = 0; t < cfg.threads; t++) {
      for (const tc of a.view.thread(t).classes) {
        for (const id of [tc.current, ...tc.warm]) if (id >= 0) expect(a.view.slab(id)!.state).toBe('ACTIVE');
      }
    }
    expect(slabId).toBeGreaterThanOrEqual(0);
    expect(a.free(0, keep).ok).toBe(true);
  });

  it('a soft cap that is reached, then freed below by releases, lets allocation continue', () => {
    const cfg = profileConfig('tiny', { routeProfile: 'full', hotThreshold: 0, softCap: [1, 1, 1, 1], warmPoolPrefill: 0 });
    const a = createAllocator(cfg);
    const blocks: number[] = [];
    let p: number;
    while ((p = a.alloc(0, 3)) !== 0) blocks.push(p);
    expect(a.view.activeSlots(0)).toBe(1);
    expect(blocks.length).toBe(Math.floor((cfg.slabSize - cfg.ssHeaderBytes) / 8)); // one class-0 slab in slab 0
    expect(a.stats().tinyFailures).toBe(1);
    expect(a.alloc(1, 3)).toBe(0); // another thread: cap reached, nothing to adopt
    for (const b of blocks) a.free(0, b);
    a.flush(0); // the slab is let go and, empty, released: the count drops under the cap
    expect(a.view.activeSlots(0)).toBe(0);
    expect(a.alloc(1, 3)).not.toBe(0);
    expect(a.view.activeSlots(0)).toBe(1);
  });

  it('a SuperSlab is unmapped once empty, and its address range is reused by the next map', () => {
    const a = createAllocator(profileConfig('tiny'));
    const p = a.alloc(0, 20);
    const base = a.view.superslabs()[0]!.base;
    expect(a.stats().maps).toBe(1);
    a.free(0, p);
    a.flush(0);
    expect(a.view.superslabs()).toEqual([]);
    expect(a.stats().unmaps).toBe(1);
    expect(a.stats().mappedBytes).toBe(0);
    expect(a.view.isMapped(p)).toBe(false);
    const q = a.alloc(1, 20);
    expect(a.view.superslabs()[0]!.base).toBe(base);
    expect(q).toBe(p); // the stale pointer really lands in new memory
  });

  it('emptyReserve parks an empty SuperSlab instead of unmapping it; trim() unmaps it', () => {
    const a = createAllocator(profileConfig('tiny', { emptyReserve: 1 }));
    const p = a.alloc(0, 20);
    a.free(0, p);
    a.flush(0);
    expect(a.view.superslabs()).toHaveLength(1);
    expect(a.view.superslabs()[0]!.inReserve).toBe(true);
    expect(a.view.reserve()).toHaveLength(1);
    expect(a.stats().unmaps).toBe(0);
    a.alloc(0, 20); // Stage 3 takes it back
    expect(a.view.reserve()).toHaveLength(0);
    expect(a.view.superslabs()[0]!.tier).toBe('HOT');
    expect(a.stats().maps).toBe(1);
    a.flush(0);
    a.trim();
    expect(a.view.superslabs()).toHaveLength(1); // not empty: one block is still live
  });

  it('a SuperSlab turns DRAINING at a release that leaves it at or below hotThreshold, and gives no new slot', () => {
    const cfg = profileConfig('tiny', { warmPoolPrefill: 0 });
    const a = createAllocator(cfg);
    const keep = a.alloc(0, 3);
    const p = a.alloc(0, 40);
    a.free(0, p);
    a.flush(0); // class-3 slab released: live bytes 8 of 480 usable <= 25%
    const ss = a.view.superslabs()[0]!;
    expect(ss.tier).toBe('DRAINING');
    expect(a.stats().drainingTransitions).toBe(1);
    const q = a.alloc(0, 40); // must come from a new SuperSlab
    expect(a.view.superslabs()).toHaveLength(2);
    expect(q - 1).toBeGreaterThanOrEqual(a.view.superslabs()[1]!.base);
    a.free(0, keep);
    a.flush(0);
    expect(a.view.superslabs().map((s) => s.base)).not.toContain(ss.base); // DRAINING at zero: unmapped
  });

  it('registry full: Stage 3 fails only at registry capacity', () => {
    const cfg = profileConfig('tiny', { routeProfile: 'full', registryCapacity: 1, hotThreshold: 0, softCap: [4, 4, 4, 4], warmPoolPrefill: 0 });
    const a = createAllocator(cfg);
    const got: number[] = [];
    for (const size of [3, 10, 20, 40]) got.push(a.alloc(0, size));
    expect(got.every((p) => p !== 0)).toBe(true);
    expect(a.view.registry()).toHaveLength(1);
    // All 4 slots bound; exhaust class 3 (capacity 2 in slabs 1-3)
    let n = 0;
    while (a.alloc(0, 40) !== 0) n++;
    expect(a.stats().registryFullEvents).toBeGreaterThan(0);
    expect(a.view.registry()).toHaveLength(cfg.registryCapacity);
    expect(n).toBeGreaterThan(0);
  });

  it('threadExit publishes partial slabs as orphans; another thread adopts them at Stage 0', () => {
    const a = createAllocator(profileConfig('tiny', { warmPoolPrefill: 0 }));
    const p = a.alloc(0, 10);
    a.alloc(0, 10);
    const slabId = a.view.thread(0).classes[1]!.current;
    a.threadExit(0);
    expect(a.view.orphanList(1)).toEqual([slabId]);
    expect(a.view.slab(slabId)!.owner).toBe(-1);
    expect(a.view.thread(0).classes[1]!.current).toBe(-1);
    const q = a.alloc(1, 10);
    expect(a.stats().stages.stage0).toBe(1);
    expect(a.view.slab(slabId)!.owner).toBe(1);
    expect(a.view.orphanList(1)).toEqual([]);
    expect(q).not.toBe(0);
    expect(a.free(1, p).ok).toBe(true);
  });

  it('a full thread cache drains half of itself back to the slabs', () => {
    const cfg = profileConfig('tiny'); // tlsCap[0] = 4
    const a = createAllocator(cfg);
    const blocks = Array.from({ length: 6 }, () => a.alloc(0, 3));
    for (const b of blocks) a.free(0, b);
    expect(a.stats().tlsOverflowDrains).toBe(1);
    expect(a.view.thread(0).classes[0]!.tlsCount).toBeLessThanOrEqual(cfg.tlsCap[0]!);
  });
});

describe('bad frees: right kind, state unchanged byte for byte', () => {
  function setup(): { a: Allocator; live: number[]; freed: number } {
    const a = createAllocator(profileConfig('tiny'));
    const live = [a.alloc(0, 20), a.alloc(1, 20), a.alloc(0, 3), a.alloc(0, 200)];
    const freed = a.alloc(0, 20);
    a.free(0, freed);
    return { a, live, freed };
  }

  const cases: { name: string; kind: string; ptr: (s: ReturnType<typeof setup>) => number; before?: (s: ReturnType<typeof setup>) => void }[] = [
    { name: 'foreign pointer (no region)', kind: 'invalid-pointer', ptr: () => 0x40 },
    { name: 'pointer in an unmapped region', kind: 'invalid-pointer', ptr: (s) => s.live[0]! + 512 * 5 },
    { name: 'pointer past the carved blocks', kind: 'invalid-pointer', ptr: (s) => s.live[0]! + 32 * 3 },
    { name: 'interior pointer', kind: 'interior-pointer', ptr: (s) => s.live[0]! + 5 },
    { name: 'forged header', kind: 'header-mismatch', ptr: (s) => s.live[0]!, before: (s) => testHooks(s.a).pokeU8(s.live[0]! - 1, 0xa1) },
    { name: 'double free', kind: 'double-free', ptr: (s) => s.freed },
    { name: 'pool interior pointer', kind: 'interior-pointer', ptr: (s) => s.live[3]! + 8 },
    { name: 'pool double free', kind: 'double-free', ptr: (s) => s.live[3]!, before: (s) => s.a.free(0, s.live[3]!) },
    { name: 'pool forged header', kind: 'header-mismatch', ptr: (s) => s.live[3]!, before: (s) => testHooks(s.a).pokeU8(s.live[3]! - 1, 0xa1) },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.kind}`, () => {
      const s = setup();
      c.before?.(s);
      const before = snapshot(s.a);
      const badBefore = s.a.stats().badFrees;
      const result = s.a.free(0, c.ptr(s));
      expect(result).toEqual({ ok: false, error: c.kind });
      expect(snapshot(s.a)).toBe(before);
      expect(s.a.stats().badFrees).toBe(badBefore + 1);
    });
  }

  it('null is a no-op', () => {
    const s = setup();
    const before = snapshot(s.a);
    expect(s.a.free(0, 0)).toEqual({ ok: true });
    expect(snapshot(s.a)).toBe(before);
  });

  it('misuse of the API itself (bad thread, bad size) throws RangeError', () => {
    const a = createAllocator(profileConfig('tiny'));
    expect(() => a.alloc(2, 8)).toThrow(RangeError);
    expect(() => a.alloc(-1, 8)).toThrow(RangeError);
    expect(() => a.alloc(0, -1)).toThrow(RangeError);
    expect(() => a.alloc(0, 1.5)).toThrow(RangeError);
    expect(() => a.free(9, 100)).toThrow(RangeError);
    expect(() => a.drain(0, 9)).toThrow(RangeError);
    expect(() => a.setSoftCap(0, -2)).toThrow(RangeError);
  });
});

describe('cloneAllocator', () => {
  it('copies the whole state: both continue identically and independently', async () => {
    const { cloneAllocator } = await import('../impl/index.ts');
    const a = createAllocator(profileConfig('tiny-threads'));
    const ptrs = [a.alloc(0, 3), a.alloc(1, 20), a.alloc(2, 40), a.alloc(0, 100)];
    a.free(1, ptrs[0]!);
    a.threadExit(2);
    const b = cloneAllocator(a);
    expect(snapshot(b)).toBe(snapshot(a));
    expect(b.stats()).toEqual(a.stats());
    // The same operations give the same results on both.
    for (const [t, size] of [[0, 3], [1, 60], [3, 10], [2, 20]] as const) expect(b.alloc(t, size)).toBe(a.alloc(t, size));
    expect(snapshot(b)).toBe(snapshot(a));
    // And they are independent.
    b.free(1, ptrs[1]!);
    b.flush(1);
    expect(snapshot(b)).not.toBe(snapshot(a));
    expect(a.usableSize(ptrs[1]!)).toBe(31);
    expect(b.usableSize(ptrs[1]!)).toBe(0);
  });

  it('restoreAllocator makes a diverged allocator a copy in place, either way round: identical, then independent', async () => {
    const { restoreAllocator } = await import('../impl/index.ts');
    const config = profileConfig('tiny-threads');
    const small = createAllocator(config);
    const s = [small.alloc(0, 3), small.alloc(1, 20)];
    small.free(0, s[1]!);
    const big = createAllocator(config);
    const b = [big.alloc(0, 40), big.alloc(1, 40), big.alloc(2, 60), big.alloc(3, 3), big.alloc(0, 500), big.alloc(1, 60)];
    big.free(2, b[0]!);
    big.threadExit(1);
    // Each way: the target has more (or fewer) regions, slabs, list entries and pool chunks than its source.
    for (const [target, source, ptr] of [[big, small, s[0]!], [small, createAllocator(config), 0]] as const) {
      restoreAllocator(target, source);
      expect(snapshot(target)).toBe(snapshot(source));
      expect(target.stats()).toEqual(source.stats());
      for (const [t, size] of [[0, 3], [1, 60], [3, 10], [2, 20], [0, 500], [1, 40], [2, 40]] as const) expect(target.alloc(t, size)).toBe(source.alloc(t, size));
      target.trim();
      source.trim();
      expect(snapshot(target)).toBe(snapshot(source));
      if (ptr !== 0) {
        target.free(0, ptr);
        target.flush(0);
        expect(snapshot(target)).not.toBe(snapshot(source));
        expect(source.usableSize(ptr)).toBe(7);
      }
    }
  });
});

describe('internal corruption is reported as such', () => {
  it('an access to an address with no backing memory throws HeapCorruptionError naming the address', () => {
    const a = createAllocator(profileConfig('tiny'));
    // Region 3 is never mapped by a fresh allocator (nothing allocated yet).
    const unmapped = 3 * a.config.superslabSize + 5;
    let thrown: unknown = null;
    try {
      testHooks(a).pokeU8(unmapped, 1);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe('HeapCorruptionError');
    expect((thrown as Error).message).toBe(`access to an address with no backing memory: 0x${unmapped.toString(16)}`);
    expect((thrown as { addr?: number }).addr).toBe(unmapped);
  });
});

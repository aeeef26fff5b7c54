// The abstract model on its own: size → class, routes, the live list and its refs, the graveyard,
// predictions, and the bad-free oracle against states built through the public API.

import { describe, expect, it } from 'vitest';
import { createAllocator, DEFAULT_CONFIG, profileConfig, sizeToClassOf } from '../impl/index.ts';
import {
  canaryByte,
  deltaThreshold,
  GRAVEYARD_CAPACITY,
  makeCanary,
  Model,
  modelClassOfSize,
  modelRouteOf,
  POOL_CLASS,
  predictFree,
  slabIdOfAddress,
  slabStartOf,
} from '../model/index.ts';

describe('size → class', () => {
  it('takes the smallest class whose stride − 1 holds the size (default strides)', () => {
    const s = DEFAULT_CONFIG.strides;
    expect(modelClassOfSize(s, 0)).toBe(0);
    expect(modelClassOfSize(s, 7)).toBe(0);
    expect(modelClassOfSize(s, 8)).toBe(1);
    expect(modelClassOfSize(s, 15)).toBe(1);
    expect(modelClassOfSize(s, 16)).toBe(2);
    expect(modelClassOfSize(s, 511)).toBe(6);
    expect(modelClassOfSize(s, 512)).toBe(7);
    expect(modelClassOfSize(s, 2047)).toBe(7);
    expect(modelClassOfSize(s, 2048)).toBe(POOL_CLASS);
    expect(modelClassOfSize(s, 1 << 20)).toBe(POOL_CLASS);
  });

  it('agrees with the configuration helper on every size of the tiny profile (an independent second computation)', () => {
    const s = profileConfig('tiny').strides;
    for (let size = 0; size <= 80; size++) expect(modelClassOfSize(s, size), `size ${size}`).toBe(sizeToClassOf(s, size));
    expect(modelClassOfSize(s, 63)).toBe(3);
    expect(modelClassOfSize(s, 64)).toBe(POOL_CLASS);
  });
});

describe('routes', () => {
  it('follow SPEC §6 for the 8 default classes', () => {
    const hot = Array.from({ length: 8 }, (_, c) => modelRouteOf('hot', c, 8));
    expect(hot).toEqual(['TINY_ONLY', 'TINY_ONLY', 'TINY_ONLY', 'TINY_ONLY', 'TINY_FIRST', 'TINY_FIRST', 'TINY_FIRST', 'POOL_ONLY']);
    for (let c = 0; c < 8; c++) {
      expect(modelRouteOf('conservative', c, 8)).toBe('TINY_FIRST');
      expect(modelRouteOf('off', c, 8)).toBe('POOL_ONLY');
      expect(modelRouteOf('full', c, 8)).toBe('TINY_ONLY');
    }
  });

  it('keep the proportions of `hot` with 4 classes, as the implementation reports them', () => {
    expect([0, 1, 2, 3].map((c) => modelRouteOf('hot', c, 4))).toEqual(['TINY_ONLY', 'TINY_ONLY', 'TINY_FIRST', 'POOL_ONLY']);
    const a = createAllocator(profileConfig('tiny-hot'));
    expect(a.view.routes()).toEqual([0, 1, 2, 3].map((c) => modelRouteOf('hot', c, 4)));
  });
});

describe('model', () => {
  const config = profileConfig('tiny');

  it('names live blocks by index modulo the live count, negative refs from the newest', () => {
    const m = new Model(config);
    expect(m.liveAt(0)).toBeUndefined();
    m.recordAlloc(0x211, 7, 0, 'tiny', 0);
    m.recordAlloc(0x219, 7, 0, 'tiny', 1);
    m.recordAlloc(0x301, 100, POOL_CLASS, 'pool', 0);
    expect(m.liveAt(0)?.ptr).toBe(0x211);
    expect(m.liveAt(4)?.ptr).toBe(0x219);
    expect(m.liveAt(-1)?.ptr).toBe(0x301);
    expect(m.liveAt(-3)?.ptr).toBe(0x211);
    expect(m.liveCount()).toBe(3);
    m.recordFree(0x219);
    expect(m.isLive(0x219)).toBe(false);
    expect(m.liveAt(1)?.ptr).toBe(0x301);
    expect(() => m.recordFree(0x219)).toThrow(/not live/);
  });

  it('keeps a bounded graveyard, never offering a live address as dead', () => {
    const m = new Model(config);
    for (let i = 0; i < GRAVEYARD_CAPACITY + 5; i++) {
      m.recordAlloc(0x1000 + i * 8, 7, 0, 'tiny', 0);
      m.recordFree(0x1000 + i * 8);
    }
    expect(m.graveyard()).toHaveLength(GRAVEYARD_CAPACITY);
    expect(m.graveyard()[0]?.ptr).toBe(0x1000 + 5 * 8);
    // An address reused by a new allocation is no longer a dead grave.
    m.recordAlloc(0x1000 + 6 * 8, 7, 0, 'tiny', 1);
    expect(m.deadGraves().map((g) => g.ptr)).not.toContain(0x1000 + 6 * 8);
    expect(m.deadGraves()).toHaveLength(GRAVEYARD_CAPACITY - 1);
  });

  it('predicts the outcomes each route allows, and follows soft caps and route switches', () => {
    const m = new Model(config);
    expect(m.predictAlloc(7)).toMatchObject({ sizeClass: 0, route: 'TINY_FIRST', allowed: ['tiny', 'pool', 'failed'], tinyFirst: true });
    expect(m.predictAlloc(64)).toMatchObject({ sizeClass: POOL_CLASS, route: 'POOL', allowed: ['pool', 'failed'], tinyFirst: false });
    m.setRouteProfile('full');
    expect(m.predictAlloc(7).allowed).toEqual(['tiny', 'failed']);
    m.setRouteProfile('off');
    expect(m.predictAlloc(7).allowed).toEqual(['pool', 'failed']);
    m.setSoftCap(2, 0);
    expect(m.softCap(2)).toBe(0);
    expect(m.softCap(1)).toBe(config.softCap[1]);
  });

  it('is quiescent only when nothing is live and every thread flushed since the last alloc/free', () => {
    const m = new Model(config);
    expect(m.quiescent()).toBe(true);
    m.recordAlloc(0x211, 7, 0, 'tiny', 0);
    m.recordFree(0x211);
    expect(m.quiescent()).toBe(false);
    m.markFlushed(0);
    expect(m.quiescent()).toBe(false);
    m.markFlushed(1);
    expect(m.quiescent()).toBe(true);
  });

  it('canaries are deterministic and cover the whole request', () => {
    expect(makeCanary(3, 0)).toBeNull();
    const c = makeCanary(3, 40);
    expect(c?.bytes).toHaveLength(40);
    expect(c?.bytes[17]).toBe(canaryByte(3, 17));
    expect(makeCanary(3, 40)?.bytes).toEqual(c?.bytes);
    expect(makeCanary(4, 40)?.bytes).not.toEqual(c?.bytes);
  });

  it('geometry helpers: slab start, slab id, delta threshold', () => {
    expect(slabStartOf(config, 512, 0)).toBe(512 + 32);
    expect(slabStartOf(config, 512, 2)).toBe(512 + 256);
    expect(slabIdOfAddress(config, 512 + 300)).toBe(4 + 2);
    expect(deltaThreshold(config, 2)).toBe(3);
    expect(deltaThreshold(DEFAULT_CONFIG, 31)).toBe(496);
  });
});

describe('bad-free oracle (SPEC §5 order) against real states', () => {
  const config = profileConfig('tiny');

  function setup() {
    const a = createAllocator(config);
    const m = new Model(config);
    const p = a.alloc(0, 7);
    m.recordAlloc(p, 7, 0, 'tiny', 0);
    const q = a.alloc(0, 100);
    m.recordAlloc(q, 100, POOL_CLASS, 'pool', 0);
    return { a, m, p, q };
  }

  it('a live block is a legal free; null is a no-op', () => {
    const { a, m, p, q } = setup();
    expect(predictFree(a.view, m, p).verdict).toBe('ok');
    expect(predictFree(a.view, m, q).verdict).toBe('ok');
    expect(predictFree(a.view, m, 0).verdict).toBe('ok');
  });

  it('derives each error kind, and the allocator agrees', () => {
    const { a, m, p, q } = setup();
    const cases: [number, string][] = [
      [5, 'invalid-pointer'], // region 0
      [3 * config.superslabSize + 9, 'invalid-pointer'], // unmapped region
      [p - (p % config.superslabSize) + 3, 'invalid-pointer'], // SuperSlab header
      [p + 8 * 5, 'invalid-pointer'], // beyond carved
      [p + 2, 'interior-pointer'],
      [q + 4, 'interior-pointer'],
    ];
    for (const [ptr, kind] of cases) {
      expect(predictFree(a.view, m, ptr).verdict, `0x${ptr.toString(16)}`).toBe(kind);
      const r = a.free(0, ptr);
      expect(r.ok ? 'ok' : r.error, `allocator on 0x${ptr.toString(16)}`).toBe(kind);
    }
    // A cached (freed) block keeps its header: double-free.
    expect(a.free(0, p)).toEqual({ ok: true });
    m.recordFree(p);
    expect(predictFree(a.view, m, p).verdict).toBe('double-free');
    const again = a.free(0, p);
    expect(again.ok ? 'ok' : again.error).toBe('double-free');
  });

  it('a block on a remote queue has its header overwritten by the link: header-mismatch', () => {
    const { a, m, p } = setup();
    const p2 = a.alloc(0, 7);
    m.recordAlloc(p2, 7, 0, 'tiny', 0);
    expect(a.free(1, p2)).toEqual({ ok: true }); // remote: t0 owns the slab
    m.recordFree(p2);
    expect(a.view.readU8(p2 - 1)).not.toBe(config.headerMagic);
    expect(predictFree(a.view, m, p2).verdict).toBe('header-mismatch');
    const r = a.free(1, p2);
    expect(r.ok ? 'ok' : r.error).toBe('header-mismatch');
    expect(predictFree(a.view, m, p).verdict).toBe('ok');
  });
});

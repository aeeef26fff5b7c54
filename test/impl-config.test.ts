import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, FAULT_NAMES, PROFILE_NAMES, UnknownProfileError, makeConfig, profileConfig, sizeToClassOf } from '../impl/index.ts';

function rejects(overrides: Record<string, unknown>, field: string, rulePart: string): void {
  let caught: unknown;
  try {
    makeConfig(overrides as Parameters<typeof makeConfig>[0]);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.field).toBe(field);
  expect(err.rule).toContain(rulePart);
  expect(err.message).toContain(`config.${field}`);
}

describe('configuration (SPEC §1)', () => {
  it('defaults are the SPEC table', () => {
    const c = makeConfig();
    expect(c.strides).toEqual([8, 16, 32, 64, 128, 256, 512, 2048]);
    expect(c.headerMagic).toBe(0xa0);
    expect(c.slabSize).toBe(65536);
    expect(c.superslabSize).toBe(2 * 1024 * 1024);
    expect(c.tlsCap).toEqual([2048, 1024, 768, 512, 256, 256, 128, 64]);
    expect(c.softCap).toEqual(new Array(8).fill(512));
    expect(c.emptyScanLimit).toBe(32);
    expect(c.tinyHeapClasses).toBe(0x80);
    expect(c.deltaFlushMin).toBe(256);
    expect(c.deltaFlushFactor).toBe(16);
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('every named profile validates; the small-scope ones really are small', () => {
    expect(PROFILE_NAMES).toEqual(expect.arrayContaining(['default', 'phase9', 'tiny', 'tiny-threads', 'tiny-meta']));
    for (const name of PROFILE_NAMES) expect(() => profileConfig(name)).not.toThrow();
    expect(profileConfig('phase9').superslabSize).toBe(512 * 1024);
    expect(profileConfig('phase9').emptyScanLimit).toBe(16);
    for (const name of ['tiny', 'tiny-threads']) {
      const c = profileConfig(name);
      const blocksPerSlab = Math.floor(c.slabSize / (c.strides[0] as number));
      expect(blocksPerSlab).toBeLessThanOrEqual(16);
      expect(c.superslabSize / c.slabSize).toBe(4);
      expect(Math.min(...c.softCap)).toBeGreaterThanOrEqual(2);
      expect(Math.max(...c.softCap)).toBeLessThanOrEqual(3);
      expect(Math.min(...c.tlsCap)).toBeGreaterThanOrEqual(2);
      expect(Math.max(...c.tlsCap)).toBeLessThanOrEqual(4);
    }
    expect(profileConfig('tiny-threads').threads).toBeGreaterThanOrEqual(3);
    expect(profileConfig('tiny-meta').metaLight).toBe(true);
    expect(() => profileConfig('nope')).toThrow(UnknownProfileError);
  });

  it('rejects each broken rule, naming the field and the rule', () => {
    rejects({ strides: [8, 8, 16] }, 'strides', 'strictly increasing');
    rejects({ strides: [] }, 'strides', 'non-empty');
    rejects({ strides: [4, 16], softCap: [1, 1], tlsCap: [1, 1] }, 'strides[0]', '[5,');
    rejects({ strides: [8, 16.5], softCap: [1, 1], tlsCap: [1, 1] }, 'strides[1]', 'integer');
    rejects({ slabSize: 60000 }, 'slabSize', 'power of two');
    rejects({ superslabSize: 3 * 1024 * 1024 }, 'superslabSize', 'power of two');
    rejects({ superslabSize: 65536 }, 'superslabSize', 'at least two slabs');
    rejects({ superslabSize: 4 * 1024 * 1024 }, 'superslabSize', 'at most 32 slabs');
    rejects({ softCap: [1, 2] }, 'softCap', 'one entry per class');
    rejects({ softCap: [-1, 0, 0, 0, 0, 0, 0, 0] }, 'softCap[0]', '[0,');
    rejects({ tlsCap: [0, 1, 1, 1, 1, 1, 1, 1] }, 'tlsCap[0]', '[1,');
    rejects({ hotThreshold: 1.5 }, 'hotThreshold', '[0, 1]');
    rejects({ headerMagic: 0xa1 }, 'headerMagic', 'no bit in common');
    rejects({ classMask: 0x0e }, 'classMask', '2^k - 1');
    rejects({ routeProfile: 'fast' }, 'routeProfile', 'one of');
    rejects({ faults: ['no-such-bug'] }, 'faults', 'unknown fault name');
    rejects({ poolBytes: 1000 }, 'poolBytes', 'multiple of superslabSize');
    rejects({ warmPoolPrefill: 20 }, 'warmPoolPrefill', 'warmPoolCap');
    rejects({ registryCapacity: 4096 }, 'registryCapacity', '32-bit');
    rejects({ metaLight: 'yes' }, 'metaLight', 'boolean');
    rejects({ colour: 'red' }, 'colour', 'not a configuration field');
    rejects({ strides: [8, 16, 32, 64, 128, 256, 512, 2048, 4096, 8192, 16384, 32768, 40000, 50000, 60000, 61000, 62000] }, 'strides', 'classMask+1');
  });

  it('accepts every fault name of SPEC §9, a split one through its alias', () => {
    expect(FAULT_NAMES).toHaveLength(17); // SPEC's 15, warm-pool-drops-slab split in two, refused-prefill-keeps-entry (issue 19)
    expect(makeConfig({ faults: [...FAULT_NAMES] }).faults).toHaveLength(17);
    expect(makeConfig({ faults: ['warm-pool-drops-slab'] }).faults).toEqual(['warm-pool-no-prefill', 'warm-pool-no-pushback']);
    expect(makeConfig({ faults: ['warm-pool-no-pushback', 'warm-pool-drops-slab'] }).faults).toEqual(['warm-pool-no-pushback', 'warm-pool-no-prefill']);
    rejects({ faults: ['warm-pool-drops'] }, 'faults', 'unknown fault name "warm-pool-drops"');
  });

  it('size -> class: the smallest class whose usable size (stride - 1) holds the size', () => {
    const s = DEFAULT_CONFIG.strides;
    expect(sizeToClassOf(s, 0)).toBe(0);
    expect(sizeToClassOf(s, 7)).toBe(0);
    expect(sizeToClassOf(s, 8)).toBe(1);
    expect(sizeToClassOf(s, 15)).toBe(1);
    expect(sizeToClassOf(s, 16)).toBe(2);
    expect(sizeToClassOf(s, 2047)).toBe(7);
    expect(sizeToClassOf(s, 2048)).toBe(-1);
  });
});

// The bad-free digest compares metadata snapshots structurally (sameJson) instead of building their
// JSON text on every step: the two must agree on every value, or a rejected free that changed the
// metadata would pass (or a clean one fail).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { profileConfig } from '../impl/index.ts';
import { digestDifference, metadataSnapshot, sameJson, stateDigest } from '../properties/digest.ts';
import { legal } from './support/session.ts';

const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(undefined, null, 0, -0, 1, Number.NaN, Number.POSITIVE_INFINITY, 'a', '', true, false),
    fc.integer(),
    fc.string({ maxLength: 3 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }),
  ),
})).value;

describe('sameJson', () => {
  it('agrees with comparing JSON texts, on random pairs and on a value against a near copy', () => {
    fc.assert(
      fc.property(jsonish, jsonish, (a, b) => {
        expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        const copy: unknown = structuredClone(a);
        expect(sameJson(a, copy)).toBe(JSON.stringify(a) === JSON.stringify(copy));
      }),
      { seed: 13, numRuns: 2000 },
    );
  });

  it('sees one changed field of a real snapshot, and nothing when nothing changed', () => {
    const s = legal(profileConfig('tiny'), [{ kind: 'alloc', thread: 0, size: 7 }]);
    const before = stateDigest(s.view, 1);
    expect(digestDifference(before, stateDigest(s.view, 1))).toBeNull();
    const meta = metadataSnapshot(s.view);
    const edited = JSON.parse(JSON.stringify(meta)) as { superslabs: { liveBytes: number }[] };
    (edited.superslabs[0] as { liveBytes: number }).liveBytes += 1;
    expect(sameJson(meta, edited)).toBe(false);
    expect(digestDifference(before, { ...before, metadata: edited })).toMatch(/^metadata changed near .*liveBytes/);
  });
});

// The header-fill write (issue 17's survivor in ownerFreeFast: an interior pointer whose preceding
// byte looks like the block's header was accepted). An application may write any bytes into its
// block, header-like ones included; write(#r, header-fill) does, so that the bad-free generator's
// interior frees meet data the free path could mistake for a header.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FreeResult } from '../impl/index.ts';
import { profileConfig } from '../impl/index.ts';
import { headerByteOf } from '../model/index.ts';
import { makeProgramArbitrary } from '../properties/arbitraries.ts';
import type { CommandData } from '../properties/commandData.ts';
import { commandFromData, HEADER_FILL } from '../properties/commands/index.ts';
import { Session } from '../properties/session.ts';

const config = profileConfig('tiny');

function run(s: Session, data: CommandData, n: number) {
  const c = commandFromData(data);
  expect(c.check(s.model), c.toString()).toBe(true);
  return { text: c.toString(), report: s.execute(c, n) };
}

describe('write(#r, header-fill)', () => {
  it("fills the block's requested bytes with its own header byte, and the checks agree", () => {
    const s = new Session(config);
    expect(run(s, { kind: 'alloc', thread: 0, size: 20 }, 1).report.failure).toBeNull();
    const w = run(s, { kind: 'write', ref: 0, seed: HEADER_FILL }, 2);
    expect(w.text).toBe('write(#0, header-fill)');
    expect(w.report.failure).toBeNull();
    const b = s.model.live()[0];
    if (b === undefined) throw new Error('no live block');
    const header = headerByteOf(config, b.sizeClass);
    for (let i = 0; i < b.sizeBytes; i++) expect(s.view.readU8(b.ptr + i)).toBe(header);
    expect(run(s, { kind: 'check', ref: 0 }, 3).report.failure).toBeNull();
  });

  it('an interior free of a header-filled block meets a header-like byte, is rejected, and an allocator that takes it is caught', () => {
    const s = new Session(config);
    expect(run(s, { kind: 'alloc', thread: 0, size: 20 }, 1).report.failure).toBeNull();
    expect(run(s, { kind: 'write', ref: 0, seed: HEADER_FILL }, 2).report.failure).toBeNull();
    const b = s.model.live()[0];
    if (b === undefined) throw new Error('no live block');
    const header = headerByteOf(config, b.sizeClass);
    const bad: CommandData = { kind: 'badFree', thread: 0, bad: 'interior', ref: 0, offset: 4 };
    // The clean allocator rejects it (offset 4: the aim is ptr + 5, the byte before it is data).
    const clean = run(s, bad, 3).report;
    expect(clean.failure).toBeNull();
    expect(clean.outcome?.event.kind === 'badFree' && clean.outcome.event.ptr).toBe(b.ptr + 5);
    expect(s.view.readU8(b.ptr + 4)).toBe(header);
    // An allocator that trusts a header-like byte frees the containing block: bad-free-rejected fires.
    const real = s.allocator.free.bind(s.allocator);
    const fooled = (thread: number, ptr: number): FreeResult => (ptr > b.ptr && ptr < b.ptr + b.sizeBytes && s.view.readU8(ptr - 1) === header ? real(thread, b.ptr) : real(thread, ptr));
    Object.assign(s.allocator, { free: fooled });
    const caught = run(s, bad, 4).report;
    expect(caught.failure?.invariant).toBe('bad-free-rejected');
  });

  it('the program generator writes header fills', () => {
    const programs = fc.sample(makeProgramArbitrary(config), { seed: 7, numRuns: 200 });
    const fills = programs.flatMap((p) => p.commands).filter((c) => c.data.kind === 'write' && c.data.seed === HEADER_FILL);
    expect(fills.length).toBeGreaterThan(0);
  });
});

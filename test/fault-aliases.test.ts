// Goal: a SPEC §9 name that was split (warm-pool-drops-slab -> warm-pool-no-prefill +
// warm-pool-no-pushback) is still accepted everywhere a fault name is read, and means both
// entries, so existing repro files and scripts keep working; unknown names are still rejected.
// Method: the CLI's --faults parser, the repro loader on the stored pre-split file, and the
// config validator, each asked about the alias, a catalogue name and a misspelling.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { faultsOption } from '../cli/args.ts';
import { loadRepro } from '../cli/repro.ts';
import { ACCEPTED_FAULT_NAMES, FAULT_ALIASES, FAULT_NAMES, makeConfig, resolveFaultNames } from '../impl/index.ts';
import { runCommands } from '../properties/runner.ts';

const OLD_FILE = fileURLToPath(new URL('../counterexamples/warm-pool-hit-rate/08c51dadc60a.json', import.meta.url));

describe('fault aliases', () => {
  it('the alias stands for the two entries it was split into, and is not itself a catalogue entry', () => {
    expect(FAULT_ALIASES['warm-pool-drops-slab']).toEqual(['warm-pool-no-prefill', 'warm-pool-no-pushback']);
    expect(FAULT_NAMES as readonly string[]).not.toContain('warm-pool-drops-slab');
    expect(ACCEPTED_FAULT_NAMES).toContain('warm-pool-drops-slab');
    expect(resolveFaultNames(['soft-cap-ignored', 'warm-pool-drops-slab', 'warm-pool-no-prefill'])).toEqual({ ok: true, faults: ['soft-cap-ignored', 'warm-pool-no-prefill', 'warm-pool-no-pushback'] });
    expect(resolveFaultNames(['warm-pool-drop-slab'])).toEqual({ ok: false, unknown: 'warm-pool-drop-slab' });
    expect(makeConfig({ faults: ['warm-pool-drops-slab'] }).faults).toEqual(['warm-pool-no-prefill', 'warm-pool-no-pushback']);
  });

  it('--faults accepts the alias and rejects a misspelling naming the known names', () => {
    const r = faultsOption('warm-pool-drops-slab,soft-cap-ignored');
    expect(r.ok && r.value).toEqual(['warm-pool-no-prefill', 'warm-pool-no-pushback', 'soft-cap-ignored']);
    const bad = faultsOption('warm-pool-drops');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ kind: 'unknown-name', what: 'fault', name: 'warm-pool-drops' });
  });

  it('the repro file written with the SPEC name loads with both entries and still fails its way', () => {
    const loaded = loadRepro(OLD_FILE);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value.repro.faults).toEqual(['warm-pool-no-prefill', 'warm-pool-no-pushback']);
    const o = runCommands(loaded.value.faultyConfig, loaded.value.repro.commands);
    expect(o.passed ? 'passed' : o.invariant).toBe('warm-pool-hit-rate');
    // Prefill alone is what the allocation-only workload of that file measures.
    const noPushbackOnly = makeConfig({ ...loaded.value.cleanConfig, faults: ['warm-pool-no-pushback'] });
    expect(runCommands(noPushbackOnly, loaded.value.repro.commands).passed).toBe(true);
  });
});

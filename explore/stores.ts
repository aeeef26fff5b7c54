// The explorer's memory: a set of 64-bit fingerprints and the tree of paths that reached each
// distinct state, both in flat typed arrays (no object per state), so that their bytes per state
// are measured, not estimated, and stay small enough for millions of states.

import type { FingerprintLanes } from './fingerprint.ts';

/** Growth stops here: 2^27 slots (1 GiB of table) is far beyond any budget the CLI allows. */
const MAX_SLOTS_LOG2 = 27;

/**
 * An open-addressing hash set of 64-bit fingerprints (hi, lo) with linear probing, kept at most
 * half full. The pair (0, 0) marks an empty slot, so a fingerprint (0, 0) is stored as (0, 1): one
 * more collision pair among 2^64, which the collision estimate in docs/explore.md already covers.
 */
export class FingerprintSet {
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlotsLog2 = 12) {
    this.slots = new Uint32Array(2 << initialSlotsLog2);
    this.mask = (1 << initialSlotsLog2) - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.slots.byteLength;
  }

  has(f: FingerprintLanes): boolean {
    return this.find(f.hi >>> 0, f.lo === 0 && f.hi === 0 ? 1 : f.lo >>> 0) >= 0;
  }

  /** Adds `f`; false if it was there already. */
  add(f: FingerprintLanes): boolean {
    const hi = f.hi >>> 0;
    const lo = f.hi === 0 && f.lo === 0 ? 1 : f.lo >>> 0;
    const at = this.find(hi, lo);
    if (at >= 0) return false;
    const slot = -at - 1;
    this.slots[2 * slot] = hi;
    this.slots[2 * slot + 1] = lo;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  /** Every fingerprint, as (hi, lo) pairs (for handing a level's new states to the workers). */
  static pairs(fs: readonly FingerprintLanes[]): Uint32Array {
    const out = new Uint32Array(fs.length * 2);
    fs.forEach((f, i) => {
      out[2 * i] = f.hi;
      out[2 * i + 1] = f.lo;
    });
    return out;
  }

  addPairs(pairs: Uint32Array): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) this.add({ hi: pairs[i] as number, lo: pairs[i + 1] as number });
  }

  /** The slot holding (hi, lo), or -(free slot + 1) where it would go. Bounded by the table size. */
  private find(hi: number, lo: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = (Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b) >>> 0) & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const h = slots[2 * i] as number;
      const l = slots[2 * i + 1] as number;
      if (h === 0 && l === 0) return -i - 1;
      if (h === hi && l === lo) return i;
      i = (i + 1) & mask;
    }
    throw new Error('FingerprintSet: table full (cannot happen below half load)');
  }

  private grow(): void {
    const old = this.slots;
    const log2 = Math.log2(this.mask + 1) + 1;
    if (log2 > MAX_SLOTS_LOG2) throw new RangeError(`FingerprintSet: more than ${2 ** (MAX_SLOTS_LOG2 - 1)} states`);
    this.slots = new Uint32Array(2 << log2);
    this.mask = (1 << log2) - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i] as number;
      const lo = old[i + 1] as number;
      if (hi !== 0 || lo !== 0) {
        const slot = -this.find(hi, lo) - 1;
        this.slots[2 * slot] = hi;
        this.slots[2 * slot + 1] = lo;
        this.count++;
      }
    }
  }
}

/**
 * The BFS tree: node i was reached from node parent[i] by letter[i] (node 0 is the root). A state is
 * kept as this path, not as a copy; it is rebuilt by replaying the path when expanded.
 */
export class PathStore {
  private parents = new Int32Array(1024);
  private letters = new Uint16Array(1024);
  private count = 1;

  constructor() {
    this.parents[0] = -1;
  }

  get size(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.parents.byteLength + this.letters.byteLength;
  }

  /** Adds a child of `parent` reached by `letter`; returns its node index. */
  add(parent: number, letter: number): number {
    if (this.count === this.parents.length) {
      const parents = new Int32Array(this.count * 2);
      parents.set(this.parents);
      const letters = new Uint16Array(this.count * 2);
      letters.set(this.letters);
      this.parents = parents;
      this.letters = letters;
    }
    this.parents[this.count] = parent;
    this.letters[this.count] = letter;
    return this.count++;
  }

  /** Letter indexes from the root to `node`. Bounded by the node count (parents precede children). */
  path(node: number): number[] {
    const out: number[] = [];
    for (let n = node, steps = 0; n > 0 && steps < this.count; n = this.parents[n] as number, steps++) out.push(this.letters[n] as number);
    return out.reverse();
  }
}

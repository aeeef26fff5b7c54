// The simulated OS layer: SuperSlab-sized, SuperSlab-aligned regions of real bytes.
// Region k occupies [k*regionSize, (k+1)*regionSize), k >= 1, so address 0 is never valid and
// `addr >>> regionShift` finds a region. map() takes the lowest free index (deterministic, and a
// freed region's addresses are reused, so stale pointers really land in new memory).

export const RegionKind = { NONE: 0, SUPERSLAB: 1, POOL: 2 } as const;
export type RegionKindCode = (typeof RegionKind)[keyof typeof RegionKind];

// The OS may refuse a map (SPEC §2), deterministically: a limit on the regions mapped at once
// (SuperSlabs and pool regions together), and a switch that refuses the next k maps. A refused
// map changes nothing but the refusal counters (no region, no mapped byte, no map counted);
// unmap never fails.

export class OsLayer {
  readonly regionSize: number;
  readonly regionShift: number;
  readonly regionMask: number;
  /** Highest region index + 1 (index 0 is never mapped). */
  readonly indexLimit: number;
  /** Bytes of each region; a region keeps its buffer after unmap (zeroed again at the next map). */
  readonly mem: (Uint8Array | undefined)[];
  readonly kind: Uint8Array;
  mappedBytes = 0;
  maps = 0;
  unmaps = 0;
  /** Regions mapped now (every kind). */
  mappedRegions = 0;
  /** Most regions mapped at once before a map is refused; -1: no limit. */
  mapLimit: number;
  /** Maps still to refuse (the "refuse the next k maps" switch). */
  refusalsPending = 0;
  /** Refused maps. */
  refusals = 0;
  /** Refused maps whose region (the lowest free index) had been mapped before: re-maps of a freed index. */
  remapRefusals = 0;

  constructor(regionSize: number, maxRegions: number, mapLimit = -1) {
    this.regionSize = regionSize;
    this.regionShift = Math.log2(regionSize);
    this.regionMask = regionSize - 1;
    this.indexLimit = maxRegions + 1;
    this.mem = new Array<Uint8Array | undefined>(this.indexLimit).fill(undefined);
    this.kind = new Uint8Array(this.indexLimit);
    this.mapLimit = mapLimit;
  }

  /** Sets the limit on regions mapped at once (-1: none). Regions already mapped stay mapped. */
  setMapLimit(limit: number): void {
    this.mapLimit = limit;
  }

  /** Refuses the next `count` maps (replacing any refusals still pending). */
  refuseNext(count: number): void {
    this.refusalsPending = count;
  }

  /** Whether the OS says no to the next map; a pending refusal is used up by asking. */
  private refuses(): boolean {
    if (this.refusalsPending > 0) {
      this.refusalsPending--;
      return true;
    }
    return this.mapLimit >= 0 && this.mappedRegions >= this.mapLimit;
  }

  /**
   * Maps the lowest free region for `kind`; returns its index, or 0 when the address space is spent
   * or the OS refuses (then nothing changes but the refusal counters).
   */
  map(kind: RegionKindCode): number {
    for (let k = 1; k < this.indexLimit; k++) {
      if (this.kind[k] !== RegionKind.NONE) continue;
      if (this.refuses()) {
        this.refusals++;
        if (this.mem[k] !== undefined) this.remapRefusals++;
        return 0;
      }
      // A region's first mapping gets zeroed bytes; a re-mapping keeps what the region held
      // (deterministically), as recycled memory would. Nothing in the allocator relies on zeroed
      // memory, and zeroing 2 MiB per map dominated SuperSlab churn in the benchmarks.
      if (this.mem[k] === undefined) this.mem[k] = new Uint8Array(this.regionSize);
      this.kind[k] = kind;
      this.mappedBytes += this.regionSize;
      this.mappedRegions++;
      this.maps++;
      return k;
    }
    return 0;
  }

  unmap(k: number): void {
    if (k <= 0 || k >= this.indexLimit || this.kind[k] === RegionKind.NONE) {
      throw new Error(`OsLayer.unmap: region ${k} is not mapped`);
    }
    this.kind[k] = RegionKind.NONE;
    this.mappedBytes -= this.regionSize;
    this.mappedRegions--;
    this.unmaps++;
  }

  /** Region index of an address (may be out of range or unmapped: callers check `kind`). */
  indexOf(addr: number): number {
    return addr >>> this.regionShift;
  }

  isMapped(addr: number): boolean {
    const k = addr >>> this.regionShift;
    return k > 0 && k < this.indexLimit && this.kind[k] !== RegionKind.NONE;
  }

  mappedCount(kind: RegionKindCode): number {
    let n = 0;
    for (let k = 1; k < this.indexLimit; k++) if (this.kind[k] === kind) n++;
    return n;
  }
}

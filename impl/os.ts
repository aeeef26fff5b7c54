// The simulated OS layer: SuperSlab-sized, SuperSlab-aligned regions of real bytes.
// Region k occupies [k*regionSize, (k+1)*regionSize), k >= 1, so address 0 is never valid and
// `addr >>> regionShift` finds a region. map() takes the lowest free index (deterministic, and a
// freed region's addresses are reused, so stale pointers really land in new memory).

export const RegionKind = { NONE: 0, SUPERSLAB: 1, POOL: 2 } as const;
export type RegionKindCode = (typeof RegionKind)[keyof typeof RegionKind];

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

  constructor(regionSize: number, maxRegions: number) {
    this.regionSize = regionSize;
    this.regionShift = Math.log2(regionSize);
    this.regionMask = regionSize - 1;
    this.indexLimit = maxRegions + 1;
    this.mem = new Array<Uint8Array | undefined>(this.indexLimit).fill(undefined);
    this.kind = new Uint8Array(this.indexLimit);
  }

  /** Maps the lowest free region for `kind`; returns its index, or 0 when the address space is spent. */
  map(kind: RegionKindCode): number {
    for (let k = 1; k < this.indexLimit; k++) {
      if (this.kind[k] !== RegionKind.NONE) continue;
      // A region's first mapping gets zeroed bytes; a re-mapping keeps what the region held
      // (deterministically), as recycled memory would. Nothing in the allocator relies on zeroed
      // memory, and zeroing 2 MiB per map dominated SuperSlab churn in the benchmarks.
      if (this.mem[k] === undefined) this.mem[k] = new Uint8Array(this.regionSize);
      this.kind[k] = kind;
      this.mappedBytes += this.regionSize;
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

// A latency histogram cheap enough to record every delivery: log-linear buckets (32 per power
// of two, so about 3% resolution) over integer microseconds, kept in one Uint32Array that
// workers ship to the orchestrator and that merges by addition.

const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
/** Bucket count: exact below 32 µs, then 32 sub-buckets for each power of two up to 2^31 µs. */
export const BUCKETS = (32 - SUB_BITS + 1) * SUB;

/** The bucket holding `us` (microseconds, clamped to 0 .. 2^31-1). */
export function bucketOf(us: number): number {
  const v = us <= 0 ? 0 : us >= 0x7fffffff ? 0x7fffffff : us | 0;
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v);
  return (e - SUB_BITS + 1) * SUB + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

/** The smallest value in bucket `i`, and the bucket's width. */
function bucketRange(i: number): [number, number] {
  if (i < SUB) return [i, 1];
  const e = (i >>> SUB_BITS) + SUB_BITS - 1;
  return [(SUB + (i & (SUB - 1))) * 2 ** (e - SUB_BITS), 2 ** (e - SUB_BITS)];
}

export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  /** Largest value recorded, exact (µs). */
  max = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(BUCKETS);
    for (const c of this.counts) this.count += c;
  }

  record(us: number): void {
    this.counts[bucketOf(us)]!++;
    this.count++;
    if (us > this.max) this.max = us;
  }

  merge(counts: Uint32Array, max: number): void {
    for (let i = 0; i < BUCKETS; i++) {
      const c = counts[i]!;
      this.counts[i]! += c;
      this.count += c;
    }
    if (max > this.max) this.max = max;
  }

  /** The value (µs, bucket midpoint) below which `p` (0..1) of the recordings fall; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [low, width] = bucketRange(i);
        return Math.min(this.max, low + (width - 1) / 2);
      }
    }
    return this.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

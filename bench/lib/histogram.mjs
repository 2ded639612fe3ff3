// A wait-time histogram cheap enough to record every acquisition inside a measured loop: a fixed
// log-linear array of counts (32 buckets per power of two of nanoseconds, so a quantile above 32 ns is
// within 3.2 % of the true value), exact count and max. No allocation per sample. Agents record into one,
// send it over IPC as JSON, the driver merges the processes' histograms and reads quantiles.
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
const BUCKETS = (32 - SUB_BITS + 1) * SUB; // every 32-bit ns value (~4.3 s); longer waits land in the last
const CLAMP = 0xffffffff;

function bucketOf(ns) {
  const v = ns < CLAMP ? ns >>> 0 : CLAMP;
  if (v < SUB) return v;
  const e = 31 - Math.clz32(v); // >= SUB_BITS
  return ((e - SUB_BITS + 1) << SUB_BITS) + ((v >>> (e - SUB_BITS)) & (SUB - 1));
}

// [lowest, highest) ns of a bucket.
function boundsOf(bucket) {
  if (bucket < SUB) return [bucket, bucket + 1];
  const width = 2 ** ((bucket >> SUB_BITS) - 1);
  const low = (SUB + (bucket & (SUB - 1))) * width;
  return [low, low + width];
}

export class WaitHistogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.count = 0;
    this.max = 0;
  }

  record(ns) {
    this.counts[bucketOf(ns)]++;
    this.count++;
    if (ns > this.max) this.max = ns;
  }

  // Sparse, for IPC: [[bucket, count], ...].
  toJSON() {
    const buckets = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, max: this.max };
  }

  static merge(parts) {
    const h = new WaitHistogram();
    for (const part of parts) {
      for (const [i, n] of part.buckets) h.counts[i] += n;
      h.count += part.count;
      h.max = Math.max(h.max, part.max);
    }
    return h;
  }

  // Nearest-rank quantile in ns: the middle of the bucket holding that rank, never above the max.
  quantile(q) {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const [low, high] = boundsOf(i);
        return Math.min((low + high) / 2, this.max);
      }
    }
    return this.max;
  }
}

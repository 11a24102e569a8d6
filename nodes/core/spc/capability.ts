// Rolling process capability over the last W units, kept as subgroup sums so that an update is
// O(1): Cp/Cpk use the within-subgroup σ (what the machine can do), Pp/Ppk the overall σ of the
// window (what it did, drift included). Values are stored centred on the baseline mean, which
// keeps the sums of squares from cancelling away their digits.

export interface CapabilityState {
  n: number[];
  sum: number[];
  sumSq: number[];
}

export interface Capability {
  mean: number;
  sigmaWithin: number;
  sigmaOverall: number;
  cp: number | null;
  cpk: number | null;
  pp: number | null;
  ppk: number | null;
  /** Units in the window. */
  units: number;
}

/** Cpk-style index for one σ: the distance to the nearer given limit in units of 3σ. */
export function capabilityIndex(mean: number, sigma: number, lsl?: number, usl?: number): number | null {
  if (!(sigma > 0)) return null;
  const upper = usl !== undefined ? (usl - mean) / (3 * sigma) : Infinity;
  const lower = lsl !== undefined ? (mean - lsl) / (3 * sigma) : Infinity;
  const k = Math.min(upper, lower);
  return Number.isFinite(k) ? k : null;
}

/**
 * Bissell's (1990) approximate standard error of an estimated Cpk from n values:
 * √(1/(9n) + Cpk²/(2(n − 1))). The capability alarm needs the estimate plus z of these below its step.
 */
export function cpkStandardError(cpk: number, n: number): number {
  return Math.sqrt(1 / (9 * n) + (cpk * cpk) / (2 * (n - 1)));
}

export class RollingCapability {
  private readonly ns: Float64Array;
  private readonly sums: Float64Array;
  private readonly sumSqs: Float64Array;
  private head = 0;
  private count = 0;
  private pushes = 0;
  private units = 0;
  private total = 0;
  private totalSq = 0;
  private withinSs = 0;
  private withinDf = 0;

  constructor(readonly capacity: number, readonly centre: number) {
    this.ns = new Float64Array(capacity);
    this.sums = new Float64Array(capacity);
    this.sumSqs = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Adds one subgroup: its size and the sum and sum of squares of (x − centre). */
  push(n: number, sum: number, sumSq: number): void {
    if (this.count === this.capacity) this.account(this.head, -1);
    else this.count++;
    this.ns[this.head] = n;
    this.sums[this.head] = sum;
    this.sumSqs[this.head] = sumSq;
    this.account(this.head, 1);
    this.head = (this.head + 1) % this.capacity;
    // Adding and removing accumulates rounding; recount once per turn of the ring.
    if (++this.pushes % this.capacity === 0) this.recount();
  }

  private account(i: number, sign: number): void {
    const n = this.ns[i];
    this.units += sign * n;
    this.total += sign * this.sums[i];
    this.totalSq += sign * this.sumSqs[i];
    if (n > 1) {
      this.withinSs += sign * (this.sumSqs[i] - (this.sums[i] * this.sums[i]) / n);
      this.withinDf += sign * (n - 1);
    }
  }

  private recount(): void {
    this.units = 0;
    this.total = 0;
    this.totalSq = 0;
    this.withinSs = 0;
    this.withinDf = 0;
    for (let k = 0; k < this.count; k++) this.account((this.head - this.count + k + this.capacity) % this.capacity, 1);
  }

  indices(lsl?: number, usl?: number): Capability | null {
    if (this.units < 2 || this.withinDf < 1) return null;
    const meanDev = this.total / this.units;
    const mean = this.centre + meanDev;
    const sigmaWithin = Math.sqrt(Math.max(0, this.withinSs) / this.withinDf);
    const sigmaOverall = Math.sqrt(Math.max(0, this.totalSq - this.total * meanDev) / (this.units - 1));
    const both = lsl !== undefined && usl !== undefined;
    return {
      mean, sigmaWithin, sigmaOverall, units: this.units,
      cp: both && sigmaWithin > 0 ? (usl - lsl) / (6 * sigmaWithin) : null,
      cpk: capabilityIndex(mean, sigmaWithin, lsl, usl),
      pp: both && sigmaOverall > 0 ? (usl - lsl) / (6 * sigmaOverall) : null,
      ppk: capabilityIndex(mean, sigmaOverall, lsl, usl),
    };
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.pushes = 0;
    this.recount();
  }

  snapshot(): CapabilityState {
    const out: CapabilityState = { n: [], sum: [], sumSq: [] };
    for (let k = 0; k < this.count; k++) {
      const i = (this.head - this.count + k + this.capacity) % this.capacity;
      out.n.push(this.ns[i]);
      out.sum.push(this.sums[i]);
      out.sumSq.push(this.sumSqs[i]);
    }
    return out;
  }

  restore(s: CapabilityState): void {
    this.clear();
    const from = Math.max(0, s.n.length - this.capacity);
    for (let i = from; i < s.n.length; i++) this.push(s.n[i], s.sum[i], s.sumSq[i]);
  }
}

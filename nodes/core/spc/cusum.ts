// Two-sided tabular CUSUM (Page; Montgomery's tabular form):
//   C⁺_t = max(0, x_t − (μ0 + K) + C⁺_(t−1)),  C⁻_t = max(0, (μ0 − K) − x_t + C⁻_(t−1)),
//   K = k·σ, H = h·σ, signal when C⁺ or C⁻ exceeds H.
// Fast initial response (Lucas & Crosier) starts both sums at H/2, so a process that is already off
// target at a start or restart is caught in a few units, at a small cost in false alarms.
// After a signal the sums are not reset but held at most 2H: they stay above H while the shift
// lasts and fall back under it soon after the process returns, which is what "back in control"
// means for an episode.

export interface CusumState {
  hi: number;
  lo: number;
  /** Units since each sum was last zero: how long ago the shift most likely began. */
  nHi: number;
  nLo: number;
}

export class Cusum {
  hi = 0;
  lo = 0;
  nHi = 0;
  nLo = 0;
  readonly K: number;
  readonly H: number;
  private readonly upperRef: number;
  private readonly lowerRef: number;
  private readonly cap: number;

  constructor(readonly mean: number, readonly sigma: number, readonly k: number, readonly h: number, readonly fir = true) {
    this.K = k * sigma;
    this.H = h * sigma;
    this.upperRef = mean + this.K;
    this.lowerRef = mean - this.K;
    this.cap = 2 * this.H;
    this.restart();
  }

  /** +1 when the upper sum exceeds H, −1 for the lower, 0 otherwise. */
  update(x: number): number {
    const hi = x - this.upperRef + this.hi;
    const lo = this.lowerRef - x + this.lo;
    if (hi > 0) {
      this.hi = hi < this.cap ? hi : this.cap;
      this.nHi++;
    } else {
      this.hi = 0;
      this.nHi = 0;
    }
    if (lo > 0) {
      this.lo = lo < this.cap ? lo : this.cap;
      this.nLo++;
    } else {
      this.lo = 0;
      this.nLo = 0;
    }
    return this.hi > this.H ? 1 : this.lo > this.H ? -1 : 0;
  }

  /** Estimated mean after a signal: μ0 ± (K + C/N), Montgomery's estimate of the shifted level. */
  shiftedMean(side: number): number {
    if (side > 0) return this.nHi > 0 ? this.mean + this.K + this.hi / this.nHi : this.mean;
    return this.nLo > 0 ? this.mean - this.K - this.lo / this.nLo : this.mean;
  }

  /** Back to the start: 0, or H/2 with fast initial response. */
  restart(): void {
    const start = this.fir ? this.H / 2 : 0;
    this.hi = start;
    this.lo = start;
    this.nHi = 0;
    this.nLo = 0;
  }

  snapshot(): CusumState {
    return { hi: this.hi, lo: this.lo, nHi: this.nHi, nLo: this.nLo };
  }

  restore(s: CusumState): void {
    this.hi = s.hi;
    this.lo = s.lo;
    this.nHi = s.nHi;
    this.nLo = s.nLo;
  }
}

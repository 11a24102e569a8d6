// EWMA chart with exact (time-varying) limits, and the one-sided reflected form used for defect
// rates and within-part spread.
//   z_t = λ·x_t + (1 − λ)·z_(t−1), z_0 = μ0
//   limits μ0 ± L·σ·√(λ/(2 − λ)·(1 − (1 − λ)^(2t)))
// The exact limits start narrow, so a process that starts off target is caught in the first units.

interface EwmaState {
  z: number;
  t: number;
}

export class Ewma {
  z: number;
  t = 0;
  /** (1 − λ)^(2t), kept as a running product so no pow() per sample. */
  private decay2 = 1;
  private readonly keep: number;
  private readonly keep2: number;
  /** L·σ·√(λ/(2 − λ)): the half-width the limits tend to. */
  readonly asymptoticHalfWidth: number;

  constructor(readonly mean: number, readonly sigma: number, readonly lambda: number, readonly L: number, readonly exact = true) {
    this.z = mean;
    this.keep = 1 - lambda;
    this.keep2 = this.keep * this.keep;
    this.asymptoticHalfWidth = L * sigma * Math.sqrt(lambda / (2 - lambda));
  }

  /** Half-width of the limits after the current sample. */
  halfWidth(): number {
    if (!this.exact || this.decay2 < 1e-15) return this.asymptoticHalfWidth;
    return this.asymptoticHalfWidth * Math.sqrt(1 - this.decay2);
  }

  get ucl(): number {
    return this.mean + this.halfWidth();
  }

  get lcl(): number {
    return this.mean - this.halfWidth();
  }

  /** Adds a sample; +1 above the upper limit, −1 below the lower, 0 inside. */
  update(x: number): number {
    this.z = this.lambda * x + this.keep * this.z;
    this.t++;
    this.decay2 *= this.keep2;
    const w = this.halfWidth();
    const dev = this.z - this.mean;
    return dev > w ? 1 : dev < -w ? -1 : 0;
  }

  reset(): void {
    this.z = this.mean;
    this.t = 0;
    this.decay2 = 1;
  }

  snapshot(): EwmaState {
    return { z: this.z, t: this.t };
  }

  restore(s: EwmaState): void {
    this.z = s.z;
    this.t = s.t;
    this.decay2 = Math.pow(this.keep2, s.t);
  }
}

/**
 * One-sided EWMA of standardised values with a reflecting barrier at zero (Crowder & Hamilton's
 * form for the log variance): z = max(0, (1 − λ)·z + λ·u), signal when z > L·√(λ/(2 − λ)).
 * The barrier keeps a long good spell from hiding the next rise.
 */
export class ReflectedEwma {
  z = 0;
  readonly limit: number;

  constructor(readonly lambda: number, readonly L: number) {
    this.limit = L * Math.sqrt(lambda / (2 - lambda));
  }

  update(u: number): boolean {
    const z = this.lambda * u + (1 - this.lambda) * this.z;
    this.z = z > 0 ? z : 0;
    return this.z > this.limit;
  }

  reset(): void {
    this.z = 0;
  }
}

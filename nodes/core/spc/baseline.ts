// Phase I: what "in control" looks like for one characteristic, learned once from a window of
// parts and then frozen. Never recomputed from all history — a slowly wearing tool would teach
// the chart that wear is normal.
import { D2_MR, median } from './stats';

export interface Baseline {
  mean: number;
  /** Short-term σ from the average moving range (MR̄/d2), what the charts use. */
  sigma: number;
  /** Overall σ of the phase-I parts, for comparison: much larger than `sigma` means phase I drifted. */
  sigmaOverall: number;
  /** Pooled within-part σ when parts carry several points; null otherwise. */
  sigmaWithin: number | null;
  /** Parts used, and parts left out as outliers. */
  n: number;
  excluded: number;
  learnedAt: string;
  source: 'learned' | 'config';
  modelVersion: string | null;
}

/** Points further than this many robust σ from the median are measurement errors, not process. */
const OUTLIER_ROBUST_SIGMAS = 4.5;
/** Parts whose within-part s exceeds this many times the median s are left out of the pooled σ. */
const SPREAD_OUTLIER_RATIO = 4;

export class PhaseOne {
  private readonly values: Float64Array;
  private readonly spreads: Float64Array;
  private readonly dfs: Float64Array;
  private count = 0;
  private spreadCount = 0;

  constructor(readonly length: number) {
    this.values = new Float64Array(length);
    this.spreads = new Float64Array(length);
    this.dfs = new Float64Array(length);
  }

  get size(): number {
    return this.count;
  }

  get done(): boolean {
    return this.count >= this.length;
  }

  /** Adds one part: its value and, with several points, their s and point count. */
  add(x: number, s?: number, points?: number): void {
    if (this.count >= this.length) return;
    this.values[this.count++] = x;
    if (s !== undefined && points !== undefined && points > 1) {
      this.spreads[this.spreadCount] = s;
      this.dfs[this.spreadCount++] = points - 1;
    }
  }

  /** The frozen baseline; null when too few usable parts (a flat or broken signal). */
  finish(learnedAt: string, modelVersion: string | null): Baseline | null {
    const n = this.count;
    if (n < 2) return null;
    const sorted = this.values.slice(0, n);
    const med = median(sorted, n);
    for (let i = 0; i < n; i++) sorted[i] = Math.abs(this.values[i] - med);
    const mad = median(sorted, n) * 1.4826;
    const keep = (x: number): boolean => mad === 0 || Math.abs(x - med) <= OUTLIER_ROBUST_SIGMAS * mad;

    let kept = 0;
    let sum = 0;
    let mrSum = 0;
    let mrCount = 0;
    let prev: number | null = null;
    for (let i = 0; i < n; i++) {
      const x = this.values[i];
      if (!keep(x)) continue;
      kept++;
      sum += x;
      if (prev !== null) {
        mrSum += Math.abs(x - prev);
        mrCount++;
      }
      prev = x;
    }
    if (kept < 2 || mrCount === 0) return null;
    const mean = sum / kept;
    let ss = 0;
    for (let i = 0; i < n; i++) if (keep(this.values[i])) ss += (this.values[i] - mean) ** 2;
    const sigmaOverall = Math.sqrt(ss / (kept - 1));
    const sigma = mrSum / mrCount / D2_MR;
    if (!(sigma > 0)) return null;
    return {
      mean, sigma, sigmaOverall, sigmaWithin: this.pooledWithin(), n: kept, excluded: n - kept,
      learnedAt, source: 'learned', modelVersion,
    };
  }

  private pooledWithin(): number | null {
    const m = this.spreadCount;
    if (m === 0) return null;
    const sorted = this.spreads.slice(0, m);
    const cap = median(sorted, m) * SPREAD_OUTLIER_RATIO;
    let ss = 0;
    let df = 0;
    for (let i = 0; i < m; i++) {
      const s = this.spreads[i];
      if (cap > 0 && s > cap) continue;
      ss += this.dfs[i] * s * s;
      df += this.dfs[i];
    }
    const sigma = df > 0 ? Math.sqrt(ss / df) : 0;
    return sigma > 0 ? sigma : null;
  }
}

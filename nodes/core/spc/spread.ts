// Uniformity within a part: the standard deviation s of the points measured on one part
// (coating thickness across the surface), against the baseline within-part σ.
//   - S chart: textbook 3σ limits σ·(c4 ± 3√(1 − c4²)) for display; the trigger is the exact
//     probability limit σ·√(χ²(1 − α; n − 1)/(n − 1)), α set from the target false-alarm rate.
//   - EWMA of ln s² (Crowder & Hamilton 1992), standardised per part so parts with different point
//     counts mix: E[ln s²] = ln σ² + ψ(ν/2) − ln(ν/2), Var = ψ′(ν/2), ν = n − 1; one-sided,
//     reflected at zero, so only a rising spread signals.
import { ReflectedEwma } from './ewma';
import { c4, chiSquareUpperQuantile, digamma, trigamma } from './stats';

interface Factors {
  /** E[ln s²] − ln σ². */
  offset: number;
  /** sd of ln s². */
  scale: number;
  /** S-chart probability limit ÷ σ. */
  probability: number;
  /** Textbook S-chart limits ÷ σ. */
  ucl3: number;
  lcl3: number;
}

const factorCache = new Map<string, Factors>();

function factors(n: number, alpha: number): Factors {
  const key = `${n}:${alpha}`;
  let f = factorCache.get(key);
  if (!f) {
    const nu = n - 1;
    const c = c4(n);
    const spread3 = 3 * Math.sqrt(1 - c * c);
    f = {
      offset: digamma(nu / 2) - Math.log(nu / 2),
      scale: Math.sqrt(trigamma(nu / 2)),
      probability: Math.sqrt(chiSquareUpperQuantile(nu, alpha) / nu),
      ucl3: c + spread3,
      lcl3: Math.max(0, c - spread3),
    };
    if (factorCache.size > 2000) factorCache.clear();
    factorCache.set(key, f);
  }
  return f;
}

/** The textbook S chart for subgroups of n with known σ: centre c4·σ, limits σ·(c4 ± 3√(1 − c4²)). */
export function sChartLimits(sigma: number, n: number): { center: number; ucl: number; lcl: number } {
  const c = c4(n);
  const spread3 = 3 * Math.sqrt(1 - c * c);
  return { center: c * sigma, ucl: (c + spread3) * sigma, lcl: Math.max(0, c - spread3) * sigma };
}

/** Sample standard deviation of the points (Welford), and their mean. */
export function pointStats(points: readonly number[]): { mean: number; s: number; n: number } {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < points.length; i++) {
    const d = points[i] - mean;
    mean += d / (i + 1);
    m2 += d * (points[i] - mean);
  }
  const n = points.length;
  return { mean, s: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0, n };
}

interface SpreadResult {
  s: number;
  n: number;
  /** 'S-CHART' or 'LOGVAR-EWMA' when it signals. */
  rule: string | null;
  statistic: number;
  limit: number;
}

export class SpreadMonitor {
  readonly ewma: ReflectedEwma;
  private readonly logSigma2: number;
  /** Parts of a product usually carry the same number of points: keep that one's factors at hand. */
  private lastN = 0;
  private last: Factors | null = null;

  /** `alpha`: the chance per part that the S chart signals on a good part. */
  constructor(readonly sigma: number, lambda: number, L: number, readonly alpha: number) {
    this.ewma = new ReflectedEwma(lambda, L);
    this.logSigma2 = Math.log(sigma * sigma);
  }

  update(s: number, n: number): SpreadResult {
    if (n !== this.lastN || !this.last) {
      this.last = factors(n, this.alpha);
      this.lastN = n;
    }
    const f = this.last;
    const probabilityLimit = f.probability * this.sigma;
    if (s > probabilityLimit) return { s, n, rule: 'S-CHART', statistic: s, limit: probabilityLimit };
    // A part whose points are all equal (s = 0) says the gauge rounds; it counts as very uniform.
    const u = s > 0 ? (Math.log(s * s) - this.logSigma2 - f.offset) / f.scale : -3;
    if (this.ewma.update(u)) return { s, n, rule: 'LOGVAR-EWMA', statistic: this.ewma.z, limit: this.ewma.limit };
    return { s, n, rule: null, statistic: this.ewma.z, limit: this.ewma.limit };
  }

  /** The spread the EWMA currently implies, as a multiple of the baseline σ. */
  ratio(n: number): number {
    const f = factors(n, this.alpha);
    return Math.exp((this.ewma.z * f.scale) / 2);
  }

  /** Centre line of the S chart for parts of n points: c4·σ. */
  centre(n: number): number {
    return c4(n) * this.sigma;
  }

  /** The probability limit the S-CHART rule triggers above, for parts of n points. */
  probabilityLimit(n: number): number {
    return factors(n, this.alpha).probability * this.sigma;
  }

  textbookLimits(n: number): { ucl: number; lcl: number } {
    const f = factors(n, this.alpha);
    return { ucl: f.ucl3 * this.sigma, lcl: f.lcl3 * this.sigma };
  }
}

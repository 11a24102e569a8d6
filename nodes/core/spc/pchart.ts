// Defect rate: a p chart with varying subgroup sizes, and a one-sided EWMA of the standardised
// proportion for slow rises.
//   textbook limits  p̄₀ ± 3·√(p̄₀(1 − p̄₀)/n_i) on the phase-I p̄₀, LCL floored at 0 — reported for
//                    dashboards and evidence (`ucl3Sigma`, `lcl3Sigma`), never the trigger;
//   trigger          P-PROBABILITY-LIMIT: the exact binomial tail P(X ≥ d_i | n_i, p̄c) ≤ α_i on the
//                    charted rate p̄c (an upper confidence bound of p̄₀, see defects.ts), with
//                    α_i = n_i × the chart's share of the false-alarm rate, bounded by MAX_ALPHA.
//                    With a few defects per thousand, the normal approximation behind the 3σ
//                    limits raises a false alarm every few dozen subgroups; the exact tail keeps
//                    the promised rate at any n·p̄. A subgroup at or below p̄c never signals.
import { ReflectedEwma } from './ewma';
import { binomialUpperTail } from './stats';

/**
 * The largest chance per subgroup that the probability limit may signal on a good process. Above
 * it the "limit" sits at or below the expected count and stops meaning anything (at α ≥ 1 even a
 * subgroup with no defect at all would signal); settings that would need more are rejected.
 */
export const MAX_ALPHA = 0.01;

/** The trigger rule's name, as events carry it in `level`. */
export const P_RULE = 'P-PROBABILITY-LIMIT';

export function pChartLimits(pbar: number, n: number, L = 3): { center: number; ucl: number; lcl: number } {
  const half = L * Math.sqrt((pbar * (1 - pbar)) / n);
  return { center: pbar, ucl: Math.min(1, pbar + half), lcl: Math.max(0, pbar - half) };
}

/** Smallest count c with P(X ≥ c | n, p) ≤ alpha: the probability upper limit, as a count. */
export function binomialUpperLimit(n: number, p: number, alpha: number): number {
  let c = Math.max(1, Math.ceil(n * p));
  while (c <= n && binomialUpperTail(c, n, p) > alpha) c++;
  return c;
}

interface PointResult {
  p: number;
  n: number;
  d: number;
  /** Tail probability of seeing d or more defects at the baseline rate. */
  pValue: number;
  rule: typeof P_RULE | 'P-EWMA' | null;
  ewma: number;
  ewmaLimit: number;
}

interface ProportionChartState {
  z: number;
}

/** One chart: the overall fail rate, or one defect type. */
export class ProportionChart {
  readonly ewma: ReflectedEwma;

  /**
   * `pbar`: the rate the trigger charts against; `phase1Pbar`: the rate phase I measured, the
   * centre line of the textbook chart; `alpha`: the chart's false-alarm chance per unit.
   */
  constructor(readonly pbar: number, readonly phase1Pbar: number, lambda: number, L: number, readonly alphaPerUnit: number) {
    this.ewma = new ReflectedEwma(lambda, L);
  }

  /** The chance that a subgroup of n good units signals: n × the per-unit share, at most MAX_ALPHA. */
  alphaFor(n: number): number {
    return Math.min(MAX_ALPHA, n * this.alphaPerUnit);
  }

  /** A closed subgroup of n units with d defective. */
  update(d: number, n: number): PointResult {
    const p = d / n;
    const pbar = this.pbar;
    const alpha = this.alphaFor(n);
    const pValue = d > 0 && p > pbar ? binomialUpperTail(d, n, pbar) : 1;
    const u = (p - pbar) / Math.sqrt((pbar * (1 - pbar)) / n);
    const ewmaSignal = this.ewma.update(u);
    const rule = pValue <= alpha ? P_RULE : ewmaSignal ? 'P-EWMA' : null;
    return { p, n, d, pValue, rule, ewma: this.ewma.z, ewmaLimit: this.ewma.limit };
  }

  snapshot(): ProportionChartState {
    return { z: this.ewma.z };
  }

  restore(s: ProportionChartState): void {
    this.ewma.z = s.z;
  }
}

export interface PhaseOneSubgroup {
  n: number;
  d: number;
}

/**
 * p̄ from phase-I subgroups, as the textbook revises trial limits: subgroups above the trial UCL
 * are dropped once (an assignable cause), the rest pooled. Also the dispersion index
 * χ²/(m − 1), about 1 for a binomial process; well above 1 means the limits will be too tight.
 */
export function estimatePbar(groups: readonly PhaseOneSubgroup[]): { pbar: number; n: number; excluded: number; dispersion: number | null } {
  let n = 0;
  let d = 0;
  for (const g of groups) {
    n += g.n;
    d += g.d;
  }
  if (n === 0) return { pbar: 0, n: 0, excluded: 0, dispersion: null };
  const trial = d / n;
  let keptN = 0;
  let keptD = 0;
  let excluded = 0;
  for (const g of groups) {
    if (trial > 0 && g.d / g.n > pChartLimits(trial, g.n).ucl) excluded++;
    else {
      keptN += g.n;
      keptD += g.d;
    }
  }
  const pbar = keptN > 0 ? keptD / keptN : trial;
  let chi2 = 0;
  let m = 0;
  if (pbar > 0 && pbar < 1) {
    for (const g of groups) {
      if (g.n === 0) continue;
      chi2 += (g.d - g.n * pbar) ** 2 / (g.n * pbar * (1 - pbar));
      m++;
    }
  }
  return { pbar, n: keptN, excluded, dispersion: m > 1 ? chi2 / (m - 1) : null };
}

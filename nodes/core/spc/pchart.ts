// Defect rate: a p chart with varying subgroup sizes, and a one-sided EWMA of the standardised
// proportion for slow rises.
//   textbook limits  p̄ ± 3·√(p̄(1 − p̄)/n_i), LCL floored at 0 — shown as evidence;
//   trigger          the exact binomial tail P(X ≥ d_i | n_i, p̄) ≤ α_i, α_i = n_i / (target units
//                    between false alarms). With a few defects per thousand, the normal
//                    approximation behind the 3σ limits raises a false alarm every few dozen
//                    subgroups; the exact tail keeps the promised rate at any n·p̄.
import { ReflectedEwma } from './ewma';
import { binomialUpperTail } from './stats';

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

export interface PointResult {
  p: number;
  n: number;
  d: number;
  /** Tail probability of seeing d or more defects at the baseline rate. */
  pValue: number;
  rule: 'P-CHART' | 'P-EWMA' | null;
  ewma: number;
  ewmaLimit: number;
}

export interface ProportionChartState {
  z: number;
}

/** One chart: the overall fail rate, or one defect type. */
export class ProportionChart {
  readonly ewma: ReflectedEwma;

  constructor(readonly pbar: number, lambda: number, L: number) {
    this.ewma = new ReflectedEwma(lambda, L);
  }

  /** A closed subgroup of n units with d defective; alpha is the chance it signals if all is well. */
  update(d: number, n: number, alpha: number): PointResult {
    const p = d / n;
    const pbar = this.pbar;
    const pValue = p > pbar ? binomialUpperTail(d, n, pbar) : 1;
    const u = (p - pbar) / Math.sqrt((pbar * (1 - pbar)) / n);
    const ewmaSignal = this.ewma.update(u);
    const rule = pValue <= alpha ? 'P-CHART' : ewmaSignal ? 'P-EWMA' : null;
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

// The false-alarm budget: the user promises "one false alarm per N units on a line" (one asset and
// product); every detector that can raise an episode spends part of it. Rates of independent
// alarms add (Bonferroni's inequality: the chance that any of k detectors signals is at most the
// sum of their chances), so the line's rate 1/N is split, as a sum, in two steps:
//   1. across the slots of the line: one per monitored characteristic, and DEFECT_CHARGE of one
//      for the defect rate. The defect charts are designed for half a slot (DEFECT_SLOT) but test
//      against an upper confidence bound of p̄ (see defects.ts), so they spend far less: measured
//      by the seeded Monte Carlo test (spc-budget.spec.ts), about a quarter to a third of it. They
//      are charged what they spend, so the characteristics' share is not wasted on them;
//   2. within a slot by the fixed weights below. Capability and trend alarm only on strong
//      evidence (a confidence bound, a projection inside the horizon) and get small shares.
// A detector then gets "one false alarm per N / (its share) units", and its limit (h, L, α, z) is
// designed for that in-control run length by Markov chain (arl.ts) or by its exact tail.
// Run rules (Western Electric, Nelson) have fixed false-alarm rates of their own and are outside
// the budget; they are off by default.
import { designCusumH, designReflectedEwmaL } from './arl';
import { normalQuantile } from './stats';
import type { DriftSettings } from './settings';

/**
 * Share of a characteristic's slot per detector: parts with one value per part (no spread charts).
 * The mean has two CUSUMs: k = 0.5 for small shifts and k = 1 for large ones (a CUSUM is optimal
 * for the shift 2k, Moustakides 1986). The small-shift one keeps the larger share: at defaults the
 * pair detects 0.5σ / 1σ as fast as the single CUSUM did, and 2σ / 3σ faster (8.3 / 4.4 parts
 * against 10.4 / 6.4, Markov chain). Until 0.3 the second detector was an EWMA (λ 0.1, then 0.05),
 * slower than the CUSUM at every shift (issue 15 item 13).
 */
const SINGLE_VALUE_WEIGHTS = { cusum: 0.6, cusumLarge: 0.35, sChart: 0, logVariance: 0, trend: 0.03, capability: 0.02 } as const;
/** … and parts with several points each (coating thickness across a part), spread charts active. */
const MULTI_POINT_WEIGHTS = { cusum: 0.475, cusumLarge: 0.275, sChart: 0.1, logVariance: 0.1, trend: 0.03, capability: 0.02 } as const;
/**
 * The defect-rate slot: the overall fail rate's probability limit and EWMA, and the per-type
 * charts, which split their half over the types phase I saw plus one slot for types seen later.
 */
const DEFECT_WEIGHTS = { overallLimit: 0.25, overallEwma: 0.25, types: 0.5 } as const;
/** Confidence of the capability bound at least this (Bissell's approximation, one-sided 95 %). */
const CAPABILITY_MIN_CONFIDENCE = 0.95;

/** Points in the trend window once it is full: 40 subgroup means give 780 pairwise slopes. */
export const TREND_POINTS = 40;
/** The trend is evaluated from this many points on, the window growing up to TREND_POINTS. */
export const TREND_MIN_POINTS = 10;

export function trendBlockUnits(s: Pick<DriftSettings, 'trendWindow'>): number {
  return Math.max(1, Math.floor(s.trendWindow / TREND_POINTS));
}

/** The share of a slot the defect charts are designed for … */
const DEFECT_SLOT = 0.5;
/** … and what they are charged among the slots of a line (a characteristic weighs 1). */
const DEFECT_CHARGE = 0.15;

/** Slots of a line that monitors `characteristics` characteristics and the defect rate. */
export function lineSlots(characteristics: number): number {
  return characteristics + DEFECT_CHARGE;
}

/** Per-unit false-alarm rate of one full slot on a line whose slots weigh `slots` in all. */
function slotRate(s: Pick<DriftSettings, 'arl0'>, slots: number): number {
  return 1 / (s.arl0 * Math.max(DEFECT_CHARGE, slots));
}

/** Chart parameters of one characteristic, from its share of the budget. */
export interface Design {
  cusumH: number;
  /** h of the large-shift CUSUM (reference k = largeShiftK). */
  cusumLargeH: number;
  /** L of the one-sided EWMA of ln s², per part. */
  spreadL: number;
  /** Chance per part that the S chart signals on a good part. */
  spreadAlpha: number;
  /** Mann–Kendall Z a trend must pass. */
  trendZ: number;
  /** z of the confidence bound on Cpk that must lie below the threshold before capability alarms. */
  capabilityZ: number;
  /** The slot's per-unit false-alarm rate, and the in-control run length each detector was designed for. */
  slotRate: number;
  arl0: { cusum: number; cusumLarge: number; sChart: number; logVariance: number; trend: number; capability: number };
}

const designs = new Map<string, Design>();

/**
 * The design for a characteristic on a line with `slots` slots (characteristics + the defect
 * rate); `multiPoint` when its parts carry several points (the spread charts then take a share).
 * Cached: each new combination costs a few Markov-chain solves (tens of milliseconds).
 */
export function designFor(s: DriftSettings, slots = lineSlots(1), multiPoint = true): Design {
  const key = JSON.stringify([s.arl0, s.lambda, s.cusumK, s.largeShiftK, s.fir, s.trendWindow, s.capabilityWindow, slots, multiPoint]);
  const hit = designs.get(key);
  if (hit) return hit;
  const rate = slotRate(s, slots);
  const w = multiPoint ? MULTI_POINT_WEIGHTS : SINGLE_VALUE_WEIGHTS;
  const arl = (weight: number): number => (weight > 0 ? 1 / (rate * weight) : Infinity);
  const arl0 = { cusum: arl(w.cusum), cusumLarge: arl(w.cusumLarge), sChart: arl(w.sChart), logVariance: arl(w.logVariance), trend: arl(w.trend), capability: arl(w.capability) };
  const perEvaluation = (units: number, weight: number): number => Math.min(0.5, units * rate * weight);
  const d: Design = {
    cusumH: designCusumH(s.cusumK, arl0.cusum, s.fir),
    cusumLargeH: designCusumH(s.largeShiftK, arl0.cusumLarge, s.fir),
    spreadL: multiPoint ? designReflectedEwmaL(s.lambda, arl0.logVariance) : Infinity,
    spreadAlpha: multiPoint ? rate * w.sChart : 0,
    trendZ: normalQuantile(1 - perEvaluation(trendBlockUnits(s), w.trend)),
    capabilityZ: Math.max(normalQuantile(CAPABILITY_MIN_CONFIDENCE), normalQuantile(1 - perEvaluation(s.capabilityWindow, w.capability))),
    slotRate: rate,
    arl0,
  };
  if (designs.size > 200) designs.clear();
  designs.set(key, d);
  return d;
}

/** Chart parameters of one defect-rate chart (the overall rate, or one type). */
interface DefectChartDesign {
  /** Chance per unit that the probability limit signals on a good process (× n per subgroup). */
  alphaPerUnit: number;
  /** L of the chart's one-sided EWMA, per subgroup. */
  L: number;
}

/**
 * The defect slot's charts: the overall chart, and each type chart when phase I saw `types` types.
 * The EWMA is designed per subgroup of the nominal size; subgroups by batch or time vary around it.
 */
export function defectDesign(s: DriftSettings, slots: number, types: number): { overall: DefectChartDesign; type: DefectChartDesign } {
  const rate = slotRate(s, slots) * DEFECT_SLOT;
  const typeShare = s.perDefectType ? DEFECT_WEIGHTS.types / (types + 1) : 0;
  // Without type charts the overall chart takes the whole slot.
  const scale = s.perDefectType ? 1 : 1 / (DEFECT_WEIGHTS.overallLimit + DEFECT_WEIGHTS.overallEwma);
  const n = s.defectSubgroupSize;
  const ewmaL = (weight: number): number => designReflectedEwmaL(s.lambda, Math.max(10, 1 / (rate * weight * n)));
  return {
    overall: { alphaPerUnit: rate * DEFECT_WEIGHTS.overallLimit * scale, L: ewmaL(DEFECT_WEIGHTS.overallEwma * scale) },
    type: { alphaPerUnit: rate * typeShare / 2, L: typeShare > 0 ? ewmaL(typeShare / 2) : Infinity },
  };
}

// What a characteristic monitor tells people: the evidence an episode's event carries and the chart
// points output 2 carries per record. Read-only views of the monitor, kept apart from its detectors.
import type { Scalar } from '../contracts';
import type { Baseline } from './baseline';
import { cpkStandardError, type Capability } from './capability';
import type { Cusum } from './cusum';
import type { Transition } from './episodes';
import type { Design } from './budget';
import type { DriftSettings, SpecRow } from './settings';
import type { SpreadMonitor } from './spread';
import type { Projection } from './trend';

export interface Draft extends Transition {
  characteristic: string;
  atMs: number;
  details: Record<string, Scalar>;
}

export interface UnitContext {
  tMs: number;
  unitId: string;
  /** Units left in the current batch, when the batch size is known. */
  batchRemaining: number | null;
  /** Distinct batch ids seen since a time (ms), oldest first, comma-separated. */
  batchesSince(ms: number): string;
}

/** Six significant digits: evidence a person reads, not a data dump. */
export function sig(x: number | null | undefined): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  return Number(x.toPrecision(6));
}

/** What the report functions read of a monitor. */
export interface MonitorReadout {
  readonly characteristic: string;
  readonly spec: SpecRow | undefined;
  readonly settings: DriftSettings;
  readonly design: Design | null;
  readonly baseline: Baseline | null;
  readonly units: number;
  /** Values collected in phase I so far. */
  readonly learned: number;
  readonly lastValue: number;
  readonly lastProjection: Projection | null;
  readonly lastCapability: Capability | null;
  readonly lastSpread: { s: number; points: number } | null;
  /** null while learning. */
  readonly detectors: { cusum: Cusum; cusumLarge: Cusum; spread: SpreadMonitor | null } | null;
}

/** The evidence a quality engineer asks for first, flat for the event's `details`. */
export function evidence(m: MonitorReadout, t: Transition, ctx: UnitContext): Record<string, Scalar> {
  const b = m.baseline;
  const p = m.lastProjection;
  const c = m.lastCapability;
  const spec = m.spec;
  return {
    ...(t.signal?.evidence ?? {}),
    detector: t.episode.level,
    characteristic: m.characteristic,
    lastValue: sig(m.lastValue),
    lastUnitId: ctx.unitId,
    lsl: spec?.lsl ?? null,
    usl: spec?.usl ?? null,
    target: spec?.target ?? null,
    baselineMean: sig(b?.mean),
    baselineSigma: sig(b?.sigma),
    baselineSigmaOverall: sig(b?.sigmaOverall),
    baselineSigmaWithin: sig(b?.sigmaWithin),
    baselineN: b?.n ?? null,
    baselineExcluded: b?.excluded ?? null,
    baselineLearnedAt: b?.learnedAt ?? null,
    baselineSource: b?.source ?? null,
    modelVersion: b?.modelVersion ?? null,
    windowMean: sig(c?.mean),
    windowSigmaWithin: sig(c?.sigmaWithin),
    windowSigmaOverall: sig(c?.sigmaOverall),
    windowUnits: c?.units ?? null,
    cpk: sig(c?.cpk),
    ppk: sig(c?.ppk),
    slopePerUnit: sig(p?.slope),
    projectedLimit: p?.limit ?? null,
    unitsToLimit: p?.unitsToLimit !== null && p?.unitsToLimit !== undefined ? Math.round(p.unitsToLimit) : null,
    minutesToLimit: p?.secondsToLimit !== null && p?.secondsToLimit !== undefined ? sig(p.secondsToLimit / 60) : null,
    batchRemaining: ctx.batchRemaining,
    episodeStartUnit: t.episode.startUnit,
    unitsSinceBaseline: m.units,
    signals: t.episode.signals,
    batches: ctx.batchesSince(t.episode.startMs),
    ...(t.reason ? { reason: t.reason } : {}),
  };
}


/**
 * What output 2 carries per record for charting: every chart's point, centre line and limits
 * (`charts`), and the flat fields of earlier versions beside them.
 */
export function chartStats(m: MonitorReadout): Record<string, unknown> {
  const d = m.detectors;
  if (!d) return { phase: 'learning', learned: m.learned, of: m.settings.phase1Units, value: sig(m.lastValue) };
  const b = m.baseline as Baseline;
  const charts: Record<string, unknown> = {
    value: { point: m.lastValue, centre: b.mean, ucl: b.mean + 3 * b.sigma, lcl: b.mean - 3 * b.sigma },
    cusum: { upper: d.cusum.hi, lower: d.cusum.lo, centre: 0, limit: d.cusum.H },
    cusumLarge: { upper: d.cusumLarge.hi, lower: d.cusumLarge.lo, centre: 0, limit: d.cusumLarge.H },
  };
  if (d.spread && m.lastSpread) {
    const t = d.spread.textbookLimits(m.lastSpread.points);
    charts.spread = {
      point: m.lastSpread.s, centre: d.spread.centre(m.lastSpread.points), ucl3Sigma: t.ucl, lcl3Sigma: t.lcl,
      uclProbability: d.spread.probabilityLimit(m.lastSpread.points), logVarianceEwma: d.spread.ewma.z, logVarianceLimit: d.spread.ewma.limit,
    };
  }
  const c = m.lastCapability;
  if (c) {
    const index = m.settings.capabilityIndex === 'cpk' ? c.cpk : c.ppk;
    const se = index !== null && c.units > 1 ? cpkStandardError(index, c.units) : null;
    const z = (m.design as Design).capabilityZ;
    charts.capability = {
      index: m.settings.capabilityIndex, point: index, lower: index !== null && se !== null ? index - z * se : null, upper: index !== null && se !== null ? index + z * se : null,
      medium: m.settings.cpkMedium, high: m.settings.cpkHigh, units: c.units,
    };
  }
  const p = m.lastProjection;
  if (p) charts.trend = { level: p.level, slopePerUnit: p.slope, z: p.z, zRequired: (m.design as Design).trendZ, limit: p.limitValue, unitsToLimit: p.unitsToLimit, points: p.n };
  return {
    // The flat fields of 0.2 (before `charts`): ucl/lcl were the mean EWMA's; with the EWMA gone
    // they are the individuals chart's 3σ limits, the nearest thing a dashboard can draw.
    phase: 'monitoring', value: m.lastValue, ucl: b.mean + 3 * b.sigma, lcl: b.mean - 3 * b.sigma,
    cusumHi: d.cusum.hi, cusumLo: d.cusum.lo, h: d.cusum.H, mean: b.mean, charts,
  };
}

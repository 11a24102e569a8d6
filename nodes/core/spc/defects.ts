// Defect rate for one (asset, product): units are grouped into subgroups (every N units, per batch,
// or per time window); each closed subgroup is a point on the overall p chart (result = fail) and on
// one chart per defect type (units showing that type above the confidence threshold).
import type { Scalar } from '../contracts';
import { forceClear, newEpisode, onInControl, onSignal, type EpisodeState, type Transition } from './episodes';
import type { Draft, UnitContext } from './monitor';
import { sig } from './monitor';
import { binomialUpperLimit, estimatePbar, pChartLimits, ProportionChart, type PhaseOneSubgroup } from './pchart';
import type { Design, DriftSettings } from './settings';

export const OVERALL = 'defect-rate';
/** Confidence (in σ) of the upper bound on p̄ that the charts use. */
export const PBAR_Z = 2;
/** An open defect episode clears after at least this many in-control subgroups (and `clearAfter` units). */
export const CLEAR_SUBGROUPS = 5;

/** Wilson's upper confidence bound for a proportion p̂ observed over n trials. */
export function wilsonUpper(p: number, n: number, z: number): number {
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(0.999, (centre + spread) / (1 + z2 / n));
}

export interface DefectBaseline {
  pbar: number;
  types: Record<string, number>;
  units: number;
  subgroups: number;
  excluded: number;
  dispersion: number | null;
  learnedAt: string;
}

interface Subgroup {
  n: number;
  d: number;
  types: Map<string, number>;
  batch: string | null;
  startMs: number;
}

export interface DefectState {
  baseline: DefectBaseline | null;
  ewma: Record<string, number>;
  episodes: Record<string, EpisodeState>;
}

function emptySubgroup(batch: string | null, startMs: number): Subgroup {
  return { n: 0, d: 0, types: new Map(), batch, startMs };
}

export class DefectMonitor {
  baseline: DefectBaseline | null = null;
  private phase1: PhaseOneSubgroup[] = [];
  private phase1Types = new Map<string, number>();
  private current: Subgroup = emptySubgroup(null, 0);
  private charts = new Map<string, ProportionChart>();
  private episodes = new Map<string, EpisodeState>();
  private lastUnit = 0;

  constructor(private readonly settings: DriftSettings, private readonly design: Design) {}

  get learning(): boolean {
    return this.baseline === null;
  }

  /** Subgroups learned so far in phase I. */
  get learned(): number {
    return this.phase1.length;
  }

  /** One inspected unit (pass or fail; inconclusive units are not counted). */
  unit(failed: boolean, types: readonly string[], batch: string | null, batchSize: number | null, unit: number, ctx: UnitContext, out: Draft[]): void {
    const s = this.settings;
    const c = this.current;
    this.lastUnit = unit;
    if (c.n > 0) {
      const newBatch = s.defectSubgroup === 'batch' && batch !== null && batch !== c.batch;
      const expired = s.defectSubgroup === 'time' && ctx.tMs >= c.startMs + s.defectSubgroupSeconds * 1000;
      if (newBatch || expired) this.close(ctx, out);
    }
    const g = this.current;
    if (g.n === 0) {
      g.batch = batch;
      g.startMs = ctx.tMs;
    }
    g.n++;
    if (failed) g.d++;
    for (const t of types) {
      if (g.types.has(t) || g.types.size < s.maxDefectTypes) g.types.set(t, (g.types.get(t) ?? 0) + 1);
    }
    const byUnits = s.defectSubgroup === 'units' || (s.defectSubgroup === 'batch' && batch === null);
    if ((byUnits && g.n >= s.defectSubgroupSize) || (s.defectSubgroup === 'batch' && batchSize !== null && g.n >= batchSize)) this.close(ctx, out);
  }

  private close(ctx: UnitContext, out: Draft[]): void {
    const g = this.current;
    this.current = emptySubgroup(null, ctx.tMs);
    if (g.n === 0) return;
    if (!this.baseline) {
      this.learn(g, ctx);
      return;
    }
    const alpha = g.n / this.settings.arl0;
    this.point(OVERALL, g.d, g, alpha, ctx, out);
    if (!this.settings.perDefectType) return;
    for (const t of g.types.keys()) {
      if (!this.charts.has(`${OVERALL}:${t}`) && this.charts.size <= this.settings.maxDefectTypes) this.addChart(t, 0);
    }
    for (const name of this.charts.keys()) {
      if (name === OVERALL) continue;
      this.point(name, g.types.get(name.slice(OVERALL.length + 1)) ?? 0, g, alpha, ctx, out);
    }
  }

  private learn(g: Subgroup, ctx: UnitContext): void {
    this.phase1.push({ n: g.n, d: g.d });
    for (const [t, k] of g.types) {
      if (this.phase1Types.has(t) || this.phase1Types.size < this.settings.maxDefectTypes) this.phase1Types.set(t, (this.phase1Types.get(t) ?? 0) + k);
    }
    if (this.phase1.length < this.settings.phase1Subgroups) return;
    const est = estimatePbar(this.phase1);
    const units = this.phase1.reduce((a, x) => a + x.n, 0);
    const types: Record<string, number> = {};
    for (const [t, k] of this.phase1Types) types[t] = k / units;
    this.freeze({ pbar: est.pbar, types, units, subgroups: this.phase1.length, excluded: est.excluded, dispersion: est.dispersion, learnedAt: new Date(ctx.tMs).toISOString() });
  }

  private freeze(b: DefectBaseline): void {
    this.baseline = b;
    this.phase1 = [];
    this.phase1Types = new Map();
    this.charts = new Map();
    this.charts.set(OVERALL, new ProportionChart(this.floor(b.pbar), this.settings.lambda, this.design.defectL));
    if (this.settings.perDefectType) for (const [t, p] of Object.entries(b.types)) this.addChart(t, p);
  }

  /**
   * The rate the charts use: the upper Wilson bound (z = 2) of the phase-I estimate. Twenty
   * subgroups hold only a few dozen defects, so p̄ is uncertain by ±15 % or more; charting against
   * an underestimate would raise false alarms for as long as the baseline lives. A type never seen
   * in phase I gets the bound for zero defects, about 4 per phase-I units.
   */
  private floor(p: number): number {
    const b = this.baseline as DefectBaseline;
    return wilsonUpper(p, Math.max(1, b.units), PBAR_Z);
  }

  private addChart(type: string, p: number): void {
    this.charts.set(`${OVERALL}:${type}`, new ProportionChart(this.floor(p), this.settings.lambda, this.design.defectL));
  }

  private episode(name: string): EpisodeState {
    let e = this.episodes.get(name);
    if (!e) {
      e = newEpisode();
      this.episodes.set(name, e);
    }
    return e;
  }

  private point(name: string, d: number, g: Subgroup, alpha: number, ctx: UnitContext, out: Draft[]): void {
    const chart = this.charts.get(name) as ProportionChart;
    const r = chart.update(d, g.n, alpha);
    const e = this.episode(name);
    let t: Transition | null;
    if (r.rule) {
      const textbook = pChartLimits(chart.pbar, g.n);
      const limitCount = r.rule === 'P-CHART' ? binomialUpperLimit(g.n, chart.pbar, alpha) : null;
      t = onSignal(e, 'defects', {
        level: r.rule, severity: this.settings.severity.defects, value: sig(r.p), limit: limitCount !== null ? sig(limitCount / g.n) : sig(r.ewmaLimit),
        evidence: {
          p: sig(r.p), defective: d, subgroupUnits: g.n, pbarCharted: sig(chart.pbar), pValue: sig(r.pValue), alpha: sig(alpha),
          uclProbability: limitCount !== null ? sig(limitCount / g.n) : null, ucl3Sigma: sig(textbook.ucl), lcl3Sigma: sig(textbook.lcl),
          ewma: sig(r.ewma), ewmaLimit: sig(r.ewmaLimit),
        },
      }, ctx.tMs, this.lastUnit);
    } else if (r.ewma < r.ewmaLimit / 2) {
      t = onInControl(e, 'defects', g.n, Math.max(this.settings.clearAfter, CLEAR_SUBGROUPS * g.n));
    } else {
      t = null;
    }
    if (t) out.push(this.draft(name, t, g, ctx));
  }

  private draft(name: string, t: Transition, g: Subgroup | null, ctx: UnitContext): Draft {
    const b = this.baseline;
    const details: Record<string, Scalar> = {
      ...(t.signal?.evidence ?? {}),
      detector: t.episode.level,
      characteristic: name,
      subgroupBy: this.settings.defectSubgroup,
      subgroupBatch: g?.batch ?? null,
      baselinePbar: sig(b?.pbar),
      baselineUnits: b?.units ?? null,
      baselineSubgroups: b?.subgroups ?? null,
      baselineExcluded: b?.excluded ?? null,
      baselineDispersion: sig(b?.dispersion),
      baselineLearnedAt: b?.learnedAt ?? null,
      lastUnitId: ctx.unitId,
      episodeStartUnit: t.episode.startUnit,
      signals: t.episode.signals,
      batches: ctx.batchesSince(t.episode.startMs),
      ...(t.reason ? { reason: t.reason } : {}),
    };
    return { ...t, characteristic: name, atMs: ctx.tMs, details };
  }

  rebaseline(reason: string, ctx: UnitContext, out: Draft[]): void {
    for (const [name, e] of this.episodes) {
      const t = forceClear(e, 'defects', reason);
      if (t) out.push(this.draft(name, t, null, ctx));
    }
    this.episodes.clear();
    this.baseline = null;
    this.phase1 = [];
    this.phase1Types = new Map();
    this.charts = new Map();
    this.current = emptySubgroup(null, ctx.tMs);
  }

  get openEpisodes(): number {
    let n = 0;
    for (const e of this.episodes.values()) if (e.open) n++;
    return n;
  }

  snapshot(): DefectState {
    const ewma: Record<string, number> = {};
    for (const [name, c] of this.charts) ewma[name] = c.ewma.z;
    const episodes: Record<string, EpisodeState> = {};
    for (const [name, e] of this.episodes) if (e.open) episodes[name] = { ...e };
    return { baseline: this.baseline, ewma, episodes };
  }

  restore(s: DefectState, detectorsToo: boolean): void {
    for (const [name, e] of Object.entries(s.episodes)) this.episodes.set(name, { ...e });
    if (!s.baseline) return;
    this.freeze(s.baseline);
    if (!detectorsToo) return;
    for (const [name, z] of Object.entries(s.ewma)) {
      if (!this.charts.has(name) && name.startsWith(`${OVERALL}:`) && this.charts.size <= this.settings.maxDefectTypes) this.addChart(name.slice(OVERALL.length + 1), 0);
      const chart = this.charts.get(name);
      if (chart) chart.ewma.z = z;
    }
  }
}

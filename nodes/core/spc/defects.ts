// Defect rate for one (asset, product): units are grouped into subgroups (every N units, per batch,
// or per time window); each closed subgroup is a point on the overall p chart (result = fail) and on
// one chart per defect type (units showing that type above the confidence threshold).
// After a work order (or a manual re-baseline) phase I starts from the previous baseline's p̄ as
// a prior: the charts keep watching against it while the new phase I runs and confirms or
// replaces it, so a repaired line is not blind for phase1Subgroups × defectSubgroupSize units.
// A new vision model is a different instrument: there phase I starts from nothing.
import type { Scalar } from '../contracts';
import { defectDesign } from './budget';
import { forceClear, newEpisode, onInControl, onSignal, type EpisodeState, type Transition } from './episodes';
import { sig, type Draft, type UnitContext } from './monitor-report';
import { binomialUpperLimit, estimatePbar, pChartLimits, P_RULE, ProportionChart, type PhaseOneSubgroup } from './pchart';
import type { DriftSettings } from './settings';

const OVERALL = 'defect-rate';
/** Confidence (in σ) of the upper bound on p̄ that the charts use. */
const PBAR_Z = 2;
/** An open defect episode clears after at least this many in-control subgroups (and `clearAfter` units). */
const CLEAR_SUBGROUPS = 5;

/** Wilson's upper confidence bound for a proportion p̂ observed over n trials. */
function wilsonUpper(p: number, n: number, z: number): number {
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(0.999, (centre + spread) / (1 + z2 / n));
}

interface DefectBaseline {
  pbar: number;
  types: Record<string, number>;
  units: number;
  subgroups: number;
  excluded: number;
  dispersion: number | null;
  learnedAt: string;
  /** The previous baseline's p̄ this one was confirmed against, and whether phase I agreed with it (within 3σ). */
  priorPbar?: number | null;
  priorConsistent?: boolean | null;
}

/** The last closed subgroup of one chart, with its centre line and limits: what a dashboard draws. */
export interface ChartPoint {
  p: number;
  n: number;
  defective: number;
  /** Phase-I p̄ and the textbook limits on it for this n. */
  centre: number;
  ucl3Sigma: number;
  lcl3Sigma: number;
  /** What the trigger uses: the charted rate, the probability limit as a proportion, the EWMA and its limit. */
  pbarCharted: number;
  uclProbability: number;
  ewma: number;
  ewmaLimit: number;
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
  /** The baseline is a prior still being confirmed by phase I (absent in states of older versions). */
  confirming?: boolean;
  /**
   * Phase I so far (first baseline or confirmation) and the open subgroup, so a restart resumes
   * learning instead of starting it over (issue 15 item 15). Absent in states of 0.2 and before.
   */
  phase1?: PhaseOneSubgroup[];
  phase1Types?: Record<string, number>;
  current?: { n: number; d: number; types: Record<string, number>; batch: string | null; startMs: number };
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
  private readonly points = new Map<string, ChartPoint>();
  private lastUnit = 0;
  /** The baseline is the previous one, charted while a new phase I confirms or replaces it. */
  confirming = false;

  /** `slots`: the slots of the false-alarm budget on this line (budget.ts), read when a baseline freezes. */
  constructor(private readonly settings: DriftSettings, private readonly slots: () => number) {}

  get learning(): boolean {
    return this.baseline === null;
  }

  /** Every chart's last point, centre line and limits, for output 2. */
  stats(): Record<string, unknown> {
    if (!this.baseline) return { phase: 'learning', learned: this.phase1.length, of: this.settings.phase1Subgroups };
    const charts: Record<string, ChartPoint | null> = {};
    for (const name of this.charts.keys()) charts[name] = this.points.get(name) ?? null;
    return { phase: this.confirming ? 'confirming' : 'monitoring', ...(this.confirming ? { learned: this.phase1.length, of: this.settings.phase1Subgroups } : {}), charts };
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
    if (this.baseline) this.chart(g, ctx, out);
    if (!this.baseline || this.confirming) this.learn(g, ctx);
  }

  private chart(g: Subgroup, ctx: UnitContext, out: Draft[]): void {
    this.point(OVERALL, g.d, g, ctx, out);
    if (!this.settings.perDefectType) return;
    for (const t of g.types.keys()) {
      if (!this.charts.has(`${OVERALL}:${t}`) && this.charts.size <= this.settings.maxDefectTypes) this.addChart(t, 0);
    }
    for (const name of this.charts.keys()) {
      if (name === OVERALL) continue;
      this.point(name, g.types.get(name.slice(OVERALL.length + 1)) ?? 0, g, ctx, out);
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
    const prior = this.confirming ? (this.baseline as DefectBaseline).pbar : null;
    const consistent = prior !== null ? Math.abs(est.pbar - prior) <= 3 * Math.sqrt((Math.max(prior, 1 / units) * (1 - prior)) / units) : null;
    this.freeze({
      pbar: est.pbar, types, units, subgroups: this.phase1.length, excluded: est.excluded, dispersion: est.dispersion, learnedAt: new Date(ctx.tMs).toISOString(),
      priorPbar: prior, priorConsistent: consistent,
    });
  }

  private design: ReturnType<typeof defectDesign> | null = null;

  private freeze(b: DefectBaseline): void {
    this.baseline = b;
    this.confirming = false;
    this.phase1 = [];
    this.phase1Types = new Map();
    this.charts = new Map();
    this.points.clear();
    this.design = defectDesign(this.settings, this.slots(), Object.keys(b.types).length);
    const o = this.design.overall;
    this.charts.set(OVERALL, new ProportionChart(this.floor(b.pbar), b.pbar, this.settings.lambda, o.L, o.alphaPerUnit));
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
    const t = (this.design as ReturnType<typeof defectDesign>).type;
    this.charts.set(`${OVERALL}:${type}`, new ProportionChart(this.floor(p), p, this.settings.lambda, t.L, t.alphaPerUnit));
  }

  private episode(name: string): EpisodeState {
    let e = this.episodes.get(name);
    if (!e) {
      e = newEpisode();
      this.episodes.set(name, e);
    }
    return e;
  }

  private point(name: string, d: number, g: Subgroup, ctx: UnitContext, out: Draft[]): void {
    const chart = this.charts.get(name) as ProportionChart;
    const r = chart.update(d, g.n);
    const alpha = chart.alphaFor(g.n);
    const textbook = pChartLimits(chart.phase1Pbar, g.n);
    const uclProbability = binomialUpperLimit(g.n, chart.pbar, alpha) / g.n;
    this.points.set(name, {
      p: r.p, n: g.n, defective: d, centre: chart.phase1Pbar, ucl3Sigma: textbook.ucl, lcl3Sigma: textbook.lcl,
      pbarCharted: chart.pbar, uclProbability, ewma: r.ewma, ewmaLimit: r.ewmaLimit,
    });
    const e = this.episode(name);
    let t: Transition | null;
    if (r.rule) {
      t = onSignal(e, 'defects', {
        level: r.rule, severity: this.settings.severity.defects, value: sig(r.p), limit: r.rule === P_RULE ? sig(uclProbability) : sig(r.ewmaLimit),
        evidence: {
          p: sig(r.p), defective: d, subgroupUnits: g.n, trigger: r.rule === P_RULE ? 'binomial tail at the charted p̄' : 'one-sided EWMA of the standardised p',
          pbarPhase1: sig(chart.phase1Pbar), pbarCharted: sig(chart.pbar), pValue: sig(r.pValue), alpha: sig(alpha),
          uclProbability: sig(uclProbability), ucl3Sigma: sig(textbook.ucl), lcl3Sigma: sig(textbook.lcl),
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
      baselineConfirming: this.confirming,
      lastUnitId: ctx.unitId,
      episodeStartUnit: t.episode.startUnit,
      signals: t.episode.signals,
      batches: ctx.batchesSince(t.episode.startMs),
      ...(t.reason ? { reason: t.reason } : {}),
    };
    return { ...t, characteristic: name, atMs: ctx.tMs, details };
  }

  /**
   * Ends open episodes and starts a new phase I. `keepPrior`: chart against the current baseline
   * meanwhile (a repaired machine); false for a new vision model, whose rates are not comparable.
   */
  rebaseline(reason: string, ctx: UnitContext, out: Draft[], keepPrior = true): void {
    for (const [name, e] of this.episodes) {
      const t = forceClear(e, 'defects', reason);
      if (t) out.push(this.draft(name, t, null, ctx));
    }
    this.episodes.clear();
    const prior = keepPrior ? this.baseline : null;
    this.baseline = null;
    this.phase1 = [];
    this.phase1Types = new Map();
    this.charts = new Map();
    this.points.clear();
    this.current = emptySubgroup(null, ctx.tMs);
    if (prior) {
      this.freeze(prior);
      this.confirming = true;
    }
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
    const c = this.current;
    return {
      baseline: this.baseline, ewma, episodes, confirming: this.confirming,
      phase1: this.phase1.map((g) => ({ n: g.n, d: g.d })), phase1Types: Object.fromEntries(this.phase1Types),
      current: { n: c.n, d: c.d, types: Object.fromEntries(c.types), batch: c.batch, startMs: c.startMs },
    };
  }

  restore(s: DefectState, detectorsToo: boolean): void {
    for (const [name, e] of Object.entries(s.episodes)) this.episodes.set(name, { ...e });
    if (s.baseline) {
      this.freeze(s.baseline);
      this.confirming = s.confirming === true;
    }
    // Phase I resumes where it was, unless the subgrouping settings changed (then it starts over).
    if (detectorsToo && (!s.baseline || this.confirming)) this.resumePhaseOne(s);
    if (!s.baseline || !detectorsToo) return;
    for (const [name, z] of Object.entries(s.ewma)) {
      if (!this.charts.has(name) && name.startsWith(`${OVERALL}:`) && this.charts.size <= this.settings.maxDefectTypes) this.addChart(name.slice(OVERALL.length + 1), 0);
      const chart = this.charts.get(name);
      if (chart) chart.ewma.z = z;
    }
  }

  private resumePhaseOne(s: DefectState): void {
    const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
    const limit = this.settings.phase1Subgroups;
    this.phase1 = (Array.isArray(s.phase1) ? s.phase1 : []).slice(0, limit).map((g) => ({ n: count(g.n), d: Math.min(count(g.d), count(g.n)) })).filter((g) => g.n > 0);
    this.phase1Types = new Map(Object.entries(s.phase1Types ?? {}).slice(0, this.settings.maxDefectTypes).map(([t, k]) => [t, count(k)]));
    const c = s.current;
    if (c && count(c.n) > 0) {
      this.current = {
        n: count(c.n), d: Math.min(count(c.d), count(c.n)), batch: typeof c.batch === 'string' ? c.batch : null, startMs: count(c.startMs),
        types: new Map(Object.entries(c.types ?? {}).slice(0, this.settings.maxDefectTypes).map(([t, k]) => [t, count(k)])),
      };
    }
  }
}

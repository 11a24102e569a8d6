// Every detector for one (asset, product, characteristic): phase-I learning, then per unit two
// CUSUMs on the part value (small and large shifts) and the spread charts on its points; per subgroup of units
// the run rules, the trend window and the rolling capability. Episode transitions come out as drafts.
import { PhaseOne, type Baseline } from './baseline';
import { cpkStandardError, RollingCapability, type Capability, type CapabilityState } from './capability';
import { Cusum, type CusumState } from './cusum';
import { forceClear, newEpisode, onInControl, onSignal, type EpisodeState, type Family, type Signal, type Transition } from './episodes';
import { RunRules, type RulesState } from './rules';
import { designFor, TREND_MIN_POINTS, TREND_POINTS, trendBlockUnits, type Design } from './budget';
import type { DriftSettings, SpecRow } from './settings';
import { SpreadMonitor } from './spread';
import { TrendWindow, type Projection, type TrendState } from './trend';
import { chartStats, evidence, sig, type Draft, type MonitorReadout, type UnitContext } from './monitor-report';

export interface MonitorState {
  baseline: Baseline | null;
  units: number;
  /** The large-shift CUSUM (absent in snapshots of 0.2, whose second detector was an EWMA: it then starts over). */
  cusumLarge?: CusumState | null;
  cusum: CusumState | null;
  rules: RulesState | null;
  trend: TrendState | null;
  capability: CapabilityState | null;
  spreadZ: number;
  block: { n: number; sum: number; sumSq: number; trendN: number; trendSum: number };
  episodes: Partial<Record<Family, EpisodeState>>;
}

const FAMILIES: Family[] = ['mean', 'rules', 'trend', 'capability', 'spread'];
/** How far above the first capability threshold the index must be before it counts as recovered. */
const CAPABILITY_HYSTERESIS = 0.1;
/** Below this Mann–Kendall |Z| there is no trend worth the name, so an open trend episode may clear. */
const TREND_SETTLED_Z = 2;

interface Detectors {
  cusum: Cusum;
  cusumLarge: Cusum;
  rules: RunRules | null;
  trend: TrendWindow;
  capability: RollingCapability;
  spread: SpreadMonitor | null;
}

export class CharacteristicMonitor {
  baseline: Baseline | null = null;
  learner: PhaseOne | null = null;
  /** Units seen since the baseline was frozen. */
  units = 0;
  private d: Detectors | null = null;
  /** This characteristic's share of the false-alarm budget, fixed when the baseline froze. */
  design: Design | null = null;
  private lastSpread: { s: number; points: number } | null = null;
  private blockN = 0;
  private blockSum = 0;
  private blockSumSq = 0;
  private trendN = 0;
  private trendSum = 0;
  private readonly episodes: Record<Family, EpisodeState>;
  lastProjection: Projection | null = null;
  lastCapability: Capability | null = null;
  lastValue = Number.NaN;

  constructor(
    readonly characteristic: string,
    readonly spec: SpecRow | undefined,
    private readonly settings: DriftSettings,
    /** Slots of the false-alarm budget on this line (budget.ts), read when a baseline freezes. */
    private readonly slots: () => number,
    /** When the series started and the vision model then: a configured baseline counts from there. */
    startedAt: string,
    modelVersion: string | null,
  ) {
    this.episodes = { mean: newEpisode(), rules: newEpisode(), trend: newEpisode(), capability: newEpisode(), spread: newEpisode(), defects: newEpisode() };
    this.startBaseline(modelVersion, startedAt);
  }

  get learning(): boolean {
    return this.d === null;
  }

  /** Starts a new baseline: the configured one at once, or a fresh phase-I window. */
  startBaseline(modelVersion: string | null, atIso: string): void {
    this.d = null;
    this.units = 0;
    this.blockN = 0;
    this.blockSum = 0;
    this.blockSumSq = 0;
    this.trendN = 0;
    this.trendSum = 0;
    this.lastProjection = null;
    this.lastCapability = null;
    const s = this.spec;
    if (s?.mean !== undefined && s.sigma !== undefined) {
      this.learner = null;
      this.freeze({
        mean: s.mean, sigma: s.sigma, sigmaOverall: s.sigma, sigmaWithin: s.sigmaWithin ?? null, n: 0, excluded: 0,
        learnedAt: atIso, source: 'config', modelVersion,
      });
    } else {
      this.baseline = null;
      this.learner = new PhaseOne(this.settings.phase1Units);
    }
  }

  private freeze(b: Baseline): void {
    const s = this.settings;
    this.baseline = b;
    this.learner = null;
    const design = designFor(s, this.slots(), b.sigmaWithin !== null && b.sigmaWithin > 0);
    this.design = design;
    this.d = {
      cusum: new Cusum(b.mean, b.sigma, s.cusumK, design.cusumH, s.fir),
      cusumLarge: new Cusum(b.mean, b.sigma, s.largeShiftK, design.cusumLargeH, s.fir),
      rules: s.rules === 'none' ? null : new RunRules(s.rules),
      trend: new TrendWindow(TREND_POINTS),
      capability: new RollingCapability(Math.floor(s.capabilityWindow / s.subgroupSize), b.mean),
      spread: b.sigmaWithin ? new SpreadMonitor(b.sigmaWithin, s.lambda, design.spreadL, design.spreadAlpha) : null,
    };
  }

  /**
   * One part. `x` is its value (the mean of its points), `s` and `points` the spread of its points
   * when there are several. Returns true when the baseline was frozen by this unit.
   */
  update(x: number, s: number | undefined, points: number, ctx: UnitContext, modelVersion: string | null, out: Draft[]): boolean {
    this.lastValue = x;
    const d = this.d;
    if (d === null) {
      const learner = this.learner as PhaseOne;
      learner.add(x, s, points);
      if (!learner.done) return false;
      const b = learner.finish(new Date(ctx.tMs).toISOString(), modelVersion);
      if (b) this.freeze(b);
      else this.learner = new PhaseOne(this.settings.phase1Units);
      return b !== null;
    }
    const unit = ++this.units;

    const c = d.cusum.update(x);
    const l = d.cusumLarge.update(x);
    if (c !== 0 || l !== 0) {
      // The small-shift CUSUM names the episode when both signal: its sums say more about a slow drift.
      const chart = c !== 0 ? d.cusum : d.cusumLarge;
      const side = c !== 0 ? c : l;
      const stat = side > 0 ? chart.hi : chart.lo;
      const since = side > 0 ? chart.nHi : chart.nLo;
      this.signal('mean', {
        level: `${c !== 0 ? 'CUSUM' : 'CUSUM-LARGE'}-${side > 0 ? 'UP' : 'DOWN'}`, severity: this.settings.severity.mean, value: sig(stat), limit: sig(chart.H),
        evidence: { statistic: sig(stat), limit: sig(chart.H), k: chart.k, h: sig(chart.h), shiftedMean: sig(chart.shiftedMean(side)), shiftBeganUnitsAgo: since },
      }, ctx, unit, out);
    } else if (d.cusum.hi < d.cusum.H / 2 && d.cusum.lo < d.cusum.H / 2 && d.cusumLarge.hi < d.cusumLarge.H / 2 && d.cusumLarge.lo < d.cusumLarge.H / 2 && this.meanSettled()) {
      this.ok('mean', 1, ctx, out);
    }

    if (d.spread && s !== undefined && points > 1) {
      const r = d.spread.update(s, points);
      this.lastSpread = { s, points };
      if (r.rule) {
        const textbook = d.spread.textbookLimits(points);
        this.signal('spread', {
          level: r.rule, severity: this.settings.severity.spread, value: sig(r.rule === 'S-CHART' ? s : r.statistic), limit: sig(r.limit),
          evidence: { statistic: sig(r.statistic), limit: sig(r.limit), partSpread: sig(s), points, sigmaWithinBaseline: sig(d.spread.sigma), spreadRatio: sig(d.spread.ratio(points)), sChartUcl3: sig(textbook.ucl) },
        }, ctx, unit, out);
      } else if (r.statistic < r.limit / 2) {
        this.ok('spread', 1, ctx, out);
      }
    }

    const dev = x - d.capability.centre;
    this.blockN++;
    this.blockSum += dev;
    this.blockSumSq += dev * dev;
    if (this.blockN >= this.settings.subgroupSize) this.closeBlock(d, ctx, unit, out);
    this.trendN++;
    this.trendSum += dev;
    if (this.trendN >= this.trendBlock) this.closeTrendBlock(d, ctx, unit, out);
    return false;
  }

  private get trendBlock(): number {
    return trendBlockUnits(this.settings);
  }

  /** Every trendWindow/TREND_POINTS units: a point for Theil–Sen, and the projection to the limits. */
  private closeTrendBlock(d: Detectors, ctx: UnitContext, unit: number, out: Draft[]): void {
    const n = this.trendN;
    d.trend.push(unit - (n - 1) / 2, d.capability.centre + this.trendSum / n, ctx.tMs);
    this.trendN = 0;
    this.trendSum = 0;
    const { lsl, usl } = this.spec ?? {};
    // From a few points on, the window growing to its full length: a tool that starts wearing
    // right after a tool change (a new baseline) is watched from the first TREND_MIN_POINTS blocks.
    if ((lsl === undefined && usl === undefined) || d.trend.size < TREND_MIN_POINTS) return;
    const p = d.trend.evaluate(lsl, usl);
    this.lastProjection = p;
    if (p && this.trendDue(p, ctx)) {
      this.signal('trend', {
        level: `TREND-${p.limit}`, severity: this.settings.severity.trend, value: sig(p.level), limit: p.limitValue,
        evidence: { trendZ: sig(p.z), trendZRequired: sig((this.design as Design).trendZ), trendPoints: p.n },
      }, ctx, unit, out);
    } else if (!p || p.limit === null || Math.abs(p.z) < TREND_SETTLED_Z) {
      this.ok('trend', n, ctx, out);
    }
  }

  private closeBlock(d: Detectors, ctx: UnitContext, unit: number, out: Draft[]): void {
    const n = this.blockN;
    const b = this.baseline as Baseline;
    const mean = d.capability.centre + this.blockSum / n;
    d.capability.push(n, this.blockSum, this.blockSumSq);
    this.blockN = 0;
    this.blockSum = 0;
    this.blockSumSq = 0;

    if (d.rules) {
      const z = (mean - b.mean) / (b.sigma / Math.sqrt(n));
      const rule = d.rules.update(z);
      if (rule) {
        this.signal('rules', { level: rule, severity: this.settings.severity.rules, value: sig(mean), limit: null, evidence: { subgroupMean: sig(mean), subgroupZ: sig(z), subgroupSize: n } }, ctx, unit, out);
      } else {
        this.ok('rules', n, ctx, out);
      }
    }

    const { lsl, usl } = this.spec ?? {};
    const cap = d.capability.indices(lsl, usl);
    this.lastCapability = cap;
    if (lsl === undefined && usl === undefined) return;
    if (d.capability.full) {
      const index = cap ? (this.settings.capabilityIndex === 'cpk' ? cap.cpk : cap.ppk) : null;
      const name = this.settings.capabilityIndex.toUpperCase();
      const s = this.settings;
      // The alarm needs evidence: the estimate plus z standard errors (Bissell) still below the
      // threshold. A process truly at Cpk 1.40 wobbles below 1.33 in a 500-unit window now and
      // then; only a process confidently below it alarms. z is at least 1.645 (one-sided 95 %)
      // and higher when the capability share of the false-alarm budget demands it.
      const upper = index !== null && cap ? index + (this.design as Design).capabilityZ * cpkStandardError(index, cap.units) : null;
      if (index !== null && upper !== null && upper < s.cpkMedium) {
        const high = upper < s.cpkHigh;
        const threshold = high ? s.cpkHigh : s.cpkMedium;
        this.signal('capability', {
          level: `${name}<${threshold.toFixed(2)}`, severity: high ? s.severity.capHigh : s.severity.capMedium, value: sig(index), limit: threshold,
          evidence: { index: name, threshold, upperConfidenceBound: sig(upper), confidenceZ: sig((this.design as Design).capabilityZ) },
        }, ctx, unit, out);
      } else if (index !== null && index >= s.cpkMedium + CAPABILITY_HYSTERESIS) {
        // Between the threshold and the band an open episode neither clears nor escalates: an
        // estimate wobbling around 1.33 must not open and close work orders.
        this.ok('capability', n, ctx, out);
      }
    }
  }

  /**
   * An open mean-drift episode only counts units towards clearing once the recent mean is back
   * within three standard errors of the baseline: a tool still worn by half a σ keeps its one
   * episode (and work order) instead of clearing and re-raising every few hundred units.
   */
  private meanSettled(): boolean {
    const r = this.lastCapability;
    const b = this.baseline as Baseline;
    if (!r || r.units < 2 || !this.episodes.mean.open) return true;
    return Math.abs(r.mean - b.mean) <= (3 * b.sigma) / Math.sqrt(r.units);
  }

  /** A trend counts when it is real (Mann–Kendall) and the limit is inside one of the horizons. */
  private trendDue(p: Projection, ctx: UnitContext): boolean {
    if (p.limit === null || p.unitsToLimit === null) return false;
    const z = (this.design as Design).trendZ;
    const real = p.limit === 'USL' ? p.z >= z : p.z <= -z;
    if (!real) return false;
    const s = this.settings;
    if (s.horizonUnits > 0 && p.unitsToLimit <= s.horizonUnits) return true;
    if (s.horizonMinutes > 0 && p.secondsToLimit !== null && p.secondsToLimit <= s.horizonMinutes * 60) return true;
    return s.horizonBatch && ctx.batchRemaining !== null && p.unitsToLimit <= ctx.batchRemaining;
  }

  private signal(family: Family, signal: Signal, ctx: UnitContext, unit: number, out: Draft[]): void {
    const t = onSignal(this.episodes[family], family, signal, ctx.tMs, unit);
    if (t) out.push(this.draft(t, ctx));
  }

  private ok(family: Family, units: number, ctx: UnitContext, out: Draft[]): void {
    const e = this.episodes[family];
    if (!e.open) return;
    const t = onInControl(e, family, units, this.settings.clearAfter);
    if (t) out.push(this.draft(t, ctx));
  }

  /** Ends open episodes (a new baseline makes them meaningless) and starts learning again. */
  rebaseline(reason: string, modelVersion: string | null, ctx: UnitContext, out: Draft[]): void {
    for (const f of FAMILIES) {
      const t = forceClear(this.episodes[f], f, reason);
      if (t) out.push(this.draft(t, ctx));
    }
    this.startBaseline(modelVersion, new Date(ctx.tMs).toISOString());
  }

  get openEpisodes(): number {
    let n = 0;
    for (const f of FAMILIES) if (this.episodes[f].open) n++;
    return n;
  }

  private draft(t: Transition, ctx: UnitContext): Draft {
    return { ...t, characteristic: this.characteristic, atMs: ctx.tMs, details: evidence(this.readout(), t, ctx) };
  }

  snapshot(): MonitorState {
    const d = this.d;
    const episodes: Partial<Record<Family, EpisodeState>> = {};
    for (const f of FAMILIES) if (this.episodes[f].open) episodes[f] = { ...this.episodes[f] };
    return {
      baseline: this.baseline,
      units: this.units,
      cusum: d ? d.cusum.snapshot() : null,
      cusumLarge: d ? d.cusumLarge.snapshot() : null,
      rules: d?.rules ? d.rules.snapshot() : null,
      trend: d ? d.trend.snapshot() : null,
      capability: d ? d.capability.snapshot() : null,
      spreadZ: d?.spread ? d.spread.ewma.z : 0,
      block: { n: this.blockN, sum: this.blockSum, sumSq: this.blockSumSq, trendN: this.trendN, trendSum: this.trendSum },
      episodes,
    };
  }

  /**
   * Restores a snapshot. `detectorsToo` is false when the chart settings changed since it was
   * taken: the frozen baseline and open episodes still hold, the running sums do not.
   */
  restore(s: MonitorState, detectorsToo: boolean): void {
    for (const f of FAMILIES) {
      const e = s.episodes[f];
      if (e) this.episodes[f] = { ...e };
    }
    if (!s.baseline) return;
    // A configured baseline comes from the current settings; the saved charts only fit it if it is unchanged.
    const configured = this.baseline?.source === 'config' ? this.baseline : null;
    if (configured && (s.baseline.source !== 'config' || s.baseline.mean !== configured.mean || s.baseline.sigma !== configured.sigma)) return;
    this.freeze(configured ? { ...s.baseline, sigmaWithin: configured.sigmaWithin } : s.baseline);
    this.units = s.units;
    const d = this.d as Detectors;
    if (!detectorsToo) return;
    if (s.cusum) d.cusum.restore(s.cusum);
    if (s.cusumLarge) d.cusumLarge.restore(s.cusumLarge);
    if (s.rules && d.rules) d.rules.restore(s.rules);
    if (s.trend) d.trend.restore(s.trend);
    if (s.capability) d.capability.restore(s.capability);
    if (d.spread) d.spread.ewma.z = s.spreadZ;
    this.blockN = s.block.n;
    this.blockSum = s.block.sum;
    this.blockSumSq = s.block.sumSq;
    this.trendN = s.block.trendN;
    this.trendSum = s.block.trendSum;
  }

  /**
   * What output 2 carries per record for charting: every chart's point, centre line and limits
   * (`charts`), and the flat fields of earlier versions beside them.
   */
  stats(): Record<string, unknown> {
    return chartStats(this.readout());
  }

  private readout(): MonitorReadout {
    return {
      characteristic: this.characteristic, spec: this.spec, settings: this.settings, design: this.design, baseline: this.baseline,
      units: this.units, learned: this.learner?.size ?? 0, lastValue: this.lastValue, lastProjection: this.lastProjection,
      lastCapability: this.lastCapability, lastSpread: this.lastSpread, detectors: this.d,
    };
  }
}

// The drift engine: inspected units in, maintenance events of kind "drift" out. Pure of Node-RED;
// the node adapter persists the groups it reports as changed and sends what it returns.
import type { Asset, InspectionRecord, MaintenanceEvent, Scalar } from '../contracts';
import type { Family } from './episodes';
import { SeriesGroup, type GroupState } from './group';
import type { Draft } from './monitor-report';
import { pointStats } from './spread';
import type { InspectedUnit } from './record';
import type { Design } from './budget';
import type { DriftSettings } from './settings';

export type Summarize = (state: MaintenanceEvent['state'], family: Family, params: Record<string, string | number>) => string;

interface ProcessResult {
  events: MaintenanceEvent[];
  /** Characteristics not monitored because the series limit is reached. */
  untracked: string[];
  /** A baseline froze or an episode changed: persist this group now. */
  transition: boolean;
  group: SeriesGroup | null;
}

export interface RebaselineFilter {
  assetId?: string;
  product?: string;
  characteristic?: string;
}

const englishFamily: Record<Family, string> = {
  mean: 'mean drift', rules: 'run rule', trend: 'trend toward a spec limit', capability: 'capability loss', spread: 'loss of uniformity', defects: 'defect rate rising',
};

/** The summary when no translation is injected (tests, bench). */
const englishSummary: Summarize = (state, family, p) => {
  const what = `${englishFamily[family]} on ${p.characteristic} (${p.product}) at ${p.asset}`;
  if (state === 'cleared') return `Back in control: ${what}${p.reason ? ` (${p.reason})` : ''}`;
  return `${state === 'escalated' ? 'Escalated: ' : ''}${what}: ${p.level}${p.unitsToLimit !== '' ? `, limit in ~${p.unitsToLimit} units` : ''}`;
};

const SAFE = /[^A-Za-z0-9_:~-]/g;
const idPart = (s: string): string => s.replace(SAFE, '_');

/** FNV-1a, twice with different seeds: a short stable tag for names too long for an id. */
function tag(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}

export function eventIdFor(asset: Asset, product: string, characteristic: string, family: Family, startMs: number, startUnit: number): string {
  const when = `${startMs.toString(36)}-${startUnit.toString(36)}`;
  const full = [asset.siteId, asset.id, product, characteristic, family, when].map(idPart).join('.');
  if (full.length <= 200) return full;
  const short = [idPart(asset.siteId).slice(0, 60), idPart(asset.id).slice(0, 60), tag(`${asset.siteId}\u0000${asset.id}\u0000${product}\u0000${characteristic}`), family, when].join('.');
  return short.slice(0, 200);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export class DriftEngine {
  readonly groups = new Map<string, SeriesGroup>();
  private readonly byAssetId = new Map<string, SeriesGroup[]>();
  private series = 0;
  private readonly drafts: Draft[] = [];

  constructor(
    readonly settings: DriftSettings,
    readonly design: Design,
    readonly fingerprint: string,
    private readonly summarize: Summarize = englishSummary,
  ) {}

  /** Series tracked (one per characteristic, one per asset and product for defects), against `settings.maxSeries`. */
  get seriesCount(): number {
    return this.series;
  }

  private groupFor(asset: Asset, product: string): SeriesGroup | null {
    // Looked up by asset id first: no key string is built per record. The few groups that share
    // an id (other sites, other products) are told apart by a scan.
    let list = this.byAssetId.get(asset.id);
    if (list) {
      for (let i = 0; i < list.length; i++) {
        const g = list[i];
        if (g.product === product && g.asset.siteId === asset.siteId) {
          // The registry may have renamed the location or class; the identity is site + id.
          if (g.asset !== asset) g.asset = asset;
          return g;
        }
      }
    }
    if (this.series >= this.settings.maxSeries) return null;
    const key = `${asset.siteId}\u0000${asset.id}\u0000${product}`;
    const g = new SeriesGroup(key, asset, product, this.settings);
    this.groups.set(key, g);
    if (!list) {
      list = [];
      this.byAssetId.set(asset.id, list);
    }
    list.push(g);
    // The group's defect-rate charts are a series of their own.
    this.series++;
    return g;
  }

  process(u: InspectedUnit): ProcessResult {
    const rec: InspectionRecord = u.record;
    const g = this.groupFor(u.asset, u.product);
    const untracked: string[] = [];
    if (!g) {
      for (const c in rec.measurements ?? {}) untracked.push(c);
      return { events: [], untracked, transition: false, group: null };
    }
    const out = this.drafts;
    out.length = 0;
    g.enter(u.tMs, rec.unitId, rec.batch, rec.batchSize);
    let transition = false;
    const version = rec.modelVersion ?? null;
    if (version !== null && version !== g.modelVersion) {
      // A new model measures differently: a special cause, so a new baseline and no trigger.
      if (g.modelVersion !== null) g.rebaseline(`vision model ${g.modelVersion} → ${version}`, null, out, true);
      g.modelVersion = version;
      transition = true;
    }
    const m = rec.measurements;
    if (m) {
      for (const c in m) {
        const known = g.monitors.has(c);
        const monitor = g.monitor(c, known || this.series < this.settings.maxSeries);
        if (!monitor) {
          if (!known && this.settings.monitorUnspecified) untracked.push(c);
          continue;
        }
        if (!known) this.series++;
        const v = m[c];
        let frozen: boolean;
        if (typeof v === 'number') frozen = monitor.update(v, undefined, 1, g, g.modelVersion, out);
        else if (v.length === 1) frozen = monitor.update(v[0], undefined, 1, g, g.modelVersion, out);
        else {
          const ps = pointStats(v);
          frozen = monitor.update(ps.mean, ps.s, ps.n, g, g.modelVersion, out);
        }
        if (frozen) transition = true;
      }
    }
    if (rec.result !== 'inconclusive') {
      const learning = g.defects.learning;
      g.defects.unit(rec.result === 'fail', this.defectTypes(rec), g.currentBatch, g.currentBatchSize, g.units, g, out);
      if (learning !== g.defects.learning) transition = true;
    }
    g.dirty = true;
    if (out.length > 0) transition = true;
    return { events: out.length > 0 ? out.map((d) => this.toEvent(g, d)) : [], untracked, transition, group: g };
  }

  private defectTypes(rec: InspectionRecord): string[] {
    const defects = rec.defects;
    if (!defects || defects.length === 0 || !this.settings.perDefectType) return [];
    const min = this.settings.minConfidence;
    const types: string[] = [];
    for (const d of defects) {
      if ((d.confidence ?? 1) >= min && !types.includes(d.type)) types.push(d.type);
    }
    return types;
  }

  /** Starts new baselines for the matching series; open episodes end with a "cleared" event. */
  rebaseline(filter: RebaselineFilter, reason: string, atMs: number): { events: MaintenanceEvent[]; groups: SeriesGroup[] } {
    const events: MaintenanceEvent[] = [];
    const touched: SeriesGroup[] = [];
    for (const g of this.groups.values()) {
      if (filter.assetId !== undefined && g.asset.id !== filter.assetId) continue;
      if (filter.product !== undefined && g.product !== filter.product) continue;
      const out: Draft[] = [];
      g.tMs = atMs;
      g.unitId = '';
      g.rebaseline(reason, filter.characteristic ?? null, out);
      for (const d of out) events.push(this.toEvent(g, d));
      touched.push(g);
    }
    return { events, groups: touched };
  }

  toEvent(g: SeriesGroup, d: Draft): MaintenanceEvent {
    const e = d.episode;
    const severity = e.severity;
    const cleared = d.state === 'cleared';
    const details: Record<string, Scalar> = { family: d.family, product: g.product, ...d.details };
    const params: Record<string, string | number> = {
      asset: g.asset.id, product: g.product, characteristic: d.characteristic, level: e.level,
      value: d.signal?.value ?? '', limit: d.signal?.limit ?? '',
      unitsToLimit: typeof details.unitsToLimit === 'number' ? details.unitsToLimit : '',
      reason: d.reason ?? '',
    };
    return {
      kind: 'drift',
      state: d.state,
      eventId: eventIdFor(g.asset, g.product, d.characteristic, d.family, e.startMs, e.startUnit),
      episodeId: `${d.family}-${new Date(e.startMs).toISOString()}-u${e.startUnit}`,
      ruleId: `vision-drift:${d.family}`,
      asset: g.asset,
      metric: cut(d.characteristic, 200),
      value: cleared ? null : d.signal?.value ?? null,
      limit: cleared ? null : d.signal?.limit ?? null,
      level: cut(e.level, 40),
      severity,
      priority: this.settings.priority[severity],
      summary: cut(this.summarize(d.state, d.family, params), 500) || `${d.family} ${d.state}`,
      details,
      occurredAt: new Date(d.atMs).toISOString(),
    };
  }

  snapshot(g: SeriesGroup): GroupState {
    return g.snapshot(this.fingerprint);
  }

  restore(s: GroupState): void {
    if (s?.v !== 1 || !s.asset || typeof s.product !== 'string') return;
    const g = this.groupFor(s.asset, s.product);
    if (!g) return;
    g.restore(s, this.fingerprint, Math.max(0, this.settings.maxSeries - this.series));
    this.series += g.monitors.size;
  }

  /** Counts for the node status. O(series); called on a timer, not per record. */
  counts(): { series: number; learning: number; open: number } {
    let learning = 0;
    let open = 0;
    for (const g of this.groups.values()) {
      open += g.openEpisodes;
      for (const m of g.monitors.values()) if (m.learning) learning++;
    }
    return { series: this.series, learning, open };
  }
}

// Recent points of each series for the sidebar's SPC chart: the individuals chart a plant engineer
// reads (value, centre line, ±3σ control limits from the frozen baseline, spec limits) and the
// episode marks (raised / escalated / cleared). Bounded twice — points per series and series per
// node — so a long run or a line with many characteristics never grows memory. In memory only: the
// chart shows what happened since the last deploy, the durable state lives in the engine.
import type { MaintenanceEvent } from '../contracts';

export interface ChartPoint {
  t: number;
  value: number;
  /** Null while the series is still learning its baseline. */
  centre: number | null;
  ucl: number | null;
  lcl: number | null;
}

interface ChartMark {
  t: number;
  state: MaintenanceEvent['state'];
  family: string;
  eventId: string;
}

interface SeriesInfo {
  key: string;
  asset: string;
  product: string;
  characteristic: string;
  points: number;
  learning: boolean;
}

interface SeriesChart extends SeriesInfo {
  lsl: number | null;
  usl: number | null;
  target: number | null;
  data: ChartPoint[];
  marks: ChartMark[];
}

/** What the cache reads of a characteristic's monitor (CharacteristicMonitor has these). */
export interface MonitorView {
  readonly characteristic: string;
  readonly learning: boolean;
  readonly baseline: { mean: number; sigma: number } | null;
  readonly lastValue: number;
  readonly spec?: { lsl?: number; usl?: number; target?: number };
}

interface Series {
  info: Omit<SeriesInfo, 'points' | 'learning'>;
  monitor: MonitorView;
  ring: ChartPoint[];
  next: number;
  marks: ChartMark[];
}

const MAX_MARKS = 50;

export const seriesKey = (asset: string, product: string, characteristic: string): string => `${asset}|${product}|${characteristic}`;

export class ChartCache {
  private readonly series = new Map<string, Series>();

  constructor(readonly maxPoints = 300, readonly maxSeries = 100) {}

  /** After a unit was processed: one point per characteristic the unit measured. */
  point(asset: string, product: string, m: MonitorView, tMs: number): void {
    if (!Number.isFinite(m.lastValue)) return;
    const key = seriesKey(asset, product, m.characteristic);
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries) return;
      s = { info: { key, asset, product, characteristic: m.characteristic }, monitor: m, ring: [], next: 0, marks: [] };
      this.series.set(key, s);
    }
    s.monitor = m;
    const b = m.learning ? null : m.baseline;
    const p: ChartPoint = { t: tMs, value: m.lastValue, centre: b ? b.mean : null, ucl: b ? b.mean + 3 * b.sigma : null, lcl: b ? b.mean - 3 * b.sigma : null };
    if (s.ring.length < this.maxPoints) s.ring.push(p);
    else s.ring[s.next] = p;
    s.next = (s.next + 1) % this.maxPoints;
  }

  /** An episode of a series changed state (the events the engine sent). */
  mark(asset: string, product: string, e: Pick<MaintenanceEvent, 'metric' | 'state' | 'occurredAt' | 'eventId'> & { details?: Record<string, unknown> }): void {
    const s = this.series.get(seriesKey(asset, product, e.metric));
    if (!s) return;
    const t = Date.parse(e.occurredAt);
    s.marks.push({ t: Number.isFinite(t) ? t : Date.now(), state: e.state, family: String(e.details?.family ?? ''), eventId: e.eventId });
    if (s.marks.length > MAX_MARKS) s.marks.splice(0, s.marks.length - MAX_MARKS);
  }

  list(): SeriesInfo[] {
    return [...this.series.values()].map((s) => ({ ...s.info, points: s.ring.length, learning: s.monitor.learning }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  chart(key: string): SeriesChart | null {
    const s = this.series.get(key);
    if (!s) return null;
    // Oldest first: the ring's tail after `next` is older than its head.
    const data = s.ring.length < this.maxPoints ? s.ring.slice() : [...s.ring.slice(s.next), ...s.ring.slice(0, s.next)];
    const spec = s.monitor.spec;
    return {
      ...s.info, points: data.length, learning: s.monitor.learning, data, marks: s.marks.slice(),
      lsl: spec?.lsl ?? null, usl: spec?.usl ?? null, target: spec?.target ?? null,
    };
  }

  clear(): void {
    this.series.clear();
  }
}

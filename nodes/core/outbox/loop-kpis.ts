// Loop KPIs per asset group, from what the outbox has seen: how long from the alert to the work
// order, how long from the work order to done, and how many work orders were emergencies versus
// planned. Read-only; the rows are the creates the outbox still holds (delivered rows are kept 7
// days), so the window is at most that. `computeLoopKpis` is the pure part, `loopKpis` reads rows.
import type { Database, Statement } from '../storage/sqlite';
import { percentile } from './metrics';

/** What groups assets: their class (pump, press), work group, site/area of the location, site, or each asset. */
export type KpiGrouping = 'class' | 'workGroup' | 'area' | 'site' | 'asset';
export const KPI_GROUPINGS: readonly KpiGrouping[] = ['class', 'workGroup', 'area', 'site', 'asset'];

export interface LoopKpiOptions {
  by?: KpiGrouping;
  /** Work orders whose alert is at or after this time (ms); default 7 days before `now`. */
  since?: number;
  now?: number;
}

/** One work order made by this outbox (a delivered create), as the KPIs need it. */
interface LoopSample {
  event: unknown;
  /** The alert's own time (the event's occurredAt), ms. */
  occurredAt: number;
  /** When the CMMS answered the create, ms. */
  createdAt: number | null;
  /** `created`, or `existing` when the create found its work order already there (no alert → work order time). */
  outcome: string | null;
  /** When the work order was reported done/closed/cancelled, or closed by this outbox; null while open. */
  finishedAt: number | null;
  /** Critical at raise or after an escalation, or sent as Maximo work type EM. */
  emergency: boolean;
  /** Further episodes that joined this work order as notes ("one work order per asset"). */
  joined: number;
}

interface Durations {
  p50: number | null;
  p95: number | null;
  max: number | null;
  samples: number;
}

export interface GroupKpis {
  group: string;
  workOrders: number;
  emergency: number;
  planned: number;
  open: number;
  finished: number;
  joinedEpisodes: number;
  alertToWorkOrderMs: Durations;
  workOrderToDoneMs: Durations;
}

export interface LoopKpis {
  by: KpiGrouping;
  since: number;
  until: number;
  total: Omit<GroupKpis, 'group'>;
  groups: GroupKpis[];
}

const DAY = 86_400_000;
/** The newest creates read at most; an admin page, so bounded rather than exhaustive. */
const MAX_ROWS = 20_000;

interface EventAsset { id?: unknown; siteId?: unknown; location?: unknown; class?: unknown; workGroup?: unknown }

/** The group an event's asset falls in; assets without the field share "(none)". */
export function groupOf(event: unknown, by: KpiGrouping): string {
  const a = ((event as { asset?: EventAsset } | null)?.asset ?? {}) as EventAsset;
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  switch (by) {
    case 'class': return str(a.class) ?? '(none)';
    case 'workGroup': return str(a.workGroup) ?? '(none)';
    case 'site': return str(a.siteId) ?? '(none)';
    case 'asset': return `${str(a.siteId) ?? ''}/${str(a.id) ?? ''}`;
    case 'area': {
      const loc = str(a.location);
      return loc ? loc.split('/').slice(0, 2).join('/') : '(none)';
    }
  }
}

function durations(values: number[]): Durations {
  const sorted = values.filter((v) => Number.isFinite(v) && v >= 0).sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.length ? sorted[sorted.length - 1] : null, samples: sorted.length };
}

function summarise(samples: LoopSample[]): Omit<GroupKpis, 'group'> {
  const emergency = samples.filter((s) => s.emergency).length;
  const finished = samples.filter((s) => s.finishedAt !== null).length;
  return {
    workOrders: samples.length, emergency, planned: samples.length - emergency,
    open: samples.length - finished, finished,
    joinedEpisodes: samples.reduce((n, s) => n + s.joined, 0),
    alertToWorkOrderMs: durations(samples.filter((s) => s.outcome === 'created' && s.createdAt !== null).map((s) => (s.createdAt as number) - s.occurredAt)),
    workOrderToDoneMs: durations(samples.filter((s) => s.finishedAt !== null && s.createdAt !== null).map((s) => (s.finishedAt as number) - (s.createdAt as number))),
  };
}

/** Pure: the KPIs of these work orders, in total and per group (groups sorted by name). */
export function computeLoopKpis(samples: LoopSample[], by: KpiGrouping, since: number, until: number): LoopKpis {
  const groups = new Map<string, LoopSample[]>();
  for (const s of samples) {
    const g = groupOf(s.event, by);
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(s);
  }
  return {
    by, since, until, total: summarise(samples),
    groups: [...groups.keys()].sort().map((group) => ({ group, ...summarise(groups.get(group) as LoopSample[]) })),
  };
}

interface Prepared { creates: Statement; closes: Statement; escalations: Statement; joins: Statement }
const cache = new WeakMap<Database, Prepared>();

function prepared(db: Database): Prepared {
  let s = cache.get(db);
  if (!s) {
    s = {
      creates: db.prepare(`SELECT event_id, event, body, occurred_at, done_at, outcome, wo_finished_at FROM items
        WHERE action = 'create' AND shadow = 0 AND state = 'sent' AND occurred_at >= ? ORDER BY id DESC LIMIT ${MAX_ROWS}`),
      // This outbox's own close (clear action complete/close) ends the work order too.
      closes: db.prepare(`SELECT event_id, MIN(done_at) AS t FROM items
        WHERE action = 'close' AND shadow = 0 AND state = 'sent' AND target_event_id IS NULL AND occurred_at >= ? GROUP BY event_id`),
      escalations: db.prepare(`SELECT DISTINCT event_id FROM items
        WHERE action = 'update' AND shadow = 0 AND target_event_id IS NULL AND occurred_at >= ? AND json_extract(event, '$.severity') = 'critical'`),
      joins: db.prepare(`SELECT target_event_id AS e, COUNT(*) AS n FROM items
        WHERE action = 'note' AND family IS NOT NULL AND shadow = 0 AND state = 'sent' AND occurred_at >= ? GROUP BY target_event_id`),
    };
    cache.set(db, s);
  }
  return s;
}

function parse(json: string): unknown {
  try { return JSON.parse(json) as unknown; } catch { return null; }
}

/** Reads the creates of the window and computes the KPIs. */
export function loopKpis(db: Database, options: LoopKpiOptions & { now: number }): LoopKpis {
  const by = options.by ?? 'class';
  const since = options.since ?? options.now - 7 * DAY;
  const s = prepared(db);
  const closes = new Map((s.closes.all(since) as Array<{ event_id: string; t: number }>).map((r) => [r.event_id, r.t]));
  const escalated = new Set((s.escalations.all(since) as Array<{ event_id: string }>).map((r) => r.event_id));
  const joins = new Map((s.joins.all(since) as Array<{ e: string; n: number }>).map((r) => [r.e, r.n]));
  const rows = s.creates.all(since) as Array<{ event_id: string; event: string; body: string; occurred_at: number; done_at: number | null; outcome: string | null; wo_finished_at: number | null }>;
  const samples = rows.map((r): LoopSample => {
    const event = parse(r.event);
    const body = parse(r.body) as { worktype?: unknown } | null;
    return {
      event, occurredAt: r.occurred_at, createdAt: r.done_at, outcome: r.outcome,
      finishedAt: r.wo_finished_at ?? closes.get(r.event_id) ?? null,
      emergency: (event as { severity?: unknown } | null)?.severity === 'critical' || escalated.has(r.event_id) || body?.worktype === 'EM',
      joined: joins.get(r.event_id) ?? 0,
    };
  });
  return computeLoopKpis(samples, by, since, options.now);
}

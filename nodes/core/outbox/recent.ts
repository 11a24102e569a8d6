// Read-only views for the editor sidebar that the admin pages do not need: the recent work orders
// (creates that reached the CMMS, newest first, with event → work order time) and the audit log
// filtered by time, outcome and event. Statements are prepared once per database, as in
// work-order-links.ts; both queries are bounded by a LIMIT, so a large file costs one page.
import type { Database, Statement } from '../storage/sqlite';
import type { AuditRecord } from './types';
import { toAuditRecord } from './views';

export interface RecentWorkOrder {
  itemId: number;
  eventId: string;
  assetKey: string;
  workOrderId: string | null;
  href: string | null;
  /** `created` or `existing` (found by its reference), as the delivery recorded it. */
  outcome: string | null;
  occurredAt: number;
  deliveredAt: number | null;
  /** Event → work order, ms: from the event's own time to the CMMS's answer. */
  latencyMs: number | null;
  /** What the event said, for the list (summary, severity), when it was stored. */
  summary: string | null;
  severity: string | null;
}

export interface AuditFilter {
  /** Only rows at or after / before these times (ms). */
  since?: number;
  until?: number;
  /** `ok` for successful calls, `failed` for any failure, or one exact outcome word. */
  outcome?: string;
  eventId?: string;
  /** Newest first: rows with an id below this one (the next page). */
  beforeId?: number;
  limit?: number;
}

const MAX = 500;
const cache = new WeakMap<Database, { recent: Statement }>();

function prepared(db: Database): { recent: Statement } {
  let s = cache.get(db);
  if (!s) {
    s = {
      recent: db.prepare(`SELECT id, event_id, asset_key, work_order_id, href, outcome, occurred_at, done_at, event FROM items
        WHERE action = 'create' AND shadow = 0 AND state = 'sent' ORDER BY id DESC LIMIT ?`),
    };
    cache.set(db, s);
  }
  return s;
}

function eventText(json: string): { summary: string | null; severity: string | null } {
  try {
    const e = JSON.parse(json) as { summary?: unknown; severity?: unknown } | null;
    return { summary: typeof e?.summary === 'string' ? e.summary : null, severity: typeof e?.severity === 'string' ? e.severity : null };
  } catch {
    return { summary: null, severity: null };
  }
}

const clampLimit = (n: number | undefined, dflt: number): number => Math.min(MAX, Math.max(1, Math.floor(Number.isFinite(n) ? (n as number) : dflt)));

export function recentWorkOrders(db: Database, limit?: number): RecentWorkOrder[] {
  const rows = prepared(db).recent.all(clampLimit(limit, 50)) as Array<{
    id: number; event_id: string; asset_key: string; work_order_id: string | null; href: string | null; outcome: string | null;
    occurred_at: number; done_at: number | null; event: string;
  }>;
  return rows.map((r) => ({
    itemId: r.id, eventId: r.event_id, assetKey: r.asset_key, workOrderId: r.work_order_id, href: r.href, outcome: r.outcome,
    occurredAt: r.occurred_at, deliveredAt: r.done_at, latencyMs: r.done_at === null ? null : Math.max(0, r.done_at - r.occurred_at),
    ...eventText(r.event),
  }));
}

/**
 * The audit log, newest first, filtered in SQL (the filters are few and fixed, so the statement is
 * built from fixed parts and only the values are bound).
 */
export function auditFiltered(db: Database, f: AuditFilter = {}): AuditRecord[] {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (Number.isFinite(f.since)) { where.push('at >= ?'); args.push(f.since as number); }
  if (Number.isFinite(f.until)) { where.push('at < ?'); args.push(f.until as number); }
  if (f.eventId) { where.push('event_id = ?'); args.push(f.eventId); }
  if (Number.isFinite(f.beforeId)) { where.push('id < ?'); args.push(f.beforeId as number); }
  if (f.outcome === 'ok') where.push('error_class IS NULL');
  else if (f.outcome === 'failed') where.push('error_class IS NOT NULL');
  else if (f.outcome) { where.push('outcome = ?'); args.push(f.outcome); }
  const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  args.push(clampLimit(f.limit, 100));
  return (db.prepare(sql).all(...args) as Record<string, unknown>[]).map(toAuditRecord);
}

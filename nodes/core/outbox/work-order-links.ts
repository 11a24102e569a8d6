// Read-only: which maintenance events a work order came from, for mw-wo-status's linking back.
// The outbox already records the work-order id on every delivered item; this only reads it, through
// the partial index on work_order_id (schema 4; no page at enqueue, where the id is still NULL).
// mw-wo-status caches the answer in its own store.
import type { Database, Statement } from '../storage/sqlite';

export interface WorkOrderLinks {
  /** Event ids, oldest first (the event that created the work order first). */
  eventIds: string[];
  /** The asset of the first event, as the event named it. */
  assetId: string | null;
}

const MAX_EVENTS = 100;
const statements = new WeakMap<Database, { byWo: Statement; byRef: Statement }>();

function prepared(db: Database): { byWo: Statement; byRef: Statement } {
  let s = statements.get(db);
  if (!s) {
    s = {
      byWo: db.prepare(`SELECT event_id, event FROM items WHERE work_order_id = ? AND shadow = 0 ORDER BY id LIMIT ${MAX_EVENTS * 4}`),
      // The create's unique index answers this one.
      byRef: db.prepare("SELECT event_id, event, work_order_id FROM items WHERE event_id = ? AND shadow = 0 AND action = 'create'"),
    };
    statements.set(db, s);
  }
  return s;
}

function assetOf(event: string): string | null {
  try {
    const id = (JSON.parse(event) as { asset?: { id?: unknown } } | null)?.asset?.id;
    return typeof id === 'string' && id !== '' ? id : null;
  } catch {
    return null;
  }
}

/**
 * The events behind `workOrderId`, found by the id the CMMS gave, or by our reference (the eventId
 * the CMMS carries) for a work order whose create is known but not yet recorded as sent. Null when
 * the outbox knows neither.
 */
export function workOrderLinks(db: Database, workOrderId: string, reference?: string | null): WorkOrderLinks | null {
  const s = prepared(db);
  const rows = s.byWo.all(workOrderId) as Array<{ event_id: string; event: string }>;
  if (reference) {
    const r = s.byRef.get(reference) as { event_id: string; event: string; work_order_id: string | null } | undefined;
    // Only a create whose work order is this one, or not yet known (it may still be in flight).
    if (r && (r.work_order_id === null || r.work_order_id === workOrderId)) rows.unshift(r);
  }
  if (rows.length === 0) return null;
  const eventIds: string[] = [];
  for (const r of rows) if (!eventIds.includes(r.event_id) && eventIds.length < MAX_EVENTS) eventIds.push(r.event_id);
  return { eventIds, assetId: assetOf(rows[0].event) };
}

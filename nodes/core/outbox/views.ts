// Rows as the admin endpoints and the sidebar see them, and JSON-lines export in pages (so an
// export never holds a read cursor open across the engine's own writes).
import type { ItemRow } from './store';
import type { AuditRecord, CloseBody, DeadLetter, QueueItem, ShadowRecord } from './types';

function parse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

export function toDeadLetter(r: ItemRow): DeadLetter {
  return {
    itemId: r.id, eventId: r.event_id, action: r.action, assetKey: r.asset_key, nodeId: r.node_id,
    reason: r.dead_reason, error: r.last_error, attempts: r.attempts, enqueuedAt: r.enqueued_at, deadAt: r.done_at,
    body: parse(r.body), event: parse(r.event),
  };
}

/** The client call a shadow item stands for, with the arguments it would have had. */
export function toShadowRecord(r: ItemRow): ShadowRecord {
  const body = parse(r.body) as Record<string, unknown>;
  const workOrder = `the work order of event ${r.event_id}`;
  let call: string;
  let request: unknown;
  switch (r.action) {
    case 'create':
      call = 'createWorkOrder';
      request = { reference: r.event_id, body };
      break;
    case 'close': {
      const c = body as CloseBody;
      call = 'setStatus';
      request = { workOrder, status: c.status ?? 'done', note: c.note ?? null };
      break;
    }
    default:
      call = 'updateWorkOrder';
      request = { workOrder, change: r.action === 'note' ? { note: body.note } : { priority: body.priority, note: body.note } };
  }
  return {
    itemId: r.id, eventId: r.event_id, action: r.action, assetKey: r.asset_key, nodeId: r.node_id,
    recordedAt: r.enqueued_at, call, request, event: parse(r.event),
  };
}

export function toQueueItem(r: ItemRow): QueueItem {
  return {
    itemId: r.id, eventId: r.event_id, action: r.action, assetKey: r.asset_key, nodeId: r.node_id, state: r.state,
    attempts: r.attempts, enqueuedAt: r.enqueued_at, nextAt: r.next_at, deadlineAt: r.deadline_at,
    workOrderId: r.work_order_id, error: r.last_error,
  };
}

export function toAuditRecord(r: Record<string, unknown>): AuditRecord {
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: Number(r.id), at: Number(r.at), connection: String(r.connection), call: String(r.call),
    action: String(r.action) as AuditRecord['action'], method: str(r.method), path: str(r.path), status: num(r.status),
    latencyMs: Number(r.latency_ms), eventId: str(r.event_id), itemId: num(r.item_id), attempt: num(r.attempt),
    outcome: String(r.outcome), errorClass: str(r.error_class), errorMessage: str(r.error_message),
  };
}

/** Pages through `fetch(afterId)` and yields one JSON line per record. */
export function* jsonLines<T>(
  fetch: (afterId: number, limit: number) => T[],
  idOf: (rec: T) => number,
  pageSize = 500,
): Generator<string> {
  let after = 0;
  for (;;) {
    const page = fetch(after, pageSize);
    for (const rec of page) yield `${JSON.stringify(rec)}\n`;
    if (page.length < pageSize) return;
    after = idOf(page[page.length - 1]);
  }
}

// A damaged outbox moved aside still holds what can be read: its undelivered items are read row by
// row (a row that cannot be read is counted, not fatal) and queued again in the fresh file, creates
// marked for lookup (the old file may have sent them). Their event ids keep the dedupe: a create
// already in the fresh file is not queued twice.
import { loadSqlite } from '../storage/sqlite';
import type { ItemRow, Store } from './store';

interface Salvaged {
  requeued: number;
  /** Rows that could not be read or stored again. */
  unreadable: number;
}

/** How far past the last row id the reader probes for more rows after an unreadable stretch. */
const PROBE_IDS = 10_000;

export function salvage(movedTo: string, store: Store, now: number): Salvaged {
  const out: Salvaged = { requeued: 0, unreadable: 0 };
  let db;
  try {
    db = new (loadSqlite())(movedTo, { fileMustExist: true });
  } catch {
    return out;
  }
  try {
    let ids: number[];
    try {
      ids = (db.prepare("SELECT id FROM items WHERE state IN ('pending', 'inflight', 'retry-wait') ORDER BY id").all() as { id: number }[]).map((r) => r.id);
    } catch {
      // The index or the table's inner pages are damaged: probe ids one by one.
      let top = 0;
      try { top = Number((db.prepare("SELECT value FROM meta WHERE key = 'id_floor'").get() as { value: string } | undefined)?.value ?? 0); } catch { top = 0; }
      ids = Array.from({ length: Math.max(top, 0) + PROBE_IDS }, (_, i) => i + 1);
    }
    let byId;
    try {
      byId = db.prepare('SELECT * FROM items WHERE id = ?');
    } catch {
      // Not readable as a database at all (zeroed, garbage): nothing to salvage.
      return out;
    }
    for (const id of ids) {
      let row: ItemRow | undefined;
      try {
        row = byId.get(id) as ItemRow | undefined;
      } catch {
        out.unreadable += 1;
        continue;
      }
      if (!row || !['pending', 'inflight', 'retry-wait'].includes(row.state)) continue;
      try {
        const stored = store.insert({
          eventId: row.event_id, action: row.action, connection: row.connection, assetKey: row.asset_key, nodeId: row.node_id,
          body: row.body, event: row.event, shadow: false, occurredAt: row.occurred_at, enqueuedAt: row.enqueued_at,
          deadlineAt: Math.max(row.deadline_at, now), bytes: row.bytes, ambiguous: row.action === 'create',
          // Absent in files older than schema 4.
          targetEventId: row.target_event_id ?? null, family: row.family ?? null,
        }, true);
        if (stored !== null) out.requeued += 1;
      } catch {
        out.unreadable += 1;
      }
    }
  } finally {
    db.close();
  }
  return out;
}

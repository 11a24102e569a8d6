// Every SQL statement of the queue, prepared once per open file. The store (store.ts) runs them;
// keeping the text apart keeps the class to what it does with the rows.
import type { Database, Statement } from '../storage/sqlite';

/** The states of an undelivered item (SQL list). */
const ACTIVE = "('pending', 'inflight', 'retry-wait')";
/** How many of the oldest pending rows a claim looks at; bounds its cost under a big backlog. */
const CLAIM_WINDOW = 1000;
export function prepareStatements(db: Database): Record<string, Statement> {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    insert: p(`INSERT INTO items (id, event_id, action, connection, asset_key, node_id, body, event, bytes, shadow, state,
        occurred_at, enqueued_at, deadline_at, next_at, ambiguous, target_event_id, family)
      VALUES (@id, @eventId, @action, @connection, @assetKey, @nodeId, @body, @event, @bytes, @shadow, @state,
        @occurredAt, @enqueuedAt, @deadlineAt, @enqueuedAt, @ambiguous, @targetEventId, @family)`),
    joinFor: p("SELECT * FROM items WHERE event_id = ? AND shadow = ? AND action = 'note' AND family IS NOT NULL"),
    // The newest create of the asset (and family) whose work order is not known to be over: not
    // finished, not dead, and not closed by this outbox's own close for its event.
    openCreate: p(`SELECT * FROM items i WHERE action = 'create' AND wo_finished = 0 AND asset_key = @assetKey AND shadow = @shadow
        AND state <> 'dead' AND (@family IS NULL OR family = @family)
        AND NOT EXISTS (SELECT 1 FROM items c WHERE c.event_id = i.event_id AND c.action = 'close' AND c.target_event_id IS NULL AND c.state <> 'dead')
      ORDER BY id DESC LIMIT 1`),
    finishByWorkOrder: p("UPDATE items SET wo_finished = 1, wo_finished_at = ? WHERE work_order_id = ? AND action = 'create' AND wo_finished = 0"),
    finishByEvent: p("UPDATE items SET wo_finished = 1, wo_finished_at = ? WHERE event_id = ? AND action = 'create' AND wo_finished = 0"),
    createFor: p("SELECT * FROM items WHERE event_id = ? AND shadow = ? AND action = 'create'"),
    byId: p('SELECT * FROM items WHERE id = ?'),
    // Only ids and asset keys are read for the window; full rows only for the few picked.
    pendingWindow: p(`SELECT id, asset_key FROM items WHERE state = 'pending' ORDER BY id LIMIT ${CLAIM_WINDOW}`),
    activeOrder: p(`SELECT id, asset_key FROM items WHERE state IN ${ACTIVE} ORDER BY id`),
    maxId: p('SELECT MAX(id) AS id FROM items'),
    dueRetries: p("SELECT * FROM items WHERE state = 'retry-wait' AND next_at <= ? ORDER BY id LIMIT ?"),
    nextRetryAt: p("SELECT MIN(next_at) AS t FROM items WHERE state = 'retry-wait'"),
    nextLeaseEnd: p("SELECT MIN(lease_until) AS t FROM items WHERE state = 'inflight'"),
    lease: p("UPDATE items SET state = 'inflight', lease_until = ?, attempts = attempts + 1 WHERE id = ? AND state IN ('pending', 'retry-wait')"),
    sent: p("UPDATE items SET state = 'sent', work_order_id = ?, href = ?, outcome = ?, done_at = ?, lease_until = NULL, ambiguous = 0, link_wait = 0, last_error = NULL WHERE id = ?"),
    // A standby's hold before an item's first attempt: not an attempt, so the claim's count is taken back.
    defer: p("UPDATE items SET state = 'retry-wait', next_at = ?, last_error = ?, attempts = MAX(0, attempts - 1), lease_until = NULL WHERE id = ?"),
    retry: p("UPDATE items SET state = 'retry-wait', next_at = ?, last_error = ?, ambiguous = ?, link_wait = ?, auth_failures = ?, lease_until = NULL WHERE id = ?"),
    dead: p("UPDATE items SET state = 'dead', dead_reason = ?, last_error = ?, done_at = ?, lease_until = NULL, link_wait = 0 WHERE id = ?"),
    reclaim: p(`UPDATE items SET state = 'pending', lease_until = NULL, next_at = ?,
        ambiguous = CASE WHEN action = 'create' THEN 1 ELSE ambiguous END
      WHERE state = 'inflight' AND lease_until <= ? AND id NOT IN (SELECT value FROM json_each(?))`),
    // Rows leased by a process that is gone: nothing of it runs any more, so they go back now.
    reclaimAll: p(`UPDATE items SET state = 'pending', lease_until = NULL, next_at = ?,
        ambiguous = CASE WHEN action = 'create' THEN 1 ELSE ambiguous END
      WHERE state = 'inflight'`),
    metaGet: p('SELECT value FROM meta WHERE key = ?'),
    metaSet: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    shiftRetries: p("UPDATE items SET next_at = next_at + ? WHERE state = 'retry-wait'"),
    shiftLeases: p("UPDATE items SET lease_until = lease_until + ? WHERE state = 'inflight'"),
    linkUp: p("UPDATE items SET next_at = ?, link_wait = 0 WHERE state = 'retry-wait' AND link_wait = 1"),
    // Deadlines grow with the id (a replay gets a new id and a new deadline), so the oldest rows
    // are the ones to look at; retry-wait rows are few (at most one per asset).
    expiredPending: p("SELECT * FROM (SELECT * FROM items WHERE state = 'pending' ORDER BY id LIMIT ?) WHERE deadline_at <= ?"),
    expiredRetries: p("SELECT * FROM items WHERE state = 'retry-wait' AND deadline_at <= ? ORDER BY id"),
    oldestActive: p(`SELECT MIN(enqueued_at) AS t FROM (
        SELECT enqueued_at FROM (SELECT enqueued_at FROM items WHERE state = 'pending' ORDER BY id LIMIT 1)
        UNION ALL SELECT enqueued_at FROM (SELECT enqueued_at FROM items WHERE state = 'inflight' ORDER BY id LIMIT 1)
        UNION ALL SELECT enqueued_at FROM (SELECT enqueued_at FROM items WHERE state = 'retry-wait' ORDER BY id LIMIT 1))`),
    hasActive: p(`SELECT 1 FROM items WHERE state IN ${ACTIVE} LIMIT 1`),
    countState: p('SELECT COUNT(*) AS n FROM items WHERE state = ?'),
    heldTotals: p("SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM items WHERE state <> 'sent'"),
    listState: p('SELECT * FROM items WHERE state = ? AND id > ? ORDER BY id LIMIT ?'),
    deleteItem: p('DELETE FROM items WHERE id = ? AND state = ?'),
    pruneSent: p("DELETE FROM items WHERE id IN (SELECT id FROM items WHERE state = 'sent' AND done_at < ? LIMIT ?)"),
    pruneShadow: p("DELETE FROM items WHERE id IN (SELECT id FROM items WHERE state = 'shadow' AND enqueued_at < ? ORDER BY id LIMIT ?) RETURNING bytes"),
    audit: p(`INSERT INTO audit (at, connection, call, action, method, path, status, latency_ms, event_id, item_id, attempt, outcome, error_class, error_message)
      VALUES (@at, @connection, @call, @action, @method, @path, @status, @latencyMs, @eventId, @itemId, @attempt, @outcome, @errorClass, @errorMessage)`),
    auditList: p('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?'),
    auditForEvent: p('SELECT * FROM audit WHERE event_id = ? ORDER BY id LIMIT ?'),
    pruneAudit: p('DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY at LIMIT ?)'),
  };
}

// All SQL of the queue, as prepared statements. The engine passes the time in; the store keeps no
// clock and no policy, only rows and the counters needed to answer "how full" without a scan.
import type { Database, Statement } from '../storage/sqlite';
import { AssetOrder } from './asset-order';
import type { AuditRecord, DeadReason, ItemState, OutboxAction } from './types';

export interface ItemRow {
  id: number;
  event_id: string;
  action: OutboxAction;
  connection: string;
  asset_key: string;
  node_id: string;
  body: string;
  event: string;
  bytes: number;
  shadow: number;
  state: ItemState;
  occurred_at: number;
  enqueued_at: number;
  deadline_at: number;
  next_at: number;
  attempts: number;
  auth_failures: number;
  lease_until: number | null;
  ambiguous: number;
  link_wait: number;
  work_order_id: string | null;
  href: string | null;
  outcome: string | null;
  dead_reason: DeadReason | null;
  last_error: string | null;
  done_at: number | null;
  /** A note of an episode that joined another event's work order: that event's id (schema 4). */
  target_event_id: string | null;
  /** On creates and joining notes: the rule family the episode belongs to (schema 4). */
  family: string | null;
  /** On creates: 1 once the work order is known to be done, closed or cancelled (schema 4). */
  wo_finished: number;
  /** On creates: when the work order was reported finished (the status's own time), ms. */
  wo_finished_at: number | null;
}

export interface NewItem {
  eventId: string;
  action: OutboxAction;
  connection: string;
  assetKey: string;
  nodeId: string;
  body: string;
  event: string;
  shadow: boolean;
  occurredAt: number;
  enqueuedAt: number;
  deadlineAt: number;
  /** Stored size of body and event, counted against the outbox's byte cap. */
  bytes: number;
  /** Replayed creates look the work order up before sending. */
  ambiguous?: boolean;
  /** The event whose work order this item changes, when not its own (an episode joined it). */
  targetEventId?: string | null;
  /** Creates and joining notes: the rule family, for "one work order per asset and rule family". */
  family?: string | null;
}

/** An audit row before the database gives it an id. */
export type AuditEntry = Omit<AuditRecord, 'id'>;

export interface Held {
  rows: number;
  bytes: number;
}

/** SQLite's answer to a second row with the same unique key (here: a second create for one event). */
function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function itemBytes(body: string, event: string): number {
  return Buffer.byteLength(body) + Buffer.byteLength(event);
}

const ACTIVE = "('pending', 'inflight', 'retry-wait')";
/** The same states, for the per-asset order kept in memory: only these are in it. */
const ACTIVE_STATES: ReadonlySet<ItemState> = new Set(['pending', 'inflight', 'retry-wait']);

/** How many of the oldest pending rows a claim looks at; bounds its cost under a big backlog. */
const CLAIM_WINDOW = 1000;

export class Store {
  /** Rows the outbox holds (everything not delivered) and their bytes; kept in step with writes. */
  readonly held: Held = { rows: 0, bytes: 0 };
  private readonly s: Record<string, Statement>;
  private readonly order = new AssetOrder();
  /** The id the next item gets. Ids only grow, across restarts too, so a deleted item's id is never reused. */
  private nextId = 1;
  /** The highest id recorded in meta as used; written before rows are deleted, since then MAX(id) may fall. */
  private floorSaved = 0;

  constructor(readonly db: Database) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.s = {
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
    this.recount();
  }

  /**
   * Recomputes what the store keeps beside the table (held counters, per-asset order, next id) from
   * the table: at open, and after a write failed inside a transaction that rolled back.
   */
  recount(): void {
    this.recountHeld();
    this.order.clear();
    for (const r of this.s.activeOrder.iterate() as IterableIterator<{ id: number; asset_key: string }>) this.order.add(r.asset_key, r.id);
    const floor = Number(this.metaGet('id_floor') ?? 0);
    this.floorSaved = Number.isSafeInteger(floor) && floor > 0 ? floor : 0;
    const max = (this.s.maxId.get() as { id: number | null }).id ?? 0;
    // Ids a rolled-back insert took are skipped rather than handed out again: gaps are harmless.
    this.nextId = Math.max(this.nextId - 1, max, this.floorSaved) + 1;
  }

  /** Only the held counters (one aggregate query): the periodic safety net against drift. */
  recountHeld(): void {
    const t = this.s.heldTotals.get() as { n: number; b: number };
    this.held.rows = t.n;
    this.held.bytes = t.b;
  }

  /**
   * Runs `fn` in one transaction; if it fails, what the store keeps in memory is rebuilt from the
   * table — once, by the outermost call, after everything has rolled back.
   */
  atomically<R>(fn: () => R): R {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      if (this.db.open && !this.db.inTransaction) this.recount();
      throw e;
    }
  }

  private metaGet(key: string): string | undefined {
    return (this.s.metaGet.get(key) as { value: string } | undefined)?.value;
  }

  /** Records the id high-water mark before rows are deleted (a no-op when it is already recorded). */
  private keepFloor(): void {
    const top = this.nextId - 1;
    if (top <= this.floorSaved) return;
    this.s.metaSet.run('id_floor', String(top));
    this.floorSaved = top;
  }

  /**
   * Stores a new item and returns its id. With `dedupe`, a create whose event is already stored is
   * not an error: the unique index refuses it and the answer is null.
   */
  insert(item: NewItem): number;
  insert(item: NewItem, dedupe: boolean): number | null;
  insert(item: NewItem, dedupe = false): number | null {
    const bytes = item.bytes;
    const id = this.nextId;
    const row = {
      id, eventId: item.eventId, action: item.action, connection: item.connection, assetKey: item.assetKey,
      nodeId: item.nodeId, body: item.body, event: item.event, bytes, shadow: item.shadow ? 1 : 0,
      state: item.shadow ? 'shadow' : 'pending', occurredAt: item.occurredAt, enqueuedAt: item.enqueuedAt,
      deadlineAt: item.deadlineAt, ambiguous: item.ambiguous ? 1 : 0,
      targetEventId: item.targetEventId ?? null, family: item.family ?? null,
    };
    try {
      this.s.insert.run(row);
    } catch (e) {
      if (dedupe && (item.action === 'create' || (item.action === 'note' && item.family != null)) && isUniqueViolation(e)) return null;
      throw e;
    }
    this.nextId = id + 1;
    this.held.rows += 1;
    this.held.bytes += bytes;
    if (!item.shadow) this.order.add(item.assetKey, id);
    return id;
  }

  createFor(eventId: string, shadow: boolean): ItemRow | undefined {
    return this.s.createFor.get(eventId, shadow ? 1 : 0) as ItemRow | undefined;
  }

  /** The note by which an event's episode joined another event's work order, if it did. */
  joinFor(eventId: string, shadow: boolean): ItemRow | undefined {
    return this.s.joinFor.get(eventId, shadow ? 1 : 0) as ItemRow | undefined;
  }

  /** The create whose work order is open for the asset (and family, when given), newest first. */
  openCreateFor(assetKey: string, family: string | null, shadow: boolean): ItemRow | undefined {
    return this.s.openCreate.get({ assetKey, family, shadow: shadow ? 1 : 0 }) as ItemRow | undefined;
  }

  /** The work order is over: the creates that made it no longer take joining episodes. Returns the rows changed. */
  finishWorkOrder(workOrderId: string | null, eventIds: readonly string[], at: number): number {
    return this.db.transaction(() => {
      let n = workOrderId ? this.s.finishByWorkOrder.run(at, workOrderId).changes : 0;
      for (const e of eventIds) n += this.s.finishByEvent.run(at, e).changes;
      return n;
    })();
  }

  byId(id: number): ItemRow | undefined {
    return this.s.byId.get(id) as ItemRow | undefined;
  }

  hasEarlierForAsset(assetKey: string, id: number): boolean {
    return this.order.hasEarlier(assetKey, id);
  }

  /** The oldest pending items (within the claim window) with nothing older undelivered for their asset. */
  private pendingHeads(n: number): ItemRow[] {
    const heads: number[] = [];
    // Read lazily and left as soon as enough are found: under a backlog most claims need a few rows.
    for (const r of this.s.pendingWindow.iterate() as IterableIterator<{ id: number; asset_key: string }>) {
      if (this.order.hasEarlier(r.asset_key, r.id)) continue;
      heads.push(r.id);
      if (heads.length >= n) break;
    }
    const out: ItemRow[] = [];
    for (const id of heads) {
      const row = this.byId(id);
      if (row) out.push(row);
    }
    return out;
  }

  /**
   * Leases up to `n` items that may go now: due retries and the oldest pending item of every asset
   * with nothing earlier still undelivered. A retry-wait or in-flight item is always the oldest
   * undelivered item of its asset, so it blocks the rest of that asset.
   */
  claim(now: number, n: number, leaseUntil: number): ItemRow[] {
    if (n <= 0) return [];
    return this.db.transaction(() => {
      const rows = [...(this.s.dueRetries.all(now, n) as ItemRow[]), ...this.pendingHeads(n)]
        .sort((a, b) => a.id - b.id)
        .slice(0, n);
      for (const r of rows) {
        this.s.lease.run(leaseUntil, r.id);
        r.state = 'inflight';
        r.attempts += 1;
        r.lease_until = leaseUntil;
      }
      return rows;
    })();
  }

  nextRetryAt(): number | null {
    return (this.s.nextRetryAt.get() as { t: number | null }).t;
  }

  nextLeaseEnd(): number | null {
    return (this.s.nextLeaseEnd.get() as { t: number | null }).t;
  }

  /** Transitions and their audit rows commit together: one fsync per outcome. */
  markSent(row: ItemRow, workOrderId: string | null, href: string | null, outcome: string, now: number, audit: AuditEntry[]): void {
    this.db.transaction(() => {
      this.s.sent.run(workOrderId, href, outcome, now, row.id);
      for (const a of audit) this.s.audit.run(a);
    })();
    this.held.rows -= 1;
    this.held.bytes -= row.bytes;
    this.order.remove(row.asset_key, row.id);
  }

  markRetry(row: ItemRow, nextAt: number, error: string, ambiguous: boolean, linkWait: boolean, authFailures: number, audit: AuditEntry[]): void {
    this.db.transaction(() => {
      this.s.retry.run(nextAt, error, ambiguous ? 1 : 0, linkWait ? 1 : 0, authFailures, row.id);
      for (const a of audit) this.s.audit.run(a);
    })();
  }

  /** Puts a just-claimed item back to wait until `nextAt` without counting the claim as an attempt. */
  defer(row: ItemRow, nextAt: number, reason: string): void {
    this.s.defer.run(nextAt, reason, row.id);
  }

  markDead(row: ItemRow, reason: DeadReason, error: string, now: number, audit: AuditEntry[]): void {
    this.db.transaction(() => {
      this.s.dead.run(reason, error, now, row.id);
      for (const a of audit) this.s.audit.run(a);
    })();
    this.order.remove(row.asset_key, row.id);
  }

  /** Leases that ran out go back to pending; a create among them may have reached the CMMS. */
  reclaimExpired(now: number, keep: Iterable<number>): number {
    return this.s.reclaim.run(now, now, JSON.stringify([...keep])).changes;
  }

  /** Every leased row goes back to pending (their holder is gone); creates are looked up before resending. */
  reclaimAll(now: number): number {
    return this.s.reclaimAll.run(now).changes;
  }

  /** The highest item id ever handed out (deleted rows included). */
  highWater(): number {
    return this.nextId - 1;
  }

  /** The random id this file got when it was created (see ../storage/high-water.ts); made on first call. */
  generation(make: () => string): { id: string; isNew: boolean } {
    const id = this.metaGet('generation');
    if (id) return { id, isNew: false };
    const made = make();
    this.s.metaSet.run('generation', made);
    return { id: made, isNew: true };
  }

  /** The process that last opened this file, as `encodeOwner` wrote it; null for a new file. */
  owner(): string | null {
    return this.metaGet('owner') ?? null;
  }

  setOwner(owner: string): void {
    this.s.metaSet.run('owner', owner);
  }

  /** The wall-clock time this file was last known to be in use, or null for a new file. */
  lastSeen(): number | null {
    const t = Number(this.metaGet('last_seen') ?? NaN);
    return Number.isFinite(t) ? t : null;
  }

  noteSeen(now: number): void {
    this.s.metaSet.run('last_seen', String(now));
  }

  /** The wall clock jumped by `ms`: retry times and leases move with it, so each wait keeps its length. */
  shiftWaits(ms: number): void {
    this.db.transaction(() => {
      this.s.shiftRetries.run(ms);
      this.s.shiftLeases.run(ms);
    })();
  }

  linkUp(now: number): number {
    return this.s.linkUp.run(now).changes;
  }

  /** Undelivered rows past their deadline, oldest first; at most `window` pending ones per call. */
  expired(now: number, window: number): { rows: ItemRow[]; more: boolean } {
    const pending = this.s.expiredPending.all(window, now) as ItemRow[];
    const retries = this.s.expiredRetries.all(now) as ItemRow[];
    return { rows: [...retries, ...pending].sort((a, b) => a.id - b.id), more: pending.length === window };
  }

  oldestActiveEnqueuedAt(): number | null {
    return (this.s.oldestActive.get() as { t: number | null }).t;
  }

  hasActive(): boolean {
    return this.s.hasActive.get() !== undefined;
  }

  count(state: ItemState): number {
    return (this.s.countState.get(state) as { n: number }).n;
  }

  list(state: ItemState, afterId: number, limit: number): ItemRow[] {
    return this.s.listState.all(state, afterId, limit) as ItemRow[];
  }

  /** Deletes a row if it is (still) in `state`; keeps the counters right. */
  delete(row: ItemRow, state: ItemState): boolean {
    this.keepFloor();
    const gone = this.s.deleteItem.run(row.id, state).changes === 1;
    if (gone && state !== 'sent') {
      this.held.rows -= 1;
      this.held.bytes -= row.bytes;
    }
    if (gone && ACTIVE_STATES.has(state)) this.order.remove(row.asset_key, row.id);
    return gone;
  }

  /** Puts a dead letter back at the end of the queue under a new id, keeping its eventId. */
  replay(row: ItemRow, now: number, deadlineAt: number): number | null {
    return this.atomically(() => {
      if (!this.delete(row, 'dead')) return null;
      return this.insert({
        eventId: row.event_id, action: row.action, connection: row.connection, assetKey: row.asset_key,
        nodeId: row.node_id, body: row.body, event: row.event, shadow: false, occurredAt: row.occurred_at,
        enqueuedAt: now, deadlineAt, bytes: row.bytes, ambiguous: row.action === 'create',
        targetEventId: row.target_event_id, family: row.family,
      });
    });
  }

  audit(entries: AuditEntry[]): void {
    this.db.transaction(() => { for (const a of entries) this.s.audit.run(a); })();
  }

  auditList(afterId: number, limit: number): Record<string, unknown>[] {
    return this.s.auditList.all(afterId, limit) as Record<string, unknown>[];
  }

  auditForEvent(eventId: string, limit: number): Record<string, unknown>[] {
    return this.s.auditForEvent.all(eventId, limit) as Record<string, unknown>[];
  }

  /** Deletes in batches so a large prune never holds the event loop for long. */
  pruneAudit(before: number, batch: number): number {
    return this.s.pruneAudit.run(before, batch).changes;
  }

  pruneSent(before: number, batch: number): number {
    this.keepFloor();
    return this.s.pruneSent.run(before, batch).changes;
  }

  /** Shadow records count against the caps, so old ones go like audit rows do. */
  pruneShadow(before: number, batch: number): number {
    this.keepFloor();
    const gone = this.s.pruneShadow.all(before, batch) as { bytes: number }[];
    for (const g of gone) {
      this.held.rows -= 1;
      this.held.bytes -= g.bytes;
    }
    return gone.length;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

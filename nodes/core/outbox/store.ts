// The queue's rows in SQLite: the engine passes the time in; the store keeps no clock and no
// policy, only rows and the counters needed to answer "how full" without a scan. The statements
// are in statements.ts, the row types in rows.ts (re-exported here for the store's users).
import type { Database, Statement } from '../storage/sqlite';
import { AssetOrder } from './asset-order';
import type { AuditEntry, Held, ItemRow, NewItem } from './rows';
import { prepareStatements } from './statements';
import type { DeadReason, ItemState } from './types';

export { itemBytes, type AuditEntry, type Held, type ItemRow, type NewItem } from './rows';

/** SQLite's answer to a second row with the same unique key (here: a second create for one event). */
function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** The states of an undelivered item, for the per-asset order kept in memory: only these are in it. */
const ACTIVE_STATES: ReadonlySet<ItemState> = new Set(['pending', 'inflight', 'retry-wait']);

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
    this.s = prepareStatements(db);
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

// The durable outbox: every work-order action is committed to SQLite before `enqueue()` returns,
// then delivered oldest first, in order per asset, with backoff, lookup-before-resend and a
// deadline. Pure of Node-RED: the client, clock, timers, random source and file path are injected.
import { OutboxAdmin } from './admin';
import { DeliveryEngine } from './engine';
import { openDatabase, wrapStorageError } from './open';
import { checkInput, fullMessage, occurredMs } from './settings';
import { itemBytes, Store, type ItemRow } from './store';
import { workOrderLinks, type WorkOrderLinks } from './work-order-links';
import {
  OutboxFullError, type EnqueueInput, type EnqueueResult, type OutboxEvents, type OutboxMetrics, type OutboxOptions,
} from './types';

export class Outbox extends DeliveryEngine {
  readonly admin: OutboxAdmin;

  constructor(options: OutboxOptions) {
    super(options);
    this.admin = new OutboxAdmin(() => this.db(), this.settings, () => {
      this.checkCapacity();
      this.pump();
    });
  }

  on<K extends keyof OutboxEvents>(event: K, listener: OutboxEvents[K]): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<K extends keyof OutboxEvents>(event: K, listener: OutboxEvents[K]): this {
    this.emitter.off(event, listener);
    return this;
  }

  get isOpen(): boolean {
    return this.store !== null;
  }

  /** Opens (or creates) the file; attach listeners first, a corrupt file is reported from here. */
  open(): void {
    if (this.store) return;
    const s = this.settings;
    const db = openDatabase(s.file, {
      check: s.checkOnOpen, maxDatabasePages: s.maxDatabasePages, now: s.now,
      onMovedAside: (to, why) => this.problem({
        code: 'corrupt-moved-aside', file: to,
        message: `the outbox ${s.file} was corrupt (${why}); it was moved to ${to} and a fresh outbox started. Items in the old file were not delivered: inspect it.`,
      }),
    });
    try {
      const store = new Store(db);
      const now = s.now();
      // The clock was set back while the process was down: the stored waits move back by as much
      // as can be seen (the downtime hides the rest), so none lasts longer than it had left.
      const seen = store.lastSeen();
      if (seen !== null && seen - now >= 1000) store.shiftWaits(now - seen);
      // A previous process died with these in flight; their leases have run out.
      store.reclaimExpired(now, []);
      this.store = store;
    } catch (e) {
      db.close();
      throw wrapStorageError(e, `cannot open the outbox ${s.file}`);
    }
    this.checkCapacity();
  }

  /** Starts delivering; opens the file first if needed. */
  start(): void {
    this.open();
    if (this.running) return;
    this.running = true;
    // Runs now (expired items, old leases) and then schedules itself.
    this.housekeeping();
  }

  /** Stops sending, waits up to `budgetMs` for requests in flight; unfinished rows stay leased. */
  async stop(budgetMs = 5000): Promise<{ unfinished: number }> {
    this.running = false;
    this.clearTimers();
    if (this.inflight.size > 0) {
      let budget: unknown = null;
      await Promise.race([
        Promise.allSettled([...this.inflight.values()]),
        new Promise<void>((resolve) => { budget = this.settings.timers.setTimeout(resolve, budgetMs); }),
      ]);
      this.settings.timers.clearTimeout(budget);
    }
    return { unfinished: this.inflight.size };
  }

  /** Closes the file. Requests still in flight finish unrecorded; their rows are reclaimed at next open. */
  close(): void {
    this.running = false;
    this.clearTimers();
    if (this.store?.db.open) this.noteSeen(this.store, this.settings.now());
    this.store?.close();
    this.store = null;
  }

  enqueue(input: EnqueueInput): EnqueueResult {
    checkInput(input);
    const store = this.db();
    const s = this.settings;
    const now = this.clock();
    const shadow = input.shadow ?? s.shadow;
    const create = input.action === 'create';
    let itemId: number;
    try {
      const body = JSON.stringify(input.body);
      const event = JSON.stringify(input.event ?? null);
      const bytes = itemBytes(body, event);
      if (store.held.rows + 1 > s.maxRows || store.held.bytes + bytes > s.maxBytes) {
        // A repeat of an event already stored is answered even when the outbox is full.
        const dup = create ? store.createFor(input.eventId, shadow) : undefined;
        if (dup) return this.duplicate(dup, shadow);
        this.checkCapacity('full');
        throw new OutboxFullError(fullMessage(s, store.held, input.eventId));
      }
      // The unique index on creates is the dedupe check: no lookup before the insert, which is the
      // usual case; a conflict means the event is already here, and only then is it read.
      const inserted = store.insert({
        eventId: input.eventId, action: input.action, connection: s.connection, assetKey: input.assetKey, nodeId: input.nodeId,
        body, event, bytes, shadow, occurredAt: occurredMs(input.occurredAt, now), enqueuedAt: now, deadlineAt: now + s.deadlineMs,
      }, create);
      if (inserted === null) {
        const dup = store.createFor(input.eventId, shadow);
        if (!dup) throw new Error(`event ${input.eventId} conflicts with a stored create that cannot be read back`);
        return this.duplicate(dup, shadow);
      }
      itemId = inserted;
    } catch (e) {
      if (e instanceof OutboxFullError || e instanceof TypeError) throw e;
      throw wrapStorageError(e, `cannot store event ${input.eventId}`);
    }
    this.checkCapacity();
    if (shadow) {
      this.metrics.count('shadow');
      return { outcome: 'shadow', itemId };
    }
    const waiting = !this.running || !this.link.open(now) || this.inflight.size >= s.concurrency || store.hasEarlierForAsset(input.assetKey, itemId);
    if (waiting) {
      this.metrics.count('queued');
      this.emitResult({
        eventId: input.eventId, cmms: s.connection, workOrderId: null, href: null, outcome: 'queued', attempts: 0, latencyMs: null,
        nodeId: input.nodeId, action: input.action, itemId,
      });
    }
    this.pump();
    return { outcome: 'queued', itemId, waiting };
  }

  private duplicate(dup: ItemRow, shadow: boolean): EnqueueResult {
    this.metrics.count('duplicate');
    if (shadow) return { outcome: 'duplicate-shadow', itemId: dup.id };
    if (dup.state === 'sent') return { outcome: 'existing', itemId: dup.id, workOrderId: dup.work_order_id ?? '', href: dup.href };
    if (dup.state === 'dead') return { outcome: 'duplicate-dead', itemId: dup.id, reason: dup.dead_reason };
    return { outcome: 'duplicate-pending', itemId: dup.id };
  }

  getMetrics(): OutboxMetrics {
    const store = this.db();
    const now = this.settings.now();
    const oldest = store.oldestActiveEnqueuedAt();
    return {
      outcomes: { ...this.metrics.outcomes },
      pending: store.count('pending') + store.count('inflight') + store.count('retry-wait'),
      inflight: this.inflight.size,
      dead: store.count('dead'),
      shadow: store.count('shadow'),
      oldestPendingAgeMs: oldest === null ? null : Math.max(0, now - oldest),
      latencyMs: this.metrics.latencyPercentiles(),
      errors: { ...this.metrics.errors },
      errorRate: this.metrics.errorRate(),
      calls: this.metrics.calls,
      capacity: this.capacity(),
      link: this.link.snapshot(),
    };
  }

  /** Read-only: the events a work order was made from (mw-wo-status links statuses back with it). */
  linksFor(workOrderId: string, reference?: string | null): WorkOrderLinks | null {
    return workOrderLinks(this.db().db, workOrderId, reference);
  }

  /** Resolves once nothing is in flight (for tests and for an orderly shutdown). */
  async whenIdle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }
}

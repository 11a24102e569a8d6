// The durable outbox: every work-order action is committed to SQLite before `enqueue()` returns,
// then delivered oldest first, in order per asset, with backoff, lookup-before-resend and a
// deadline. Pure of Node-RED: the client, clock, timers, random source and file path are injected.
// Composed of named collaborators, each behind its own small interface: the file (OutboxFile →
// StoreAccess), the delivery loop (DeliveryLoop → DeliveryControl), the admin (OutboxAdmin) and
// the listeners (Signals → OutboxSignals). The outbox itself owns enqueue and the lifecycle.
import type { RequestOutcome } from '../cmms/types';
import { OutboxAdmin } from './admin';
import type { BackoffPolicy } from './classify';
import { DeliveryLoop, type DeliveryControl } from './engine';
import { Signals } from './events';
import { OutboxFile } from './file';
import { Link } from './link';
import { Metrics } from './metrics';
import { wrapStorageError } from './open';
import { checkInput, fullMessage, occurredMs, settle, type Settings } from './settings';
import { itemBytes, type ItemRow } from './store';
import { workOrderLinks, type WorkOrderLinks } from './work-order-links';
import { loopKpis, type LoopKpiOptions, type LoopKpis } from './loop-kpis';

import { auditFiltered, recentWorkOrders, type AuditFilter, type RecentWorkOrder } from './recent';
import {
  OutboxFullError, type AuditRecord, type FinishedWorkOrder, type CapacityEvent, type EnqueueInput, type EnqueueResult, type OutboxEvents, type OutboxMetrics, type OutboxOptions,
} from './types';

/** How long one reading of the loop KPIs is answered again (see Outbox.loopKpis). */
const LOOP_KPI_REUSE_MS = 10_000;

export class Outbox {
  readonly settings: Settings;
  readonly metrics: Metrics;
  readonly link: Link;
  readonly admin: OutboxAdmin;
  private readonly signals: Signals;
  private readonly file: OutboxFile;
  private readonly delivery: DeliveryControl;

  constructor(options: OutboxOptions) {
    const s = settle(options);
    this.settings = s;
    const policy: BackoffPolicy = { baseMs: s.backoffBaseMs, capMs: s.backoffCapMs, random: s.random };
    this.metrics = new Metrics(s.latencyWindow);
    this.link = new Link(s.linkDownAfter, policy);
    this.signals = new Signals(s);
    this.file = new OutboxFile(s, this.signals);
    this.delivery = new DeliveryLoop({
      settings: s, client: options.client, file: this.file, signals: this.signals, metrics: this.metrics, link: this.link, policy,
    });
    this.admin = new OutboxAdmin(() => this.file.get(), s, () => {
      this.checkCapacity();
      this.delivery.pump();
    });
  }

  on<K extends keyof OutboxEvents>(event: K, listener: OutboxEvents[K]): this {
    this.signals.on(event, listener);
    return this;
  }

  off<K extends keyof OutboxEvents>(event: K, listener: OutboxEvents[K]): this {
    this.signals.off(event, listener);
    return this;
  }

  /**
   * Give this every request outcome of the client (its `onOutcome`): requests made for the
   * outbox's own calls become audit rows with method, path and status; the client's other traffic
   * (health probes, polling, asset checks) runs outside those calls and is ignored.
   */
  observe(outcome: RequestOutcome): void {
    this.delivery.observe(outcome);
  }

  get isOpen(): boolean {
    return this.file.current !== null;
  }

  /** Opens (or creates) the file; attach listeners first, a corrupt file is reported from here. */
  open(): void {
    if (this.file.current) return;
    this.file.open();
    this.checkCapacity();
  }

  /** Starts delivering; opens the file first if needed. */
  start(): void {
    this.open();
    this.delivery.start();
  }

  /** Stops sending, waits up to `budgetMs` for requests in flight; unfinished rows stay leased. */
  async stop(budgetMs = 5000): Promise<{ unfinished: number }> {
    return { unfinished: await this.delivery.stop(budgetMs) };
  }

  /** Closes the file. Requests still in flight finish unrecorded; their rows are reclaimed at next open. */
  close(): void {
    this.delivery.halt();
    this.file.close();
  }

  enqueue(input: EnqueueInput): EnqueueResult {
    checkInput(input);
    const store = this.file.get();
    const s = this.settings;
    const delivery = this.delivery;
    const now = delivery.clock();
    const shadow = input.shadow ?? s.shadow;
    const create = input.action === 'create';
    let itemId: number;
    let action = input.action;
    try {
      const joined = this.joinTarget(input, shadow);
      if (joined && 'dup' in joined) return this.duplicate(joined.dup, shadow);
      action = joined?.action ?? input.action;
      const body = JSON.stringify(joined?.body ?? input.body);
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
      const joining = create && joined !== null;
      const inserted = store.insert({
        eventId: input.eventId, action, connection: s.connection, assetKey: input.assetKey, nodeId: input.nodeId,
        body, event, bytes, shadow, occurredAt: occurredMs(input.occurredAt, now), enqueuedAt: now, deadlineAt: now + s.deadlineMs,
        targetEventId: joined?.target ?? null, family: create ? input.family ?? '' : null,
      }, create);
      if (inserted === null) {
        const dup = joining ? store.joinFor(input.eventId, shadow) : store.createFor(input.eventId, shadow);
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
    const waiting = !delivery.running || !this.link.open(now) || delivery.inflight >= s.concurrency || store.hasEarlierForAsset(input.assetKey, itemId);
    if (waiting) {
      this.metrics.count('queued');
      this.signals.result({
        eventId: input.eventId, cmms: s.connection, workOrderId: null, href: null, outcome: 'queued', attempts: 0, latencyMs: null,
        nodeId: input.nodeId, action, itemId,
      });
    }
    delivery.pump();
    return { outcome: 'queued', itemId, waiting };
  }

  /**
   * Whether the event's item goes to another event's work order: a create under "one work order
   * per asset" that finds the asset's work order open becomes a joining note; a later change of an
   * event that joined goes to the same work order (its close only as a note: the other episodes'
   * work is not over). `dup` when the event already joined (a repeat of the raise).
   */
  private joinTarget(input: EnqueueInput, shadow: boolean): { action: EnqueueInput['action']; body: Record<string, unknown>; target: string } | { dup: ItemRow } | null {
    const store = this.file.get();
    if (input.action !== 'create') {
      const joined = store.joinFor(input.eventId, shadow);
      if (!joined?.target_event_id) return null;
      return { action: input.action === 'close' ? 'note' : input.action, body: input.action === 'close' ? { note: input.body.note ?? '' } : input.body, target: joined.target_event_id };
    }
    if (!input.onePer || input.onePer === 'episode' || !input.joinBody) return null;
    const joined = store.joinFor(input.eventId, shadow);
    if (joined) return { dup: joined };
    // Its own create already stored (made while the policy was "per episode"): that one answers.
    if (store.createFor(input.eventId, shadow)) return null;
    const open = store.openCreateFor(input.assetKey, input.onePer === 'asset-family' ? input.family ?? '' : null, shadow);
    return open ? { action: 'note', body: input.joinBody, target: open.event_id } : null;
  }

  /**
   * The work order is done, closed or cancelled (a status from mw-wo-status, or fed into
   * mw-work-order): the next episode of its asset makes a new work order. Returns the creates marked.
   */
  workOrderFinished(workOrderId: string | null, eventIds: readonly string[] = [], at?: number): number {
    return this.workOrdersFinished([{ workOrderId, eventIds, at }]);
  }

  /** Several at once, in one transaction (mw-wo-status hands over a drained batch). */
  workOrdersFinished(list: readonly FinishedWorkOrder[]): number {
    const store = this.file.get();
    const now = this.settings.now();
    return store.atomically(() => list.reduce((n, f) => n + store.finishWorkOrder(f.workOrderId, f.eventIds ?? [], f.at ?? now), 0));
  }

  /**
   * Read-only: the loop KPIs per asset group over the work orders this outbox still holds (loop-kpis.ts).
   * Reading them parses every delivered create of the last 7 days — tens of ms of event loop with a
   * few thousand — and the metrics route that carries them may be polled every second by a dashboard,
   * so one answer per grouping and window is reused for LOOP_KPI_REUSE_MS.
   */
  loopKpis(options?: LoopKpiOptions): LoopKpis {
    const now = this.settings.now();
    const key = `${options?.by ?? ''}|${options?.since ?? ''}|${options?.now ?? ''}`;
    const hit = this.kpiCache.get(key);
    if (hit && now - hit.at >= 0 && now - hit.at < LOOP_KPI_REUSE_MS && hit.db === this.file.get().db) return hit.value;
    const db = this.file.get().db;
    const value = loopKpis(db, { now, ...options });
    if (this.kpiCache.size > 20) this.kpiCache.clear();
    this.kpiCache.set(key, { at: now, db, value });
    return value;
  }

  private readonly kpiCache = new Map<string, { at: number; db: unknown; value: LoopKpis }>();

  private duplicate(dup: ItemRow, shadow: boolean): EnqueueResult {
    this.metrics.count('duplicate');
    if (shadow) return { outcome: 'duplicate-shadow', itemId: dup.id };
    if (dup.state === 'sent') return { outcome: 'existing', itemId: dup.id, workOrderId: dup.work_order_id ?? '', href: dup.href };
    if (dup.state === 'dead') return { outcome: 'duplicate-dead', itemId: dup.id, reason: dup.dead_reason };
    return { outcome: 'duplicate-pending', itemId: dup.id };
  }

  getMetrics(): OutboxMetrics {
    const store = this.file.get();
    const now = this.settings.now();
    const oldest = store.oldestActiveEnqueuedAt();
    return {
      outcomes: { ...this.metrics.outcomes },
      pending: store.count('pending') + store.count('inflight') + store.count('retry-wait'),
      inflight: this.delivery.inflight,
      dead: store.count('dead'),
      shadow: store.count('shadow'),
      oldestPendingAgeMs: oldest === null ? null : Math.max(0, now - oldest),
      latencyMs: this.metrics.latencyPercentiles(),
      errors: { ...this.metrics.errors },
      errorRate: this.metrics.errorRate(),
      calls: this.metrics.calls,
      capacity: this.signals.capacitySnapshot(store.held),
      link: this.link.snapshot(),
    };
  }

  /** Read-only: the events a work order was made from (mw-wo-status links statuses back with it). */
  linksFor(workOrderId: string, reference?: string | null): WorkOrderLinks | null {
    return workOrderLinks(this.file.get().db, workOrderId, reference);
  }

  /** Read-only, for the sidebar: creates that reached the CMMS, newest first. */
  recentWorkOrders(limit?: number): RecentWorkOrder[] {
    return recentWorkOrders(this.file.get().db, limit);
  }

  /** Read-only, for the sidebar: the audit log newest first, filtered by time, outcome and event. */
  auditFiltered(filter?: AuditFilter): AuditRecord[] {
    return auditFiltered(this.file.get().db, filter);
  }

  /** Resolves once nothing is in flight (for tests and for an orderly shutdown). */
  whenIdle(): Promise<void> {
    return this.delivery.whenIdle();
  }

  private checkCapacity(forced?: CapacityEvent['level']): void {
    this.signals.capacity(this.file.current?.held ?? { rows: 0, bytes: 0 }, forced);
  }
}

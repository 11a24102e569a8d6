// The delivery loop behind the outbox: claims due items, runs them against the CMMS client,
// records each outcome in one commit, probes while the CMMS is away, and does the housekeeping.
// The public API (enqueue, lifecycle, admin) is in outbox.ts.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestOutcome } from '../cmms/types';
import { describeFailure, decide, type BackoffPolicy } from './classify';
import { deliver, probeOnce, type Delivery, type Trace } from './deliver';
import { ClockWatch } from './clock';
import { CapacityGauge, Emitter } from './events';
import { Link } from './link';
import { Metrics } from './metrics';
import { wrapStorageError } from './open';
import { settle, duration, type Settings } from './settings';
import type { AuditEntry, ItemRow, Store } from './store';
import type { CapacityEvent, DeadReason, OutboxOptions, OutboxResult, ProblemEvent } from './types';

const DAY = 86_400_000;

export class DeliveryEngine {
  readonly settings: Settings;
  readonly metrics: Metrics;
  readonly link: Link;
  protected store: Store | null = null;
  protected readonly emitter = new Emitter();
  private readonly gauge: CapacityGauge;
  private readonly policy: BackoffPolicy;
  protected running = false;
  protected readonly inflight = new Map<number, Promise<void>>();
  private passTimer: unknown = null;
  private wakeTimer: unknown = null;
  private wakeAt: number | null = null;
  private houseTimer: unknown = null;
  private probing = false;
  /** When a lease held by an earlier run ends and its row can be taken back. */
  private reclaimAt: number | null = null;
  private houseRuns = 0;
  /** The requests of the client call in progress, per async context; see observe(). */
  private readonly calls = new AsyncLocalStorage<RequestOutcome[]>();
  private readonly trace: Trace = (sink, fn) => this.calls.run(sink, fn);
  private readonly watch: ClockWatch;

  constructor(protected readonly options: OutboxOptions) {
    this.settings = settle(options);
    const s = this.settings;
    this.policy = { baseMs: s.backoffBaseMs, capMs: s.backoffCapMs, random: s.random };
    this.metrics = new Metrics(s.latencyWindow);
    this.link = new Link(s.linkDownAfter, this.policy);
    this.gauge = new CapacityGauge(s.maxRows, s.maxBytes, s.highWater);
    this.watch = new ClockWatch(s.now, s.monotonic);
  }

  /**
   * The wall-clock time for scheduling. Every path that compares or writes a wait reads it here,
   * so a step of the clock moves the stored waits before anything is decided against them.
   */
  protected clock(): number {
    const step = this.watch.step();
    if (step !== 0) {
      if (this.wakeAt !== null) this.wakeAt += step;
      if (this.reclaimAt !== null) this.reclaimAt += step;
      this.link.shift(step);
      try {
        this.store?.shiftWaits(step);
      } catch (e) {
        this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot move waits after the clock was set').message });
      }
    }
    return this.settings.now();
  }

  /**
   * Give this every request outcome of the client (its `onOutcome`): requests made for the
   * outbox's own calls become audit rows with method, path and status; the client's other traffic
   * (health probes, polling, asset checks) runs outside those calls and is ignored.
   */
  observe(outcome: RequestOutcome): void {
    this.calls.getStore()?.push(outcome);
  }

  protected db(): Store {
    if (!this.store) throw new Error('the outbox is not open');
    return this.store;
  }

  /** Asks for a drain pass on the next turn of the event loop (coalesced). */
  protected pump(): void {
    if (!this.running || this.passTimer !== null) return;
    this.passTimer = this.settings.timers.setTimeout(() => {
      this.passTimer = null;
      this.drain();
    }, 0);
  }

  private wake(at: number): void {
    if (!this.running) return;
    if (this.wakeTimer !== null && this.wakeAt !== null && this.wakeAt <= at) return;
    if (this.wakeTimer !== null) this.settings.timers.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    // A floor keeps an item that is due but cannot be claimed from spinning the loop.
    const delay = Math.max(10, at - this.settings.now());
    this.wakeTimer = this.settings.timers.setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = null;
      this.drain();
    }, delay);
  }

  private drain(): void {
    const store = this.store;
    if (!this.running || !store) return;
    const s = this.settings;
    const now = this.clock();
    if (this.reclaimAt !== null) {
      if (now >= this.reclaimAt) this.reclaim(store, now);
      // A timer may fire a millisecond before the wall clock gets there, or give way to an
      // earlier wake-up: the lease's own wake-up must not be lost with it.
      else this.wake(this.reclaimAt);
    }
    if (!this.link.open(now)) {
      const at = this.link.nextAt ?? now;
      if (this.link.state === 'down' && !this.probing && at <= now) {
        // Probe only when there is something to deliver; an idle outbox stays quiet.
        if (store.hasActive()) this.probe();
      } else if (!this.probing) {
        this.wake(at);
      }
      return;
    }
    const free = s.concurrency - this.inflight.size;
    let rows: ItemRow[] = [];
    try {
      rows = store.claim(now, free, now + s.leaseMs);
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot claim items to deliver').message });
      this.wake(now + s.backoffBaseMs);
      return;
    }
    for (const row of rows) {
      const task = this.run(row).finally(() => {
        this.inflight.delete(row.id);
        this.pump();
      });
      this.inflight.set(row.id, task);
    }
    if (this.inflight.size < s.concurrency) {
      const next = store.nextRetryAt();
      if (next !== null) this.wake(next);
    }
  }

  /** Never rejects: a failure to record the outcome is reported, and the lease brings the row back. */
  private async run(row: ItemRow): Promise<void> {
    const s = this.settings;
    let d: Delivery;
    if (s.now() >= row.deadline_at) {
      d = { kind: 'dead', reason: 'expired', message: this.expiredMessage(row), audit: [] };
      // Claiming counted an attempt that was never made.
      row.attempts = Math.max(0, row.attempts - 1);
    } else {
      try {
        d = await deliver(row, { client: this.options.client, connection: s.connection, now: s.now, createFor: (id) => this.store?.createFor(id, false), trace: this.trace });
      } catch (e) {
        d = { kind: 'failed', error: e, audit: [] };
      }
    }
    if (!this.store) return;
    try {
      this.apply(row, d);
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, `cannot record the delivery of event ${row.event_id}`).message });
    }
  }

  private apply(row: ItemRow, d: Delivery): void {
    const store = this.db();
    const s = this.settings;
    const now = this.clock();
    for (const a of d.audit) this.metrics.call(a.errorClass ? a.errorClass.split('/')[0] : null);
    const base = { eventId: row.event_id, cmms: s.connection, nodeId: row.node_id, action: row.action, itemId: row.id, attempts: row.attempts };
    switch (d.kind) {
      case 'sent': {
        store.markSent(row, d.workOrderId, d.href, d.outcome, now, d.audit);
        if (this.link.delivered()) this.linkRestored(store, now);
        const latencyMs = row.action === 'create' ? Math.max(0, now - row.occurred_at) : null;
        if (d.outcome === 'created' && latencyMs !== null) this.metrics.latency(latencyMs);
        this.metrics.count(d.outcome);
        this.checkCapacity();
        this.emitResult({ ...base, workOrderId: d.workOrderId, href: d.href, outcome: d.outcome, latencyMs });
        return;
      }
      case 'wait':
        store.markRetry(row, now + s.backoffBaseMs, 'waiting for the create of this event', row.ambiguous === 1, false, row.auth_failures, d.audit);
        return;
      case 'dead':
        this.kill(row, d.reason, d.message, d.audit);
        return;
      case 'failed': {
        const f = describeFailure(d.error);
        if (this.link.failed(f, now)) this.linkChanged();
        else if (!f.linkDown && f.retryAfterMs === undefined && this.link.reachable()) this.linkRestored(store, now);
        const authFailures = row.auth_failures + (f.errorClass === 'auth' ? 1 : 0);
        const lookedUp = row.action !== 'create' || row.ambiguous === 1;
        const decision = decide(f, { attempts: row.attempts, authFailures, lookedUp }, s.authRetries, this.policy);
        if (decision.kind === 'dead') {
          this.kill(row, decision.reason, f.message, d.audit);
          return;
        }
        // Never retry after the deadline: the last wake-up lands on it and expires the item.
        const nextAt = Math.min(now + decision.delayMs, row.deadline_at);
        store.markRetry(row, nextAt, f.message.slice(0, 1000), row.ambiguous === 1 || f.ambiguous, f.linkDown, authFailures, d.audit);
      }
    }
  }

  private kill(row: ItemRow, reason: DeadReason, message: string, audit: AuditEntry[]): void {
    this.emitResult(this.markDead(row, reason, message, audit));
  }

  private markDead(row: ItemRow, reason: DeadReason, message: string, audit: AuditEntry[]): OutboxResult {
    const s = this.settings;
    this.db().markDead(row, reason, message.slice(0, 1000), s.now(), audit);
    this.metrics.count('dead');
    return {
      eventId: row.event_id, cmms: s.connection, workOrderId: null, href: null, outcome: 'dead', attempts: row.attempts,
      latencyMs: null, nodeId: row.node_id, action: row.action, itemId: row.id, deadReason: reason, error: message,
    };
  }

  private expiredMessage(row: ItemRow): string {
    const last = row.last_error ? `; last error: ${row.last_error}` : '';
    return `not delivered within ${duration(this.settings.deadlineMs)} of being queued${last}`;
  }

  /**
   * Items past their deadline become dead letters, a batch per commit (a long outage can expire
   * thousands at once). Returns true when more may be waiting.
   */
  private expireOverdue(store: Store, now: number): boolean {
    const { rows, more } = store.expired(now, 200);
    if (rows.length === 0) return false;
    const results = store.atomically(() => rows.map((row) => this.markDead(row, 'expired', this.expiredMessage(row), [])));
    for (const r of results) this.emitResult(r);
    return more;
  }

  private async probe(): Promise<void> {
    const s = this.settings;
    this.probing = true;
    const { result: r, entries } = await probeOnce(this.options.client, s.connection, s.now, this.trace);
    this.probing = false;
    const store = this.store;
    if (!store) return;
    for (const e of entries) this.metrics.call(e.errorClass ? e.errorClass.split('/')[0] : null);
    try {
      store.audit(entries);
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot write the audit log').message });
    }
    const now = this.clock();
    const changed = this.link.probed(r, now);
    if (this.link.state === 'up') this.linkRestored(store, now, changed);
    else if (changed) this.linkChanged();
    if (this.link.state === 'up') this.pump();
    else if (this.link.nextAt !== null) this.wake(this.link.nextAt);
  }

  protected housekeeping(): void {
    const store = this.store;
    if (!this.running || !store) return;
    const s = this.settings;
    const now = this.clock();
    let backlog = false;
    try {
      // Bounded work per run, so the event loop is never held for long; leftovers come soon after.
      for (let i = 0; i < 5; i++) {
        backlog = this.expireOverdue(store, now);
        if (!backlog) break;
      }
      this.reclaim(store, now);
      backlog = store.pruneAudit(now - s.auditRetentionDays * DAY, 2000) === 2000 || backlog;
      backlog = store.pruneSent(now - s.sentRetentionDays * DAY, 2000) === 2000 || backlog;
      backlog = store.pruneShadow(now - s.auditRetentionDays * DAY, 2000) === 2000 || backlog;
      // The counters are kept in step with every write; recounting them (a table scan) is only a
      // safety net, so it runs once an hour-ish rather than on every pass.
      if (++this.houseRuns % Math.max(1, Math.round(3600_000 / s.housekeepingMs)) === 0) store.recountHeld();
      this.checkCapacity();
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'housekeeping failed').message });
    }
    this.noteSeen(store, now);
    if (this.houseTimer !== null) s.timers.clearTimeout(this.houseTimer);
    this.houseTimer = s.timers.setTimeout(() => {
      this.houseTimer = null;
      this.housekeeping();
    }, backlog ? 0 : s.housekeepingMs);
    this.pump();
  }

  /** Lets the next start see whether the clock was set back while the process was down. */
  protected noteSeen(store: Store, now: number): void {
    try {
      store.noteSeen(now);
    } catch {
      // Only a hint for the next start; a full disk is reported by the writes that matter.
    }
  }

  /** Takes back rows whose lease ran out (not ours in flight), and plans the next such moment. */
  private reclaim(store: Store, now: number): void {
    this.reclaimAt = null;
    try {
      store.reclaimExpired(now, this.inflight.keys());
      const lease = store.nextLeaseEnd();
      if (lease !== null && lease > now) {
        this.reclaimAt = lease;
        this.wake(lease);
      }
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot take back expired leases').message });
    }
  }

  protected clearTimers(): void {
    const t = this.settings.timers;
    for (const h of [this.passTimer, this.wakeTimer, this.houseTimer]) if (h !== null) t.clearTimeout(h);
    this.passTimer = this.wakeTimer = this.houseTimer = null;
    this.wakeAt = null;
  }

  // ---- events ----------------------------------------------------------------------------------

  protected capacity(): CapacityEvent {
    return this.gauge.snapshot(this.store?.held ?? { rows: 0, bytes: 0 });
  }

  protected checkCapacity(forced?: CapacityEvent['level']): void {
    const changed = this.gauge.update(this.store?.held ?? { rows: 0, bytes: 0 }, forced);
    if (changed) this.emitter.emit('capacity', changed);
  }

  /** Items that waited only because the CMMS was away become due now, oldest first. */
  private linkRestored(store: Store, now: number, announce = true): void {
    try {
      store.linkUp(now);
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot resume delivery').message });
    }
    if (announce) this.linkChanged();
  }

  private linkChanged(): void {
    this.emitter.emit('link', this.link.snapshot());
  }

  protected emitResult(r: OutboxResult): void {
    this.emitter.emit('result', r);
  }

  protected problem(p: ProblemEvent): void {
    this.emitter.emit('problem', p);
  }
}

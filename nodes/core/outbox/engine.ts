// The delivery loop behind the outbox: claims due items, runs them against the CMMS client,
// records each outcome in one commit, probes while the CMMS is away, and does the housekeeping.
// A collaborator of Outbox (outbox.ts), not a base class: it reaches the file through StoreAccess
// and tells what happened through OutboxSignals; enqueue, lifecycle and admin are the outbox's.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CmmsClient, RequestOutcome } from '../cmms/types';
import { describeFailure, decide, type BackoffPolicy } from './classify';
import { deliver, probeOnce, type Delivery, type Trace } from './deliver';
import { ClockWatch } from './clock';
import type { OutboxSignals } from './events';
import { noteSeen, type StoreAccess } from './file';
import type { Link } from './link';
import type { Metrics } from './metrics';
import { wrapStorageError } from './open';
import { duration, type Settings } from './settings';
import type { AuditEntry, ItemRow, Store } from './store';
import { standbyHoldUntil } from './standby';
import { TimerSlot } from './timer';
import type { DeadReason, OutboxResult, ProblemEvent } from './types';

const DAY = 86_400_000;

/** What the outbox asks of its delivery loop. */
export interface DeliveryControl {
  readonly running: boolean;
  /** Requests in flight now. */
  readonly inflight: number;
  /** The wall-clock time for scheduling (moves stored waits first when the clock was stepped). */
  clock(): number;
  /** Asks for a drain pass on the next turn of the event loop (coalesced). */
  pump(): void;
  start(): void;
  /** Stops sending and clears the timers at once; requests in flight run on. */
  halt(): void;
  /** halt(), then waits up to `budgetMs` for requests in flight; returns how many did not finish. */
  stop(budgetMs: number): Promise<number>;
  whenIdle(): Promise<void>;
  observe(outcome: RequestOutcome): void;
}

interface DeliveryDeps {
  settings: Settings;
  client: CmmsClient;
  file: StoreAccess;
  signals: OutboxSignals;
  metrics: Metrics;
  link: Link;
  policy: BackoffPolicy;
}

export class DeliveryLoop implements DeliveryControl {
  private readonly settings: Settings;
  private readonly file: StoreAccess;
  private readonly signals: OutboxSignals;
  private readonly metrics: Metrics;
  private readonly link: Link;
  private readonly policy: BackoffPolicy;
  private isRunning = false;
  private readonly tasks = new Map<number, Promise<void>>();
  private readonly passTimer: TimerSlot;
  /** Re-armed only to fire earlier; its `at` moves with a step of the clock. */
  private readonly wakeTimer: TimerSlot;
  private readonly houseTimer: TimerSlot;
  private probing = false;
  /** When a lease held by an earlier run ends and its row can be taken back. */
  private reclaimAt: number | null = null;
  private houseRuns = 0;
  /** The requests of the client call in progress, per async context; see observe(). */
  private readonly calls = new AsyncLocalStorage<RequestOutcome[]>();
  private readonly trace: Trace = (sink, fn) => this.calls.run(sink, fn);
  private readonly watch: ClockWatch;

  constructor(private readonly deps: DeliveryDeps) {
    this.settings = deps.settings;
    this.file = deps.file;
    this.signals = deps.signals;
    this.metrics = deps.metrics;
    this.link = deps.link;
    this.policy = deps.policy;
    const s = this.settings;
    this.passTimer = new TimerSlot(s.timers);
    this.wakeTimer = new TimerSlot(s.timers);
    this.houseTimer = new TimerSlot(s.timers);
    this.watch = new ClockWatch(s.now, s.monotonic);
  }

  get running(): boolean {
    return this.isRunning;
  }

  get inflight(): number {
    return this.tasks.size;
  }

  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    // Runs now (expired items, old leases) and then schedules itself.
    this.housekeeping();
  }

  halt(): void {
    this.isRunning = false;
    this.passTimer.clear();
    this.wakeTimer.clear();
    this.houseTimer.clear();
  }

  async stop(budgetMs: number): Promise<number> {
    this.halt();
    if (this.tasks.size > 0) {
      const budget = new TimerSlot(this.settings.timers);
      await Promise.race([
        Promise.allSettled([...this.tasks.values()]),
        new Promise<void>((resolve) => { budget.set(resolve, budgetMs); }),
      ]);
      budget.clear();
    }
    return this.tasks.size;
  }

  /** Resolves once nothing is in flight (for tests and for an orderly shutdown). */
  async whenIdle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks.values()]);
  }

  /**
   * The wall-clock time for scheduling. Every path that compares or writes a wait reads it here,
   * so a step of the clock moves the stored waits before anything is decided against them.
   */
  clock(): number {
    const step = this.watch.step();
    if (step !== 0) {
      if (this.wakeTimer.at !== null) this.wakeTimer.at += step;
      if (this.reclaimAt !== null) this.reclaimAt += step;
      this.link.shift(step);
      try {
        this.file.current?.shiftWaits(step);
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

  pump(): void {
    if (!this.isRunning || this.passTimer.armed) return;
    this.passTimer.set(() => this.drain(), 0);
  }

  private wake(at: number): void {
    if (!this.isRunning) return;
    const w = this.wakeTimer;
    if (w.armed && w.at !== null && w.at <= at) return;
    // A floor keeps an item that is due but cannot be claimed from spinning the loop.
    w.set(() => this.drain(), Math.max(10, at - this.settings.now()), at);
  }

  private drain(): void {
    const store = this.file.current;
    if (!this.isRunning || !store) return;
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
    const free = s.concurrency - this.tasks.size;
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
        this.tasks.delete(row.id);
        this.pump();
      });
      this.tasks.set(row.id, task);
    }
    if (this.tasks.size < s.concurrency) {
      const next = store.nextRetryAt();
      if (next !== null) this.wake(next);
    }
  }

  /** Never rejects: a failure to record the outcome is reported, and the lease brings the row back. */
  private async run(row: ItemRow): Promise<void> {
    const s = this.settings;
    let d: Delivery;
    const hold = s.now() >= row.deadline_at ? null : standbyHoldUntil(s, row, this.clock());
    if (hold !== null) {
      this.defer(row, hold);
      return;
    }
    if (s.now() >= row.deadline_at) {
      d = { kind: 'dead', reason: 'expired', message: this.expiredMessage(row), audit: [] };
      // Claiming counted an attempt that was never made.
      row.attempts = Math.max(0, row.attempts - 1);
    } else {
      try {
        d = await deliver(row, {
          client: this.deps.client, connection: s.connection, now: s.now, createFor: (id) => this.file.current?.createFor(id, false), trace: this.trace,
          standby: s.role === 'standby', lateAfterMs: s.standbyDelayMs / 2,
        });
      } catch (e) {
        d = { kind: 'failed', error: e, audit: [] };
      }
    }
    if (!this.file.current) return;
    try {
      this.apply(row, d);
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, `cannot record the delivery of event ${row.event_id}`).message });
    }
  }

  /** A standby's hold (standby.ts): back to waiting, not counted as an attempt. */
  private defer(row: ItemRow, until: number): void {
    try {
      this.file.current?.defer(row, until, `standby: waiting ${duration(this.settings.standbyDelayMs)} for the primary gateway`);
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, `cannot hold event ${row.event_id} for the primary gateway`).message });
    }
  }

  private apply(row: ItemRow, d: Delivery): void {
    const store = this.file.get();
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
    this.file.get().markDead(row, reason, message.slice(0, 1000), s.now(), audit);
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
    const { result: r, entries } = await probeOnce(this.deps.client, s.connection, s.now, this.trace);
    this.probing = false;
    const store = this.file.current;
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

  private housekeeping(): void {
    const store = this.file.current;
    if (!this.isRunning || !store) return;
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
    noteSeen(store, now);
    this.houseTimer.set(() => this.housekeeping(), backlog ? 0 : s.housekeepingMs);
    this.pump();
  }

  /** Takes back rows whose lease ran out (not ours in flight), and plans the next such moment. */
  private reclaim(store: Store, now: number): void {
    this.reclaimAt = null;
    try {
      store.reclaimExpired(now, this.tasks.keys());
      const lease = store.nextLeaseEnd();
      if (lease !== null && lease > now) {
        this.reclaimAt = lease;
        this.wake(lease);
      }
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot take back expired leases').message });
    }
  }

  // ---- events ----------------------------------------------------------------------------------

  private checkCapacity(): void {
    this.signals.capacity(this.file.current?.held ?? { rows: 0, bytes: 0 });
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
    this.signals.link(this.link.snapshot());
  }

  private emitResult(r: OutboxResult): void {
    this.signals.result(r);
  }

  private problem(p: ProblemEvent): void {
    this.signals.problem(p);
  }
}

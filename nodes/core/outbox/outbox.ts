// The durable outbox: every work-order action is committed to SQLite before `enqueue()` returns,
// then delivered oldest first, in order per asset, with backoff, lookup-before-resend and a
// deadline. Pure of Node-RED: the client, clock, timers, random source and file path are injected.
import { EventEmitter } from 'node:events';
import { describeFailure, decide, type BackoffPolicy } from './classify';
import { deliver, type Delivery } from './deliver';
import { Link } from './link';
import { Metrics } from './metrics';
import { openDatabase, wrapStorageError } from './open';
import { itemBytes, Store, type AuditEntry, type ItemRow } from './store';
import {
  OutboxFullError, type CapacityEvent, type CapacityLevel, type DeadReason, type EnqueueInput, type EnqueueResult,
  type LinkEvent, type OutboxEvents, type OutboxMetrics, type OutboxOptions, type OutboxResult, type ProblemEvent, type Timers,
} from './types';
import { OutboxAdmin } from './admin';

const ACTIONS = new Set(['create', 'update', 'note', 'close']);
const DAY = 86_400_000;

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

type Settings = Required<Omit<OutboxOptions, 'maxDatabasePages' | 'client'>> & Pick<OutboxOptions, 'maxDatabasePages'>;

function settle(o: OutboxOptions): Settings {
  return {
    file: o.file, connection: o.connection, concurrency: Math.max(1, o.concurrency ?? 4),
    deadlineMs: o.deadlineMs ?? 72 * 3600_000, backoffBaseMs: o.backoffBaseMs ?? 2000, backoffCapMs: o.backoffCapMs ?? 600_000,
    authRetries: Math.max(1, o.authRetries ?? 3), linkDownAfter: Math.max(1, o.linkDownAfter ?? 2), leaseMs: o.leaseMs ?? 60_000,
    maxRows: o.maxRows ?? 100_000, maxBytes: o.maxBytes ?? 256 * 1024 * 1024, highWater: o.highWater ?? 0.8,
    sentRetentionDays: o.sentRetentionDays ?? 7, auditRetentionDays: o.auditRetentionDays ?? 30, shadow: o.shadow ?? false,
    maxDatabasePages: o.maxDatabasePages, checkOnOpen: o.checkOnOpen ?? 'quick', housekeepingMs: o.housekeepingMs ?? 60_000,
    latencyWindow: o.latencyWindow ?? 1000, now: o.now ?? Date.now, random: o.random ?? Math.random, timers: o.timers ?? realTimers,
  };
}

function occurredMs(v: number | string, fallback: number): number {
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : fallback;
}

function duration(ms: number): string {
  if (ms >= 3600_000) return `${Math.round(ms / 360_000) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.round(ms / 100) / 10} s`;
}

function checkInput(i: EnqueueInput): void {
  if (!i || typeof i !== 'object') throw new TypeError('enqueue needs an item');
  if (!ACTIONS.has(i.action)) throw new TypeError(`unknown outbox action "${String(i.action)}" (create, update, note or close)`);
  for (const k of ['eventId', 'assetKey', 'nodeId'] as const) {
    if (typeof i[k] !== 'string' || i[k] === '') throw new TypeError(`an outbox item needs a non-empty ${k}`);
  }
  if (!i.body || typeof i.body !== 'object' || Array.isArray(i.body)) throw new TypeError('an outbox item body must be an object');
}

export class Outbox {
  readonly settings: Settings;
  readonly metrics: Metrics;
  readonly link: Link;
  readonly admin: OutboxAdmin;
  private store: Store | null = null;
  private readonly emitter = new EventEmitter();
  private readonly policy: BackoffPolicy;
  private running = false;
  private readonly inflight = new Map<number, Promise<void>>();
  private passTimer: unknown = null;
  private wakeTimer: unknown = null;
  private wakeAt: number | null = null;
  private houseTimer: unknown = null;
  private probing = false;
  /** When a lease held by an earlier run ends and its row can be taken back. */
  private reclaimAt: number | null = null;
  private capacityLevel: CapacityLevel = 'ok';

  constructor(private readonly options: OutboxOptions) {
    this.settings = settle(options);
    const s = this.settings;
    this.policy = { baseMs: s.backoffBaseMs, capMs: s.backoffCapMs, random: s.random };
    this.metrics = new Metrics(s.latencyWindow);
    this.link = new Link(s.linkDownAfter, this.policy);
    this.admin = new OutboxAdmin(() => this.db(), s, () => {
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
    this.store = new Store(db);
    // A previous process died with these in flight; their leases have run out.
    this.store.reclaimExpired(s.now(), []);
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
    this.store?.close();
    this.store = null;
  }

  enqueue(input: EnqueueInput): EnqueueResult {
    checkInput(input);
    const store = this.db();
    const s = this.settings;
    const now = s.now();
    const shadow = input.shadow ?? s.shadow;
    let itemId: number;
    try {
      if (input.action === 'create') {
        const dup = store.createFor(input.eventId, shadow);
        if (dup) {
          this.metrics.count('duplicate');
          if (shadow) return { outcome: 'duplicate-shadow', itemId: dup.id };
          if (dup.state === 'sent') return { outcome: 'existing', itemId: dup.id, workOrderId: dup.work_order_id ?? '', href: dup.href };
          if (dup.state === 'dead') return { outcome: 'duplicate-dead', itemId: dup.id, reason: dup.dead_reason };
          return { outcome: 'duplicate-pending', itemId: dup.id };
        }
      }
      const body = JSON.stringify(input.body);
      const event = JSON.stringify(input.event ?? null);
      const bytes = itemBytes(body, event);
      if (store.held.rows + 1 > s.maxRows || store.held.bytes + bytes > s.maxBytes) {
        this.setCapacity('full');
        throw new OutboxFullError(`the outbox for ${s.connection} is full (${store.held.rows} items, ${Math.round(store.held.bytes / 1048576)} MiB; limits ${s.maxRows} items, ${Math.round(s.maxBytes / 1048576)} MiB): the CMMS has not taken work for a while. Event ${input.eventId} was refused, not stored.`);
      }
      itemId = store.insert({
        eventId: input.eventId, action: input.action, connection: s.connection, assetKey: input.assetKey, nodeId: input.nodeId,
        body, event, bytes, shadow, occurredAt: occurredMs(input.occurredAt, now), enqueuedAt: now, deadlineAt: now + s.deadlineMs,
      });
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

  /** Resolves once nothing is in flight (for tests and for an orderly shutdown). */
  async whenIdle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight.values()]);
  }

  // ---- scheduling ------------------------------------------------------------------------------

  private db(): Store {
    if (!this.store) throw new Error('the outbox is not open');
    return this.store;
  }

  /** Asks for a drain pass on the next turn of the event loop (coalesced). */
  private pump(): void {
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
    const now = s.now();
    if (this.reclaimAt !== null && now >= this.reclaimAt) this.reclaim(store, now);
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

  private async run(row: ItemRow): Promise<void> {
    const s = this.settings;
    if (s.now() >= row.deadline_at) {
      this.expire(row, row.attempts - 1);
      return;
    }
    let d: Delivery;
    try {
      d = await deliver(row, { client: this.options.client, connection: s.connection, now: s.now, createFor: (id) => this.store?.createFor(id, false) });
    } catch (e) {
      d = { kind: 'failed', error: e, audit: [] };
    }
    if (!this.store) return;
    try {
      this.apply(row, d);
    } catch (e) {
      // The row stays leased; housekeeping reclaims it after the lease and looks it up first.
      this.problem({ code: 'storage', message: wrapStorageError(e, `cannot record the delivery of event ${row.event_id}`).message });
    }
  }

  private apply(row: ItemRow, d: Delivery): void {
    const store = this.db();
    const s = this.settings;
    const now = s.now();
    for (const a of d.audit) this.metrics.call(a.errorClass ? a.errorClass.split('/')[0] : null);
    const base = { eventId: row.event_id, cmms: s.connection, nodeId: row.node_id, action: row.action, itemId: row.id, attempts: row.attempts };
    switch (d.kind) {
      case 'sent': {
        store.markSent(row, d.workOrderId, d.href, d.outcome, now, d.audit);
        if (this.link.delivered()) this.linkChanged();
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
        else if (!f.linkDown && f.retryAfterMs === undefined && this.link.reachable()) this.linkChanged();
        const authFailures = row.auth_failures + (f.errorClass === 'auth' ? 1 : 0);
        const decision = decide(f, { attempts: row.attempts, authFailures }, s.authRetries, this.policy);
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

  private kill(row: ItemRow, reason: DeadReason, message: string, audit: AuditEntry[], attempts = row.attempts): void {
    const s = this.settings;
    this.db().markDead(row, reason, message.slice(0, 1000), s.now(), audit);
    this.metrics.count('dead');
    this.emitResult({
      eventId: row.event_id, cmms: s.connection, workOrderId: null, href: null, outcome: 'dead', attempts, latencyMs: null,
      nodeId: row.node_id, action: row.action, itemId: row.id, deadReason: reason, error: message,
    });
  }

  private expire(row: ItemRow, attempts: number): void {
    const last = row.last_error ? `; last error: ${row.last_error}` : '';
    this.kill(row, 'expired', `not delivered within ${duration(this.settings.deadlineMs)} of being queued${last}`, [], Math.max(0, attempts));
  }

  private async probe(): Promise<void> {
    const s = this.settings;
    this.probing = true;
    const started = s.now();
    let r;
    try {
      r = await this.options.client.probe();
    } catch (e) {
      r = { ok: false, state: 'unreachable' as const, message: e instanceof Error ? e.message : String(e), latencyMs: s.now() - started };
    }
    this.probing = false;
    const store = this.store;
    if (!store) return;
    const errorClass = r.ok ? null : r.state === 'unauthorised' ? 'auth' : r.state === 'error' ? 'permanent' : 'transient';
    this.metrics.call(errorClass);
    try {
      store.audit({
        at: started, connection: s.connection, call: 'probe', action: 'probe', path: null, status: null, latencyMs: s.now() - started,
        eventId: null, itemId: null, attempt: null, outcome: r.ok ? 'ok' : r.state, errorClass, errorMessage: r.ok ? null : r.message.slice(0, 1000),
      });
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot write the audit log').message });
    }
    const now = s.now();
    const changed = this.link.probed(r, now);
    if (this.link.state === 'up') {
      // Items that waited only because the CMMS was away go now, oldest first.
      try { store.linkUp(now); } catch (e) { this.problem({ code: 'storage', message: wrapStorageError(e, 'cannot resume delivery').message }); }
    }
    if (changed) this.linkChanged();
    if (this.link.state === 'up') this.pump();
    else if (this.link.nextAt !== null) this.wake(this.link.nextAt);
  }

  private housekeeping(): void {
    const store = this.store;
    if (!this.running || !store) return;
    const s = this.settings;
    const now = s.now();
    try {
      for (let i = 0; i < 50; i++) {
        const { rows, more } = store.expired(now, 200);
        for (const row of rows) this.expire(row, row.attempts);
        if (!more || rows.length === 0) break;
      }
      this.reclaim(store, now);
      for (let i = 0; i < 10 && store.pruneAudit(now - s.auditRetentionDays * DAY, 5000) === 5000; i++);
      for (let i = 0; i < 10 && store.pruneSent(now - s.sentRetentionDays * DAY, 5000) === 5000; i++);
      store.recount();
      this.checkCapacity();
    } catch (e) {
      this.problem({ code: 'storage', message: wrapStorageError(e, 'housekeeping failed').message });
    }
    if (this.houseTimer !== null) s.timers.clearTimeout(this.houseTimer);
    this.houseTimer = s.timers.setTimeout(() => {
      this.houseTimer = null;
      this.housekeeping();
    }, s.housekeepingMs);
    this.pump();
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

  private clearTimers(): void {
    const t = this.settings.timers;
    for (const h of [this.passTimer, this.wakeTimer, this.houseTimer]) if (h !== null) t.clearTimeout(h);
    this.passTimer = this.wakeTimer = this.houseTimer = null;
    this.wakeAt = null;
  }

  // ---- events ----------------------------------------------------------------------------------

  private capacity(): CapacityEvent {
    const s = this.settings;
    const held = this.store?.held ?? { rows: 0, bytes: 0 };
    const fraction = Math.max(held.rows / s.maxRows, held.bytes / s.maxBytes);
    return { level: this.capacityLevel, rows: held.rows, bytes: held.bytes, maxRows: s.maxRows, maxBytes: s.maxBytes, fraction };
  }

  private checkCapacity(): void {
    const c = this.capacity();
    const hw = this.settings.highWater;
    let level: CapacityLevel;
    if (c.fraction >= 1) level = 'full';
    else if (c.fraction >= hw) level = 'high';
    // Hysteresis: back to ok only clearly below the mark, so a level near it does not flap.
    else if (this.capacityLevel !== 'ok' && c.fraction >= hw - 0.05) level = 'high';
    else level = 'ok';
    this.setCapacity(level);
  }

  private setCapacity(level: CapacityLevel): void {
    if (level === this.capacityLevel) return;
    this.capacityLevel = level;
    this.safeEmit('capacity', this.capacity());
  }

  private linkChanged(): void {
    this.safeEmit('link', this.link.snapshot() as LinkEvent);
  }

  private emitResult(r: OutboxResult): void {
    this.safeEmit('result', r);
  }

  private problem(p: ProblemEvent): void {
    this.safeEmit('problem', p);
  }

  private safeEmit<K extends keyof OutboxEvents>(event: K, arg: Parameters<OutboxEvents[K]>[0]): void {
    try {
      this.emitter.emit(event, arg);
    } catch (e) {
      // A listener's bug must not break delivery or lose the row's state, which is already committed.
      if (event !== 'problem') this.problem({ code: 'listener', message: `a ${event} listener threw: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
}

// Public types of the durable outbox. The mw-work-order node and the admin endpoints only see
// these; SQL and scheduling stay inside the engine.
import type { WorkOrderOutcome, WorkOrderResult } from '../contracts/work-order-result';
import type { CmmsClient, SettableStatus } from '../cmms/types';

/**
 * `create` comes from a `raised` event, `update` (priority and note) from `escalated`, `note` and
 * `close` from `cleared`.
 */
export type OutboxAction = 'create' | 'update' | 'note' | 'close';

export type ItemState = 'pending' | 'inflight' | 'retry-wait' | 'sent' | 'dead' | 'shadow';

/**
 * permanent – the CMMS refused it (its message is kept); auth – credentials kept failing;
 * expired – the delivery deadline passed; no-work-order – a change for an event whose work order
 * was never created.
 */
export type DeadReason = 'permanent' | 'auth' | 'expired' | 'no-work-order';

/** What each action carries as its body. */
export interface CloseBody {
  status?: SettableStatus;
  note?: string;
}

export interface EnqueueInput {
  action: OutboxAction;
  /** The deterministic maintenance event id: the dedupe key all the way to the CMMS. */
  eventId: string;
  /** Items for one asset are delivered in order; different assets in parallel. */
  assetKey: string;
  /** The node that enqueued it; its results are routed back to it. */
  nodeId: string;
  /**
   * create: the mapped CMMS body (dialect field names); update/note: `{priority?, note?}`;
   * close: `{status?, note?}` (status defaults to `done`).
   */
  body: Record<string, unknown>;
  /** The original maintenance event, kept for dead-letter inspection and replay. */
  event: unknown;
  /** When the problem occurred (ms since epoch or ISO 8601); the latency metric starts here. */
  occurredAt: number | string;
  /** Record what would be sent, without sending. */
  shadow?: boolean;
  /**
   * For a create: one work order per `episode` (default: every raised event makes its own), per
   * `asset`, or per `asset-family` (asset and rule family). With the last two, while a work order
   * made for the asset (and family) is not known to be finished, the event joins it as a note
   * (`joinBody`) instead of making a new one; its later changes go to that work order too.
   */
  onePer?: WorkOrderGrouping;
  /** The rule family of the event (kind and metric); recorded on creates and joining notes. */
  family?: string;
  /** The note body `{ note }` used when the event joins an open work order. */
  joinBody?: Record<string, unknown>;
}

export type WorkOrderGrouping = 'episode' | 'asset' | 'asset-family';

/** A work order reported done, closed or cancelled: by its id, or by the events it was made for. */
export interface FinishedWorkOrder {
  workOrderId: string | null;
  eventIds?: readonly string[];
  /** When it finished (the status's own time), ms; default now. */
  at?: number;
}

export type EnqueueResult =
  | { outcome: 'queued'; itemId: number; /** True when it cannot be sent at once. */ waiting: boolean }
  | { outcome: 'existing'; itemId: number; workOrderId: string; href: string | null }
  | { outcome: 'duplicate-pending'; itemId: number }
  | { outcome: 'duplicate-dead'; itemId: number; reason: DeadReason | null }
  | { outcome: 'shadow'; itemId: number }
  | { outcome: 'duplicate-shadow'; itemId: number };

/**
 * A final outcome (or `queued`), shaped as the work-order result contract plus routing fields.
 * For update/note/close a successful delivery is reported as `existing`: the change went to the
 * work order that already existed.
 */
export interface OutboxResult extends WorkOrderResult {
  nodeId: string;
  action: OutboxAction;
  itemId: number;
  deadReason?: DeadReason;
  /** For `dead`: the last error, as the CMMS (or the outbox) said it. */
  error?: string;
}

export type CapacityLevel = 'ok' | 'high' | 'full';

export interface CapacityEvent {
  level: CapacityLevel;
  rows: number;
  bytes: number;
  maxRows: number;
  maxBytes: number;
  /** The larger of rows/maxRows and bytes/maxBytes. */
  fraction: number;
}

export type LinkState = 'up' | 'paused' | 'down';

export interface LinkEvent {
  state: LinkState;
  message: string;
  /** When delivery resumes (paused) or the next probe is due (down). */
  nextAt: number | null;
}

/** Something an operator should know that is not tied to one message. */
export interface ProblemEvent {
  code: 'corrupt-moved-aside' | 'data-lost' | 'storage' | 'listener' | 'internal';
  message: string;
  file?: string;
  /** data-lost: items committed earlier that this file no longer holds (at most). */
  missing?: number;
}

export interface OutboxEvents {
  result: (r: OutboxResult) => void;
  capacity: (e: CapacityEvent) => void;
  link: (e: LinkEvent) => void;
  problem: (e: ProblemEvent) => void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface OutboxOptions {
  /** The SQLite file; the node uses `<userDir>/millwright/outbox-<connection id>.db`. */
  file: string;
  /** The mw-cmms connection's name or id; reported as `cmms` in results. */
  connection: string;
  client: CmmsClient;
  /** Requests in flight at once (the client's rate.concurrency); default 4. */
  concurrency?: number;
  /** Give up delivering this long after the first enqueue; default 72 h. */
  deadlineMs?: number;
  /** First backoff ceiling; default 2 s. */
  backoffBaseMs?: number;
  /** Largest backoff; default 10 min. */
  backoffCapMs?: number;
  /** Auth failures an item may have before it is dead with reason `auth`; default 3. */
  authRetries?: number;
  /** Link-level failures in a row after which only probes are sent; default 2. */
  linkDownAfter?: number;
  /** How long a claimed item stays leased; must exceed the client's timeout. Default 60 s. */
  leaseMs?: number;
  /** Default 100 000 rows held (everything not yet delivered, dead letters, shadow records). */
  maxRows?: number;
  /** Default 256 MiB of bodies and events held. */
  maxBytes?: number;
  /** Fraction of either limit that raises the `high` capacity event; default 0.8. */
  highWater?: number;
  /** Delivered rows are kept this long for duplicate detection; default 7 days. */
  sentRetentionDays?: number;
  /** Audit rows and shadow records are kept this long; default 30 days. */
  auditRetentionDays?: number;
  /** Record instead of sending, for every item. */
  shadow?: boolean;
  /**
   * This gateway's part in a redundant pair watching the same line (README "Redundant gateways").
   * `primary` (default): sends at once, as a single gateway does. `standby`: sends each item no
   * sooner than `standbyDelayMs` after it was queued (its create then finds the primary's work
   * order by reference) and reads the work order back for the note's marker before every note.
   */
  role?: 'primary' | 'standby';
  /** How long a standby holds an item after it was queued; default 30 s. */
  standbyDelayMs?: number;
  /** Cap on the database file in SQLite pages (4 KiB); writes beyond it fail like a full disk. */
  maxDatabasePages?: number;
  /** `quick` (default) runs PRAGMA quick_check at open; `none` skips it. */
  checkOnOpen?: 'quick' | 'none';
  /** How often housekeeping (deadline sweep, lease reclaim, pruning) runs; default 60 s. */
  housekeepingMs?: number;
  /** Recent deliveries the latency percentiles are computed over; default 1000. */
  latencyWindow?: number;
  /** The wall clock: recorded times and deadlines. Default Date.now. */
  now?: () => number;
  /**
   * A clock that never jumps, to notice steps of the wall clock and keep waits their length.
   * Default performance.now; when only `now` is given, `now` (then steps go unnoticed).
   */
  monotonic?: () => number;
  /** Uniform in [0, 1); drives the backoff jitter. */
  random?: () => number;
  timers?: Timers;
}

export interface DeadLetter {
  itemId: number;
  eventId: string;
  action: OutboxAction;
  assetKey: string;
  nodeId: string;
  reason: DeadReason | null;
  error: string | null;
  attempts: number;
  enqueuedAt: number;
  deadAt: number | null;
  body: unknown;
  event: unknown;
}

export interface ShadowRecord {
  itemId: number;
  eventId: string;
  action: OutboxAction;
  assetKey: string;
  nodeId: string;
  recordedAt: number;
  /** The client call that would have been made, with its arguments. */
  call: string;
  request: unknown;
  event: unknown;
}

export interface AuditRecord {
  id: number;
  at: number;
  connection: string;
  /** The client method called: createWorkOrder, findByReference, updateWorkOrder, setStatus, probe. */
  call: string;
  action: OutboxAction | 'probe';
  /**
   * The HTTP request, when the client reports its requests (the real client does, through
   * `Outbox.observe`): one row per request, so a call that made two requests has two rows and the
   * last carries the call's outcome. Null for a client that reports nothing.
   */
  method: string | null;
  /** Path and query, credentials replaced by `***`. */
  path: string | null;
  status: number | null;
  latencyMs: number;
  eventId: string | null;
  itemId: number | null;
  attempt: number | null;
  outcome: string;
  errorClass: string | null;
  errorMessage: string | null;
}

export interface QueueItem {
  itemId: number;
  eventId: string;
  action: OutboxAction;
  assetKey: string;
  nodeId: string;
  state: ItemState;
  attempts: number;
  enqueuedAt: number;
  nextAt: number;
  deadlineAt: number;
  workOrderId: string | null;
  error: string | null;
}

export interface OutboxMetrics {
  outcomes: Record<WorkOrderOutcome | 'shadow' | 'duplicate', number>;
  /** Not yet delivered: pending, in flight and waiting to retry. */
  pending: number;
  inflight: number;
  dead: number;
  shadow: number;
  oldestPendingAgeMs: number | null;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; samples: number };
  /** Calls by error class since start, and the share of recent calls that failed with each. */
  errors: Record<string, number>;
  errorRate: Record<string, number>;
  calls: number;
  capacity: CapacityEvent;
  link: LinkEvent;
}

/** The outbox holds as much as it may; the event was refused, not stored. */
export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';
  readonly code = 'EOUTBOXFULL';
}

/** The database could not be written or read; `sqliteCode` says why (SQLITE_FULL: disk full). */
export class OutboxStorageError extends Error {
  override readonly name = 'OutboxStorageError';
  readonly code = 'EOUTBOXSTORAGE';
  constructor(message: string, readonly sqliteCode?: string) {
    super(message);
  }
}

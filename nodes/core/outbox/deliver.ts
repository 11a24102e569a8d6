// One delivery attempt for one claimed item: the client calls in order, each timed and recorded
// for the audit log. No storage writes here; the engine applies the returned outcome in one commit.
import { isCmmsError } from '../cmms/errors';
import type { CmmsClient, ProbeResult, RequestOutcome, WorkOrderChange, WorkOrderRef } from '../cmms/types';
import { scrubSecrets } from './classify';
import type { AuditEntry, ItemRow } from './store';
import type { CloseBody, DeadReason } from './types';
import { errorMessage } from '../error-message';
import { compactReference } from '../cmms/reference';
import { inRequestOrder } from '../cmms/rate';

/**
 * The marker a note carries so that a resend can be recognised: derived from the event id, the
 * action and the item's body (the event's n-th update differs in its body from the one before),
 * so two gateways sending the same update of the same event make the same marker. 16 base32
 * characters (80 bits) inside `[mw:…]`, short enough for Maximo's 100-character work-log summary.
 */
export function noteMarker(eventId: string, action: string, body: string): string {
  return `[mw:${compactReference(`${eventId}\n${action}\n${body}`, 16)}]`;
}

/** The note as sent: the marker first, so it lands in every CMMS's summary line too. */
export function markedNote(marker: string, note: string): string {
  return `${marker} ${note}`;
}

export type Delivery =
  | { kind: 'sent'; outcome: 'created' | 'existing'; workOrderId: string | null; href: string | null; audit: AuditEntry[] }
  | { kind: 'failed'; error: unknown; audit: AuditEntry[] }
  /** A change whose create is still undelivered waits behind it. */
  | { kind: 'wait'; audit: AuditEntry[] }
  | { kind: 'dead'; reason: DeadReason; message: string; audit: AuditEntry[] };

/**
 * Runs `fn` while `sink` collects the client's reports of the HTTP requests made meanwhile (see
 * `Outbox.observe`). The client stays unaware of the outbox; the engine ties reports to calls.
 */
export type Trace = <T>(sink: RequestOutcome[], fn: () => Promise<T>) => Promise<T>;

interface DeliverDeps {
  client: CmmsClient;
  connection: string;
  now: () => number;
  /** The real (not shadow) create row for an event, if the outbox still has it. */
  createFor: (eventId: string) => ItemRow | undefined;
  /** Without it the audit rows carry no method, path or success status. */
  trace?: Trace;
  /**
   * This gateway is the standby of a redundant pair: every note is checked against the work order
   * first (the primary has usually added it already), not only after an ambiguous failure.
   */
  standby?: boolean;
  /**
   * A note queued (or whose event occurred) at least this long ago is checked first on any gateway:
   * by then the standby of a redundant pair may have sent it (half the standby delay, to be safe).
   */
  lateAfterMs?: number;
}

function parseObject(json: string): Record<string, unknown> {
  const v: unknown = JSON.parse(json);
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function traced<T>(trace: Trace | undefined, sink: RequestOutcome[], fn: () => Promise<T>): Promise<T> {
  return trace ? trace(sink, fn) : fn();
}

type RowBase = Pick<AuditEntry, 'connection' | 'call' | 'action' | 'eventId' | 'itemId' | 'attempt'>;
type RowEnd = Pick<AuditEntry, 'outcome' | 'status' | 'errorClass' | 'errorMessage'>;

function failureEnd(e: unknown): RowEnd {
  const cmms = isCmmsError(e) ? e : undefined;
  const message = errorMessage(e);
  return {
    outcome: 'error', status: cmms?.status ?? null,
    errorClass: cmms ? (cmms.ambiguous ? `${cmms.kind}/ambiguous` : cmms.kind) : 'internal',
    errorMessage: scrubSecrets(message).slice(0, 1000),
  };
}

/**
 * The audit rows of one client call: one per HTTP request it made, the last carrying the call's
 * outcome; or a single row without method and path when the client reported no request.
 */
function auditRows(base: RowBase, started: number, ended: number, requests: RequestOutcome[], end: RowEnd): AuditEntry[] {
  if (requests.length === 0) return [{ ...base, at: started, method: null, path: null, latencyMs: ended - started, ...end }];
  return requests.map((r, i) => {
    const own: RowEnd = r.ok ? { outcome: 'ok', status: r.status, errorClass: null, errorMessage: null } : failureEnd(r.error);
    const result = i === requests.length - 1 ? { ...end, status: own.status ?? end.status } : own;
    return { ...base, at: r.startedAt ?? started, method: r.method ?? null, path: r.path?.slice(0, 1000) ?? null, latencyMs: r.latencyMs, ...result };
  });
}

class Recorder {
  readonly entries: AuditEntry[] = [];
  constructor(private readonly row: ItemRow, private readonly d: DeliverDeps) {}

  async call<T>(call: string, run: () => Promise<T>, describe: (v: T) => string): Promise<T> {
    const started = this.d.now();
    const base: RowBase = {
      connection: this.d.connection, call, action: this.row.action, eventId: this.row.event_id, itemId: this.row.id, attempt: this.row.attempts,
    };
    const requests: RequestOutcome[] = [];
    try {
      const v = await traced(this.d.trace, requests, run);
      this.entries.push(...auditRows(base, started, this.d.now(), requests, { outcome: describe(v), status: null, errorClass: null, errorMessage: null }));
      return v;
    } catch (e) {
      this.entries.push(...auditRows(base, started, this.d.now(), requests, failureEnd(e)));
      throw e;
    }
  }
}

/**
 * Whether the work order this outbox remembers for the event still carries our reference. Read by
 * its API id (ServiceNow sys_id, MaintainX id, REST id; Maximo's API href), never through a link
 * meant for people. A 404 means it is gone; other failures propagate and the item is retried.
 */
async function stillOurs(ref: WorkOrderRef, eventId: string, d: DeliverDeps, rec: Recorder): Promise<boolean> {
  const referenceFor = d.client.referenceFor;
  if (!referenceFor) return true;
  const want = referenceFor.call(d.client, eventId);
  try {
    const wo = await rec.call('getWorkOrder', () => d.client.getWorkOrder(ref), (w) => (w.reference === want ? 'ours' : 'not-ours'));
    return wo.reference === want;
  } catch (e) {
    if (isCmmsError(e) && e.status === 404) return false;
    throw e;
  }
}

async function resolveWorkOrder(row: ItemRow, d: DeliverDeps, rec: Recorder): Promise<WorkOrderRef | 'wait' | null> {
  // An episode that joined another event's work order changes that one (schema 4's target_event_id).
  const reference = row.target_event_id ?? row.event_id;
  const create = d.createFor(reference);
  if (create?.state === 'sent' && create.work_order_id) {
    const cached: WorkOrderRef = { id: create.work_order_id, href: create.href };
    if (await stillOurs(cached, reference, d, rec)) return cached;
    // Replaced, re-keyed or deleted since: a note there would land on someone else's work order.
    // The work order carrying our reference, if any, is the one to change.
  } else if (create && (create.state === 'pending' || create.state === 'inflight' || create.state === 'retry-wait')) return 'wait';
  // No create here (pruned, dead, or made elsewhere): the CMMS knows the work order by our reference.
  const found = await rec.call('findByReference', () => d.client.findByReference(reference), (w) => (w ? 'found' : 'not-found'));
  return found ? { id: found.id, href: found.href } : null;
}

/**
 * The item's note with its marker, `null` when it already landed, or undefined when there is none:
 * after an ambiguous failure (timeout, reset, unreadable 2xx) the earlier attempt may have added it,
 * and Maximo (a work-log row per MERGE), ServiceNow (a work note per update) and MaintainX (a
 * comment per POST) would each show a second copy, so the work order is read back first. So does a
 * standby gateway before every note, and any gateway on a later attempt or when the note waited in
 * the queue (by then the other gateway of a redundant pair may have sent the same note: same event,
 * same body, same marker).
 */
async function noteToSend(row: ItemRow, body: Record<string, unknown>, target: WorkOrderRef, d: DeliverDeps, rec: Recorder): Promise<string | null | undefined> {
  if (typeof body.note !== 'string' || body.note === '') return undefined;
  const marker = noteMarker(row.event_id, row.action, row.body);
  const hasNote = d.client.hasNote;
  // Late by the event's own time too: a gateway that was slow to queue the event is behind its partner.
  const late = d.lateAfterMs !== undefined && d.now() - Math.min(row.enqueued_at, row.occurred_at) >= d.lateAfterMs;
  if (hasNote && (row.ambiguous === 1 || d.standby === true || row.attempts > 1 || late)) {
    const there = await rec.call('hasNote', () => hasNote.call(d.client, target, marker), (v) => (v ? 'found' : 'not-found'));
    if (there) return null;
  }
  return markedNote(marker, body.note);
}

/**
 * One attempt. Its requests are served in the order attempts began (a ticket taken here, as the
 * engine starts the claimed items oldest first), so under a tight request budget the oldest
 * attempt anywhere takes the next token: the whole drain goes oldest first, not only per asset
 * (issue 14 item 10; see ../cmms/rate.ts).
 */
export function deliver(row: ItemRow, d: DeliverDeps): Promise<Delivery> {
  return inRequestOrder(() => deliverNow(row, d));
}

async function deliverNow(row: ItemRow, d: DeliverDeps): Promise<Delivery> {
  const rec = new Recorder(row, d);
  try {
    const body = parseObject(row.body);
    if (row.action === 'create') {
      {
        // Look the work order up by our reference before every create, not only after an
        // ambiguous failure: this outbox's history cannot vouch that no one else made it — a
        // second mw-cmms connection, a recreated node, a moved-aside outbox, a replay after the
        // history was pruned, a second gateway watching the same line. One GET per create (work
        // orders are rare); the transactionid / Idempotency-Key stays as the guard for the race
        // between two creates both finding nothing.
        const found = await rec.call('findByReference', () => d.client.findByReference(row.event_id), (w) => (w ? 'found' : 'not-found'));
        if (found) return { kind: 'sent', outcome: 'existing', workOrderId: found.id, href: found.href, audit: rec.entries };
      }
      const ref = await rec.call('createWorkOrder', () => d.client.createWorkOrder({ reference: row.event_id, body }), (r) => (r.existing ? 'existing' : 'created'));
      return { kind: 'sent', outcome: ref.existing ? 'existing' : 'created', workOrderId: ref.id, href: ref.href, audit: rec.entries };
    }

    const target = await resolveWorkOrder(row, d, rec);
    if (target === 'wait') return { kind: 'wait', audit: rec.entries };
    if (!target) {
      return {
        kind: 'dead', reason: 'no-work-order', audit: rec.entries,
        message: `no work order exists for event ${row.target_event_id ?? row.event_id}, so its ${row.action} cannot be applied; replay the create first`,
      };
    }
    const marked = await noteToSend(row, body, target, d, rec);
    const note = marked ?? undefined;
    if (row.action === 'close') {
      const close = body as CloseBody;
      await rec.call('setStatus', () => d.client.setStatus(target, close.status ?? 'done', note), () => 'ok');
    } else {
      const change: WorkOrderChange = {};
      if (row.action === 'update' && (typeof body.priority === 'number' || typeof body.priority === 'string')) change.priority = body.priority;
      if (note !== undefined) change.note = note;
      // The note is there already and nothing else changes: no request at all.
      if (!(marked === null && change.priority === undefined)) await rec.call('updateWorkOrder', () => d.client.updateWorkOrder(target, change), () => 'ok');
    }
    return { kind: 'sent', outcome: 'existing', workOrderId: target.id, href: target.href, audit: rec.entries };
  } catch (error) {
    return { kind: 'failed', error, audit: rec.entries };
  }
}

/** One health probe, never throwing, with its audit rows. */
export async function probeOnce(client: CmmsClient, connection: string, now: () => number, trace?: Trace): Promise<{ result: ProbeResult; entries: AuditEntry[] }> {
  const started = now();
  const requests: RequestOutcome[] = [];
  let result: ProbeResult;
  try {
    result = await traced(trace, requests, () => client.probe());
  } catch (e) {
    result = { ok: false, state: 'unreachable', message: errorMessage(e), latencyMs: now() - started };
  }
  const errorClass = result.ok ? null : result.state === 'unauthorised' ? 'auth' : result.state === 'error' ? 'permanent' : 'transient';
  const base: RowBase = { connection, call: 'probe', action: 'probe', eventId: null, itemId: null, attempt: null };
  const end: RowEnd = {
    outcome: result.ok ? 'ok' : result.state, status: null, errorClass,
    errorMessage: result.ok ? null : scrubSecrets(result.message).slice(0, 1000),
  };
  return { result, entries: auditRows(base, started, now(), requests, end) };
}

// The heart of mw-wo-status, free of Node-RED: a webhook request or a polled page goes in, changes
// are checked, normalised, linked to the events they came from and committed; the adapter then
// emits what is pending. Clock, store, secrets and the outbox lookup are injected.
import { validateWorkOrderStatus, type WorkOrderStatus } from '../contracts';
import { errorMessage } from '../error-message';
import type { WorkOrderLinks } from '../outbox/work-order-links';
import { makeNormaliser, type Normaliser, type StatusDialect } from './normalise';
import { BodyError, parseWebhookBody, type RawChange } from './parse';
import type { WoStatusOptions } from './settings';
import type { AcceptResult, StatusStore } from './store';
import { verifyWebhook, type Headers, type SignatureScheme } from './verify';

export interface Counters {
  received: number;
  accepted: number;
  duplicates: number;
  outOfOrder: number;
  /** Changes of work orders this gateway did not make, dropped by the "ours" scope. */
  filtered: number;
  /** Statuses no table knows (emitted as `unknown`). */
  unknown: number;
  emitted: number;
  /** Webhooks answered with each refusal. */
  refused: Record<'bad-signature' | 'missing-signature' | 'stale' | 'replay' | 'malformed' | 'too-large' | 'storage', number>;
  /** Accepted webhooks signed with the second (old) secret: rotation not finished at the sender. */
  oldSecret: number;
  polls: number;
  pollErrors: number;
}

interface WebhookRequest {
  headers: Headers;
  /** Null when the body was larger than allowed (reading stopped). */
  rawBody: Buffer | null;
}

export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Changes stored for emission by this request (0 until its body is processed). */
  accepted: number;
  /** The inbox row holding the recorded body (200 answers only). */
  inboxSeq?: number;
}

export interface ServiceDeps {
  store: StatusStore;
  dialect: StatusDialect;
  scheme: SignatureScheme;
  options: WoStatusOptions;
  cmmsName: string;
  secrets: () => readonly string[];
  /** The outbox's answer (null: not ours or not known); throws when the outbox cannot be read. */
  links: (workOrderId: string, reference: string | null) => WorkOrderLinks | null;
  now?: () => number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class StatusService {
  readonly counters: Counters = {
    received: 0, accepted: 0, duplicates: 0, outOfOrder: 0, filtered: 0, unknown: 0, emitted: 0,
    refused: { 'bad-signature': 0, 'missing-signature': 0, stale: 0, replay: 0, malformed: 0, 'too-large': 0, storage: 0 },
    oldSecret: 0, polls: 0, pollErrors: 0,
  };
  readonly normalise: Normaliser;
  private readonly now: () => number;

  constructor(private readonly deps: ServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.normalise = makeNormaliser(deps.dialect, deps.options.statusMap, deps.options.table);
  }

  private refuse(status: number, reason: keyof Counters['refused']): WebhookAnswer {
    this.counters.refused[reason] += 1;
    // The reason only: never which secret, header value or signature was expected.
    return { status, body: { error: reason }, accepted: 0 };
  }

  /**
   * The part of a webhook the CMMS waits for: size, signature, timestamp and body shape checked,
   * then the verified raw body committed to the inbox with its replay key, and the answer given.
   * Linking to the outbox, normalising and storing the changes come after (processInbox), so a
   * burst is answered at the pace of verification and one commit, not of the outbox lookups.
   */
  receiveWebhook(req: WebhookRequest): WebhookAnswer {
    this.counters.received += 1;
    if (req.rawBody === null) return this.refuse(413, 'too-large');
    const now = this.now();
    const verdict = verifyWebhook({
      scheme: this.deps.scheme, headers: req.headers, rawBody: req.rawBody, secrets: this.deps.secrets(),
      nowSec: Math.floor(now / 1000), toleranceSec: this.deps.options.toleranceSec, secretHeader: this.deps.options.secretHeader,
    });
    if (!verdict.ok) return this.refuse(401, verdict.reason);
    let raw: RawChange[];
    try {
      raw = this.parse(req.rawBody, now);
    } catch (e) {
      if (e instanceof BodyError) return { ...this.refuse(400, 'malformed'), body: { error: 'malformed', detail: e.message } };
      return this.refuse(400, 'malformed');
    }
    let recorded: number | 'replay';
    try {
      recorded = this.deps.store.record(verdict.replayKey, req.rawBody, verdict.webhookId ?? null, now);
    } catch (e) {
      // A full disk or a locked file: 503 makes the CMMS retry later, which is what we want.
      this.counters.refused.storage += 1;
      return { status: 503, body: { error: 'storage', detail: errorMessage(e) }, accepted: 0 };
    }
    if (recorded === 'replay') return this.refuse(409, 'replay');
    if (verdict.secretIndex > 0) this.counters.oldSecret += 1;
    return { status: 200, body: { received: raw.length }, accepted: 0, inboxSeq: recorded };
  }

  /** JSON and the dialect's body shape; throws (BodyError or SyntaxError) when malformed. */
  private parse(rawBody: Buffer, now: number): RawChange[] {
    const body: unknown = JSON.parse(rawBody.toString('utf8'));
    return parseWebhookBody(body, { dialect: this.deps.dialect, receivedIso: iso(now), referenceField: this.deps.options.referenceField ?? undefined }, this.deps.scheme === 'standard');
  }

  /**
   * Turns recorded webhook bodies into stored changes, oldest first: each body's changes and the
   * removal of its inbox row commit together, so a crash repeats a body at most (the dedupe key
   * keeps it one change) and never loses one. Answers the changes accepted per inbox row.
   * A storage failure stops the run and leaves the rest for the next one.
   */
  processInbox(limit = 100): Map<number, number> {
    const done = new Map<number, number>();
    // One transaction for the batch (each body a savepoint): one fsync, not one per body, so the
    // processing of a burst does not hold the event loop (and the next answers) for long.
    this.deps.store.batch(() => this.processRows(limit, done));
    return done;
  }

  private processRows(limit: number, done: Map<number, number>): void {
    for (const row of this.deps.store.inbox(limit)) {
      let raw: RawChange[] | null;
      try {
        raw = this.parse(row.body, row.receivedAt);
      } catch {
        raw = null; // verified and parsed once already: only a changed parser lands here
      }
      const messages = raw?.map((c) => this.message(c, 'webhook', row.webhookId, row.receivedAt)) ?? [null];
      if (messages.some((m) => m === null)) {
        // Signed by the CMMS but not a valid status: counted and dropped (the CMMS had its 2xx).
        this.counters.refused.malformed += 1;
        this.deps.store.processed(row.seq);
        done.set(row.seq, 0);
        continue;
      }
      const r = this.commit(null, messages as Array<WorkOrderStatus | 'filtered'>, row.receivedAt, () => this.deps.store.processed(row.seq));
      done.set(row.seq, r === 'replay' ? 0 : r.accepted);
    }
  }

  /** Receive and process at once (tests and tools; the node answers first, then processes). */
  handleWebhook(req: WebhookRequest): WebhookAnswer {
    return this.handleWebhooks([req])[0];
  }

  /**
   * Several requests that arrived together, recorded in one transaction: under a burst every
   * answer still waits for its commit, but the burst pays one fsync instead of one per request.
   * If that commit fails, every request is answered 503 (the CMMS retries).
   */
  receiveWebhooks(reqs: readonly WebhookRequest[]): WebhookAnswer[] {
    if (reqs.length === 1) return [this.receiveWebhook(reqs[0])];
    const before = { ...this.counters, refused: { ...this.counters.refused } };
    try {
      return this.deps.store.batch(() => reqs.map((r) => this.receiveWebhook(r)));
    } catch (e) {
      Object.assign(this.counters, before, { received: before.received + reqs.length });
      this.counters.refused.storage += reqs.length;
      const detail = errorMessage(e);
      return reqs.map(() => ({ status: 503, body: { error: 'storage', detail }, accepted: 0 }));
    }
  }

  /** receiveWebhooks, then processInbox, with each answer's accepted count filled in. */
  handleWebhooks(reqs: readonly WebhookRequest[]): WebhookAnswer[] {
    const answers = this.receiveWebhooks(reqs);
    const done = this.processInbox(Number.MAX_SAFE_INTEGER);
    return answers.map((a) => {
      if (a.inboxSeq === undefined) return a;
      const accepted = done.get(a.inboxSeq) ?? 0;
      return { status: a.status, body: { ...a.body, accepted }, accepted };
    });
  }

  /**
   * Polled changes, committed with the new watermark in one transaction (so a crash never advances
   * the watermark past changes it did not store).
   */
  ingestPolled(changes: readonly RawChange[], watermark: string | null): AcceptResult {
    const now = this.now();
    const messages: Array<WorkOrderStatus | 'filtered'> = [];
    for (const c of changes) {
      const m = this.message(c, 'poll', null, now);
      if (m !== null) messages.push(m);
    }
    const r = this.commit(null, messages, now, watermark === null ? undefined : () => this.deps.store.setMeta('watermark', watermark));
    return r as AcceptResult;
  }

  private commit(replayKey: string | null, messages: Array<WorkOrderStatus | 'filtered'>, now: number, extra?: () => void): AcceptResult | 'replay' {
    const kept = messages.filter((m): m is WorkOrderStatus => m !== 'filtered');
    const result = this.deps.store.receive(replayKey, kept.map((m) => ({
      dedupe: `${m.workOrderId}\u0000${m.changedAt}\u0000${m.cmmsStatus}`,
      workOrderId: m.workOrderId,
      changedAtMs: Date.parse(m.changedAt),
      payload: JSON.stringify(m),
    })), now, () => {
      // Links found in the outbox are remembered here: the outbox forgets delivered items after a week.
      for (const m of kept) if (m.eventIds && m.eventIds.length > 0) this.deps.store.setLinks(m.workOrderId, m.eventIds, m.assetId ?? null, now);
      extra?.();
    });
    if (result !== 'replay') {
      this.counters.accepted += result.accepted;
      this.counters.duplicates += result.duplicates;
      this.counters.outOfOrder += result.outOfOrder;
      this.counters.filtered += messages.length - kept.length;
      this.deps.store.trim();
    }
    return result;
  }

  /** The contract message for a change; 'filtered' when the scope drops it; null when it cannot be valid. */
  private message(c: RawChange, source: 'webhook' | 'poll', webhookId: string | null, now: number): WorkOrderStatus | 'filtered' | null {
    const linked = this.linksFor(c);
    if (this.deps.options.scope === 'ours' && linked.eventIds.length === 0) return 'filtered';
    const status = this.normalise(c.cmmsStatus);
    if (status === 'unknown') this.counters.unknown += 1;
    const m: WorkOrderStatus = {
      workOrderId: c.workOrderId,
      ...(linked.eventIds.length > 0 ? { eventId: linked.eventIds[0] } : {}),
      eventIds: linked.eventIds,
      ...(linked.assetId ? { assetId: linked.assetId } : {}),
      status,
      cmmsStatus: c.cmmsStatus,
      changedAt: c.changedAt,
      ...(c.href ? { href: c.href } : {}),
      ...(c.displayId ? { displayId: c.displayId } : {}),
      ...(c.changedBy ? { changedBy: c.changedBy } : {}),
      cmms: this.deps.cmmsName.slice(0, 200),
      source,
      ...(webhookId ? { webhookId } : {}),
      receivedAt: iso(now),
    };
    return validateWorkOrderStatus(m).ok ? m : null;
  }

  private linksFor(c: RawChange): { eventIds: string[]; assetId: string | null } {
    const cached = this.deps.store.links(c.workOrderId);
    let fromOutbox: WorkOrderLinks | null = null;
    try {
      fromOutbox = this.deps.links(c.workOrderId, c.reference ?? null);
    } catch {
      fromOutbox = null; // the outbox cannot be read (invalid connection): fall back on what we know
    }
    const eventIds = [...(cached?.eventIds ?? [])];
    for (const id of fromOutbox?.eventIds ?? []) if (!eventIds.includes(id)) eventIds.push(id);
    // The CMMS's reference field holds the eventId a Millwright gateway put there.
    if (eventIds.length === 0 && c.reference) eventIds.push(c.reference);
    return { eventIds: eventIds.slice(0, 100), assetId: fromOutbox?.assetId ?? cached?.assetId ?? c.assetId ?? null };
  }

  /** What is committed and not yet emitted, oldest first, parsed. */
  pending(limit = 100): Array<{ seq: number; status: WorkOrderStatus }> {
    return this.deps.store.pending(limit).map((r) => ({ seq: r.seq, status: JSON.parse(r.payload) as WorkOrderStatus }));
  }

  emitted(seq: number): void {
    this.emittedAll([seq]);
  }

  /**
   * Marks a drained batch emitted in one transaction: one fsync for the batch, not one per change
   * (200 fsyncs in a row held the event loop, and the answers to the next webhooks, for seconds
   * on a busy disk). A crash before the commit re-sends the batch at the next start, as before.
   */
  emittedAll(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.deps.store.batch(() => { for (const seq of seqs) this.deps.store.markEmitted(seq); });
    this.counters.emitted += seqs.length;
  }
}

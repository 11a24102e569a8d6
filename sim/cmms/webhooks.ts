// Outgoing webhooks on status changes, signed the MaintainX way or the Standard Webhooks way,
// retried with exponential backoff. Every timer and socket is tracked so stop() leaves nothing behind.
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

import { isoZ } from './http';
import type { Random } from './random';
import type { StatusChange } from './store';
import type { Dialect, SimWorkOrder, WebhookDelivery, WebhookTarget } from './types';

interface WebhookOptions {
  now: () => number;
  random: Random;
  attempts: number;
  baseMs: number;
  timeoutMs: number;
  /** The work order in its dialect's own wire shape (what the vendor API would return). */
  wire: (wo: SimWorkOrder) => unknown;
}

/** MaintainX: `t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<data>")>`. */
export function signMaintainx(secret: string, t: number, data: string): string {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${data}`).digest('hex')}`;
}

/** Standard Webhooks: `v1,<base64 HMAC-SHA256(key, "<id>.<ts>.<body>")>`; a whsec_ secret carries its key in base64. */
export function signStandard(secret: string, id: string, ts: number, body: string): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  return `v1,${crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
}

/**
 * ServiceNow has no webhook signing of its own (a business rule posts through a REST message); the
 * project's documented script signs `<t>.<body>` with GlideCertificateEncryption.generateMac, which
 * answers base64: `x-millwright-signature: t=<unix s>,v1=<base64>`.
 */
export function signServiceNow(secret: string, t: number, body: string): string {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('base64')}`;
}

const TARGET_DIALECTS = ['maintainx', 'standard', 'servicenow', 'maximo'];
const FAULTS = ['delay', 'duplicate', 'out-of-order'];

export function validateTarget(input: unknown): WebhookTarget {
  const t = input as Partial<WebhookTarget> | null;
  if (!t || typeof t.url !== 'string' || !/^https?:\/\//.test(t.url)) throw new Error('webhook url must be http(s)://…');
  if (!TARGET_DIALECTS.includes(String(t.dialect))) throw new Error(`webhook dialect must be one of ${TARGET_DIALECTS.join(', ')}`);
  if (typeof t.secret !== 'string' || t.secret === '') throw new Error('webhook secret is required');
  if (t.dialects !== undefined && !Array.isArray(t.dialects)) throw new Error('webhook dialects must be a list');
  if (t.fault !== undefined && !FAULTS.includes(t.fault)) throw new Error(`webhook fault must be one of ${FAULTS.join(', ')}`);
  if (t.delayMs !== undefined && !(Number.isFinite(t.delayMs) && t.delayMs >= 0)) throw new Error('webhook delayMs must be a number ≥ 0');
  return {
    url: t.url, dialect: t.dialect as WebhookTarget['dialect'], secret: t.secret, ...(t.dialects ? { dialects: t.dialects } : {}),
    ...(t.fault ? { fault: t.fault } : {}), ...(t.delayMs !== undefined ? { delayMs: t.delayMs } : {}),
  };
}

export class WebhookDispatcher {
  private readonly targets = new Map<string, WebhookTarget>();
  private readonly log: WebhookDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<http.ClientRequest>();
  private seq = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** Bumped by reset(): answers to requests cancelled by it must not schedule retries. */
  private generation = 0;

  constructor(private readonly opts: WebhookOptions) {}

  add(input: unknown): string {
    const target = validateTarget(input);
    const id = `w${++this.seq}`;
    this.targets.set(id, target);
    return id;
  }

  remove(id: string): void {
    this.targets.delete(id);
  }

  list(): (WebhookTarget & { id: string })[] {
    // Secrets stay inside the simulator: the state endpoint is readable by anyone on the box.
    return [...this.targets].map(([id, t]) => ({ ...t, secret: 'REDACTED', id }));
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  notify(change: StatusChange): void {
    if (change.silent || this.stopped) return;
    for (const [targetId, target] of this.targets) {
      const wanted: Dialect[] = target.dialects ?? (target.dialect === 'standard' ? ['maintainx', 'maximo', 'servicenow', 'rest'] : [target.dialect]);
      if (!wanted.includes(change.workOrder.dialect)) continue;
      const webhookId = `msg_${this.opts.random.hex(24)}`;
      const body = JSON.stringify(this.payload(target, change));
      this.deliver(targetId, target, webhookId, body);
    }
  }

  /** Deliveries held back by an 'out-of-order' target, sent after the next one. */
  private readonly held = new Map<string, () => void>();

  private deliver(targetId: string, target: WebhookTarget, webhookId: string, body: string): void {
    const send = (): void => this.attempt(targetId, target, webhookId, body, 1);
    switch (target.fault) {
      case 'delay': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send();
          this.checkIdle();
        }, target.delayMs ?? 2000);
        this.timers.add(timer);
        return;
      }
      case 'duplicate':
        send();
        send();
        return;
      case 'out-of-order': {
        const earlier = this.held.get(targetId);
        if (!earlier) {
          this.held.set(targetId, send);
          return;
        }
        this.held.delete(targetId);
        send();
        earlier();
        return;
      }
      default:
        send();
    }
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.timers.size === 0 && this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private checkIdle(): void {
    if (this.timers.size > 0 || this.inflight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Drops the delivery log and every pending retry; targets stay configured. */
  reset(): void {
    this.cancelAll();
    this.log.length = 0;
  }

  stop(): void {
    this.stopped = true;
    this.cancelAll();
  }

  private cancelAll(): void {
    this.generation += 1;
    this.held.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
    this.checkIdle();
  }

  private payload(target: WebhookTarget, change: StatusChange): unknown {
    const wo = change.workOrder;
    // A business rule posts the record as the Table API shows it; a publish channel the lean work order.
    if (target.dialect === 'servicenow' || target.dialect === 'maximo') return this.opts.wire(wo);
    if (target.dialect === 'maintainx') {
      return {
        type: 'WORK_ORDER_STATUS_CHANGE',
        orgId: 1,
        workOrderId: Number(wo.id),
        occurredAt: isoZ(change.at),
        oldWorkOrder: this.opts.wire(change.before),
        newWorkOrder: this.opts.wire(wo),
      };
    }
    return {
      type: 'workorder.status_changed',
      timestamp: isoZ(change.at),
      data: { dialect: wo.dialect, id: wo.id, ref: wo.ref, status: change.to, previousStatus: change.from, workOrder: this.opts.wire(wo) },
    };
  }

  private headers(target: WebhookTarget, webhookId: string, body: string): Record<string, string> {
    const ts = Math.floor(this.opts.now() / 1000);
    const base = { 'content-type': 'application/json', 'user-agent': 'millwright-cmms-sim' };
    if (target.dialect === 'servicenow') return { ...base, 'x-millwright-signature': signServiceNow(target.secret, ts, body) };
    if (target.dialect === 'maximo') return { ...base, 'x-millwright-secret': target.secret };
    if (target.dialect === 'maintainx') {
      return {
        ...base,
        'x-maintainx-webhook-body-signature': signMaintainx(target.secret, ts, body),
        'x-maintainx-webhook-uri-signature': signMaintainx(target.secret, ts, target.url),
      };
    }
    return { ...base, 'webhook-id': webhookId, 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(target.secret, webhookId, ts, body) };
  }

  private attempt(targetId: string, target: WebhookTarget, webhookId: string, body: string, attempt: number): void {
    if (this.stopped) return;
    const generation = this.generation;
    const record = (status: number, error?: string): void => {
      if (generation !== this.generation) return;
      this.log.push({ targetId, url: target.url, webhookId, attempt, at: this.opts.now(), status, ...(error ? { error } : {}) });
      const ok = status >= 200 && status < 300;
      if (ok || attempt >= this.opts.attempts || this.stopped) return;
      const delay = this.opts.baseMs * 2 ** (attempt - 1);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.attempt(targetId, target, webhookId, body, attempt + 1);
        this.checkIdle();
      }, delay);
      this.timers.add(timer);
    };
    const url = new URL(target.url);
    const lib = url.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (status: number, error?: string): void => {
      if (settled) return;
      settled = true;
      this.inflight.delete(req);
      record(status, error);
      this.checkIdle();
    };
    const req = lib.request(url, {
      method: 'POST',
      headers: { ...this.headers(target, webhookId, body), 'content-length': String(Buffer.byteLength(body)) },
      agent: false,
      timeout: this.opts.timeoutMs,
    }, (res) => {
      res.resume();
      res.on('end', () => settle(res.statusCode ?? 0));
      res.on('error', (err) => settle(0, err.message));
    });
    this.inflight.add(req);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs} ms`)));
    req.on('error', (err) => settle(0, err.message));
    req.end(body);
  }
}

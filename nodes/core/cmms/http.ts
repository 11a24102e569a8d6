// One CMMS connection as the dialects see it: `send()` takes a request, waits for the shared rate
// budget, adds credentials (renewing an OAuth token once on a 401), and returns parsed JSON — or
// throws a classified, secret-free CmmsError. Dialects never touch axios, tokens or headers of auth.
import { setMaxListeners } from 'node:events';
import { createAuth, type AuthProvider, type TokenPost } from './auth';
import { capEcho, CmmsError, describeText, isCmmsError, kindForStatus, parseVendorError, redact, statusIsAmbiguous, type CmmsErrorKind, type VendorError } from './errors';
import { DEFAULT_RATE, exhaustedDelayFromHeaders, realSleep, RateLimiter, retryDelayFromHeaders, type HeaderBag } from './rate';
import { Transport, type RawResponse } from './transport';
import type { ClientDeps, CmmsConfig, Logger, RequestOutcome } from './types';
import { errorMessage } from '../error-message';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface ApiRequest {
  method: Method;
  /** Absolute URL on this connection's origin (see `url()`). */
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON; a string is sent exactly as given (needed when the body is signed). */
  body?: unknown;
  /** Statuses the caller handles itself rather than receiving a CmmsError (e.g. 404 on a lookup). */
  accept?: number[];
  /** False when any 2xx body will do (a health check answering "OK"); default true. */
  expectJson?: boolean;
}

interface ApiResponse {
  status: number;
  headers: HeaderBag;
  /** Parsed JSON, or null for an empty body. */
  data: unknown;
}

/** A dialect's own reading of a status, where the vendor uses one differently (ServiceNow's 403 for business rules). */
type Classifier = (status: number, vendor: VendorError) => CmmsErrorKind | undefined;

export const DEFAULTS = {
  timeoutMs: 15_000,
  connectTimeoutMs: 15_000,
  maxResponseBytes: 5 * 1024 * 1024,
  pageSize: 100,
};

const USER_AGENT = 'Millwright-CMMS-Client/1';

/** `base` + `path`, with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Adds query parameters (skipping undefined ones), encoded by URLSearchParams. */
export function withQuery(url: string, params: Record<string, string | number | undefined | null>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
  }
  return u.toString();
}

/** Fills `{name}` placeholders with URI-encoded values, so an id can never change the path. */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? encodeURIComponent(values[name]) : whole);
}

/**
 * Puts a URL the CMMS handed us (a next-page link, an href) onto our own origin. The CMMS may
 * know itself by an internal host name, and a link to another host must never receive our
 * credentials.
 */
export function onOrigin(link: string, base: string): string {
  const target = new URL(link, base);
  const origin = new URL(base);
  return `${origin.origin}${target.pathname}${target.search}`;
}

function parseJsonBody(text: string, contentType: string | undefined): { ok: true; data: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, data: null };
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (!looksJson) return { ok: false };
  try {
    return { ok: true, data: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Query parameters that carry a credential, however the CMMS names it (`apikey`, `access_token`, `_lpwd`, …). */
const SECRET_PARAM = /key|token|secret|pass|pwd|auth|sig/i;

/** Path and query of a request as logs and audit rows show it: values of credential-like parameters become `***`. */
function requestPath(url: string): string {
  const u = new URL(url);
  if (!u.search) return u.pathname;
  const query = new URLSearchParams();
  for (const [k, v] of u.searchParams) query.append(k, SECRET_PARAM.test(k) ? '***' : v);
  return `${u.pathname}?${query.toString()}`;
}

function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v === undefined ? undefined : String(v);
}

export class Connection {
  readonly limiter: RateLimiter;
  readonly auth: AuthProvider;
  readonly pageSize: number;
  private readonly transport: Transport;
  private readonly closer = new AbortController();
  readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly log: Logger;
  private readonly onOutcome: (o: RequestOutcome) => void;

  constructor(readonly config: CmmsConfig, readonly label: string, deps: ClientDeps = {}, private readonly classify?: Classifier) {
    // Every waiting and in-flight request listens for close; that is many by design, not a leak.
    setMaxListeners(0, this.closer.signal);
    this.now = deps.now ?? Date.now;
    // An injected wall clock (tests, simulations) usually drives the injected sleep too.
    this.monotonic = deps.monotonic ?? deps.now ?? (() => performance.now());
    this.log = deps.log ?? (() => undefined);
    this.onOutcome = deps.onOutcome ?? (() => undefined);
    const rate = { ...DEFAULT_RATE, ...stripUndefined(config.rate ?? {}) };
    // All of the limiter's times are waits, none is recorded: it runs on the monotonic clock.
    this.limiter = new RateLimiter(rate, this.monotonic, deps.sleep ?? realSleep);
    this.pageSize = config.pageSize ?? DEFAULTS.pageSize;
    this.transport = new Transport({
      timeoutMs: config.timeoutMs ?? DEFAULTS.timeoutMs,
      connectTimeoutMs: config.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      maxResponseBytes: config.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      tls: config.tls,
      proxy: config.proxy,
      maxSockets: rate.concurrency,
    });
    const tokenPost: TokenPost = async (url, form, signal) => {
      const raw = await this.transport.exchange({
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'User-Agent': USER_AGENT },
        body: form.toString(),
      }, signal);
      const parsed = parseJsonBody(raw.text, firstHeader(raw.headers, 'content-type'));
      return { status: raw.status, headers: raw.headers, data: parsed.ok ? parsed.data : raw.text };
    };
    this.auth = createAuth(config.auth, config.baseUrl, tokenPost, this.now);
  }

  get closed(): boolean {
    return this.closer.signal.aborted;
  }

  /** Scrubs every secret of this connection from a text meant for people. */
  redact(text: string): string {
    return redact(text, this.auth.secrets());
  }

  async send(req: ApiRequest): Promise<ApiResponse> {
    const started = this.now();
    const clock = this.monotonic();
    const path = new URL(req.url).pathname;
    // Computed up front so the outcome never depends on how the request ended.
    const summary = { method: req.method, path: this.redact(requestPath(req.url)), startedAt: started };
    try {
      if (this.closed) throw new CmmsError({ kind: 'transient', code: 'ECLOSED', message: 'connection is closed' });
      const res = await this.sendWithAuth(req);
      const out = this.interpret(req, res);
      const latencyMs = this.monotonic() - clock;
      this.log('debug', `${this.label} ${req.method} ${path} → ${res.status} in ${latencyMs} ms`);
      this.onOutcome({ ...summary, ok: true, status: res.status, latencyMs });
      return out;
    } catch (e) {
      const err = this.toCmmsError(e);
      const latencyMs = this.monotonic() - clock;
      this.log('debug', `${this.label} ${req.method} ${path} failed (${err.kind}): ${err.message}`);
      this.onOutcome({ ...summary, ok: false, error: err, latencyMs });
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closer.abort(new CmmsError({ kind: 'transient', code: 'ECLOSED', message: 'connection is closed' }));
    this.transport.close();
  }

  private async sendWithAuth(req: ApiRequest): Promise<RawResponse> {
    const signal = this.closer.signal;
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const baseHeaders: Record<string, string> = { Accept: 'application/json', 'User-Agent': USER_AGENT };
    if (body !== undefined) baseHeaders['Content-Type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      const permit = await this.limiter.acquire(signal);
      try {
        const authHeaders = await this.auth.headers(signal);
        const raw = await this.transport.exchange(
          { method: req.method, url: req.url, headers: { ...baseHeaders, ...req.headers, ...authHeaders }, body },
          signal,
        );
        this.noteRateHeaders(raw);
        // One fresh token and one more try; a second 401 means the credentials themselves are wrong.
        if (raw.status === 401 && attempt === 0 && this.auth.rejected(authHeaders)) continue;
        return raw;
      } finally {
        permit.release();
      }
    }
  }

  private noteRateHeaders(raw: RawResponse): void {
    // An HTTP date is read against the wall clock; the wait it gives runs on the monotonic one.
    const now = this.now();
    const wait = raw.status === 429 || raw.status === 503
      ? retryDelayFromHeaders(raw.headers, now)
      : raw.status < 300 ? exhaustedDelayFromHeaders(raw.headers, now) : undefined;
    if (wait !== undefined && wait > 0) this.limiter.blockUntil(this.monotonic() + wait);
  }

  private interpret(req: ApiRequest, raw: RawResponse): ApiResponse {
    const contentType = firstHeader(raw.headers, 'content-type');
    const parsed = parseJsonBody(raw.text, contentType);
    const where = `HTTP ${raw.status}, ${req.method} ${new URL(req.url).pathname}`;
    const ok = raw.status >= 200 && raw.status < 300;
    if ((ok || req.accept?.includes(raw.status)) && (parsed.ok || req.expectJson === false)) {
      return { status: raw.status, headers: raw.headers, data: parsed.ok ? parsed.data : raw.text };
    }
    if (ok || req.accept?.includes(raw.status)) {
      // The CMMS (or a proxy or login page in front of it) said yes in a language we cannot read.
      // A write may have happened, so the outbox must look before it sends again.
      throw new CmmsError({
        kind: 'permanent', status: raw.status, code: 'EBAD_BODY',
        ambiguous: req.method !== 'GET',
        message: `${this.label} answered with ${describeText(raw.text, contentType)} where JSON was expected (${where})`,
      });
    }
    if (raw.status >= 300 && raw.status < 400) {
      const location = firstHeader(raw.headers, 'location');
      throw new CmmsError({
        kind: 'permanent', status: raw.status, code: 'EREDIRECT',
        message: `${this.label} redirected to ${location ? new URL(location, req.url).origin + new URL(location, req.url).pathname : 'another address'}; check the base URL (a login page in front of the API?) (${where})`,
      });
    }
    const vendor = parsed.ok ? parseVendorError(parsed.data) : {};
    const explanation = capEcho(vendor.message ?? (parsed.ok ? 'no explanation given' : describeText(raw.text, contentType)));
    const retryAfterMs = raw.status === 429 || raw.status === 503 ? retryDelayFromHeaders(raw.headers, this.now()) : undefined;
    throw new CmmsError({
      kind: this.classify?.(raw.status, vendor) ?? kindForStatus(raw.status),
      status: raw.status,
      vendorCode: vendor.vendorCode,
      retryAfterMs,
      ambiguous: statusIsAmbiguous(raw.status, req.method),
      message: `${this.label}: ${explanation} (${where})`,
    });
  }

  private toCmmsError(e: unknown): CmmsError {
    if (isCmmsError(e)) {
      const clean = this.redact(e.message);
      return clean === e.message ? e : new CmmsError({ ...e, kind: e.kind, message: clean });
    }
    // Only programming errors land here; keep the text, never the object (it may hold headers).
    return new CmmsError({ kind: 'permanent', code: 'EINTERNAL', message: this.redact(`${this.label}: ${errorMessage(e)}`) });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

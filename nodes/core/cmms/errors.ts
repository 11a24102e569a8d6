// One error type for every CMMS failure, classified by what the caller should do next:
//   transient  – try again later (network, timeouts, 408, 425, 429, 5xx)
//   auth       – credentials are wrong or expired (401, 403); retrying the same thing will not help
//   permanent  – this request will never succeed as it is (other 4xx, unreadable answers)
//   conflict   – 409: the CMMS says the same request was already made (Maximo transactionid,
//                Idempotency-Key); resolve it by looking the work order up
// `ambiguous` tells the outbox the request may have reached the CMMS, so it must look the work
// order up before sending it again.

export type CmmsErrorKind = 'transient' | 'auth' | 'permanent' | 'conflict';

export interface CmmsErrorInit {
  kind: CmmsErrorKind;
  message: string;
  status?: number;
  retryAfterMs?: number;
  vendorCode?: string;
  ambiguous?: boolean;
  /** Node/network error code (ECONNREFUSED, ETIMEDOUT, …) or one of ours (ERESPONSE_TOO_LARGE, …). */
  code?: string;
}

export class CmmsError extends Error {
  override readonly name = 'CmmsError';
  readonly kind: CmmsErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly vendorCode?: string;
  readonly ambiguous: boolean;
  readonly code?: string;

  constructor(init: CmmsErrorInit) {
    super(init.message);
    this.kind = init.kind;
    this.ambiguous = init.ambiguous ?? false;
    // Only set what is known, so logs and JSON show no `undefined` noise.
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.vendorCode !== undefined) this.vendorCode = init.vendorCode;
    if (init.code !== undefined) this.code = init.code;
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name, kind: this.kind, message: this.message, status: this.status, code: this.code,
      vendorCode: this.vendorCode, retryAfterMs: this.retryAfterMs, ambiguous: this.ambiguous,
    };
  }
}

export function isCmmsError(e: unknown): e is CmmsError {
  return e instanceof CmmsError;
}

export function kindForStatus(status: number): CmmsErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 409) return 'conflict';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

/**
 * Whether a failed write may still have been carried out. A 500 can come after the commit, and
 * 502/504 mean a proxy gave up waiting for the CMMS, which may have finished anyway. 503 and 429
 * are refusals before any work, so they are not ambiguous.
 */
export function statusIsAmbiguous(status: number, method: string): boolean {
  if (method === 'GET' || method === 'HEAD') return false;
  return status === 500 || status === 502 || status === 504;
}

export interface VendorError {
  message?: string;
  vendorCode?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Reads the CMMS's own explanation from a parsed error body, in each vendor's shape. */
export function parseVendorError(body: unknown): VendorError {
  const root = obj(body);
  if (!root) return {};

  // Maximo lean: {"Error":{"reasonCode","message",…}}; non-lean: {"oslc:Error":{"spi:reasonCode","oslc:message"}}
  const mx = obj(root.Error) ?? obj(root['oslc:Error']);
  if (mx) {
    const vendorCode = str(mx.reasonCode) ?? str(mx['spi:reasonCode']);
    const message = str(mx.message) ?? str(mx['oslc:message']);
    return { message: message ?? vendorCode, vendorCode };
  }

  // MaintainX: {"errors":[{"error","fieldPath"?,"fieldValue"?}]} (its OpenAPI); `message`/`field` are
  // read too, for servers that follow the older common shape.
  if (Array.isArray(root.errors)) {
    const parts = root.errors
      .map((e) => {
        const o = obj(e);
        const m = o ? str(o.error) ?? str(o.message) : str(e);
        if (!m) return undefined;
        const field = o ? str(o.fieldPath) ?? str(o.field) : undefined;
        return field ? `${field}: ${m}` : m;
      })
      .filter((m): m is string => m !== undefined);
    if (parts.length > 0) return { message: parts.slice(0, 5).join('; ') };
  }

  // ServiceNow: {"error":{"message","detail"},"status":"failure"}; generic {"error":{"message","code"}}
  const nested = obj(root.error);
  if (nested) {
    const message = str(nested.message);
    const detail = str(nested.detail);
    const vendorCode = str(nested.code);
    const text = message && detail && detail !== message ? `${message}: ${detail}` : (message ?? detail);
    if (text) return { message: text, vendorCode };
  }

  // OAuth 2 token endpoint: {"error":"invalid_client","error_description":"…"}
  const oauthError = str(root.error);
  if (oauthError && 'error_description' in root) {
    const description = str(root.error_description);
    return { message: description ? `${oauthError}: ${description}` : oauthError, vendorCode: oauthError };
  }

  // Problem details (RFC 9457) and the common {"message"} / {"error":"…"} shapes.
  const title = str(root.title);
  const detail = str(root.detail);
  const message = str(root.message) ?? (title && detail ? `${title}: ${detail}` : (detail ?? title)) ?? oauthError;
  const vendorCode = str(root.code) ?? str(root.errorCode);
  return message ? { message, vendorCode } : {};
}

const MAX_SNIPPET = 200;

/** A short, single-line description of a body that is not the JSON we expected. */
export function describeText(text: string, contentType?: string): string {
  if (text.trim() === '') return 'an empty body';
  const isHtml = /html/i.test(contentType ?? '') || /^\s*<(!doctype|html|head|body)\b/i.test(text);
  let snippet = text;
  if (isHtml) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
    snippet = title ? title[1] : text.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]*>/g, ' ');
  }
  snippet = snippet.replace(/\s+/g, ' ').trim();
  if (snippet.length > MAX_SNIPPET) snippet = `${snippet.slice(0, MAX_SNIPPET)}…`;
  const what = isHtml ? 'an HTML page' : `${contentType ? contentType.split(';')[0] : 'a non-JSON'} body`;
  return snippet ? `${what} ("${snippet}")` : what;
}

/**
 * The spellings a secret can take in a text that reached us: raw, URL-encoded (both hex cases, and
 * form encoding with "+" for spaces), JSON-escaped, and base64 — a Basic header or a token endpoint
 * echoing its request carries the secret inside a longer base64 text, so every 3-byte-aligned core of
 * the secret's base64 (and base64url) is hidden too (at most two bytes at either edge stay visible).
 */
function secretSpellings(secret: string): string[] {
  const out = new Set<string>([secret]);
  const uri = encodeURIComponent(secret);
  out.add(uri);
  out.add(uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  out.add(new URLSearchParams({ x: secret }).toString().slice(2));
  out.add(JSON.stringify(secret).slice(1, -1));
  const bytes = Buffer.from(secret, 'utf8');
  for (let skip = 0; skip < 3; skip++) {
    const rest = bytes.subarray(skip);
    const core = rest.subarray(0, rest.length - (rest.length % 3));
    if (core.length < 3) continue;
    const b64 = core.toString('base64');
    out.add(b64);
    out.add(b64.replace(/\+/g, '-').replace(/\//g, '_'));
    out.add(encodeURIComponent(b64));
  }
  // Longest first, so a longer spelling is hidden whole before a shorter one breaks it up.
  return [...out].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replaces every known secret, in every spelling, in a text; used on every message that leaves this module. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) {
    // Very short values would blank out ordinary words; they are not worth hiding anyway.
    if (s.length < 4) continue;
    for (const spelling of secretSpellings(s)) out = out.split(spelling).join('***');
  }
  return out;
}

/** Echoed vendor text in a message is capped: a body can be megabytes and can echo the request. */
const MAX_ECHO = 300;

export function capEcho(text: string): string {
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
}

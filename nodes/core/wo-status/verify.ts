// Who may tell us a work order changed: the signature check of each inbound webhook. Pure: the
// raw body, the headers, the secrets and the clock come in; a verdict goes out. Constant-time
// comparisons only; no verdict names a secret or how close a guess came.
import crypto from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * - `maintainx`: `x-maintainx-webhook-body-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (MaintainX docs).
 * - `standard`: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`), checked by the
 *   `standardwebhooks` package.
 * - `hmac`: our header for senders without a signing scheme of their own (a ServiceNow business rule, a Maximo
 *   publish-channel script): `x-millwright-signature: t=<unix s>,v1=<HMAC-SHA256(secret, "<t>.<raw body>") in hex or base64>`.
 * - `shared-secret`: the secret itself in a header (Maximo's HTTP endpoint can add static headers; ServiceNow REST
 *   messages too). No timestamp, so no staleness check: use it over HTTPS only, and prefer `hmac` where the sender can.
 */
export type SignatureScheme = 'maintainx' | 'standard' | 'hmac' | 'shared-secret';

const HMAC_HEADER = 'x-millwright-signature';
export const SHARED_SECRET_HEADER = 'x-millwright-secret';
const MAINTAINX_HEADER = 'x-maintainx-webhook-body-signature';
export const DEFAULT_TOLERANCE_SEC = 300;

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export type Verdict =
  | { ok: true; replayKey: string | null; webhookId: string | null; timestampSec: number | null; secretIndex: number }
  | { ok: false; status: 401; reason: 'missing-signature' | 'bad-signature' | 'stale' };

interface VerifyInput {
  scheme: SignatureScheme;
  headers: Headers;
  rawBody: Buffer;
  /** One or two active secrets (the new one first during a rotation). Empty strings are skipped. */
  secrets: readonly string[];
  nowSec: number;
  toleranceSec?: number;
  /** Header name for `shared-secret` (lower case); default x-millwright-secret. */
  secretHeader?: string;
}

function header(h: Headers, name: string): string | null {
  const v = h[name];
  if (Array.isArray(v)) return v.length === 1 ? v[0] : null; // two copies of a signature header: refuse
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Compares without leaking where the first difference is; different lengths compare a hash first. */
function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    crypto.timingSafeEqual(a, a); // same work either way
    return false;
  }
  return crypto.timingSafeEqual(a, b);
}

const mac = (secret: string, t: string, body: Buffer): Buffer =>
  crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.`).update(body).digest();

/** `t=…,v1=…[,v1=…]`: the timestamp and every v1 value (a sender may send two during its own rotation). */
function parseTv(value: string): { t: string; v1: string[] } | null {
  let t: string | null = null;
  const v1: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') v1.push(v);
  }
  if (t === null || !/^\d{1,12}$/.test(t) || v1.length === 0 || v1.length > 4) return null;
  return { t, v1 };
}

/** Hex (what MaintainX sends) or base64 (what ServiceNow's GlideCertificateEncryption.generateMac gives). */
function decodeMac(v: string): Buffer | null {
  if (/^[0-9a-f]{64}$/i.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(v)) return Buffer.from(v, 'base64');
  return null;
}

const stale = (t: number, now: number, tol: number): boolean => Math.abs(now - t) > tol;

function verifyTv(input: VerifyInput, headerName: string, secrets: string[], tol: number): Verdict {
  const raw = header(input.headers, headerName);
  if (!raw) return { ok: false, status: 401, reason: 'missing-signature' };
  const parsed = parseTv(raw);
  if (!parsed) return { ok: false, status: 401, reason: 'bad-signature' };
  const t = Number(parsed.t);
  const given = parsed.v1.map(decodeMac).filter((b): b is Buffer => b !== null);
  let index = -1;
  for (let i = 0; i < secrets.length; i++) {
    const expected = mac(secrets[i], parsed.t, input.rawBody);
    // Every candidate is compared, so the time taken does not tell which secret or signature matched.
    for (const g of given) if (safeEqual(g, expected) && index < 0) index = i;
  }
  if (index < 0) return { ok: false, status: 401, reason: 'bad-signature' };
  // Stale is judged after the signature, so an attacker learns nothing about our clock from a forged request.
  if (stale(t, input.nowSec, tol)) return { ok: false, status: 401, reason: 'stale' };
  // The signature itself is the replay key: a captured request sent again carries the same t and v1.
  const sig = crypto.createHash('sha256').update(raw).digest('hex').slice(0, 32);
  return { ok: true, replayKey: `${headerName === MAINTAINX_HEADER ? 'mx' : 'hm'}:${sig}`, webhookId: null, timestampSec: t, secretIndex: index };
}

function standardKey(secret: string): Webhook {
  // whsec_<base64> is the Standard Webhooks form; any other string is used as its UTF-8 bytes,
  // the way the simulator and most senders treat a plain secret.
  return secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(new Uint8Array(Buffer.from(secret, 'utf8')), { format: 'raw' });
}

function verifyStandard(input: VerifyInput, secrets: string[], tol: number): Verdict {
  const id = header(input.headers, 'webhook-id');
  const ts = header(input.headers, 'webhook-timestamp');
  const sig = header(input.headers, 'webhook-signature');
  if (!id || !ts || !sig) return { ok: false, status: 401, reason: 'missing-signature' };
  if (!/^\d{1,12}$/.test(ts) || id.length > 200) return { ok: false, status: 401, reason: 'bad-signature' };
  let index = -1;
  let tooOld = false;
  for (let i = 0; i < secrets.length; i++) {
    try {
      standardKey(secrets[i]).verify(input.rawBody, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig }, { jsonParse: false });
      if (index < 0) index = i;
    } catch (e) {
      // The package checks the timestamp (against its own clock, ±5 min) before the signature.
      if (e instanceof Error && /timestamp/i.test(e.message)) tooOld = true;
    }
  }
  // The package's clock is the process clock; ours is injected (and must agree): both must accept.
  if (tooOld || (index >= 0 && stale(Number(ts), input.nowSec, tol))) {
    // Only say "stale" to a sender that proved it knows the secret; anyone else just fails the signature.
    if (index >= 0 || secrets.some((s) => standardSignsWith(s, id, Number(ts), input.rawBody, sig))) return { ok: false, status: 401, reason: 'stale' };
    return { ok: false, status: 401, reason: 'bad-signature' };
  }
  if (index < 0) return { ok: false, status: 401, reason: 'bad-signature' };
  // The exact request sent again (a captured copy) is a replay; the sender's own retry of the same
  // webhook-id carries a new timestamp and signature, and is answered 2xx (the content dedupe drops
  // it), or the sender would retry a message we already hold for days.
  return { ok: true, replayKey: `sw:${id}:${ts}`, webhookId: id, timestampSec: Number(ts), secretIndex: index };
}

/** Whether `sig` holds a valid v1 signature of (id, ts, body), ignoring the time: to tell stale from forged. */
function standardSignsWith(secret: string, id: string, ts: number, body: Buffer, sig: string): boolean {
  const expected = Buffer.from(standardKey(secret).sign(id, new Date(ts * 1000), body), 'utf8');
  return sig.split(' ').some((s) => safeEqual(Buffer.from(s, 'utf8'), expected));
}

function verifySharedSecret(input: VerifyInput, secrets: string[]): Verdict {
  const name = (input.secretHeader ?? SHARED_SECRET_HEADER).toLowerCase();
  const given = header(input.headers, name);
  if (!given) return { ok: false, status: 401, reason: 'missing-signature' };
  // Hashing both sides first gives equal lengths, so the comparison leaks nothing about the length.
  const g = crypto.createHash('sha256').update(given, 'utf8').digest();
  let index = -1;
  for (let i = 0; i < secrets.length; i++) {
    if (safeEqual(g, crypto.createHash('sha256').update(secrets[i], 'utf8').digest()) && index < 0) index = i;
  }
  if (index < 0) return { ok: false, status: 401, reason: 'bad-signature' };
  return { ok: true, replayKey: null, webhookId: null, timestampSec: null, secretIndex: index };
}

export function verifyWebhook(input: VerifyInput): Verdict {
  const secrets = input.secrets.filter((s) => typeof s === 'string' && s !== '');
  if (secrets.length === 0) return { ok: false, status: 401, reason: 'bad-signature' };
  const tol = input.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  switch (input.scheme) {
    case 'maintainx': return verifyTv(input, MAINTAINX_HEADER, secrets, tol);
    case 'hmac': return verifyTv(input, HMAC_HEADER, secrets, tol);
    case 'standard': return verifyStandard(input, secrets, tol);
    case 'shared-secret': return verifySharedSecret(input, secrets);
  }
}

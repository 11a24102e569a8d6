// A generic REST work-order API under /rest, built to the standards the generic adapter follows:
// Idempotency-Key (IETF httpapi draft), RFC 9457 problem details, OAuth2 client credentials,
// cursor paging, and optional Standard Webhooks signatures on incoming writes.
import crypto from 'node:crypto';

import { reason, type DialectHandler, type SimContext } from './context';
import { bearer, decodeCursor, encodeCursor, header, intParam, isoZ, isRecord, json, jsonBody, type SimRequest, type SimResponse } from './http';
import { restTokenEndpoint } from './oauth';
import { signStandard } from './webhooks';
import type { SimWorkOrder } from './types';

export const REST_CREDENTIALS = { token: 'sim-rest-token', apiKey: 'sim-rest-key' };

const LIMIT_MAX = 500;
const SIGNATURE_TOLERANCE_S = 300;
const RESERVED = ['id', 'status', 'createdAt', 'updatedAt'];

export function problem(status: number, title: string, detail?: string, headers: Record<string, string | number> = {}): SimResponse {
  return json(status, { type: 'about:blank', title, status, ...(detail ? { detail } : {}) }, { 'Content-Type': 'application/problem+json', ...headers });
}

/** Key order and whitespace do not make two bodies different. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

interface IdempotencyEntry {
  fingerprint: string;
  done: boolean;
  status: number;
  body: unknown;
  headers: Record<string, string | number>;
}

export function createRest(ctx: SimContext): DialectHandler {
  const keys = new Map<string, IdempotencyEntry>();

  const toWire = (wo: SimWorkOrder): Record<string, unknown> => ({
    ...wo.fields, id: wo.id, status: wo.status, reference: wo.ref, createdAt: isoZ(wo.createdAt), updatedAt: isoZ(wo.updatedAt),
  });

  const unauthorized = (detail = 'Send Authorization: Bearer <token> or X-API-Key.'): SimResponse =>
    problem(401, 'Unauthorized', detail, { 'WWW-Authenticate': 'Bearer realm="sim"' });

  const authError = (req: SimRequest): SimResponse | null => {
    if (header(req, 'x-api-key') === REST_CREDENTIALS.apiKey) return null;
    const token = bearer(req);
    if (token === REST_CREDENTIALS.token) return null;
    if (token) {
      const state = ctx.tokens.check('rest', token);
      if (state === 'valid') return null;
      if (state === 'expired') {
        return problem(401, 'Unauthorized', 'The access token expired.', { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' });
      }
    }
    return unauthorized();
  };

  const signatureError = (req: SimRequest): SimResponse | null => {
    const secret = ctx.restSigningSecret;
    if (!secret || (req.method !== 'POST' && req.method !== 'PATCH')) return null;
    const id = header(req, 'webhook-id');
    const ts = Number(header(req, 'webhook-timestamp'));
    const sigs = (header(req, 'webhook-signature') ?? '').split(' ').filter(Boolean);
    if (!id || !Number.isFinite(ts) || sigs.length === 0) return problem(401, 'Unauthorized', 'Missing webhook-id, webhook-timestamp or webhook-signature.');
    if (Math.abs(Math.floor(ctx.now() / 1000) - ts) > SIGNATURE_TOLERANCE_S) return problem(401, 'Unauthorized', 'webhook-timestamp is outside the tolerance.');
    const expected = Buffer.from(signStandard(secret, id, ts, req.text));
    const ok = sigs.some((s) => {
      const got = Buffer.from(s);
      return got.length === expected.length && crypto.timingSafeEqual(got, expected);
    });
    return ok ? null : problem(401, 'Unauthorized', 'The webhook-signature does not match the body.');
  };

  const page = (req: SimRequest, items: unknown[]): SimResponse => {
    const limit = intParam(req.query, 'limit', 50);
    const offset = decodeCursor(req.query.get('cursor'));
    if (limit === null || limit < 1 || limit > LIMIT_MAX) return problem(400, 'Bad Request', `limit must be between 1 and ${LIMIT_MAX}.`);
    if (offset === null) return problem(400, 'Bad Request', 'cursor is invalid.');
    const nextCursor = offset + limit < items.length ? encodeCursor(offset + limit) : null;
    return json(200, { items: items.slice(offset, offset + limit), nextCursor });
  };

  const create = (req: SimRequest): SimResponse => {
    const parsed = jsonBody(req);
    if (!parsed.ok) return problem(400, 'Bad Request', parsed.error);
    if (!isRecord(parsed.value)) return problem(422, 'Unprocessable Content', 'The work order must be a JSON object.');
    const body = parsed.value;
    const key = header(req, 'idempotency-key');
    const fingerprint = canonical(body);
    if (key !== undefined) {
      const seen = keys.get(key);
      if (seen && seen.fingerprint !== fingerprint) {
        return problem(422, 'Unprocessable Content', 'This Idempotency-Key was already used with a different request body.');
      }
      if (seen && !seen.done) return problem(409, 'Conflict', 'A request with this Idempotency-Key is still being processed.');
      if (seen) return json(seen.status === 201 ? 200 : seen.status, seen.body, { ...seen.headers, 'Idempotent-Replayed': 'true' });
    }
    const id = `wo-${String(ctx.store.nextSeq('rest.id', 1)).padStart(6, '0')}`;
    const fields = Object.fromEntries(Object.entries(body).filter(([k]) => !RESERVED.includes(k)));
    const ref = typeof body.reference === 'string' ? body.reference : key ?? null;
    const wo = ctx.store.create('rest', id, ref, fields);
    const location = `${req.baseUrl}/rest/workorders/${id}`;
    const wire = toWire(wo);
    if (key === undefined) return json(201, wire, { Location: location });
    // The key stays "in flight" until the answer has left (or the socket was dropped), so a
    // concurrent duplicate sees 409 while a late retry gets the stored answer.
    const entry: IdempotencyEntry = { fingerprint, done: false, status: 201, body: wire, headers: { Location: location } };
    keys.set(key, entry);
    return { ...json(201, wire, { Location: location }), onDone: () => { entry.done = true; } };
  };

  const update = (req: SimRequest, wo: SimWorkOrder): SimResponse => {
    const parsed = jsonBody(req);
    if (!parsed.ok) return problem(400, 'Bad Request', parsed.error);
    if (!isRecord(parsed.value)) return problem(422, 'Unprocessable Content', 'The patch must be a JSON object.');
    const patch = parsed.value;
    if (patch.status !== undefined) {
      const r = ctx.store.changeStatus('rest', wo.id, String(patch.status));
      if (!r.ok) {
        const detail = r.reason === 'unknown-status' ? `Unknown status ${String(patch.status)}.` : `Cannot move from ${r.from} to ${r.to}.`;
        return problem(422, 'Unprocessable Content', detail);
      }
    }
    // JSON merge patch (RFC 7396): null removes a field.
    for (const [k, v] of Object.entries(patch)) {
      if (RESERVED.includes(k)) continue;
      if (v === null) delete wo.fields[k];
      else wo.fields[k] = v;
    }
    if ('reference' in patch) wo.ref = typeof patch.reference === 'string' ? patch.reference : null;
    ctx.store.touch(wo);
    return json(200, toWire(wo));
  };

  const workOrders = (req: SimRequest, id: string | undefined): SimResponse => {
    if (!id) {
      if (req.method === 'POST') return create(req);
      if (req.method !== 'GET') return problem(405, 'Method Not Allowed');
      let rows = ctx.store.list('rest');
      const reference = req.query.get('reference');
      if (reference !== null) return json(200, { items: rows.filter((w) => w.ref === reference).map(toWire) });
      const since = req.query.get('updatedSince');
      if (since !== null) {
        const t = Date.parse(since);
        if (Number.isNaN(t)) return problem(400, 'Bad Request', 'updatedSince must be an ISO 8601 date-time.');
        rows = rows.filter((w) => w.updatedAt >= t);
      }
      rows = [...rows].sort((a, b) => a.updatedAt - b.updatedAt || a.id.localeCompare(b.id));
      return page(req, rows.map(toWire));
    }
    const wo = ctx.store.get('rest', id);
    if (!wo) return problem(404, 'Not Found', `No work order ${id}.`);
    if (req.method === 'GET') return json(200, toWire(wo));
    if (req.method === 'PATCH') return update(req, wo);
    return problem(405, 'Method Not Allowed');
  };

  const assetItems = ctx.assets.map((a) => ({
    id: `${a.assetnum}@${a.siteid}`, assetnum: a.assetnum, siteId: a.siteid, location: a.location,
    description: a.description, status: a.status, class: a.assetClass ?? null,
  }));

  const handle = (req: SimRequest): SimResponse => {
    if (req.path === '/rest/oauth/token') return restTokenEndpoint(req, ctx.tokens);
    const denied = authError(req) ?? signatureError(req);
    if (denied) return denied;
    const m = /^\/rest\/([a-z]+)(?:\/([^/]+))?\/?$/.exec(req.path);
    if (!m) return problem(404, 'Not Found', `No resource at ${req.path}.`);
    const [, resource, id] = m;
    if (resource === 'health' && !id) return json(200, { status: 'ok', time: isoZ(ctx.now()) });
    if (resource === 'workorders') return workOrders(req, id);
    if (resource === 'assets' && req.method === 'GET') {
      if (!id) return page(req, assetItems);
      const a = assetItems.find((x) => x.id === id);
      return a ? json(200, a) : problem(404, 'Not Found', `No asset ${id}.`);
    }
    return problem(404, 'Not Found', `No resource at ${req.path}.`);
  };

  return {
    handle,
    unauthorized: () => unauthorized('The credentials are no longer valid.'),
    error: (status, message) => problem(status, reason(status), message),
    wire: (wo) => toWire(wo),
    reset: () => keys.clear(),
  };
}

// MaintainX public API v1 (/v1), as its published OpenAPI specification describes it
// (api.getmaintainx.com/v1/docs; the copy read is api-evangelist/maintainx
// openapi/_original/maintainx-openapi-original.json): work orders with numeric ids (create answers
// 200 {id}; GET/PATCH answers are {workOrder}), status changes, comments, assets (status, barcode and
// custom fields only with `expand`), locations, organizations and users. Errors are
// {errors: [{error, fieldPath}]}. Bearer token auth; an optional per-token request window.
// `ctx.lenient` brings back conveniences the real API lacks, for old tests only.
import { assetNumericId } from './assets';
import type { DialectHandler, SimContext } from './context';
import { bearer, decodeCursor, encodeCursor, intParam, isoZ, isRecord, json, jsonBody, type SimRequest, type SimResponse } from './http';
import { MACHINES } from './states';
import type { SimWorkOrder } from './types';

export const MAINTAINX_TOKEN = 'sim-maintainx-token';

const PRIORITIES = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];
const TYPES = ['OTHER', 'REACTIVE', 'PREVENTIVE'];
const LIMIT_MAX = 200;
const EDITABLE = ['title', 'description', 'priority', 'assetId', 'locationId', 'externalData', 'type', 'categories', 'dueDate', 'startDate', 'extraFields'];

type Issue = { error: string; fieldPath?: string };

function mxErrors(status: number, errors: Issue[], headers: Record<string, string | number> = {}): SimResponse {
  return json(status, { errors }, headers);
}

/** A string reference stays as sent; an object is compared by its JSON. */
export function refOf(externalData: unknown): string | null {
  if (externalData === undefined || externalData === null) return null;
  return typeof externalData === 'string' ? externalData : JSON.stringify(externalData);
}

export function createMaintainx(ctx: SimContext): DialectHandler {
  const windows = new Map<string, { start: number; count: number }>();
  // MaintainX locations are areas and lines; an asset sits in its parent location.
  const locationPaths = [...new Set(ctx.assets.map((a) => a.location.split('/').slice(0, -1).join('/')))];
  const locations = locationPaths.map((path, i) => ({ id: 7000 + i, name: path, address: null, parentId: null }));
  const locationIdOf = (path: string): number | undefined => locations.find((l) => l.name === path)?.id;
  const assets = ctx.assets.map((a, i) => ({
    id: assetNumericId(i), name: a.assetnum, description: a.description, barcode: a.assetnum,
    locationId: locationIdOf(a.location.split('/').slice(0, -1).join('/')) ?? null,
    // There is no `archived` field; a decommissioned asset is OFFLINE (its status enum: ONLINE, OFFLINE, IGNORE).
    status: { id: 300 + i, status: a.status === 'OPERATING' ? 'ONLINE' : 'OFFLINE' },
    extraFields: { Site: a.siteid, 'Asset Number': a.assetnum, Class: a.assetClass ?? '' },
  }));
  /** An asset as listed: barcode, status and custom fields only when `expand` names them. */
  const assetWire = (a: (typeof assets)[number], req: SimRequest): Record<string, unknown> => {
    const expand = new Set(req.query.getAll('expand').flatMap((v) => v.split(',')).map((v) => v.trim()));
    const { barcode, status, extraFields, ...rest } = a;
    return {
      ...rest,
      ...(expand.has('barcode') ? { barcode } : {}),
      ...(expand.has('status') ? { status } : {}),
      ...(expand.has('extra_fields') ? { extraFields } : {}),
    };
  };

  ctx.store.onTransition('maintainx', (wo, _from, to, at) => {
    wo.fields.completedAt = to === 'DONE' ? isoZ(at) : null;
  });

  /** A list item: the OpenAPI's list schema has no `externalData` and no `assetId`. */
  const listWire = (wo: SimWorkOrder): Record<string, unknown> => {
    const w = toWire(wo);
    if (ctx.lenient) return w;
    const { externalData: _e, assetId: _a, ...rest } = w;
    return rest;
  };
  /** GET/PATCH answers: `{workOrder}` as the OpenAPI says; bare only when lenient. */
  const one = (wo: SimWorkOrder): Record<string, unknown> => (ctx.lenient ? toWire(wo) : { workOrder: toWire(wo) });

  const toWire = (wo: SimWorkOrder): Record<string, unknown> => {
    const f = wo.fields;
    return {
      id: Number(wo.id), sequentialId: f.sequentialId, title: f.title, description: f.description ?? null,
      priority: f.priority, status: wo.status, type: f.type, assetId: f.assetId ?? null, locationId: f.locationId ?? null,
      categories: f.categories ?? [], assignees: [], externalData: f.externalData ?? null, extraFields: f.extraFields ?? {},
      dueDate: f.dueDate ?? null, startDate: f.startDate ?? null, completedAt: f.completedAt ?? null,
      createdAt: isoZ(wo.createdAt), updatedAt: isoZ(wo.updatedAt),
    };
  };

  const unauthorized = (): SimResponse => mxErrors(401, [{ error: 'Unauthorized' }]);

  const rate = (token: string): { headers: Record<string, string | number>; exceeded: boolean } => {
    const cfg = ctx.maintainxRateLimit;
    if (!cfg) return { headers: {}, exceeded: false };
    const now = ctx.now();
    let w = windows.get(token);
    if (!w || now - w.start >= cfg.windowSec * 1000) {
      w = { start: now, count: 0 };
      windows.set(token, w);
    }
    const exceeded = w.count >= cfg.limit;
    if (!exceeded) w.count += 1;
    const reset = Math.max(1, Math.ceil((w.start + cfg.windowSec * 1000 - now) / 1000));
    return { headers: { 'X-Rate-Limit-Limit': cfg.limit, 'X-Rate-Limit-Remaining': cfg.limit - w.count, 'X-Rate-Limit-Reset': reset }, exceeded };
  };

  const check = (body: Record<string, unknown>, creating: boolean): Issue[] => {
    const issues: Issue[] = [];
    if (creating || 'title' in body) {
      if (typeof body.title !== 'string' || body.title.trim() === '') issues.push({ error: 'title is required', fieldPath: 'title' });
    }
    if (body.priority !== undefined && !PRIORITIES.includes(String(body.priority))) {
      issues.push({ error: `priority must be one of ${PRIORITIES.join(', ')}`, fieldPath: 'priority' });
    }
    if (body.type !== undefined && !TYPES.includes(String(body.type))) issues.push({ error: `type must be one of ${TYPES.join(', ')}`, fieldPath: 'type' });
    if (body.assetId !== undefined && body.assetId !== null && !assets.some((a) => a.id === body.assetId)) {
      issues.push({ error: `Asset ${String(body.assetId)} not found`, fieldPath: 'assetId' });
    }
    if (body.locationId !== undefined && body.locationId !== null && !locations.some((l) => l.id === body.locationId)) {
      issues.push({ error: `Location ${String(body.locationId)} not found`, fieldPath: 'locationId' });
    }
    return issues;
  };

  const listWorkOrders = (req: SimRequest): SimResponse => {
    const q = req.query;
    const multi = (name: string): string[] => q.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
    const limit = intParam(q, 'limit', 100);
    const offset = decodeCursor(q.get('cursor'));
    if (limit === null || limit < 1 || limit > LIMIT_MAX) return mxErrors(400, [{ error: `limit must be between 1 and ${LIMIT_MAX}`, fieldPath: 'limit' }]);
    if (offset === null) return mxErrors(400, [{ error: 'cursor is invalid', fieldPath: 'cursor' }]);
    const bounds: [string, (w: SimWorkOrder) => number, (a: number, b: number) => boolean][] = [
      ['updatedAt[gte]', (w) => w.updatedAt, (a, b) => a >= b], ['updatedAt[lte]', (w) => w.updatedAt, (a, b) => a <= b],
      ['createdAt[gte]', (w) => w.createdAt, (a, b) => a >= b], ['createdAt[lte]', (w) => w.createdAt, (a, b) => a <= b],
    ];
    let rows = ctx.store.list('maintainx');
    for (const [name, get, ok] of bounds) {
      const raw = q.get(name);
      if (raw === null) continue;
      const t = Date.parse(raw);
      if (Number.isNaN(t)) return mxErrors(400, [{ error: `${name} must be an ISO 8601 date`, fieldPath: name }]);
      rows = rows.filter((w) => ok(get(w), t));
    }
    const statuses = multi('statuses');
    if (statuses.length) rows = rows.filter((w) => statuses.includes(w.status));
    const assetIds = multi('assets').map(Number);
    if (assetIds.length) rows = rows.filter((w) => assetIds.includes(Number(w.fields.assetId)));
    // Lenient only: MaintainX has no filter on externalData (an unknown parameter is ignored here).
    const ext = ctx.lenient ? q.get('externalData') : null;
    if (ext !== null) {
      rows = rows.filter((w) => w.ref === ext || (isRecord(w.fields.externalData) && Object.values(w.fields.externalData).includes(ext)));
    }
    const sort = q.get('sort') ?? 'id';
    const key = sort.replace(/^-/, '');
    const keyOf = (w: SimWorkOrder): number => (key === 'updatedAt' ? w.updatedAt : key === 'createdAt' ? w.createdAt : Number(w.id));
    if (!['id', 'updatedAt', 'createdAt', 'dueDate', 'startedAt', 'completedAt'].includes(key)) return mxErrors(400, [{ error: 'sort must be id, createdAt or updatedAt', fieldPath: 'sort' }]);
    rows = [...rows].sort((a, b) => (keyOf(a) - keyOf(b) || Number(a.id) - Number(b.id)) * (sort.startsWith('-') ? -1 : 1));
    const page = rows.slice(offset, offset + limit);
    const nextCursor = offset + limit < rows.length ? encodeCursor(offset + limit) : null;
    return json(200, { workOrders: page.map(listWire), nextCursor });
  };

  const workOrders = (req: SimRequest, id: string | undefined, sub: string | undefined): SimResponse => {
    const skipWebhook = ['true', '1', 'yes'].includes(req.query.get('skipWebhook') ?? '');
    if (!id) {
      if (req.method === 'GET') return listWorkOrders(req);
      if (req.method !== 'POST') return mxErrors(405, [{ error: `${req.method} not allowed` }]);
      const parsed = jsonBody(req);
      if (!parsed.ok || !isRecord(parsed.value)) return mxErrors(400, [{ error: parsed.ok ? 'body must be a JSON object' : parsed.error }]);
      const body = parsed.value;
      const issues = check(body, true);
      if (issues.length) return mxErrors(400, issues);
      const n = ctx.store.nextSeq('maintainx.id', 40001);
      const fields: Record<string, unknown> = { priority: 'NONE', type: 'OTHER', sequentialId: n - 40000, comments: [], completedAt: null };
      for (const k of EDITABLE) if (body[k] !== undefined) fields[k] = body[k];
      const wo = ctx.store.create('maintainx', String(n), refOf(body.externalData), fields);
      return ctx.lenient ? json(201, toWire(wo)) : json(200, { id: n });
    }
    const wo = ctx.store.get('maintainx', id);
    if (!wo) return mxErrors(404, [{ error: `Work order ${id} not found` }]);
    if (!sub) {
      if (req.method === 'GET') return json(200, one(wo));
      if (req.method !== 'PATCH') return mxErrors(405, [{ error: `${req.method} not allowed` }]);
      const parsed = jsonBody(req);
      if (!parsed.ok || !isRecord(parsed.value)) return mxErrors(400, [{ error: parsed.ok ? 'body must be a JSON object' : parsed.error }]);
      const issues = check(parsed.value, false);
      if ('status' in parsed.value) issues.push({ error: 'status is changed through PATCH /workorders/{id}/status', fieldPath: 'status' });
      if (issues.length) return mxErrors(400, issues);
      for (const k of EDITABLE) if (parsed.value[k] !== undefined) wo.fields[k] = parsed.value[k];
      if ('externalData' in parsed.value) wo.ref = refOf(parsed.value.externalData);
      ctx.store.touch(wo);
      return json(200, one(wo));
    }
    if (sub === 'status') {
      if (req.method !== 'PATCH') return mxErrors(405, [{ error: `${req.method} not allowed` }]);
      const parsed = jsonBody(req);
      const status = parsed.ok && isRecord(parsed.value) ? parsed.value.status : undefined;
      if (typeof status !== 'string' || MACHINES.maintainx.normalize(status) === null || status !== status.toUpperCase()) {
        return mxErrors(400, [{ error: `status must be one of ${MACHINES.maintainx.all.join(', ')}`, fieldPath: 'status' }]);
      }
      const r = ctx.store.changeStatus('maintainx', id, status, { silent: skipWebhook });
      if (!r.ok) return mxErrors(400, [{ error: `Cannot change status from ${r.from} to ${r.to}`, fieldPath: 'status' }]);
      return json(200, one(wo));
    }
    if (sub === 'comments') {
      if (req.method === 'GET') return paged(req, wo.fields.comments as unknown[], 'comments');
      if (req.method !== 'POST') return mxErrors(405, [{ error: `${req.method} not allowed` }]);
      const parsed = jsonBody(req);
      const content = parsed.ok && isRecord(parsed.value) ? parsed.value.content : undefined;
      if (typeof content !== 'string' || content.trim() === '') return mxErrors(400, [{ error: 'content is required', fieldPath: 'content' }]);
      const comment = { id: ctx.store.nextSeq('maintainx.comment', 90001), content, authorId: 1, createdAt: isoZ(ctx.now()) };
      (wo.fields.comments as unknown[]).push(comment);
      ctx.store.touch(wo);
      return json(201, ctx.lenient ? comment : { id: comment.id });
    }
    return mxErrors(404, [{ error: `No route for ${req.path}` }]);
  };

  const paged = (req: SimRequest, items: unknown[], key: string): SimResponse => {
    const limit = intParam(req.query, 'limit', 100);
    const offset = decodeCursor(req.query.get('cursor'));
    if (limit === null || limit < 1 || limit > LIMIT_MAX) return mxErrors(400, [{ error: `limit must be between 1 and ${LIMIT_MAX}`, fieldPath: 'limit' }]);
    if (offset === null) return mxErrors(400, [{ error: 'cursor is invalid', fieldPath: 'cursor' }]);
    const nextCursor = offset + limit < items.length ? encodeCursor(offset + limit) : null;
    return json(200, { [key]: items.slice(offset, offset + limit), nextCursor });
  };

  const handle = (req: SimRequest): SimResponse => {
    const token = bearer(req);
    if (token !== MAINTAINX_TOKEN) return unauthorized();
    const limits = rate(token);
    const withRate = (r: SimResponse): SimResponse => ({ ...r, headers: { ...limits.headers, ...r.headers } });
    if (limits.exceeded) return withRate(mxErrors(429, [{ error: 'Too many requests' }]));
    const m = /^\/v1\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?\/?$/i.exec(req.path);
    if (!m) return withRate(mxErrors(404, [{ error: `No route for ${req.path}` }]));
    const [, resource, id, sub] = m;
    if (resource === 'workorders') return withRate(workOrders(req, id, sub));
    if (req.method !== 'GET') return withRate(mxErrors(405, [{ error: `${req.method} not allowed` }]));
    const user = { id: 1, firstName: 'Sim', lastName: 'Integration', email: 'integration@example.com', role: 'ADMIN', organizationId: 1 };
    // Lenient only: the specification has /users and /users/{id}, no /users/me.
    if (ctx.lenient && resource === 'users' && id === 'me' && !sub) return withRate(json(200, user));
    if (resource === 'users' && !id) return withRate(paged(req, [user], 'users'));
    if (resource === 'users' && id === '1' && !sub) return withRate(json(200, { user }));
    if (resource === 'organizations' && !id) return withRate(paged(req, [{ id: 1, name: 'Sim Plant', timeZone: 'Etc/UTC' }], 'organizations'));
    if (resource === 'assets' && !id) return withRate(paged(req, assets.map((a) => assetWire(a, req)), 'assets'));
    if (resource === 'assets' && id && !sub) {
      const a = assets.find((x) => String(x.id) === id);
      return withRate(a ? json(200, { asset: assetWire(a, req) }) : mxErrors(404, [{ error: `Asset ${id} not found` }]));
    }
    if (resource === 'locations' && !id) return withRate(paged(req, locations, 'locations'));
    return withRate(mxErrors(404, [{ error: `No route for ${req.path}` }]));
  };

  return {
    handle,
    unauthorized,
    error: (status, message) => mxErrors(status, [{ error: message }]),
    wire: (wo) => toWire(wo),
    reset: () => windows.clear(),
  };
}

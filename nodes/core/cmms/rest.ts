// Any REST work-order endpoint. Paths are templates on baseUrl; the create body is our mapped body
// plus `reference`, or whatever the injected renderBody (JSONata) makes of it. Dedupe: the
// `Idempotency-Key` header (IETF httpapi draft) carries our reference, so a resend replays the
// first answer, and a 409 (same request still running) is resolved by lookup.
import { runProbe } from './health';
import { fillPath, joinUrl, onOrigin, withQuery, type Connection } from './http';
import { standardWebhookHeaders } from './signing';
import type { CmmsAsset, CmmsClient, CmmsConfig, CmmsWorkOrder, Page, WorkOrderRef, WorkOrderState } from './types';
import { createOrFindOnConflict, setStatusIdempotent } from './workflow';
import { asRecord, badInput, requireRecord, requireText, requireTime, text, toIso, type Json } from './values';

const LABEL = 'REST';

const STATE_WORDS: Record<string, WorkOrderState> = {
  open: 'open', new: 'open', created: 'open', requested: 'open', approved: 'open', scheduled: 'open',
  'in-progress': 'in-progress', inprogress: 'in-progress', started: 'in-progress', active: 'in-progress', working: 'in-progress',
  'on-hold': 'on-hold', onhold: 'on-hold', hold: 'on-hold', paused: 'on-hold', waiting: 'on-hold',
  done: 'done', closed: 'done', complete: 'done', completed: 'done', resolved: 'done', finished: 'done',
  cancelled: 'cancelled', canceled: 'cancelled', aborted: 'cancelled', rejected: 'cancelled',
};

export function restState(status: string): WorkOrderState {
  return STATE_WORDS[status.trim().toLowerCase().replace(/[_\s]+/g, '-')] ?? 'open';
}

export function restAssetState(status: string): CmmsAsset['status'] {
  const s = status.trim().toLowerCase();
  if (['decommissioned', 'retired', 'scrapped', 'disposed'].includes(s)) return 'decommissioned';
  if (['', 'active', 'operating', 'operational', 'online', 'in-service', 'in service'].includes(s)) return 'active';
  return 'inactive';
}

const REST_DEFAULT_PATHS = {
  createPath: '/workorders',
  updatePath: '/workorders/{id}',
  getPath: '/workorders/{id}',
  findPath: '/workorders?reference={reference}',
  changedPath: '/workorders?updatedSince={since}&limit={limit}',
  assetsPath: '/assets?limit={limit}',
  healthPath: '/health',
};

/** Items of a list answer: a bare array, or under items / data / results. */
function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const r = asRecord(body);
  for (const key of ['items', 'data', 'results', 'workOrders', 'assets']) {
    if (Array.isArray(r?.[key])) return r[key] as unknown[];
  }
  throw badInput('REST list answer has no items array (expected an array, or items / data / results)');
}

function nextOf(body: unknown): string | null {
  const r = asRecord(body);
  return r ? text(r.nextCursor) ?? text(r.next) ?? text(asRecord(r.links)?.next) : null;
}

export function createRestClient(conn: Connection, config: CmmsConfig): CmmsClient {
  const opts = config.rest ?? {};
  const d = REST_DEFAULT_PATHS;
  const paths = {
    createPath: opts.createPath ?? d.createPath, updatePath: opts.updatePath ?? d.updatePath, getPath: opts.getPath ?? d.getPath,
    findPath: opts.findPath ?? d.findPath, changedPath: opts.changedPath ?? d.changedPath,
    assetsPath: opts.assetsPath ?? d.assetsPath, healthPath: opts.healthPath ?? d.healthPath,
  };
  const base = config.baseUrl;
  const headers = { ...opts.headers };
  const idempotencyHeader = opts.idempotencyHeader ?? 'Idempotency-Key';
  const now = (): string => new Date(conn.now()).toISOString();
  const url = (template: string, values: Record<string, string> = {}): string =>
    joinUrl(base, fillPath(template, { limit: String(conn.pageSize), ...values }));

  /** A next-page value is either a link (followed on our origin) or a cursor for the first URL. */
  function pageUrl(first: string, cursor: string | null | undefined): string {
    if (!cursor) return first;
    if (/^(https?:)?\//i.test(cursor)) return onOrigin(cursor, base);
    return withQuery(first, { cursor });
  }

  function toWorkOrder(v: unknown): CmmsWorkOrder {
    const r = requireRecord(v, LABEL, 'a work order');
    const id = text(r.id) ?? text(r.workOrderId);
    if (!id) throw badInput('REST work order without id');
    const cmmsStatus = text(r.status) ?? text(r.state) ?? 'open';
    return {
      id,
      href: text(r.href) ?? text(r.self) ?? url(paths.getPath, { id }),
      reference: text(r.reference) ?? text(r.externalId),
      cmmsStatus,
      status: restState(cmmsStatus),
      assetId: text(r.assetId) ?? text(r.asset),
      changedAt: toIso(r.updatedAt ?? r.changedAt ?? r.createdAt, now()),
    };
  }

  function toAsset(v: unknown): CmmsAsset {
    const r = requireRecord(v, LABEL, 'an asset');
    const id = text(r.id) ?? text(r.assetId);
    if (!id) throw badInput('REST asset without id');
    const cmmsStatus = text(r.status) ?? '';
    const asset: CmmsAsset = { id, siteId: text(r.siteId), location: text(r.location), status: restAssetState(cmmsStatus), cmmsStatus };
    const description = text(r.description) ?? text(r.name);
    if (description) asset.description = description;
    const tag = text(r.assetnum) ?? text(r.tag) ?? text(r.assetTag);
    if (tag && tag !== id) asset.tag = tag;
    return asset;
  }

  async function list<T>(target: string, map: (v: unknown) => T): Promise<Page<T>> {
    const body = (await conn.send({ method: 'GET', url: target, headers })).data;
    return { items: itemsOf(body).map(map), next: nextOf(body) };
  }

  async function getWorkOrder(ref: WorkOrderRef): Promise<CmmsWorkOrder> {
    const body = requireRecord((await conn.send({ method: 'GET', url: url(paths.getPath, { id: requireText(ref.id, 'work order id') }), headers })).data, LABEL, 'a work order');
    return toWorkOrder(asRecord(body.item) ?? asRecord(body.data) ?? body);
  }

  async function findByReference(reference: string): Promise<CmmsWorkOrder | null> {
    const page = await list(url(paths.findPath, { reference: requireText(reference, 'reference') }), toWorkOrder);
    // Only an exact match counts: a server that ignores the filter must not hand us someone else's work order.
    return page.items.find((w) => w.reference === reference) ?? null;
  }

  return {
    dialect: 'rest',

    async createWorkOrder(input) {
      const reference = requireText(input.reference, 'reference');
      const rendered = opts.renderBody ? await opts.renderBody({ body: input.body, reference }) : { ...input.body, reference };
      // Serialised here, so the bytes signed are the bytes sent.
      const body = typeof rendered === 'string' ? rendered : JSON.stringify(rendered);
      const sendHeaders: Record<string, string> = { ...headers, [idempotencyHeader]: reference };
      if (opts.signingSecret) {
        Object.assign(sendHeaders, standardWebhookHeaders(opts.signingSecret, reference, Math.floor(conn.now() / 1000), body));
      }
      // 409: the same request is still running or was answered; look the work order up.
      return createOrFindOnConflict(reference, async () => {
        const res = await conn.send({ method: opts.createMethod ?? 'POST', url: url(paths.createPath, { reference }), headers: sendHeaders, body });
        const created = asRecord(res.data);
        const item = asRecord(created?.item) ?? asRecord(created?.data) ?? created;
        const location = typeof res.headers.location === 'string' ? res.headers.location : null;
        const id = text(item?.id) ?? text(item?.workOrderId) ?? (location ? decodeURIComponent(location.replace(/\/+$/, '').split('/').pop() ?? '') || null : null);
        if (!id) throw badInput('REST target created a work order but returned no id (body `id` or a Location header)');
        const ref: WorkOrderRef = { id, href: text(item?.href) ?? (location ? new URL(location, base).toString() : url(paths.getPath, { id })) };
        const status = text(item?.status);
        if (status) ref.status = status;
        // RFC draft replay signal, or the simulator's 201-becomes-200 replay.
        const replayed = res.headers['idempotent-replayed'] ?? res.headers['idempotency-replayed'];
        if (String(replayed) === 'true') ref.existing = true;
        return ref;
      }, findByReference);
    },

    async updateWorkOrder(ref, change) {
      const body: Json = {};
      if (change.priority !== undefined) body.priority = change.priority;
      if (change.note) body.note = change.note;
      if (Object.keys(body).length > 0) await conn.send({ method: 'PATCH', url: url(paths.updatePath, { id: ref.id }), headers, body });
    },

    async setStatus(ref, status, note) {
      // The generic API has no state after done.
      const body: Json = { status: status === 'closed' ? 'done' : status };
      if (note) body.note = note;
      await setStatusIdempotent(status, async () => {
        await conn.send({ method: 'PATCH', url: url(paths.updatePath, { id: requireText(ref.id, 'work order id') }), headers, body });
      }, () => getWorkOrder(ref));
    },

    findByReference,

    getWorkOrder,

    listAssets(cursor) {
      return list(pageUrl(url(paths.assetsPath), cursor), toAsset);
    },

    listChangedSince(watermarkIso, cursor) {
      const since = new Date(requireTime(watermarkIso)).toISOString();
      return list(pageUrl(url(paths.changedPath, { since }), cursor), toWorkOrder);
    },

    probe: () => runProbe(LABEL, conn.now, async () => {
      await conn.send({ method: 'GET', url: url(paths.healthPath), headers, expectJson: false });
      return undefined;
    }),

    close: () => conn.close(),
  };
}

// MaintainX REST API v1 (`/v1`). Dedupe: our reference goes into `externalData` as
// {"millwrightEventId": ref}. MaintainX documents no filter on externalData, so a lookup first
// asks with `?externalData=` (which the simulator, and any server that has it, honours) and checks
// every answer itself; if the server ignored the filter, it scans recently updated work orders.
import { isCmmsError } from './errors';
import { runProbe } from './health';
import { joinUrl, withQuery, type Connection } from './http';
import type { CmmsAsset, CmmsClient, CmmsConfig, CmmsWorkOrder, Page, SettableStatus, WorkOrderRef, WorkOrderState } from './types';
import { allowedPriorities, maintainxWord } from './priority';
import { setStatusIdempotent } from './workflow';
import { asRecord, badInput, requireArray, requireRecord, requireText, requireTime, text, toIso, type Json } from './values';

const LABEL = 'MaintainX';

/** The key under which our reference sits in `externalData`. */
export const REFERENCE_KEY = 'millwrightEventId';

export function maintainxState(status: string): WorkOrderState {
  switch (status.toUpperCase()) {
    case 'IN_PROGRESS': return 'in-progress';
    case 'ON_HOLD': return 'on-hold';
    case 'DONE': return 'done';
    case 'CANCELED': case 'CANCELLED': return 'cancelled';
    default: return 'open';
  }
}

export function maintainxAssetState(status: string): CmmsAsset['status'] {
  const s = status.toUpperCase();
  if (s === 'DECOMMISSIONED' || s === 'RETIRED' || s === 'ARCHIVED') return 'decommissioned';
  if (s === '' || s === 'ONLINE' || s === 'OPERATIONAL' || s === 'ACTIVE' || s === 'OPERATING') return 'active';
  return 'inactive';
}

const TARGET_STATUS: Record<SettableStatus, string> = { done: 'DONE', cancelled: 'CANCELED', 'in-progress': 'IN_PROGRESS' };

/**
 * MaintainX's NONE/LOW/MEDIUM/HIGH (the OpenAPI enum; other values get a 400) from a word in any
 * case or a number 1 (most urgent) … 5; anything else is refused here, before it is sent.
 */
export function maintainxPriority(p: unknown): string {
  const word = typeof p === 'number' || typeof p === 'string' ? maintainxWord(p) : null;
  if (word === null) throw badInput(`"${String(p)}" is not a MaintainX priority: use ${allowedPriorities('maintainx')}`);
  return word;
}

/** Our reference from `externalData`, stored either as our object or as the bare string. */
export function referenceOf(externalData: unknown): string | null {
  if (typeof externalData === 'string') return externalData;
  return text(asRecord(externalData)?.[REFERENCE_KEY]);
}

/** `https://api.getmaintainx.com` or `…/v1` → `…/v1`. */
export function maintainxBase(baseUrl: string): string {
  const u = new URL(baseUrl);
  const p = u.pathname.replace(/\/+$/, '');
  return u.origin + (/\/v1$/.test(p) ? p : `${p}/v1`);
}

/** Pages a scan for a reference may read before giving up (at 100 per page). */
const MAX_SCAN_PAGES = 50;

export function createMaintainXClient(conn: Connection, config: CmmsConfig): CmmsClient {
  const opts = config.maintainx ?? {};
  const base = maintainxBase(config.baseUrl);
  const headers: Record<string, string> = opts.organizationId ? { 'x-organization-id': opts.organizationId } : {};
  const lookbackMs = (opts.lookbackHours ?? 72) * 3600_000;
  const now = (): string => new Date(conn.now()).toISOString();
  const woUrl = (id: string, suffix = ''): string => joinUrl(base, `workorders/${encodeURIComponent(requireText(id, 'work order id'))}${suffix}`);
  // Learned on the first lookup: does this server filter by externalData?
  let filterWorks: boolean | undefined;

  function toWorkOrder(v: unknown): CmmsWorkOrder {
    const r = requireRecord(v, LABEL, 'a work order');
    const id = text(r.id);
    if (!id) throw badInput('MaintainX work order without id');
    const cmmsStatus = text(r.status) ?? 'OPEN';
    return {
      id,
      href: woUrl(id),
      reference: referenceOf(r.externalData),
      cmmsStatus,
      status: maintainxState(cmmsStatus),
      assetId: text(r.assetId),
      changedAt: toIso(r.updatedAt ?? r.createdAt, now()),
    };
  }

  function toAsset(v: unknown): CmmsAsset {
    const r = requireRecord(v, LABEL, 'an asset');
    const id = text(r.id);
    if (!id) throw badInput('MaintainX asset without id');
    const cmmsStatus = text(r.status) ?? '';
    // MaintainX has no sites; plants that need one keep it in a custom field named "Site".
    const siteId = text(r.siteId) ?? text(asRecord(r.extraFields)?.Site);
    const asset: CmmsAsset = {
      id, siteId, location: text(r.locationId),
      status: r.archived === true ? 'decommissioned' : maintainxAssetState(cmmsStatus), cmmsStatus,
    };
    const name = text(r.name) ?? text(r.description);
    if (name) asset.description = name;
    // MaintainX ids are numbers; the plant's asset number is a custom field, the barcode or the name.
    const tag = text(asRecord(r.extraFields)?.['Asset Number']) ?? text(r.barcode) ?? text(r.name);
    if (tag) asset.tag = tag;
    return asset;
  }

  async function get(url: string): Promise<Json> {
    return requireRecord((await conn.send({ method: 'GET', url, headers })).data, LABEL, 'an object');
  }

  async function listWorkOrders(url: string): Promise<Page<CmmsWorkOrder>> {
    const body = await get(url);
    return { items: requireArray(body.workOrders, LABEL, 'workOrders').map(toWorkOrder), next: text(body.nextCursor) };
  }

  async function scan(reference: string): Promise<CmmsWorkOrder | null> {
    const since = new Date(conn.now() - lookbackMs).toISOString();
    let cursor: string | null = null;
    for (let page = 0; page < MAX_SCAN_PAGES; page++) {
      const res = await listWorkOrders(withQuery(joinUrl(base, 'workorders'), { 'updatedAt[gte]': since, limit: 100, cursor }));
      const hit = res.items.find((w) => w.reference === reference);
      if (hit) return hit;
      if (!res.next) return null;
      cursor = res.next;
    }
    return null;
  }

  async function getWorkOrder(ref: WorkOrderRef): Promise<CmmsWorkOrder> {
    const body = await get(woUrl(ref.id));
    // Some MaintainX answers wrap the record as {workOrder: {...}}.
    return toWorkOrder(asRecord(body.workOrder) ?? body);
  }

  async function note(ref: WorkOrderRef, content: string): Promise<void> {
    await conn.send({ method: 'POST', url: woUrl(ref.id, '/comments'), headers, body: { content } });
  }

  return {
    dialect: 'maintainx',

    async createWorkOrder(input) {
      const reference = requireText(input.reference, 'reference');
      const given = asRecord(input.body.externalData);
      const body: Json = { ...input.body, externalData: { ...given, [REFERENCE_KEY]: reference } };
      if (body.priority !== undefined && body.priority !== null) body.priority = maintainxPriority(body.priority);
      // skipWebhook: our own creation should not come back to us as a "new work order" event.
      const res = await conn.send({ method: 'POST', url: withQuery(joinUrl(base, 'workorders'), { skipWebhook: 'true' }), headers, body });
      const created = requireRecord(res.data, LABEL, 'the created work order');
      const id = text(created.id);
      if (!id) throw badInput('MaintainX created a work order but returned no id');
      const ref: WorkOrderRef = { id, href: woUrl(id) };
      const status = text(created.status);
      if (status) ref.status = status;
      return ref;
    },

    async updateWorkOrder(ref, change) {
      if (change.priority !== undefined) {
        await conn.send({ method: 'PATCH', url: woUrl(ref.id), headers, body: { priority: maintainxPriority(change.priority) } });
      }
      if (change.note) await note(ref, change.note);
    },

    async setStatus(ref, status, comment) {
      const target = TARGET_STATUS[status];
      if (!target) throw badInput(`cannot set a work order to "${String(status)}"`);
      // The comment first, so whoever sees the status change can already read why.
      if (comment) await note(ref, comment);
      await setStatusIdempotent(status, async () => {
        await conn.send({ method: 'PATCH', url: woUrl(ref.id, '/status'), headers, body: { status: target } });
      }, () => getWorkOrder(ref));
    },

    async findByReference(reference) {
      requireText(reference, 'reference');
      if (filterWorks !== false) {
        let res: Page<CmmsWorkOrder>;
        try {
          res = await listWorkOrders(withQuery(joinUrl(base, 'workorders'), { externalData: reference, limit: 100 }));
        } catch (e) {
          // A server that rejects the unknown parameter outright: scan instead, from now on.
          if (!isCmmsError(e) || e.status !== 400) throw e;
          filterWorks = false;
          return scan(reference);
        }
        const hit = res.items.find((w) => w.reference === reference);
        if (hit) return hit;
        // Every answer matching (or none at all) means the filter is honoured.
        const ignored = res.items.some((w) => w.reference !== reference);
        if (!ignored) {
          if (res.items.length > 0) filterWorks = true;
          return null;
        }
        filterWorks = false;
      }
      return scan(reference);
    },

    getWorkOrder,

    async listAssets(cursor) {
      const body = await get(withQuery(joinUrl(base, 'assets'), { limit: conn.pageSize, cursor }));
      return { items: requireArray(body.assets, LABEL, 'assets').map(toAsset), next: text(body.nextCursor) };
    },

    listChangedSince(watermarkIso, cursor) {
      const since = new Date(requireTime(watermarkIso)).toISOString();
      // The same updatedAt filter on every page, as MaintainX's polling guide asks.
      return listWorkOrders(withQuery(joinUrl(base, 'workorders'), { 'updatedAt[gte]': since, limit: conn.pageSize, cursor }));
    },

    probe: () => runProbe(LABEL, conn.now, async () => {
      const me = await get(joinUrl(base, 'users/me'));
      const user = asRecord(me.user) ?? me;
      return text(user.email) ?? text(user.firstName) ?? text(user.id) ?? undefined;
    }),

    close: () => conn.close(),
  };
}

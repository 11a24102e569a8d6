// MaintainX REST API v1 (`/v1`), as its published OpenAPI describes it. Dedupe: our reference goes
// into `externalData` as {"millwrightEventId": ref} and, because list items carry neither
// `externalData` nor a filter on it, also as a last line of the description ("Millwright reference:
// REF"), which list items do carry. A lookup lists the work orders created in the look-back window,
// newest first, picks those whose description carries the line, and reads each candidate
// (`GET /workorders/{id}`) to confirm its externalData.
import { runProbe } from './health';
import { fillPath, joinUrl, withQuery, type Connection } from './http';
import type { CmmsAsset, CmmsClient, CmmsConfig, CmmsWorkOrder, Page, SettableStatus, WorkOrderRef, WorkOrderState } from './types';
import { allowedPriorities, maintainxWord } from './priority';
import { setStatusIdempotent } from './workflow';
import { asRecord, badInput, requireArray, requireRecord, requireText, requireTime, text, toIso, type Json } from './values';

const LABEL = 'MaintainX';

/** The key under which our reference sits in `externalData`. */
export const REFERENCE_KEY = 'millwrightEventId';
/** The description line list items can be matched on. */
const REFERENCE_LINE = 'Millwright reference:';

/** Pages (of 100, newest first) a lookup reads before saying "not found", and candidates it reads in full. */
const LOOKUP_PAGES = 5;
const LOOKUP_CANDIDATES = 3;

/** Our reference from a description's last "Millwright reference:" line, or null. */
function referenceInDescription(description: unknown): string | null {
  if (typeof description !== 'string') return null;
  const m = /(?:^|\n)Millwright reference: ([A-Z2-7]+)\s*$/.exec(description);
  return m ? m[1] : null;
}

/** MaintainX asset status (an object with `status` when expanded; ONLINE, OFFLINE or IGNORE). */
function assetStatusOf(status: unknown): string {
  return text(asRecord(status)?.status) ?? text(status) ?? '';
}

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
  // IGNORE: the plant does not track this asset's up/down state; it is still in service.
  if (s === '' || s === 'ONLINE' || s === 'IGNORE' || s === 'OPERATIONAL' || s === 'ACTIVE' || s === 'OPERATING') return 'active';
  return 'inactive';
}

/** MaintainX has no state after DONE, so "close" is DONE too. */
const TARGET_STATUS: Record<SettableStatus, string> = { done: 'DONE', closed: 'DONE', cancelled: 'CANCELED', 'in-progress': 'IN_PROGRESS' };

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

export function createMaintainXClient(conn: Connection, config: CmmsConfig): CmmsClient {
  const opts = config.maintainx ?? {};
  const base = maintainxBase(config.baseUrl);
  const headers: Record<string, string> = opts.organizationId ? { 'x-organization-id': opts.organizationId } : {};
  const lookbackMs = (opts.lookbackHours ?? 72) * 3600_000;
  const now = (): string => new Date(conn.now()).toISOString();
  const woUrl = (id: string, suffix = ''): string => joinUrl(base, `workorders/${encodeURIComponent(requireText(id, 'work order id'))}${suffix}`);
  // What a person can open: the web app's page, from the configured template; MaintainX publishes
  // no web-app URL scheme, so without a template there is no link (never the API URL).
  const linkOf = (id: string): string | null => (opts.workOrderLink ? fillPath(opts.workOrderLink, { id }) : null);

  function toWorkOrder(v: unknown): CmmsWorkOrder {
    const r = requireRecord(v, LABEL, 'a work order');
    const id = text(r.id);
    if (!id) throw badInput('MaintainX work order without id');
    const cmmsStatus = text(r.status) ?? 'OPEN';
    return {
      id,
      href: linkOf(id),
      reference: referenceOf(r.externalData) ?? referenceInDescription(r.description),
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
    const cmmsStatus = assetStatusOf(r.status);
    // MaintainX has no sites; plants that need one keep it in a custom field named "Site".
    const siteId = text(r.siteId) ?? text(asRecord(r.extraFields)?.Site);
    const asset: CmmsAsset = { id, siteId, location: text(r.locationId), status: maintainxAssetState(cmmsStatus), cmmsStatus };
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

  /**
   * Work orders created in the look-back window, newest first, whose description carries our line;
   * each candidate is read in full and must carry our reference in externalData (or, if a person
   * cleared that, still in its description). At most LOOKUP_PAGES list pages and LOOKUP_CANDIDATES reads.
   */
  async function lookup(reference: string): Promise<CmmsWorkOrder | null> {
    const since = new Date(conn.now() - lookbackMs).toISOString();
    let cursor: string | null = null;
    let read = 0;
    for (let page = 0; page < LOOKUP_PAGES; page++) {
      const body = await get(withQuery(joinUrl(base, 'workorders'), { 'createdAt[gte]': since, sort: '-createdAt', limit: 100, cursor }));
      for (const item of requireArray(body.workOrders, LABEL, 'workOrders')) {
        const r = asRecord(item);
        if (!r || (referenceInDescription(r.description) !== reference && referenceOf(r.externalData) !== reference)) continue;
        if (read++ >= LOOKUP_CANDIDATES) return null;
        const full = await getWorkOrder({ id: String(text(r.id)), href: null });
        if (full.reference === reference) return full;
      }
      cursor = text(body.nextCursor);
      if (!cursor) return null;
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
      const description = typeof input.body.description === 'string' ? input.body.description : '';
      const body: Json = {
        ...input.body,
        description: `${description}${description ? '\n\n' : ''}${REFERENCE_LINE} ${reference}`,
        externalData: { ...given, [REFERENCE_KEY]: reference },
      };
      if (body.priority !== undefined && body.priority !== null) body.priority = maintainxPriority(body.priority);
      // skipWebhook hides the work order from every other integration of the customer: only on request.
      const url = withQuery(joinUrl(base, 'workorders'), { skipWebhook: opts.skipWebhook === true ? 'true' : undefined });
      const res = await conn.send({ method: 'POST', url, headers, body });
      // 200 {id} per the specification; a {workOrder} wrapper or the bare record are read too.
      const answer = requireRecord(res.data, LABEL, 'the created work order');
      const created = asRecord(answer.workOrder) ?? answer;
      const id = text(created.id);
      if (!id) throw badInput('MaintainX created a work order but returned no id');
      const ref: WorkOrderRef = { id, href: linkOf(id) };
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

    findByReference: (reference) => lookup(requireText(reference, 'reference')),

    // GET /workorders/{id}/comments: {comments: [{id, authorId, content, createdAt}], nextCursor}.
    async hasNote(ref, marker) {
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const body = await get(withQuery(woUrl(ref.id, '/comments'), { limit: 200, cursor: cursor ?? undefined }));
        if (requireArray(body.comments, LABEL, 'comments').some((c) => (text(asRecord(c)?.content) ?? '').includes(marker))) return true;
        cursor = text(body.nextCursor);
        if (!cursor) return false;
      }
      return false;
    },

    getWorkOrder,

    async listAssets(cursor) {
      // Status, barcode and custom fields come only when asked for by `expand` (one parameter each).
      const url = `${withQuery(joinUrl(base, 'assets'), { limit: Math.min(conn.pageSize, 200), cursor })}&expand=status&expand=barcode&expand=extra_fields`;
      const body = await get(url);
      return { items: requireArray(body.assets, LABEL, 'assets').map(toAsset), next: text(body.nextCursor) };
    },

    listChangedSince(watermarkIso, cursor) {
      const since = new Date(requireTime(watermarkIso)).toISOString();
      // The same updatedAt filter on every page, as MaintainX's polling guide asks.
      return listWorkOrders(withQuery(joinUrl(base, 'workorders'), { 'updatedAt[gte]': since, limit: conn.pageSize, cursor }));
    },

    // GET /organizations (documented, one small page): the token works and names the organisation.
    probe: () => runProbe(LABEL, conn.now, async () => {
      const body = await get(withQuery(joinUrl(base, 'organizations'), { limit: 1 }));
      const org = asRecord(requireArray(body.organizations, LABEL, 'organizations')[0]);
      return text(org?.name) ?? undefined;
    }),

    close: () => conn.close(),
  };
}

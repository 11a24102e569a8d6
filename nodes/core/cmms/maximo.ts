// IBM Maximo Manage over its JSON API (`/maximo/api`, or `/maximo/oslc` on 7.6 native auth).
// Dedupe: our reference goes into `externalrefid` (configurable) and, for the replay window, into
// the `transactionid` header — a repeat within five minutes gets 409, which we resolve by lookup.
import { runProbe } from './health';
import { joinUrl, onOrigin, withQuery, type Connection } from './http';
import type { CmmsAsset, CmmsClient, CmmsConfig, CmmsWorkOrder, Page, SettableStatus, WorkOrderRef, WorkOrderState } from './types';
import { allowedPriorities, normalisePriority } from './priority';
import { createOrFindOnConflict, setStatusIdempotent } from './workflow';
import { asRecord, badInput, requireArray, requireRecord, requireText, requireTime, text, toIso, type Json } from './values';

const LABEL = 'Maximo';

/**
 * Maximo WOSTATUS (and common synonyms) to the contract's states. WMATL "waiting on material" is
 * reported as on-hold: nobody can work on it until parts arrive, which is what a plant engineer
 * means by on hold. WSCH and WPCOND are planned but not started, so open.
 */
export function maximoState(status: string): WorkOrderState {
  switch (status.toUpperCase()) {
    case 'INPRG': return 'in-progress';
    case 'WMATL': return 'on-hold';
    case 'COMP': case 'CLOSE': return 'done';
    case 'CAN': return 'cancelled';
    default: return 'open'; // WAPPR, APPR, WSCH, WPCOND and site-defined waiting states
  }
}

export function maximoAssetState(status: string): CmmsAsset['status'] {
  const s = status.toUpperCase();
  if (s === 'DECOMMISSIONED') return 'decommissioned';
  if (s === 'OPERATING' || s === 'ACTIVE' || s === 'LIMITEDUSE') return 'active';
  return 'inactive'; // NOT READY, BROKEN, …
}

/** WOSTATUS values: complete is COMP, close is CLOSE (reached through COMP), cancel CAN. */
const TARGET_STATUS: Record<SettableStatus, string> = { done: 'COMP', closed: 'CLOSE', cancelled: 'CAN', 'in-progress': 'INPRG' };

/**
 * The status-change memo is a short field of the status history: one line, at most this many
 * characters, the whole note going into a work-log entry. IBM's pages available here do not state
 * WOSTATUS.MEMO's length; 50 keeps under any stock length reported.
 */
export const MEMO_MAX = 50;
/** WORKLOG.DESCRIPTION; the rest of a note goes in its long description. */
const WORKLOG_DESCRIPTION_MAX = 100;

/** One line of `text`, at most `max` UTF-16 units, cut with an ASCII marker (never mid-surrogate). */
function shortLine(text: string, max: number): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  if (line.length <= max) return line;
  let end = max - 3;
  const c = line.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${line.slice(0, end)}...`;
}

/** A work-log row: summary line plus the whole note in the long description. */
function worklogRow(note: string): Json {
  return { description: shortLine(note, WORKLOG_DESCRIPTION_MAX), description_longdescription: note };
}

/** `https://host` → `https://host/maximo/api`; an URL already ending in /maximo or /maximo/api is kept. */
export function maximoBase(baseUrl: string, context: 'api' | 'oslc'): string {
  const u = new URL(baseUrl);
  let p = u.pathname.replace(/\/+$/, '');
  if (!/\/maximo\/(api|oslc)$/i.test(p)) p += /\/maximo$/i.test(p) ? `/${context}` : `/maximo/${context}`;
  return u.origin + p;
}

/** Maximo dates in oslc.where: ISO with an explicit offset, no fraction. */
function whereTime(iso: string): string {
  return new Date(requireTime(iso)).toISOString().replace(/\.\d+Z$/, '+00:00');
}

function quoted(value: string, what: string): string {
  // oslc.where has no documented escape for a double quote; refuse rather than build a wrong query.
  if (value.includes('"')) throw badInput(`${what} must not contain a double quote for Maximo queries`);
  return `"${value}"`;
}

/** wopriority as Maximo takes it (1–5); anything else is refused here so it never reaches Maximo (BMXAA4194E). */
function checkedPriority(v: unknown): number {
  const n = typeof v === 'number' || typeof v === 'string' ? normalisePriority('maximo', v) : null;
  if (n === null) throw badInput(`priority "${String(v)}" is not a Maximo priority: use ${allowedPriorities('maximo')}`);
  return n as number;
}

export function createMaximoClient(conn: Connection, config: CmmsConfig): CmmsClient {
  const opts = config.maximo ?? {};
  const base = maximoBase(config.baseUrl, opts.context ?? 'api');
  const woOs = (opts.woObjectStructure ?? 'mxapiwodetail').toLowerCase();
  const assetOs = (opts.assetObjectStructure ?? 'mxapiasset').toLowerCase();
  const refAttr = (opts.referenceAttribute ?? 'externalrefid').toLowerCase();
  const woSelect = ['wonum', 'workorderid', 'status', 'statusdate', 'changedate', 'assetnum', 'siteid', 'href', refAttr].join(',');
  const woUrl = joinUrl(base, `os/${encodeURIComponent(woOs)}`);
  const now = (): string => new Date(conn.now()).toISOString();

  function toWorkOrder(v: unknown): CmmsWorkOrder {
    const m = requireRecord(v, LABEL, 'a work order');
    const id = text(m.wonum) ?? text(m.workorderid);
    if (!id) throw badInput('Maximo work order without wonum');
    const cmmsStatus = text(m.status) ?? 'WAPPR';
    return {
      id,
      href: text(m.href),
      reference: text(m[refAttr]),
      cmmsStatus,
      status: maximoState(cmmsStatus),
      assetId: text(m.assetnum),
      changedAt: toIso(m.changedate ?? m.statusdate, now()),
    };
  }

  function toAsset(v: unknown): CmmsAsset {
    const m = requireRecord(v, LABEL, 'an asset');
    const id = text(m.assetnum);
    if (!id) throw badInput('Maximo asset without assetnum');
    const cmmsStatus = text(m.status) ?? '';
    const asset: CmmsAsset = { id, siteId: text(m.siteid), location: text(m.location), status: maximoAssetState(cmmsStatus), cmmsStatus };
    const description = text(m.description);
    if (description) asset.description = description;
    return asset;
  }

  async function query(where: string, pageSize: number): Promise<Json> {
    const url = withQuery(woUrl, { lean: 1, 'oslc.where': where, 'oslc.select': woSelect, 'oslc.pageSize': pageSize });
    return requireRecord((await conn.send({ method: 'GET', url })).data, LABEL, 'a collection');
  }

  async function hrefOf(ref: WorkOrderRef): Promise<string> {
    if (ref.href) return onOrigin(ref.href, base);
    // Without an href, find it by wonum (and site, since wonum is unique per site only).
    const where = `wonum=${quoted(requireText(ref.id, 'work order id'), 'work order id')}${opts.siteId ? ` and siteid=${quoted(opts.siteId, 'siteId')}` : ''}`;
    const first = requireArray((await query(where, 1)).member, LABEL, 'member').map(toWorkOrder)[0];
    if (!first?.href) throw badInput(`Maximo work order ${ref.id} not found`);
    return onOrigin(first.href, base);
  }

  async function findByReference(reference: string): Promise<CmmsWorkOrder | null> {
    const body = await query(`${refAttr}=${quoted(requireText(reference, 'reference'), 'reference')}`, 1);
    const first = requireArray(body.member, LABEL, 'member')[0];
    return first === undefined ? null : toWorkOrder(first);
  }

  async function getWorkOrder(ref: WorkOrderRef): Promise<CmmsWorkOrder> {
    const url = withQuery(await hrefOf(ref), { lean: 1, 'oslc.select': woSelect });
    return toWorkOrder((await conn.send({ method: 'GET', url })).data);
  }

  return {
    dialect: 'maximo',

    async createWorkOrder(input) {
      const reference = requireText(input.reference, 'reference');
      const body: Json = {};
      if (opts.siteId) body.siteid = opts.siteId;
      if (opts.orgId) body.orgid = opts.orgId;
      Object.assign(body, input.body, { [refAttr]: reference });
      if (body.wopriority !== undefined && body.wopriority !== null) body.wopriority = checkedPriority(body.wopriority);
      // transactionid replay (409): the first request got through; hand back that work order.
      return createOrFindOnConflict(reference, async () => {
        const res = await conn.send({
          method: 'POST',
          url: withQuery(woUrl, { lean: 1 }),
          headers: { properties: 'wonum,workorderid,status,href', transactionid: reference },
          body,
        });
        const created = asRecord(res.data);
        const location = res.headers.location;
        const href = text(created?.href) ?? (typeof location === 'string' ? location : null);
        const wonum = text(created?.wonum);
        if (wonum) return { id: wonum, href, status: text(created?.status) ?? undefined };
        // No `properties` support (older Maximo): the Location header is all we get.
        if (!href) throw badInput('Maximo created the work order but returned neither a body nor a Location');
        const wo = await getWorkOrder({ id: '', href });
        return { id: wo.id, href: wo.href ?? href, status: wo.cmmsStatus };
      }, findByReference);
    },

    async updateWorkOrder(ref, change) {
      const body: Json = {};
      if (change.priority !== undefined) body.wopriority = checkedPriority(change.priority);
      if (change.note) {
        // Work log descriptions are 100 characters; the whole note goes in the long description.
        body.worklog = [worklogRow(change.note)];
      }
      if (Object.keys(body).length === 0) return;
      await conn.send({
        method: 'POST',
        url: withQuery(await hrefOf(ref), { lean: 1 }),
        headers: { 'x-method-override': 'PATCH', patchtype: 'MERGE' },
        body,
      });
    },

    async setStatus(ref, status, note) {
      const target = TARGET_STATUS[status];
      if (!target) throw badInput(`cannot set a work order to "${String(status)}"`);
      const href = await hrefOf(ref);
      const read = (): Promise<CmmsWorkOrder> => getWorkOrder({ id: ref.id, href });
      const change = async (to: string): Promise<void> => {
        const body: Json = { status: to, date: now() };
        // The memo is for people; the resend marker stays in the work-log row.
        if (note) body.memo = shortLine(note.replace(/^\[mw:[A-Z2-7]+\] /, ''), MEMO_MAX);
        await conn.send({
          method: 'POST',
          url: withQuery(href, { action: 'wsmethod:changeStatus', lean: 1 }),
          headers: { 'x-method-override': 'PATCH' },
          body,
        });
      };
      const current = await read();
      const isClosed = (wo: CmmsWorkOrder): boolean => wo.cmmsStatus.toUpperCase() === 'CLOSE';
      // Already there (a retry, or a technician who got there first): nothing to send.
      if (status === 'closed' ? isClosed(current) : current.status === status) return;
      // The whole note as a work-log row first: a closed work order takes no more rows.
      if (note) {
        await conn.send({
          method: 'POST', url: withQuery(href, { lean: 1 }),
          headers: { 'x-method-override': 'PATCH', patchtype: 'MERGE' }, body: { worklog: [worklogRow(note)] },
        });
      }
      if (status === 'closed') {
        // CLOSE is reached through COMP; a 400 for a move already made counts as success once read back.
        if (current.status !== 'done') await setStatusIdempotent('done', () => change('COMP'), read);
        await setStatusIdempotent(isClosed, () => change('CLOSE'), read);
        return;
      }
      await setStatusIdempotent(status, () => change(target), read);
    },

    findByReference,
    getWorkOrder,

    // The work log is a child object of MXAPIWODETAIL: a nested oslc.select reads its rows.
    async hasNote(ref, marker) {
      const url = withQuery(await hrefOf(ref), { lean: 1, 'oslc.select': 'wonum,worklog{description}' });
      const rows = asRecord((await conn.send({ method: 'GET', url })).data)?.worklog;
      return Array.isArray(rows) && rows.some((r) => (text(asRecord(r)?.description) ?? '').includes(marker));
    },

    async listAssets(cursor): Promise<Page<CmmsAsset>> {
      const url = cursor
        ? onOrigin(cursor, base)
        : withQuery(joinUrl(base, `os/${encodeURIComponent(assetOs)}`), {
          lean: 1, 'oslc.select': 'assetnum,siteid,location,status,description', 'oslc.pageSize': conn.pageSize,
        });
      const body = requireRecord((await conn.send({ method: 'GET', url })).data, LABEL, 'a collection');
      return { items: requireArray(body.member, LABEL, 'member').map(toAsset), next: nextPage(body) };
    },

    async listChangedSince(watermarkIso, cursor): Promise<Page<CmmsWorkOrder>> {
      let url: string;
      if (cursor) url = onOrigin(cursor, base);
      else {
        const site = opts.siteId ? ` and siteid=${quoted(opts.siteId, 'siteId')}` : '';
        url = withQuery(woUrl, {
          lean: 1, 'oslc.where': `changedate>="${whereTime(watermarkIso)}"${site}`,
          'oslc.select': woSelect, 'oslc.orderBy': '+changedate', 'oslc.pageSize': conn.pageSize,
        });
      }
      const body = requireRecord((await conn.send({ method: 'GET', url })).data, LABEL, 'a collection');
      return { items: requireArray(body.member, LABEL, 'member').map(toWorkOrder), next: nextPage(body) };
    },

    probe: () => runProbe(LABEL, conn.now, async () => {
      const me = asRecord((await conn.send({ method: 'GET', url: joinUrl(base, 'whoami') })).data);
      return text(me?.userid) ?? text(me?.personid) ?? undefined;
    }),

    close: () => conn.close(),
  };
}

function nextPage(body: Json): string | null {
  const info = asRecord(body.responseInfo);
  return text(asRecord(info?.nextPage)?.href);
}

// ServiceNow Table API (`/api/now/table/{table}`), by default on `incident`, assets from `cmdb_ci`.
// Dedupe: our reference goes into `correlation_id` (configurable); ServiceNow has no idempotency
// header, so a resend is safe only after a lookup, which the outbox does for ambiguous failures.
import type { CmmsErrorKind, VendorError } from './errors';
import { runProbe } from './health';
import { joinUrl, onOrigin, withQuery, type Connection } from './http';
import type { HeaderBag } from './rate';
import type { CmmsAsset, CmmsClient, CmmsConfig, CmmsWorkOrder, Page, SettableStatus, WorkOrderRef, WorkOrderState } from './types';
import { allowedPriorities, serviceNowPair } from './priority';
import { setStatusIdempotent } from './workflow';
import { asRecord, badInput, referenceValue, requireArray, requireRecord, requireText, text, toIso, toServiceNowTime, type Json } from './values';

const LABEL = 'ServiceNow';

/** Incident `state`: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled. */
export function serviceNowState(state: string): WorkOrderState {
  switch (state) {
    case '2': return 'in-progress';
    case '3': return 'on-hold';
    case '6': case '7': return 'done';
    case '8': return 'cancelled';
    default: return 'open';
  }
}

/** cmdb_ci `operational_status`: 1 Operational, 2 Non-Operational, 6 Retired (others are not in service). */
export function serviceNowAssetState(status: string): CmmsAsset['status'] {
  if (status === '1') return 'active';
  if (status === '6') return 'decommissioned';
  return 'inactive';
}

/**
 * ServiceNow answers 403 "Operation Failed" both for ACL denials (a permissions problem) and for
 * data policies and invalid state changes (a problem with this one request).
 */
export function serviceNowKind(status: number, vendor: VendorError): CmmsErrorKind | undefined {
  if (status !== 403 || !vendor.message) return undefined;
  // An ACL refusal names one record or table (closed incidents are read-only for non-admins): the
  // sign-in worked, so it is this item's permanent error, not the connection's. A bad sign-in is a 401.
  return /\bACL\b|security constraints|not authori[sz]ed|Operation Failed|Data Policy|Invalid state/i.test(vendor.message) ? 'permanent' : undefined;
}

const TARGET_STATE: Record<SettableStatus, string> = { done: '6', closed: '7', cancelled: '8', 'in-progress': '2' };

/**
 * Incident priority is calculated from impact and urgency (an explicit `priority` is overwritten),
 * so a priority is asked for through the pair: "impact/urgency", or a priority 1–5 read through the
 * default matrix (impact/urgency 1 = 1/1, 2 = 2/1, 3 = 2/2, 4 = 3/2, 5 = 3/3).
 */
export function urgencyImpactFor(priority: number | string): { urgency: string; impact: string } | null {
  const p = serviceNowPair(priority);
  return p ? { urgency: String(p.urgency), impact: String(p.impact) } : null;
}

/** An encoded-query value. `^` separates terms and has no documented escape, so it is refused. */
function queryValue(v: string): string {
  if (/[\^\r\n]/.test(v)) throw badInput('a ServiceNow query value must be one line without "^"');
  return v;
}

/** The `rel="next"` target of a Link header. */
export function linkNext(headers: HeaderBag): string | null {
  const raw = headers.link;
  const value = Array.isArray(raw) ? raw.join(',') : raw === undefined ? '' : String(raw);
  for (const part of value.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /\brel="?next"?/i.test(m[2])) return m[1];
  }
  return null;
}

export function createServiceNowClient(conn: Connection, config: CmmsConfig): CmmsClient {
  const opts = config.servicenow ?? {};
  const table = opts.table ?? 'incident';
  const assetTable = opts.assetTable ?? 'cmdb_ci';
  const refField = opts.referenceField ?? 'correlation_id';
  const base = new URL(config.baseUrl).toString();
  const tableUrl = joinUrl(base, `api/now/table/${encodeURIComponent(table)}`);
  const recordUrl = (sysId: string): string => `${tableUrl}/${encodeURIComponent(requireText(sysId, 'work order id'))}`;
  // What a person opens: the record in the instance's UI, not the Table API URL.
  const origin = new URL(config.baseUrl).origin;
  const linkOf = (sysId: string): string => `${origin}/nav_to.do?uri=${encodeURIComponent(table)}.do?sys_id=${encodeURIComponent(sysId)}`;
  // wm_order's State is read-only: an order closes when its tasks close (ServiceNow docs, Field
  // Service Management, "Closing work orders"), so no state is ever sent to it.
  const stateless = table === 'wm_order';
  const woFields = ['sys_id', 'number', 'state', 'cmdb_ci', 'sys_updated_on', refField].join(',');
  const now = (): string => new Date(conn.now()).toISOString();
  // Reference fields as plain sys_ids rather than {link, value} objects.
  const plain = { sysparm_exclude_reference_link: 'true' };

  function toWorkOrder(v: unknown): CmmsWorkOrder {
    const r = requireRecord(v, LABEL, 'a record');
    const id = text(r.sys_id);
    if (!id) throw badInput('ServiceNow record without sys_id');
    const cmmsStatus = referenceValue(r.state) ?? '1';
    const wo: CmmsWorkOrder = {
      id,
      href: linkOf(id),
      reference: referenceValue(r[refField]),
      cmmsStatus,
      status: serviceNowState(cmmsStatus),
      assetId: referenceValue(r.cmdb_ci),
      changedAt: toIso(r.sys_updated_on, now()),
    };
    const number = text(r.number);
    if (number) wo.displayId = number;
    return wo;
  }

  function toAsset(v: unknown): CmmsAsset {
    const r = requireRecord(v, LABEL, 'a CI record');
    const id = text(r.sys_id);
    if (!id) throw badInput('ServiceNow CI without sys_id');
    const cmmsStatus = referenceValue(r.operational_status) ?? '';
    const asset: CmmsAsset = {
      id,
      siteId: referenceValue(r.company) ?? referenceValue(r.site) ?? null,
      location: referenceValue(r.location),
      status: serviceNowAssetState(cmmsStatus),
      cmmsStatus,
    };
    const name = text(r.name) ?? text(r.asset_tag);
    if (name) asset.description = name;
    const tag = text(r.asset_tag) ?? text(r.name);
    if (tag) asset.tag = tag;
    return asset;
  }

  async function list<T>(url: string, map: (v: unknown) => T): Promise<Page<T>> {
    const res = await conn.send({ method: 'GET', url });
    const body = requireRecord(res.data, LABEL, 'a result');
    const next = linkNext(res.headers);
    return { items: requireArray(body.result, LABEL, 'result').map(map), next: next ? onOrigin(next, base) : null };
  }

  async function getWorkOrder(ref: WorkOrderRef): Promise<CmmsWorkOrder> {
    const res = await conn.send({ method: 'GET', url: withQuery(recordUrl(ref.id), { ...plain, sysparm_fields: woFields }) });
    return toWorkOrder(requireRecord(res.data, LABEL, 'a result').result);
  }

  /** CI names already resolved to sys_ids (the CMDB changes rarely; a restart forgets them). */
  const ciIds = new Map<string, string>();

  /**
   * `cmdb_ci` is a reference: without sysparm_input_display_value a name is stored as sent and links
   * to nothing. So a value that is not a sys_id is looked up (name or asset tag, exactly one match).
   */
  async function ciSysId(value: unknown): Promise<unknown> {
    if (typeof value !== 'string' || value === '' || /^[0-9a-f]{32}$/.test(value)) return value;
    const known = ciIds.get(value);
    if (known) return known;
    const q = `name=${queryValue(value)}^ORasset_tag=${queryValue(value)}`;
    const res = await conn.send({ method: 'GET', url: withQuery(joinUrl(base, `api/now/table/${encodeURIComponent(assetTable)}`), { ...plain, sysparm_query: q, sysparm_fields: 'sys_id,name,asset_tag', sysparm_limit: 2 }) });
    const rows = requireArray(requireRecord(res.data, LABEL, 'a result').result, LABEL, 'result')
      .map((r) => asRecord(r)).filter((r): r is Json => !!r && (text(r.name) === value || text(r.asset_tag) === value));
    if (rows.length !== 1) throw badInput(`configuration item "${value}" ${rows.length === 0 ? 'was not found' : 'is ambiguous'} in ${assetTable}`);
    const id = requireText(rows[0].sys_id, 'CI sys_id');
    ciIds.set(value, id);
    return id;
  }

  async function patch(ref: WorkOrderRef, body: Json): Promise<void> {
    await conn.send({ method: 'PATCH', url: withQuery(recordUrl(ref.id), { ...plain, sysparm_fields: 'sys_id' }), body });
  }

  return {
    dialect: 'servicenow',

    async createWorkOrder(input) {
      const reference = requireText(input.reference, 'reference');
      for (const f of ['impact', 'urgency']) {
        const v = input.body[f];
        // Choice values 1–3; anything else would be stored as sent and break the priority matrix.
        if (v !== undefined && v !== null && !/^[1-3]$/.test(String(v).trim())) throw badInput(`${f} "${String(v)}" must be 1, 2 or 3`);
      }
      const body: Json = { ...input.body, [refField]: reference };
      if (body.cmdb_ci !== undefined) body.cmdb_ci = await ciSysId(body.cmdb_ci);
      const res = await conn.send({
        method: 'POST',
        url: withQuery(tableUrl, { ...plain, sysparm_fields: woFields }),
        body,
      });
      const result = asRecord(requireRecord(res.data, LABEL, 'a result').result);
      const id = text(result?.sys_id);
      if (!id) throw badInput('ServiceNow created a record but returned no sys_id');
      const ref: WorkOrderRef = { id, href: linkOf(id) };
      const state = referenceValue(result?.state);
      if (state) ref.status = state;
      const number = text(result?.number);
      if (number) ref.displayId = number;
      return ref;
    },

    async updateWorkOrder(ref, change) {
      const body: Json = {};
      if (change.priority !== undefined) {
        const pair = urgencyImpactFor(change.priority);
        if (!pair) throw badInput(`priority "${String(change.priority)}" is not a ServiceNow priority: use ${allowedPriorities('servicenow')}`);
        Object.assign(body, pair);
      }
      if (change.note) body.work_notes = change.note;
      if (Object.keys(body).length > 0) await patch(ref, body);
    },

    async setStatus(ref, status, note) {
      const state = TARGET_STATE[status];
      if (!state) throw badInput(`cannot set a work order to "${String(status)}"`);
      if (stateless) {
        // The note is all we can add; the order follows its tasks.
        if (note) await patch(ref, { work_notes: note });
        return;
      }
      const body: Json = { state: status === 'closed' ? '6' : state };
      if (note) body.work_notes = note;
      if (status === 'done' || status === 'closed') {
        body.close_notes = note ?? opts.closeNotes ?? 'Resolved by Millwright';
        if (table === 'incident') body.close_code = opts.closeCode ?? 'Solution provided';
      }
      // Read first: a repeated "done" must not overwrite the resolution notes, and Closed (7)
      // already counts as done although 7 → 6 is not allowed.
      const current = await getWorkOrder(ref);
      const isClosed = (wo: CmmsWorkOrder): boolean => wo.cmmsStatus === '7';
      if (status === 'closed') {
        // Resolved (6) first — close code and notes go with it — then Closed (7), the incident's final state.
        if (isClosed(current)) return;
        if (current.cmmsStatus !== '6') await setStatusIdempotent('done', () => patch(ref, body), () => getWorkOrder(ref));
        await setStatusIdempotent(isClosed, () => patch(ref, { state: '7' }), () => getWorkOrder(ref));
        return;
      }
      if (current.status === status) return;
      await setStatusIdempotent(status, () => patch(ref, body), () => getWorkOrder(ref));
    },

    // Journal entries are not readable through the record (work_notes reads back empty); they are
    // rows of sys_journal_field, keyed by the record's sys_id.
    async hasNote(ref, marker) {
      const query = `element_id=${queryValue(requireText(ref.id, 'work order id'))}^element=work_notes^valueLIKE${queryValue(marker)}`;
      const url = withQuery(joinUrl(base, 'api/now/table/sys_journal_field'), { ...plain, sysparm_query: query, sysparm_fields: 'sys_id,value', sysparm_limit: 5 });
      const rows = requireArray(requireRecord((await conn.send({ method: 'GET', url })).data, LABEL, 'a result').result, LABEL, 'result');
      // An ignored query term would answer unrelated rows: only a row holding the marker counts.
      return rows.some((r) => (text(asRecord(r)?.value) ?? '').includes(marker));
    },

    async findByReference(reference) {
      const query = `${refField}=${queryValue(requireText(reference, 'reference'))}^ORDERBYsys_created_on`;
      const page = await list(withQuery(tableUrl, { ...plain, sysparm_query: query, sysparm_fields: woFields, sysparm_limit: 5 }), toWorkOrder);
      // An instance ignores a query term it cannot use (a misspelt field) and answers unrelated
      // records: only a record carrying our reference is ours, and any other says the query was ignored.
      const mine = page.items.find((w) => w.reference === reference);
      if (mine) return mine;
      if (page.items.length > 0) {
        throw badInput(`ServiceNow ignored the lookup by "${refField}" and answered other records: check the reference field name`);
      }
      return null;
    },

    getWorkOrder,

    listAssets(cursor) {
      const url = cursor
        ? onOrigin(cursor, base)
        : withQuery(joinUrl(base, `api/now/table/${encodeURIComponent(assetTable)}`), {
          ...plain,
          sysparm_fields: 'sys_id,name,asset_tag,location,company,site,operational_status',
          sysparm_query: 'ORDERBYsys_id',
          sysparm_limit: conn.pageSize,
          sysparm_offset: 0,
        });
      return list(url, toAsset);
    },

    listChangedSince(watermarkIso, cursor) {
      const url = cursor
        ? onOrigin(cursor, base)
        : withQuery(tableUrl, {
          ...plain,
          sysparm_query: `sys_updated_on>=${toServiceNowTime(watermarkIso)}^ORDERBYsys_updated_on`,
          sysparm_fields: woFields,
          sysparm_limit: conn.pageSize,
          sysparm_offset: 0,
        });
      return list(url, toWorkOrder);
    },

    // Who we are: the sys_user record of the signed-in user (gs.getUserID() in an encoded query,
    // which works for Basic, password-grant and client-credentials tokens alike).
    probe: () => runProbe(LABEL, conn.now, async () => {
      const res = await conn.send({
        method: 'GET',
        url: withQuery(joinUrl(base, 'api/now/table/sys_user'), { sysparm_query: 'sys_id=javascript:gs.getUserID()', sysparm_fields: 'user_name,name', sysparm_limit: 1 }),
      });
      const user = asRecord(requireArray(requireRecord(res.data, LABEL, 'a result').result, LABEL, 'result')[0]);
      return text(user?.user_name) ?? text(user?.name) ?? undefined;
    }),

    close: () => conn.close(),
  };
}

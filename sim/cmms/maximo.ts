// IBM Maximo Manage JSON API (/maximo/api and the older /maximo/oslc context): work orders through
// MXAPIWODETAIL (or MXAPIWO / MXWO), assets through MXAPIASSET, whoami as the probe.
import { MACHINES } from './states';
import type { DialectHandler, SimContext } from './context';
import { basicAuth, header, intParam, isRecord, json, jsonBody, type SimRequest, type SimResponse } from './http';
import { matches, namespaced, parseSelect, parseWhere, project, QueryError, sortBy } from './maximo-query';
import type { SimAsset, SimWorkOrder } from './types';

export const MAXIMO_CREDENTIALS = { apikey: 'sim-maximo-key', user: 'maxadmin', password: 'maxadmin' };

const WO_STRUCTURES = ['mxapiwodetail', 'mxapiwo', 'mxwo', 'mxwodetail'];
const ASSET_STRUCTURES = ['mxapiasset', 'mxasset'];
const TXN_WINDOW_MS = 5 * 60_000;
const DESCRIPTION_MAX = 100;
/**
 * Status-history memo (WOSTATUS.MEMO): short in stock Maximo (issue 14's field report). The exact
 * stock length was not found in IBM's pages available here; 50 is the simulator's strict stand-in.
 */
const MEMO_MAX = 50;
/** Stock work-order priority range; the field report of issue 14 saw BMXAA4194E outside it. */
const PRIORITY_MIN = 1;
const PRIORITY_MAX = 5;
/** Attributes the simulator knows on a work order; an unknown one in oslc.where is an error. */
const WO_ATTRS = new Set([
  'wonum', 'workorderid', 'siteid', 'orgid', 'description', 'description_longdescription', 'assetnum', 'location',
  'worktype', 'wopriority', 'reportedby', 'externalrefid', 'status', 'statusdate', 'changedate', 'reportdate',
]);
const ASSET_ATTRS = new Set(['assetnum', 'assetid', 'siteid', 'orgid', 'location', 'description', 'status', 'assettype', 'changedate']);
/** A fixed date for master data, so asset queries by changedate are repeatable. */
const ASSET_CHANGEDATE = '2024-01-15T08:00:00+00:00';

// Codes from Maximo's message catalogue: 7901E (login), 4153E (site), 4195E (required), 2661E (asset),
// 4049E (length), 4129E (exists). BMXAA90xxE are the simulator's stand-ins where the real code varies.
const CODE = {
  login: 'BMXAA7901E', site: 'BMXAA4153E', required: 'BMXAA4195E', asset: 'BMXAA2661E', length: 'BMXAA4049E',
  exists: 'BMXAA4129E', priority: 'BMXAA4194E', badRequest: 'BMXAA9001E', notFound: 'BMXAA9002E', duplicateTxn: 'BMXAA9003E',
  status: 'BMXAA9004E', pageSize: 'BMXAA9005E', stale: 'BMXAA9006E', location: 'BMXAA9007E', server: 'BMXAA9099E',
};

function maximoError(status: number, code: string, message: string, attr?: string): SimResponse {
  return json(status, {
    Error: {
      ...(attr ? { errorattrname: attr, errorobjpath: 'workorder' } : {}),
      reasonCode: code,
      message: `${code} - ${message}`,
      statusCode: String(status),
      correlationid: null,
      extendedError: { moreInfo: { href: `/maximo/oslc/error/messages/${code}` } },
    },
  });
}

function mxDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Maximo's rest id: "_" + base64 of the primary key values joined by "/", padding as "-". */
export function restId(...keys: string[]): string {
  return `_${Buffer.from(keys.join('/')).toString('base64').replace(/=/g, '-').replace(/\//g, '_')}`;
}

function lowerKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k.toLowerCase()] = v;
  return out;
}

export function createMaximo(ctx: SimContext): DialectHandler {
  const txns = new Map<string, number>();
  const sites = new Map(ctx.assets.map((a) => [a.siteid, a.orgid]));
  const locations = new Set<string>();
  for (const a of ctx.assets) {
    const parts = a.location.split('/');
    for (let i = 2; i <= parts.length; i++) locations.add(`${a.siteid}:${parts.slice(0, i).join('/')}`);
  }

  ctx.store.onTransition('maximo', (wo, _from, to, at) => {
    wo.fields.statusdate = mxDate(at);
    wo.fields.changedate = mxDate(at);
    wo.fields._rowstamp = ctx.store.nextSeq('maximo.rowstamp', 900001);
    const history = (wo.fields.wostatus as unknown[] | undefined) ?? [];
    wo.fields.wostatus = [...history, { status: to, changedate: mxDate(at) }];
  });

  const authorized = (req: SimRequest): boolean => {
    const key = header(req, 'apikey') ?? req.query.get('apikey');
    if (key !== undefined && key !== null) return key === MAXIMO_CREDENTIALS.apikey;
    const maxauth = header(req, 'maxauth');
    const expected = `${MAXIMO_CREDENTIALS.user}:${MAXIMO_CREDENTIALS.password}`;
    if (maxauth) return Buffer.from(maxauth, 'base64').toString('utf8') === expected;
    const basic = basicAuth(req);
    return basic !== null && `${basic.user}:${basic.pass}` === expected;
  };

  const unauthorized = (): SimResponse => maximoError(401, CODE.login,
    'You cannot log in at this time. Contact the system administrator.');

  /** Where hrefs point: x-public-uri when the client sent it (behind a proxy), else this server. */
  const prefixOf = (req: SimRequest, context: string): string => {
    const pub = header(req, 'x-public-uri');
    return pub ? pub.replace(/\/+$/, '') : `${req.baseUrl}/maximo/${context}`;
  };

  const woHref = (prefix: string, os: string, wo: SimWorkOrder): string =>
    `${prefix}/os/${os}/${restId(String(wo.fields.wonum), String(wo.fields.siteid))}`;

  const woRecord = (wo: SimWorkOrder, href: string): Record<string, unknown> => ({
    ...wo.fields,
    status: wo.status,
    status_description: MACHINES.maximo.label(wo.status),
    _rowstamp: String(wo.fields._rowstamp),
    href,
  });

  const assetRecord = (a: SimAsset, index: number, prefix: string, os: string): Record<string, unknown> => ({
    assetnum: a.assetnum, assetid: index + 1, siteid: a.siteid, orgid: a.orgid, location: a.location,
    description: a.description, status: a.status, assettype: a.assetClass ?? null, changedate: ASSET_CHANGEDATE,
    _rowstamp: String(100 + index), href: `${prefix}/os/${os}/${restId(a.assetnum, a.siteid)}`,
  });

  const lean = (req: SimRequest): boolean => req.query.get('lean') === '1';
  const shape = (req: SimRequest, body: unknown): unknown => (lean(req) ? body : namespaced(body));

  /** The `properties` header picks what a 201/200 echoes; without it the answer has no body. */
  const echo = (req: SimRequest, status: number, record: Record<string, unknown>, headers: Record<string, string> = {}): SimResponse => {
    const props = header(req, 'properties');
    if (!props) return { status: status === 200 ? 204 : status, headers };
    return json(status, shape(req, project(record, parseSelect(props))), headers);
  };

  const replayed = (req: SimRequest): SimResponse | null => {
    const txn = header(req, 'transactionid');
    if (!txn) return null;
    const seen = txns.get(txn);
    if (seen !== undefined && ctx.now() - seen < TXN_WINDOW_MS) {
      return maximoError(409, CODE.duplicateTxn, `The transaction ${txn} has already been processed.`);
    }
    return null;
  };
  const remember = (req: SimRequest): void => {
    const txn = header(req, 'transactionid');
    if (txn) txns.set(txn, ctx.now());
  };

  const validate = (f: Record<string, unknown>, siteid: string): SimResponse | null => {
    if (typeof f.description === 'string' && f.description.length > DESCRIPTION_MAX) {
      return maximoError(400, CODE.length, `The value specified for Description exceeds the maximum field length of ${DESCRIPTION_MAX}.`, 'description');
    }
    const refMax = ctx.referenceLength.maximo;
    if (typeof f.externalrefid === 'string' && f.externalrefid.length > refMax) {
      return maximoError(400, CODE.length, `The value specified for External Reference ID exceeds the maximum field length of ${refMax}.`, 'externalrefid');
    }
    if (f.assetnum !== undefined && f.assetnum !== null && f.assetnum !== '') {
      const asset = ctx.assets.find((a) => a.assetnum === f.assetnum && a.siteid === siteid);
      if (!asset || asset.status === 'DECOMMISSIONED') {
        return maximoError(400, CODE.asset, `Asset ${String(f.assetnum)} is not a valid asset, or its status is not an operating status.`, 'assetnum');
      }
    }
    // Locations of assets added through the control API count too.
    const knownLocation = (loc: string): boolean => locations.has(`${siteid}:${loc}`)
      || ctx.assets.some((a) => a.siteid === siteid && (a.location === loc || a.location.startsWith(`${loc}/`)));
    if (f.location !== undefined && f.location !== null && f.location !== '' && !knownLocation(String(f.location))) {
      return maximoError(400, CODE.location, `Location ${String(f.location)} is not a valid location in site ${siteid}.`, 'location');
    }
    if (f.wopriority !== undefined && f.wopriority !== null && !/^\d+$/.test(String(f.wopriority))) {
      return maximoError(400, CODE.badRequest, `The value ${String(f.wopriority)} is not a valid integer for Priority.`, 'wopriority');
    }
    if (f.wopriority !== undefined && f.wopriority !== null && (Number(f.wopriority) < PRIORITY_MIN || Number(f.wopriority) > PRIORITY_MAX)) {
      return maximoError(400, CODE.priority, `Priority ${String(f.wopriority)} is not in the range ${PRIORITY_MIN} to ${PRIORITY_MAX}.`, 'wopriority');
    }
    return null;
  };

  const create = (req: SimRequest, context: string, os: string): SimResponse => {
    const parsed = jsonBody(req);
    if (!parsed.ok || !isRecord(parsed.value)) return maximoError(400, CODE.badRequest, parsed.ok ? 'The request body must be a JSON object.' : parsed.error);
    const dup = replayed(req);
    if (dup) return dup;
    const f = lowerKeys(parsed.value);
    const siteid = typeof f.siteid === 'string' ? f.siteid : '';
    if (!siteid) return maximoError(400, CODE.required, 'A value is required for the Site field on the WORKORDER object.', 'siteid');
    const orgid = sites.get(siteid);
    if (!orgid || (f.orgid !== undefined && f.orgid !== orgid)) {
      return maximoError(400, CODE.site, `${siteid} is not a valid site. Enter a valid Site value as defined in the Organization Application.`, 'siteid');
    }
    const invalid = validate(f, siteid);
    if (invalid) return invalid;
    const wonum = f.wonum !== undefined ? String(f.wonum) : String(ctx.store.nextSeq('maximo.wonum', 1001));
    if (ctx.store.get('maximo', wonum)) return maximoError(400, CODE.exists, `Record already exists for Site=${siteid}, Work Order=${wonum}.`, 'wonum');
    const at = mxDate(ctx.now());
    const { status: _ignored, worklog, ...rest } = f;
    const fields: Record<string, unknown> = {
      ...rest,
      wonum, siteid, orgid,
      workorderid: ctx.store.nextSeq('maximo.workorderid', 50001),
      reportdate: at, statusdate: at, changedate: at,
      _rowstamp: ctx.store.nextSeq('maximo.rowstamp', 900001),
      worklog: Array.isArray(worklog) ? worklog.map((w) => stampLog(w, at)) : [],
      wostatus: [{ status: MACHINES.maximo.initial, changedate: at }],
    };
    const ref = typeof f.externalrefid === 'string' ? f.externalrefid : null;
    const wo = ctx.store.create('maximo', wonum, ref, fields);
    remember(req);
    const href = woHref(prefixOf(req, context), os, wo);
    return echo(req, 201, woRecord(wo, href), { Location: href });
  };

  const changeStatus = (wo: SimWorkOrder, body: Record<string, unknown>): SimResponse | null => {
    if (typeof body.status !== 'string' || body.status === '') {
      return maximoError(400, CODE.required, 'A value is required for the Status field.', 'status');
    }
    if (typeof body.memo === 'string' && body.memo.length > MEMO_MAX) {
      return maximoError(400, CODE.length, `The value specified for Memo exceeds the maximum field length of ${MEMO_MAX}.`, 'memo');
    }
    const to = MACHINES.maximo.normalize(body.status);
    if (to === wo.status) return maximoError(400, CODE.status, `Work order ${wo.id} is already in status ${wo.status}.`, 'status');
    const result = ctx.store.changeStatus('maximo', wo.id, body.status);
    if (!result.ok) {
      const why = result.reason === 'unknown-status' ? `${body.status} is not a valid status.`
        : `The status of work order ${wo.id} cannot be changed from ${result.from} to ${result.to}.`;
      return maximoError(400, CODE.status, why, 'status');
    }
    if (typeof body.memo === 'string') wo.fields.np_statusmemo = body.memo;
    return null;
  };

  const update = (req: SimRequest, context: string, os: string, wo: SimWorkOrder): SimResponse => {
    const override = header(req, 'x-method-override')?.toUpperCase();
    if (override !== 'PATCH') return maximoError(400, CODE.badRequest, 'Updating a resource needs POST with x-method-override: PATCH.');
    const ifMatch = header(req, 'if-match');
    if (ifMatch && ifMatch.replace(/"/g, '') !== String(wo.fields._rowstamp)) {
      return maximoError(412, CODE.stale, 'The resource was changed by another user. Read it again and retry.');
    }
    const parsed = jsonBody(req);
    if (!parsed.ok || !isRecord(parsed.value)) return maximoError(400, CODE.badRequest, parsed.ok ? 'The request body must be a JSON object.' : parsed.error);
    const dup = replayed(req);
    if (dup) return dup;
    const body = lowerKeys(parsed.value);
    const action = req.query.get('action');
    if (action !== null) {
      if (action.toLowerCase() !== 'wsmethod:changestatus') return maximoError(400, CODE.badRequest, `The action ${action} is not supported.`);
      const failed = changeStatus(wo, body);
      if (failed) return failed;
    } else {
      const invalid = validate(body, String(wo.fields.siteid));
      if (invalid) return invalid;
      const at = mxDate(ctx.now());
      for (const [k, v] of Object.entries(body)) {
        if (['wonum', 'siteid', 'orgid', 'workorderid', 'href', '_rowstamp', 'status', 'worklog', 'wostatus'].includes(k)) continue;
        wo.fields[k] = v;
      }
      if (Array.isArray(body.worklog)) {
        const added = body.worklog.map((w) => stampLog(w, at));
        // Without patchtype MERGE, Maximo replaces child rows with exactly what was sent.
        const merge = header(req, 'patchtype')?.toUpperCase() === 'MERGE';
        wo.fields.worklog = merge ? [...(wo.fields.worklog as unknown[]), ...added] : added;
      }
      if (typeof body.externalrefid === 'string') wo.ref = body.externalrefid;
      if (typeof body.status === 'string' && MACHINES.maximo.normalize(body.status) !== wo.status) {
        const failed = changeStatus(wo, body);
        if (failed) return failed;
      }
      wo.fields.changedate = at;
      wo.fields._rowstamp = ctx.store.nextSeq('maximo.rowstamp', 900001);
      ctx.store.touch(wo);
    }
    remember(req);
    return echo(req, 200, woRecord(wo, woHref(prefixOf(req, context), os, wo)));
  };

  const collection = (req: SimRequest, rows: Record<string, unknown>[], known: { has(attr: string): boolean }, selfHref: string): SimResponse => {
    let conds;
    try {
      conds = parseWhere(req.query.get('oslc.where') ?? '');
    } catch (err) {
      return maximoError(400, CODE.badRequest, (err as QueryError).message);
    }
    const unknownAttr = conds.find((c) => !known.has(c.attr));
    if (unknownAttr) return maximoError(400, CODE.badRequest, `The attribute ${unknownAttr.attr} in oslc.where does not exist in the object structure.`);
    const found = sortBy(rows.filter((r) => matches(r, conds)), req.query.get('oslc.orderBy'));
    if (req.query.get('count') === '1') return json(200, { totalCount: found.length });
    const pageSize = intParam(req.query, 'oslc.pageSize', 0);
    const pageno = intParam(req.query, 'pageno', 1);
    if (pageSize === null || pageno === null || pageno < 1) return maximoError(400, CODE.badRequest, 'oslc.pageSize and pageno must be positive integers.');
    if (pageSize > ctx.pageSizeMax) {
      return maximoError(400, CODE.pageSize, `The page size ${pageSize} exceeds the maximum page size ${ctx.pageSizeMax} (mxe.oslc.maxpagesize).`);
    }
    const size = pageSize || Math.max(found.length, 1);
    const totalPages = Math.max(1, Math.ceil(found.length / size));
    const page = found.slice((pageno - 1) * size, pageno * size);
    const select = parseSelect(req.query.get('oslc.select'));
    const pageUrl = (n: number): string => {
      const q = new URLSearchParams(req.query);
      q.set('pageno', String(n));
      return `${selfHref}?${q.toString()}`;
    };
    const info: Record<string, unknown> = { href: `${selfHref}?${req.query.toString()}`, pagenum: pageno };
    if (pageSize && pageno < totalPages) info.nextPage = { href: pageUrl(pageno + 1) };
    if (pageSize && pageno > 1) info.previousPage = { href: pageUrl(pageno - 1) };
    if (req.query.get('collectioncount') === '1') Object.assign(info, { totalCount: found.length, totalPages });
    return json(200, shape(req, { member: page.map((r) => project(r, select)), href: selfHref, responseInfo: info }));
  };

  /**
   * The work orders that can match the query's conditions on stored fields (the attributes a
   * record computes are left to `collection`, which applies every condition to the full record).
   * An unreadable query leaves the list whole: `collection` answers it with its 400.
   */
  const narrowed = (req: SimRequest, all: SimWorkOrder[]): SimWorkOrder[] => {
    let conds;
    try {
      conds = parseWhere(req.query.get('oslc.where') ?? '');
    } catch {
      return all;
    }
    const onFields = conds.filter((c) => !RECORD_ATTRS.has(c.attr));
    return onFields.length === 0 ? all : all.filter((w) => matches(w.fields, onFields));
  };

  const handle = (req: SimRequest): SimResponse => {
    const m = /^\/maximo\/(api|oslc)(\/.*)?$/i.exec(req.path);
    if (!m) return maximoError(404, CODE.notFound, `No resource at ${req.path}.`);
    const context = m[1].toLowerCase();
    const rest = (m[2] ?? '/').replace(/\/+$/, '') || '/';
    if (!authorized(req)) return unauthorized();
    const prefix = prefixOf(req, context);
    if (rest === '/') return json(200, { whoami: { href: `${prefix}/whoami` }, systeminfo: { href: `${prefix}/systeminfo` }, apimeta: { href: `${prefix}/apimeta` } });
    if (rest.toLowerCase() === '/whoami') {
      if (req.method !== 'GET') return maximoError(405, CODE.badRequest, 'whoami supports GET only.');
      return json(200, {
        userid: 'MAXADMIN', loginid: 'maxadmin', personid: 'MAXADMIN', displayname: 'Max Admin', defsite: 'BEDFORD',
        deforg: 'EAGLENA', insertSite: 'BEDFORD', langcode: 'EN', baseLang: 'EN', timezone: 'UTC', href: `${prefix}/whoami`,
      });
    }
    const os = /^\/os\/([^/]+)(?:\/([^/]+))?$/i.exec(rest);
    if (!os) return maximoError(404, CODE.notFound, `No resource at ${req.path}.`);
    const name = os[1].toLowerCase();
    const member = os[2];
    if (ASSET_STRUCTURES.includes(name)) {
      const rows = ctx.assets.map((a, i) => assetRecord(a, i, prefix, name));
      if (req.method !== 'GET') return maximoError(405, CODE.badRequest, 'The simulator serves assets read-only.');
      if (!member) return collection(req, rows, ASSET_ATTRS, `${prefix}/os/${name}`);
      const row = rows.find((r) => String(r.href).endsWith(`/${member}`));
      return row ? json(200, shape(req, project(row, null))) : maximoError(404, CODE.notFound, `The asset ${member} was not found.`);
    }
    if (!WO_STRUCTURES.includes(name)) return maximoError(404, CODE.notFound, `The OSLC resource ${name} was not found as it does not exist in the system.`);
    const records = (): SimWorkOrder[] => ctx.store.list('maximo');
    if (!member) {
      if (req.method === 'GET') {
        // Same answers as filtering every full record, but a lookup by reference no longer builds
        // a record for every work order: with thousands of them each GET cost milliseconds, and in
        // the work-order benchmark (simulator in Node-RED's process) that showed as event-loop delay.
        const all = records();
        const known = { has: (attr: string): boolean => WO_ATTRS.has(attr) || all.some((w) => attr in w.fields) };
        return collection(req, narrowed(req, all).map((w) => woRecord(w, woHref(prefix, name, w))), known, `${prefix}/os/${name}`);
      }
      if (req.method !== 'POST') return maximoError(405, CODE.badRequest, `${req.method} is not supported on a collection.`);
      const override = header(req, 'x-method-override');
      if (override) return maximoError(400, CODE.badRequest, `x-method-override ${override} on a collection is not implemented by the simulator.`);
      return create(req, context, name);
    }
    const wo = records().find((w) => restId(String(w.fields.wonum), String(w.fields.siteid)) === member);
    if (!wo) return maximoError(404, CODE.notFound, `The resource ${member} was not found; it may have been deleted.`);
    if (req.method === 'GET') return json(200, shape(req, project(woRecord(wo, woHref(prefix, name, wo)), parseSelect(req.query.get('oslc.select') ?? '*'))));
    if (req.method === 'POST') return update(req, context, name, wo);
    return maximoError(405, CODE.badRequest, `${req.method} is not supported on a work order.`);
  };

  return {
    handle,
    unauthorized,
    error: (status, message) => maximoError(status, status >= 500 ? CODE.server : CODE.badRequest, message),
    wire: (wo, baseUrl) => woRecord(wo, woHref(`${baseUrl}/maximo/api`, 'mxapiwodetail', wo)),
    reset: () => txns.clear(),
  };
}

/** Attributes whose value in a work-order record is not the stored field's (see woRecord). */
const RECORD_ATTRS: ReadonlySet<string> = new Set(['status', 'status_description', '_rowstamp', 'href']);

function stampLog(w: unknown, at: string): Record<string, unknown> {
  const row = isRecord(w) ? lowerKeys(w) : { description: String(w) };
  return { logtype: 'WORK', createdate: at, ...row };
}

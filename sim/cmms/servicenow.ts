// ServiceNow Table API: incident and wm_order (work orders), cmdb_ci (assets), sys_user (probe),
// with Basic or OAuth bearer auth. Values go over the wire as strings, as ServiceNow sends them.
import { assetSysId } from './assets';
import type { DialectHandler, SimContext } from './context';
import { basicAuth, bearer, header, intParam, isRecord, json, jsonBody, type SimRequest, type SimResponse } from './http';
import { serviceNowTokenEndpoint } from './oauth';
import { parseEncodedQuery, runQuery } from './servicenow-query';
import { MACHINES } from './states';
import type { SimWorkOrder } from './types';

export const SERVICENOW_CREDENTIALS = { user: 'admin', password: 'sim-pass' };

const WORK_TABLES: Record<string, { prefix: string; fields: string[] }> = {
  incident: {
    prefix: 'INC',
    fields: ['short_description', 'description', 'urgency', 'impact', 'priority', 'category', 'subcategory', 'cmdb_ci',
      'assignment_group', 'assigned_to', 'caller_id', 'correlation_id', 'correlation_display', 'state', 'close_code',
      'close_notes', 'location', 'company', 'contact_type'],
  },
  wm_order: {
    prefix: 'WO',
    fields: ['short_description', 'description', 'priority', 'cmdb_ci', 'assignment_group', 'assigned_to', 'caller_id',
      'correlation_id', 'correlation_display', 'state', 'close_notes', 'location', 'company', 'category'],
  },
};
const SYSTEM_FIELDS = ['sys_id', 'number', 'sys_class_name', 'sys_created_on', 'sys_created_by', 'sys_updated_on', 'sys_updated_by',
  'sys_mod_count', 'opened_at', 'resolved_at', 'closed_at', 'active', 'work_notes', 'comments'];
const JOURNAL = ['work_notes', 'comments'];
const REFERENCES: Record<string, string> = { cmdb_ci: 'cmdb_ci', assignment_group: 'sys_user_group', assigned_to: 'sys_user', caller_id: 'sys_user' };
const JOURNAL_FIELDS = ['sys_id', 'element_id', 'name', 'element', 'value', 'sys_created_on', 'sys_created_by'];
const CI_FIELDS = ['sys_id', 'name', 'asset_tag', 'short_description', 'location', 'company', 'operational_status', 'sys_class_name', 'sys_updated_on'];
const USER = { sys_id: '6816f79cc0a8016401c5a33be04be441', user_name: 'admin', name: 'System Administrator', email: 'admin@example.com', active: 'true' };

function snDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function snError(status: number, message: string, detail: string | null = null, headers: Record<string, string | number> = {}): SimResponse {
  return json(status, { error: { message, detail }, status: 'failure' }, headers);
}

/** Incident priority from the default impact × urgency matrix; a client cannot set it directly. */
function derivePriority(impact: string, urgency: string): string {
  const sum = (Number(impact) || 3) + (Number(urgency) || 3);
  return String(Math.min(5, Math.max(1, sum - 1)));
}

export function createServiceNow(ctx: SimContext): DialectHandler {
  const windows = new Map<string, { start: number; count: number }>();
  const ciRows = ctx.assets.map((a) => ({
    sys_id: assetSysId(a), name: a.assetnum, asset_tag: a.assetnum, short_description: a.description, location: a.location,
    company: a.siteid, operational_status: a.status === 'OPERATING' ? '1' : a.status === 'NOT READY' ? '2' : '6',
    sys_class_name: 'cmdb_ci', sys_updated_on: '2024-01-15 08:00:00',
  }));

  ctx.store.onTransition('servicenow', (wo, _from, to, at) => {
    const f = wo.fields as Record<string, string>;
    f.sys_updated_on = snDate(at);
    f.sys_mod_count = String(Number(f.sys_mod_count) + 1);
    if (to === '6') {
      f.resolved_at = snDate(at);
      // Moves made by the "technician" (control API) fill what the data policy demands.
      if (f.sys_class_name === 'incident' && !f.close_code) f.close_code = 'Solved (Permanently)';
      if (!f.close_notes) f.close_notes = 'Resolved by the technician';
    }
    if (to === '7') f.closed_at = snDate(at);
    f.active = to === '7' || to === '8' ? 'false' : 'true';
  });

  const unauthorized = (): SimResponse => snError(401, 'User Not Authenticated', 'Required to provide Auth information',
    { 'WWW-Authenticate': 'BASIC realm="Service-now"' });

  /** Who is calling, or null when the credentials are wrong. */
  const caller = (req: SimRequest): string | null => {
    const basic = basicAuth(req);
    if (basic) return basic.user === SERVICENOW_CREDENTIALS.user && basic.pass === SERVICENOW_CREDENTIALS.password ? basic.user : null;
    const token = bearer(req);
    return token && ctx.tokens.check('servicenow', token) === 'valid' ? `token:${token.slice(0, 8)}` : null;
  };

  const rateHeaders = (who: string): { headers: Record<string, string | number>; exceeded: boolean } => {
    const rule = ctx.servicenowRateLimit;
    if (!rule) return { headers: {}, exceeded: false };
    const now = ctx.now();
    let w = windows.get(who);
    if (!w || now - w.start >= 3600_000) {
      w = { start: now - (now % 3600_000), count: 0 };
      windows.set(who, w);
    }
    w.count += 1;
    const reset = Math.floor((w.start + 3600_000) / 1000);
    const headers = { 'X-RateLimit-Limit': rule.perHour, 'X-RateLimit-Reset': reset, 'X-RateLimit-Rule': 'a1b2c3d4e5f60718293a4b5c6d7e8f90' };
    return { headers, exceeded: w.count > rule.perHour };
  };

  const toWire = (wo: SimWorkOrder, req: { baseUrl: string; query: URLSearchParams }): Record<string, unknown> => {
    const f = wo.fields as Record<string, string>;
    const table = f.sys_class_name;
    const names = [...SYSTEM_FIELDS, ...WORK_TABLES[table].fields];
    const linkless = req.query.get('sysparm_exclude_reference_link') === 'true';
    const out: Record<string, unknown> = {};
    for (const name of names) {
      // Journal fields read back empty through the Table API; entries live in sys_journal_field.
      let v: unknown = JOURNAL.includes(name) ? '' : name === 'state' ? wo.status : (f[name] ?? '');
      if (REFERENCES[name] && v !== '' && !linkless) v = { link: `${req.baseUrl}/api/now/table/${REFERENCES[name]}/${String(v)}`, value: v };
      out[name] = v;
    }
    return out;
  };

  const displayInput = (req: SimRequest): boolean => req.query.get('sysparm_input_display_value') === 'true';

  const rowsOf = (table: string): SimWorkOrder[] => ctx.store.list('servicenow').filter((w) => w.fields.sys_class_name === table);

  const assign = (wo: SimWorkOrder, body: Record<string, unknown>, table: string, displayInput: boolean): void => {
    const f = wo.fields as Record<string, unknown>;
    for (const [k, v] of Object.entries(body)) {
      if (JOURNAL.includes(k)) {
        if (v !== '' && v !== null && v !== undefined) {
          (f._journal as unknown[]).push({ element: k, value: String(v), sys_created_on: snDate(ctx.now()), sys_created_by: 'admin' });
        }
        continue;
      }
      // Unknown fields are dropped without a word, as on a real instance.
      if (!WORK_TABLES[table].fields.includes(k) && !k.startsWith('u_')) continue;
      if (k === 'state') continue;
      let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      // A string longer than the column's max_length is stored cut, without an error.
      if (k === 'correlation_id') s = s.slice(0, ctx.referenceLength.servicenow);
      // A reference takes a sys_id; a name is resolved only with sysparm_input_display_value=true
      // (Table API docs), else it is stored as sent and links to nothing.
      if (k === 'cmdb_ci' && s && (displayInput || ctx.lenient)) s = ciRows.find((c) => c.sys_id === s || c.name === s)?.sys_id ?? s;
      f[k] = s;
    }
    if (table === 'incident') f.priority = derivePriority(String(f.impact ?? ''), String(f.urgency ?? ''));
    wo.ref = typeof f.correlation_id === 'string' && f.correlation_id !== '' ? f.correlation_id : null;
  };

  const setState = (wo: SimWorkOrder, value: unknown, table: string, body: Record<string, unknown>): SimResponse | null => {
    const target = MACHINES.servicenow.normalize(String(value));
    if (target === null || target === wo.status) return target === null ? snError(400, 'Invalid state', `Unknown state ${String(value)}`) : null;
    const f = wo.fields as Record<string, string>;
    if (table === 'incident' && (target === '6' || target === '7')) {
      const missing = [['close_code', 'Resolution code'], ['close_notes', 'Resolution notes']]
        .filter(([k]) => !(body[k] ?? f[k])).map(([, label]) => label);
      if (missing.length > 0) {
        return snError(403, 'Operation Failed', `Data Policy Exception: \n The following fields are mandatory: ${missing.join(', ')}`);
      }
    }
    const r = ctx.store.changeStatus('servicenow', wo.id, target);
    if (!r.ok) {
      return snError(403, 'Operation Failed',
        `Invalid state transition from ${MACHINES.servicenow.label(wo.status)} (${wo.status}) to ${MACHINES.servicenow.label(target)} (${target})`);
    }
    return null;
  };

  const list = (req: SimRequest, rows: Record<string, unknown>[], fieldNames: string[], selfPath: string): SimResponse => {
    // The query sees the stored values (a reference's sys_id, not its link object).
    const strings = rows.map((r, i) => ({
      ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, isRecord(v) ? String(v.value) : String(v)])),
      __row: String(i),
    }));
    const hits = runQuery(strings, parseEncodedQuery(req.query.get('sysparm_query') ?? '', new Set(fieldNames), USER.sys_id));
    const limit = intParam(req.query, 'sysparm_limit', 10000);
    const offset = intParam(req.query, 'sysparm_offset', 0);
    if (limit === null || offset === null) return snError(400, 'Invalid sysparm_limit or sysparm_offset');
    const page = hits.slice(offset, offset + Math.max(limit, 1)).map((h) => project(rows[Number(h.__row)], req));
    const headers: Record<string, string | number> = { 'X-Total-Count': hits.length };
    if (req.query.get('sysparm_suppress_pagination_header') !== 'true') {
      const at = (o: number): string => {
        const q = new URLSearchParams(req.query);
        q.set('sysparm_offset', String(o));
        q.set('sysparm_limit', String(limit));
        return `<${req.baseUrl}${selfPath}?${q.toString()}>`;
      };
      const links = [`${at(0)};rel="first"`];
      if (offset > 0) links.push(`${at(Math.max(0, offset - limit))};rel="prev"`);
      if (offset + limit < hits.length) links.push(`${at(offset + limit)};rel="next"`);
      links.push(`${at(Math.max(0, Math.floor((hits.length - 1) / Math.max(limit, 1)) * limit))};rel="last"`);
      headers.Link = links.join(',');
    }
    return json(200, { result: page }, headers);
  };

  const project = (row: Record<string, unknown>, req: SimRequest): Record<string, unknown> => {
    const wanted = req.query.get('sysparm_fields')?.split(',').map((s) => s.trim()).filter(Boolean);
    if (!wanted) return row;
    return Object.fromEntries(wanted.filter((k) => k in row).map((k) => [k, row[k]]));
  };

  const workTable = (req: SimRequest, table: string, sysId: string | undefined, rateHdr: Record<string, string | number>): SimResponse => {
    const withRate = (r: SimResponse): SimResponse => ({ ...r, headers: { ...rateHdr, ...r.headers } });
    const fieldNames = [...SYSTEM_FIELDS, ...WORK_TABLES[table].fields];
    const quiet = header(req, 'x-no-response-body') === 'true';
    if (!sysId) {
      if (req.method === 'GET') return withRate(list(req, rowsOf(table).map((w) => toWire(w, req)), fieldNames, req.path));
      if (req.method !== 'POST') return withRate(snError(405, 'Method not Supported', `${req.method} is not supported on a table`));
      const parsed = jsonBody(req);
      if (!parsed.ok || !isRecord(parsed.value)) return withRate(snError(400, 'Exception while reading request', parsed.ok ? 'Expected a JSON object' : parsed.error));
      const now = snDate(ctx.now());
      const sys_id = ctx.random.hex(32);
      const number = `${WORK_TABLES[table].prefix}${String(ctx.store.nextSeq(`servicenow.${table}`, 10001)).padStart(7, '0')}`;
      const wo = ctx.store.create('servicenow', sys_id, null, {
        sys_id, number, sys_class_name: table, sys_created_on: now, sys_created_by: 'admin', sys_updated_on: now,
        sys_updated_by: 'admin', sys_mod_count: '0', opened_at: now, resolved_at: '', closed_at: '', active: 'true',
        impact: '3', urgency: '3', _journal: [],
      });
      assign(wo, parsed.value, table, displayInput(req));
      const href = `${req.baseUrl}/api/now/table/${table}/${sys_id}`;
      if (quiet) return withRate({ status: 201, headers: { Location: href } });
      return withRate(json(201, { result: project(toWire(wo, req), req) }, { Location: href }));
    }
    const wo = ctx.store.get('servicenow', sysId);
    if (!wo || wo.fields.sys_class_name !== table) {
      return withRate(snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval"));
    }
    if (req.method === 'GET') return withRate(json(200, { result: project(toWire(wo, req), req) }));
    if (req.method === 'DELETE') return withRate(snError(403, 'Operation Failed', 'ACL Exception Delete Failed due to security constraints'));
    if (req.method !== 'PATCH' && req.method !== 'PUT') return withRate(snError(405, 'Method not Supported', `${req.method} is not supported on a record`));
    const parsed = jsonBody(req);
    if (!parsed.ok || !isRecord(parsed.value)) return withRate(snError(400, 'Exception while reading request', parsed.ok ? 'Expected a JSON object' : parsed.error));
    const body = parsed.value;
    // wm_order's State is read-only (it follows the order's tasks): a written state is ignored.
    if (table === 'wm_order' && !ctx.lenient) delete body.state;
    if (body.state !== undefined && body.state !== '') {
      const failed = setState(wo, body.state, table, body);
      if (failed) return withRate(failed);
    }
    assign(wo, body, table, displayInput(req));
    const f = wo.fields as Record<string, string>;
    f.sys_updated_on = snDate(ctx.now());
    f.sys_mod_count = String(Number(f.sys_mod_count) + 1);
    ctx.store.touch(wo);
    if (quiet) return withRate({ status: 200 });
    return withRate(json(200, { result: project(toWire(wo, req), req) }));
  };

  /** sys_journal_field: one row per work note / comment, `element_id` the record's sys_id, `name` its table. */
  const journalRows = (): Record<string, unknown>[] => ctx.store.list('servicenow').flatMap((wo) =>
    ((wo.fields._journal as Record<string, unknown>[] | undefined) ?? []).map((j, i) => ({
      sys_id: `${wo.id.slice(0, 24)}${String(i).padStart(8, '0')}`, element_id: wo.id, name: wo.fields.sys_class_name,
      element: j.element, value: j.value, sys_created_on: j.sys_created_on, sys_created_by: j.sys_created_by,
    })));

  const handle = (req: SimRequest): SimResponse => {
    if (req.path === '/oauth_token.do') {
      return serviceNowTokenEndpoint(req, ctx.tokens, { user: SERVICENOW_CREDENTIALS.user, pass: SERVICENOW_CREDENTIALS.password }, ctx.servicenowClientCredentials);
    }
    const m = /^\/api\/now\/(?:v[12]\/)?table\/([^/]+)(?:\/([^/]+))?\/?$/.exec(req.path);
    const who = caller(req);
    if (!who) return unauthorized();
    if (!m) return snError(400, 'Requested URI does not represent any resource', req.path);
    const rate = rateHeaders(who);
    if (rate.exceeded) {
      const retry = Math.max(1, Number(rate.headers['X-RateLimit-Reset']) - Math.floor(ctx.now() / 1000));
      return snError(429, 'Rate limit exceeded', `Rate limit of ${ctx.servicenowRateLimit?.perHour} requests per hour for Table API exceeded`,
        { ...rate.headers, 'Retry-After': retry });
    }
    const [, table, sysId] = m;
    if (WORK_TABLES[table]) return workTable(req, table, sysId, rate.headers);
    const readOnly = table === 'cmdb_ci' ? { rows: ciRows as Record<string, unknown>[], fields: CI_FIELDS }
      : table === 'sys_journal_field' ? { rows: journalRows(), fields: JOURNAL_FIELDS }
      : table === 'sys_user' ? { rows: [USER] as Record<string, unknown>[], fields: Object.keys(USER) } : null;
    if (!readOnly) return snError(400, `Invalid table ${table}`);
    const withRate = (r: SimResponse): SimResponse => ({ ...r, headers: { ...rate.headers, ...r.headers } });
    if (req.method !== 'GET') return withRate(snError(403, 'Operation Failed', 'ACL Exception: the simulator serves this table read-only'));
    if (sysId) {
      const row = readOnly.rows.find((r) => r.sys_id === sysId);
      return withRate(row ? json(200, { result: project(row, req) }) : snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval"));
    }
    return withRate(list(req, readOnly.rows, readOnly.fields, req.path));
  };

  return {
    handle,
    unauthorized,
    error: (status, message) => snError(status, status === 429 ? 'Rate limit exceeded' : message, status === 429 ? message : null),
    wire: (wo, baseUrl) => toWire(wo, { baseUrl, query: new URLSearchParams() }),
    reset: () => windows.clear(),
  };
}

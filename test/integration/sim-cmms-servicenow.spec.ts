// The simulator's ServiceNow dialect over real sockets: Basic and OAuth auth (with expiry on the
// injected clock), Table API create/read/query, Link paging, the incident state machine.
import assert from 'node:assert/strict';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const C = SIM_CREDENTIALS.servicenow;
const BASIC = { authorization: `Basic ${Buffer.from(`${C.username}:${C.password}`).toString('base64')}` };
const JSON_BASIC = { ...BASIC, 'content-type': 'application/json', accept: 'application/json' };

type Row = Record<string, unknown>;

function nextLink(res: Response): string | undefined {
  const link = res.headers.get('link') ?? '';
  return /<([^>]+)>;rel="next"/.exec(link)?.[1];
}

describe('CMMS simulator: ServiceNow', function () {
  let sim: CmmsSim;
  let clock = T0;

  beforeEach(async function () {
    clock = T0;
    sim = await startCmmsSim({ now: () => clock, tokenTtlSec: 1800 });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const token = async (form: Record<string, string>): Promise<Response> => fetch(`${sim.url}/oauth_token.do`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const incident = async (body: Row): Promise<Response> =>
    fetch(`${sim.url}/api/now/table/incident`, { method: 'POST', headers: JSON_BASIC, body: JSON.stringify(body) });

  it('accepts Basic admin:sim-pass and refuses anything else with the failure body', async function () {
    assert.equal((await fetch(`${sim.url}/api/now/table/sys_user?sysparm_limit=1`, { headers: BASIC })).status, 200);
    const wrong = { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` };
    for (const headers of [{}, wrong, { authorization: 'Bearer not-a-token' }]) {
      const res = await fetch(`${sim.url}/api/now/table/incident?sysparm_limit=1`, { headers });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), {
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure',
      });
    }
  });

  it('issues OAuth tokens (client_credentials, password, refresh) that expire on the injected clock', async function () {
    const cc = await token({ grant_type: 'client_credentials', client_id: C.clientId, client_secret: C.clientSecret });
    assert.equal(cc.status, 200);
    const t = await cc.json() as { access_token: string; token_type: string; expires_in: number; scope: string };
    assert.equal(t.token_type, 'Bearer');
    assert.equal(t.expires_in, 1800);
    const bearer = { authorization: `Bearer ${t.access_token}` };
    assert.equal((await fetch(`${sim.url}/api/now/table/incident?sysparm_limit=1`, { headers: bearer })).status, 200);
    clock += 1800_000;
    assert.equal((await fetch(`${sim.url}/api/now/table/incident?sysparm_limit=1`, { headers: bearer })).status, 401);

    const pw = await (await token({ grant_type: 'password', client_id: C.clientId, client_secret: C.clientSecret, username: C.username, password: C.password })).json() as { refresh_token: string };
    assert.ok(pw.refresh_token);
    const refreshed = await token({ grant_type: 'refresh_token', client_id: C.clientId, client_secret: C.clientSecret, refresh_token: pw.refresh_token });
    assert.equal(refreshed.status, 200);

    const denied = await token({ grant_type: 'client_credentials', client_id: C.clientId, client_secret: 'wrong' });
    assert.equal(denied.status, 401);
    assert.deepEqual(await denied.json(), { error_description: 'access_denied', error: 'server_error' });
  });

  it('creates an incident, drops unknown fields, derives priority, and finds it by correlation_id', async function () {
    const res = await incident({
      short_description: 'HiHi vibration PUMP-101', urgency: 1, impact: 2, priority: 5, correlation_id: 'ep-1',
      cmdb_ci: 'PUMP-101', externalrefid: 'not a ServiceNow field',
    });
    assert.equal(res.status, 201);
    const { result } = await res.json() as { result: Row };
    assert.match(String(result.sys_id), /^[0-9a-f]{32}$/);
    assert.equal(result.number, 'INC0010001');
    assert.equal(result.state, '1');
    assert.equal(result.priority, '2', 'priority follows impact × urgency, not the value sent');
    assert.equal(result.correlation_id, 'ep-1');
    assert.equal('externalrefid' in result, false);
    assert.match(String(result.sys_updated_on), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const ci = result.cmdb_ci as { link: string; value: string };
    assert.equal(ci.value, 'PUMP-101', 'without sysparm_input_display_value a name is stored as sent (it links to nothing)');
    const display = await fetch(`${sim.url}/api/now/table/incident?sysparm_input_display_value=true`, {
      method: 'POST', headers: { ...BASIC, 'content-type': 'application/json' }, body: JSON.stringify({ short_description: 'x', cmdb_ci: 'PUMP-102' }),
    });
    assert.match(((await display.json() as { result: { cmdb_ci: { value: string } } }).result.cmdb_ci.value), /^[0-9a-f]{32}$/, 'with it, the name resolves');
    assert.equal(res.headers.get('location'), `${sim.url}/api/now/table/incident/${String(result.sys_id)}`);

    const q = encodeURIComponent('correlation_id=ep-1^active=true');
    const found = await fetch(`${sim.url}/api/now/table/incident?sysparm_query=${q}&sysparm_fields=sys_id,number,state,cmdb_ci&sysparm_exclude_reference_link=true`, { headers: BASIC });
    assert.equal(found.headers.get('x-total-count'), '1');
    const rows = (await found.json() as { result: Row[] }).result;
    assert.deepEqual(Object.keys(rows[0]).sort(), ['cmdb_ci', 'number', 'state', 'sys_id']);
    assert.equal(rows[0].cmdb_ci, ci.value);
    assert.equal(sim.workOrders('servicenow')[0].ref, 'ep-1');
  });

  it('pages with sysparm_limit/offset, a Link header and X-Total-Count, also by sys_updated_on', async function () {
    for (let i = 0; i < 5; i++) {
      assert.equal((await incident({ short_description: `n${i}`, correlation_id: `ep-${i}` })).status, 201);
      clock += 60_000;
    }
    const q = encodeURIComponent('sys_updated_on>=2025-03-01 10:01:00^ORDERBYsys_updated_on');
    let next: string | undefined = `${sim.url}/api/now/table/incident?sysparm_query=${q}&sysparm_limit=2`;
    const refs: unknown[] = [];
    let pages = 0;
    while (next) {
      const res: Response = await fetch(next, { headers: BASIC });
      assert.equal(res.headers.get('x-total-count'), '4');
      refs.push(...(await res.json() as { result: Row[] }).result.map((r) => r.correlation_id));
      next = nextLink(res);
      pages += 1;
    }
    assert.equal(pages, 2);
    assert.deepEqual(refs, ['ep-1', 'ep-2', 'ep-3', 'ep-4']);

    const cis: Row[] = [];
    next = `${sim.url}/api/now/table/cmdb_ci?sysparm_limit=8`;
    while (next) {
      const res = await fetch(next, { headers: BASIC });
      cis.push(...(await res.json() as { result: Row[] }).result);
      next = nextLink(res);
    }
    assert.equal(cis.length, 30);
    assert.deepEqual(new Set(cis.map((c) => c.operational_status)), new Set(['1', '2', '6']));
  });

  it('enforces the incident states, with the resolution data policy', async function () {
    const { result } = await (await incident({ short_description: 's', correlation_id: 'ep-s' })).json() as { result: Row };
    const patch = (body: Row): Promise<Response> => fetch(`${sim.url}/api/now/table/incident/${String(result.sys_id)}`, {
      method: 'PATCH', headers: JSON_BASIC, body: JSON.stringify(body),
    });
    assert.equal((await patch({ state: '2', work_notes: 'technician on the way' })).status, 200);
    const noCode = await patch({ state: '6' });
    assert.equal(noCode.status, 403);
    assert.match((await noCode.json() as { error: { detail: string } }).error.detail, /Resolution code, Resolution notes/);
    const resolved = await patch({ state: '6', close_code: 'Solved (Permanently)', close_notes: 'bearing replaced' });
    assert.equal(resolved.status, 200);
    const r = (await resolved.json() as { result: Row }).result;
    assert.equal(r.state, '6');
    assert.equal(r.work_notes, '', 'journal fields read back empty');
    assert.equal((await patch({ state: '7' })).status, 200);
    const reopen = await patch({ state: '2' });
    assert.equal(reopen.status, 403);
    const wo = sim.workOrders('servicenow')[0];
    assert.equal(wo.status, '7');
    assert.deepEqual((wo.fields._journal as Row[]).map((j) => j.value), ['technician on the way']);
  });

  it('serves wm_order work orders and answers unknown tables with 400', async function () {
    const res = await fetch(`${sim.url}/api/now/table/wm_order`, { method: 'POST', headers: JSON_BASIC, body: JSON.stringify({ short_description: 'w', correlation_id: 'ep-w' }) });
    assert.equal(res.status, 201);
    assert.match(String((await res.json() as { result: Row }).result.number), /^WO\d{7}$/);
    const bad = await fetch(`${sim.url}/api/now/table/no_such_table`, { headers: BASIC });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: { message: 'Invalid table no_such_table', detail: null }, status: 'failure' });
  });

  it('applies an hourly rate rule with X-RateLimit-* headers and the failure body when configured', async function () {
    const limited = await startCmmsSim({ now: () => clock, servicenowRateLimit: { perHour: 2 } });
    try {
      const hit = (): Promise<Response> => fetch(`${limited.url}/api/now/table/incident?sysparm_limit=1`, { headers: BASIC });
      const first = await hit();
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('x-ratelimit-limit'), '2');
      assert.equal(first.headers.get('x-ratelimit-reset'), String(Date.parse('2025-03-01T11:00:00Z') / 1000));
      assert.equal((await hit()).status, 200);
      const over = await hit();
      assert.equal(over.status, 429);
      assert.equal(over.headers.get('retry-after'), '3600');
      assert.deepEqual(await over.json(), {
        error: { message: 'Rate limit exceeded', detail: 'Rate limit of 2 requests per hour for Table API exceeded' }, status: 'failure',
      });
      clock += 3600_000;
      assert.equal((await hit()).status, 200);
    } finally {
      await limited.stop();
    }
  });

  it('draws the same sys_ids from the same seed, and others from another seed', async function () {
    const firstId = async (s: CmmsSim): Promise<string> => {
      const r = await fetch(`${s.url}/api/now/table/incident`, { method: 'POST', headers: JSON_BASIC, body: '{"short_description":"x"}' });
      return String((await r.json() as { result: Row }).result.sys_id);
    };
    const same = await startCmmsSim({ now: () => clock });
    const different = await startCmmsSim({ now: () => clock, seed: 2 });
    try {
      const mine = await firstId(sim);
      assert.equal(await firstId(same), mine);
      assert.notEqual(await firstId(different), mine);
    } finally {
      await same.stop();
      await different.stop();
    }
  });
});

// Items 5, 7, 8, 9 and 11 of issue 14: requests a stock Maximo accepts, against the strict simulator
// (short status memo, work-log rows, complete vs close with the real WOSTATUS values, maxauth on
// /maximo/oslc, the asset page size, descriptions cut by Maximo's character rule).
import assert from 'node:assert/strict';
import type { CmmsConfig } from '../../nodes/core/cmms';
const MEMO_MAX = 50;
import { parseCmmsSettings } from '../../nodes/core/cmms/settings';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { cut, defaultBody } from '../../nodes/core/work-order/body';
import { planFor } from '../../nodes/core/work-order/plan';
import { parseWorkOrderSettings } from '../../nodes/core/work-order/settings';
import { SIM_CREDENTIALS } from '../../sim/cmms';
import { failure, harness, type Harness } from './cmms-harness';

const MX: Omit<CmmsConfig, 'baseUrl'> = { dialect: 'maximo', auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD', orgId: 'EAGLENA' } };
const NOTE = `Condition cleared: bearing_temp back to normal on PUMP-101 (12 min, peak 97 °C)\n\n${'Evidence line with readings and limits. '.repeat(8)}`;

function event(over: Partial<MaintenanceEvent> = {}): MaintenanceEvent {
  return {
    kind: 'alarm', state: 'raised', eventId: 'BEDFORD.PUMP-101.fidelity', episodeId: 'ep-f', ruleId: 'r',
    asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
    metric: 'vibration', value: 13, limit: 12, level: 'HH', severity: 'high', priority: 2,
    summary: 'Vibration high-high on PUMP-101', details: {}, occurredAt: '2026-03-01T08:00:00.000Z', ...over,
  };
}

describe('cmms: Maximo requests a stock Maximo accepts (strict simulator)', () => {
  let h: Harness;
  before(async () => { h = await harness(); });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  it('item 5: the status memo is one short line; the whole note goes into a work-log row', async () => {
    const c = h.client(MX);
    const ref = await c.createWorkOrder({ reference: 'ev-memo', body: { description: 'x', assetnum: 'PUMP-101' } });
    await c.setStatus(ref, 'done', NOTE);
    const [wo] = h.sim.workOrders('maximo');
    assert.equal(wo.status, 'COMP');
    const change = h.sim.requests().find((r) => String(r.query.action) === 'wsmethod:changeStatus');
    const memo = String((change?.body as { memo: string }).memo);
    assert.ok(memo.length <= MEMO_MAX && !memo.includes('\n'), memo);
    assert.ok(memo.endsWith('...'));
    const logs = wo.fields.worklog as Array<{ description: string; description_longdescription: string }>;
    assert.equal(logs.length, 1);
    assert.equal(logs[0].description_longdescription, NOTE);
    assert.ok(logs[0].description.length <= 100);
    // The simulator refuses a long memo, as the field report saw Maximo do.
    const res = await fetch(`${ref.href}?action=wsmethod:changeStatus&lean=1`, {
      method: 'POST', headers: { apikey: SIM_CREDENTIALS.maximo.apiKey, 'x-method-override': 'PATCH', 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'CLOSE', memo: NOTE }),
    });
    assert.equal(res.status, 400);
  });

  it('item 5: reportedby is left out by default (Maximo records the key\'s user) and sent when set', () => {
    assert.equal('reportedby' in defaultBody('maximo', event()), false);
    const legacy = parseWorkOrderSettings({ cmms: 'c', reportedBy: 'MILLWRIGHT' }, 'maximo');
    assert.ok(legacy.ok);
    assert.equal('reportedby' in defaultBody('maximo', event(), legacy.value.mapping), false, 'the old editor default is not a person');
    const chosen = parseWorkOrderSettings({ cmms: 'c', reportedBy: 'JSMITH' }, 'maximo');
    assert.ok(chosen.ok);
    assert.equal(defaultBody('maximo', event(), chosen.value.mapping).reportedby, 'JSMITH');
  });

  it('item 7: "complete" sets COMP, "close" sets CLOSE through COMP; repeats and a technician who got there first are success', async () => {
    const completePlan = planFor(event({ state: 'cleared' }), 'maximo', {}, 'complete');
    assert.equal(completePlan.kind === 'enqueue' && completePlan.body.status, 'done');
    const closePlan = planFor(event({ state: 'cleared' }), 'maximo', {}, 'close');
    assert.equal(closePlan.kind === 'enqueue' && closePlan.body.status, 'closed');
    const c = h.client(MX);
    const ref = await c.createWorkOrder({ reference: 'ev-close', body: { description: 'x', assetnum: 'PUMP-101' } });
    await c.setStatus(ref, 'closed', 'cleared');
    const [wo] = h.sim.workOrders('maximo');
    assert.equal(wo.status, 'CLOSE');
    assert.deepEqual((wo.fields.wostatus as Array<{ status: string }>).map((s) => s.status), ['WAPPR', 'COMP', 'CLOSE']);
    await c.setStatus(ref, 'closed');
    await c.setStatus(ref, 'done');
    const other = await c.createWorkOrder({ reference: 'ev-tech', body: { description: 'y', assetnum: 'PUMP-101' } });
    h.sim.setStatus('maximo', other.id, 'CLOSE');
    await c.setStatus(other, 'done', 'cleared');
    assert.equal(h.sim.workOrders('maximo')[1].status, 'CLOSE');
    // A refused move to a state not reached stays an error.
    const e = await failure(c.setStatus(other, 'in-progress'));
    assert.equal(e.kind, 'permanent');
  });

  it('item 8: Maximo 7.6 native sign-in sends maxauth to /maximo/oslc', async () => {
    const parsed = parseCmmsSettings({ dialect: 'maximo', baseUrl: h.sim.url, authType: 'maxauth' }, { username: 'maxadmin', password: 'maxadmin' });
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join());
    assert.equal(parsed.value.client.auth.kind, 'maxauth');
    assert.equal(parsed.value.client.maximo?.context, 'oslc');
    const c = h.client({ ...parsed.value.client, rate: undefined, maximo: { ...parsed.value.client.maximo, siteId: 'BEDFORD' } });
    assert.equal((await c.probe()).state, 'connected');
    await c.createWorkOrder({ reference: 'ev-maxauth', body: { description: 'x', assetnum: 'PUMP-101' } });
    const reqs = h.sim.requests();
    assert.ok(reqs.every((r) => r.path.startsWith('/maximo/oslc/') && r.headers.maxauth === 'REDACTED' && r.headers.apikey === undefined));
    const wrong = h.client({ ...parsed.value.client, auth: { kind: 'maxauth', username: 'maxadmin', password: 'nope' } });
    assert.equal((await wrong.probe()).state, 'unauthorised');
    const notMaximo = parseCmmsSettings({ dialect: 'servicenow', baseUrl: h.sim.url, authType: 'maxauth' }, { username: 'a', password: 'b' });
    assert.equal(notMaximo.ok, false);
  });

  it('item 9: the asset page size is a setting up to 1000 and only the fields verification needs are selected', async () => {
    const parsed = parseCmmsSettings({ dialect: 'maximo', baseUrl: h.sim.url, authType: 'apikey', assetPageSize: '1000' }, { apiKey: SIM_CREDENTIALS.maximo.apiKey });
    assert.ok(parsed.ok);
    assert.equal(parsed.value.client.pageSize, 1000);
    const c = h.client({ ...MX, pageSize: parsed.value.client.pageSize });
    const page = await c.listAssets(null);
    assert.equal(page.items.length, 30);
    const [req] = h.sim.requests();
    assert.equal(req.query['oslc.pageSize'], '1000');
    assert.equal(req.query['oslc.select'], 'assetnum,siteid,location,status,description');
    const tooBig = parseCmmsSettings({ dialect: 'maximo', baseUrl: h.sim.url, authType: 'apikey', assetPageSize: 1001 }, { apiKey: 'k' });
    assert.equal(tooBig.ok, false);
    const mxTooBig = parseCmmsSettings({ dialect: 'maintainx', baseUrl: h.sim.url, authType: 'bearer', assetPageSize: 500 }, { token: 't' });
    assert.equal(mxTooBig.ok, false, 'MaintainX serves at most 200 per page');
  });

  it('item 11: a long description is cut to 100 characters with an ASCII marker, never between surrogate halves', async () => {
    const summary = `${'x'.repeat(96)}🔥🔥 overheating`;
    const body = defaultBody('maximo', event({ summary }));
    const d = String(body.description);
    assert.ok(d.length <= 100, String(d.length));
    assert.ok(d.endsWith('...'));
    assert.doesNotMatch(d, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, 'no lone high surrogate');
    assert.equal(cut('abc', 100), 'abc');
    await h.client(MX).createWorkOrder({ reference: 'ev-cut', body });
    assert.equal(h.sim.workOrders('maximo')[0].fields.description, d);
  });
});

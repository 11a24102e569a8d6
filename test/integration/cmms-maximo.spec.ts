import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import type { CmmsClient } from '../../nodes/core/cmms';
import { DEFAULT_ASSETS, SIM_CREDENTIALS } from '../../sim/cmms';
import { allPages, failure, harness, type Harness } from './cmms-harness';

describe('cmms client: Maximo against the simulator', () => {
  let h: Harness;
  let client: CmmsClient;
  const auth = { kind: 'apikey' as const, header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey };

  before(async () => {
    h = await harness();
    client = h.client({ dialect: 'maximo', auth, pageSize: 7, maximo: { siteId: 'BEDFORD', orgId: 'EAGLENA' } });
  });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  const body = (extra: Record<string, unknown> = {}) => ({
    description: 'HiHi vibration PUMP-101', description_longdescription: 'Vibration 11.2 mm/s over 7.1 for 30 s',
    assetnum: 'PUMP-101', worktype: 'CM', wopriority: 1, reportedby: 'EDGEGW01', ...extra,
  });

  it('probes with whoami', async () => {
    const p = await client.probe();
    assert.equal(p.ok, true);
    assert.equal(p.state, 'connected');
    assert.equal(p.detail, 'MAXADMIN');
  });

  it('creates a work order with externalrefid, transactionid and the site defaults', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-maximo-1', body: body() });
    assert.match(ref.id, /^\d+$/);
    assert.match(String(ref.href), /\/maximo\/api\/os\/mxapiwodetail\/_/);
    assert.equal(ref.status, 'WAPPR');
    assert.equal(ref.existing, undefined);
    const [wo] = h.sim.workOrders('maximo');
    assert.equal(wo.ref, referenceFor('maximo', 'ev-maximo-1'));
    assert.equal(wo.fields.siteid, 'BEDFORD');
    assert.equal(wo.fields.assetnum, 'PUMP-101');
    const req = h.sim.requests().find((r) => r.method === 'POST');
    assert.equal(req?.headers.transactionid, referenceFor('maximo', 'ev-maximo-1'));
    assert.equal(req?.headers.properties, 'wonum,workorderid,status,href');
    assert.equal(req?.query.lean, '1');
  });

  it('a repeated create within the transactionid window resolves to the first work order (409 → lookup)', async () => {
    const first = await client.createWorkOrder({ reference: 'ev-maximo-2', body: body() });
    const again = await client.createWorkOrder({ reference: 'ev-maximo-2', body: body() });
    assert.equal(again.existing, true);
    assert.equal(again.id, first.id);
    assert.equal(h.sim.workOrders('maximo').length, 1);
    assert.ok(h.sim.requests().some((r) => r.status === 409));
  });

  it('updates priority and adds a work log note with a MERGE patch', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-maximo-3', body: body() });
    await client.updateWorkOrder(ref, { priority: 2, note: 'Escalated: vibration still rising after 10 min' });
    await client.updateWorkOrder(ref, { note: 'second note' });
    const wo = h.sim.workOrders('maximo')[0];
    assert.equal(wo.fields.wopriority, 2);
    const logs = wo.fields.worklog as Array<Record<string, unknown>>;
    assert.deepEqual(logs.map((l) => l.description_longdescription), ['Escalated: vibration still rising after 10 min', 'second note']);
    const patch = h.sim.requests().find((r) => r.headers['x-method-override'] === 'PATCH');
    assert.equal(patch?.headers.patchtype, 'MERGE');
  });

  it('sets status through changeStatus; setting it again is not an error', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-maximo-4', body: body() });
    await client.setStatus(ref, 'in-progress');
    assert.equal(h.sim.workOrders('maximo')[0].status, 'INPRG');
    await client.setStatus(ref, 'done', 'Bearing replaced');
    await client.setStatus(ref, 'done');
    const wo = h.sim.workOrders('maximo')[0];
    assert.equal(wo.status, 'COMP');
    assert.equal(wo.fields.np_statusmemo, 'Bearing replaced');
    const got = await client.getWorkOrder(ref);
    assert.equal(got.status, 'done');
    assert.equal(got.cmmsStatus, 'COMP');
  });

  it('cancels, and a refused transition is a permanent error with the BMXAA message', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-maximo-5', body: body() });
    await client.setStatus(ref, 'cancelled');
    assert.equal(h.sim.workOrders('maximo')[0].status, 'CAN');
    const e = await failure(client.setStatus(ref, 'in-progress'));
    assert.equal(e.kind, 'permanent');
    assert.match(String(e.vendorCode), /^BMXAA/);
    assert.match(e.message, /cannot be changed from CAN to INPRG/);
  });

  it('finds by reference, and reads by wonum when no href is known', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-maximo-6', body: body() });
    const found = await client.findByReference('ev-maximo-6');
    assert.equal(found?.id, ref.id);
    assert.equal(found?.reference, referenceFor('maximo', 'ev-maximo-6'));
    assert.equal(found?.status, 'open');
    assert.equal(found?.assetId, 'PUMP-101');
    assert.equal(found?.changedAt, '2026-03-01T08:00:00.000Z');
    assert.equal(await client.findByReference('ev-never-sent'), null);
    const byId = await client.getWorkOrder({ id: ref.id, href: null });
    assert.equal(byId.reference, referenceFor('maximo', 'ev-maximo-6'));
  });

  it('lists every asset across pages and maps their statuses', async () => {
    const { items, pages } = await allPages((c) => client.listAssets(c));
    assert.equal(items.length, DEFAULT_ASSETS.length);
    assert.equal(pages, Math.ceil(DEFAULT_ASSETS.length / 7));
    const key = (id: string, site: string) => items.find((a) => a.id === id && a.siteId === site);
    assert.equal(key('PUMP-101', 'BEDFORD')?.status, 'active');
    assert.equal(key('PUMP-101', 'NASHUA')?.status, 'active');
    assert.equal(key('PUMP-1O1', 'BEDFORD')?.status, 'decommissioned');
    assert.equal(key('PUMP-110', 'BEDFORD')?.status, 'inactive');
    assert.equal(key('PUMP-110', 'BEDFORD')?.cmmsStatus, 'NOT READY');
    assert.equal(key('PUMP-101', 'BEDFORD')?.location, 'BEDFORD/AREA1/LINE2/PUMP-101');
  });

  it('lists work orders changed since a watermark, oldest first, across pages', async () => {
    for (let i = 0; i < 3; i++) {
      await client.createWorkOrder({ reference: `ev-old-${i}`, body: body() });
      h.clock.advance(60_000);
    }
    const watermark = new Date(h.clock.now()).toISOString();
    for (let i = 0; i < 9; i++) {
      await client.createWorkOrder({ reference: `ev-new-${i}`, body: body() });
      h.clock.advance(1000);
    }
    const { items, pages } = await allPages((c) => client.listChangedSince(watermark, c));
    assert.deepEqual(items.map((w) => w.reference), Array.from({ length: 9 }, (_, i) => referenceFor('maximo', `ev-new-${i}`)));
    assert.equal(pages, 2);
    const where = h.sim.requests().find((r) => typeof r.query['oslc.where'] === 'string' && String(r.query['oslc.where']).startsWith('changedate'));
    assert.equal(where?.query['oslc.where'], 'changedate>="2026-03-01T08:03:00+00:00" and siteid="BEDFORD"');
  });

  it('a refused create names the field, with the Maximo reason code', async () => {
    const e = await failure(client.createWorkOrder({ reference: 'ev-maximo-7', body: body({ siteid: 'XYZ' }) }));
    assert.equal(e.kind, 'permanent');
    assert.equal(e.status, 400);
    assert.equal(e.vendorCode, 'BMXAA4153E');
    assert.match(e.message, /^Maximo: BMXAA4153E - XYZ is not a valid site/);
  });

  it('a wrong API key is unauthorised, both for the probe and for work', async () => {
    const bad = h.client({ dialect: 'maximo', auth: { kind: 'apikey', header: 'apikey', key: 'wrong-key-1234' }, maximo: { siteId: 'BEDFORD' } });
    const p = await bad.probe();
    assert.equal(p.state, 'unauthorised');
    assert.match(p.message, /BMXAA7901E/);
    const e = await failure(bad.createWorkOrder({ reference: 'ev-x', body: body() }));
    assert.equal(e.kind, 'auth');
    assert.equal(e.message.includes('wrong-key-1234'), false);
  });

  it('works through the /maximo/oslc context and with native maxauth-style basic credentials', async () => {
    const oslc = h.client({ dialect: 'maximo', baseUrl: `${h.sim.url}/maximo`, auth: { kind: 'apikey', header: 'maxauth', key: Buffer.from('maxadmin:maxadmin').toString('base64') }, maximo: { context: 'oslc', siteId: 'NASHUA' } });
    const ref = await oslc.createWorkOrder({ reference: 'ev-oslc', body: { description: 'Boiler flame failure', assetnum: 'BLR-101' } });
    assert.match(String(ref.href), /\/maximo\/oslc\/os\/mxapiwodetail\//);
    assert.equal((await oslc.findByReference('ev-oslc'))?.id, ref.id);
  });
});

import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import type { CmmsClient } from '../../nodes/core/cmms';
import { DEFAULT_ASSETS, SIM_CREDENTIALS } from '../../sim/cmms';
import { allPages, failure, harness, type Harness } from './cmms-harness';

describe('cmms client: MaintainX against the simulator', () => {
  let h: Harness;
  let client: CmmsClient;
  const auth = { kind: 'bearer' as const, token: SIM_CREDENTIALS.maintainx.token };

  before(async () => {
    h = await harness();
    client = h.client({ dialect: 'maintainx', auth, pageSize: 7, maintainx: { organizationId: '1' } });
  });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  const wo = { title: 'HiHi vibration PUMP-101', description: 'Vibration 11.2 mm/s', priority: 'HIGH', assetId: 5000 };

  it('probes with the documented GET /organizations (there is no /users/me), naming the organisation', async () => {
    const p = await client.probe();
    assert.equal(p.state, 'connected');
    assert.equal(p.detail, 'Sim Plant');
    assert.deepEqual(h.sim.requests().map((r) => r.path), ['/v1/organizations']);
    const me = await fetch(`${h.sim.url}/v1/users/me`, { headers: { authorization: `Bearer ${SIM_CREDENTIALS.maintainx.token}` } });
    assert.equal(me.status, 404, 'the strict simulator has no /users/me');
  });

  it('creates from the specified 200 {id} answer, with externalData and the reference line; skipWebhook only when set', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-mx-1', body: { ...wo, externalData: { line: 'L2' } } });
    assert.match(ref.id, /^\d+$/);
    assert.equal(ref.href, null, 'no web-app link configured, and never the API URL');
    const [stored] = h.sim.workOrders('maintainx');
    assert.deepEqual(stored.fields.externalData, { line: 'L2', millwrightEventId: referenceFor('maintainx', 'ev-mx-1') });
    assert.equal(stored.fields.description, `Vibration 11.2 mm/s\n\nMillwright reference: ${referenceFor('maintainx', 'ev-mx-1')}`);
    const req = h.sim.requests().find((r) => r.method === 'POST');
    assert.equal(req?.status, 200);
    assert.equal(req?.query.skipWebhook, undefined, 'other integrations see our work orders by default');
    assert.equal(req?.headers['x-organization-id'], '1');
    const quiet = h.client({ dialect: 'maintainx', auth, maintainx: { skipWebhook: true, workOrderLink: 'https://app.example/wo/{id}' } });
    const q = await quiet.createWorkOrder({ reference: 'ev-mx-1q', body: wo });
    assert.equal(q.href, `https://app.example/wo/${q.id}`);
    assert.equal(h.sim.requests().filter((r) => r.method === 'POST')[1].query.skipWebhook, 'true');
  });

  it('updates priority (numbers mapped to words) and adds comments', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-mx-2', body: wo });
    await client.updateWorkOrder(ref, { priority: 3, note: 'Still rising' });
    const stored = h.sim.workOrders('maintainx')[0];
    assert.equal(stored.fields.priority, 'MEDIUM');
    assert.deepEqual((stored.fields.comments as Array<{ content: string }>).map((c) => c.content), ['Still rising']);
  });

  it('sets status, comment first; a repeat is harmless; a refused move is permanent with the vendor text', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-mx-3', body: wo });
    await client.setStatus(ref, 'in-progress');
    await client.setStatus(ref, 'done', 'Bearing replaced');
    await client.setStatus(ref, 'done');
    const stored = h.sim.workOrders('maintainx')[0];
    assert.equal(stored.status, 'DONE');
    assert.deepEqual((stored.fields.comments as Array<{ content: string }>).map((c) => c.content), ['Bearing replaced']);
    const e = await failure(client.setStatus(ref, 'in-progress'));
    assert.equal(e.kind, 'permanent');
    assert.match(e.message, /status: Cannot change status from DONE to IN_PROGRESS/);
    assert.equal((await client.getWorkOrder(ref)).status, 'done');
  });

  it('finds by reference with what the API offers: created since, the description line, one read to confirm', async () => {
    await client.createWorkOrder({ reference: 'ev-mx-other', body: wo });
    const ref = await client.createWorkOrder({ reference: 'ev-mx-4', body: wo });
    h.sim.clearRequests();
    const found = await client.findByReference('ev-mx-4');
    assert.equal(found?.id, ref.id);
    assert.equal(found?.reference, referenceFor('maintainx', 'ev-mx-4'));
    assert.equal(found?.assetId, '5000');
    assert.deepEqual(h.sim.requests().map((r) => r.path), ['/v1/workorders', `/v1/workorders/${ref.id}`], 'one list page, one read');
    assert.equal(h.sim.requests()[0].query.externalData, undefined);
    assert.equal(await client.findByReference('ev-none'), null);
    // Older than the look-back window (72 h): not found, which is the documented limit of this lookup.
    h.clock.advance(73 * 3600_000);
    assert.equal(await client.findByReference('ev-mx-4'), null);
  });

  it('lists assets across cursor pages with status, barcode and custom fields expanded; OFFLINE is inactive', async () => {
    const { items, pages } = await allPages((c) => client.listAssets(c));
    assert.equal(items.length, DEFAULT_ASSETS.length);
    assert.equal(pages, Math.ceil(DEFAULT_ASSETS.length / 7));
    const byName = (n: string) => items.filter((a) => a.description === n);
    // No `archived` field exists: a retired asset shows as OFFLINE.
    assert.equal(byName('PUMP-1O1')[0].status, 'inactive');
    assert.equal(byName('PUMP-1O1')[0].tag, 'PUMP-1O1');
    assert.ok(h.sim.requests().every((r) => String(r.query.expand) === 'status,barcode,extra_fields'), JSON.stringify(h.sim.requests()[0].query));
    assert.equal(byName('PUMP-110')[0].status, 'inactive');
    assert.equal(byName('PUMP-110')[0].cmmsStatus, 'OFFLINE');
    assert.deepEqual(byName('PUMP-101').map((a) => a.siteId).sort(), ['BEDFORD', 'NASHUA']);
    assert.equal(byName('PUMP-101')[0].status, 'active');
  });

  it('lists changed work orders with the same updatedAt[gte] on every page', async () => {
    await client.createWorkOrder({ reference: 'ev-early', body: wo });
    h.clock.advance(300_000);
    const watermark = new Date(h.clock.now()).toISOString();
    for (let i = 0; i < 10; i++) {
      await client.createWorkOrder({ reference: `ev-late-${i}`, body: wo });
      h.clock.advance(1000);
    }
    const { items, pages } = await allPages((c) => client.listChangedSince(watermark, c));
    assert.deepEqual(items.map((w) => w.reference), Array.from({ length: 10 }, (_, i) => referenceFor('maintainx', `ev-late-${i}`)));
    assert.equal(pages, 2);
    const listed = h.sim.requests().filter((r) => r.query['updatedAt[gte]'] !== undefined);
    assert.ok(listed.length >= 2 && listed.every((r) => r.query['updatedAt[gte]'] === watermark));
  });

  it('a bad field is permanent with MaintainX field and message', async () => {
    const e = await failure(client.createWorkOrder({ reference: 'ev-mx-5', body: { ...wo, assetId: 1 } }));
    assert.equal(e.kind, 'permanent');
    assert.equal(e.status, 400);
    assert.equal(e.message, 'MaintainX: assetId: Asset 1 not found (HTTP 400, POST /v1/workorders)');
  });

  it('a wrong token is unauthorised', async () => {
    const bad = h.client({ dialect: 'maintainx', auth: { kind: 'bearer', token: 'nope-nope-nope' } });
    const p = await bad.probe();
    assert.equal(p.state, 'unauthorised');
    assert.match(p.message, /Unauthorized/);
  });

  it('keeps under the per-token budget: Remaining 0 holds the next request until the reset, so no 429', async () => {
    const limited = await harness({ maintainxRateLimit: { limit: 3, windowSec: 60 } });
    try {
      const c = limited.client({ dialect: 'maintainx', auth });
      for (let i = 0; i < 5; i++) await c.probe();
      assert.equal(limited.sim.requests().filter((r) => r.status === 429).length, 0);
      assert.equal(limited.sim.requests().length, 5);
      assert.deepEqual(limited.clock.sleeps, [60_000]);
    } finally {
      await limited.stop();
    }
  });
});

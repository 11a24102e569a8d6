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

  it('probes with users/me', async () => {
    const p = await client.probe();
    assert.equal(p.state, 'connected');
    assert.equal(p.detail, 'integration@example.com');
  });

  it('creates with externalData carrying our reference, without echoing a webhook', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-mx-1', body: { ...wo, externalData: { line: 'L2' } } });
    assert.match(ref.id, /^\d+$/);
    assert.equal(ref.status, 'OPEN');
    const [stored] = h.sim.workOrders('maintainx');
    assert.deepEqual(stored.fields.externalData, { line: 'L2', millwrightEventId: referenceFor('maintainx', 'ev-mx-1') });
    const req = h.sim.requests().find((r) => r.method === 'POST');
    assert.equal(req?.query.skipWebhook, 'true');
    assert.equal(req?.headers['x-organization-id'], '1');
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

  it('finds by reference through the externalData filter', async () => {
    await client.createWorkOrder({ reference: 'ev-mx-other', body: wo });
    const ref = await client.createWorkOrder({ reference: 'ev-mx-4', body: wo });
    const found = await client.findByReference('ev-mx-4');
    assert.equal(found?.id, ref.id);
    assert.equal(found?.reference, referenceFor('maintainx', 'ev-mx-4'));
    assert.equal(found?.assetId, '5000');
    assert.equal(await client.findByReference('ev-none'), null);
    const lookups = h.sim.requests().filter((r) => r.method === 'GET' && r.path === '/v1/workorders');
    assert.ok(lookups.every((r) => typeof r.query.externalData === 'string'), 'the filter was honoured, so no scan was needed');
  });

  it('lists assets across cursor pages, archived ones as decommissioned, site from the custom field', async () => {
    const { items, pages } = await allPages((c) => client.listAssets(c));
    assert.equal(items.length, DEFAULT_ASSETS.length);
    assert.equal(pages, Math.ceil(DEFAULT_ASSETS.length / 7));
    const byName = (n: string) => items.filter((a) => a.description === n);
    assert.equal(byName('PUMP-1O1')[0].status, 'decommissioned');
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

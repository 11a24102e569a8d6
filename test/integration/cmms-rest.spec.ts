import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import type { AuthConfig, CmmsClient } from '../../nodes/core/cmms';
import { DEFAULT_ASSETS, SIM_CREDENTIALS } from '../../sim/cmms';
import { allPages, failure, harness, type Harness } from './cmms-harness';

const bearer: AuthConfig = { kind: 'bearer', token: SIM_CREDENTIALS.rest.token };

describe('cmms client: generic REST against the simulator', () => {
  let h: Harness;
  let client: CmmsClient;
  let base: string;

  before(async () => {
    h = await harness({ tokenTtlSec: 300 });
    base = `${h.sim.url}/rest`;
    client = h.client({ dialect: 'rest', baseUrl: base, auth: bearer, pageSize: 7 });
  });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  const wo = { title: 'HiHi vibration PUMP-101', assetId: 'PUMP-101@BEDFORD', priority: 1 };

  it('probes /health', async () => {
    assert.equal((await client.probe()).state, 'connected');
  });

  it('creates with Idempotency-Key and reference; a resend replays the first answer', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-rest-1', body: wo });
    assert.equal(ref.id, 'wo-000001');
    assert.equal(ref.href, `${base}/workorders/wo-000001`);
    assert.equal(ref.existing, undefined);
    const again = await client.createWorkOrder({ reference: 'ev-rest-1', body: wo });
    assert.equal(again.id, ref.id);
    assert.equal(again.existing, true);
    assert.equal(h.sim.workOrders('rest').length, 1);
    const posts = h.sim.requests().filter((r) => r.method === 'POST');
    assert.deepEqual(posts.map((r) => [r.headers['idempotency-key'], r.status]), [[referenceFor('rest', 'ev-rest-1'), 201], [referenceFor('rest', 'ev-rest-1'), 200]]);
    assert.equal((posts[0].body as Record<string, unknown>).reference, referenceFor('rest', 'ev-rest-1'));
  });

  it('the same key with a different body is a permanent 422 with the server explanation', async () => {
    await client.createWorkOrder({ reference: 'ev-rest-2', body: wo });
    const e = await failure(client.createWorkOrder({ reference: 'ev-rest-2', body: { ...wo, priority: 2 } }));
    assert.equal(e.kind, 'permanent');
    assert.equal(e.status, 422);
    assert.match(e.message, /Unprocessable Content: This Idempotency-Key was already used with a different request body/);
  });

  it('updates, sets status (repeat harmless), finds and reads', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-rest-3', body: wo });
    await client.updateWorkOrder(ref, { priority: 2, note: 'rising' });
    await client.setStatus(ref, 'in-progress');
    await client.setStatus(ref, 'done', 'fixed');
    await client.setStatus(ref, 'done');
    const stored = h.sim.workOrders('rest')[0];
    assert.equal(stored.status, 'done');
    assert.equal(stored.fields.priority, 2);
    const found = await client.findByReference('ev-rest-3');
    assert.equal(found?.id, ref.id);
    assert.equal(found?.status, 'done');
    assert.equal(await client.findByReference('ev-none'), null);
    assert.equal((await client.getWorkOrder({ id: ref.id, href: null })).reference, referenceFor('rest', 'ev-rest-3'));
  });

  it('encodes ids in paths', async () => {
    const e = await failure(client.getWorkOrder({ id: '../assets', href: null }));
    assert.equal(e.status, 404);
    // Unencoded, URL normalisation would have turned this into GET /rest/assets.
    assert.deepEqual(h.sim.requests().map((r) => r.path), ['/rest/workorders/../assets']);
  });

  it('lists assets and changed work orders across cursor pages', async () => {
    const assets = await allPages((c) => client.listAssets(c));
    assert.equal(assets.items.length, DEFAULT_ASSETS.length);
    assert.equal(assets.pages, Math.ceil(DEFAULT_ASSETS.length / 7));
    assert.equal(assets.items.find((a) => a.id === 'PUMP-1O1@BEDFORD')?.status, 'decommissioned');
    assert.equal(assets.items.find((a) => a.id === 'CHL-101@NASHUA')?.status, 'inactive');
    await client.createWorkOrder({ reference: 'ev-old', body: wo });
    h.clock.advance(10_000);
    const watermark = new Date(h.clock.now()).toISOString();
    for (let i = 0; i < 9; i++) {
      await client.createWorkOrder({ reference: `ev-new-${i}`, body: wo });
      h.clock.advance(1000);
    }
    const changed = await allPages((c) => client.listChangedSince(watermark, c));
    assert.deepEqual(changed.items.map((w) => w.reference), Array.from({ length: 9 }, (_, i) => referenceFor('rest', `ev-new-${i}`)));
    assert.equal(changed.pages, 2);
  });

  it('renders the body with the injected renderer (JSONata in the node)', async () => {
    const rendering = h.client({
      dialect: 'rest', baseUrl: base, auth: bearer,
      rest: { renderBody: async ({ body, reference }) => ({ summary: body.title, externalKey: reference, reference }) },
    });
    await rendering.createWorkOrder({ reference: 'ev-render', body: wo });
    assert.deepEqual(h.sim.workOrders('rest')[0].fields, { summary: wo.title, externalKey: referenceFor('rest', 'ev-render'), reference: referenceFor('rest', 'ev-render') });
  });

  it('API key in X-API-Key', async () => {
    const keyed = h.client({ dialect: 'rest', baseUrl: base, auth: { kind: 'apikey', header: 'X-API-Key', key: SIM_CREDENTIALS.rest.apiKey } });
    assert.equal((await keyed.probe()).state, 'connected');
    const wrong = h.client({ dialect: 'rest', baseUrl: base, auth: { kind: 'apikey', header: 'X-API-Key', key: 'wrong-key' } });
    assert.equal((await wrong.probe()).state, 'unauthorised');
  });

  it('OAuth client credentials: refresh on the shared clock and one re-auth after expire-token', async () => {
    const oauth = h.client({ dialect: 'rest', baseUrl: base, auth: { kind: 'oauth2', tokenUrl: '/rest/oauth/token', clientId: SIM_CREDENTIALS.rest.clientId, clientSecret: SIM_CREDENTIALS.rest.clientSecret } });
    const tokens = () => h.sim.requests().filter((r) => r.path === '/rest/oauth/token').length;
    await oauth.probe();
    h.clock.advance(300_000 - 30_000); // the margin for a 5-minute token is 30 s
    await oauth.probe();
    assert.equal(tokens(), 2);
    h.sim.faults.add({ dialect: 'rest', pathIncludes: '/rest/workorders', kind: 'expire-token', times: 1 });
    const ref = await oauth.createWorkOrder({ reference: 'ev-oauth', body: wo });
    assert.ok(ref.id);
    assert.equal(tokens(), 3);
  });

  it('signs the create body with Standard Webhooks when a secret is set; a wrong secret is refused', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const signed = await harness({ restSigningSecret: secret });
    try {
      const ok = signed.client({ dialect: 'rest', baseUrl: `${signed.sim.url}/rest`, auth: bearer, rest: { signingSecret: secret } });
      const ref = await ok.createWorkOrder({ reference: 'ev-signed', body: wo });
      assert.ok(ref.id);
      const req = signed.sim.requests()[0];
      assert.equal(req.headers['webhook-id'], referenceFor('rest', 'ev-signed'));
      assert.match(req.headers['webhook-signature'], /^v1,/);
      const bad = signed.client({ dialect: 'rest', baseUrl: `${signed.sim.url}/rest`, auth: bearer, rest: { signingSecret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
      const e = await failure(bad.createWorkOrder({ reference: 'ev-signed-2', body: wo }));
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /signature does not match/);
    } finally {
      await signed.stop();
    }
  });
});

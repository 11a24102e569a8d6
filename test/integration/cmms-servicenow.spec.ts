import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import type { AuthConfig, CmmsClient } from '../../nodes/core/cmms';
import { DEFAULT_ASSETS, SIM_CREDENTIALS } from '../../sim/cmms';
import { allPages, failure, harness, type Harness } from './cmms-harness';

const basic: AuthConfig = { kind: 'basic', username: SIM_CREDENTIALS.servicenow.username, password: SIM_CREDENTIALS.servicenow.password };
const clientCredentials: AuthConfig = {
  kind: 'oauth2', tokenUrl: '/oauth_token.do', clientId: SIM_CREDENTIALS.servicenow.clientId, clientSecret: SIM_CREDENTIALS.servicenow.clientSecret,
};

describe('cmms client: ServiceNow against the simulator', () => {
  let h: Harness;
  let client: CmmsClient;

  before(async () => {
    h = await harness({ tokenTtlSec: 600 });
    client = h.client({ dialect: 'servicenow', auth: basic, pageSize: 7 });
  });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  const tokenCalls = () => h.sim.requests().filter((r) => r.path === '/oauth_token.do').length;
  const incident = { short_description: 'HiHi vibration PUMP-101', description: 'Vibration 11.2 mm/s', urgency: 2, impact: 2, cmdb_ci: 'PUMP-102' };

  it('probes the table with basic auth', async () => {
    const p = await client.probe();
    assert.equal(p.state, 'connected', p.message);
  });

  it('creates an incident with correlation_id and returns sys_id and number', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-sn-1', body: incident });
    assert.match(ref.id, /^[0-9a-f]{32}$/);
    assert.match(String(ref.displayId), /^INC\d{7}$/);
    assert.equal(ref.status, '1');
    // A link a person can open in the instance, not the Table API URL (issue 14 item 17).
    assert.equal(ref.href, `${h.sim.url}/nav_to.do?uri=incident.do?sys_id=${ref.id}`);
    const [wo] = h.sim.workOrders('servicenow');
    assert.equal(wo.ref, referenceFor('servicenow', 'ev-sn-1'));
  });

  it('updates priority through urgency and impact, and adds work notes', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-sn-2', body: incident });
    await client.updateWorkOrder(ref, { priority: 1, note: 'Escalated by Millwright' });
    const wo = h.sim.workOrders('servicenow')[0];
    assert.equal(wo.fields.priority, '1');
    assert.equal(wo.fields.urgency, '1');
    assert.equal(wo.fields.impact, '1');
    assert.deepEqual((wo.fields._journal as Array<{ value: string }>).map((j) => j.value), ['Escalated by Millwright']);
  });

  it('resolves with the close code the data policy demands, cancels, and repeats harmlessly', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-sn-3', body: incident });
    await client.setStatus(ref, 'in-progress');
    assert.equal(h.sim.workOrders('servicenow')[0].status, '2');
    await client.setStatus(ref, 'done', 'Bearing replaced');
    await client.setStatus(ref, 'done');
    const wo = h.sim.workOrders('servicenow')[0];
    assert.equal(wo.status, '6');
    assert.equal(wo.fields.close_code, 'Solution provided', 'today\'s out-of-box code, not the legacy Solved (Permanently)');
    assert.equal(wo.fields.close_notes, 'Bearing replaced');
    const other = await client.createWorkOrder({ reference: 'ev-sn-3b', body: incident });
    await client.setStatus(other, 'cancelled');
    assert.equal((await client.getWorkOrder(other)).status, 'cancelled');
  });

  it('an invalid state change (403 Operation Failed) is permanent, not an auth problem', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-sn-4', body: incident });
    h.sim.setStatus('servicenow', ref.id, '6');
    h.sim.setStatus('servicenow', ref.id, '7');
    const patches = () => h.sim.requests().filter((r) => r.method === 'PATCH').length;
    await client.setStatus(ref, 'done');
    assert.equal(patches(), 0, 'Closed already counts as done: nothing to send');
    const e = await failure(client.setStatus(ref, 'in-progress'));
    assert.equal(e.status, 403);
    assert.equal(e.kind, 'permanent');
    assert.match(e.message, /Operation Failed: Invalid state transition from Closed \(7\) to In Progress \(2\)/);
  });

  it('finds by correlation_id and reads one record', async () => {
    const ref = await client.createWorkOrder({ reference: 'ev-sn-5', body: incident });
    await client.createWorkOrder({ reference: 'ev-sn-5-other', body: incident });
    const found = await client.findByReference('ev-sn-5');
    assert.equal(found?.id, ref.id);
    assert.equal(found?.displayId, ref.displayId);
    assert.equal(found?.status, 'open');
    assert.equal(found?.changedAt, '2026-03-01T08:00:00.000Z');
    assert.equal(await client.findByReference('ev-none'), null);
    // The event id is hashed into the compact reference, so a ^ in it never reaches the query.
    assert.equal(await client.findByReference('ev^ORcorrelation_id=ev-sn-5'), null, 'a ^ in the event id cannot add a query term');
  });

  it('lists every CI across pages using the Link header', async () => {
    const { items, pages } = await allPages((c) => client.listAssets(c));
    assert.equal(items.length, DEFAULT_ASSETS.length);
    assert.equal(pages, Math.ceil(DEFAULT_ASSETS.length / 7));
    assert.equal(new Set(items.map((a) => a.id)).size, items.length);
    const pump = items.find((a) => a.description === 'PUMP-1O1');
    assert.equal(pump?.status, 'decommissioned');
    assert.equal(items.find((a) => a.description === 'PUMP-110')?.status, 'inactive');
    assert.equal(items.find((a) => a.description === 'HX-601')?.siteId, 'BEDFORD');
  });

  it('lists incidents changed since a watermark across pages', async () => {
    await client.createWorkOrder({ reference: 'ev-before', body: incident });
    h.clock.advance(120_000);
    const watermark = new Date(h.clock.now()).toISOString();
    for (let i = 0; i < 8; i++) {
      await client.createWorkOrder({ reference: `ev-after-${i}`, body: incident });
      h.clock.advance(1000);
    }
    const { items, pages } = await allPages((c) => client.listChangedSince(watermark, c));
    assert.deepEqual(items.map((w) => w.reference), Array.from({ length: 8 }, (_, i) => referenceFor('servicenow', `ev-after-${i}`)));
    assert.equal(pages, 2);
  });

  describe('OAuth', () => {
    it('client credentials: one token, refreshed before expiry on the shared clock', async () => {
      const oauth = h.client({ dialect: 'servicenow', auth: clientCredentials });
      await oauth.probe();
      await oauth.findByReference('x');
      assert.equal(tokenCalls(), 1);
      h.clock.advance(600_000 - 60_000 + 1); // past expires_in minus the one-minute margin
      await oauth.findByReference('x');
      assert.equal(tokenCalls(), 2);
      assert.equal(h.sim.requests().filter((r) => r.status === 401).length, 0, 'refreshed before the CMMS had to refuse');
    });

    it('password grant', async () => {
      const oauth = h.client({ dialect: 'servicenow', auth: { ...clientCredentials, username: 'admin', password: SIM_CREDENTIALS.servicenow.password } });
      assert.equal((await oauth.probe()).state, 'connected');
      const tokenReq = h.sim.requests().find((r) => r.path === '/oauth_token.do');
      assert.equal((tokenReq?.body as Record<string, string>).grant_type, 'password');
    });

    it('an expired token (401) is renewed once and the request goes through', async () => {
      const oauth = h.client({ dialect: 'servicenow', auth: clientCredentials });
      await oauth.probe();
      h.sim.faults.add({ dialect: 'servicenow', pathIncludes: '/api/now/table/incident', method: 'POST', kind: 'expire-token', times: 1 });
      const ref = await oauth.createWorkOrder({ reference: 'ev-sn-oauth', body: incident });
      assert.ok(ref.id);
      assert.equal(tokenCalls(), 2);
      assert.equal(h.sim.workOrders('servicenow').length, 1);
    });

    it('a wrong client secret is unauthorised and the secret is not in the message', async () => {
      const oauth = h.client({ dialect: 'servicenow', auth: { ...clientCredentials, clientSecret: 'not-the-secret-9876' } });
      const p = await oauth.probe();
      assert.equal(p.state, 'unauthorised');
      assert.equal(p.message.includes('not-the-secret-9876'), false);
    });
  });

  it('a per-hour rate rule: 429 with Retry-After, then nothing is sent until the window resets', async () => {
    const limited = await harness({ servicenowRateLimit: { perHour: 2 } });
    try {
      const c = limited.client({ dialect: 'servicenow', auth: basic });
      await c.findByReference('a');
      await c.findByReference('b');
      const e = await failure(c.findByReference('c'));
      assert.equal(e.status, 429);
      assert.equal(e.kind, 'transient');
      assert.equal(e.retryAfterMs, 3600_000 - (limited.clock.now() % 3600_000));
      assert.equal((await c.probe()).state, 'connected');
      assert.deepEqual(limited.clock.sleeps, [e.retryAfterMs]);
      assert.equal(limited.sim.requests().filter((r) => r.status === 429).length, 1);
    } finally {
      await limited.stop();
    }
  });
});

// Items 18–21 of issue 14: ServiceNow as its documentation describes it, against the strict
// simulator — the signed-in user named by the probe, lookup answers checked, an ACL refusal on one
// record kept to that record, the CI stored as a sys_id, and no incident states sent to wm_order.
import assert from 'node:assert/strict';
import type { CmmsConfig } from '../../nodes/core/cmms';
import { referenceFor } from '../../nodes/core/cmms/reference';
import { SIM_CREDENTIALS } from '../../sim/cmms';
import { failure, harness, type Harness } from './cmms-harness';

const SN: Omit<CmmsConfig, 'baseUrl'> = { dialect: 'servicenow', auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } };

describe('cmms: ServiceNow against its documented behaviour (strict simulator)', () => {
  let h: Harness;
  before(async () => { h = await harness(); });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  it('the probe says who we are: the sys_user record of the signed-in user', async () => {
    const p = await h.client(SN).probe();
    assert.equal(p.state, 'connected');
    assert.equal(p.detail, 'admin');
    const [req] = h.sim.requests();
    assert.equal(req.path, '/api/now/table/sys_user');
    assert.equal(req.query.sysparm_query, 'sys_id=javascript:gs.getUserID()');
  });

  it('stores the CI as its sys_id (looked up once), and refuses an unknown or ambiguous CI before creating', async () => {
    const c = h.client(SN);
    await c.createWorkOrder({ reference: 'ev-ci-1', body: { short_description: 'x', cmdb_ci: 'PUMP-102' } });
    await c.createWorkOrder({ reference: 'ev-ci-2', body: { short_description: 'y', cmdb_ci: 'PUMP-102' } });
    const stored = h.sim.workOrders('servicenow').map((w) => String(w.fields.cmdb_ci));
    assert.equal(stored.length, 2);
    assert.ok(stored.every((v) => /^[0-9a-f]{32}$/.test(v)), stored.join());
    assert.equal(h.sim.requests().filter((r) => r.path === '/api/now/table/cmdb_ci').length, 1, 'resolved once, then remembered');
    for (const name of ['NO-SUCH-CI', 'PUMP-101']) {
      const e = await failure(c.createWorkOrder({ reference: `ev-${name}`, body: { short_description: 'z', cmdb_ci: name } }));
      assert.equal(e.kind, 'permanent');
      assert.match(e.message, new RegExp(`"${name}" (was not found|is ambiguous)`));
    }
    assert.equal(h.sim.workOrders('servicenow').length, 2);
  });

  it('a lookup only accepts a record carrying our reference: an ignored query term is an error, not a wrong work order', async () => {
    await h.client(SN).createWorkOrder({ reference: 'ev-other', body: { short_description: 'unrelated' } });
    const misspelt = h.client({ ...SN, servicenow: { referenceField: 'corelation_id' } });
    const e = await failure(misspelt.findByReference('ev-mine'));
    assert.equal(e.kind, 'permanent');
    assert.match(e.message, /ignored the lookup by "corelation_id"/);
    const ok = h.client(SN);
    assert.equal(await ok.findByReference('ev-mine'), null);
    assert.equal((await ok.findByReference('ev-other'))?.reference, referenceFor('servicenow', 'ev-other'));
  });

  it('a 403 ACL refusal on one record is that item\'s permanent error; the connection stays signed in', async () => {
    const c = h.client(SN);
    const ref = await c.createWorkOrder({ reference: 'ev-acl', body: { short_description: 'x' } });
    h.sim.faults.add({ dialect: 'servicenow', kind: 'status', status: 403, method: 'PATCH', times: 1,
      body: JSON.stringify({ error: { message: 'Operation Failed', detail: 'ACL Exception Update Failed due to security constraints' }, status: 'failure' }), contentType: 'application/json' });
    const e = await failure(c.updateWorkOrder(ref, { note: 'more evidence' }));
    assert.equal(e.kind, 'permanent');
    assert.equal((await c.probe()).state, 'connected');
  });

  it('resolves an incident with the configured close code and notes; links open the record in the UI', async () => {
    const c = h.client({ ...SN, servicenow: { closeCode: 'Workaround provided', closeNotes: 'Cleared at the edge' } });
    const ref = await c.createWorkOrder({ reference: 'ev-close', body: { short_description: 'x' } });
    assert.equal(ref.href, `${h.sim.url}/nav_to.do?uri=incident.do?sys_id=${ref.id}`);
    await c.setStatus(ref, 'done');
    const [wo] = h.sim.workOrders('servicenow');
    assert.equal(wo.status, '6');
    assert.deepEqual([wo.fields.close_code, wo.fields.close_notes], ['Workaround provided', 'Cleared at the edge']);
  });

  it('wm_order: no incident state is ever sent (its State follows its tasks); closing adds the note only', async () => {
    const c = h.client({ ...SN, servicenow: { table: 'wm_order' } });
    const ref = await c.createWorkOrder({ reference: 'ev-wm', body: { short_description: 'x' } });
    assert.equal(ref.href, `${h.sim.url}/nav_to.do?uri=wm_order.do?sys_id=${ref.id}`);
    await c.setStatus(ref, 'done', 'Condition cleared');
    const patches = h.sim.requests().filter((r) => r.method === 'PATCH');
    assert.equal(patches.length, 1);
    assert.deepEqual(patches[0].body, { work_notes: 'Condition cleared' });
    // The simulator, like the instance, ignores a state written to wm_order.
    const res = await fetch(`${h.sim.url}/api/now/table/wm_order/${ref.id}`, {
      method: 'PATCH', headers: { authorization: `Basic ${Buffer.from(`admin:${SIM_CREDENTIALS.servicenow.password}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: '6', close_code: 'x', close_notes: 'y' }),
    });
    assert.equal(res.status, 200);
    assert.equal(h.sim.workOrders('servicenow')[0].status, '1');
  });
});

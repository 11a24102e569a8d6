// Item 4 of issue 14: the reference stored in the CMMS is a compact digest of the event id that
// fits the reference field of every dialect, and a lookup by the event id finds the work order.
// The simulator enforces Maximo's EXTERNALREFID length (10, BMXAA4049E) and cuts ServiceNow's
// correlation_id at 100 characters, as the real systems do.
import assert from 'node:assert/strict';
import { checkConfig, type CmmsConfig, type DialectName } from '../../nodes/core/cmms';
import { compactReference, DEFAULT_REFERENCE_LENGTH, referenceFor } from '../../nodes/core/cmms/reference';
import { SIM_CREDENTIALS } from '../../sim/cmms';
import { failure, harness, type Harness } from './cmms-harness';

/** A realistic long event id: site/asset/rule/condition/start, 200 characters. */
const LONG_ID = `ev:BEDFORD:${'AREA1/LINE2/'.repeat(12)}PUMP-101:vib-hihi:limit:2026-03-01T08:00:00.000Z`.padEnd(200, 'x').slice(0, 200);

const CONFIGS: Record<DialectName, (url: string) => Omit<CmmsConfig, 'baseUrl'> & { baseUrl?: string }> = {
  maximo: () => ({ dialect: 'maximo', auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD', orgId: 'EAGLENA' } }),
  servicenow: () => ({ dialect: 'servicenow', auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } }),
  maintainx: () => ({ dialect: 'maintainx', auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } }),
  rest: (url) => ({ dialect: 'rest', baseUrl: `${url}/rest`, auth: { kind: 'bearer', token: SIM_CREDENTIALS.rest.token } }),
};
const BODIES: Record<DialectName, Record<string, unknown>> = {
  maximo: { description: 'HiHi vibration PUMP-101', description_longdescription: `Millwright event ${LONG_ID}`, assetnum: 'PUMP-101', worktype: 'CM', wopriority: 1 },
  servicenow: { short_description: 'HiHi vibration PUMP-101', description: `Millwright event ${LONG_ID}`, urgency: '1', impact: '1' },
  maintainx: { title: 'HiHi vibration PUMP-101', description: `Millwright event ${LONG_ID}`, priority: 'HIGH' },
  rest: { title: 'HiHi vibration PUMP-101', description: `Millwright event ${LONG_ID}` },
};

describe('cmms: compact deterministic reference against the strict simulator', () => {
  let h: Harness;
  before(async () => { h = await harness(); });
  after(() => h.stop());
  afterEach(() => h.sim.reset());

  it('is deterministic base32 of the requested length, different per event', () => {
    const a = compactReference(LONG_ID, 10);
    assert.match(a, /^[A-Z2-7]{10}$/);
    assert.equal(compactReference(LONG_ID, 10), a);
    assert.equal(compactReference(LONG_ID, 32).slice(0, 10), a, 'a shorter reference is a prefix of a longer one');
    assert.notEqual(compactReference(`${LONG_ID}y`, 10), a);
    assert.equal(compactReference(LONG_ID, 51).length, 51);
    const many = new Set(Array.from({ length: 5000 }, (_, i) => compactReference(`ev-${i}`, 10)));
    assert.equal(many.size, 5000);
  });

  it('refuses a reference length outside 8–51 at configuration time', () => {
    const base = { dialect: 'maximo' as const, baseUrl: 'http://127.0.0.1:1', auth: { kind: 'none' as const } };
    assert.match(String(checkConfig({ ...base, referenceLength: 7 })), /reference length/);
    assert.match(String(checkConfig({ ...base, referenceLength: 52 })), /reference length/);
    assert.match(String(checkConfig({ ...base, referenceLength: 9.5 })), /reference length/);
    assert.equal(checkConfig({ ...base, referenceLength: 12 }), null);
  });

  it('the strict simulator refuses a 200-character Maximo externalrefid and cuts a ServiceNow correlation_id', async () => {
    // What the client sent before the fix: the event id itself.
    const maximo = h.sim.url;
    const res = await fetch(`${maximo}/maximo/api/os/mxapiwodetail?lean=1`, {
      method: 'POST',
      headers: { apikey: SIM_CREDENTIALS.maximo.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ ...BODIES.maximo, siteid: 'BEDFORD', externalrefid: LONG_ID }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /BMXAA4049E/);
    const sn = await fetch(`${maximo}/api/now/table/incident`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${SIM_CREDENTIALS.servicenow.password}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...BODIES.servicenow, correlation_id: LONG_ID }),
    });
    assert.equal(sn.status, 201);
    assert.equal(h.sim.workOrders('servicenow')[0].ref, LONG_ID.slice(0, 100));
  });

  for (const dialect of ['maximo', 'servicenow', 'maintainx', 'rest'] as const) {
    it(`${dialect}: a 200-character event id creates one work order that a lookup by the event id finds again`, async () => {
      const client = h.client(CONFIGS[dialect](h.sim.url));
      const ref = await client.createWorkOrder({ reference: LONG_ID, body: BODIES[dialect] });
      const [stored] = h.sim.workOrders(dialect);
      const want = referenceFor(dialect, LONG_ID);
      assert.equal(want.length, DEFAULT_REFERENCE_LENGTH[dialect]);
      // The MaintainX simulator keeps the whole externalData object as its reference.
      const storedRef = dialect === 'maintainx' ? (stored.fields.externalData as Record<string, unknown>).millwrightEventId : stored.ref;
      assert.equal(storedRef, want, 'the compact reference is what the CMMS stores');
      assert.ok(JSON.stringify(stored.fields).includes(LONG_ID), 'the full event id stays readable in the description');
      const found = await client.findByReference(LONG_ID);
      assert.equal(found?.id, ref.id);
      assert.equal(found?.reference, want);
      assert.equal(await client.findByReference(`${LONG_ID}-other`), null);
    });
  }

  it('the length is a per-connection setting; the simulator enforces the length the instance has', async () => {
    const strict = await harness({ referenceLength: { maximo: 8 } });
    try {
      const dflt = strict.client(CONFIGS.maximo(strict.sim.url));
      const e = await failure(dflt.createWorkOrder({ reference: LONG_ID, body: BODIES.maximo }));
      assert.equal(e.vendorCode, 'BMXAA4049E');
      const eight = strict.client({ ...CONFIGS.maximo(strict.sim.url), referenceLength: 8 });
      const ref = await eight.createWorkOrder({ reference: LONG_ID, body: BODIES.maximo });
      assert.equal(strict.sim.workOrders('maximo')[0].ref, compactReference(LONG_ID, 8));
      assert.equal((await eight.findByReference(LONG_ID))?.id, ref.id);
    } finally {
      await strict.stop();
    }
  });
});

import { referenceFor } from '../../nodes/core/cmms/reference';
// The outbox engine with the real CMMS client against the CMMS simulator, on real time and
// loopback only: exactly one work order per event through drops, Retry-After and an outage.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxOptions, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type Dialect, type RecordedRequest } from '../../sim/cmms';
import { until } from '../support/wait';

const CONFIGS: Partial<Record<Dialect, (url: string) => CmmsConfig>> = {
  maintainx: (url) => ({ dialect: 'maintainx', baseUrl: url, auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } }),
  servicenow: (url) => ({ dialect: 'servicenow', baseUrl: url, auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } }),
};
const CREATE_PATH: Partial<Record<Dialect, string>> = { maintainx: '/v1/workorders', servicenow: '/api/now/table/incident' };
const PROBE_PATH: Partial<Record<Dialect, string>> = { maintainx: '/v1/organizations' };

function item(eventId: string, assetKey: string, dialect: Dialect): EnqueueInput {
  const body = dialect === 'servicenow' ? { short_description: `HiHi vibration ${assetKey}` } : { title: `HiHi vibration ${assetKey}` };
  return { action: 'create', eventId, assetKey, nodeId: 'wo-node', body, event: { eventId }, occurredAt: Date.now() };
}

describe('outbox with the real client and the CMMS simulator', function () {
  this.timeout(30_000);
  let sim: CmmsSim;
  let dir: string;
  let client: CmmsClient;
  let outbox: Outbox | null = null;
  let results: OutboxResult[];

  before(async () => { sim = await startCmmsSim({ seed: 3 }); });
  after(async () => { await sim.stop(); });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outbox-int-'));
    results = [];
  });
  afterEach(async () => {
    if (outbox) {
      await outbox.stop(1000);
      outbox.close();
      outbox = null;
    }
    client?.close();
    sim.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(dialect: Dialect, opts: Partial<OutboxOptions> = {}): Outbox {
    client = createCmmsClient({ ...CONFIGS[dialect]!(sim.url), timeoutMs: 2000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } });
    outbox = new Outbox({ file: path.join(dir, 'outbox.db'), connection: dialect, client, backoffBaseMs: 50, backoffCapMs: 400, ...opts });
    outbox.on('result', (r) => results.push(r));
    outbox.start();
    return outbox;
  }

  const final = (): OutboxResult[] => results.filter((r) => r.outcome !== 'queued');
  const posts = (dialect: Dialect): RecordedRequest[] => sim.requests().filter((r) => r.method === 'POST' && r.path === CREATE_PATH[dialect]);

  it('creates a work order and reports it with the id the CMMS gave', async () => {
    const box = start('maintainx');
    box.enqueue(item('ev-normal', 'PUMP-101', 'maintainx'));
    await until('the result', () => final().length === 1);
    const [wo] = sim.workOrders('maintainx');
    assert.equal(final()[0].outcome, 'created');
    assert.equal(final()[0].workOrderId, wo.id);
    assert.equal(wo.ref, JSON.stringify({ millwrightEventId: referenceFor('maintainx', 'ev-normal') }));
    const audit = box.admin.auditLog();
    assert.deepEqual(audit.map((a) => [a.call, a.outcome]), [['findByReference', 'not-found'], ['createWorkOrder', 'created']]);
  });

  for (const dialect of ['maintainx', 'servicenow'] as const) {
    it(`${dialect}: commit-then-drop leaves exactly one work order (lookup before resend)`, async () => {
      sim.faults.add({ dialect, method: 'POST', pathIncludes: CREATE_PATH[dialect], kind: 'commit-then-drop', times: 2 });
      const box = start(dialect);
      for (let i = 0; i < 3; i++) box.enqueue(item(`ev-drop-${i}`, `asset-${i}`, dialect));
      await until('three results', () => final().length === 3);
      assert.deepEqual(final().map((r) => r.outcome).sort(), ['created', 'existing', 'existing']);
      const refs = sim.workOrders(dialect).map((w) => w.ref);
      assert.equal(refs.length, 3, `work orders: ${refs.join(', ')}`);
      assert.equal(posts(dialect).length, 3, 'no create was sent twice');
    });
  }

  it('sends nothing before a 503 Retry-After runs out', async () => {
    sim.faults.add({ dialect: 'maintainx', method: 'POST', pathIncludes: '/v1/workorders', kind: 'status', status: 503, retryAfter: { seconds: 1 }, times: 1 });
    const box = start('maintainx');
    box.enqueue(item('ev-ra-1', 'A', 'maintainx'));
    // The lookup by reference goes first (issue 14 item 1), then the create that gets the 503.
    await until('the 503', () => sim.requests().some((r) => r.status === 503));
    box.enqueue(item('ev-ra-2', 'B', 'maintainx'));
    await until('both results', () => final().length === 2);
    const reqs = sim.requests();
    const at = reqs.findIndex((r) => r.status === 503);
    assert.equal(at, 1, 'one lookup, then the refused create');
    const refused = reqs[at];
    const later = reqs.slice(at + 1);
    assert.ok(later.length >= 2);
    for (const r of later) assert.ok(r.at >= refused.at + 1000, `${r.method} ${r.path} came ${r.at - refused.at} ms after the 503`);
    // The outbox itself held back (not only the client's limiter): its own calls started after it.
    const calls = box.admin.auditLog().slice(2);
    assert.ok(calls.length >= 2);
    for (const c of calls) assert.ok(c.at >= refused.at + 1000, `${c.call} started ${c.at - refused.at} ms after the 503`);
    assert.equal(sim.workOrders('maintainx').length, 2);
  });

  it('while the CMMS is down sends only probes, then drains everything once it is back', async () => {
    const outageEnds = Date.now() + 1500;
    sim.faults.add({ dialect: 'maintainx', kind: 'outage', untilMs: outageEnds });
    const box = start('maintainx', { concurrency: 2, linkDownAfter: 2, backoffBaseMs: 100, backoffCapMs: 300 });
    for (let i = 0; i < 6; i++) box.enqueue(item(`ev-out-${i}`, `asset-${i}`, 'maintainx'));
    await until('six work orders', () => final().length === 6);
    const reqs = sim.requests();
    const firstProbe = reqs.findIndex((r) => r.path === PROBE_PATH.maintainx);
    const recovered = reqs.findIndex((r) => r.path === PROBE_PATH.maintainx && r.status === 200);
    assert.ok(firstProbe > 0 && recovered > firstProbe, 'it probed, and a probe found the CMMS back');
    assert.ok(firstProbe <= 3, `${firstProbe} real requests before probing`);
    const between = reqs.slice(firstProbe, recovered + 1);
    assert.ok(between.length >= 3, `${between.length} probes over a 1.5 s outage`);
    assert.deepEqual(between.filter((r) => r.path !== PROBE_PATH.maintainx), [], 'nothing but probes while down');
    assert.ok(reqs[recovered].at >= outageEnds);
    assert.equal(sim.workOrders('maintainx').length, 6);
    assert.deepEqual(final().map((r) => r.outcome), Array(6).fill('created'));
  });

  it('turns the same event sent 10 000 times into one work order', async () => {
    const box = start('maintainx');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const r = box.enqueue(item('ev-flood', 'PUMP-101', 'maintainx'));
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await until('the work order', () => final().length === 1);
    assert.equal(counts.queued, 1);
    assert.equal(sim.workOrders('maintainx').length, 1);
    assert.equal(posts('maintainx').length, 1);
    assert.equal(box.enqueue(item('ev-flood', 'PUMP-101', 'maintainx')).outcome, 'existing');
  });
});

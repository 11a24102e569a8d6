// mw-wo-status in the test helper, against the CMMS simulator: a work order made by mw-work-order
// is moved in the simulator, the simulator's signed webhook (its own signing code) reaches the node's
// httpNode route, and the node emits the change linked back to the event. Polling the same way.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCmmsSim, SIM_CREDENTIALS, signMaintainx, type CmmsSim } from '../../sim/cmms';
import { validateWorkOrderStatus, type MaintenanceEvent, type WorkOrderStatus } from '../../nodes/core/contracts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';
import { StatusStore } from '../../nodes/core/wo-status/store';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: Record<string, unknown> };

let httpNodeApp: http.RequestListener | null = null;
/** A helper-only node type whose module keeps the RED API, to serve its httpNode on a real socket. */
const captureRed: NodeModule = (RED) => {
  httpNodeApp = RED.httpNode as unknown as http.RequestListener;
  RED.nodes.registerType('capture-red', function (this: Node, n: object) { RED.nodes.createNode(this, n as never); } as never);
};
const modules = (): NodeModule[] => [nodeModule('mw-cmms') as NodeModule, nodeModule('mw-work-order') as NodeModule, nodeModule('mw-wo-status') as NodeModule, captureRed];

const DIALECTS = {
  maximo: { cmms: { dialect: 'maximo', authType: 'apikey' }, creds: { apiKey: SIM_CREDENTIALS.maximo.apiKey }, target: 'maximo', done: 'COMP', want: 'done' },
  servicenow: { cmms: { dialect: 'servicenow', authType: 'basic' }, creds: { username: SIM_CREDENTIALS.servicenow.username, password: SIM_CREDENTIALS.servicenow.password }, target: 'servicenow', done: '8', want: 'cancelled' },
  maintainx: { cmms: { dialect: 'maintainx', authType: 'bearer' }, creds: { token: SIM_CREDENTIALS.maintainx.token }, target: 'maintainx', done: 'DONE', want: 'done' },
  rest: { cmms: { dialect: 'rest', authType: 'bearer', restCreatePath: '/rest/workorders', restUpdatePath: '/rest/workorders/{id}', restGetPath: '/rest/workorders/{id}', restFindPath: '/rest/workorders?reference={reference}', restChangedPath: '/rest/workorders?updatedSince={since}&limit={limit}', restHealthPath: '/rest/health' }, creds: { token: SIM_CREDENTIALS.rest.token }, target: 'standard', done: 'done', want: 'done' },
} as const;
type DialectName = keyof typeof DIALECTS;

let seq = 0;
function event(): MaintenanceEvent {
  seq += 1;
  return {
    kind: 'alarm', state: 'raised', eventId: `BEDFORD.PUMP-102.vib-hh.limit.t${Date.now()}${seq}`, episodeId: `ep-${seq}`, ruleId: 'vib-hh',
    asset: { id: 'PUMP-102', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-102' },
    metric: 'vibration', value: 13.1, limit: 12.5, level: 'HH', severity: 'high', priority: 2,
    summary: 'Vibration high-high on PUMP-102', details: { peak: 13.1 }, occurredAt: new Date().toISOString(),
  };
}

function collector(id: string): { msgs: Msg[]; next(pred: (m: Msg) => boolean, ms?: number): Promise<Msg> } {
  const msgs: Msg[] = [];
  const waiters: Array<{ pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  (helper.getNode(id) as unknown as EventEmitter).on('input', (m: Msg) => {
    msgs.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  return {
    msgs,
    next(pred, ms = 10000) {
      const seen = msgs.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`nothing matching within ${ms} ms: ${JSON.stringify(msgs)}`)), ms);
        waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
      });
    },
  };
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('mw-wo-status node', function () {
  this.timeout(40000);
  let sim: CmmsSim;
  let server: http.Server | null = null;
  let base = '';

  const targets: string[] = [];
  before(async () => {
    sim = await startCmmsSim();
    // Targets outlive sim.reset(): each test removes the ones it added, or later tests would wait on
    // retries to servers that are gone.
    const add = sim.webhooks.add.bind(sim.webhooks);
    sim.webhooks.add = (w) => {
      const id = add(w);
      targets.push(id);
      return id;
    };
  });
  after(async () => { await sim.stop(); });
  withUserDir('mw-wos-', () => { sim.reset(); });
  afterEach(async () => {
    for (const id of targets.splice(0)) sim.webhooks.remove(id);
    sim.reset();
    if (server) await new Promise<void>((r) => server?.close(() => r()));
    server = null;
  });

  async function load(d: DialectName, wos: Record<string, unknown>, secret = 'hook-secret'): Promise<void> {
    const cfg = DIALECTS[d];
    const flow: Array<Record<string, unknown>> = [
      { id: 'conn1', type: 'mw-cmms', name: d, baseUrl: sim.url, ...cfg.cmms },
      { id: 'wo1', type: 'mw-work-order', cmms: 'conn1', wires: [['results'], []] },
      { id: 'wos1', type: 'mw-wo-status', cmms: 'conn1', wires: [['statuses']], ...wos },
      { id: 'results', type: 'helper' },
      { id: 'statuses', type: 'helper' },
      { id: 'cap', type: 'capture-red' },
    ];
    await helper.load(modules(), flow as never, { conn1: cfg.creds, wos1: { secret } } as never);
    server = http.createServer((req, res) => (httpNodeApp as http.RequestListener)(req, res));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function makeWorkOrder(): Promise<{ eventId: string; workOrderId: string }> {
    const results = collector('results');
    const e = event();
    (helper.getNode('wo1') as Node).receive({ payload: e } as never);
    const r = await results.next((m) => m.payload.outcome === 'created');
    return { eventId: e.eventId, workOrderId: String(r.payload.workOrderId) };
  }

  for (const d of Object.keys(DIALECTS) as DialectName[]) {
    it(`${d}: the simulator's signed webhook comes out as one status linked to the event`, async () => {
      const cfg = DIALECTS[d];
      await load(d, { mode: 'webhook', path: '/hooks/wo' });
      const statuses = collector('statuses');
      const { eventId, workOrderId } = await makeWorkOrder();
      sim.webhooks.add({ url: `${base}/hooks/wo`, dialect: cfg.target, secret: 'hook-secret', dialects: [d] });
      sim.setStatus(d, workOrderId, cfg.done);
      await sim.webhooks.idle();
      const m = await statuses.next((x) => x.payload.status === cfg.want);
      const p = m.payload as unknown as WorkOrderStatus;
      assert.equal(validateWorkOrderStatus(p).ok, true, JSON.stringify(p));
      assert.equal(p.workOrderId, workOrderId);
      assert.deepEqual(p.eventIds, [eventId]);
      assert.equal(p.eventId, eventId);
      assert.equal(p.assetId, 'PUMP-102');
      assert.equal(p.cmmsStatus, cfg.done);
      assert.equal(p.source, 'webhook');
      const delivered = sim.webhooks.deliveries();
      assert.ok(delivered.length >= 1 && delivered.every((x) => x.status === 200), JSON.stringify(delivered));
    });
  }

  it('refuses a wrong secret (401), a replay (409), garbage (400) and a big body (413); emits nothing for them', async () => {
    await load('maintainx', { mode: 'webhook', path: '/hooks/mx', maxBodyKB: 4 }, 'right-secret');
    const statuses = collector('statuses');
    const url = `${base}/hooks/mx`;
    const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: 5, occurredAt: new Date().toISOString(), newWorkOrder: { id: 5, status: 'DONE', updatedAt: new Date().toISOString() } });
    const t = Math.floor(Date.now() / 1000);
    const wrong = await post(url, body, { 'x-maintainx-webhook-body-signature': signMaintainx('wrong', t, body) });
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.body.includes('right-secret'));
    const sig = { 'x-maintainx-webhook-body-signature': signMaintainx('right-secret', t, body) };
    assert.equal((await post(url, body, sig)).status, 200);
    assert.equal((await post(url, body, sig)).status, 409);
    assert.equal((await post(url, '{"type":', { 'x-maintainx-webhook-body-signature': signMaintainx('right-secret', t, '{"type":') })).status, 400);
    const big = Buffer.alloc(64 * 1024, 'x');
    assert.equal((await post(url, big, sig)).status, 413);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(statuses.msgs.length, 1, JSON.stringify(statuses.msgs));
    assert.deepEqual(statuses.msgs[0].payload.eventIds, [], 'a work order this gateway did not make');
    // msg.control, as on every node of the package (the topic form is used further down).
    (helper.getNode('wos1') as Node).receive({ control: 'metrics', topic: 'stats' } as never);
    const metrics = await statuses.next((m) => m.topic === 'stats');
    const refused = metrics.payload.refused as Record<string, number>;
    assert.deepEqual({ bad: refused['bad-signature'], replay: refused.replay, malformed: refused.malformed, big: refused['too-large'] }, { bad: 1, replay: 1, malformed: 1, big: 1 });
    const wrongControl = new Promise<string>((resolve) => (helper.getNode('wos1') as unknown as import('node:events').EventEmitter).on('call:error', (call: { args: unknown[] }) => resolve(String((call.args[0] as Error)?.message ?? call.args[0]))));
    (helper.getNode('wos1') as Node).receive({ control: 'drop-everything' } as never);
    assert.match(await wrongControl, /msg\.control "drop-everything" is not one of poll, metrics/);
  });

  it('the body is checked as sent, even when httpNodeMiddleware parses JSON first', async () => {
    // A JSON parser that a user may have put in settings.httpNodeMiddleware: it must not see our body first.
    helper.settings({ ...(helper.settings as unknown as () => object)(), httpNodeMiddleware: express.json() });
    await load('maintainx', { mode: 'webhook', path: '/hooks/raw' }, 's3cret');
    const statuses = collector('statuses');
    // Whitespace and key order a re-serialised body would lose.
    const body = '{ "type" : "WORK_ORDER_STATUS_CHANGE",  "workOrderId": 6, "newWorkOrder": {"status":"ON_HOLD","id":6, "updatedAt":"2026-12-04T10:00:00Z"} }';
    const r = await post(`${base}/hooks/raw`, body, { 'x-maintainx-webhook-body-signature': signMaintainx('s3cret', Math.floor(Date.now() / 1000), body) });
    assert.equal(r.status, 200, r.body);
    const m = await statuses.next((x) => x.payload.workOrderId === '6');
    assert.equal(m.payload.status, 'waiting');
  });

  it('simulator delivery faults: a duplicated webhook is emitted once, an out-of-order one does not undo a newer status, a delayed one still arrives', async () => {
    await load('maintainx', { mode: 'webhook', path: '/hooks/faults' });
    const statuses = collector('statuses');
    const a = await makeWorkOrder();
    const b = await makeWorkOrder();
    const c = await makeWorkOrder();
    const dup = sim.webhooks.add({ url: `${base}/hooks/faults`, dialect: 'maintainx', secret: 'hook-secret', fault: 'duplicate' });
    sim.setStatus('maintainx', a.workOrderId, 'DONE');
    await sim.webhooks.idle();
    sim.webhooks.remove(dup);
    const ooo = sim.webhooks.add({ url: `${base}/hooks/faults`, dialect: 'maintainx', secret: 'hook-secret', fault: 'out-of-order' });
    sim.setStatus('maintainx', b.workOrderId, 'IN_PROGRESS');
    await new Promise((r) => setTimeout(r, 1100)); // the next change is a later second
    sim.setStatus('maintainx', b.workOrderId, 'DONE');
    await sim.webhooks.idle();
    sim.webhooks.remove(ooo);
    sim.webhooks.add({ url: `${base}/hooks/faults`, dialect: 'maintainx', secret: 'hook-secret', fault: 'delay', delayMs: 300 });
    sim.setStatus('maintainx', c.workOrderId, 'ON_HOLD');
    await sim.webhooks.idle();
    await statuses.next((m) => m.payload.workOrderId === c.workOrderId);
    await new Promise((r) => setTimeout(r, 200));
    const seen = (wo: string): string[] => statuses.msgs.filter((m) => m.payload.workOrderId === wo).map((m) => String(m.payload.cmmsStatus));
    assert.deepEqual(seen(a.workOrderId), ['DONE'], 'duplicate: once');
    assert.deepEqual(seen(b.workOrderId), ['DONE'], 'out of order: the older IN_PROGRESS arriving last is dropped');
    assert.deepEqual(seen(c.workOrderId), ['ON_HOLD']);
    const deliveries = sim.webhooks.deliveries();
    assert.ok(deliveries.length >= 5, JSON.stringify(deliveries));
  });

  it('a burst of 200 signed webhooks at once: every one answered 200 and emitted exactly once', async () => {
    await load('maintainx', { mode: 'webhook', path: '/hooks/burst' }, 'burst-secret');
    const statuses = collector('statuses');
    // Each commit is an fsync that holds the event loop (and so the next answers): count them. One
    // per emitted change (200 in a row) was what made a burst's answers slow on a busy disk.
    let commits = 0;
    let marksOutside = 0;
    const proto = StatusStore.prototype as unknown as { batch: (fn: () => unknown) => unknown; markEmitted: (seq: number) => void; db: { inTransaction: boolean } };
    const { batch, markEmitted } = proto;
    proto.batch = function (this: typeof proto, fn: () => unknown) {
      if (!this.db.inTransaction) commits += 1;
      return batch.call(this, fn);
    };
    proto.markEmitted = function (this: typeof proto, seq: number) {
      if (!this.db.inTransaction) { commits += 1; marksOutside += 1; }
      return markEmitted.call(this, seq);
    };
    after(() => { proto.batch = batch; proto.markEmitted = markEmitted; });
    const t = Math.floor(Date.now() / 1000);
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => {
      const at = new Date(Date.now() - i * 1000).toISOString();
      const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: 7000 + i, occurredAt: at, newWorkOrder: { id: 7000 + i, status: 'DONE', updatedAt: at } });
      const sent = Date.now();
      return post(`${base}/hooks/burst`, body, { 'x-maintainx-webhook-body-signature': signMaintainx('burst-secret', t, body) }).then((r) => ({ ...r, ms: Date.now() - sent }));
    }));
    const slowest = Math.max(...answers.map((a) => a.ms));
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200]);
    await statuses.next(() => statuses.msgs.length >= 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(new Set(statuses.msgs.map((m) => m.payload.workOrderId)).size, 200);
    assert.equal(statuses.msgs.length, 200);
    proto.batch = batch;
    proto.markEmitted = markEmitted;
    assert.equal(marksOutside, 0, 'emitted changes are marked in one transaction per drained batch');
    assert.ok(commits < 100, `${commits} commits for 200 webhooks`);
    // Reported, not asserted (a shared machine): the slowest answer and the whole burst.
    console.log(`      burst: slowest answer ${slowest} ms, 200 answers in ${Date.now() - started} ms, ${commits} commits`);
  });

  for (const d of ['maximo', 'maintainx'] as const) {
    it(`${d}: polling finds the change, linked to its event, once`, async () => {
      const cfg = DIALECTS[d];
      await load(d, { mode: 'poll', pollIntervalSeconds: 3600 });
      const statuses = collector('statuses');
      const { eventId, workOrderId } = await makeWorkOrder();
      sim.setStatus(d, workOrderId, cfg.done);
      const node = helper.getNode('wos1') as Node;
      node.receive({ topic: 'poll' } as never);
      const m = await statuses.next((x) => x.payload.workOrderId === workOrderId && x.payload.status === cfg.want);
      assert.deepEqual(m.payload.eventIds, [eventId]);
      assert.equal(m.payload.source, 'poll');
      node.receive({ topic: 'poll' } as never);
      node.receive({ topic: 'metrics' } as never);
      const metrics = await statuses.next((x) => x.topic === 'metrics');
      assert.ok(typeof metrics.payload.watermark === 'string');
      assert.equal(statuses.msgs.filter((x) => x.payload.workOrderId === workOrderId && x.payload.status === cfg.want).length, 1);
    });
  }
});

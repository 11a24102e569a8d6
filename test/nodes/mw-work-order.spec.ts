import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { validateWorkOrderResult, type MaintenanceEvent } from '../../nodes/core/contracts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: Record<string, unknown> & { outcome?: string; workOrderId?: string | null }; reason?: string; error?: { code: string; message: string; details: string[] } };

const modules = (): NodeModule[] => [nodeModule('mw-cmms') as NodeModule, nodeModule('mw-work-order') as NodeModule];

let seq = 0;
function event(over: Partial<MaintenanceEvent> = {}): MaintenanceEvent {
  seq += 1;
  return {
    kind: 'alarm', state: 'raised', eventId: `BEDFORD.PUMP-101.vib-hh.t${Date.now()}-${seq}`, episodeId: `ep-${seq}`, ruleId: 'vib-hh',
    asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
    metric: 'vibration', value: 13.1, limit: 12.5, level: 'HH', severity: 'high', priority: 2,
    summary: 'Vibration high-high on PUMP-101', details: { peak: 13.1 }, occurredAt: new Date().toISOString(), ...over,
  };
}

/** Collects what arrives on the two outputs through helper nodes wired to them. */
function outputs(): { results: Msg[]; failures: Msg[]; next(which: 'results' | 'failures', pred?: (m: Msg) => boolean, ms?: number): Promise<Msg> } {
  const results: Msg[] = [];
  const failures: Msg[] = [];
  const ok = helper.getNode('ok') as unknown as EventEmitter;
  const bad = helper.getNode('bad') as unknown as EventEmitter;
  const waiters: Array<{ which: 'results' | 'failures'; pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  const push = (which: 'results' | 'failures') => (m: Msg): void => {
    (which === 'results' ? results : failures).push(m);
    for (const w of [...waiters]) if (w.which === which && w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  };
  ok.on('input', push('results'));
  bad.on('input', push('failures'));
  return {
    results, failures,
    next(which, pred = () => true, ms = 8000) {
      const seen = (which === 'results' ? results : failures).find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`nothing matching on ${which} within ${ms} ms; results ${JSON.stringify(results)} failures ${JSON.stringify(failures)}`)), ms);
        waiters.push({ which, pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
      });
    },
  };
}

describe('mw-work-order node', function () {
  this.timeout(30000);
  let sim: CmmsSim;

  const flow = (wo: Record<string, unknown> = {}, cmms: Record<string, unknown> = {}) => [
    { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey', ...cmms },
    { id: 'wo1', type: 'mw-work-order', cmms: 'conn1', wires: [['ok'], ['bad']], ...wo },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ];
  const creds = { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } };

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  const userDirOf = withUserDir('mw-wo-', () => { sim.reset(); });

  it('creates one work order for a raised event and reports it in the result contract', async () => {
    await helper.load(modules(), flow(), creds);
    const out = outputs();
    const e = event();
    (helper.getNode('wo1') as Node).receive({ payload: e } as never);
    const created = await out.next('results', (m) => m.payload.outcome === 'created');
    assert.equal(validateWorkOrderResult(created.payload).ok, true, JSON.stringify(created.payload));
    assert.equal(created.payload.eventId, e.eventId);
    assert.ok(created.payload.workOrderId);
    const wos = sim.workOrders('maximo');
    assert.equal(wos.length, 1);
    assert.equal(wos[0].ref, referenceFor('maximo', e.eventId));
    assert.equal(wos[0].fields.assetnum, 'PUMP-101');
    assert.equal(wos[0].fields.siteid, 'BEDFORD');
    assert.equal(wos[0].fields.worktype, 'CM');
    assert.match(String(wos[0].fields.description_longdescription), /vibration = 13\.1, limit 12\.5/);
    assert.ok(fs.existsSync(path.join(userDirOf(), 'millwright', 'outbox-conn1.db')), 'the outbox lives in the user directory');
  });

  it('never creates a second work order for a repeated event id', async () => {
    await helper.load(modules(), flow(), creds);
    const out = outputs();
    const e = event();
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: e } as never);
    await out.next('results', (m) => m.payload.outcome === 'created');
    for (let i = 0; i < 20; i += 1) wo.receive({ payload: { ...e } } as never);
    await out.next('results', (m) => m.payload.outcome === 'existing');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.workOrders('maximo').length, 1);
    assert.equal(out.results.filter((m) => m.payload.outcome === 'existing').length, 20);
  });

  it('rejects an invalid event on output 2 with the reasons, reports it to Catch, and stores nothing', async () => {
    await helper.load(modules(), flow(), creds);
    const out = outputs();
    const wo = helper.getNode('wo1') as Node & { error: { args: unknown[][] } };
    wo.receive({ payload: { ...event(), severity: 'urgent', __proto__x: 1 } } as never);
    const bad = await out.next('failures');
    assert.equal(bad.reason, 'invalid');
    assert.equal(bad.payload.outcome, 'rejected');
    assert.ok((bad.payload.errors as string[]).some((e) => /severity/.test(e)));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(wo.error.args.some((a) => /mw-work-order.errors.invalid-event/.test(String((a[0] as Error)?.message ?? a[0]))), 'done(err) reaches node.error');
    const metrics = await helper.request().get('/mw-outbox/conn1/metrics').expect(200);
    assert.equal(metrics.body.pending, 0);
    assert.equal(sim.requests().filter((r) => r.method === 'POST').length, 0);
  });

  it('escalation raises the same work order\'s priority and adds a note', async () => {
    await helper.load(modules(), flow(), creds);
    const out = outputs();
    const e = event({ priority: 3, severity: 'medium', level: 'H' });
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: e } as never);
    await out.next('results', (m) => m.payload.outcome === 'created');
    wo.receive({ payload: { ...e, state: 'escalated', level: 'HH', severity: 'critical', priority: 1, summary: 'Vibration HH on PUMP-101' } } as never);
    await out.next('results', (m) => m.payload.outcome === 'existing');
    const [only] = sim.workOrders('maximo');
    assert.equal(sim.workOrders('maximo').length, 1);
    assert.equal(Number(only.fields.wopriority), 1);
    assert.match(JSON.stringify(only.fields.worklog ?? only.fields), /Escalated to HH/);
  });

  it('closes the work order when the condition clears, if asked to', async () => {
    await helper.load(modules(), flow({ onCleared: 'close' }), creds);
    const out = outputs();
    const e = event();
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: e } as never);
    await out.next('results', (m) => m.payload.outcome === 'created');
    wo.receive({ payload: { ...e, state: 'cleared' } } as never);
    await out.next('results', (m) => m.payload.outcome === 'existing');
    assert.match(sim.workOrders('maximo')[0].status, /COMP|CLOSE/);
  });

  it('dead-letters what the CMMS refuses, with its message, and replays it once fixed — one work order even if replayed twice', async () => {
    await helper.load(modules(), flow(), creds);
    const out = outputs();
    const faultId = sim.faults.add({ dialect: 'maximo', method: 'POST', pathIncludes: 'mxapiwodetail', kind: 'status', status: 422, times: 1 });
    const e = event();
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: e } as never);
    const dead = await out.next('failures', (m) => m.payload.outcome === 'dead');
    assert.equal(dead.reason, 'permanent');
    assert.ok(dead.error && dead.error.message.length > 0);
    assert.equal(sim.workOrders('maximo').length, 0);
    sim.faults.remove(faultId);

    const listed = await helper.request().get('/mw-outbox/conn1/dead-letters').expect(200);
    assert.equal(listed.body.length, 1);
    assert.equal(listed.body[0].eventId, e.eventId);
    const exported = await helper.request().get('/mw-outbox/conn1/dead-letters/export').expect(200);
    assert.match(exported.text, new RegExp(e.eventId.replace(/\./g, '\\.')));

    wo.receive({ topic: 'replay', payload: 'all' } as never);
    await out.next('results', (m) => m.payload.outcome === 'created');
    wo.receive({ topic: 'replay', payload: 'all' } as never);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.workOrders('maximo').length, 1);
  });

  it('a dead letter logs one warning line with the CMMS reason and the event id, and the status keeps the reason', async () => {
    // The helper's RED._ returns the bare key, so the warning's parameters are read where they are passed.
    const translations: Array<{ key: string; params?: Record<string, unknown> }> = [];
    const [cmmsModule, woModule] = modules();
    const spying: NodeModule = (RED) => {
      const red = Object.create(RED) as NodeAPI;
      const translate = RED._.bind(RED) as (key: string, params?: Record<string, unknown>) => string;
      (red as unknown as { _: typeof translate })._ = (key, params) => { translations.push({ key, params }); return translate(key, params); };
      woModule(red);
    };
    await helper.load([cmmsModule, spying], flow(), creds);
    const out = outputs();
    sim.faults.add({ dialect: 'maximo', method: 'POST', pathIncludes: 'mxapiwodetail', kind: 'status', status: 422, times: 1 });
    const e = event();
    const wo = helper.getNode('wo1') as Node & { warn: (m: unknown) => void; status: (s: unknown) => void };
    const warnings: string[] = [];
    const statuses: Array<{ text?: string }> = [];
    const origWarn = wo.warn.bind(wo);
    const origStatus = wo.status.bind(wo);
    wo.warn = (m: unknown) => { warnings.push(String(m)); origWarn(m); };
    wo.status = (st: unknown) => { statuses.push(st as { text?: string }); origStatus(st); };
    wo.receive({ payload: e } as never);
    const dead = await out.next('failures', (m) => m.payload.outcome === 'dead');
    assert.ok(dead.error && dead.error.message.length > 0);
    assert.equal(dead.error.code, dead.reason);
    assert.deepEqual(warnings, ['mw-work-order.warnings.dead-letter']);
    const params = translations.filter((t) => t.key === 'mw-work-order.warnings.dead-letter').map((t) => t.params);
    assert.deepEqual(params, [{ eventId: e.eventId, reason: dead.error.message }]);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(statuses[statuses.length - 1]?.text, 'mw-work-order.status.counts');
    const counts = translations.filter((t) => t.key === 'mw-work-order.status.counts');
    const last = String(counts[counts.length - 1]?.params?.last ?? '');
    assert.ok(last.includes(dead.error.message.slice(0, 40)), `status "${last}" lacks the reason ${dead.error.message}`);
  });

  it('shadow mode records what would be sent, sends nothing, and exports it', async () => {
    await helper.load(modules(), flow({ shadow: true }), creds);
    const out = outputs();
    const e = event();
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: e } as never);
    await new Promise((r) => setTimeout(r, 200));
    wo.receive({ topic: 'export-shadow' } as never);
    const exported = await out.next('results', (m) => m.topic === 'export-shadow');
    const lines = String(exported.payload).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eventId: string; request: unknown });
    assert.equal(lines.length, 1);
    assert.equal(lines[0].eventId, e.eventId);
    assert.match(JSON.stringify(lines[0].request), /PUMP-101/);
    assert.equal(sim.workOrders('maximo').length, 0);
    assert.equal(sim.requests().filter((r) => r.method === 'POST').length, 0);
  });

  it('shadow mode works without any secret: the connection opens, records, never calls the CMMS', async () => {
    // No credentials at all: before, mw-cmms refused to open ("the API key is empty") and the
    // shadow node rejected every event with no-connection.
    await helper.load(modules(), flow({ shadow: true }), { conn1: {} });
    const out = outputs();
    const e = event();
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: e } as never);
    await new Promise((r) => setTimeout(r, 200));
    wo.receive({ control: 'export-shadow' } as never);
    const exported = await out.next('results', (m) => (m as { control?: string }).control === 'export-shadow');
    const lines = String(exported.payload).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eventId: string; request: unknown });
    assert.deepEqual(lines.map((l) => l.eventId), [e.eventId]);
    assert.match(JSON.stringify(lines[0].request), /PUMP-101/);
    assert.equal(out.failures.length, 0, JSON.stringify(out.failures));
    const conn = helper.getNode('conn1') as unknown as { missingSecrets: string[]; healthStatus(): { text?: string } };
    assert.deepEqual(conn.missingSecrets, ['the API key is empty']);
    assert.equal(conn.healthStatus().text, 'mw-cmms.status.shadow-only');
    // Not even a health probe goes out without the key.
    assert.equal(sim.requests().length, 0);
  });

  it('a live node on a connection without its secret refuses each event with a clear reason and status', async () => {
    await helper.load(modules(), flow(), { conn1: {} });
    const out = outputs();
    const wo = helper.getNode('wo1') as Node & { status: (s: unknown) => void };
    const statuses: Array<{ text?: string }> = [];
    const origStatus = wo.status.bind(wo);
    wo.status = (st: unknown) => { statuses.push(st as { text?: string }); origStatus(st); };
    const e = event();
    wo.receive({ payload: e } as never);
    const refused = await out.next('failures');
    assert.equal(refused.reason, 'no-connection');
    assert.equal(refused.payload.eventId, e.eventId);
    assert.match(JSON.stringify(refused.payload.errors), /mw-work-order\.errors\.no-secret/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(statuses[statuses.length - 1]?.text, 'mw-work-order.status.no-secret');
    assert.equal(sim.requests().length, 0);
    assert.equal(sim.workOrders('maximo').length, 0);
  });

  it('applies the severity→priority table and the JSONata body expression', async () => {
    await helper.load(modules(), flow({ priorityHigh: '1', bodyExpression: '$merge([body, {"worktype": "EM"}])' }), creds);
    const out = outputs();
    (helper.getNode('wo1') as Node).receive({ payload: event() } as never);
    await out.next('results', (m) => m.payload.outcome === 'created');
    const [wo] = sim.workOrders('maximo');
    assert.equal(Number(wo.fields.wopriority), 1);
    assert.equal(wo.fields.worktype, 'EM');
  });

  it('creates work orders in ServiceNow and MaintainX with their reference fields', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>, 'servicenow' | 'maintainx']> = [
      [{ dialect: 'servicenow', authType: 'basic' }, { username: SIM_CREDENTIALS.servicenow.username, password: SIM_CREDENTIALS.servicenow.password }, 'servicenow'],
      [{ dialect: 'maintainx', authType: 'bearer' }, { token: SIM_CREDENTIALS.maintainx.token }, 'maintainx'],
    ];
    for (const [cmms, c, dialect] of cases) {
      await helper.load(modules(), flow({}, cmms), { conn1: c });
      const out = outputs();
      // ServiceNow stores the CI as a sys_id: the name must be unique (PUMP-101 is at two sites),
      // or the registry gives the sys_id in custom.cmdbCi.
      const e = dialect === 'servicenow' ? event({ asset: { id: 'PUMP-102', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-102' } }) : event();
      (helper.getNode('wo1') as Node).receive({ payload: e } as never);
      await out.next('results', (m) => m.payload.outcome === 'created');
      const wos = sim.workOrders(dialect).filter((w) => w.ref === referenceFor(dialect, e.eventId) || JSON.stringify(w.fields.externalData ?? '').includes(referenceFor(dialect, e.eventId)));
      assert.equal(wos.length, 1, `${dialect}: one work order carrying the event id`);
      await helper.unload();
    }
  });

  it('says "no connection" and rejects events when no CMMS is selected', async () => {
    const noConnection = [{ id: 'wo1', type: 'mw-work-order', cmms: '', wires: [['ok'], ['bad']] }, { id: 'ok', type: 'helper' }, { id: 'bad', type: 'helper' }];
    await helper.load(modules(), noConnection as Parameters<typeof helper.load>[1], {});
    const out = outputs();
    (helper.getNode('wo1') as Node).receive({ payload: event() } as never);
    const bad = await out.next('failures');
    assert.equal(bad.reason, 'no-connection');
  });
});

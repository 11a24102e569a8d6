// The loop end to end in a real Node-RED (loader, httpNode under httpNodeRoot /api, admin deploy
// with credentials) against the CMMS simulator: a breach → mw-threshold raises → one work order →
// repeated breaches while it is open make none → the simulator completes it → mw-wo-status emits
// done (by webhook for MaintainX and REST, by polling for Maximo and ServiceNow) → the alarm
// re-arms → the next breach makes a new work order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AssetReadings } from '../../nodes/core/contracts';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';
import { listenTo } from '../support/listen';
import { until as waitUntil } from '../support/wait';

type Msg = { topic?: string; payload: Record<string, unknown> };

const RULES = { classes: { pump: [{ id: 'bearing-temp', metric: 'bearing_temp', limits: { H: { value: 85, severity: 'high', priority: 3 } }, deadband: 2, onDelay: { samples: 2 } }] } };

const CASES = [
  { dialect: 'maintainx', mode: 'webhook', cmms: { authType: 'bearer' }, creds: { token: SIM_CREDENTIALS.maintainx.token }, target: 'maintainx', done: 'DONE' },
  { dialect: 'rest', mode: 'webhook', cmms: { authType: 'bearer', restCreatePath: '/rest/workorders', restUpdatePath: '/rest/workorders/{id}', restGetPath: '/rest/workorders/{id}', restFindPath: '/rest/workorders?reference={reference}', restChangedPath: '/rest/workorders?updatedSince={since}&limit={limit}', restHealthPath: '/rest/health' }, creds: { token: SIM_CREDENTIALS.rest.token }, target: 'standard', done: 'done' },
  { dialect: 'maximo', mode: 'poll', cmms: { authType: 'apikey' }, creds: { apiKey: SIM_CREDENTIALS.maximo.apiKey }, target: '', done: 'COMP' },
  { dialect: 'servicenow', mode: 'poll', cmms: { authType: 'basic' }, creds: { username: SIM_CREDENTIALS.servicenow.username, password: SIM_CREDENTIALS.servicenow.password }, target: '', done: '8' },
] as const;

function reading(value: number): AssetReadings {
  return {
    asset: { id: 'PUMP-102', siteId: 'BEDFORD', location: 'BEDFORD/PUMPHOUSE/LINE1/PUMP-102', class: 'pump' },
    readings: [{ metric: 'bearing_temp', value, unit: '°C', quality: 'good', timestamp: new Date().toISOString() }],
    source: { kind: 'opcua', ref: 'ns=2;s=BearingTemp' },
  };
}

describe('mw-wo-status closes the loop in a real Node-RED', function () {
  this.timeout(90_000);
  let sim: CmmsSim;
  let rt: RunningRuntime | null = null;
  let dir = '';

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  let target: string | null = null;
  afterEach(async () => {
    if (target) sim.webhooks.remove(target);
    target = null;
    await rt?.stop();
    rt = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("without mw-wo-status: mw-work-order's own close (clear action close) ends the hold, the next excursion is a new work order", async () => {
    sim.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-wos-loop-'));
    const flows = [
      { id: 'tab1', type: 'tab', label: 'loop' },
      { id: 'conn1', type: 'mw-cmms', name: 'maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
      { id: 'th', z: 'tab1', type: 'mw-threshold', rules: JSON.stringify({ classes: { pump: [{ ...RULES.classes.pump[0], offDelay: { samples: 1 } }] } }), holdWhileWorkOrderOpen: true, wires: [['wo', 'events'], ['replies'], ['rejected']] },
      { id: 'wo', z: 'tab1', type: 'mw-work-order', cmms: 'conn1', onCleared: 'close', wires: [['th', 'results'], ['failed']] },
      ...['events', 'replies', 'rejected', 'results', 'failed'].map((id) => ({ id, z: 'tab1', type: 'debug', active: false, complete: 'true', targetType: 'full', wires: [] })),
    ];
    fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } }));
    rt = await startRuntime({ userDir: dir, installPackage: true, flows, settings: { credentialSecret: false } });
    const red = rt.RED;
    const seen = await listenTo<Msg>(red, ['events', 'replies', 'rejected', 'results', 'failed']);
    const th = red.nodes.getNode('th') as { receive(m: object): void };
    const feed = (v: number): void => th.receive({ payload: reading(v) });
    const until = (what: string, cond: () => boolean, ms = 20_000): Promise<void> =>
      waitUntil(what, cond, ms, () => JSON.stringify(seen), 50);
    feed(90); feed(90);
    await until('the first work order', () => seen.results.some((m) => m.payload.outcome === 'created'));
    const first = String(seen.results[0].payload.eventId);
    feed(60); feed(60);
    await until('the close delivered', () => sim.workOrders('maximo')[0]?.status === 'CLOSE' && seen.results.some((m) => (m as { action?: string }).action === 'close'));
    await new Promise((r) => setTimeout(r, 300));
    feed(90); feed(90);
    await until('a second work order', () => sim.workOrders('maximo').length === 2);
    const raised = seen.events.filter((m) => m.payload.state === 'raised');
    assert.notEqual(raised.at(-1)?.payload.eventId, first, 'a new episode after the gateway closed the work order');
  });

  for (const c of CASES) {
    it(`${c.dialect} (${c.mode}): completed work order → done → re-armed → a new work order for the next breach`, async () => {
      sim.reset();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-wos-loop-'));
      const flows = [
        { id: 'tab1', type: 'tab', label: 'loop' },
        { id: 'conn1', type: 'mw-cmms', name: c.dialect, dialect: c.dialect, baseUrl: sim.url, ...c.cmms, credentials: c.creds },
        { id: 'th', z: 'tab1', type: 'mw-threshold', rules: JSON.stringify(RULES), holdWhileWorkOrderOpen: true, wires: [['wo', 'events'], ['replies'], ['rejected']] },
        { id: 'wo', z: 'tab1', type: 'mw-work-order', cmms: 'conn1', onCleared: 'ignore', wires: [['th', 'results'], ['failed']] },
        { id: 'wos', z: 'tab1', type: 'mw-wo-status', cmms: 'conn1', mode: c.mode, path: '/hooks/wo', pollIntervalSeconds: 5, scope: 'ours', wires: [['th', 'statuses']], credentials: { secret: 'loop-secret' } },
        ...['events', 'replies', 'rejected', 'results', 'failed', 'statuses'].map((id) => ({ id, z: 'tab1', type: 'debug', active: false, complete: 'true', targetType: 'full', wires: [] })),
      ];
      // Credentials go where Node-RED reads them (flows_cred.json, plain until the first deploy encrypts it), as the demo does.
      const creds: Record<string, unknown> = {};
      for (const n of flows as Array<{ id: string; credentials?: unknown }>) {
        if (n.credentials) creds[n.id] = n.credentials;
        delete n.credentials;
      }
      fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify(creds));
      rt = await startRuntime({ userDir: dir, installPackage: true, flows, settings: { credentialSecret: false } });
      const red = rt.RED;
      const seen = await listenTo<Msg>(red, ['events', 'replies', 'rejected', 'results', 'failed', 'statuses']);
      const th = red.nodes.getNode('th') as { receive(m: object): void };
      const feed = (v: number): void => th.receive({ payload: reading(v) });
      const until = (what: string, cond: () => boolean, ms = 20_000): Promise<void> =>
        waitUntil(what, cond, ms, () => JSON.stringify({ ...seen, events: seen.events.map((m) => m.payload.state) }), 50);
      const workOrders = () => sim.workOrders(c.dialect);
      if (c.target) target = sim.webhooks.add({ url: `${rt.url}/api/hooks/wo`, dialect: c.target, secret: 'loop-secret', dialects: [c.dialect] });

      feed(90); feed(90);
      await until('the first work order', () => seen.results.some((m) => m.payload.outcome === 'created'));
      const firstEvent = String(seen.results[0].payload.eventId);
      // Repeated breaches while it is open: the same episode, no new work order.
      feed(60); feed(60);
      await new Promise((r) => setTimeout(r, 6000)); // the off-delay, so the return is a return
      feed(90); feed(90);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(workOrders().length, 1, 'no second work order while the first is open');
      assert.ok(seen.events.filter((m) => m.payload.state === 'raised').every((m) => m.payload.eventId === firstEvent));

      sim.setStatus(c.dialect, String(seen.results[0].payload.workOrderId), c.done);
      await until('the status back', () => seen.statuses.some((m) => ['done', 'cancelled', 'closed'].includes(String(m.payload.status))), 30_000);
      const st = seen.statuses.find((m) => ['done', 'cancelled', 'closed'].includes(String(m.payload.status)));
      assert.deepEqual(st?.payload.eventIds, [firstEvent]);
      await until('the re-arm', () => seen.replies.some((m) => m.topic === 'work-order' && m.payload.rearmed === true));

      feed(90); feed(90);
      await until('a second work order', () => workOrders().length === 2);
      const second = seen.events.filter((m) => m.payload.state === 'raised').at(-1);
      assert.notEqual(second?.payload.eventId, firstEvent, 'a new episode');
      assert.equal(seen.rejected.length, 0, JSON.stringify(seen.rejected));
    });
  }
});

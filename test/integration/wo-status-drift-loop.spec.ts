// The drift loop end to end in a real Node-RED (loader, httpNode under /api, credentials from
// flows_cred.json) against the CMMS simulator: a bore shift → mw-vision-drift raises → work
// orders → the simulator completes them → mw-wo-status emits done (webhook for MaintainX, polling
// for Maximo) → mw-vision-drift starts a new baseline → no trigger while it learns → a new shift →
// new work orders for new episodes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';
import { PartStream, partSpecRows } from '../support/spc-parts';
import { listenTo } from '../support/listen';
import { until as waitUntil } from '../support/wait';

type Msg = { topic?: string; payload: Record<string, unknown> };

const CASES = [
  { dialect: 'maintainx', mode: 'webhook', cmms: { authType: 'bearer' }, creds: { token: SIM_CREDENTIALS.maintainx.token }, target: 'maintainx', done: 'DONE' },
  { dialect: 'rest', mode: 'webhook', cmms: { authType: 'bearer', restCreatePath: '/rest/workorders', restUpdatePath: '/rest/workorders/{id}', restGetPath: '/rest/workorders/{id}', restFindPath: '/rest/workorders?reference={reference}', restChangedPath: '/rest/workorders?updatedSince={since}&limit={limit}', restHealthPath: '/rest/health' }, creds: { token: SIM_CREDENTIALS.rest.token }, target: 'standard', done: 'done' },
  { dialect: 'maximo', mode: 'poll', cmms: { authType: 'apikey' }, creds: { apiKey: SIM_CREDENTIALS.maximo.apiKey }, target: '', done: 'COMP' },
  { dialect: 'servicenow', mode: 'poll', cmms: { authType: 'basic' }, creds: { username: SIM_CREDENTIALS.servicenow.username, password: SIM_CREDENTIALS.servicenow.password }, target: '', done: '6' },
] as const;

/** Learning takes this many parts (the node's phase I); every test phase below is counted against it. */
const PHASE1 = 300;

describe('mw-vision-drift closes the loop in a real Node-RED', function () {
  this.timeout(120_000);
  let sim: CmmsSim;
  let rt: RunningRuntime | null = null;
  let dir = '';
  let target: string | null = null;

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  afterEach(async () => {
    if (target) sim.webhooks.remove(target);
    target = null;
    await rt?.stop();
    rt = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.dialect} (${c.mode}): drift → work order → completed → done → new baseline (no trigger while learning) → new drift → new work order`, async () => {
      sim.reset();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-drift-loop-'));
      const flows = [
        { id: 'tab1', type: 'tab', label: 'drift loop' },
        { id: 'conn1', type: 'mw-cmms', name: c.dialect, dialect: c.dialect, baseUrl: sim.url, ...c.cmms },
        {
          id: 'vd', z: 'tab1', type: 'mw-vision-drift', site: 'BEDFORD', specs: partSpecRows(), phase1Units: String(PHASE1), phase1Subgroups: '3',
          defectSubgroupSize: '100', trendWindow: '400', capabilityWindow: '200', clearAfter: '300', arl0: '1000000', checkpointSeconds: '0',
          wires: [['wo', 'events'], ['records'], ['rejected']],
        },
        { id: 'wo', z: 'tab1', type: 'mw-work-order', cmms: 'conn1', onCleared: 'ignore', wires: [['vd', 'results'], ['failed']] },
        { id: 'wos', z: 'tab1', type: 'mw-wo-status', cmms: 'conn1', mode: c.mode, path: '/hooks/wo', pollIntervalSeconds: 5, scope: 'ours', wires: [['vd', 'statuses']] },
        ...['events', 'records', 'rejected', 'results', 'failed', 'statuses'].map((id) => ({ id, z: 'tab1', type: 'debug', active: false, complete: 'true', targetType: 'full', wires: [] })),
      ];
      fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ conn1: c.creds, wos: { secret: 'drift-secret' } }));
      rt = await startRuntime({ userDir: dir, installPackage: true, flows, settings: { credentialSecret: false } });
      const red = rt.RED;
      const seen = await listenTo<Msg>(red, ['events', 'records', 'rejected', 'results', 'failed', 'statuses']);
      const until = (what: string, cond: () => boolean, ms = 30_000): Promise<void> =>
        waitUntil(what, cond, ms, () => JSON.stringify({ events: seen.events.map((m) => m.payload.state), results: seen.results.map((m) => m.payload.outcome), statuses: seen.statuses.map((m) => m.payload.status), failed: seen.failed, rejected: seen.rejected }), 50);
      if (c.target) target = sim.webhooks.add({ url: `${rt.url}/api/hooks/wo`, dialect: c.target, secret: 'drift-secret', dialects: [c.dialect] });

      const vd = red.nodes.getNode('vd') as { receive(m: object): void };
      const stream = new PartStream({ seed: 21, asset: 'PRS-701', product: 'BRKT-22' });
      let fed = 0;
      /** Feeds n parts with the bore shifted by `shift` mm and waits until they are through the node. */
      const send = async (n: number, shift: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          const u = stream.next();
          (u.record.measurements as { bore: number }).bore += shift;
          vd.receive({ payload: u.record });
        }
        fed += n;
        // Records leave on output 2, and so does a rebaseline's notice: count records only.
        await until('records through the drift node', () => seen.records.filter((m) => !('rebaselined' in m.payload)).length >= fed);
      };
      const raised = (): string[] => seen.events.filter((m) => m.payload.state === 'raised').map((m) => String(m.payload.eventId));
      const workOrders = () => sim.workOrders(c.dialect);

      await send(500, 0);
      assert.equal(raised().length, 0, 'an in-control process raises nothing');
      await send(1500, 0.012);
      const first = raised();
      assert.ok(first.length >= 1, 'the shift raises drift episodes');
      await until('one work order per episode', () => workOrders().length === first.length);

      // The technician fixes the machine: every work order completed in the CMMS.
      for (const w of workOrders()) sim.setStatus(c.dialect, w.id, c.done);
      await until('done statuses back', () => new Set(seen.statuses.filter((m) => m.payload.status === 'done').map((m) => m.payload.workOrderId)).size === first.length, 40_000);
      for (const m of seen.statuses.filter((x) => x.payload.status === 'done')) {
        assert.equal(m.payload.assetId, 'PRS-701');
        assert.ok((m.payload.eventIds as string[]).every((e) => first.includes(e)), JSON.stringify(m.payload));
      }
      await until('the new baseline', () => seen.records.some((m) => Array.isArray(m.payload.rebaselined) && (m.payload.rebaselined as Array<{ asset: string }>).some((g) => g.asset === 'PRS-701')));

      // The machine as it now runs (back on target): learning, then monitoring, no trigger.
      const before = raised().length;
      await send(PHASE1 + 200, 0);
      assert.equal(raised().length, before, `no trigger while the new baseline learns: ${JSON.stringify(raised().slice(before))}`);
      assert.equal(workOrders().length, first.length);

      // A new problem: a new episode and a new work order.
      await send(1500, 0.012);
      const second = raised().slice(before);
      assert.ok(second.length >= 1, 'the new shift raises again');
      assert.ok(second.every((e) => !first.includes(e)), 'new episodes, new event ids');
      await until('a new work order', () => workOrders().length === first.length + second.length);
      assert.equal(seen.failed.length, 0, JSON.stringify(seen.failed));
      assert.equal(seen.rejected.length, 0, JSON.stringify(seen.rejected));
    });
  }
});

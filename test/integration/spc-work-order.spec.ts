// mw-vision-drift → mw-work-order → the CMMS simulator (Maximo): one work order per drift episode,
// however long the chart keeps signalling, closed when the completed work order comes back and a
// new baseline starts. Also the shipped example flow, run with its real function nodes: the drift
// trigger arrives before the first part out of spec.
import assert from 'node:assert/strict';
import { referenceFor } from '../../nodes/core/cmms/reference';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { nodeRedDir } from '../../sim/paths';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { PartStream, partSpecRows } from '../support/spc-parts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, REPO_ROOT, withUserDir } from '../support/node-red';
import { until } from '../support/wait';

type NodeModule = (RED: NodeAPI) => void;
interface Msg {
  topic?: string;
  payload: unknown;
}

const collect = (id: string): Msg[] => {
  const got: Msg[] = [];
  (helper.getNode(id) as unknown as EventEmitter).on('input', (m: Msg) => got.push(m));
  return got;
};

describe('mw-vision-drift with mw-work-order and a CMMS (integration)', function () {
  this.timeout(60000);
  let sim: CmmsSim;

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  withUserDir('mw-vd-int-', () => { sim.reset(); });

  it('makes one work order per episode and closes it when the completed work order starts a new baseline', async () => {
    const modules = [nodeModule('mw-cmms'), nodeModule('mw-work-order'), nodeModule('mw-vision-drift')] as NodeModule[];
    const flow: Array<{ id: string; type: string } & Record<string, unknown>> = [
      { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
      {
        id: 'vd1', type: 'mw-vision-drift', site: 'BEDFORD', specs: partSpecRows(), phase1Units: '300', phase1Subgroups: '3',
        defectSubgroupSize: '100', trendWindow: '400', capabilityWindow: '200', clearAfter: '300', arl0: '1000000', checkpointSeconds: '0',
        wires: [['wo1', 'events'], ['records'], ['rejected']],
      },
      { id: 'wo1', type: 'mw-work-order', cmms: 'conn1', onCleared: 'close', wires: [['results'], ['failed']] },
      { id: 'events', type: 'helper' }, { id: 'records', type: 'helper' }, { id: 'rejected', type: 'helper' },
      { id: 'results', type: 'helper' }, { id: 'failed', type: 'helper' },
    ];
    await helper.load(modules, flow, { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
    const events = collect('events');
    const records = collect('records');
    const results = collect('results');
    const failed = collect('failed');
    const drift = helper.getNode('vd1') as Node;
    const stream = new PartStream({ seed: 21, asset: 'PRS-701', product: 'BRKT-22' });
    const send = async (n: number, shift: number): Promise<void> => {
      const target = records.length + n;
      for (let i = 0; i < n; i++) {
        const u = stream.next();
        (u.record.measurements as { bore: number }).bore += shift;
        drift.receive({ payload: u.record } as never);
      }
      await until('records through the drift node', () => records.length >= target);
    };
    await send(500, 0);
    assert.equal(events.length, 0);
    await send(1500, 0.012);
    const raised = events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'raised');
    assert.ok(raised.length >= 1, 'the shift raises drift episodes');
    const ids = new Set(raised.map((e) => referenceFor('maximo', e.eventId)));
    assert.equal(ids.size, raised.length);
    await until('one work order per episode', () => sim.workOrders('maximo').length === ids.size);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.workOrders('maximo').length, ids.size, 'a chart that keeps signalling makes no second work order');
    for (const wo of sim.workOrders('maximo')) {
      assert.ok(ids.has(String(wo.ref)));
      assert.equal(wo.fields.assetnum, 'PRS-701');
      assert.match(String(wo.fields.description_longdescription), /baselineMean/);
    }
    assert.equal(failed.length, 0, JSON.stringify(failed));

    drift.receive({ payload: { workOrderId: '1001', assetId: 'PRS-701', status: 'done', cmmsStatus: 'COMP', changedAt: new Date().toISOString() } } as never);
    await until('cleared events', () => events.filter((m) => (m.payload as MaintenanceEvent).state === 'cleared').length >= ids.size);
    const cleared = events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'cleared');
    assert.deepEqual(new Set(cleared.map((e) => referenceFor('maximo', e.eventId))), ids);
    // Each close reads the work order back first (is it still ours? issue 14 item 12) and then makes its
    // status and work-log requests, all inside the connection's default request budget: allow 30 s.
    await until('work orders closed', () => sim.workOrders('maximo').every((wo) => /COMP|CLOSE/.test(wo.status)), 30_000,
      () => JSON.stringify(sim.workOrders('maximo').map((w) => w.status)));
    assert.ok(results.length > 0);
  });

  it('the example flow shows the drift trigger before the first rejected part', async () => {
    const example = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'Vision drift caught before the first rejected part.json'), 'utf8')) as Array<Record<string, unknown>>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const functionNode = require(require.resolve('@node-red/nodes/core/function/10-function.js', { paths: [nodeRedDir()] })) as NodeModule;
    // The injects become direct calls and the debug nodes capture nodes; everything else is the example as shipped.
    // Importing puts the nodes on the current tab, as here.
    const flow = [{ id: 'ex-tab', type: 'tab' }, ...example.filter((n) => n.type !== 'inject' && n.type !== 'comment')
      .map((n) => ({ ...(n.type === 'debug' ? { id: n.id, type: 'helper' } : n), z: 'ex-tab' }))] as Array<{ id: string; type: string }>;
    await helper.load([functionNode, nodeModule('mw-vision-drift') as NodeModule], flow);
    const story = collect('ex-vd-story');
    const rejected = collect('ex-vd-rejected');
    const camera = helper.getNode('ex-vd-camera') as Node;
    for (let tick = 0; tick < 400 && !story.some((m) => /First rejected part/.test(String(m.payload))); tick++) {
      camera.receive({ payload: Date.now() } as never);
      await new Promise((r) => setImmediate(r));
    }
    await until('the timeline', () => story.some((m) => /First rejected part/.test(String(m.payload))));
    const lines = story.map((m) => String(m.payload));
    assert.match(lines[0], /^First drift trigger at part \d+/, lines.join('\n'));
    const trigger = Number(/part (\d+)/.exec(lines[0])?.[1]);
    const reject = lines.find((l) => /First rejected part/.test(l)) as string;
    const first = Number(/U(\d+)/.exec(reject)?.[1]);
    assert.ok(trigger > 3000 && first - trigger > 1000, lines.join('\n'));
    assert.match(reject, /drift trigger came \d+ parts/);
    console.log(`      example: ${lines.join(' | ')}`);
    assert.equal(rejected.length, 0);
  });
});

// mw-threshold → mw-work-order → the CMMS simulator, with the work-order results wired back into
// the threshold node: one work order per episode, through chattering, escalation, a restart of
// the runtime, a plant-wide trip, and the technician closing the work order.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { referenceFor } from '../../nodes/core/cmms/reference';
import type { AssetReadings, MaintenanceEvent } from '../../nodes/core/contracts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { DEFAULT_ASSETS, SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { helper, nodeModule } from '../support/node-red';
import { until as waitUntil } from '../support/wait';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: Record<string, unknown> };

const BEARING = {
  id: 'bearing-temp', metric: 'bearing_temp', name: 'Bearing temperature',
  limits: { H: { value: 85, severity: 'high', priority: 3 }, HH: { value: 95, severity: 'critical', priority: 1 } },
  deadband: 2, onDelay: { samples: 2 },
};
/** `pump-api610`: the class a registry edit (or a row with other attributes) gives the same pump. */
const RULES = { classes: { pump: [BEARING], 'pump-api610': [BEARING] } };

/** The simulator's Maximo knows PUMP-101 at BEDFORD; the plant-wide trip adds sixty more pumps. */
const TRIP = Array.from({ length: 60 }, (_, i) => `PUMP-${500 + i}`);

function reading(value: number, id = 'PUMP-101', cls = 'pump'): AssetReadings {
  return {
    asset: { id, siteId: 'BEDFORD', location: `BEDFORD/PUMPHOUSE/LINE1/${id}`, class: cls },
    readings: [{ metric: 'bearing_temp', value, unit: '°C', quality: 'good', timestamp: new Date().toISOString() }],
    source: { kind: 'opcua', ref: 'ns=2;s=BearingTemp' },
  };
}

describe('mw-threshold with mw-work-order and the CMMS simulator', function () {
  this.timeout(60_000);
  let sim: CmmsSim;
  let userDir: string;
  let events: MaintenanceEvent[];
  let results: Msg[];
  let failures: string[];
  const modules = (): NodeModule[] => ['mw-cmms', 'mw-work-order', 'mw-threshold'].map((n) => nodeModule(n) as NodeModule);
  const flow = () => [
    { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey', ratePerMinute: 60_000, rateBurst: 500, concurrency: 8 },
    { id: 'th', type: 'mw-threshold', rules: JSON.stringify(RULES), wires: [['wo', 'events'], [], ['rejected']] },
    { id: 'wo', type: 'mw-work-order', cmms: 'conn1', onCleared: 'note', wires: [['th', 'results'], ['failed']] },
    { id: 'events', type: 'helper' }, { id: 'results', type: 'helper' }, { id: 'rejected', type: 'helper' }, { id: 'failed', type: 'helper' },
  ];
  const creds = { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } };

  async function start(): Promise<void> {
    await helper.load(modules(), flow(), creds);
    (helper.getNode('events') as unknown as EventEmitter).on('input', (m: Msg) => events.push(m.payload as unknown as MaintenanceEvent));
    (helper.getNode('results') as unknown as EventEmitter).on('input', (m: Msg) => results.push(m));
    for (const id of ['rejected', 'failed']) {
      (helper.getNode(id) as unknown as EventEmitter).on('input', (m: Msg) => failures.push(`${id}: ${JSON.stringify(m.payload)}`));
    }
  }
  async function restartRuntime(): Promise<void> {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
    await new Promise<void>((r) => helper.startServer(() => r()));
    await start();
  }
  const feed = (value: number, id?: string, cls?: string): void => (helper.getNode('th') as Node).receive({ payload: reading(value, id, cls) } as never);
  const created = (): number => results.filter((m) => m.payload.outcome === 'created').length;
  const workOrders = () => sim.workOrders('maximo');

  const until = (what: string, cond: () => boolean, ms = 10_000): Promise<void> => waitUntil(what, cond, ms, () =>
    `events ${JSON.stringify(events.map((e) => e.state))}, results ${JSON.stringify(results.map((r) => r.payload.outcome))}, `
    + `work orders ${workOrders().length}, failures ${failures.join('; ')}`, 20);

  before(async () => {
    const extra = TRIP.map((assetnum) => ({ assetnum, siteid: 'BEDFORD', orgid: 'EAGLENA', location: `BEDFORD/PUMPHOUSE/LINE1/${assetnum}`, description: 'Booster pump', status: 'OPERATING' as const, assetClass: 'PUMP' }));
    sim = await startCmmsSim({ assets: [...DEFAULT_ASSETS, ...extra] });
  });
  after(async () => { await sim.stop(); });
  beforeEach((done) => {
    sim.reset();
    events = [];
    results = [];
    failures = [];
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-th-int-'));
    helper.settings({ userDir });
    helper.startServer(done);
  });
  afterEach(async () => {
    assert.deepEqual(failures, [], 'nothing rejected, nothing dead-lettered');
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('one work order per episode through chattering, escalation and a restart; a new one when the fix did not hold', async () => {
    await start();
    for (const v of [70, 86, 80, 86, 87]) feed(v);
    await until('the first work order', () => created() === 1);
    const [first] = events;
    assert.equal(first.state, 'raised');
    assert.equal(workOrders().length, 1);
    assert.equal(workOrders()[0].ref, referenceFor('maximo', first.eventId));

    // Chattering inside the deadband, an escalation, a clear and a return while the work order is open.
    for (const v of [84, 86, 83.5, 97, 90, 60, 60, 88, 88]) feed(v);
    await until('escalation, clear and the return', () => events.length === 4);
    assert.deepEqual(events.map((e) => e.state), ['raised', 'escalated', 'cleared', 'raised']);
    assert.ok(events.every((e) => e.eventId === first.eventId), 'all one episode: its work order is still open');
    await until('the outbox to settle', () => results.filter((m) => m.payload.outcome === 'existing').length >= 3);
    assert.equal(workOrders().length, 1);
    assert.equal(Number(workOrders()[0].fields.wopriority), 1, 'the escalation raised the priority');

    // Restart of the runtime: the episode and its work-order link come back from disk.
    await restartRuntime();
    for (const v of [92, 60, 60, 89, 89]) feed(v);
    await until('the clear and the return after the restart', () => events.filter((e) => e.state === 'cleared').length === 2 && events.length === 6);
    assert.ok(events.every((e) => e.eventId === first.eventId));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(workOrders().length, 1, 'no second work order after the restart');

    // The technician closes the work order, but the bearing is still hot: the alarm re-arms.
    (helper.getNode('th') as Node).receive({ payload: { workOrderId: String(workOrders()[0].id), assetId: 'PUMP-101', status: 'done', cmmsStatus: 'COMP', changedAt: new Date().toISOString() } } as never);
    await until('the re-arm', () => events.some((e) => e.details.reason === 'work-order-closed'));
    feed(90);
    feed(90);
    await until('a second work order', () => workOrders().length === 2);
    const second = events[events.length - 1];
    assert.notEqual(second.eventId, first.eventId);
    assert.deepEqual(workOrders().map((w) => w.ref).sort(), [first.eventId, second.eventId].map((id) => referenceFor('maximo', id)).sort());
  });

  it('a sustained alarm over 20 polls whose class alternates, then a registry edit and a restart: exactly one work order', async () => {
    await start();
    for (let poll = 0; poll < 20; poll++) feed(85.3, 'PUMP-101', poll % 2 === 0 ? 'pump' : 'pump-api610');
    await until('the work order', () => created() === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(events.map((e) => e.state), ['raised'], 'one episode through 20 polls');
    // The registry now says pump-api610 for good; Node-RED restarts with the episode on disk.
    await restartRuntime();
    for (let poll = 0; poll < 5; poll++) feed(86, 'PUMP-101', 'pump-api610');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(events.map((e) => e.state), ['raised'], 'no second raised after the edit and the restart');
    assert.equal(workOrders().length, 1);
  });

  it('a plant-wide trip: 60 assets alarm at once, 60 work orders, each exactly once', async () => {
    await start();
    for (let round = 0; round < 3; round++) for (const id of TRIP) feed(90, id);
    await until('60 work orders', () => created() === 60, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(events.filter((e) => e.state === 'raised').length, 60);
    assert.equal(workOrders().length, 60);
    assert.equal(new Set(workOrders().map((w) => w.ref)).size, 60);
  });
});

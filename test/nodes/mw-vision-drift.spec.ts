import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { validateMaintenanceEvent, type MaintenanceEvent } from '../../nodes/core/contracts';
import { DurableState } from '../../nodes/core/state/durable-state';
import { PartStream, partSpecRows } from '../support/spc-parts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
interface Msg {
  topic?: string;
  payload: unknown;
  spc?: { asset: string; product: string; series: Record<string, { phase: string; ewma?: number; ucl?: number }> };
  reason?: string;
  errors?: string[];
}

const drift = (): NodeModule => nodeModule('mw-vision-drift') as NodeModule;

/** Small windows so a test learns in a few hundred records. */
const FAST = {
  site: 'BEDFORD', phase1Units: '200', phase1Subgroups: '3', defectSubgroupSize: '100', clearAfter: '200', trendWindow: '400',
  capabilityWindow: '200', arl0: '1000000', checkpointSeconds: '0', specs: partSpecRows(),
};

type FlowNode = { id: string; type: string; wires?: string[][] } & Record<string, unknown>;

function flow(over: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 'vd1', type: 'mw-vision-drift', name: '', ...FAST, ...over, wires: [['events'], ['records'], ['rejected']] },
    { id: 'events', type: 'helper' },
    { id: 'records', type: 'helper' },
    { id: 'rejected', type: 'helper' },
  ];
}

interface Outputs {
  events: Msg[];
  records: Msg[];
  rejected: Msg[];
}

function outputs(): Outputs {
  const out: Outputs = { events: [], records: [], rejected: [] };
  for (const k of ['events', 'records', 'rejected'] as const) (helper.getNode(k) as unknown as EventEmitter).on('input', (m: Msg) => out[k].push(m));
  return out;
}

/** Sends n records of the stream, shifted by `shift` mm, and waits until they have passed through. */
async function feed(stream: PartStream, n: number, out: Outputs, shift = 0): Promise<void> {
  const node = helper.getNode('vd1') as Node;
  const target = out.records.length + n;
  for (let i = 0; i < n; i++) {
    const u = stream.next();
    const m = u.record.measurements as { bore: number };
    m.bore += shift;
    node.receive({ payload: u.record } as never);
  }
  for (let t = 0; out.records.length < target && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(out.records.length, target, 'every record passes through to output 2');
}

const stateFile = (dir: string): string => path.join(dir, 'millwright', 'mw-vision-drift-vd1.db');

describe('mw-vision-drift node', function () {
  this.timeout(30000);

  const userDirOf = withUserDir('mw-vd-');

  it('learns a baseline, then sends one drift event per episode that mw-work-order accepts', async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    const stream = new PartStream({ seed: 1 });
    await feed(stream, 400, out);
    assert.equal(out.events.length, 0);
    const last = out.records[out.records.length - 1];
    assert.equal(last.spc?.asset, 'CNC-07');
    assert.equal(last.spc?.series.bore.phase, 'monitoring');
    assert.ok(typeof last.spc?.series.bore.ucl === 'number');
    // Every chart's point, centre line and limits for dashboards, the p chart too (issue 15 item 16).
    const charts = (last.spc?.series.bore as unknown as { charts: Record<string, Record<string, number>> }).charts;
    assert.equal(typeof charts.cusumLarge.limit, 'number');
    assert.equal(typeof charts.cusum.limit, 'number');
    const p = (last.spc as unknown as { defectCharts: { phase: string; charts: Record<string, Record<string, number>> } }).defectCharts;
    assert.equal(p.phase, 'monitoring');
    for (const k of ['p', 'centre', 'ucl3Sigma', 'lcl3Sigma', 'uclProbability']) assert.equal(typeof p.charts['defect-rate'][k], 'number', k);

    await feed(stream, 400, out, 0.012);
    const raised = out.events.filter((m) => (m.payload as MaintenanceEvent).state === 'raised').map((m) => m.payload as MaintenanceEvent);
    const mean = raised.filter((e) => e.details.family === 'mean');
    assert.equal(mean.length, 1);
    for (const e of raised) {
      const v = validateMaintenanceEvent(e);
      assert.ok(v.ok, JSON.stringify(!v.ok && v.errors));
    }
    assert.equal(mean[0].asset.siteId, 'BEDFORD');
    assert.equal(mean[0].asset.id, 'CNC-07');
    assert.equal(mean[0].details.product, 'HSG-4410');
    // The summary is translated in the runtime; the test helper's RED._ returns the key.
    assert.match(mean[0].summary, /mw-vision-drift\.summary\.raised/);
    assert.equal(out.events[0].topic, 'drift');
  });

  it('the status leaves "waiting for records" once records arrive: learning, then monitoring', async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    const node = helper.getNode('vd1') as Node;
    const shown: string[] = [];
    const status = node.status.bind(node);
    node.status = ((s: { text?: string }) => { shown.push(String(s.text)); return status(s as never); }) as typeof node.status;
    const stream = new PartStream({ seed: 3 });
    await feed(stream, 20, out);
    for (let t = 0; !shown.includes('mw-vision-drift.status.learning') && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(shown[shown.length - 1], 'mw-vision-drift.status.learning', shown.join(', '));
    await feed(stream, 400, out);
    for (let t = 0; shown[shown.length - 1] !== 'mw-vision-drift.status.monitoring' && t < 300; t++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(shown[shown.length - 1], 'mw-vision-drift.status.monitoring', shown.join(', '));
  });

  it('sends invalid records to output 3 with the reasons and reports them to Catch, without stopping', async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    const node = helper.getNode('vd1') as Node & { error: { args: unknown[][] } };
    node.receive({ payload: { unitId: 'U1', timestamp: 'now', result: 'pass', asset: 'A' } } as never);
    node.receive({ payload: { unitId: 'U2', timestamp: '2026-03-02T06:00:00Z', result: 'pass' } } as never);
    node.receive({ payload: 'garbage' } as never);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(out.rejected.map((m) => m.reason), ['invalid', 'no-asset', 'invalid']);
    assert.ok(out.rejected[0].errors?.some((e) => /timestamp/.test(e)));
    assert.equal((out.rejected[1].payload as { unitId: string }).unitId, 'U2', 'the record itself is kept');
    assert.equal(node.error.args.length, 3, 'done(err) reaches node.error (Catch nodes)');
    await feed(new PartStream({ seed: 2 }), 10, out);
  });

  it("accepts mw-asset-map's output (asset readings with the record under payload.inspection)", async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    const u = new PartStream({ seed: 3 }).next();
    const asset = { id: 'CNC-07', siteId: 'PLANT-2', location: 'PLANT-2/MACHINING/L2/CNC-07', class: 'CNC' };
    (helper.getNode('vd1') as Node).receive({
      payload: {
        asset, source: { kind: 'vision', ref: 'CAM-3' }, inspection: u.record,
        readings: [{ metric: 'result', value: u.record.result, quality: 'good', timestamp: u.record.timestamp }],
      },
    } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.rejected.length, 0, JSON.stringify(out.rejected));
    assert.equal(out.records[0].spc?.asset, 'CNC-07');
    (helper.getNode('vd1') as Node).receive({ topic: 'baselines' } as never);
    await new Promise((r) => setTimeout(r, 50));
    const report = out.records[1].payload as Array<{ siteId: string; series: Record<string, { learning: boolean }> }>;
    assert.equal(report[0].siteId, 'PLANT-2');
    assert.equal(report[0].series.bore.learning, true);
  });

  it('a completed work order starts a new baseline for its asset and ends its open episodes', async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    const stream = new PartStream({ seed: 4 });
    await feed(stream, 400, out);
    await feed(stream, 200, out, 0.012);
    const raised = out.events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'raised');
    assert.ok(raised.length >= 1);
    const node = helper.getNode('vd1') as Node;
    node.receive({ payload: { workOrderId: 'WO-77', assetId: 'CNC-99', status: 'done', cmmsStatus: 'COMP', changedAt: '2026-01-05T08:00:00Z' } } as never);
    node.receive({ payload: { workOrderId: 'WO-42', assetId: 'CNC-07', status: 'in-progress', cmmsStatus: 'INPRG', changedAt: '2026-01-05T08:00:00Z' } } as never);
    // mw-wo-status: a work order made elsewhere, with no asset named, must not re-baseline every asset.
    node.receive({ payload: { workOrderId: 'WO-88', eventIds: [], status: 'done', cmmsStatus: 'COMP', changedAt: '2026-01-05T08:00:00Z' } } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.events.filter((m) => (m.payload as MaintenanceEvent).state === 'cleared').length, 0, 'another asset, no asset or an unfinished order changes nothing');
    node.receive({ payload: { workOrderId: 'WO-42', assetId: 'CNC-07', eventIds: [], status: 'closed', cmmsStatus: 'CLOSE', changedAt: '2026-01-05T08:00:00Z' } } as never);
    await new Promise((r) => setTimeout(r, 50));
    const cleared = out.events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'cleared');
    assert.deepEqual(cleared.map((e) => e.eventId).sort(), raised.map((e) => e.eventId).sort());
    assert.ok(cleared.every((e) => /mw-vision-drift\.reason\.work-order/.test(String(e.details.reason))));
    assert.equal(cleared[0].occurredAt, '2026-01-05T08:00:00.000Z');
    node.receive({ topic: 'baselines' } as never);
    await new Promise((r) => setTimeout(r, 50));
    const report = out.records[out.records.length - 1].payload as Array<{ series: Record<string, { learning: boolean }> }>;
    assert.equal(report[0].series.bore.learning, true);
    // mw-work-order's results fed back: accepted quietly, nothing re-baselined, nothing rejected.
    const rejectedBefore = out.rejected.length;
    const clearedBefore = out.events.filter((m) => (m.payload as MaintenanceEvent).state === 'cleared').length;
    node.receive({ payload: { eventId: 'e-1', cmms: 'Maximo', workOrderId: 'WO-42', href: null, outcome: 'created', attempts: 1, latencyMs: 12 } } as never);
    node.receive({ payload: { eventId: 'e-1', cmms: 'Maximo', workOrderId: null, href: null, outcome: 'queued', attempts: 0, latencyMs: null } } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.rejected.length, rejectedBefore, JSON.stringify(out.rejected.slice(rejectedBefore)));
    assert.equal(out.events.filter((m) => (m.payload as MaintenanceEvent).state === 'cleared').length, clearedBefore);
    node.receive({ payload: { workOrderId: 'WO-1', status: 'finished' } } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.rejected[out.rejected.length - 1].reason, 'invalid');
  });

  it("accepts mw-work-order's results and work-order status messages fed back, acting only on a completed work order (issue 16)", async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    const stream = new PartStream({ seed: 9 });
    await feed(stream, 400, out);
    await feed(stream, 200, out, 0.012);
    const raised = out.events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'raised');
    assert.ok(raised.length >= 1);
    const node = helper.getNode('vd1') as Node & { error: { args: unknown[][] } };
    const errorsBefore = node.error.args.length;
    const recordsBefore = out.records.length;
    // What mw-work-order sends on its outputs for these events (contract work-order-result.ts).
    const results = [
      { eventId: raised[0].eventId, cmms: 'maximo-prod', workOrderId: 'WO-1001', href: 'https://cmms.example/wo/1001', outcome: 'created', attempts: 1, latencyMs: 420 },
      { eventId: raised[0].eventId, cmms: 'maximo-prod', workOrderId: 'WO-1001', href: 'https://cmms.example/wo/1001', outcome: 'existing', attempts: 1, latencyMs: 15 },
      { eventId: raised[0].eventId, cmms: 'maximo-prod', workOrderId: null, href: null, outcome: 'queued', attempts: 0, latencyMs: null },
      { eventId: raised[0].eventId, cmms: 'maximo-prod', workOrderId: null, href: null, outcome: 'dead', attempts: 12, latencyMs: null },
    ];
    for (const payload of results) node.receive({ topic: 'work-order', payload } as never);
    // Status changes that do not mean "fixed", or concern an asset this node does not watch.
    node.receive({ payload: { workOrderId: 'WO-1001', eventId: raised[0].eventId, assetId: 'CNC-07', status: 'in-progress', cmmsStatus: 'INPRG', changedAt: '2026-01-05T08:00:00Z' } } as never);
    node.receive({ payload: { workOrderId: 'WO-9', assetId: 'PRESS-1', status: 'done', cmmsStatus: 'COMP', changedAt: '2026-01-05T08:00:00Z' } } as never);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(out.rejected.length, 0, 'nothing rejected');
    assert.equal(node.error.args.length, errorsBefore, `no error: ${JSON.stringify(node.error.args.slice(errorsBefore))}`);
    assert.equal(out.records.length, recordsBefore, 'ignored quietly: nothing sent');
    assert.equal(out.events.filter((m) => (m.payload as MaintenanceEvent).state === 'cleared').length, 0);
    // The work order is completed: a new baseline, the open episodes end.
    node.receive({ payload: { workOrderId: 'WO-1001', eventId: raised[0].eventId, assetId: 'CNC-07', status: 'done', cmmsStatus: 'COMP', changedAt: '2026-01-05T09:00:00Z' } } as never);
    await new Promise((r) => setTimeout(r, 100));
    const cleared = out.events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'cleared');
    assert.deepEqual(cleared.map((e) => e.eventId).sort(), raised.map((e) => e.eventId).sort());
    // A malformed result is still bad input.
    node.receive({ payload: { workOrderId: 'WO-1', outcome: 'maybe' } } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.rejected.length, 1);
    assert.equal(out.rejected[0].reason, 'invalid');
  });

  it('re-baselines on a control message, for the series named', async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    await feed(new PartStream({ seed: 5 }), 250, out);
    (helper.getNode('vd1') as Node).receive({ topic: 'rebaseline', payload: { asset: 'CNC-07', characteristic: 'coating' } } as never);
    await new Promise((r) => setTimeout(r, 50));
    const reply = out.records[out.records.length - 1].payload as { rebaselined: unknown[] };
    assert.deepEqual(reply.rebaselined, [{ asset: 'CNC-07', product: 'HSG-4410' }]);
    (helper.getNode('vd1') as Node).receive({ topic: 'baselines' } as never);
    await new Promise((r) => setTimeout(r, 50));
    const report = out.records[out.records.length - 1].payload as Array<{ series: Record<string, { learning: boolean }> }>;
    assert.equal(report[0].series.bore.learning, false);
    assert.equal(report[0].series.coating.learning, true);
  });

  it('writes the baseline the moment it is learned, and a restart continues with it and its open episode', async () => {
    await helper.load([drift()], flow());
    let out = outputs();
    const stream = new PartStream({ seed: 6 });
    await feed(stream, 210, out);
    // Read by another connection while the node runs: the baseline is already on disk.
    const reader = new DurableState(stateFile(userDirOf()));
    const saved = [...reader.all<{ monitors: Record<string, { baseline: { mean: number } | null }> }>('groups').values()];
    reader.close();
    assert.equal(saved.length, 1);
    assert.ok(saved[0].monitors.bore.baseline && Math.abs(saved[0].monitors.bore.baseline.mean - 12) < 0.002);

    await feed(stream, 300, out, 0.012);
    const raised = out.events.map((m) => m.payload as MaintenanceEvent).find((e) => e.state === 'raised' && e.details.family === 'mean');
    assert.ok(raised);
    await helper.unload();

    await helper.load([drift()], flow());
    out = outputs();
    (helper.getNode('vd1') as Node).receive({ topic: 'baselines' } as never);
    await new Promise((r) => setTimeout(r, 50));
    const report = out.records[0].payload as Array<{ series: Record<string, { learning: boolean; baseline: { mean: number } }> }>;
    assert.equal(report[0].series.bore.learning, false);
    assert.equal(report[0].series.bore.baseline.mean, saved[0].monitors.bore.baseline.mean);
    out.records.length = 0;
    await feed(stream, 1200, out);
    const cleared = out.events.map((m) => m.payload as MaintenanceEvent).filter((e) => e.state === 'cleared' && e.details.family === 'mean');
    assert.equal(cleared.length, 1);
    assert.equal(cleared[0].eventId, raised.eventId, 'the episode opened before the restart is the one that clears');
    assert.equal(out.events.filter((m) => (m.payload as MaintenanceEvent).state === 'raised' && (m.payload as MaintenanceEvent).details.family === 'mean').length, 0);
  });

  it('defect phase I, first and after a re-baseline, resumes across a restart instead of starting over (issue 15 item 15)', async () => {
    type Defects = { phase: string; learned?: number; of?: number };
    const defects = (out: Outputs): Defects => (out.records[out.records.length - 1].spc as unknown as { defectCharts: Defects }).defectCharts;
    // FAST: phase I of 3 subgroups × 100 units.
    await helper.load([drift()], flow());
    let out = outputs();
    const stream = new PartStream({ seed: 8 });
    await feed(stream, 250, out);
    assert.equal(defects(out).phase, 'learning');
    assert.equal(defects(out).learned, 2);
    await helper.unload();
    await helper.load([drift()], flow());
    out = outputs();
    await feed(stream, 60, out);
    assert.equal(defects(out).phase, 'monitoring', 'the third subgroup closed at unit 300, counting the 250 before the restart');

    // After a re-baseline the previous p̄ is charted while phase I confirms it; a restart keeps that progress too.
    (helper.getNode('vd1') as Node).receive({ control: 'rebaseline', payload: { asset: 'CNC-07' } } as never);
    await new Promise((r) => setTimeout(r, 50));
    await feed(stream, 250, out);
    assert.equal(defects(out).phase, 'confirming');
    assert.equal(defects(out).learned, 2);
    await helper.unload();
    await helper.load([drift()], flow());
    out = outputs();
    await feed(stream, 60, out);
    assert.equal(defects(out).phase, 'monitoring', 'the confirmation ended at its third subgroup, across the restart');
  });

  it('refuses invalid settings with a clear error and rejects input until fixed', async () => {
    await helper.load([drift()], flow({ lambda: '7', specs: [{ characteristic: 'bore', lsl: '3', usl: '2' }] }));
    const out = outputs();
    const node = helper.getNode('vd1') as Node & { error: { args: unknown[][] }; status: { args: unknown[][] } };
    assert.ok(node.error.args.some((a) => /mw-vision-drift\.errors\.invalid-config/.test(String(a[0]))));
    assert.deepEqual((node.status.args[node.status.args.length - 1][0] as { fill: string }).fill, 'red');
    node.receive({ payload: new PartStream({ seed: 7 }).next().record } as never);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.rejected[0].reason, 'invalid-config');
    assert.ok(out.rejected[0].errors?.some((e) => /lambda/.test(e)));
  });

  it('reads spec limits from a CSV file beside the flows', async () => {
    fs.writeFileSync(path.join(userDirOf(), 'specs.csv'), 'product,characteristic,lsl,usl,target\n*,bore,11.98,12.02,12\n');
    await helper.load([drift()], flow({ specs: [], specSource: 'file', specFile: 'specs.csv', monitorUnspecified: false }));
    const out = outputs();
    await feed(new PartStream({ seed: 8 }), 5, out);
    assert.deepEqual(Object.keys(out.records[0].spc?.series ?? {}), ['bore']);
  });

  it('a missing spec file is a settings error', async () => {
    await helper.load([drift()], flow({ specSource: 'file', specFile: 'nope.csv' }));
    const node = helper.getNode('vd1') as Node & { error: { args: unknown[][] } };
    // The file is read asynchronously: the error comes once the read has failed.
    for (let i = 0; i < 100 && node.error.args.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(node.error.args.some((a) => /mw-vision-drift\.errors\.invalid-config/.test(String(a[0]))));
  });

  it('the editor converts days into units with the rate the deployed node measured, not the rate typed (issue 15 item 13)', async () => {
    await helper.load([drift()], flow());
    const out = outputs();
    // One part every 2 s by the records' own timestamps: 1 800 units per hour, typed 3 600.
    await feed(new PartStream({ seed: 3, unitsPerSecond: 0.5 }), 400, out);
    const q = 'falseAlarmDays=30&unitsPerHour=3600&k=0.5&fir=true&characteristics=1';
    const measured = await helper.request().get(`/mw-vision-drift/design?${q}&node=vd1`).expect(200);
    assert.equal(measured.body.rateSource, 'measured');
    assert.equal(measured.body.unitsPerHour, 1800);
    assert.equal(measured.body.arl0, 30 * 24 * 1800);
    const typed = await helper.request().get(`/mw-vision-drift/design?${q}&node=vd1&rate=typed`).expect(200);
    assert.equal(typed.body.rateSource, 'typed');
    assert.equal(typed.body.arl0, 30 * 24 * 3600);
    const other = await helper.request().get(`/mw-vision-drift/design?${q}&node=nosuchnode`).expect(200);
    assert.equal(other.body.rateSource, 'typed', 'a node that has measured nothing converts with the typed rate');
  });

  it('the editor endpoint turns a time budget into units and shows detection delays for mid-run shifts', async () => {
    await helper.load([drift()], flow());
    // One false alarm a month at one unit a second, two characteristics and the defect rate (2.15 budget slots).
    const r = await helper.request().get('/mw-vision-drift/design?falseAlarmDays=30&unitsPerHour=3600&lambda=0.05&k=0.5&fir=true&characteristics=2').expect(200);
    assert.equal(r.body.arl0, 2_592_000);
    assert.equal(r.body.slots, 2.15);
    assert.ok(Math.abs(r.body.cusumArl0 - (2_592_000 * 2.15) / 0.6) < 1, `CUSUM share ${r.body.cusumArl0}`);
    assert.equal(r.body.rateSource, 'typed', 'nothing measured yet');
    const delays = r.body.arl as Array<{ shift: number; cusum: number; cusumLarge: number }>;
    assert.deepEqual(delays.map((a) => a.shift), [0.5, 1, 2, 3]);
    assert.ok(delays[2].cusumLarge < delays[2].cusum, 'the large-shift CUSUM is the faster at 2σ');
    const one = delays[1];
    // Mid-run, without the FIR head start: about 30 parts for 1σ at h ≈ 15 (a FIR start would show about 16).
    assert.ok(one.cusum > 25 && one.cusum < 40, `1σ: ${one.cusum}`);
    const old = await helper.request().get('/mw-vision-drift/design?arl0=465&lambda=0.1&k=0.5&fir=false&characteristics=0').expect(200);
    assert.equal(old.body.arl0, 465, 'an old flow\'s units between false alarms still work');
    await helper.request().get('/mw-vision-drift/design?falseAlarmDays=abc').expect(400);
  });
});

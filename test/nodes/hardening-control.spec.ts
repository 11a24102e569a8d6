// Issue 12, item 10: control messages are unambiguous. An event, reading or record is never
// swallowed because of its msg.topic; control goes by msg.control; the old topic form works only
// where the payload is not data, with a warning; control payloads are validated strictly.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { referenceFor } from '../../nodes/core/cmms/reference';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { PartStream, partSpecRows } from '../support/spc-parts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: unknown; reason?: string; errors?: string[] };
type Flow = Parameters<typeof helper.load>[1];
type Spied = Node & { warn: { args: unknown[][] }; error: { args: unknown[][] } };

const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

function collect(ids: string[]): Record<string, Msg[]> {
  const got: Record<string, Msg[]> = {};
  for (const id of ids) {
    got[id] = [];
    (helper.getNode(id) as unknown as EventEmitter).on('input', (m: Msg) => got[id].push(m));
  }
  return got;
}

async function until(pred: () => boolean, ms = 8000): Promise<void> {
  for (let t = 0; t < ms / 20 && !pred(); t++) await settle(20);
  assert.ok(pred(), 'condition not reached in time');
}

let seq = 0;
function event(): MaintenanceEvent {
  seq += 1;
  return {
    kind: 'alarm', state: 'raised', eventId: `BEDFORD.PUMP-101.vib-hh.ctl${Date.now()}-${seq}`, episodeId: `ep-${seq}`, ruleId: 'vib-hh',
    asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
    metric: 'vibration', value: 13.1, limit: 12.5, level: 'HH', severity: 'high', priority: 2,
    summary: 'Vibration high-high on PUMP-101', details: { peak: 13.1 }, occurredAt: new Date().toISOString(),
  };
}

describe('control messages are unambiguous (issue 12, item 10)', function () {
  this.timeout(30000);
  let sim: CmmsSim;
  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  withUserDir('mw-ctl-', () => { sim.reset(); });

  describe('mw-work-order', () => {
    const load = async (): Promise<Record<string, Msg[]>> => {
      await helper.load([nodeModule('mw-cmms') as NodeModule, nodeModule('mw-work-order') as NodeModule], [
        { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
        { id: 'wo1', type: 'mw-work-order', cmms: 'conn1', wires: [['ok'], ['bad']] },
        { id: 'ok', type: 'helper' }, { id: 'bad', type: 'helper' },
      ] as Flow, { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
      return collect(['ok', 'bad']);
    };

    it('a valid event whose msg.topic is metrics, replay or discard becomes a work order', async () => {
      const got = await load();
      const wo = helper.getNode('wo1') as Node;
      const events = ['metrics', 'replay', 'discard', 'dead-letters'].map((topic) => ({ topic, e: event() }));
      for (const { topic, e } of events) wo.receive({ topic, payload: e } as never);
      await until(() => got.ok.filter((m) => (m.payload as { outcome?: string }).outcome === 'created').length === events.length);
      assert.equal(sim.workOrders('maximo').length, events.length);
      assert.deepEqual(new Set(sim.workOrders('maximo').map((w) => w.ref)), new Set(events.map((x) => referenceFor('maximo', x.e.eventId))));
    });

    it('msg.control runs the command; an unknown one or a wrongly typed payload is an error, not data', async () => {
      const got = await load();
      const wo = helper.getNode('wo1') as Spied;
      wo.receive({ control: 'metrics' } as never);
      await until(() => got.ok.length === 1);
      assert.equal(typeof (got.ok[0].payload as { pending?: unknown }).pending, 'number');
      wo.receive({ control: 'explode' } as never);
      wo.receive({ control: 'discard', payload: { all: true } } as never);
      wo.receive({ control: 'replay', payload: ['1'] } as never);
      await until(() => got.bad.length === 3);
      assert.match(String(got.bad[0].payload && (got.bad[0].payload as { errors: string[] }).errors), /msg\.control "explode" is not one of/);
      assert.match(String((got.bad[1].payload as { errors: string[] }).errors), /array of item ids/);
      assert.equal(wo.error.args.length, 3);
    });

    it('the old topic form still answers when the payload is not an event, warns once; "discard" by topic alone is refused', async () => {
      const got = await load();
      const wo = helper.getNode('wo1') as Spied;
      wo.receive({ topic: 'metrics', payload: Date.now() } as never);
      wo.receive({ topic: 'metrics', payload: '' } as never);
      await until(() => got.ok.length === 2);
      assert.equal(wo.warn.args.filter((a) => /legacy-control/.test(String(a[0]))).length, 1, 'one deprecation warning');
      wo.receive({ topic: 'discard', payload: Date.now() } as never);
      await until(() => got.bad.length === 1);
      assert.match(String((got.bad[0].payload as { errors: string[] }).errors), /discard-needs-control/);
    });
  });

  describe('mw-threshold', () => {
    const RULES = JSON.stringify({ classes: { pump: [{ id: 'temp-h', metric: 'temp', limits: { H: { value: 85, severity: 'high', priority: 2 } } }] } });
    const load = async (): Promise<Record<string, Msg[]>> => {
      await helper.load([nodeModule('mw-threshold') as NodeModule], [
        { id: 'thr1', type: 'mw-threshold', rules: RULES, wires: [['events'], ['replies'], ['rejected']] },
        { id: 'events', type: 'helper' }, { id: 'replies', type: 'helper' }, { id: 'rejected', type: 'helper' },
      ] as Flow);
      return collect(['events', 'replies', 'rejected']);
    };

    it('a work-order status on a control topic is a work-order update; msg.control works; a bad control is rejected', async () => {
      const got = await load();
      const thr = helper.getNode('thr1') as Spied;
      thr.receive({ topic: 'acknowledge', payload: { workOrderId: 'WO-1', assetId: 'P-1', status: 'done', cmmsStatus: 'COMP', changedAt: new Date().toISOString() } } as never);
      await until(() => got.replies.length === 1);
      assert.equal(got.replies[0].topic, 'work-order', 'handled as a work-order update, not as an acknowledge');
      thr.receive({ control: 'health' } as never);
      await until(() => got.replies.length === 2);
      assert.equal(got.replies[1].topic, 'health');
      thr.receive({ control: 'shelve', payload: { assetId: 123 } } as never);
      thr.receive({ control: 'nope' } as never);
      await until(() => got.rejected.length === 2);
      assert.deepEqual(got.rejected.map((m) => m.reason), ['invalid-control', 'invalid-control']);
    });
  });

  describe('mw-vision-drift', () => {
    const load = async (): Promise<Record<string, Msg[]>> => {
      await helper.load([nodeModule('mw-vision-drift') as NodeModule], [
        { id: 'vd1', type: 'mw-vision-drift', site: 'BEDFORD', phase1Units: '200', phase1Subgroups: '3', checkpointSeconds: '0', specs: partSpecRows(), wires: [['events'], ['records'], ['rejected']] },
        { id: 'events', type: 'helper' }, { id: 'records', type: 'helper' }, { id: 'rejected', type: 'helper' },
      ] as Flow);
      return collect(['events', 'records', 'rejected']);
    };

    it('a record on topic "rebaseline" is a record; {assetId: 123} rebaselines nothing and is rejected', async () => {
      const got = await load();
      const vd = helper.getNode('vd1') as Spied;
      const stream = new PartStream({ seed: 5 });
      for (let i = 0; i < 5; i++) vd.receive({ topic: 'rebaseline', payload: stream.next().record } as never);
      await until(() => got.records.length === 5);
      assert.ok(got.records.every((m) => !(m.payload as { rebaselined?: unknown }).rebaselined), 'records pass through as records');
      vd.receive({ control: 'rebaseline', payload: { assetId: 123 } } as never);
      vd.receive({ topic: 'rebaseline', payload: { assetId: 123 } } as never);
      await until(() => got.rejected.length === 2);
      assert.deepEqual(got.rejected.map((m) => m.reason), ['invalid-control', 'invalid-control']);
      assert.ok(got.rejected[0].errors?.some((e) => /assetId/.test(e)), JSON.stringify(got.rejected[0].errors));
      vd.receive({ control: 'rebaseline', payload: { assetId: 'CNC-07' } } as never);
      await until(() => got.records.length === 6);
      assert.ok(Array.isArray((got.records[5].payload as { rebaselined?: unknown }).rebaselined));
    });
  });
});

// mw-work-order's "one work order per" setting, against the CMMS simulator (Maximo) in the test
// helper's Node-RED: a pump failing trips three rules at once; per asset that is one work order with
// two notes, per episode three work orders; a finished work order makes the next episode a new one.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { payload: { eventId?: string; outcome?: string; workOrderId?: string | null } };

const modules = (): NodeModule[] => [nodeModule('mw-cmms') as NodeModule, nodeModule('mw-work-order') as NodeModule];

let seq = 0;
/** One raised event of a rule on PUMP-101 (each call a new episode). */
function raised(ruleId: string, metric: string, over: Partial<MaintenanceEvent> = {}): MaintenanceEvent {
  seq += 1;
  return {
    kind: 'alarm', state: 'raised', eventId: `BEDFORD.PUMP-101.${ruleId}.g${Date.now()}-${seq}`, episodeId: `ep-${seq}`, ruleId,
    asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
    metric, value: 13.1, limit: 12.5, level: 'H', severity: 'high', priority: 2,
    summary: `${metric} high on PUMP-101`, details: { rule: ruleId }, occurredAt: new Date().toISOString(), ...over,
  };
}

/** The Maximo worklog entries this node added for joining episodes. */
function joinNotes(fields: Record<string, unknown>): string[] {
  const log = Array.isArray(fields.worklog) ? (fields.worklog as Array<Record<string, unknown>>) : [];
  return log.map((w) => JSON.stringify(w)).filter((t) => t.includes('Further problem on this asset'));
}

describe('mw-work-order: one work order per asset', function () {
  this.timeout(30000);
  let sim: CmmsSim;
  const creds = { conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } };
  const flow = (wo: Record<string, unknown>) => [
    { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
    { id: 'wo1', type: 'mw-work-order', cmms: 'conn1', wires: [['ok'], ['bad']], ...wo },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ];

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  withUserDir('mw-wog-', () => { sim.reset(); });

  /** Feeds events and waits until each has a delivered result (created or existing). */
  async function run(events: MaintenanceEvent[]): Promise<Map<string, Msg>> {
    const ok = helper.getNode('ok') as unknown as EventEmitter;
    const delivered = new Map<string, Msg>();
    const all = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`results for ${events.length - delivered.size} events missing: ${JSON.stringify([...delivered.values()])}`)), 15000);
      ok.on('input', (m: Msg) => {
        if (m.payload.outcome !== 'created' && m.payload.outcome !== 'existing') return;
        if (m.payload.eventId) delivered.set(m.payload.eventId, m);
        if (events.every((e) => delivered.has(e.eventId))) { clearTimeout(t); resolve(); }
      });
    });
    const wo = helper.getNode('wo1') as Node;
    for (const e of events) wo.receive({ payload: e } as never);
    await all;
    return delivered;
  }

  const pumpFails = (): MaintenanceEvent[] => [
    raised('temp-h', 'bearing-temperature'), raised('vib-h', 'vibration'), raised('amps-h', 'motor-current'),
  ];

  it('per episode (the default, and flows saved before the setting): three rules make three work orders', async () => {
    await helper.load(modules(), flow({}), creds);
    const results = await run(pumpFails());
    assert.equal(sim.workOrders('maximo').length, 3);
    assert.equal(new Set([...results.values()].map((m) => m.payload.workOrderId)).size, 3);
  });

  it('per asset: three rules make one work order with two notes, each with its own event; a repeat adds nothing', async () => {
    await helper.load(modules(), flow({ onePer: 'asset' }), creds);
    const events = pumpFails();
    const results = await run(events);
    const wos = sim.workOrders('maximo');
    assert.equal(wos.length, 1, JSON.stringify(wos.map((w) => w.id)));
    const notes = joinNotes(wos[0].fields);
    assert.equal(notes.length, 2, JSON.stringify(wos[0].fields.worklog));
    assert.ok(notes[0].includes(events[1].eventId) && notes[1].includes(events[2].eventId), 'each note names its own event');
    assert.ok(notes[1].includes('motor-current'), 'each note carries its own evidence');
    // Every event's result names the one work order (mw-threshold holds each episode on it).
    assert.deepEqual(new Set([...results.values()].map((m) => m.payload.workOrderId)), new Set([wos[0].id]));

    // Exactly once per event: the same raise again is answered from the outbox, no second note.
    const again = await run([{ ...events[2] }]);
    assert.equal(again.get(events[2].eventId)?.payload.outcome, 'existing');
    assert.equal(joinNotes(sim.workOrders('maximo')[0].fields).length, 2);
    assert.equal(sim.workOrders('maximo').length, 1);

    // The loop KPIs in the metrics admin route: one open work order for the asset, two joined episodes.
    const m = await helper.request().get('/mw-outbox/conn1/metrics?by=asset').expect(200);
    const pump = (m.body.loop.groups as Array<Record<string, unknown>>).find((g) => g.group === 'BEDFORD/PUMP-101');
    assert.ok(pump, JSON.stringify(m.body.loop));
    assert.equal(pump.workOrders, 1);
    assert.equal(pump.joinedEpisodes, 2);
    assert.equal(pump.open, 1);
    assert.equal((pump.alertToWorkOrderMs as { samples: number }).samples, 1);
    await helper.request().get('/mw-outbox/conn1/metrics?by=colour').expect(400);
    await helper.request().get('/mw-outbox/conn1/metrics?since=yesterday').expect(400);
  });

  it('per asset: once the work order is done (a status fed back), the next episode opens a new work order', async () => {
    await helper.load(modules(), flow({ onePer: 'asset' }), creds);
    await run([raised('temp-h', 'bearing-temperature')]);
    const [first] = sim.workOrders('maximo');
    sim.setStatus('maximo', first.id, 'COMP');
    const wo = helper.getNode('wo1') as Node;
    wo.receive({ payload: { workOrderId: first.id, status: 'done', cmmsStatus: 'COMP', changedAt: new Date().toISOString() } } as never);
    await run([raised('vib-h', 'vibration')]);
    const wos = sim.workOrders('maximo');
    assert.equal(wos.length, 2, 'a new work order after the first was done');
    assert.equal(joinNotes(wos[0].fields).length, 0);
    // And the new one is open: a third episode joins it.
    await run([raised('amps-h', 'motor-current')]);
    assert.equal(sim.workOrders('maximo').length, 2);
    assert.equal(joinNotes(sim.workOrders('maximo').find((w) => w.id !== first.id)?.fields ?? {}).length, 1);
  });

  it('per asset: mw-wo-status on the same connection (not wired back) ends the work order by itself', async () => {
    await helper.load([...modules(), nodeModule('mw-wo-status') as NodeModule], [
      ...flow({ onePer: 'asset' }),
      { id: 'wos1', type: 'mw-wo-status', cmms: 'conn1', mode: 'poll', pollIntervalSeconds: 3600, wires: [['statuses']] },
      { id: 'statuses', type: 'helper' },
    ] as never, creds);
    await run([raised('temp-h', 'bearing-temperature'), raised('vib-h', 'vibration')]);
    const [first] = sim.workOrders('maximo');
    assert.equal(sim.workOrders('maximo').length, 1);
    sim.setStatus('maximo', first.id, 'COMP');
    const statuses = helper.getNode('statuses') as unknown as EventEmitter;
    const done = new Promise<void>((resolve) => statuses.on('input', (m: { payload: { workOrderId?: string; status?: string } }) => {
      if (m.payload.workOrderId === first.id && m.payload.status === 'done') resolve();
    }));
    (helper.getNode('wos1') as Node).receive({ topic: 'poll' } as never);
    await done;
    await run([raised('amps-h', 'motor-current')]);
    assert.equal(sim.workOrders('maximo').length, 2, 'the episode after the done status opens a new work order');
  });

  it('per asset and rule family: the same metric joins, another metric makes its own work order', async () => {
    await helper.load(modules(), flow({ onePer: 'asset-family' }), creds);
    await run([raised('vib-h', 'vibration'), raised('vib-roc', 'vibration', { level: 'ROC' }), raised('temp-h', 'bearing-temperature')]);
    const wos = sim.workOrders('maximo');
    assert.equal(wos.length, 2);
    assert.deepEqual(wos.map((w) => joinNotes(w.fields).length).sort(), [0, 1]);
  });

  it('per asset: a later change of a joined episode goes to the shared work order, its clearing as a note that does not close it', async () => {
    await helper.load(modules(), flow({ onePer: 'asset', onCleared: 'close' }), creds);
    const [a, b] = [raised('temp-h', 'bearing-temperature'), raised('vib-h', 'vibration')];
    await run([a, b]);
    const wo = helper.getNode('wo1') as Node;
    const ok = helper.getNode('ok') as unknown as EventEmitter;
    const cleared = new Promise<Msg>((resolve) => ok.on('input', (m: Msg & { action?: string }) => { if (m.payload.eventId === b.eventId && m.action === 'note') resolve(m); }));
    wo.receive({ payload: { ...b, state: 'cleared' } } as never);
    const r = await cleared;
    const [only] = sim.workOrders('maximo');
    assert.equal(r.payload.workOrderId, only.id);
    assert.notEqual(only.status, 'CLOSE', 'the other episode\'s work is not over');
    assert.match(JSON.stringify(only.fields.worklog), /Condition cleared/);
  });
});

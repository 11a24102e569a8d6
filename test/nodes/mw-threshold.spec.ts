import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { validateMaintenanceEvent, type AssetReadings, type MaintenanceEvent } from '../../nodes/core/contracts';
import { RULE_SCHEMA, type RuleSet } from '../../nodes/core/alarms';
import { DurableState } from '../../nodes/core/state/durable-state';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: unknown; reason?: string; errors?: string[]; keep?: string; _msgid?: string };
type Port = 'events' | 'replies' | 'rejected';

const RULES: RuleSet = {
  classes: {
    pump: [{
      id: 'bearing-temp', metric: 'bearing_temp', name: 'Bearing temperature',
      limits: { H: { value: 85, severity: 'high', priority: 2 }, HH: { value: 95, severity: 'critical', priority: 1 } },
      deadband: 2, staleAfterSeconds: 3600, validRange: { min: -40, max: 200 }, reAlarm: { seconds: 3600 },
    }],
  },
};

function reading(value: number | string, opts: { id?: string; quality?: 'good' | 'bad' | 'uncertain' } = {}): AssetReadings {
  const id = opts.id ?? 'P-101';
  return {
    asset: { id, siteId: 'BEDFORD', location: `BEDFORD/PUMPHOUSE/LINE1/${id}`, class: 'pump' },
    readings: [{ metric: 'bearing_temp', value, unit: '°C', quality: opts.quality ?? 'good', timestamp: new Date().toISOString() }],
    source: { kind: 'opcua', ref: 'ns=2;s=P101.BearingTemp' },
  };
}

function collect() {
  const got: Record<Port, Msg[]> = { events: [], replies: [], rejected: [] };
  const waiters: Array<{ port: Port; pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  for (const port of ['events', 'replies', 'rejected'] as const) {
    (helper.getNode(port) as unknown as EventEmitter).on('input', (m: Msg) => {
      got[port].push(m);
      for (const w of [...waiters]) if (w.port === port && w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
    });
  }
  return {
    got,
    next(port: Port, pred: (m: Msg) => boolean = () => true, ms = 5000): Promise<Msg> {
      const seen = got[port].find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`nothing on ${port} within ${ms} ms: ${JSON.stringify(got)}`)), ms);
        waiters.push({ port, pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
      });
    },
  };
}

const ev = (m: Msg): MaintenanceEvent => m.payload as MaintenanceEvent;
const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mw-threshold node', function () {
  this.timeout(20_000);
  const modules = (): NodeModule[] => [nodeModule('mw-threshold') as NodeModule];
  const flow = (over: Record<string, unknown> = {}) => [
    { id: 'th', type: 'mw-threshold', rules: JSON.stringify(RULES), wires: [['events'], ['replies'], ['rejected']], ...over },
    { id: 'events', type: 'helper' }, { id: 'replies', type: 'helper' }, { id: 'rejected', type: 'helper' },
  ];
  const th = (): Node & { error: { args: unknown[][] }; status: { args: unknown[][] } } => helper.getNode('th') as never;
  const send = (msg: object): void => th().receive(msg as never);

  const userDirOf = withUserDir('mw-th-');

  it('turns a reading over H into one raised event (the contract), keeping the message\'s own properties', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    send({ payload: reading(70), keep: 'me' });
    send({ payload: reading(88), keep: 'me' });
    const raised = await out.next('events');
    assert.equal(validateMaintenanceEvent(raised.payload).ok, true);
    assert.equal(ev(raised).state, 'raised');
    assert.equal(ev(raised).level, 'H');
    assert.equal(raised.topic, 'P-101/bearing-temp');
    assert.equal(raised.keep, 'me');
    send({ payload: reading(89) });
    await settle();
    assert.equal(out.got.events.length, 1, 'still the same episode');
    assert.ok(fs.existsSync(path.join(userDirOf(), 'millwright', 'mw-threshold-th.db')), 'state lives in the user directory');
  });

  it('rejects invalid readings on output 3 with the reasons, unchanged, and reports them to Catch', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    const bad = { asset: { id: 'P-1' }, readings: [] };
    send({ payload: bad });
    const r = await out.next('rejected');
    assert.equal(r.reason, 'invalid');
    assert.deepEqual(r.payload, bad);
    assert.ok(r.errors?.some((e) => /siteId/.test(e)), JSON.stringify(r.errors));
    send({ payload: 42 });
    await out.next('rejected', (m) => m.payload === 42);
    await settle();
    assert.ok(th().error.args.some((a) => /mw-threshold.errors.invalid-input/.test(String((a[0] as Error)?.message ?? a[0]))), 'done(err) reaches node.error');
  });

  it('with invalid settings: a clear error, a red status, and every message refused', async () => {
    await helper.load(modules(), flow({ rules: '{"classes": {"pump": [{"id": "x", "metric": "m", "limits": {"H": {"value": 1, "severity": "urgent"}}}]}}' }));
    const out = collect();
    assert.ok(th().error.args.some((a) => /mw-threshold.errors.invalid-config/.test(String(a[0]))));
    assert.ok(th().status.args.some((a) => (a[0] as { fill?: string }).fill === 'red'));
    send({ payload: reading(90) });
    const r = await out.next('rejected');
    assert.equal(r.reason, 'invalid-config');
    assert.match(String(r.errors), /rule "x": limits\.H\.severity/);
  });

  it('shelve suppresses, unshelve announces; invalid control is refused', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    send({ topic: 'shelve', payload: { assetId: 'P-101', seconds: 600, reason: 'calibration' } });
    const reply = await out.next('replies', (m) => m.topic === 'shelve');
    assert.equal((reply.payload as { mode: string }).mode, 'timed');
    send({ payload: reading(90) });
    await settle();
    assert.equal(out.got.events.length, 0);
    send({ topic: 'unshelve', payload: { assetId: 'P-101' } });
    assert.equal(ev(await out.next('events')).state, 'raised');
    send({ topic: 'shelve', payload: { seconds: 5 } });
    const refused = await out.next('rejected');
    assert.equal(refused.reason, 'invalid-control');
    assert.match(String(refused.errors), /assetId/);
  });

  it('out of service stops alarms for the asset until it is back in service', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    send({ topic: 'out-of-service', payload: { assetId: 'P-101', reason: 'bearing change' } });
    assert.equal((await out.next('replies', (m) => m.topic === 'out-of-service')).payload && true, true);
    send({ payload: reading(99) });
    await settle();
    assert.equal(out.got.events.length, 0);
    send({ topic: 'in-service', payload: { assetId: 'P-101' } });
    await out.next('replies', (m) => m.topic === 'in-service');
    send({ payload: reading(99) });
    assert.equal(ev(await out.next('events')).level, 'HH');
  });

  it('acknowledge marks the episode, and the clear reports it', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    send({ payload: reading(90) });
    const raised = ev(await out.next('events'));
    send({ topic: 'acknowledge', payload: { eventId: raised.eventId } });
    const reply = await out.next('replies', (m) => m.topic === 'acknowledge');
    assert.deepEqual(reply.payload, { acknowledged: [raised.eventId] });
    send({ payload: reading(50) });
    const cleared = ev(await out.next('events', (m) => ev(m).state === 'cleared'));
    assert.equal(cleared.details.acknowledged, true);
  });

  it('health: once on request, then periodically; the status carries the figures', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    send({ payload: reading(90) });
    await out.next('events');
    send({ topic: 'health' });
    const h = await out.next('replies', (m) => m.topic === 'health');
    const figures = h.payload as { active: number; alarmsLast10Min: number; flood: boolean; keys: number };
    assert.equal(figures.active, 1);
    assert.equal(figures.alarmsLast10Min, 1);
    assert.equal(figures.flood, false);
    send({ topic: 'health', payload: { interval: 0.2 } });
    assert.match(String((await out.next('rejected')).errors), /at least 1 s/);
    send({ topic: 'health', payload: { interval: 1 } });
    await out.next('replies', () => out.got.replies.filter((r) => r.topic === 'health').length >= 4, 3500);
    send({ topic: 'health', payload: { interval: 0 } });
    await settle(1200);
    const count = out.got.replies.filter((r) => r.topic === 'health').length;
    await settle(1100);
    assert.equal(out.got.replies.filter((r) => r.topic === 'health').length, count, 'interval 0 stops the reports');
    assert.ok(th().status.args.some((a) => /mw-threshold\.status\.ok/.test(String((a[0] as { text?: string }).text))), JSON.stringify(th().status.args));
  });

  it('takes work-order results and status: an open work order holds the episode, done re-arms it', async () => {
    await helper.load(modules(), flow());
    const out = collect();
    send({ payload: reading(90) });
    const raised = ev(await out.next('events'));
    send({ topic: 'work-order', payload: { eventId: raised.eventId, cmms: 'Maximo', workOrderId: '1042', href: null, outcome: 'created', attempts: 1, latencyMs: 30 } });
    const linked = await out.next('replies', (m) => m.topic === 'work-order');
    assert.deepEqual((linked.payload as { matched: boolean; open: boolean }).matched, true);
    send({ payload: reading(50) });
    await out.next('events', (m) => ev(m).state === 'cleared');
    send({ payload: reading(90) });
    const again = ev(await out.next('events', (m) => ev(m).state === 'raised' && m !== out.got.events[0]));
    assert.equal(again.eventId, raised.eventId, 'work order 1042 is still open: same episode');
    send({ payload: { workOrderId: '1042', assetId: 'P-101', status: 'done', cmmsStatus: 'COMP', changedAt: new Date().toISOString() } });
    const closed = ev(await out.next('events', (m) => ev(m).details.reason === 'work-order-closed'));
    assert.equal(closed.state, 'cleared');
    send({ payload: reading(91) });
    const fresh = ev(await out.next('events', (m) => ev(m).state === 'raised' && ev(m).eventId !== raised.eventId));
    assert.notEqual(fresh.eventId, raised.eventId);
    send({ payload: { workOrderId: '1042', assetId: 'P-101', status: 'finished', cmmsStatus: 'X', changedAt: 'yesterday' } });
    assert.equal((await out.next('rejected')).reason, 'invalid');
  });

  it('raises by timer when the on-delay runs out with no further reading', async () => {
    const rules = { classes: { pump: [{ ...RULES.classes?.pump[0], onDelay: { seconds: 0.2 } }] } };
    await helper.load(modules(), flow({ rules: JSON.stringify(rules) }));
    const out = collect();
    send({ payload: reading(90) });
    await settle();
    assert.equal(out.got.events.length, 0, 'not before the on-delay');
    const raised = await out.next('events');
    assert.equal(ev(raised).state, 'raised');
    assert.equal(raised.topic, 'P-101/bearing-temp');
  });

  it('loads rules from a file in the user directory, the editor rules winning', async () => {
    fs.writeFileSync(path.join(userDirOf(), 'alarm-rules.json'), JSON.stringify({ classes: { pump: [{ id: 'flow', metric: 'flow', limits: { L: { value: 10, severity: 'medium' } } }] } }));
    await helper.load(modules(), flow({ rulesFile: 'alarm-rules.json' }));
    const out = collect();
    send({ payload: { ...reading(5), readings: [{ metric: 'flow', value: 5, quality: 'good', timestamp: new Date().toISOString() }] } });
    assert.equal(ev(await out.next('events')).ruleId, 'flow');
    send({ payload: reading(90) });
    assert.ok(await out.next('events', (m) => ev(m).ruleId === 'bearing-temp'));
  });

  it('the editor\'s "check rules" endpoint names the rule and field of each problem', async () => {
    await helper.load(modules(), flow());
    const good = await helper.request().post('/mw-threshold/check').send({ rules: JSON.stringify(RULES) }).expect(200);
    assert.deepEqual(good.body, { ok: true, errors: [], warnings: [], counts: { classes: 1, rules: 1, assets: 0 } });
    const bad = await helper.request().post('/mw-threshold/check').send({ rules: '{"classes": {"pump": [{"id": "t", "metric": "t", "deadband": -1}]}}' }).expect(200);
    assert.equal(bad.body.ok, false);
    assert.match(bad.body.errors.join('\n'), /class "pump", rule "t": deadband/);
    const missing = await helper.request().post('/mw-threshold/check').send({ rules: '', rulesFile: 'nope.json' }).expect(200);
    assert.match(missing.body.errors[0], /nope\.json/);
  });

  it('the editor\'s "preview" plays a pasted series through the posted rules with the real engine: a raise and a clear', async () => {
    await helper.load(modules(), flow());
    const rules = { classes: { pump: [{ id: 'temp-high', metric: 'temp', limits: { H: { value: 80, severity: 'high' } }, deadband: 2, onDelay: { seconds: 2 } }] } };
    const r = await helper.request().post('/mw-threshold/preview')
      .send({ rules: JSON.stringify(rules), asset: { id: 'P-101', siteId: 'BEDFORD', class: 'pump' }, metric: 'temp', series: '0,70\n10,85\n11,85\n20,85\n30,79\n40,77' }).expect(200);
    assert.deepEqual(r.body.events.map((e: { state: string; level: string; at: number }) => [e.state, e.level, e.at]), [['raised', 'H', 12], ['cleared', 'H', 40]]);
    const bad = await helper.request().post('/mw-threshold/preview').send({ rules: '{"classes": {"pump": [{"id": "t", "metric": "t", "deadband": -1}]}}', metric: 'temp', series: 'x,1' }).expect(400);
    assert.equal(bad.body.error.code, 'bad-request');
    assert.match(bad.body.error.details.join('\n'), /series line 1: "x" is not a time/);
    assert.match(bad.body.error.details.join('\n'), /class "pump", rule "t": deadband/);
  });

  it('the editor\'s rule table reads the runtime\'s own rule schema (GET mw-threshold/rule-schema)', async () => {
    await helper.load(modules(), flow());
    const r = await helper.request().get('/mw-threshold/rule-schema').expect(200);
    assert.deepEqual(r.body, JSON.parse(JSON.stringify(RULE_SCHEMA)));
    assert.deepEqual(r.body.properties.limits.properties.H.properties.severity.enum, ['critical', 'high', 'medium', 'low']);
  });

  it('issue 15 item 8: deadband 0 with no delay is a warning in the editor check and at deploy', async () => {
    const risky: RuleSet = { classes: { pump: [{ id: 'flat', metric: 'bearing_temp', limits: { H: { value: 85, severity: 'high' } } }, { id: 'ok', metric: 'bearing_temp', limits: { H: { value: 85, severity: 'high' } }, onDelay: { seconds: 5 } }] } };
    await helper.load(modules(), flow({ rules: JSON.stringify(risky) }));
    const checked = await helper.request().post('/mw-threshold/check').send({ rules: JSON.stringify(risky) }).expect(200);
    assert.equal(checked.body.ok, true);
    assert.equal(checked.body.warnings.length, 1);
    assert.match(checked.body.warnings[0], /class "pump", rule "flat", limit H: deadband 0 and no on- or off-delay/);
    const warned = (th() as unknown as { warn: { args: unknown[][] } }).warn.args.map((a) => String(a[0]));
    assert.ok(warned.some((w) => w.includes('chatter-risk') || w.includes('deadband 0')), `warned at deploy: ${JSON.stringify(warned)}`);
  });

  it('issue 12 item 12: the key cap warns once per crossing in the log, and the health report counts refused readings', async () => {
    await helper.load(modules(), flow({ maxKeys: 2 }));
    const out = collect();
    for (let i = 0; i < 6; i++) send({ payload: reading(50, { id: `P-${i}` }) });
    for (let i = 0; i < 6; i++) send({ payload: reading(50, { id: `P-${i}` }) });
    await settle(100);
    const warned = (th() as unknown as { warn: { args: unknown[][] } }).warn.args.map((a) => String(a[0])).filter((w) => w.includes('log.cap') || w.includes('signal limit'));
    assert.equal(warned.length, 1, `one warning for one crossing: ${JSON.stringify(warned)}`);
    send({ topic: 'health', payload: {} });
    const h = (await out.next('replies', (m) => m.topic === 'health')).payload as { refused: number; keys: number; maxKeys: number };
    assert.equal(h.keys, 2);
    assert.equal(h.maxKeys, 2);
    assert.equal(h.refused, 8);
  });

  it('survives a restart of the runtime: the active episode is restored, no second raised', async () => {
    await helper.load(modules(), flow());
    let out = collect();
    send({ payload: reading(90) });
    const raised = ev(await out.next('events'));
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
    await new Promise<void>((r) => helper.startServer(() => r()));
    await helper.load(modules(), flow());
    out = collect();
    send({ payload: reading(92) });
    send({ payload: reading(93) });
    // Past the moment a crash recovery would announce active episodes again.
    await settle(1300);
    assert.deepEqual(out.got.events, [], 'no second raised after the restart');
    send({ payload: reading(40) });
    const cleared = ev(await out.next('events'));
    assert.equal(cleared.state, 'cleared');
    assert.equal(cleared.eventId, raised.eventId);
  });

  it('a damaged state file is moved aside with a warning, and alarms keep working', async () => {
    fs.mkdirSync(path.join(userDirOf(), 'millwright'), { recursive: true });
    fs.writeFileSync(path.join(userDirOf(), 'millwright', 'mw-threshold-th.db'), 'this is not a database, it is a disk error'.repeat(200));
    await helper.load(modules(), flow());
    const out = collect();
    const warned = (th() as unknown as { warn: { args: unknown[][] } }).warn.args.map((a) => String(a[0]));
    assert.ok(warned.some((w) => /mw-threshold\.errors\.state-moved/.test(w)), warned.join('\n'));
    assert.ok(fs.readdirSync(path.join(userDirOf(), 'millwright')).some((f) => f.includes('.corrupt-')));
    send({ payload: reading(90) });
    assert.equal(ev(await out.next('events')).state, 'raised');
  });

  it('after a crash (no clean-close mark) announces active episodes again with the same eventId', async () => {
    await helper.load(modules(), flow());
    let out = collect();
    send({ payload: reading(90) });
    const raised = ev(await out.next('events'));
    await helper.unload();
    // What a power cut leaves: the state as committed, without the mark a clean close writes.
    const state = new DurableState(path.join(userDirOf(), 'millwright', 'mw-threshold-th.db'));
    assert.deepEqual(state.get('meta', 'clean') !== undefined, true, 'a clean close marks the file');
    state.delete('meta', 'clean');
    state.close();
    await helper.load(modules(), flow());
    out = collect();
    const again = ev(await out.next('events'));
    assert.equal(again.eventId, raised.eventId);
    assert.equal(again.details.restored, true);
  });
});

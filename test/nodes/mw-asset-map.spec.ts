import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { validateAssetReadings, type AssetReadings } from '../../nodes/core/contracts';
import type { RegistryHandle } from '../../nodes/core/assets/handle';
import type { MapException } from '../../nodes/core/assets/resolve';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Msg = { topic?: string; payload: unknown; reason?: string; [k: string]: unknown };
type StatusCall = { fill?: string; shape?: string; text?: string };

// node-opcua's StatusCode objects, as node-red-contrib-opcua puts them on msg.statusCode.
const opcuaRequire = createRequire(require.resolve('node-red-contrib-opcua/package.json'));
const { StatusCodes } = opcuaRequire('node-opcua-status-code') as { StatusCodes: Record<string, { value: number; name: string }> };

const modules = (): NodeModule[] => ['mw-cmms', 'mw-asset-registry', 'mw-asset-map'].map((n) => nodeModule(n) as NodeModule);

const P101 = { assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101' };
const ROWS = [
  { kind: 'exact', identifier: 'plant/line2/p101/vib', ...P101, metric: 'vibration', unit: 'mm/s', max: 50 },
  { kind: 'mqtt', identifier: 'plant/line2/+/json', ...P101, metric: 'temp', field: 'data.temp', scale: 0.1 },
  { kind: 'opcua', identifier: 'ns=2;s=P101.Pressure', ...P101, metric: 'pressure', unit: 'bar' },
  { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 100, dataType: 'float32', ...P101, metric: 'flow' },
  { kind: 'modbus', connection: 'PLC3', unitId: 1, address: 102, dataType: 'int16', scale: 0.1, assetId: 'PUMP-102', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-102', metric: 'flow' },
  { kind: 'exact', identifier: 'CAM-901', assetId: 'CAM-901', siteId: 'BEDFORD', location: 'AREA2/LINE1/CAM-901', metric: 'inspection' },
  { kind: 'exact', identifier: 'plant/old/pump', assetId: 'PUMP-1O1', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-1O1', metric: 'vibration' },
];

function outputs(): { readings: Msg[]; failures: Msg[]; next(which: 'readings' | 'failures', pred?: (m: Msg) => boolean, ms?: number): Promise<Msg> } {
  const readings: Msg[] = [];
  const failures: Msg[] = [];
  const waiters: Array<{ which: 'readings' | 'failures'; pred: (m: Msg) => boolean; resolve: (m: Msg) => void }> = [];
  const push = (which: 'readings' | 'failures') => (m: Msg): void => {
    (which === 'readings' ? readings : failures).push(m);
    for (const w of [...waiters]) if (w.which === which && w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  };
  (helper.getNode('ok') as unknown as EventEmitter).on('input', push('readings'));
  (helper.getNode('bad') as unknown as EventEmitter).on('input', push('failures'));
  return {
    readings, failures,
    next(which, pred = () => true, ms = 8000) {
      const seen = (which === 'readings' ? readings : failures).find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`nothing matching on ${which} within ${ms} ms; readings ${JSON.stringify(readings)} failures ${JSON.stringify(failures)}`)), ms);
        waiters.push({ which, pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
      });
    },
  };
}

const lastStatus = (n: Node): StatusCall => (n.status as unknown as { lastCall: { args: StatusCall[] } }).lastCall.args[0];
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mw-asset-map node', function () {
  this.timeout(30000);
  let sim: CmmsSim;

  type FlowNode = { id: string; type: string; [k: string]: unknown };
  const flow = (reg: Record<string, unknown> = {}, map: Record<string, unknown> = {}): FlowNode[] => [
    { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
    { id: 'reg1', type: 'mw-asset-registry', cmms: 'conn1', rows: ROWS, ...reg },
    { id: 'map1', type: 'mw-asset-map', registry: 'reg1', wires: [['ok'], ['bad']], ...map },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ];
  const creds = (): Record<string, unknown> => ({ conn1: { apiKey: SIM_CREDENTIALS.maximo.apiKey } });
  const registry = (): RegistryHandle => helper.getNode('reg1') as unknown as RegistryHandle;
  const map = (): Node => helper.getNode('map1') as Node;
  async function load(reg: Record<string, unknown> = {}, mapConfig: Record<string, unknown> = {}): Promise<ReturnType<typeof outputs>> {
    await helper.load(modules(), flow(reg, mapConfig), creds());
    const out = outputs();
    await registry().service?.whenSettled();
    return out;
  }

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  const userDirOf = withUserDir('mw-map-', () => { sim.reset(); });

  it('maps core MQTT in messages — a number, text, a JSON object — to the asset readings contract', async () => {
    const out = await load();
    map().receive({ topic: 'plant/line2/p101/vib', payload: 4.2, qos: 0, retain: false } as never);
    map().receive({ topic: 'plant/line2/p101/vib', payload: '5.5', qos: 1, retain: true } as never);
    map().receive({ topic: 'plant/line2/p777/json', payload: { data: { temp: 412 } }, qos: 0, retain: false } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).readings[0].metric === 'temp');
    assert.equal(out.readings.length, 3);
    for (const m of out.readings) assert.deepEqual(validateAssetReadings(m.payload), { ok: true, value: m.payload });
    assert.deepEqual(out.readings.map((m) => (m.payload as AssetReadings).readings[0].value), [4.2, 5.5, 41.2]);
    assert.equal(out.readings[0].topic, 'plant/line2/p101/vib', 'the message keeps its other properties');
    assert.equal(out.readings[1].retain, true);
    await settle(600);
    assert.deepEqual([lastStatus(map()).fill, lastStatus(map()).text], ['green', 'mw-asset-map.status.counts']);
  });

  it('maps Modbus read and getter messages: a block spanning two pumps gives two messages', async () => {
    const out = await load({}, { connection: 'PLC3' });
    // What node-red-contrib-modbus's read node sends: registers, the raw response and the request.
    map().receive({ topic: 'polling', payload: [0x4148, 0x0000, 0xffe7], responseBuffer: { data: [0x4148, 0, 0xffe7], buffer: Buffer.from([0x41, 0x48, 0, 0, 0xff, 0xe7]) },
      input: { topic: 'polling', from: 'pumps', payload: { unitid: '1', fc: 3, address: '100', quantity: '3', messageId: '5f' } }, sendingNodeId: 'read1' } as never);
    const second = await out.next('readings', (m) => (m.payload as AssetReadings).asset.id === 'PUMP-102');
    const first = out.readings.find((m) => (m.payload as AssetReadings).asset.id === 'PUMP-101')!;
    assert.deepEqual((first.payload as AssetReadings).readings.map((r) => [r.metric, r.value]), [['flow', 12.5]]);
    assert.deepEqual((second.payload as AssetReadings).readings.map((r) => [r.metric, r.value]), [['flow', -2.5]]);
    assert.equal((second.payload as AssetReadings).source.ref, 'PLC3/1/holding/100-102');
    assert.notEqual(first, second);
    // The raw response and the request do not travel on to mw-threshold and mw-work-order.
    for (const m of [first, second]) assert.deepEqual(Object.keys(m).filter((k) => k !== '_msgid').sort(), ['payload', 'sendingNodeId', 'topic']);
    // A getter puts the request in msg.modbusRequest.
    map().receive({ topic: 'get', payload: [0x4148, 0x0000], modbusRequest: { unitid: 1, fc: 3, address: 100, quantity: 2 }, responseBuffer: { data: [0x4148, 0], buffer: Buffer.alloc(4) } } as never);
    const got = await out.next('readings', (m) => m.topic === 'get');
    assert.deepEqual([got.modbusRequest, got.responseBuffer], [undefined, undefined]);
    // Output 2 does not carry them either.
    map().receive({ topic: 'polling', payload: [1], input: { payload: { unitid: '9', fc: 3, address: '9000', quantity: '1' } }, responseBuffer: { data: [1], buffer: Buffer.alloc(2) } } as never);
    const un = await out.next('failures', (m) => m.reason === 'unmapped');
    assert.deepEqual([un.input, un.responseBuffer], [undefined, undefined]);
  });

  it('maps OPC UA client messages with node-opcua status codes and source timestamps', async () => {
    const out = await load();
    const ts = new Date('2026-03-01T09:00:00.000Z');
    map().receive({ topic: 'ns=2;s=P101.Pressure;datatype=Double', datatype: 'Double', payload: 3.25, statusCode: StatusCodes.Good, sourceTimestamp: ts, serverTimestamp: new Date() } as never);
    map().receive({ topic: 'ns=2;s=P101.Pressure', payload: 3.1, statusCode: StatusCodes.UncertainLastUsableValue, sourceTimestamp: ts.getTime(), sourcePicoseconds: 0 } as never);
    map().receive({ topic: 'ns=2;s=P101.Pressure', payload: 0, statusCode: StatusCodes.BadSensorFailure, sourceTimestamp: ts } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).readings[0].quality === 'bad');
    assert.deepEqual(out.readings.map((m) => { const r = (m.payload as AssetReadings).readings[0]; return [r.value, r.quality, r.timestamp]; }), [
      [3.25, 'good', ts.toISOString()], [3.1, 'uncertain', ts.toISOString()], [0, 'bad', ts.toISOString()],
    ]);
  });

  it('maps vision inspection records and keeps the record under payload.inspection', async () => {
    const out = await load();
    const record = { unitId: 'U-1', cameraId: 'CAM-901', timestamp: '2026-03-01T09:30:00Z', result: 'pass', defects: [], measurements: { width: 12.01 }, modelVersion: 'v3' };
    map().receive({ topic: 'vision/cam901', payload: record } as never);
    const m = await out.next('readings');
    const p = m.payload as AssetReadings;
    assert.equal(p.asset.id, 'CAM-901');
    assert.deepEqual(p.inspection, record);
    assert.deepEqual(p.readings.map((r) => [r.metric, r.value]), [['inspection', 'pass'], ['width', 12.01]]);
  });

  it('sends unmapped identifiers to output 2, counts them in the status and lists them on request', async () => {
    const out = await load();
    for (let i = 0; i < 3; i++) map().receive({ topic: 'plant/unknown/a', payload: 1 } as never);
    map().receive({ topic: 'plant/unknown/b', payload: 1 } as never);
    const u = await out.next('failures', (m) => (m.payload as MapException).identifier === 'plant/unknown/b');
    assert.equal(u.reason, 'unmapped');
    assert.equal(u.topic, 'plant/unknown/b');
    await settle(600);
    assert.deepEqual([lastStatus(map()).fill, lastStatus(map()).text], ['yellow', 'mw-asset-map.status.counts']);
    map().receive({ unmapped: true } as never);
    const list = await out.next('failures', (m) => m.topic === 'unmapped');
    assert.deepEqual((list.payload as Array<{ identifier: string; count: number }>).map((x) => [x.identifier, x.count]), [['plant/unknown/a', 3], ['plant/unknown/b', 1]]);
    const api = await helper.request().get('/mw-asset-map/map1/unmapped').expect(200);
    assert.equal(api.body.length, 2);
    map().receive({ reset: true } as never);
    await out.next('failures', (m) => m.topic === 'reset');
    map().receive({ unmapped: 1 } as never);
    const empty = await out.next('failures', (m) => m.topic === 'unmapped' && Array.isArray(m.payload) && m.payload.length === 0);
    assert.deepEqual(empty.payload, []);
  });

  it('never crashes on bad input: the reason goes to output 2 and, for bad messages, to Catch via done(err)', async () => {
    const out = await load({}, { connection: 'PLC3' });
    const n = map() as Node & { error: { args: unknown[][] } };
    const bad: unknown[] = [
      { payload: 3 },
      { topic: 'plant/line2/p101/vib', payload: Number.NaN },
      { topic: 'plant/line2/p101/vib', payload: 'very high' },
      { topic: 'polling', payload: [0x4148], input: { payload: { unitid: 1, fc: 3, address: 100, quantity: 2 } } },
      { topic: 'plant/line2/p777/json', payload: JSON.parse('{"__proto__":{"x":1},"data":{"temp":5}}') as unknown },
      { topic: 'plant/line2/p101/vib', payload: 'x'.repeat(3 * 1024 * 1024) },
      { topic: 'plant/line2/p101/vib', payload: 99 },
    ];
    for (const m of bad) map().receive(m as never);
    await out.next('failures', (m) => m.reason === 'out-of-range');
    await settle(200);
    assert.deepEqual(out.failures.map((m) => m.reason), ['invalid', 'decode-error', 'decode-error', 'decode-error', 'invalid', 'out-of-range']);
    assert.equal(out.readings.length, 2, 'the __proto__ payload still maps its good field, and the out-of-range value flows on as bad');
    assert.equal((out.readings[1].payload as AssetReadings).readings[0].quality, 'bad');
    assert.equal(({} as Record<string, unknown>).x, undefined);
    // Invalid and decode errors reach Catch nodes once per identifier per minute: plant/line2/p101/vib's second
    // decode error and its invalid huge payload are on output 2 but not reported again.
    assert.equal(n.error.args.length, 3, 'invalid and decode errors reach Catch nodes, once per identifier');
    assert.match(String((n.error.args[1][0] as Error).message ?? n.error.args[1][0]), /decode-error: plant\/line2\/p101\/vib vibration: NaN/);
    // A sensor publishing "ERR" every second: output 2 every time, Catch once, every one counted.
    for (let i = 0; i < 5; i++) map().receive({ topic: 'plant/line2/p777/json', payload: 'ERR' } as never);
    await settle(700);
    assert.equal(out.failures.filter((m) => m.topic === 'plant/line2/p777/json').length, 5);
    assert.equal(n.error.args.length, 4);
    const counters = (map() as Node & { counters: () => Record<string, number> }).counters();
    assert.deepEqual([counters['decode-error'], counters.quieted], [8, 6]);
    assert.match(String(lastStatus(map()).text), /mw-asset-map\.status\.counts/);
  });

  it('verifies the map against the CMMS on msg.verify; results survive a redeploy; unverified assets are held back when required', async () => {
    const out = await load({ requireVerified: true });
    map().receive({ topic: 'plant/line2/p101/vib', payload: 1 } as never);
    const held = await out.next('failures', (m) => m.reason === 'unverified');
    assert.match(JSON.stringify(held.payload), /not verified against the CMMS yet/);

    map().receive({ verify: true } as never);
    const report = await out.next('failures', (m) => m.topic === 'verify', 15000);
    const r = report.payload as { summary: { counts: Record<string, number>; dialect: string }; problems: Array<{ assetId: string; status: string; rows: string; suggestions?: Array<{ assetId: string }> }> };
    assert.equal(r.summary.dialect, 'maximo');
    assert.deepEqual(r.summary.counts.ok, 3);
    const old = r.problems.find((p) => p.assetId === 'PUMP-1O1')!;
    assert.equal(old.status, 'decommissioned');
    assert.equal(old.rows, 'editor row 7');
    assert.equal(old.suggestions?.[0].assetId, 'PUMP-101');

    map().receive({ topic: 'plant/line2/p101/vib', payload: 2 } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 2);
    map().receive({ topic: 'plant/old/pump', payload: 2 } as never);
    await out.next('failures', (m) => m.reason === 'unverified' && /decommissioned/.test(JSON.stringify(m.payload)));

    const api = await helper.request().get('/mw-asset-registry/reg1/verification?status=decommissioned').expect(200);
    assert.deepEqual(api.body.results.map((x: { assetId: string }) => x.assetId), ['PUMP-1O1']);

    // A redeploy (the runtime restarting the nodes) keeps the verification.
    await helper.setFlows(flow({ requireVerified: true }), 'full', creds());
    const again = outputs();
    await registry().service?.whenSettled();
    assert.equal(registry().service?.summary?.counts.ok, 3);
    map().receive({ topic: 'plant/line2/p101/vib', payload: 3 } as never);
    await again.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 3);
  });

  it('the registry registers with its mw-cmms as a user (the connection starts following the link for it) and deregisters on close', async () => {
    await load();
    const conn = helper.getNode('conn1') as unknown as { health: { state: string }; register(u: Node): void; deregister(u: Node): void };
    await helper.request().post('/mw-asset-registry/reg1/verify').expect(200);
    // The registry is the flow's only user of conn1: the link is followed only because it registered.
    for (let i = 0; i < 200 && conn.health.state === 'unknown'; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(conn.health.state, 'connected');
    const left: unknown[] = [];
    const deregister = conn.deregister.bind(conn);
    conn.deregister = (u) => { left.push((u as { id: string }).id); deregister(u); };
    await helper.unload();
    assert.ok(left.includes('reg1'), `deregistered: ${JSON.stringify(left)}`);
  });

  it('verifies through the editor\'s admin API and checks pasted rows with line numbers', async () => {
    await load();
    const v = await helper.request().post('/mw-asset-registry/reg1/verify').expect(200);
    assert.equal(v.body.summary.counts.ok, 3);
    await helper.request().post('/mw-asset-registry/nope/verify').expect(404);
    const checked = await helper.request().post('/mw-asset-registry/check')
      .send({ text: 'kind,identifier,assetId,siteId,location,metric,scale\nexact,a,P1,S1,L,m,2\nexact,b,P1,S1,L,m,two\n', format: 'auto' }).expect(200);
    assert.equal(checked.body.rows.length, 2);
    assert.deepEqual(checked.body.rows[0], { kind: 'exact', identifier: 'a', assetId: 'P1', siteId: 'S1', location: 'L', metric: 'm', scale: 2 });
    assert.deepEqual(checked.body.errors, ['import line 3: field "scale": must be number']);
    const json = await helper.request().post('/mw-asset-registry/check').send({ text: '[{"kind":"exact","identifier":"x","assetId":"P","siteId":"S","location":"L","metric":"m"}, 3]', format: 'json' }).expect(200);
    assert.equal(json.body.rows.length, 1);
    assert.deepEqual(json.body.errors, ['import row 2: a row must be an object']);
    await helper.request().post('/mw-asset-registry/check').send({ nothing: true }).expect(400);
    const rows = await helper.request().post('/mw-asset-registry/check').send({ rows: [ROWS[0], ROWS[0]] }).expect(200);
    assert.match(rows.body.errors[0], /editor row 2: .* already mapped by editor row 1/);
    // The editor shows each row's verification status by the key the runtime computes (no browser copy of the rules).
    assert.deepEqual(rows.body.keys, ['PUMP-101|BEDFORD|BEDFORD/AREA1/LINE2/PUMP-101', 'PUMP-101|BEDFORD|BEDFORD/AREA1/LINE2/PUMP-101']);
    const keyed = await helper.request().post('/mw-asset-registry/check').send({ rows: [{ assetId: 'P1', siteId: 'S1', location: 'S1/A' }, { assetId: 'P2' }] }).expect(200);
    assert.deepEqual(keyed.body.keys, ['P1|S1|S1/A', null]);
    assert.ok(v.body.problems.every((p: { assetId: string }) => typeof p.assetId === 'string'));
    const verification = await helper.request().get('/mw-asset-registry/reg1/verification').expect(200);
    assert.ok((verification.body.results as Array<{ key: string }>).some((r) => r.key === rows.body.keys[0]), 'the keys the editor gets are the ones the results are stored under');
    // A registry added in the editor but not deployed: the dialog's question is answered, not failed
    // (a 404 is a red console error in the browser); verifying it still needs a deploy.
    const fresh = await helper.request().get('/mw-asset-registry/not-deployed-yet/verification').expect(200);
    assert.equal(fresh.body.state, 'not-deployed');
    assert.deepEqual(fresh.body.results, []);
    assert.ok(String(fresh.body.notice).length > 0);
    await helper.request().post('/mw-asset-registry/not-deployed-yet/verify').expect(404);
  });

  it('reloads the mapping file without a redeploy and keeps the last good map when the file breaks', async () => {
    const header = 'kind,identifier,assetId,siteId,location,metric\n';
    fs.writeFileSync(path.join(userDirOf(), 'map.csv'), `${header}exact,file/a,PUMP-201,NASHUA,AREA1/LINE1/PUMP-201,vibration\n`);
    const out = await load({ rows: [], file: 'map.csv' });
    map().receive({ topic: 'file/a', payload: 1 } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).asset.id === 'PUMP-201');
    const service = registry().service!;
    const reloaded = new Promise<void>((resolve) => service.once('loaded', () => resolve()));
    fs.writeFileSync(path.join(userDirOf(), 'map.csv'), `${header}exact,file/a,PUMP-301,LAREDO,AREA1/LINE1/PUMP-301,vibration\n`);
    await reloaded;
    map().receive({ topic: 'file/a', payload: 2 } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).asset.id === 'PUMP-301');
    const failed = new Promise<void>((resolve) => service.once('load-failed', () => resolve()));
    fs.writeFileSync(path.join(userDirOf(), 'map.csv'), `${header}exact,file/a,PUMP-301,LAREDO,,vibration\n`);
    await failed;
    const reg = helper.getNode('reg1') as Node & { error: { args: unknown[][] } };
    assert.match(String(reg.error.args.at(-1)?.[0]), /mw-asset-registry\.errors\.load-kept/);
    map().receive({ topic: 'file/a', payload: 3 } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 3 && (m.payload as AssetReadings).asset.id === 'PUMP-301');
    await settle(600);
    assert.deepEqual([lastStatus(map()).fill, lastStatus(map()).text], ['yellow', 'mw-asset-map.status.map-kept']);
  });

  it('a redeploy whose editor rows have an error keeps mapping with the last good map, and says which row', async () => {
    const out = await load();
    map().receive({ topic: 'plant/line2/p101/vib', payload: 1 } as never);
    await out.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 1);
    // The case: a pasted row without location (and one with kind foo) deployed.
    const bad = [...ROWS, { kind: 'exact', identifier: 'plant/new/x', assetId: 'PUMP-9', siteId: 'BEDFORD', metric: 'temp' }];
    await helper.setFlows(flow({ rows: bad }), 'full', creds());
    const again = outputs();
    const s = registry().service!;
    await s.whenSettled();
    assert.equal(s.lastLoad?.ok, false);
    assert.match(s.lastLoad!.errors[0], /^editor row 8: field "location" is missing/);
    assert.equal(s.keptLastGood, true);
    const reg = helper.getNode('reg1') as Node & { error: { args: unknown[][] } };
    assert.match(String(reg.error.args.at(-1)?.[0]), /mw-asset-registry\.errors\.load-kept/);
    map().receive({ topic: 'plant/line2/p101/vib', payload: 2 } as never);
    const kept = await again.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 2);
    assert.equal((kept.payload as AssetReadings).asset.id, 'PUMP-101');
    assert.equal(again.failures.filter((m) => m.reason === 'unmapped').length, 0);
    await settle(600);
    assert.deepEqual([lastStatus(map()).fill, lastStatus(map()).text], ['yellow', 'mw-asset-map.status.map-kept']);
    // A second bad deploy still has the map; the first good one replaces it.
    await helper.setFlows(flow({ rows: bad }), 'full', creds());
    const third = outputs();
    await registry().service!.whenSettled();
    map().receive({ topic: 'plant/line2/p101/vib', payload: 3 } as never);
    await third.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 3);
    const fixed = [...ROWS.slice(1), { ...ROWS[0], assetId: 'PUMP-777', location: 'AREA1/LINE2/PUMP-777' }];
    await helper.setFlows(flow({ rows: fixed }), 'full', creds());
    const fourth = outputs();
    await registry().service!.whenSettled();
    assert.equal(registry().service!.keptLastGood, false);
    map().receive({ topic: 'plant/line2/p101/vib', payload: 4 } as never);
    const now = await fourth.next('readings', (m) => (m.payload as AssetReadings).readings[0].value === 4);
    assert.equal((now.payload as AssetReadings).asset.id, 'PUMP-777');
  });

  it('holds messages that arrive while the map loads for the first time, then maps them', async () => {
    const lines = ['kind,identifier,assetId,siteId,location,metric'];
    for (let i = 0; i < 30000; i++) lines.push(`exact,big/${i},PUMP-${i},BEDFORD,AREA1/LINE1,vibration`);
    fs.writeFileSync(path.join(userDirOf(), 'big.csv'), `${lines.join('\n')}\n`);
    await helper.load(modules(), flow({ rows: [], file: 'big.csv' }), creds());
    const out = outputs();
    assert.equal(registry().service?.state, 'loading', 'the first message arrives before the map is there');
    map().receive({ topic: 'big/29999', payload: 7 } as never);
    const m = await out.next('readings', undefined, 15000);
    assert.equal((m.payload as AssetReadings).asset.id, 'PUMP-29999');
    assert.equal(out.failures.length, 0);
  });

  it('refuses invalid settings with a clear error and a red status, without crashing', async () => {
    await helper.load(modules(), flow({ opcuaNamespaces: 'two = urn:x' }, { source: 'carrier-pigeon' }), creds());
    const out = outputs();
    const reg = helper.getNode('reg1') as Node & { error: { args: unknown[][] } };
    assert.match(String(reg.error.args[0][0]), /mw-asset-registry\.errors\.invalid-config/);
    assert.equal(registry().service, null);
    await settle(600);
    assert.deepEqual([lastStatus(map()).fill, lastStatus(map()).text], ['red', 'mw-asset-map.status.invalid-config']);
    map().receive({ topic: 'plant/line2/p101/vib', payload: 1 } as never);
    const f = await out.next('failures');
    assert.equal(f.reason, 'unmapped');
    map().receive({ verify: true } as never);
    await settle(100);
    const n = map() as Node & { error: { args: unknown[][] } };
    assert.ok(n.error.args.some((a) => /registry-invalid/.test(String((a[0] as Error)?.message ?? a[0]))));
  });
});

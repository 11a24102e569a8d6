import assert from 'node:assert/strict';
import fc from 'fast-check';
import { validateAssetReadings } from '../../nodes/core/contracts';
import { emptyNamespaces } from '../../nodes/core/assets/opcua';
import { RegistryLoader, type Registry } from '../../nodes/core/assets/registry';
import { mapMessage, type InputMessage, type MapContext, type MapResult } from '../../nodes/core/assets/resolve';

type Rec = Record<string, unknown>;
const NOW = Date.UTC(2026, 2, 1, 10, 0, 0);
const P101 = { assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101', class: 'PUMP', criticality: 2 };
const P102 = { assetId: 'PUMP-102', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-102' };

function registry(rows: Rec[]): Registry {
  const loader = new RegistryLoader(emptyNamespaces());
  rows.forEach((r, i) => loader.add(r, { source: 'editor', line: i + 1, byRow: true }));
  const r = loader.finish(NOW);
  assert.deepEqual(r.errors, []);
  return r.registry!;
}

const ROWS: Rec[] = [
  { kind: 'exact', identifier: 'plant/line2/p101/vib', ...P101, metric: 'vibration', unit: 'mm/s', min: 0, max: 50 },
  { kind: 'mqtt', identifier: 'plant/line2/p102/#', ...P102, metric: 'temp', field: 'data.temp', unit: '°C', scale: 0.1 },
  { kind: 'mqtt', identifier: 'plant/line2/p102/#', ...P102, metric: 'vib', unit: 'mm/s' },
  { kind: 'mqtt', identifier: 'plant/line2/+/status', ...P101, metric: 'running', bit: 0 },
  { kind: 'opcua', identifier: 'ns=2;s=P101.Pressure', ...P101, metric: 'pressure', unit: 'bar' },
  { kind: 'modbus', unitId: 1, table: 'holding', address: 100, dataType: 'float32', wordOrder: 'CDAB', ...P101, metric: 'flow', unit: 'm3/h' },
  { kind: 'modbus', unitId: 1, table: 'holding', address: 102, dataType: 'int16', scale: 0.1, ...P102, metric: 'flow', unit: 'm3/h' },
  { kind: 'modbus', unitId: 1, table: 'holding', address: 103, addressEnd: 104, ...P102, metric: 'zone' },
  { kind: 'modbus', unitId: 1, table: 'coil', address: 0, ...P101, metric: 'running' },
  { kind: 'exact', identifier: 'CAM-901', assetId: 'CAM-901', siteId: 'BEDFORD', location: 'AREA2/LINE1/CAM-901', metric: 'inspection' },
];

describe('assets: mapping protocol messages to asset readings', () => {
  const reg = registry(ROWS);
  const ctx = (over: Partial<MapContext> = {}): MapContext => ({ registry: reg, requireVerified: false, source: 'auto', now: NOW, connections: [], ...over });
  const run = (msg: InputMessage, over: Partial<MapContext> = {}): MapResult => {
    const r = mapMessage(msg, ctx(over));
    for (const out of r.readings) assert.deepEqual(validateAssetReadings(out), { ok: true, value: out }, 'every output follows the v1 contract');
    return r;
  };

  it('maps an MQTT number, numeric text and a JSON object with several fields', () => {
    const a = run({ topic: 'plant/line2/p101/vib', payload: 4.2 });
    assert.equal(a.kind, 'mqtt');
    assert.deepEqual(a.readings, [{
      asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101', class: 'PUMP', criticality: 2 },
      readings: [{ metric: 'vibration', value: 4.2, quality: 'good', timestamp: new Date(NOW).toISOString(), unit: 'mm/s' }],
      source: { kind: 'mqtt', ref: 'plant/line2/p101/vib' },
    }]);
    assert.equal(run({ topic: 'plant/line2/p101/vib', payload: ' 4.5 ' }).readings[0].readings[0].value, 4.5);
    assert.equal(run({ topic: 'plant/line2/p101/vib', payload: Buffer.from('4.75') }).readings[0].readings[0].value, 4.75);
    const json = run({ topic: 'plant/line2/p102/all', payload: '{"data":{"temp":215},"vib":1.5,"ts":"2026-03-01T09:59:00Z","quality":"uncertain"}' });
    assert.equal(json.readings.length, 1);
    assert.deepEqual(json.readings[0].readings.map((r) => [r.metric, r.value, r.quality, r.timestamp]), [
      ['temp', 21.5, 'uncertain', '2026-03-01T09:59:00.000Z'], ['vib', 1.5, 'uncertain', '2026-03-01T09:59:00.000Z'],
    ]);
    const partial = run({ topic: 'plant/line2/p102/x', payload: { vib: 2 } });
    assert.deepEqual(partial.readings[0].readings.map((r) => r.metric), ['vib']);
    assert.deepEqual(partial.exceptions.map((e) => [e.reason, e.metrics, e.errors]), [['missing-field', ['temp'], ['temp: field "data.temp" is not in the payload']]],
      'a configured field the payload lacks is reported, not dropped');
    const bits = run({ topic: 'plant/line2/p7/status', payload: 5 });
    assert.equal(bits.readings[0].readings[0].value, true);
  });

  it('maps an OPC UA value with its status code and source timestamp', () => {
    const good = run({ topic: 'ns=2;s=P101.Pressure;datatype=Double', payload: 3.25, statusCode: { value: 0 }, sourceTimestamp: new Date('2026-03-01T09:00:00Z'), serverTimestamp: new Date() });
    assert.equal(good.kind, 'opcua');
    assert.deepEqual(good.readings[0].readings, [{ metric: 'pressure', value: 3.25, quality: 'good', timestamp: '2026-03-01T09:00:00.000Z', unit: 'bar' }]);
    const uncertain = run({ topic: 'ns=2;s=P101.Pressure', payload: 3, statusCode: 0x40920000 });
    assert.equal(uncertain.readings[0].readings[0].quality, 'uncertain');
    const bad = run({ topic: 'ns=2;s=P101.Pressure', payload: 0, statusCode: { value: 0x80000000 >>> 0 }, sourceTimestamp: 1772355600000 });
    assert.equal(bad.readings[0].readings[0].quality, 'bad');
    assert.equal(bad.readings[0].readings[0].timestamp, new Date(1772355600000).toISOString());
    const wrapped = run({ topic: 'ns=2;s=P101.Pressure', payload: { value: 2.5, statusCode: 'BadSensorFailure', sourceTimestamp: '2026-03-01T08:00:00Z' } });
    assert.deepEqual([wrapped.readings[0].readings[0].value, wrapped.readings[0].readings[0].quality], [2.5, 'bad']);
  });

  it('turns one Modbus block spanning two pumps into two messages with decoded engineering values', () => {
    // 12.5 as float32 CDAB is 0x0000 0x4148; int16 -25 × 0.1; two zone registers.
    const msg = { topic: 'polling', payload: [0x0000, 0x4148, 0xffe7, 7, 8], responseBuffer: { data: [0, 0x4148, 0xffe7, 7, 8], buffer: Buffer.alloc(10) },
      input: { topic: 'polling', from: 'read pumps', payload: { unitid: '1', fc: 3, address: '100', quantity: '5', messageId: 'x' } }, sendingNodeId: 'r1' };
    const r = run(msg, { connections: ['PLC3'] });
    assert.equal(r.kind, 'modbus');
    assert.deepEqual(r.readings.map((o) => [o.asset.id, o.readings.map((x) => [x.metric, x.value, x.unit])]), [
      ['PUMP-101', [['flow', 12.5, 'm3/h']]],
      ['PUMP-102', [['flow', -2.5, 'm3/h'], ['zone.1', 7, undefined], ['zone.2', 8, undefined]]],
    ]);
    assert.equal(r.readings[0].source.ref, 'PLC3/1/holding/100-104');
    const getter = run({ payload: [true, false], modbusRequest: { unitid: 1, fc: 1, address: 0, quantity: 1 } });
    assert.deepEqual(getter.readings[0].readings.map((x) => [x.metric, x.value]), [['running', true]]);
  });

  it('keeps a vision inspection record under payload.inspection', () => {
    const record = { unitId: 'U-77', timestamp: '2026-03-01T09:30:00Z', cameraId: 'CAM-901', product: 'BRKT-9', result: 'fail',
      defects: [{ type: 'scratch', severity: 'minor', confidence: 0.93 }], measurements: { width: 12.02, points: [1, 2] }, modelVersion: 'v3' };
    const r = run({ topic: 'vision/cam901', payload: record });
    assert.equal(r.kind, 'vision');
    assert.deepEqual(r.readings[0].readings.map((x) => [x.metric, x.value, x.quality]), [['inspection', 'fail', 'good'], ['width', 12.02, 'good']]);
    assert.deepEqual(r.readings[0].inspection, record);
    assert.equal(r.readings[0].readings[0].timestamp, '2026-03-01T09:30:00.000Z');
  });

  it('sends what cannot be mapped to the exceptions with the reason and the original identifier', () => {
    const un = run({ topic: 'plant/unknown', payload: 1 });
    assert.deepEqual(un.readings, []);
    assert.deepEqual(un.exceptions, [{ reason: 'unmapped', identifier: 'plant/unknown', source: { kind: 'mqtt', ref: 'plant/unknown' }, errors: ['topic "plant/unknown" is not in the asset registry'] }]);
    const range = run({ topic: 'plant/line2/p101/vib', payload: 80 });
    assert.equal(range.readings[0].readings[0].quality, 'bad', 'an out-of-range value still flows, marked bad');
    assert.deepEqual(range.exceptions.map((e) => [e.reason, e.assets, e.metrics]), [['out-of-range', ['PUMP-101'], ['vibration']]]);
    assert.match(range.exceptions[0].errors[0], /80 is outside the valid range 0…50/);
    const mb = run({ payload: [1, 2], input: { payload: { unitid: 9, fc: 3, address: 5000, quantity: 2 } } });
    assert.equal(mb.exceptions[0].reason, 'unmapped');
    assert.equal(mb.exceptions[0].identifier, '*/9/holding/5000-5001');
    const none = mapMessage({ topic: 'x', payload: 1 }, ctx({ registry: null, noRegistry: 'pumps.csv line 3: bad' }));
    assert.match(none.exceptions[0].errors[0], /no asset map loaded: pumps\.csv line 3: bad/);
  });

  it('holds back readings of unverified assets when the registry requires verification', () => {
    const r = run({ topic: 'plant/line2/p101/vib', payload: 1 }, { requireVerified: true });
    assert.deepEqual(r.readings, []);
    assert.deepEqual(r.exceptions.map((e) => [e.reason, e.errors]), [['unverified', ['PUMP-101 at BEDFORD: not verified against the CMMS yet']]]);
    const row = reg.lookupId('plant/line2/p101/vib')!;
    const before = row.target.check;
    try {
      row.target.check = { status: 'ok', checkedAt: '2026-03-01T00:00:00Z', cmmsId: 'abc123' };
      const ok = run({ topic: 'plant/line2/p101/vib', payload: 1 }, { requireVerified: true, cmmsDialect: 'servicenow' });
      assert.deepEqual(ok.readings[0].asset.custom, { cmdbCi: 'abc123' }, 'the CMMS internal id rides along for the work order');
      row.target.check = { status: 'decommissioned', checkedAt: '2026-03-01T00:00:00Z' };
      assert.match(run({ topic: 'plant/line2/p101/vib', payload: 1 }, { requireVerified: true }).exceptions[0].errors[0], /verification found decommissioned/);
    } finally {
      row.target.check = before;
    }
  });

  it('never crashes on bad input: missing topic, NaN, text for numbers, wrong lengths, __proto__, huge payloads', () => {
    const reason = (msg: InputMessage, over: Partial<MapContext> = {}): string[] => run(msg, over).exceptions.map((e) => `${e.reason}: ${e.errors.join('; ')}`);
    assert.match(reason({ payload: 1 })[0], /^invalid: msg.topic is missing/);
    assert.match(reason({ topic: 42, payload: 1 })[0], /^invalid: msg.topic is 42/);
    assert.match(reason({ topic: 'x'.repeat(5000), payload: 1 })[0], /^invalid: msg.topic is 5000 characters/);
    assert.match(reason({ topic: 'plant/line2/p101/vib', payload: Number.NaN })[0], /^decode-error: vibration: NaN is not a finite number/);
    assert.match(reason({ topic: 'plant/line2/p101/vib', payload: 'high' })[0], /^decode-error: vibration: expected a number, got "high"/);
    assert.match(reason({ topic: 'plant/line2/p101/vib', payload: null })[0], /^invalid: msg.payload is null/);
    assert.match(reason({ topic: 'plant/line2/p101/vib', payload: [1, 2] })[0], /^invalid: msg.payload is an array of 2/);
    assert.match(reason({ topic: 'plant/line2/p101/vib', payload: '{"broken' })[0], /^invalid: the payload starts like JSON/);
    assert.match(reason({ topic: 'plant/line2/p101/vib', payload: 'x'.repeat(2 * 1024 * 1024) })[0], /^invalid: a payload of 2097152 characters/);
    assert.match(reason({ payload: [0x4148], input: { payload: { unitid: 1, fc: 3, address: 100, quantity: 2 } } })[0], /^decode-error: flow: register 2 is missing \(the block has 1\)/);
    assert.match(reason({ payload: 'x', input: { payload: { fc: 3, address: 0 } } }, { source: 'modbus' })[0], /^invalid: msg.payload is "x", not the array/);
    assert.match(reason({ payload: [1], input: { payload: { fc: 16, address: 0 } } })[0], /^invalid: function code 16 is not a read/);
    assert.match(reason({ payload: [1], input: { payload: { fc: 3, address: 'abc' } } })[0], /^invalid: the request's address is "abc"/);
    assert.match(reason({ payload: new Array(70000).fill(0), input: { payload: { fc: 3, address: 0 } } })[0], /^invalid: msg.payload has 70000 values/);
    const proto = run({ topic: 'plant/line2/p102/x', payload: JSON.parse('{"__proto__":{"polluted":1},"vib":3}') as unknown });
    assert.deepEqual(proto.readings[0].readings.map((r) => r.value), [3]);
    assert.equal(({} as Rec).polluted, undefined);
    const vision = run({ topic: 't', payload: JSON.parse('{"cameraId":"CAM-901","result":"pass","defects":[],"__proto__":{"x":1},"nested":{"constructor":{"y":2},"ok":1}}') as unknown });
    assert.deepEqual(vision.readings[0].inspection, { cameraId: 'CAM-901', result: 'pass', defects: [], nested: { ok: 1 } });
  });

  it('never throws and always follows the contract, whatever arrives (property)', () => {
    const topics = fc.constantFrom('plant/line2/p101/vib', 'plant/line2/p102/a', 'ns=2;s=P101.Pressure', 'CAM-901', 'nope', '', '$SYS/x');
    fc.assert(fc.property(
      fc.record({ topic: fc.oneof(topics, fc.anything()), payload: fc.anything({ withBigInt: true, withDate: true, withTypedArray: true, withNullPrototype: true }),
        input: fc.option(fc.record({ payload: fc.record({ fc: fc.anything(), address: fc.anything(), unitid: fc.anything(), quantity: fc.anything() }) })),
        statusCode: fc.anything(), sourceTimestamp: fc.anything() }, { requiredKeys: [] }),
      fc.boolean(),
      (msg, requireVerified) => {
        const r = mapMessage(msg as InputMessage, ctx({ requireVerified }));
        for (const out of r.readings) assert.ok(validateAssetReadings(out).ok, JSON.stringify(out));
        assert.ok(r.readings.length > 0 || r.exceptions.length > 0, 'every message ends somewhere');
      },
    ), { numRuns: 2000 });
  });
});

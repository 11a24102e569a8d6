import assert from 'node:assert/strict';
import { validateAssetReadings } from '../../nodes/core/contracts';
import { emptyNamespaces } from '../../nodes/core/assets/opcua';
import { RegistryLoader, type Registry } from '../../nodes/core/assets/registry';
import { mapMessage, type InputMessage, type MapContext, type MapResult } from '../../nodes/core/assets/resolve';

// What the real protocol nodes send (issue 13): one message per asset, lost links as bad readings,
// the protocol nodes' housekeeping messages, Modbus defaults, MQTT JSON fields and batches.
type Rec = Record<string, unknown>;
const NOW = Date.UTC(2026, 2, 1, 10, 0, 0);
const P201 = { assetId: 'PUMP-201', siteId: 'BEDFORD', location: 'AREA1/LINE3/PUMP-201' };

function registry(rows: Rec[]): Registry {
  const loader = new RegistryLoader(emptyNamespaces());
  rows.forEach((r, i) => loader.add(r, { source: 'editor', line: i + 1, byRow: true }));
  const r = loader.finish(NOW);
  assert.deepEqual(r.errors, []);
  return r.registry!;
}

const ROWS: Rec[] = [
  // Only the first row of the asset says its class and criticality; the others leave them empty.
  { kind: 'modbus', unitId: 1, address: 200, dataType: 'int16', scale: 0.1, ...P201, class: 'PUMP', criticality: 1, metric: 'temp', unit: '°C' },
  { kind: 'modbus', unitId: 1, address: 201, ...P201, metric: 'speed', unit: 'rpm' },
  { kind: 'modbus', unitId: 1, address: 202, ...P201, workGroup: 'MECH', metric: 'starts' },
  { kind: 'opcua', identifier: 'ns=2;s=P201.Temp', ...P201, metric: 'opcTemp', unit: '°C' },
];

describe('assets: real protocol messages (issue 13)', () => {
  const reg = registry(ROWS);
  const ctx = (over: Partial<MapContext> = {}): MapContext => ({ registry: reg, requireVerified: false, source: 'auto', now: NOW, connections: [], ...over });
  const run = (msg: InputMessage, over: Partial<MapContext> = {}): MapResult => {
    const r = mapMessage(msg, ctx(over));
    for (const out of r.readings) assert.deepEqual(validateAssetReadings(out), { ok: true, value: out }, 'every output follows the v1 contract');
    return r;
  };

  it('one Modbus block of one asset whose rows give different attributes is one message with one merged asset', () => {
    const r = run({ payload: [853, 1450, 3], input: { payload: { unitid: '1', fc: 3, address: '200', quantity: '3' } } });
    assert.equal(r.readings.length, 1, 'one asset, one message');
    assert.deepEqual(r.readings[0].asset, { id: 'PUMP-201', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE3/PUMP-201', class: 'PUMP', criticality: 1, workGroup: 'MECH' });
    assert.deepEqual(r.readings[0].readings.map((x) => [x.metric, x.value]), [['temp', 85.3], ['speed', 1450], ['starts', 3]]);
  });

  it('an OPC UA Bad or Uncertain status with a null or missing value is a reading of that quality, not an exception', () => {
    // node-red-contrib-opcua when the PLC link is lost: payload null, statusCode BadNoCommunication (0x80310000).
    const lost = run({ topic: 'ns=2;s=P201.Temp', payload: null, statusCode: { value: 0x80310000, name: 'BadNoCommunication' }, sourceTimestamp: new Date('2026-03-01T09:59:00Z') });
    assert.deepEqual(lost.exceptions, []);
    assert.deepEqual(lost.readings[0].readings, [{ metric: 'opcTemp', value: '', quality: 'bad', timestamp: '2026-03-01T09:59:00.000Z', unit: '°C' }]);
    const missing = run({ topic: 'ns=2;s=P201.Temp', statusCode: 0x40000000 });
    assert.deepEqual(missing.readings[0].readings.map((r) => [r.value, r.quality]), [['', 'uncertain']]);
    const wrapped = run({ topic: 'ns=2;s=P201.Temp', payload: { value: { dataType: 11, value: null }, statusCode: { value: 0x80310000 } } });
    assert.deepEqual(wrapped.readings[0].readings.map((r) => [r.value, r.quality]), [['', 'bad']]);
    const variant = run({ topic: 'ns=2;s=P201.Temp', payload: { value: { dataType: 11, value: 71.5 }, statusCode: { value: 0 }, sourceTimestamp: new Date('2026-03-01T09:58:00Z') } });
    assert.deepEqual(variant.readings[0].readings.map((r) => [r.value, r.quality, r.timestamp]), [[71.5, 'good', '2026-03-01T09:58:00.000Z']]);
    // A Good status with no value is still a bad message.
    assert.equal(run({ topic: 'ns=2;s=P201.Temp', payload: null, statusCode: 0 }).exceptions[0].reason, 'invalid');
  });

  it('the protocol nodes\' own messages pass quietly: no reading, no exception, marked as housekeeping', () => {
    // node-red-contrib-opcua subscribe: the first message answers with the subscription's id.
    const sub = run({ topic: 'subscriptionId', payload: 17 });
    assert.deepEqual([sub.readings, sub.exceptions, sub.housekeeping], [[], [], 'opcua-subscription-id']);
    // node-red-contrib-modbus read output 2: the raw response with the values beside it.
    const raw = run({ topic: 'polling', payload: { data: [1, 2], buffer: Buffer.from([0, 1, 0, 2]) }, values: [1, 2], input: { payload: { fc: 3, address: 200 } } });
    assert.deepEqual([raw.readings, raw.exceptions, raw.housekeeping], [[], [], 'modbus-response-buffer']);
    assert.equal(run({ topic: 'subscriptionIds', payload: 17 }).exceptions[0].reason, 'unmapped', 'only the exact shape is housekeeping');
  });
});

import assert from 'node:assert/strict';
import { validateAssetReadings } from '../../nodes/core/contracts';
import { emptyNamespaces } from '../../nodes/core/assets/opcua';
import { RegistryLoader, type Registry } from '../../nodes/core/assets/registry';
import { ModbusFlow } from '../../nodes/core/assets/modbus-link';
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
  { kind: 'mqtt', identifier: 'edge/p201/#', ...P201, metric: 'vibration', unit: 'mm/s' },
  { kind: 'mqtt', identifier: 'edge/p201/#', ...P201, metric: 'bearingTemp', field: 'bearing.temp', unit: '°C' },
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
    // The server's NamespaceArray read through the client node: the registry learns it.
    const ns = run({ topic: 'ns=0;i=2255', payload: ['http://opcfoundation.org/UA/', 'urn:plant:plc3'] });
    assert.deepEqual([ns.readings, ns.exceptions, ns.housekeeping], [[], [], 'opcua-namespace-array']);
  });

  // The deployed flow as node-red-contrib-modbus 5.23.3's editor saves it: Unit-Id empty by default.
  const FLOW = [
    { id: 'cl1', type: 'modbus-client', name: 'PLC3', clienttype: 'tcp', tcpHost: '10.0.0.5', tcpPort: '502', unit_id: '1' },
    { id: 'rd1', type: 'modbus-read', name: 'pumps', unitid: '', dataType: 'HoldingRegister', adr: '200', quantity: '3', server: 'cl1' },
    { id: 'gt1', type: 'modbus-getter', name: '', unitid: '', dataType: 'HoldingRegister', adr: '200', quantity: '3', server: 'cl1' },
  ];

  it('a read with Unit-Id left empty went to the client\'s unit: a row for unit 1 matches', () => {
    const link = new ModbusFlow(FLOW).ofNode('rd1')!;
    assert.deepEqual([link.names, link.clientUnit], [['PLC3', '10.0.0.5:502', '10.0.0.5', 'cl1'], 1]);
    const msg = { topic: 'polling', payload: [853, 1450, 3], input: { payload: { unitid: '', fc: 3, address: '200', quantity: '3' } }, sendingNodeId: 'rd1' };
    const r = run(msg, { connections: link.names, clientUnit: link.clientUnit });
    assert.deepEqual(r.readings.map((o) => [o.asset.id, o.source.ref, o.readings.length]), [['PUMP-201', 'PLC3/1/holding/200-202', 3]]);
    // Unknown client (no sendingNodeId, no connection on the map node): the unit stays "any", as before.
    assert.equal(run(msg).exceptions[0]?.reason, 'unmapped');
    // A client on unit 2 sends the empty Unit-Id to unit 2: the unit-1 rows do not match.
    assert.equal(run(msg, { clientUnit: 2 }).exceptions[0]?.reason, 'unmapped');
    // The getter, behind a map node that names the connection.
    assert.equal(new ModbusFlow(FLOW).ofConnection('PLC3').clientUnit, 1);
  });

  it('a failed Modbus poll (Catch node or "Empty msg on fail") gives the block\'s readings as bad, so a dead PLC is a sensor fault', () => {
    const index = new ModbusFlow(FLOW);
    // A Catch node scoped to the read node: the polling message with msg.error (modbus-basics logMsgError → node.error(err, msg)).
    const caught = { topic: 'polling', from: 'pumps', payload: { unitid: '', fc: 3, address: '200', quantity: '3', messageId: 'm1' },
      error: { message: 'Timed out', source: { id: 'rd1', type: 'modbus-read', name: 'pumps', count: 1 } } };
    const viaCatch = index.ofFailure(caught)!;
    const a = run(caught, { connections: viaCatch.names, clientUnit: viaCatch.clientUnit });
    assert.equal(a.failure, 'Timed out');
    assert.deepEqual(a.exceptions, []);
    assert.deepEqual(a.readings.map((o) => [o.asset.id, o.readings.map((x) => [x.metric, x.value, x.quality])]),
      [['PUMP-201', [['temp', '', 'bad'], ['speed', '', 'bad'], ['starts', '', 'bad']]]]);
    // "Empty msg on fail" of the read node (modbus-basics sendEmptyMsgOnFail): payload "", the request gone, msg.from the node's name.
    const empty = { topic: 'polling', from: 'pumps', payload: '', error: Object.assign(new Error('Port Not Open'), { nodeStatus: 'reconnect' }) };
    const viaEmpty = index.ofFailure(empty)!;
    const b = run(empty, { connections: viaEmpty.names, clientUnit: viaEmpty.clientUnit, failedRequest: viaEmpty.request });
    assert.equal(b.failure, 'Port Not Open');
    assert.deepEqual(b.readings[0].readings.map((x) => x.quality), ['bad', 'bad', 'bad']);
    // The getter's: msg.topic is the getter's id when the triggering message had none.
    assert.deepEqual(index.ofFailure({ topic: 'gt1', payload: '', error: new Error('Timed out') })?.request, { unitid: '', fc: 3, address: '200', quantity: '3' });
    // Without the request, an error message is not a Modbus failure.
    assert.equal(run({ topic: 'polling', payload: '', error: new Error('x') }).exceptions[0].reason, 'unmapped');
  });

  it('MQTT JSON: a configured field the payload lacks is reported (missing-field); quality, timestamp and ts are read', () => {
    const r = run({ topic: 'edge/p201/status', payload: '{"vibration":4.1,"quality":"uncertain","ts":1772357400}' });
    assert.deepEqual(r.readings[0].readings, [{ metric: 'vibration', value: 4.1, quality: 'uncertain', timestamp: '2026-03-01T09:30:00.000Z', unit: 'mm/s' }]);
    assert.deepEqual(r.exceptions.map((e) => [e.reason, e.identifier, e.metrics, e.errors]),
      [['missing-field', 'edge/p201/status', ['bearingTemp'], ['bearingTemp: field "bearing.temp" is not in the payload']]]);
    // A null field with a bad quality is a bad reading, not a decode error.
    const bad = run({ topic: 'edge/p201/status', payload: { vibration: null, bearing: { temp: 50 }, quality: 'bad', timestamp: '2026-03-01T09:31:00Z' } });
    assert.deepEqual(bad.readings[0].readings.map((x) => [x.metric, x.value, x.quality, x.timestamp]),
      [['vibration', '', 'bad', '2026-03-01T09:31:00.000Z'], ['bearingTemp', 50, 'bad', '2026-03-01T09:31:00.000Z']]);
    assert.deepEqual(bad.exceptions, []);
  });

  it('MQTT JSON: a batch of readings [{metric, value, ts}] maps each element with its own time and quality', () => {
    const batch = [
      { metric: 'vibration', value: 4.1, ts: '2026-03-01T09:30:00Z' },
      { metric: 'vibration', value: 4.4, ts: '2026-03-01T09:30:01Z' },
      { metric: 'bearing.temp', value: '61.5', ts: 1772357401000, quality: 'uncertain' },
      { metric: 'not-mapped', value: 1 },
    ];
    const r = run({ topic: 'edge/p201/batch', payload: JSON.stringify(batch) });
    assert.deepEqual(r.exceptions, []);
    assert.equal(r.readings.length, 1, 'one asset, one message');
    assert.deepEqual(r.readings[0].readings.map((x) => [x.metric, x.value, x.quality, x.timestamp]), [
      ['vibration', 4.1, 'good', '2026-03-01T09:30:00.000Z'],
      ['vibration', 4.4, 'good', '2026-03-01T09:30:01.000Z'],
      ['bearingTemp', 61.5, 'uncertain', '2026-03-01T09:30:01.000Z'],
    ]);
    const partial = run({ topic: 'edge/p201/batch', payload: [{ metric: 'vibration', value: 3 }] });
    assert.deepEqual(partial.exceptions.map((e) => [e.reason, e.metrics]), [['missing-field', ['bearingTemp']]]);
    assert.match(run({ topic: 'edge/p201/batch', payload: [1, 2] }).exceptions[0].errors[0], /^msg.payload is an array of 2; arrays are read as Modbus blocks/);
  });

  it('an OPC UA NodeId missed because nsu= rows lack the namespace table says so', () => {
    const withNsu = registry([{ kind: 'opcua', identifier: 'nsu=urn:plant:plc3;s=P201.Level', ...P201, metric: 'level' }]);
    const r = mapMessage({ topic: 'ns=2;s=P201.Level', payload: 1, statusCode: 0 }, ctx({ registry: withNsu }));
    assert.deepEqual(r.exceptions.map((e) => [e.reason, e.errors]), [['unmapped', [
      'NodeId "ns=2;s=P201.Level" is not in the asset registry; rows written with nsu=urn:plant:plc3 match ns= NodeIds only when the registry\'s OPC UA namespace table gives the URI its index',
    ]]]);
  });
});

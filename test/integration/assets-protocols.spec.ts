import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateAssetReadings, type AssetReadings } from '../../nodes/core/contracts';
import type { MapException } from '../../nodes/core/assets/resolve';
import { startChild } from '../support/package-runtime';
import { REPO_ROOT } from '../support/package';

interface Capture {
  kind: string;
  topic?: string;
  reason?: string;
  payload?: unknown;
  keys?: string[];
  payloadType?: string;
  input?: Record<string, unknown>;
  modbusRequest?: Record<string, unknown>;
  sendingNodeId?: string;
  statusCode?: { type: string; value?: number; name?: string };
  sourceTimestampIsDate?: boolean;
  qos?: number;
  retain?: boolean;
}

describe('assets: real protocol nodes into mw-asset-map (Modbus server + read node, OPC UA, MQTT)', function () {
  this.timeout(120_000);
  let captures: Capture[] = [];
  let log = '';

  before(async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assets-proto-'));
    try {
      const child = startChild([path.join(__dirname, 'assets-protocols-child.js'), userDir], { cwd: REPO_ROOT });
      const exit = await child.ended();
      log = child.log();
      captures = [...log.matchAll(/MWCAPTURE (\{.*\})/g)].map((m) => JSON.parse(m[1]) as Capture);
      assert.equal(exit.code, 0, `the protocol run failed:\n${log.slice(-4000)}`);
    } finally {
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  const readings = (kind: string): AssetReadings[] => captures
    .filter((c) => c.kind === 'readings' && (c.payload as AssetReadings).source.kind === kind)
    .map((c) => c.payload as AssetReadings);

  it('every message mw-asset-map sent follows the asset readings contract', () => {
    const all = captures.filter((c) => c.kind === 'readings');
    assert.ok(all.length >= 6);
    for (const c of all) assert.deepEqual(validateAssetReadings(c.payload), { ok: true, value: c.payload });
  });

  it('a node-red-contrib-modbus read node polling its own Modbus server: one block, two pumps, scaled engineering values', () => {
    const raw = captures.find((c) => c.kind === 'raw-modbus')!;
    // The shape the read node really sends (5.23.3): registers, the raw response, the request, the sender.
    assert.deepEqual(raw.keys, ['input', 'payload', 'responseBuffer', 'sendingNodeId', 'topic']);
    assert.equal(raw.payloadType, 'array');
    assert.deepEqual(raw.payload, [0x4148, 0, 0xffe7, 1234, 77, 0]);
    // Unit-Id left empty, the read node's default: the request goes out on the client's unit_id (1).
    assert.deepEqual({ unitid: raw.input?.unitid, fc: raw.input?.fc, address: raw.input?.address, quantity: raw.input?.quantity }, { unitid: '', fc: 3, address: '100', quantity: '6' });
    assert.equal(raw.sendingNodeId, 'mbread');

    const mb = readings('modbus');
    const p101 = mb.find((r) => r.asset.id === 'PUMP-101')!;
    const p102 = mb.find((r) => r.asset.id === 'PUMP-102')!;
    assert.deepEqual(p101.readings.map((r) => [r.metric, r.value, r.unit, r.quality]), [['flow', 12.5, 'm3/h', 'good']]);
    // PLC3 is the client node's name; 127.0.0.1:<port> its address: both find the connection through the read node.
    assert.deepEqual(p102.readings.map((r) => [r.metric, r.value, r.unit]), [['flow', -2.5, 'm3/h'], ['pressure', 12.34, 'bar']]);
    assert.equal(p101.source.ref, 'PLC3/1/holding/100-105', 'the empty Unit-Id resolved to the client\'s unit 1, so the unit-1 rows match');
    assert.ok(!mb.some((r) => r.asset.id === 'PUMP-103'), 'a row for another connection (PLC9) does not match');
  });

  it('a node-red-contrib-modbus getter: the request in msg.modbusRequest, the connection named on the map node', () => {
    const raw = captures.find((c) => c.kind === 'raw-getter')!;
    assert.equal(raw.payloadType, 'array');
    assert.deepEqual(raw.payload, [0x4148, 0]);
    assert.ok(raw.keys?.includes('modbusRequest') && raw.keys.includes('responseBuffer'), JSON.stringify(raw.keys));
    assert.deepEqual({ unitid: raw.modbusRequest?.unitid, fc: raw.modbusRequest?.fc, address: raw.modbusRequest?.address, quantity: raw.modbusRequest?.quantity },
      { unitid: '', fc: 3, address: '100', quantity: '2' });
    const got = captures.find((c) => c.kind === 'getter-readings')!.payload as AssetReadings;
    assert.deepEqual([got.asset.id, got.readings[0].metric, got.readings[0].value], ['PUMP-101', 'flow', 12.5]);
  });

  it('node-red-contrib-opcua client reads: status code → quality, source timestamp → time, nsu= rows match ns= topics', () => {
    const raw = captures.filter((c) => c.kind === 'raw-opcua');
    assert.ok(raw.length >= 2);
    const pressureRaw = raw.find((c) => c.topic === 'ns=1;s=P101.Pressure')!;
    assert.equal(pressureRaw.statusCode?.type, 'object', 'a node-opcua StatusCode object, not a number');
    assert.equal(pressureRaw.statusCode?.value, 0);
    assert.equal(pressureRaw.sourceTimestampIsDate, true);
    const opc = readings('opcua');
    const pressure = opc.find((r) => r.readings[0].metric === 'pressure')!;
    const level = opc.find((r) => r.readings[0].metric === 'level')!;
    assert.deepEqual(pressure.readings[0], { metric: 'pressure', value: 3.25, quality: 'good', timestamp: '2026-03-01T09:00:00.000Z', unit: 'bar' });
    assert.deepEqual([level.readings[0].value, level.readings[0].quality], [0.75, 'uncertain']);
    // The registry has no namespace table: the row's nsu= matched ns=1 through the server's NamespaceArray,
    // read by the same client node (ns=0;i=2255) and passed by quietly.
    const nsArray = raw.find((c) => c.topic === 'ns=0;i=2255');
    assert.deepEqual((nsArray?.payload as string[]).slice(0, 1), ['http://opcfoundation.org/UA/'], JSON.stringify(nsArray?.payload));
    assert.equal((nsArray?.payload as string[]).length, 2, 'index 1 is the server\'s own namespace, the one the nsu= row names');
    assert.equal(level.asset.id, 'PUMP-101');
  });

  it('core MQTT in from an aedes broker: a JSON object with several fields, a number, an unmapped topic', () => {
    const raw = captures.find((c) => c.kind === 'raw-mqtt' && c.topic === 'plant/line2/p101/status')!;
    assert.deepEqual([raw.payloadType, raw.qos, raw.retain], ['object', 0, false]);
    const mq = readings('mqtt');
    const p101 = mq.find((r) => r.asset.id === 'PUMP-101')!;
    assert.deepEqual(p101.readings.map((r) => [r.metric, r.value, r.timestamp]), [['vibration', 4.2, '2026-03-01T09:10:00.000Z'], ['temp', 61.5, '2026-03-01T09:10:00.000Z']]);
    const p102 = mq.find((r) => r.asset.id === 'PUMP-102')!;
    assert.equal(p102.readings[0].value, 3.5);
    const unmapped = captures.find((c) => c.kind === 'exceptions' && c.topic === 'plant/line2/p999/vib');
    assert.equal(unmapped?.reason, 'unmapped');
    assert.equal((unmapped?.payload as MapException).identifier, 'plant/line2/p999/vib');
  });

  it('the protocol nodes\' own messages pass quietly: the read node\'s output 2 and the subscribe client\'s subscriptionId', () => {
    const sub = captures.find((c) => c.kind === 'raw-opcua' && c.topic === 'subscriptionId');
    assert.ok(sub, 'node-red-contrib-opcua sent its subscriptionId message into the map');
    assert.equal(typeof sub.payload, 'number');
    const exceptions = captures.filter((c) => c.kind === 'exceptions').map((c) => c.payload as MapException);
    assert.ok(!exceptions.some((e) => e.identifier === 'subscriptionId' || e.source.kind === 'modbus'), JSON.stringify(exceptions));
    assert.deepEqual([...new Set(exceptions.map((e) => `${e.reason} ${e.identifier}`))].sort(), ['missing-field plant/line3/p104', 'unmapped plant/line2/p999/vib']);
  });

  it('OPC UA: BadNoCommunication with no value (the PLC link lost) is a bad reading, not an exception', () => {
    const flow = readings('opcua').find((r) => r.readings[0].metric === 'linkFlow')!;
    assert.deepEqual(flow.readings, [{ metric: 'linkFlow', value: '', quality: 'bad', timestamp: '2026-03-01T09:00:00.000Z', unit: 'm3/h' }]);
    assert.equal(flow.asset.id, 'PUMP-101');
  });

  it('MQTT: a batch [{metric, value, ts}] maps per element; a missing configured field is reported on output 2', () => {
    const batch = readings('mqtt').find((r) => r.asset.id === 'PUMP-104' && r.readings.length === 3)!;
    assert.deepEqual(batch.readings.map((r) => [r.metric, r.value, r.quality, r.timestamp]), [
      ['vib', 2.5, 'good', '2026-03-01T09:20:00.000Z'], ['vib', 2.75, 'good', '2026-03-01T09:20:01.000Z'], ['temp', 41.5, 'uncertain', '2026-03-01T09:20:01.000Z'],
    ]);
    const partial = readings('mqtt').find((r) => r.asset.id === 'PUMP-104' && r.readings.length === 1)!;
    assert.deepEqual(partial.readings.map((r) => [r.metric, r.value]), [['vib', 3.25]]);
    const missing = captures.find((c) => c.kind === 'exceptions' && c.reason === 'missing-field')!.payload as MapException;
    assert.deepEqual([missing.identifier, missing.metrics, missing.errors], ['plant/line3/p104', ['temp'], ['temp: field "bearing.temp" is not in the payload']]);
  });
});

import assert from 'node:assert/strict';
import { emptyNamespaces, parseNamespaces } from '../../nodes/core/assets/opcua';
import { RegistryLoader, type LoadResult } from '../../nodes/core/assets/registry';
import { columnOf, coerceRow } from '../../nodes/core/assets/row-schema';

type Rec = Record<string, unknown>;
const pump = (over: Rec = {}): Rec => ({ assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101', metric: 'vibration', ...over });

function load(rows: Rec[], namespaces = emptyNamespaces()): LoadResult {
  const loader = new RegistryLoader(namespaces);
  rows.forEach((r, i) => loader.add(r, { source: 'editor', line: i + 1, byRow: true }));
  return loader.finish(0);
}

function ok(rows: Rec[]): NonNullable<LoadResult['registry']> {
  const r = load(rows);
  assert.deepEqual(r.errors, []);
  assert.ok(r.registry);
  return r.registry;
}

describe('assets: rows and the registry', () => {
  it('matches exact ids first, then the most specific MQTT filter, then regular expressions in row order', () => {
    const reg = ok([
      pump({ kind: 'regex', identifier: '^plant/.*/vib$', assetId: 'REGEX-1' }),
      pump({ kind: 'regex', identifier: '^plant/', assetId: 'REGEX-2' }),
      pump({ kind: 'mqtt', identifier: 'plant/+/vib', assetId: 'FILTER-1' }),
      pump({ kind: 'mqtt', identifier: 'plant/#', assetId: 'FILTER-2' }),
      pump({ kind: 'exact', identifier: 'plant/line2/vib', assetId: 'EXACT' }),
    ]);
    const idOf = (id: string): string | undefined => reg.lookupId(id)?.target.id;
    assert.equal(idOf('plant/line2/vib'), 'EXACT');
    assert.equal(idOf('plant/line3/vib'), 'FILTER-1');
    assert.equal(idOf('plant/line3/temp'), 'FILTER-2');
    assert.equal(idOf('other/plant/x/vib'), undefined);
    const regexOnly = ok([pump({ kind: 'regex', identifier: '/vib$', assetId: 'R1' }), pump({ kind: 'regex', identifier: 'line', assetId: 'R2' })]);
    assert.equal(regexOnly.lookupId('plant/line2/vib')?.target.id, 'R1');
    assert.equal(regexOnly.lookupId('plant/line2/temp')?.target.id, 'R2');
    assert.equal(regexOnly.lookupId('nothing'), undefined);
    assert.equal(regexOnly.lookupId('nothing'), undefined, 'a remembered miss stays a miss');
    assert.deepEqual(reg.counts, { exact: 1, mqtt: 2, opcua: 0, modbus: 0, regex: 2 });
  });

  it('rejects two rows that claim the same identifier and metric, naming both rows', () => {
    const r = load([
      pump({ kind: 'exact', identifier: 'p/vib' }),
      pump({ kind: 'exact', identifier: 'p/vib', metric: 'temp' }),
      pump({ kind: 'mqtt', identifier: 'p/vib', assetId: 'PUMP-102' }),
      pump({ kind: 'opcua', identifier: 'ns=2;i=7' }),
      pump({ kind: 'opcua', identifier: 'ns=2;i=0007' }),
      pump({ kind: 'mqtt', identifier: 'p/+' }),
      pump({ kind: 'mqtt', identifier: 'p/+' }),
    ]);
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors, [
      'editor row 3: exact identifier "p/vib" with metric "vibration" is already mapped by editor row 1',
      'editor row 5: opcua identifier "ns=2;i=7" with metric "vibration" is already mapped by editor row 4',
      'editor row 7: mqtt identifier "p/+" with metric "vibration" is already mapped by editor row 6',
    ]);
  });

  it('finds Modbus rows inside a block, the connection- and unit-specific row first', () => {
    const mb = (over: Rec): Rec => pump({ kind: 'modbus', table: 'holding', ...over });
    const reg = ok([
      mb({ address: 0, dataType: 'float32', metric: 'flow' }),
      mb({ address: 2, metric: 'speed', assetId: 'PUMP-102' }),
      mb({ address: 2, metric: 'speed', connection: 'PLC3', unitId: 1, assetId: 'PUMP-SPECIFIC' }),
      mb({ address: 10, addressEnd: 19, metric: 'zone' }),
      mb({ address: 0, table: 'input', metric: 'flow' }),
      mb({ address: 5, table: 'coil', metric: 'running' }),
    ]);
    const names = (rows: ReturnType<typeof reg.lookupModbus>): string[] => rows.map((r) => `${r.target.id}:${r.metric}`);
    assert.deepEqual(names(reg.lookupModbus([], 1, 'holding', 0, 4)), ['PUMP-101:flow', 'PUMP-102:speed']);
    assert.deepEqual(names(reg.lookupModbus(['PLC3', '10.0.0.5:502'], 1, 'holding', 0, 4)), ['PUMP-SPECIFIC:speed', 'PUMP-101:flow']);
    assert.deepEqual(names(reg.lookupModbus(['PLC3'], 2, 'holding', 0, 4)), ['PUMP-101:flow', 'PUMP-102:speed']);
    assert.deepEqual(names(reg.lookupModbus([], 1, 'holding', 1, 3)), ['PUMP-102:speed'], 'a value cut by the block start is not decoded');
    assert.deepEqual(names(reg.lookupModbus([], 1, 'holding', 10, 5)), [], 'a range row needs its whole block');
    assert.deepEqual(names(reg.lookupModbus([], null, 'holding', 0, 20)), ['PUMP-101:flow', 'PUMP-102:speed', 'PUMP-101:zone']);
    assert.deepEqual(names(reg.lookupModbus([], 1, 'input', 0, 2)), ['PUMP-101:flow']);
    assert.deepEqual(names(reg.lookupModbus([], 1, 'coil', 0, 8)), ['PUMP-101:running']);
    assert.deepEqual(reg.lookupModbus([], 1, 'discrete', 0, 8), []);
  });

  it('rejects Modbus rows that read the same register into the same metric', () => {
    const r = load([
      pump({ kind: 'modbus', address: 10, dataType: 'float32' }),
      pump({ kind: 'modbus', address: 11 }),
      pump({ kind: 'modbus', address: 11, metric: 'other' }),
      pump({ kind: 'modbus', address: 11, unitId: 2 }),
    ]);
    assert.deepEqual(r.errors, ['editor row 2: modbus registers 11–11 with metric "vibration" overlap editor row 1 (10–11)']);
  });

  it('names the row and the field of every problem', () => {
    const r = load([
      pump({ kind: 'exact' }),
      pump({ kind: 'mqtt', identifier: 'a/#/b' }),
      pump({ kind: 'opcua', identifier: 'Pump101.Vib' }),
      pump({ kind: 'regex', identifier: '(' }),
      pump({ kind: 'modbus', table: 'memory', address: 1 }),
      pump({ kind: 'modbus', address: 70000 }),
      pump({ kind: 'modbus', address: 'ten' }),
      pump({ kind: 'modbus', address: 0, dataType: 'float32', addressEnd: 2 }),
      pump({ kind: 'modbus', address: 0, table: 'coil', dataType: 'int16' }),
      pump({ kind: 'exact', identifier: 'x', wordOrder: 'sideways', scale: 0 }),
      { kind: 'exact', identifier: 'x', metric: 'm' },
      pump({ kind: 'exact', identifier: 'x', adress: 3 }),
      pump({ kind: 'exact', identifier: 'x', min: 5, max: 1 }),
      pump({ kind: 'exact', identifier: 'x', field: 'a.__proto__' }),
      pump({ kind: 'exact', identifier: 'x', location: '/bad//path' }),
      pump({ kind: 'exact', identifier: 'x', custom: JSON.parse('{"__proto__": 1}') as Rec }),
      pump({ kind: 'exact', identifier: 'x', 'custom.__proto__': 1 }),
    ]);
    assert.equal(r.ok, false);
    const text = r.errors.join('\n');
    for (const expected of [
      /editor row 1: field "identifier" is missing/,
      /editor row 2: field "identifier": "#" must be a whole level/,
      /editor row 3: field "identifier": "Pump101.Vib" is not an OPC UA NodeId/,
      /editor row 4: field "identifier": not a valid regular expression/,
      /editor row 5: field "table": "memory" is not coil, discrete, holding or input/,
      /editor row 6: field "address": must be <= 65535/,
      /editor row 7: field "address": must be integer/,
      /editor row 8: field "addressEnd": 0–2 is not a whole number of float32 values/,
      /editor row 9: field "dataType": a coil is a single bit/,
      /editor row 10: field "wordOrder": "sideways" is not ABCD/,
      /editor row 10: field "scale": 0 would turn every value into the offset/,
      /editor row 11: field "assetId" is missing/,
      /editor row 11: field "siteId" is missing/,
      /editor row 12: unknown column "adress"/,
      /editor row 13: field "min": 5 is above max 1/,
      /editor row 14: field "field": "a.__proto__" is not a usable field path/,
      /editor row 15: field "location": must match pattern/,
      /editor row 16: custom field "__proto__" is not allowed/,
      /editor row 17: unknown column "custom.__proto__"/,
    ]) assert.match(text, expected);
    assert.equal(r.errorCount, r.errors.length);
  });

  it('takes CSV text for numbers, matches column names loosely and keeps custom fields', () => {
    assert.equal(columnOf('Asset ID'), 'assetId');
    assert.equal(columnOf('unit_id'), 'unitId');
    assert.equal(columnOf('custom.cmmsLocation'), 'custom.cmmsLocation');
    assert.equal(columnOf('custom.__proto__'), null);
    assert.equal(columnOf('colour'), null);
    const c = coerceRow({ Kind: 'modbus', 'Unit ID': ' 1 ', Address: '100', Scale: '0.1', Offset: '-5', Min: '', 'custom.limitHH': '12.5', criticality: '2', class: 'PUMP' });
    assert.ok(c.ok);
    assert.deepEqual(c.row, { kind: 'modbus', unitId: 1, address: 100, scale: 0.1, offset: -5, criticality: 2, class: 'PUMP', custom: { limitHH: '12.5' } });
  });

  it('puts the site in front of a location written without it, and shares targets and assets between rows', () => {
    const reg = ok([
      pump({ kind: 'exact', identifier: 'a', location: 'AREA1/LINE2/PUMP-101' }),
      pump({ kind: 'exact', identifier: 'b', location: 'BEDFORD/AREA1/LINE2/PUMP-101', metric: 'temp' }),
      pump({ kind: 'exact', identifier: 'c', metric: 'temp', class: 'PUMP' }),
    ]);
    const [a, b, c] = ['a', 'b', 'c'].map((id) => reg.lookupId(id)!);
    assert.equal(a.target.location, 'BEDFORD/AREA1/LINE2/PUMP-101');
    assert.equal(b.target, a.target);
    assert.equal(a.target, c.target);
    assert.deepEqual(a.target.asset, { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101', class: 'PUMP' },
      'the class one row gives is the asset\'s, for every row of it');
    assert.equal(reg.targets.length, 1);
    assert.equal(a.target.rowCount, 3);
    assert.equal(a.target.describeRows(), 'editor row 1 and 2 more rows');
  });

  it('one asset has one description: rows that leave an attribute empty take it from the others, rows that disagree are a load error naming both', () => {
    const reg = ok([
      pump({ kind: 'exact', identifier: 'a', class: 'PUMP', custom: { line: 'L2' } }),
      pump({ kind: 'exact', identifier: 'b', metric: 'temp', criticality: 2 }),
      pump({ kind: 'exact', identifier: 'c', metric: 'flow', class: 'PUMP', workGroup: 'MECH', custom: { cmdbCi: 'x1' } }),
    ]);
    assert.deepEqual(reg.lookupId('b')!.target.asset, {
      id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101', class: 'PUMP', criticality: 2, workGroup: 'MECH', custom: { line: 'L2', cmdbCi: 'x1' },
    });
    const bad = load([
      pump({ kind: 'exact', identifier: 'a', class: 'PUMP', custom: { line: 'L2' } }),
      pump({ kind: 'exact', identifier: 'b', metric: 'temp', class: 'COMPRESSOR', custom: { line: 'L2' } }),
      pump({ kind: 'exact', identifier: 'c', metric: 'flow', criticality: 1 }),
      pump({ kind: 'exact', identifier: 'd', metric: 'level', criticality: 2, custom: { line: 'L3' } }),
    ]);
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.errors.map((e) => e.replace(/; one asset.*/, '')), [
      'editor row 2: field "class": "COMPRESSOR" differs from "PUMP" given for asset PUMP-101 (BEDFORD) by editor row 1',
      'editor row 4: field "criticality": 2 differs from 1 given for asset PUMP-101 (BEDFORD) by editor row 3',
      'editor row 4: field "custom.line": "L3" differs from "L2" given for asset PUMP-101 (BEDFORD) by editor row 1',
    ]);
  });

  it('treats an MQTT filter without wildcards as the exact topic it names', () => {
    const reg = ok([pump({ kind: 'mqtt', identifier: 'plant/line2/vib' })]);
    assert.deepEqual(reg.counts, { exact: 1, mqtt: 0, opcua: 0, modbus: 0, regex: 0 });
    assert.ok(reg.lookupId('plant/line2/vib'));
  });

  it('finds OPC UA rows by any spelling of the NodeId, through the namespace table', () => {
    const ns = parseNamespaces('2 = urn:plant:plc3');
    assert.ok(ns.ok);
    const r = load([pump({ kind: 'opcua', identifier: 'nsu=urn:plant:plc3;i=1001' }), pump({ kind: 'exact', identifier: 'Pump101.Temp', metric: 'temp' })], ns.value);
    assert.ok(r.registry);
    assert.equal(r.registry.lookupNodeId('ns=2;i=1001;datatype=Double')?.metric, 'vibration');
    assert.equal(r.registry.lookupNodeId('ns=2;i=01001')?.metric, 'vibration');
    assert.equal(r.registry.lookupNodeId('Pump101.Temp')?.metric, 'temp', 'falls back to the identifier lookup');
    assert.equal(r.registry.lookupNodeId('ns=3;i=1001'), undefined);
  });
});

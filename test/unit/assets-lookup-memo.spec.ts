// The lookups remember their answers per identifier (and the ISO text of recent times); these tests
// hold the remembered answers to the answers worked out from scratch, including after the memo
// has filled up and started again.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { iso } from '../../nodes/core/assets/collector';
import { emptyNamespaces, looksLikeNodeId } from '../../nodes/core/assets/opcua';
import { RegistryLoader, type Registry } from '../../nodes/core/assets/registry';
import type { Row } from '../../nodes/core/assets/types';

type Rec = Record<string, unknown>;
const pump = (over: Rec): Rec => ({ assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101', metric: 'vibration', ...over });

const ROWS: Rec[] = [
  pump({ kind: 'exact', identifier: 'a/b/c', assetId: 'EXACT' }),
  pump({ kind: 'mqtt', identifier: 'a/+/c', assetId: 'PLUS' }),
  pump({ kind: 'mqtt', identifier: 'a/#', assetId: 'HASH' }),
  pump({ kind: 'mqtt', identifier: '+/b/#', assetId: 'PLUS-HASH' }),
  pump({ kind: 'regex', identifier: '^b/[0-9]+$', assetId: 'REGEX' }),
  pump({ kind: 'opcua', identifier: 'ns=2;s=P.Temp', assetId: 'OPC' }),
  pump({ kind: 'opcua', identifier: 'i=85', assetId: 'OPC-85' }),
  pump({ kind: 'modbus', table: 'holding', address: 0, dataType: 'float32', metric: 'flow' }),
  pump({ kind: 'modbus', table: 'holding', address: 2, metric: 'speed', assetId: 'PUMP-102' }),
  pump({ kind: 'modbus', table: 'holding', address: 2, metric: 'speed', connection: 'PLC3', unitId: 1, assetId: 'PUMP-SPECIFIC' }),
];

function registry(): Registry {
  const loader = new RegistryLoader(emptyNamespaces());
  ROWS.forEach((r, i) => loader.add(r, { source: 'editor', line: i + 1, byRow: true }));
  const r = loader.finish(0);
  assert.deepEqual(r.errors, []);
  return r.registry!;
}

const ids = (first: Row | undefined): string[] => {
  const out: string[] = [];
  for (let r: Row | null = first ?? null; r; r = r.next) out.push(`${r.target.id}:${r.metric}`);
  return out;
};
const names = (rows: readonly Row[]): string[] => rows.map((r) => `${r.target.id}:${r.metric}`);

const level = fc.constantFrom('a', 'b', 'c', '1', '22', '$s', '');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const nodeId = fc.constantFrom('ns=2;s=P.Temp', 'ns=0002;s=P.Temp', 'NS=2;S=P.Temp', 'i=85', 'ns=0;i=0085', 'nsu=http://opcfoundation.org/UA/;i=85', 'ns=2;s=Other', 'a/b/c');

describe('assets: remembered lookups', () => {
  it('answers every identifier as a registry that has never seen it does, however often it is asked', () => {
    const warm = registry();
    fc.assert(fc.property(fc.array(fc.oneof(topic, nodeId), { minLength: 1, maxLength: 30 }), (asked) => {
      for (const id of asked) {
        const fresh = registry();
        assert.deepEqual(ids(warm.lookupId(id)), ids(fresh.lookupId(id)), id);
        assert.deepEqual(ids(warm.lookupNodeId(id)), ids(fresh.lookupNodeId(id)), id);
        assert.deepEqual(ids(warm.lookupId(id)), ids(fresh.lookupId(id)), `${id}, asked again`);
      }
    }), { numRuns: 200 });
  });

  it('keeps answering right after the memo fills up and starts again', () => {
    const reg = registry();
    for (let i = 0; i < 25_000; i++) {
      assert.deepEqual(ids(reg.lookupId(`a/x${i}/c`)), ['PLUS:vibration']);
      assert.equal(reg.lookupId(`z/${i}`), undefined);
      if (i % 1000 === 0) {
        assert.deepEqual(ids(reg.lookupId(`b/${i}`)), ['REGEX:vibration']);
        assert.deepEqual(ids(reg.lookupNodeId('ns=0;i=0085')), ['OPC-85:vibration']);
      }
    }
  });

  it('remembers Modbus answers per list of connection names, never across two lists', () => {
    const reg = registry();
    const none: string[] = [];
    const plc3 = ['PLC3', '10.0.0.5:502'];
    const other = ['PLC9'];
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(names(reg.lookupModbus(none, 1, 'holding', 0, 4)), ['PUMP-101:flow', 'PUMP-102:speed']);
      assert.deepEqual(names(reg.lookupModbus(plc3, 1, 'holding', 0, 4)), ['PUMP-SPECIFIC:speed', 'PUMP-101:flow']);
      assert.deepEqual(names(reg.lookupModbus(other, 1, 'holding', 0, 4)), ['PUMP-101:flow', 'PUMP-102:speed']);
      assert.deepEqual(names(reg.lookupModbus(plc3, 2, 'holding', 0, 4)), ['PUMP-101:flow', 'PUMP-102:speed'], 'another unit');
      assert.deepEqual(names(reg.lookupModbus(plc3, 1, 'input', 0, 4)), [], 'another table');
      assert.deepEqual(names(reg.lookupModbus(plc3, 1, 'holding', 1, 3)), ['PUMP-SPECIFIC:speed'], 'another start');
      assert.deepEqual(names(reg.lookupModbus(plc3, 1, 'holding', 0, 2)), ['PUMP-101:flow'], 'another length');
      assert.deepEqual(names(reg.lookupModbus(plc3, null, 'holding', 0, 4)), ['PUMP-101:flow', 'PUMP-102:speed'], 'any unit');
    }
    // A fresh array with the same names gets the same answer.
    assert.deepEqual(names(reg.lookupModbus(['PLC3'], 1, 'holding', 0, 4)), ['PUMP-SPECIFIC:speed', 'PUMP-101:flow']);
    assert.ok(Object.isFrozen(reg.lookupModbus(plc3, 1, 'holding', 0, 4)), 'a remembered answer cannot be changed by a caller');
  });
});

describe('assets: the NodeId pre-check', () => {
  const REGEX = /^(?:svr=\d+;)?(?:nsu?=[^;]+;)?[isgb]=/i;
  it('says exactly what the full pattern says', () => {
    const piece = fc.constantFrom('s', 'S', 'n', 'N', 'ns', 'NS', 'nsu', 'svr', 'SVR', 'sv', 'i', 'g', 'b', 'x', '=', ';', '0', '2', '/', 'ſ', 'K', ' ');
    fc.assert(fc.property(fc.array(piece, { maxLength: 8 }).map((p) => p.join('')), (s) => {
      assert.equal(looksLikeNodeId(s), REGEX.test(s), JSON.stringify(s));
    }), { numRuns: 3000 });
    for (const s of ['', 'i', 'i=', 'I=85', 'ns=2;s=X', 'nsu=urn:x;s=Y', 'svr=0;ns=2;i=1', 'Svr=0;i=1', 'site/dev0/vib', 'ns/x', 'sv', 'ſ=1']) {
      assert.equal(looksLikeNodeId(s), REGEX.test(s), JSON.stringify(s));
    }
  });
});

describe('assets: ISO text of times', () => {
  it('gives the right text for times asked in any order', () => {
    const times = [0, 1, 1772355600000, Date.UTC(2026, 2, 1), 1772355600000, 1, 1, Date.UTC(2026, 2, 1), 5, 1772355600000];
    for (let round = 0; round < 3; round++) {
      for (const t of times) assert.equal(iso(t), new Date(t).toISOString());
    }
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { maxLength: 20 }), (ts) => {
      for (const t of [...ts, ...ts.reverse()]) assert.equal(iso(t), new Date(t).toISOString());
    }));
  });
});

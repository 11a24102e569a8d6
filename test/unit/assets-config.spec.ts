import assert from 'node:assert/strict';
import path from 'node:path';
import { MAX_AUTO_VERIFY_HOURS, parseMapSettings, parseRegistrySettings } from '../../nodes/core/assets/settings';

describe('assets: node settings', () => {
  const resolve = (p: string): string => path.resolve('/data/node-red', p);

  it('reads the registry settings: file relative to the user directory, format by extension, verification timer', () => {
    const r = parseRegistrySettings({ name: 'plant', cmms: ' conn1 ', rows: [{ kind: 'exact' }], file: 'maps/pumps.jsonl', fileFormat: 'auto', watch: true, requireVerified: true, opcuaNamespaces: '2 = urn:plc3', autoVerifyHours: '12' }, resolve);
    assert.ok(r.ok);
    assert.deepEqual(r.value.file, { path: '/data/node-red/maps/pumps.jsonl', format: 'jsonl', watch: true });
    assert.equal(r.value.cmms, 'conn1');
    assert.equal(r.value.requireVerified, true);
    assert.equal(r.value.autoVerifyMs, 12 * 3_600_000);
    assert.equal(r.value.namespaces.uriByIndex.get(2), 'urn:plc3');
    const plain = parseRegistrySettings({}, resolve);
    assert.ok(plain.ok);
    assert.deepEqual([plain.value.file, plain.value.cmms, plain.value.rows, plain.value.autoVerifyMs, plain.value.requireVerified], [null, null, [], 0, false]);
    const absolute = parseRegistrySettings({ file: '/srv/map.csv', watch: false }, resolve);
    assert.ok(absolute.ok);
    assert.deepEqual(absolute.value.file, { path: '/srv/map.csv', format: 'csv', watch: false });
  });

  it('refuses what cannot work, saying what to change', () => {
    const bad = (raw: unknown): string[] => {
      const r = parseRegistrySettings(raw, resolve);
      return r.ok ? [] : r.errors;
    };
    assert.match(bad({ opcuaNamespaces: 'two = urn:x' })[0], /OPC UA namespaces line 1/);
    assert.match(bad({ autoVerifyHours: 4 })[0], /verification needs a CMMS connection/);
    assert.match(bad({ cmms: 'c', autoVerifyHours: MAX_AUTO_VERIFY_HOURS + 1 }).join(), /autoVerifyHours/);
    assert.match(bad({ fileFormat: 'xlsx' })[0], /fileFormat/);
    assert.match(bad({ rows: 'not rows' })[0], /rows: must be array/);
  });

  it('reads the map node settings', () => {
    assert.deepEqual(parseMapSettings({ registry: 'reg1' }), { ok: true, value: { source: 'auto', connection: null } });
    assert.deepEqual(parseMapSettings({ registry: 'reg1', source: 'modbus', connection: ' PLC3 ' }), { ok: true, value: { source: 'modbus', connection: 'PLC3' } });
    const missing = parseMapSettings({ source: 'modbus' });
    assert.ok(!missing.ok && /registry/.test(missing.errors[0]));
    const wrong = parseMapSettings({ registry: 'r', source: 'pigeon' });
    assert.ok(!wrong.ok && /source/.test(wrong.errors[0]));
  });
});

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
});

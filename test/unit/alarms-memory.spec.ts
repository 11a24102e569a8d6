// Memory per watched signal: the issue allows at most 1 KB per (asset, metric, rule) key. Measured
// on the heap after a forced garbage collection, with every asset object the engine keeps counted.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AssetReadings } from '../../nodes/core/contracts';
import { engineFor, FakeClock, ruleSet } from './alarms-fixtures';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const KEYS = 10_000;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function payload(i: number, value: number, clock: FakeClock): AssetReadings {
  const id = `PUMP-${String(i).padStart(5, '0')}`;
  return {
    asset: { id, siteId: 'BEDFORD', location: `BEDFORD/AREA${i % 7}/LINE${i % 13}/${id}`, class: 'pump', criticality: 2 },
    readings: [{ metric: 'temp', value, unit: '°C', quality: 'good', timestamp: new Date(clock.wallMs).toISOString() }],
    source: { kind: 'opcua', ref: `ns=2;s=${id}.Temp` },
  };
}

describe('alarm engine memory', function () {
  this.timeout(30_000);

  it(`stays under 1 KB per key at ${KEYS} keys, with one in ten in an active episode`, function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ staleAfterSeconds: 3600, rateOfChange: { limit: 50, per: 'minute', windowSeconds: 60, severity: 'low' } }), clock);
    const before = heap();
    for (let i = 0; i < KEYS; i++) e.ingest(payload(i, i % 10 === 0 ? 90 : 50, clock));
    clock.advance(20_000);
    for (let i = 0; i < KEYS; i++) e.ingest(payload(i, i % 10 === 0 ? 91 : 51, clock));
    e.takeWrites();
    const after = heap();
    const perKey = (after - before) / KEYS;
    assert.equal(e.table.keys, KEYS);
    assert.equal(e.health().active, KEYS / 10);
    assert.ok(perKey <= 1024, `${perKey.toFixed(0)} bytes per key`);
    // Kept alive until measured: a collected engine would make the figure meaningless.
    assert.ok(e.table.assets === KEYS);
    console.log(`      ${perKey.toFixed(0)} bytes per key (rule with limits, rate of change and stale watch)`);
  });
});

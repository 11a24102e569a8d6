// A real node-red-contrib-modbus read node, at its defaults, polling a PLC into mw-asset-map →
// mw-threshold → mw-work-order → the CMMS simulator (see the child for the set-up): a sustained
// alarm over 20+ polls makes exactly one work order; the PLC link lost mid-run makes bad readings,
// a sensor-fault event and one work order for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { referenceFor } from '../../nodes/core/cmms/reference';
import { validateAssetReadings, type AssetReadings, type MaintenanceEvent } from '../../nodes/core/contracts';
import { startChild } from '../support/package-runtime';
import { REPO_ROOT } from '../support/package';

interface Capture { kind: string; topic?: string; reason?: string; keys: string[]; payload: unknown }
interface State { phase: string; good: number; bad: number; workOrders: Array<{ ref: string; fields: Record<string, unknown> }> }

describe('assets: Modbus read node → mw-asset-map → mw-threshold → mw-work-order (CMMS simulator)', function () {
  this.timeout(150_000);
  let captures: Capture[] = [];
  let states: State[] = [];

  before(async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assets-mbwo-'));
    try {
      const child = startChild([path.join(__dirname, 'assets-modbus-work-order-child.js'), userDir], { cwd: REPO_ROOT });
      const exit = await child.ended();
      const log = child.log();
      captures = [...log.matchAll(/MWCAPTURE (\{.*\})/g)].map((m) => JSON.parse(m[1]) as Capture);
      states = [...log.matchAll(/MWSTATE (\{.*\})/g)].map((m) => JSON.parse(m[1]) as State);
      assert.equal(exit.code, 0, `the run failed:\n${log.slice(-4000)}`);
    } finally {
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  const readings = (): AssetReadings[] => captures.filter((c) => c.kind === 'readings').map((c) => c.payload as AssetReadings);
  const events = (): MaintenanceEvent[] => captures.filter((c) => c.kind === 'event').map((c) => c.payload as MaintenanceEvent);

  it('Unit-Id left empty: the read went to the client\'s unit 1 and the unit-1 rows match; one asset is one message per poll with one description', () => {
    const good = readings().filter((r) => r.readings[0].quality === 'good');
    assert.ok(good.length >= 20, `${good.length} polls mapped`);
    for (const r of good) {
      assert.deepEqual(validateAssetReadings(r).ok, true);
      assert.deepEqual(r.asset, { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101', class: 'pump', criticality: 2, workGroup: 'MECH' });
      assert.deepEqual(r.readings.map((x) => [x.metric, x.value, x.quality]), [['bearing_temp', 85.3, 'good'], ['speed', 1450, 'good'], ['starts', 3, 'good']]);
      assert.equal(r.source.ref, 'PLC3/1/holding/200-202');
    }
  });

  it('the raw response (read node output 2) passes quietly and the bulky parts do not travel on', () => {
    assert.deepEqual(captures.filter((c) => c.kind === 'exceptions').map((c) => `${c.reason}: ${JSON.stringify((c.payload as { errors?: unknown }).errors)}`), [],
      'nothing unmapped or invalid on output 2');
    for (const c of captures.filter((x) => x.kind === 'readings')) {
      assert.ok(!c.keys.includes('responseBuffer') && !c.keys.includes('input'), c.keys.join(','));
    }
  });

  it('a sustained alarm over 20+ polls: exactly one raised event and one work order', () => {
    const alarm = states.find((s) => s.phase === 'alarm')!;
    assert.ok(alarm.good >= 20, `${alarm.good} polls`);
    assert.equal(alarm.workOrders.length, 1, JSON.stringify(alarm.workOrders));
    const raised = events().filter((e) => e.state === 'raised');
    assert.equal(raised.length, 1);
    assert.equal(alarm.workOrders[0].ref, referenceFor('maximo', raised[0].eventId));
    assert.equal(captures.filter((c) => c.kind === 'rejected' || c.kind === 'failed').length, 0);
  });

  it('the PLC link lost mid-run: bad readings for every metric, a sensor-fault event, one more work order', () => {
    const bad = readings().filter((r) => r.readings[0].quality === 'bad');
    assert.ok(bad.length >= 3);
    for (const r of bad) {
      assert.deepEqual(r.readings.map((x) => [x.metric, x.value, x.quality]), [['bearing_temp', '', 'bad'], ['speed', '', 'bad'], ['starts', '', 'bad']]);
      assert.equal(r.source.ref, 'PLC3/1/holding/200-202');
    }
    const faults = events().filter((e) => e.state === 'sensor-fault');
    assert.equal(faults.length, 1, JSON.stringify(events().map((e) => e.state)));
    const lost = states.find((s) => s.phase === 'link-lost')!;
    assert.equal(lost.workOrders.length, 2, JSON.stringify(lost.workOrders));
    assert.deepEqual(lost.workOrders.map((w) => w.ref).sort(), [events().find((e) => e.state === 'raised')!.eventId, faults[0].eventId].map((id) => referenceFor('maximo', id)).sort());
  });
});

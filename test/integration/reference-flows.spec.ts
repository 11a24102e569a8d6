import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BUILD_ROOT } from '../../sim/paths';
import { REPO_ROOT } from '../support/package';
import { startChild, waitFor, type Child } from '../support/package-runtime';

interface Result {
  healthy: number;
  workOrders: Array<{ id: string; ref: string | null; title: string }>;
  seen: Record<string, number>;
  unmapped: string[];
  loop: {
    completed: string[];
    statusIn: Array<{ into: string; workOrderId?: string; status?: string }>;
    vibrationAfter: Array<{ id: string; ref: string | null }>;
  };
}

// The shipped reference flows (flows/gateway-*.json) with node-red-contrib-modbus, node-red-contrib-opcua
// and the core MQTT nodes, against the plant simulator: each scenario must make exactly the work orders
// its rules promise, no more (escalations and repeats go to the same work order).
describe('integration: reference gateway flows against the plant simulator', function () {
  this.timeout(200_000);
  let dir: string;
  let child: Child;
  let result: Result;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-reference-'));
    child = startChild([path.join(BUILD_ROOT, 'test', 'integration', 'reference-flows-child.js'), dir], { cwd: REPO_ROOT });
    const resultFile = path.join(dir, 'result.json');
    const line = await waitFor('MWRESULT', async () => (fs.existsSync(resultFile) ? fs.readFileSync(resultFile, 'utf8') : undefined), 170_000,
      () => (child.exited() || /MWFAILED|MWTIMEOUT/.test(child.log()) ? `child ended:\n${child.log().slice(-4000)}` : undefined));
    result = JSON.parse(line) as Result;
  });

  after(async function () {
    await child?.stop('SIGKILL').catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const refs = (re: RegExp): string[] => result.workOrders.map((w) => w.ref ?? '').filter((r) => re.test(r));

  it('every protocol path carries readings to the rules: Modbus, OPC UA (both assets), MQTT (both assets), the camera', function () {
    for (const key of ['modbus:PUMP-101', 'opcua:CMP-401', 'opcua:MTR-201', 'mqtt:CONV-301', 'mqtt:HX-601', 'vision:PRS-701']) {
      assert.ok((result.seen[key] ?? 0) > 0, `nothing from ${key}: ${JSON.stringify(result.seen)}`);
    }
    assert.deepEqual(result.unmapped, [], 'every signal of the plant is in assets.csv');
  });

  it('a healthy plant makes no work order', function () {
    assert.equal(result.healthy, 0);
    assert.deepEqual(refs(/CONV-301|HX-601/), []);
  });

  it('bearing wear (Modbus): exactly two work orders, vibration and bearing temperature, escalations included', function () {
    assert.equal(refs(/^BEDFORD\.PUMP-101\./).length, 2, JSON.stringify(result.workOrders));
    assert.equal(refs(/^BEDFORD\.PUMP-101\.vibration\.limit\./).length, 1);
    assert.equal(refs(/^BEDFORD\.PUMP-101\.bearing-temp\.limit\./).length, 1);
  });

  it('cooling fault (OPC UA): exactly one work order for the compressor discharge temperature', function () {
    assert.deepEqual(refs(/^BEDFORD\.CMP-401\./).map((r) => r.split('.').slice(0, 4).join('.')), ['BEDFORD.CMP-401.discharge-temp.limit']);
  });

  it('bad quality and sensor freeze (OPC UA): exactly one sensor-fault work order each on MTR-201', function () {
    assert.deepEqual(refs(/^BEDFORD\.MTR-201\./).map((r) => r.split('.').slice(0, 4).join('.')).sort(),
      ['BEDFORD.MTR-201.current.sensor', 'BEDFORD.MTR-201.winding-temp.sensor']);
    assert.match(result.workOrders.find((w) => /winding-temp/.test(w.ref ?? ''))?.title ?? '', /no reading for 20 s/);
  });

  it('tool wear (camera over MQTT): drift work orders on the press PRS-701 bore, one per detector episode, none on the coating', function () {
    const bore = refs(/^BEDFORD\.PRS-701\.BRKT-9\.bore\./);
    assert.ok(bore.length >= 1, JSON.stringify(result.workOrders));
    const detectors = bore.map((r) => r.split('.')[4]);
    assert.equal(new Set(detectors).size, detectors.length, `a detector made two work orders: ${detectors.join(', ')}`);
    assert.deepEqual(refs(/\.coating\./), []);
  });

  it('nothing else: every work order belongs to one of the scenarios above', function () {
    const known = /^BEDFORD\.(PUMP-101\.(vibration|bearing-temp)|CMP-401\.discharge-temp|MTR-201\.(current|winding-temp)|PRS-701\.BRKT-9\.bore)\./;
    assert.deepEqual(result.workOrders.filter((w) => !known.test(w.ref ?? '')), []);
  });

  it('mw-wo-status closes the loop: the vibration work order completed in the CMMS re-arms the rules and the still-high vibration makes exactly one NEW work order', function () {
    const [first] = result.workOrders.filter((w) => /^BEDFORD\.PUMP-101\.vibration\.limit\./.test(w.ref ?? ''));
    assert.ok(first, 'the vibration work order the loop completes');
    assert.equal(result.loop.completed[0], first.id);
    assert.ok(result.loop.statusIn.some((s) => s.into === 'mw-gw-modbus-alarms'), `no completed status reached the alarm rules: ${JSON.stringify(result.loop.statusIn)}`);
    const after = result.loop.vibrationAfter;
    assert.equal(after.length, 2, `expected the first and exactly one new vibration work order: ${JSON.stringify(after)}`);
    assert.equal(after[0]?.id, first.id);
    assert.notEqual(after[1]?.ref, first.ref, 'a new episode, not the old event id again');
  });

  it('mw-wo-status into the chart: the completed drift work order reaches SPC on inspections (its input for a new baseline)', function () {
    assert.equal(result.loop.completed.length, 2, JSON.stringify(result.loop));
    assert.ok(result.loop.statusIn.some((s) => s.into === 'mw-gw-vision-drift'), `no completed status reached the drift node: ${JSON.stringify(result.loop.statusIn)}`);
  });
});

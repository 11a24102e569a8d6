import assert from 'node:assert/strict';
import { validateMaintenanceEvent, type InspectionRecord, type MaintenanceEvent } from '../../nodes/core/contracts';
import {
  designFor, DriftEngine, eventIdFor, normalizeInput, parseDriftSettings, parseSpecText, seeded, type DriftSettings,
  type GroupState, type InspectedUnit,
} from '../../nodes/core/spc';

const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);
const ASSET = { id: 'CNC-07', siteId: 'BEDFORD', location: 'BEDFORD/MACHINING/LINE2/CNC-07' };

function settings(over: Record<string, unknown> = {}): DriftSettings {
  const r = parseDriftSettings({
    site: 'BEDFORD', arl0: '1000000', phase1Units: '300', phase1Subgroups: '5', defectSubgroupSize: '200', clearAfter: '300',
    trendWindow: '800', capabilityWindow: '300', subgroupSize: '10', checkpointSeconds: '0',
    specs: [{ product: '*', characteristic: 'bore', lsl: '11.98', usl: '12.02', target: '12' }],
    ...over,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

function engine(over: Record<string, unknown> = {}): DriftEngine {
  const s = settings(over);
  return new DriftEngine(s, designFor(s), 'fp-1');
}

interface Knobs {
  mean?: number;
  sigma?: number;
  defectRate?: number;
  defectType?: string;
  points?: number;
  pointSigma?: number;
  modelVersion?: string;
  asset?: string;
  batch?: string;
  batchSize?: number;
}

/** A camera stream whose process can be changed between calls. */
class Camera {
  private readonly rnd;
  unit = 0;
  constructor(seed: number) {
    this.rnd = seeded(seed);
  }
  record(k: Knobs = {}): InspectedUnit {
    const u = this.unit++;
    const bore = (k.mean ?? 12) + (k.sigma ?? 0.004) * this.rnd.normal();
    const defect = this.rnd.next() < (k.defectRate ?? 0.01);
    const measurements: Record<string, number | number[]> = { bore };
    if (k.points) measurements.coating = Array.from({ length: k.points }, () => 25 + (k.pointSigma ?? 0.5) * this.rnd.normal());
    const record: InspectionRecord = {
      unitId: `U${u}`, timestamp: new Date(T0 + u * 100).toISOString(), product: 'HSG-4410', batch: k.batch ?? `B${Math.floor(u / 1000)}`,
      ...(k.batchSize ? { batchSize: k.batchSize } : {}),
      modelVersion: k.modelVersion ?? 'v3', result: defect ? 'fail' : 'pass',
      defects: defect ? [{ type: k.defectType ?? 'scratch', confidence: 0.9 }] : [], measurements,
    };
    const asset = k.asset ? { ...ASSET, id: k.asset, location: `BEDFORD/${k.asset}` } : ASSET;
    return { record, asset, product: 'HSG-4410', tMs: T0 + u * 100 };
  }
}

function run(e: DriftEngine, cam: Camera, n: number, k: Knobs = {}): MaintenanceEvent[] {
  const events: MaintenanceEvent[] = [];
  for (let i = 0; i < n; i++) events.push(...e.process(cam.record(k)).events);
  return events;
}

const only = (events: MaintenanceEvent[], family: string, state?: string): MaintenanceEvent[] =>
  events.filter((e) => e.details.family === family && (state === undefined || e.state === state));

describe('spc engine: mean drift episodes', () => {
  it('learns, then raises one episode for a 2σ shift, keeps it while it lasts, and clears it after the process returns', () => {
    const e = engine();
    const cam = new Camera(1);
    assert.deepEqual(run(e, cam, 300), []);
    const g = [...e.groups.values()][0];
    const bore = g.monitors.get('bore');
    assert.ok(bore && !bore.learning && bore.baseline);
    assert.ok(Math.abs(bore.baseline.mean - 12) < 0.002);
    assert.ok(Math.abs(bore.baseline.sigma - 0.004) < 0.0006);
    assert.deepEqual(only(run(e, cam, 400), 'mean'), []);

    const shifted = run(e, cam, 2000, { mean: 12.008 });
    const raised = only(shifted, 'mean', 'raised');
    assert.equal(raised.length, 1, JSON.stringify(shifted.map((x) => [x.state, x.level])));
    assert.deepEqual(only(shifted, 'mean', 'cleared'), []);
    const ev = raised[0];
    assert.match(ev.level, /^CUSUM(-LARGE)?-UP$/);
    assert.equal(ev.kind, 'drift');
    assert.equal(ev.metric, 'bore');
    assert.equal(ev.severity, 'medium');
    assert.equal(ev.priority, 3);
    assert.deepEqual(ev.asset, ASSET);
    const checked = validateMaintenanceEvent(ev);
    assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors));
    for (const key of ['baselineMean', 'baselineSigma', 'baselineN', 'baselineLearnedAt', 'modelVersion', 'windowMean', 'cpk', 'ppk', 'batches', 'lastUnitId', 'usl', 'lsl']) {
      assert.ok(key in ev.details, `details lack ${key}`);
    }
    assert.equal(ev.details.modelVersion, 'v3');
    assert.equal(ev.details.usl, 12.02);

    const back = run(e, cam, 2000);
    const cleared = only(back, 'mean', 'cleared');
    assert.equal(cleared.length, 1);
    assert.equal(cleared[0].eventId, ev.eventId);
    assert.equal(cleared[0].episodeId, ev.episodeId);
    assert.equal(cleared[0].value, null);
    assert.ok(validateMaintenanceEvent(cleared[0]).ok);
    assert.deepEqual(only(back, 'mean', 'raised'), []);
  });

  it('gives the same event ids for the same data (the dedupe key survives a replay)', () => {
    const ids = (seed: number): string[] => {
      const e = engine();
      const cam = new Camera(seed);
      return [...run(e, cam, 700), ...run(e, cam, 300, { mean: 12.01 })].map((x) => x.eventId);
    };
    const a = ids(4);
    assert.ok(a.length > 0);
    assert.deepEqual(ids(4), a);
    for (const id of a) assert.match(id, /^[A-Za-z0-9._:~-]+$/);
  });

  it('stays quiet on an in-control stream', () => {
    const e = engine();
    assert.deepEqual(run(e, new Camera(2), 30_000), []);
  });
});

describe('spc engine: trend, capability, spread and defect rate', () => {
  it('a creeping mean raises a trend with a projection, and capability that escalates below Cpk 1.0', () => {
    const e = engine({ horizonMinutes: '0', horizonUnits: '3000' });
    const cam = new Camera(3);
    run(e, cam, 600);
    const events: MaintenanceEvent[] = [];
    for (let i = 0; i < 6000 && only(events, 'capability', 'escalated').length === 0; i++) {
      events.push(...e.process(cam.record({ mean: 12 + i * 0.000004 })).events);
    }
    const trend = only(events, 'trend', 'raised');
    assert.equal(trend.length, 1);
    assert.equal(trend[0].level, 'TREND-USL');
    assert.equal(trend[0].severity, 'high');
    assert.ok(typeof trend[0].details.unitsToLimit === 'number' && trend[0].details.unitsToLimit <= 3000);
    assert.ok(typeof trend[0].details.slopePerUnit === 'number' && trend[0].details.slopePerUnit > 0);
    const cap = only(events, 'capability');
    assert.deepEqual(cap.map((x) => x.state), ['raised', 'escalated']);
    assert.equal(cap[0].level, 'CPK<1.33');
    assert.equal(cap[0].severity, 'medium');
    assert.equal(cap[1].level, 'CPK<1.00');
    assert.equal(cap[1].severity, 'high');
    assert.equal(cap[1].priority, 2);
    assert.equal(cap[1].eventId, cap[0].eventId);
    assert.ok((cap[1].value ?? 2) < 1);
  });

  it('a rising spread within parts raises a uniformity episode', () => {
    const e = engine();
    const cam = new Camera(5);
    run(e, cam, 1000, { points: 5 });
    const ev = run(e, cam, 3000, { points: 5, pointSigma: 0.9 });
    const spread = only(ev, 'spread', 'raised');
    assert.equal(spread.length, 1);
    assert.equal(spread[0].metric, 'coating');
    assert.match(spread[0].level, /^(S-CHART|LOGVAR-EWMA)$/);
    assert.ok(typeof spread[0].details.sigmaWithinBaseline === 'number');
  });

  it('a rising defect rate raises the overall chart and the chart of the type that rose', () => {
    const e = engine();
    const cam = new Camera(6);
    run(e, cam, 2000, { defectRate: 0.01 });
    const g = [...e.groups.values()][0];
    assert.equal(g.defects.learning, false);
    const ev = run(e, cam, 6000, { defectRate: 0.05, defectType: 'burr' });
    const raised = only(ev, 'defects', 'raised').map((x) => x.metric).sort();
    assert.deepEqual(raised, ['defect-rate', 'defect-rate:burr']);
    const overall = only(ev, 'defects', 'raised').find((x) => x.metric === 'defect-rate') as MaintenanceEvent;
    assert.match(overall.level, /^P-(PROBABILITY-LIMIT|EWMA)$/);
    for (const key of ['p', 'pbarCharted', 'subgroupUnits', 'ucl3Sigma', 'baselinePbar', 'baselineSubgroups']) assert.ok(key in overall.details, key);
    assert.ok(validateMaintenanceEvent(overall).ok);
  });
});

describe('spc engine: subgroups and horizons', () => {
  it('defect subgroups per batch close when the batch changes, or at its size', () => {
    const e = engine({ defectSubgroup: 'batch', phase1Subgroups: '3' });
    const cam = new Camera(15);
    for (const b of ['A', 'B', 'C']) run(e, cam, 150, { batch: b });
    const g = [...e.groups.values()][0];
    assert.equal(g.defects.learned, 2, 'batch C is still open');
    run(e, cam, 1, { batch: 'D' });
    assert.equal(g.defects.learning, false);
    assert.equal(g.defects.baseline?.units, 450);
    const sized = engine({ defectSubgroup: 'batch', phase1Subgroups: '3' });
    for (const b of ['A', 'B', 'C']) run(sized, cam, 120, { batch: b, batchSize: 120 });
    assert.equal([...sized.groups.values()][0].defects.learning, false, 'a batch of known size closes with its last unit');
  });

  it('defect subgroups per time window', () => {
    // A record every 100 ms: a 10 s window holds 100 units.
    const e = engine({ defectSubgroup: 'time', defectSubgroupSeconds: '10', phase1Subgroups: '4' });
    const cam = new Camera(16);
    run(e, cam, 400);
    const g = [...e.groups.values()][0];
    assert.equal(g.defects.learned, 3);
    run(e, cam, 1);
    assert.equal(g.defects.baseline?.units, 400);
  });

  it('a trend triggers within the rest of the batch, and not when the batch ends sooner', () => {
    const creep = (batchSize: number): MaintenanceEvent[] => {
      const e = engine({ horizonMinutes: '0', horizonUnits: '0', horizonBatch: true });
      const cam = new Camera(17);
      run(e, cam, 600, { batch: 'LOT-1', batchSize });
      const out: MaintenanceEvent[] = [];
      for (let i = 0; i < 2500; i++) out.push(...e.process(cam.record({ mean: 12 + i * 0.000004, batch: 'LOT-1', batchSize })).events);
      return only(out, 'trend', 'raised');
    };
    const long = creep(1_000_000);
    assert.equal(long.length, 1);
    assert.ok(typeof long[0].details.batchRemaining === 'number' && (long[0].details.unitsToLimit as number) <= (long[0].details.batchRemaining as number));
    assert.deepEqual(creep(3200), []);
  });
});

describe('spc engine: baselines', () => {
  it('a new vision model version starts a new baseline without a trigger and ends open episodes', () => {
    const e = engine();
    const cam = new Camera(7);
    run(e, cam, 400);
    const drift = run(e, cam, 200, { mean: 12.012 });
    assert.equal(only(drift, 'mean', 'raised').length, 1);
    const open = e.counts().open;
    assert.ok(open >= 1);
    // The new model reads the same parts 0.5σ higher.
    const change = run(e, cam, 1, { mean: 12.002, modelVersion: 'v4' });
    // Every open episode ends (the mean drift among them), and nothing is raised.
    assert.equal(change.length, open);
    assert.ok(change.every((x) => x.state === 'cleared' && /v3 → v4/.test(String(x.details.reason))), JSON.stringify(change));
    assert.ok(change.some((x) => x.details.family === 'mean'));
    assert.equal(e.counts().open, 0);
    // Learning again, then quiet: the offset is the new normal, not a drift.
    assert.ok([...e.groups.values()][0].monitors.get('bore')?.learning);
    assert.deepEqual(run(e, cam, 2000, { mean: 12.002, modelVersion: 'v4' }), []);
    assert.ok(Math.abs(([...e.groups.values()][0].monitors.get('bore')?.baseline?.mean ?? 0) - 12.002) < 0.001);
    assert.equal([...e.groups.values()][0].monitors.get('bore')?.baseline?.modelVersion, 'v4');
  });

  it('re-baselines only the asset named, and clears its open episodes', () => {
    const e = engine();
    const a = new Camera(8);
    const b = new Camera(9);
    run(e, a, 400);
    run(e, b, 400, { asset: 'CNC-08' });
    assert.equal(only(run(e, a, 200, { mean: 12.012 }), 'mean', 'raised').length, 1);
    const open = e.counts().open;
    const r = e.rebaseline({ assetId: 'CNC-07' }, 'work order WO-1 completed', T0 + 1e6);
    assert.equal(r.groups.length, 1);
    assert.equal(r.events.length, open);
    assert.ok(r.events.every((x) => x.state === 'cleared' && x.details.reason === 'work order WO-1 completed' && x.asset.id === 'CNC-07'));
    assert.ok(r.events.some((x) => x.details.family === 'mean'));
    assert.ok(r.events.every((x) => validateMaintenanceEvent(x).ok));
    const groups = [...e.groups.values()];
    assert.ok(groups.find((g) => g.asset.id === 'CNC-07')?.monitors.get('bore')?.learning);
    assert.equal(groups.find((g) => g.asset.id === 'CNC-08')?.monitors.get('bore')?.learning, false);
  });

  it('a fixed mean and σ from the spec table skip learning', () => {
    const e = engine({ specs: [{ product: '*', characteristic: 'bore', lsl: '11.98', usl: '12.02', mean: '12', sigma: '0.004' }] });
    const cam = new Camera(10);
    run(e, cam, 1);
    const m = [...e.groups.values()][0].monitors.get('bore');
    assert.equal(m?.learning, false);
    assert.equal(m?.baseline?.source, 'config');
    assert.equal(only(run(e, cam, 100, { mean: 12.012 }), 'mean', 'raised').length, 1);
  });

  it('bounds the number of series and reports what it leaves out', () => {
    const e = engine({ maxSeries: '3' });
    const cam = new Camera(11);
    const first = e.process(cam.record({ points: 5 }));
    assert.deepEqual(first.untracked, []);
    const other = e.process(cam.record({ asset: 'CNC-99', points: 5 }));
    assert.deepEqual(other.untracked, ['bore', 'coating']);
    assert.equal(e.seriesCount, 3);
    assert.equal(e.groups.size, 1);
  });
});

describe('spc engine: durable state', () => {
  it('a restored engine continues exactly where the first one stopped', () => {
    const a = engine();
    const camA = new Camera(12);
    run(a, camA, 900);
    const snapshots = [...a.groups.values()].map((g) => JSON.parse(JSON.stringify(a.snapshot(g))) as GroupState);
    const b = engine();
    for (const s of snapshots) b.restore(s);
    const camB = new Camera(12);
    for (let i = 0; i < 900; i++) camB.record();
    const after = (e: DriftEngine, cam: Camera): string[] => run(e, cam, 1500, { mean: 12.006 }).map((x) => `${x.eventId} ${x.state} ${x.level}`);
    const fromA = after(a, camA);
    assert.ok(fromA.length > 0);
    assert.deepEqual(after(b, camB), fromA);
  });

  it('a configured baseline keeps its chart state across a restart too', () => {
    const over = { specs: [{ product: '*', characteristic: 'bore', lsl: '11.98', usl: '12.02', mean: '12', sigma: '0.004' }] };
    const a = engine(over);
    const camA = new Camera(14);
    run(a, camA, 60);
    const cusumBefore = [...a.groups.values()][0].monitors.get('bore')?.stats().cusumHi;
    const b = engine(over);
    for (const g of a.groups.values()) b.restore(JSON.parse(JSON.stringify(a.snapshot(g))) as GroupState);
    assert.equal([...b.groups.values()][0].monitors.get('bore')?.stats().cusumHi, cusumBefore);
    const camB = new Camera(14);
    for (let i = 0; i < 60; i++) camB.record();
    const after = (e: DriftEngine, cam: Camera): string[] => run(e, cam, 800, { mean: 12.003 }).map((x) => `${x.eventId} ${x.state}`);
    const fromA = after(a, camA);
    assert.ok(fromA.length > 0);
    assert.deepEqual(after(b, camB), fromA);
  });

  it('keeps baselines and open episodes but restarts the charts when the chart settings changed', () => {
    const a = engine();
    const cam = new Camera(13);
    run(a, cam, 400);
    const raised = only(run(a, cam, 200, { mean: 12.012 }), 'mean', 'raised');
    assert.equal(raised.length, 1);
    const snap = [...a.groups.values()].map((g) => a.snapshot(g));
    const s = settings({ lambda: '0.2' });
    const b = new DriftEngine(s, designFor(s), 'fp-2');
    for (const x of snap) b.restore(x);
    const m = [...b.groups.values()][0].monitors.get('bore');
    assert.equal(m?.baseline?.mean, [...a.groups.values()][0].monitors.get('bore')?.baseline?.mean);
    assert.equal(b.counts().open, a.counts().open);
    const back = run(b, cam, 3000);
    const cleared = only(back, 'mean', 'cleared');
    assert.equal(cleared.length, 1);
    assert.equal(cleared[0].eventId, raised[0].eventId);
    assert.equal(b.counts().open, 0);
  });
});

describe('spc: inputs and settings', () => {
  const record = { unitId: 'U1', timestamp: '2026-03-02T06:00:00.000Z', result: 'pass', measurements: { bore: 12.001, coating: [25, 25.2, 24.9] } };

  it('accepts a raw record, naming the asset from asset, station or camera at the site', () => {
    const a = normalizeInput({ ...record, asset: 'CNC-07' }, 'BEDFORD');
    assert.ok(a.ok);
    assert.deepEqual(a.value.asset, { id: 'CNC-07', siteId: 'BEDFORD', location: 'BEDFORD/CNC-07' });
    assert.equal(a.value.product, 'default');
    const b = normalizeInput({ ...record, stationId: 'ST/4', cameraId: 'CAM-1' }, 'BEDFORD');
    assert.ok(b.ok && b.value.asset.id === 'ST/4' && b.value.asset.location === 'BEDFORD/ST_4');
    const c = normalizeInput({ ...record, asset: ASSET, product: 'P1' }, 'X');
    assert.ok(c.ok && c.value.asset === ASSET && c.value.product === 'P1');
  });

  it("accepts mw-asset-map's asset readings with the record under payload.inspection", () => {
    const mapped = {
      asset: ASSET, source: { kind: 'vision', ref: 'CAM-1' },
      readings: [{ metric: 'result', value: 'pass', quality: 'good', timestamp: record.timestamp }, { metric: 'bore', value: 12.001, quality: 'good', timestamp: record.timestamp }],
      inspection: { ...record, cameraId: 'CAM-1' },
    };
    const r = normalizeInput(mapped, 'OTHER');
    assert.ok(r.ok);
    assert.equal(r.value.asset, mapped.asset);
    const bad = normalizeInput({ ...mapped, inspection: { ...record, result: 'maybe' } }, 'OTHER');
    assert.ok(!bad.ok && bad.reason === 'invalid' && bad.errors.some((x) => x.startsWith('payload.inspection.result')), JSON.stringify(bad));
  });

  it("keeps a camera's own extra fields out of the way", () => {
    const r = normalizeInput({ ...record, asset: 'A', imageUrl: 'http://cam/1.jpg', defects: [{ type: 'void', bbox: [1, 2, 3, 4] }] }, 'S');
    assert.ok(r.ok, JSON.stringify(r));
  });

  it('rejects bad records with reasons a person can act on', () => {
    const noAsset = normalizeInput(record, 'S');
    assert.ok(!noAsset.ok && noAsset.reason === 'no-asset');
    const cases: Array<[unknown, RegExp]> = [
      [{ ...record, asset: 'A', timestamp: 'yesterday' }, /timestamp/],
      [{ ...record, asset: 'A', measurements: { bore: 'wide' } }, /measurements/],
      [{ ...record, asset: 'A', result: 'ok' }, /result/],
      [{ ...record, asset: 'A', defects: [{ confidence: 2 }] }, /defects/],
      [{ ...record, asset: 'A', ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, i])) }, /must NOT have more than 200 properties/],
      [JSON.parse('{"unitId":"U","timestamp":"2026-03-02T06:00:00Z","result":"pass","asset":"A","__proto__":{"x":1}}'), /__proto__/],
      ['not a record', /payload/],
    ];
    for (const [payload, pattern] of cases) {
      const r = normalizeInput(payload, 'S');
      assert.ok(!r.ok && r.errors.some((x) => pattern.test(x)), `${JSON.stringify(payload)} → ${JSON.stringify(r)}`);
    }
  });

  it('settings: defaults, numbers from strings, and clear errors', () => {
    const ok = parseDriftSettings({});
    assert.ok(ok.ok);
    assert.equal(ok.value.arl0, 30 * 24 * 3600, 'one false alarm a month at one unit a second');
    assert.equal(ok.value.site, 'SITE');
    const bad = parseDriftSettings({ arl0: 'many', lambda: '2', cpkHigh: '1.5', specs: [{ characteristic: 'bore', lsl: '5', usl: '4' }, { product: 'P' }] });
    assert.ok(!bad.ok);
    const text = bad.errors.join('\n');
    for (const want of [/falseAlarmDays/, /lambda/, /cpkHigh/, /LSL 5 is not below USL 4/, /characteristic is empty/]) assert.match(text, want);
    assert.ok(!parseDriftSettings({ rules: 'all' }).ok);
  });

  it('spec files: JSON rows or CSV with a header', () => {
    const csv = parseSpecText('product,characteristic,lsl,usl,target\n*,bore,11.98,12.02,12\n# comment\nP2,coating,20,30,\n', 'specs.csv');
    assert.deepEqual(csv.errors, []);
    assert.deepEqual(csv.rows[1], { product: 'P2', characteristic: 'coating', lsl: 20, usl: 30 });
    const json = parseSpecText('[{"characteristic":"bore","usl":"x"}]', 'specs.json');
    assert.match(json.errors[0], /usl "x" is not a number/);
    assert.match(parseSpecText('[oops', 'a.json').errors[0], /not JSON/);
  });

  it('event ids stay within 200 safe characters for long names', () => {
    const id = eventIdFor({ id: 'A'.repeat(150), siteId: 'S P', location: 'x' }, 'p'.repeat(100), 'c/'.repeat(50), 'mean', T0, 12345);
    assert.ok(id.length <= 200);
    assert.match(id, /^[A-Za-z0-9._:~-]+$/);
    assert.notEqual(id, eventIdFor({ id: 'A'.repeat(150), siteId: 'S P', location: 'x' }, 'p'.repeat(100), 'c/'.repeat(49), 'mean', T0, 12345));
  });
});

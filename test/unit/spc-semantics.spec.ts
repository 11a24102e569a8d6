// Issue 15, items 9–16: the p chart's α, the textbook limits it reports, chart values for
// dashboards, the trend's warm-up, defect phase I after a repair, capability on a confidence
// bound. Each test here failed on the version before its fix.
import assert from 'node:assert/strict';
import type { InspectionRecord, MaintenanceEvent } from '../../nodes/core/contracts';
import {
  cpkStandardError, designFor, DriftEngine, MAX_ALPHA, parseDriftSettings, pChartLimits, P_RULE, ProportionChart, seeded,
  type DriftSettings, type InspectedUnit,
} from '../../nodes/core/spc';

const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);
const ASSET = { id: 'CNC-07', siteId: 'BEDFORD', location: 'BEDFORD/MACHINING/LINE2/CNC-07' };

function settings(over: Record<string, unknown> = {}): DriftSettings {
  const r = parseDriftSettings({
    site: 'BEDFORD', arl0: 1_000_000, phase1Units: 300, phase1Subgroups: 5, defectSubgroupSize: 200, clearAfter: 300,
    capabilityWindow: 300, subgroupSize: 10, checkpointSeconds: 0,
    specs: [{ product: '*', characteristic: 'bore', lsl: 11.98, usl: 12.02, target: 12 }],
    ...over,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

function engine(over: Record<string, unknown> = {}): DriftEngine {
  const s = settings(over);
  return new DriftEngine(s, designFor(s), 'fp');
}

interface Knobs { mean?: number; sigma?: number; defectRate?: number; slope?: number }

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
    const record: InspectionRecord = {
      unitId: `U${u}`, timestamp: new Date(T0 + u * 100).toISOString(), product: 'HSG-4410', batch: `B${Math.floor(u / 1000)}`,
      modelVersion: 'v3', result: defect ? 'fail' : 'pass', defects: defect ? [{ type: 'scratch', confidence: 0.9 }] : [], measurements: { bore },
    };
    return { record, asset: ASSET, product: 'HSG-4410', tMs: T0 + u * 100 };
  }
}

function run(e: DriftEngine, cam: Camera, n: number, k: Knobs | ((i: number) => Knobs) = {}): MaintenanceEvent[] {
  const events: MaintenanceEvent[] = [];
  for (let i = 0; i < n; i++) events.push(...e.process(cam.record(typeof k === 'function' ? k(i) : k)).events);
  return events;
}

const only = (events: MaintenanceEvent[], family: string, state?: string): MaintenanceEvent[] =>
  events.filter((e) => e.details.family === family && (state === undefined || e.state === state));

describe('spc semantics (issue 15)', function () {
  this.timeout(30000);

  it('item 9: a subgroup with no defect never signals, whatever α the settings ask for', () => {
    // 500 units per subgroup, one false alarm per 465 units: n·rate ≈ 1.08 — the observed case.
    const chart = new ProportionChart(0.005, 0.004, 0.1, 3, 1 / 465);
    assert.ok(chart.alphaFor(500) <= MAX_ALPHA, `α ${chart.alphaFor(500)}`);
    for (let i = 0; i < 20; i++) assert.equal(chart.update(0, 500).rule, null);
    assert.equal(chart.update(2, 500).rule, null, 'two defects in 500 at p̄ 0.5 % is ordinary');
    const r = parseDriftSettings({ arl0: 465, defectSubgroupSize: 500 });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.errors.join(';') : '', /defectSubgroupUnits.*false-alarm chance/);
    assert.ok(parseDriftSettings({ arl0: 50_000, defectSubgroupSize: 500 }).ok, '1 % per subgroup is the edge, allowed');
  });

  it('item 10: ucl3Sigma/lcl3Sigma are the textbook limits on the phase-I p̄; the trigger is named P-PROBABILITY-LIMIT', () => {
    const e = engine({ perDefectType: false });
    const cam = new Camera(6);
    run(e, cam, 1000, { defectRate: 0.01 });
    const ev = only(run(e, cam, 4000, { defectRate: 0.08 }), 'defects', 'raised');
    assert.equal(ev.length, 1);
    const d = ev[0].details;
    assert.equal(ev[0].level, P_RULE);
    const pbar = d.baselinePbar as number;
    assert.equal(d.pbarPhase1, pbar);
    const textbook = pChartLimits(pbar, d.subgroupUnits as number);
    assert.ok(Math.abs((d.ucl3Sigma as number) - textbook.ucl) < 1e-5, `${d.ucl3Sigma} vs ${textbook.ucl}`);
    assert.ok(Math.abs((d.lcl3Sigma as number) - textbook.lcl) < 1e-5);
    assert.ok((d.pbarCharted as number) > pbar, 'the trigger charts against an upper bound of p̄, reported apart');
    assert.match(String(d.trigger), /binomial tail/);
  });

  it('item 16: every chart reports its point, centre line and limits, the p charts too', () => {
    const e = engine({ specs: [{ product: '*', characteristic: 'bore', lsl: 11.98, usl: 12.02 }] });
    const cam = new Camera(7);
    run(e, cam, 1000 + 400);
    const g = [...e.groups.values()][0];
    const bore = g.monitors.get('bore')?.stats() as { charts: Record<string, Record<string, unknown>> };
    for (const k of ['point', 'centre', 'ucl', 'lcl']) assert.equal(typeof bore.charts.value[k], 'number', `value.${k}`);
    for (const chart of ['cusum', 'cusumLarge']) for (const k of ['upper', 'lower', 'limit']) assert.equal(typeof bore.charts[chart][k], 'number', `${chart}.${k}`);
    for (const k of ['point', 'lower', 'upper', 'medium']) assert.equal(typeof bore.charts.capability[k], 'number', `capability.${k}`);
    const defects = g.defects.stats() as { phase: string; charts: Record<string, Record<string, number>> };
    assert.equal(defects.phase, 'monitoring');
    const p = defects.charts['defect-rate'];
    for (const k of ['p', 'n', 'centre', 'ucl3Sigma', 'lcl3Sigma', 'uclProbability', 'pbarCharted', 'ewma', 'ewmaLimit']) assert.equal(typeof p[k], 'number', `p chart ${k}`);
    assert.equal(p.centre, g.defects.baseline?.pbar);
    assert.ok(p.uclProbability > p.centre);
  });

  it('item 14: the trend is watched from a few points after a baseline, its window growing (default window 500)', () => {
    assert.equal(settings().trendWindow, 500);
    const e = engine({ horizonUnits: 100_000, specs: [{ product: '*', characteristic: 'bore', lsl: 11.98, usl: 12.02 }] });
    const cam = new Camera(8);
    run(e, cam, 300);
    // A steep wear from the first unit after the baseline: 0.02 mm (5σ) over 1000 units.
    const ev = run(e, cam, 600, (i) => ({ mean: 12 + (i * 0.02) / 1000 }));
    const trend = only(ev, 'trend', 'raised');
    assert.equal(trend.length, 1, JSON.stringify(ev.map((x) => [x.details.family, x.state, x.level])));
    assert.ok((trend[0].details.trendPoints as number) < 40, `evaluated with ${trend[0].details.trendPoints} points, before the window was full`);
  });

  it('item 15: after a completed work order the defect charts keep watching against the previous p̄ while phase I confirms it', () => {
    const e = engine({ perDefectType: false });
    const cam = new Camera(9);
    run(e, cam, 1000, { defectRate: 0.01 });
    const g = [...e.groups.values()][0];
    const before = g.defects.baseline?.pbar as number;
    e.rebaseline({ assetId: ASSET.id }, 'work order WO-1 done', T0 + 1e6);
    assert.equal(g.defects.learning, false, 'not blind: the previous baseline is the prior');
    assert.equal(g.defects.confirming, true);
    // A repair that made the defect rate worse is seen within the confirmation phase.
    const ev = only(run(e, cam, 800, { defectRate: 0.08 }), 'defects', 'raised');
    assert.equal(ev.length, 1);
    assert.equal(ev[0].details.baselineConfirming, true);
    run(e, cam, 1000, { defectRate: 0.01 });
    assert.equal(g.defects.confirming, false);
    assert.equal(g.defects.baseline?.priorPbar, before);
  });

  it('item 15: a new vision model starts defect phase I from nothing (its rates are not comparable)', () => {
    const e = engine();
    const cam = new Camera(10);
    run(e, cam, 1000);
    const u = cam.record();
    u.record.modelVersion = 'v4';
    e.process(u);
    assert.equal([...e.groups.values()][0].defects.learning, true);
  });

  it('item 11: capability alarms on evidence (the confidence bound), not on an estimate wobbling below the threshold', () => {
    // Cpk ≈ 1.40 (σ chosen so), stable: the window's estimate dips under 1.33 now and then.
    const sigma = 0.02 / (3 * 1.4);
    const e = engine({ arl0: 10_000_000, specs: [{ product: '*', characteristic: 'bore', lsl: 11.98, usl: 12.02, mean: 12, sigma }] });
    const cam = new Camera(11);
    let dips = 0;
    const g = () => [...e.groups.values()][0];
    let raised = 0;
    for (let i = 0; i < 100_000; i++) {
      raised += only(e.process(cam.record({ sigma })).events, 'capability', 'raised').length;
      const c = g()?.monitors.get('bore')?.lastCapability;
      if (i % 300 === 0 && c?.cpk !== null && c?.cpk !== undefined && c.cpk < 1.33) dips++;
    }
    assert.ok(dips > 0, 'the point estimate did dip below 1.33: the old rule would have alarmed');
    assert.equal(raised, 0);
    // A process truly at Cpk 1.0 is caught.
    const bad = engine({ specs: [{ product: '*', characteristic: 'bore', lsl: 11.98, usl: 12.02, mean: 12, sigma: 0.02 / 3 }] });
    assert.ok(only(run(bad, new Camera(12), 2000, { sigma: 0.02 / 3 }), 'capability', 'raised').length === 1);
    assert.ok(Math.abs(cpkStandardError(1.33, 500) - Math.sqrt(1 / 4500 + 1.33 ** 2 / 998)) < 1e-12);
  });
});

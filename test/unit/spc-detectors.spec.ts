import assert from 'node:assert/strict';
import {
  capabilityIndex, PhaseOne, pointStats, RollingCapability, RunRules, seeded, SpreadMonitor, TrendWindow, type RuleSet,
} from '../../nodes/core/spc';

/** The rule that first fires on a sequence of standardised points, and at which point (1-based). */
function firstRule(set: RuleSet, points: number[]): { rule: string | null; at: number } {
  const r = new RunRules(set);
  for (let i = 0; i < points.length; i++) {
    const fired = r.update(points[i]);
    if (fired) return { rule: fired, at: i + 1 };
  }
  return { rule: null, at: 0 };
}

describe('spc: Western Electric and Nelson rules', () => {
  const cases: Array<{ name: string; set: RuleSet; points: number[]; rule: string; at: number }> = [
    { name: 'one point beyond 3σ', set: 'we', points: [0.2, -0.5, 3.2], rule: 'WE1', at: 3 },
    { name: 'one point beyond 3σ (Nelson)', set: 'nelson', points: [0.2, -3.5], rule: 'NELSON1', at: 2 },
    { name: '2 of 3 beyond 2σ, same side', set: 'we', points: [0.1, 2.5, 0.3, 2.2], rule: 'WE2', at: 4 },
    { name: '2 of 3 beyond 2σ but on opposite sides do not count', set: 'we', points: [2.5, -2.5, 0.1], rule: '', at: 0 },
    { name: '4 of 5 beyond 1σ, same side', set: 'we', points: [1.5, 1.2, 0.2, 1.7, 1.1], rule: 'WE3', at: 5 },
    { name: '8 in a row on one side', set: 'we', points: [0.3, 0.2, 0.8, 0.1, 0.5, 0.4, 0.9, 0.2], rule: 'WE4', at: 8 },
    { name: '9 in a row on one side (Nelson 2)', set: 'nelson', points: [-0.3, -0.2, -0.8, -0.1, -0.5, -0.4, -0.9, -0.2, -0.6], rule: 'NELSON2', at: 9 },
    { name: '6 in a row increasing', set: 'nelson', points: [-0.9, -0.6, -0.2, 0.1, 0.4, 0.8], rule: 'NELSON3', at: 6 },
    { name: '14 alternating', set: 'nelson', points: [0.5, -0.5, 0.6, -0.4, 0.5, -0.5, 0.6, -0.4, 0.5, -0.5, 0.6, -0.4, 0.5, -0.5], rule: 'NELSON4', at: 14 },
    { name: '2 of 3 beyond 2σ (Nelson 5)', set: 'nelson', points: [-2.5, 0.1, -2.1], rule: 'NELSON5', at: 3 },
    { name: '4 of 5 beyond 1σ (Nelson 6)', set: 'nelson', points: [-1.5, -1.2, 0.2, -1.7, -1.1], rule: 'NELSON6', at: 5 },
    { name: '15 in a row within 1σ', set: 'nelson', points: [0.5, -0.5, 0.4, 0.3, -0.2, -0.3, 0.1, 0.2, -0.6, -0.4, 0.3, 0.2, -0.1, -0.2, 0.4], rule: 'NELSON7', at: 15 },
    { name: '8 in a row beyond 1σ on either side', set: 'nelson', points: [1.5, -1.5, 1.6, -1.4, 1.3, -1.2, 1.8, -1.9], rule: 'NELSON8', at: 8 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = firstRule(c.set, c.points);
      assert.equal(r.rule ?? '', c.rule);
      assert.equal(r.at, c.at);
    });
  }

  it('Western Electric does not apply the Nelson-only rules', () => {
    assert.equal(firstRule('we', [-0.9, -0.6, -0.2, 0.1, 0.4, 0.8]).rule, null);
  });

  it('snapshot and restore continue a run exactly', () => {
    const a = new RunRules('nelson');
    for (const z of [0.3, 0.2, 0.8, 0.1]) a.update(z);
    const b = new RunRules('nelson');
    b.restore(a.snapshot());
    const rest = [0.5, 0.4, 0.9, 0.2, 0.6];
    assert.deepEqual(rest.map((z) => b.update(z)), rest.map((z) => a.update(z)));
  });
});

describe('spc: Theil–Sen trend and projection', () => {
  it('finds the slope through outliers and projects units and time to USL', () => {
    const w = new TrendWindow(40);
    for (let i = 0; i < 40; i++) {
      const x = i * 50 + 25;
      const y = 10 + 0.001 * x + (i === 7 ? 5 : 0) + (i === 30 ? -4 : 0);
      w.push(x, y, i * 50_000);
    }
    const p = w.evaluate(9, 14);
    assert.ok(p);
    assert.ok(Math.abs(p.slope - 0.001) < 1e-9, `slope ${p.slope}`);
    assert.ok(Math.abs(p.level - (10 + 0.001 * 1975)) < 1e-9);
    assert.equal(p.limit, 'USL');
    assert.ok(Math.abs((p.unitsToLimit ?? 0) - (14 - 11.975) / 0.001) < 1e-6);
    // 50 units per 50 s: one unit a second.
    assert.ok(Math.abs((p.secondsToLimit ?? 0) - (p.unitsToLimit ?? 0)) < 1e-6);
    assert.ok(p.z > 5, `Mann–Kendall z ${p.z}`);
  });

  it('a falling mean heads for LSL; a flat noisy one shows no significant trend', () => {
    const down = new TrendWindow(20);
    for (let i = 0; i < 20; i++) down.push(i, 5 - 0.1 * i, i * 1000);
    const p = down.evaluate(2, 8);
    assert.equal(p?.limit, 'LSL');
    assert.ok(Math.abs((p?.unitsToLimit ?? 0) - (5 - 0.1 * 19 - 2) / 0.1) < 1e-9);
    const rnd = seeded(7);
    const flat = new TrendWindow(40);
    for (let i = 0; i < 40; i++) flat.push(i, rnd.normal(), i);
    assert.ok(Math.abs(flat.evaluate(-5, 5)?.z ?? 99) < 3);
  });

  it('keeps only the newest points and survives a snapshot', () => {
    const w = new TrendWindow(5);
    for (let i = 0; i < 12; i++) w.push(i, i * 2, i);
    assert.equal(w.size, 5);
    const copy = new TrendWindow(5);
    copy.restore(w.snapshot());
    assert.deepEqual(copy.evaluate(undefined, 100), w.evaluate(undefined, 100));
    assert.equal(copy.snapshot().x[0], 7);
  });
});

describe('spc: rolling capability', () => {
  it('matches a direct computation over the window, within and overall', () => {
    const rnd = seeded(3);
    const cap = new RollingCapability(20, 10);
    const all: number[][] = [];
    for (let b = 0; b < 57; b++) {
      const xs = Array.from({ length: 5 }, () => 10 + 0.01 * b + 0.2 * rnd.normal());
      all.push(xs);
      const dev = xs.map((x) => x - 10);
      cap.push(5, dev.reduce((a, v) => a + v, 0), dev.reduce((a, v) => a + v * v, 0));
    }
    const window = all.slice(-20);
    const flat = window.flat();
    const mean = flat.reduce((a, v) => a + v, 0) / flat.length;
    const overall = Math.sqrt(flat.reduce((a, v) => a + (v - mean) ** 2, 0) / (flat.length - 1));
    const within = Math.sqrt(window.reduce((a, xs) => {
      const m = xs.reduce((s, v) => s + v, 0) / xs.length;
      return a + xs.reduce((s, v) => s + (v - m) ** 2, 0);
    }, 0) / (window.length * 4));
    const c = cap.indices(9, 11.5);
    assert.ok(c);
    assert.ok(Math.abs(c.mean - mean) < 1e-9);
    assert.ok(Math.abs(c.sigmaOverall - overall) < 1e-9);
    assert.ok(Math.abs(c.sigmaWithin - within) < 1e-9);
    assert.ok(Math.abs((c.cpk ?? 0) - Math.min(11.5 - mean, mean - 9) / (3 * within)) < 1e-9);
    assert.ok(Math.abs((c.ppk ?? 0) - Math.min(11.5 - mean, mean - 9) / (3 * overall)) < 1e-9);
    assert.ok(Math.abs((c.cp ?? 0) - 2.5 / (6 * within)) < 1e-9);
    assert.equal(c.units, 100);
  });

  it('one-sided specs use the one limit', () => {
    assert.equal(capabilityIndex(10, 1, undefined, 13), 1);
    assert.equal(capabilityIndex(10, 1, 4, undefined), 2);
    assert.equal(capabilityIndex(10, 1), null);
  });
});

describe('spc: phase-I baseline', () => {
  it('mean and moving-range σ, leaving out gross outliers', () => {
    const rnd = seeded(11);
    const p = new PhaseOne(2000);
    for (let i = 0; i < 2000; i++) p.add(i === 100 || i === 900 ? 99 : 50 + 2 * rnd.normal());
    const b = p.finish('2026-01-01T00:00:00.000Z', 'v1');
    assert.ok(b);
    assert.equal(b.excluded, 2);
    assert.equal(b.n, 1998);
    assert.ok(Math.abs(b.mean - 50) < 0.15, `mean ${b.mean}`);
    assert.ok(Math.abs(b.sigma - 2) < 0.1, `σ ${b.sigma}`);
    assert.ok(Math.abs(b.sigmaOverall - 2) < 0.1);
    assert.equal(b.modelVersion, 'v1');
    assert.equal(b.source, 'learned');
  });

  it('a flat signal gives no baseline', () => {
    const p = new PhaseOne(20);
    for (let i = 0; i < 20; i++) p.add(7);
    assert.equal(p.finish('2026-01-01T00:00:00Z', null), null);
  });

  it('pools the within-part σ, leaving out a part with a wild point', () => {
    const rnd = seeded(5);
    const p = new PhaseOne(500);
    for (let i = 0; i < 500; i++) {
      const pts = Array.from({ length: 5 }, () => 25 + 0.6 * rnd.normal());
      if (i === 10) pts[2] = 60;
      const s = pointStats(pts);
      p.add(s.mean, s.s, s.n);
    }
    const b = p.finish('2026-01-01T00:00:00Z', null);
    assert.ok(b?.sigmaWithin && Math.abs(b.sigmaWithin - 0.6) < 0.03, `σ within ${b?.sigmaWithin}`);
  });
});

describe('spc: uniformity (S chart and EWMA of ln s²)', () => {
  it('a good part passes; a part with four times the spread trips the S chart', () => {
    const m = new SpreadMonitor(1, 0.1, 5, 1e-7);
    assert.equal(m.update(1, 5).rule, null);
    const r = m.update(4, 5);
    assert.equal(r.rule, 'S-CHART');
    assert.ok(r.limit > 2 && r.limit < 4, `probability limit ${r.limit}`);
    const textbook = m.textbookLimits(5);
    assert.ok(Math.abs(textbook.ucl - 1.964) < 5e-4);
  });

  it('a spread up by half is caught by the EWMA of ln s² and not by the S chart', () => {
    const rnd = seeded(9);
    const m = new SpreadMonitor(1, 0.1, 5, 1e-7);
    let first: string | null = null;
    let parts = 0;
    while (!first && parts < 5000) {
      parts++;
      first = m.update(pointStats(Array.from({ length: 5 }, () => 1.5 * rnd.normal())).s, 5).rule;
    }
    assert.equal(first, 'LOGVAR-EWMA');
    assert.ok(parts < 500, `took ${parts} parts`);
  });

  it('stays quiet on 100 000 good parts', () => {
    const rnd = seeded(10);
    const m = new SpreadMonitor(1, 0.1, 5.24, 1e-7);
    let signals = 0;
    for (let i = 0; i < 100_000; i++) if (m.update(pointStats(Array.from({ length: 5 }, () => rnd.normal())).s, 5).rule) signals++;
    assert.equal(signals, 0);
  });
});

// Issue 15 items 12–13 and issue 11's setting names: the node-wide false-alarm rate measured
// against the budget, and flows saved by version 0.1.0 read under today's names.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Asset } from '../../nodes/core/contracts';
import { designFor, DriftEngine, migrate, parseDriftSettings, RENAMED, type DriftSettings } from '../../nodes/core/spc';
import { PartStream, partSpecRows } from '../support/spc-parts';

const ASSET: Asset = { id: 'CNC-07', siteId: 'BEDFORD', location: 'BEDFORD/MACHINING/CNC-07' };

function parsed(config: unknown): DriftSettings {
  const r = parseDriftSettings(config);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

describe('spc: the false-alarm budget, node-wide (seeded Monte Carlo)', function () {
  this.timeout(120000);

  it('in control, the whole node raises episodes at the promised rate, within ±20 %', () => {
    // Defaults, except the budget: one false alarm per 10 000 units on the line instead of a month
    // at 3 600 units an hour (2.6 million), so that about a hundred false alarms take a million
    // units; and defect subgroups of 100 (20 × 500 would ask 5 % per subgroup of that budget,
    // which the settings refuse), with 100 phase-I subgroups to keep phase I at 10 000 units.
    const N = 10_000;
    const s = parsed({ site: 'BEDFORD', specs: partSpecRows(), falseAlarmDays: N / (24 * 3600), unitsPerHour: 3600, defectSubgroupUnits: 100, phase1Subgroups: 100 });
    assert.equal(s.arl0, N);
    const SEEDS = 20;
    const MONITORED = 50_000;
    const warmUp = s.defectSubgroupSize * s.phase1Subgroups;
    let raised = 0;
    let units = 0;
    const by = new Map<string, number>();
    // Twenty lines, each with its own learned baselines: the rate a user sees averages over
    // baselines, whose estimation error is part of the promise.
    for (let seed = 1; seed <= SEEDS; seed++) {
      const engine = new DriftEngine(s, designFor(s), 'fp');
      const stream = new PartStream({ seed: 500 + seed });
      for (let i = 0; i < warmUp + MONITORED; i++) {
        const u = stream.next();
        const r = engine.process({ record: u.record, asset: ASSET, product: u.record.product as string, tMs: u.tMs });
        if (i < warmUp) continue;
        units++;
        for (const e of r.events) {
          if (e.state !== 'raised') continue;
          raised++;
          const k = `${e.details.family}`;
          by.set(k, (by.get(k) ?? 0) + 1);
        }
      }
      const g = [...engine.groups.values()][0];
      assert.equal(g.defects.learning, false);
      assert.ok([...g.monitors.values()].every((m) => !m.learning));
    }
    const ratio = (raised / units) * N;
    console.log(`      node-wide: ${raised} false episodes over ${units} in-control units = one per ${Math.round(units / raised)} (setting ${N}); ratio ${ratio.toFixed(2)}; by family ${JSON.stringify(Object.fromEntries(by))}`);
    assert.ok(ratio >= 0.8 && ratio <= 1.2, `node-wide false-alarm rate is ${ratio.toFixed(2)} × the setting`);
  });
});

describe('spc settings: flows saved by version 0.1.0 (issue 11)', () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'mw-vision-drift-0.1.0-flow.json'), 'utf8')) as Array<Record<string, unknown>>;
  const old = fixture[0];

  it('migrate() reads the old names and the numbers saved as text, under today\'s names, as numbers', () => {
    const m = migrate(old);
    for (const [was, now] of Object.entries(RENAMED)) {
      assert.ok(!(was in m), `${was} is gone`);
      assert.equal(m[now], Number(old[was]), now);
    }
    assert.equal(m.lambda, 0.1);
    assert.equal(m.cpkHigh, 1);
    assert.equal(m.maxSeries, 1000);
    assert.equal(m.priorityLow, 4);
    assert.ok(!('arl0' in m));
    assert.equal((m.falseAlarmDays as number) * 24 * (m.unitsPerHour as number), 10_000_000, 'the same budget, as days at 3 600 units an hour');
    assert.equal(m.site, 'BEDFORD');
    // New names win over old ones when a flow has both.
    assert.equal(migrate({ trendWindow: '2000', trendWindowUnits: 700 }).trendWindowUnits, 700);
  });

  it('an old node config gives the same settings, and the same events, as the same config saved under today\'s names', () => {
    const a = parsed(old);
    assert.equal(a.arl0, 10_000_000);
    assert.equal(a.lambda, 0.1);
    assert.equal(a.trendWindow, 2000);
    assert.equal(a.defectSubgroupSize, 500);
    const today: Record<string, unknown> = {
      site: 'BEDFORD', specs: old.specs, falseAlarmDays: 10_000_000 / (24 * 3600), unitsPerHour: 3600, lambda: 0.1, cusumK: 0.5, subgroupUnits: 10, trendWindowUnits: 2000,
      capabilityWindowUnits: 500, defectSubgroupUnits: 500, clearAfterUnits: 500, phase1Units: 1000, phase1Subgroups: 20, cpkMedium: 1.33, cpkHigh: 1,
    };
    const b = parsed(today);
    assert.deepEqual(a, b);
    const run = (settings: DriftSettings): string[] => {
      const engine = new DriftEngine(settings, designFor(settings), 'fp');
      const stream = new PartStream({ seed: 77 });
      const out: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const u = stream.next();
        (u.record.measurements as { bore: number }).bore += i > 1500 ? 0.01 : 0;
        for (const e of engine.process({ record: u.record, asset: ASSET, product: u.record.product as string, tMs: u.tMs }).events) out.push(`${e.state} ${e.eventId} ${e.level}`);
      }
      return out;
    };
    const events = run(a);
    assert.ok(events.length > 0);
    assert.deepEqual(events, run(b));
  });
});

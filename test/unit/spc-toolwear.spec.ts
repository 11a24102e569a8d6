// The promise of the node, measured: with default settings, a wearing tool (bore creeping toward
// USL, coating spread and cosmetic defects rising slowly) is reported well before the first part
// out of spec in nearly every seeded run; a million in-control records raise almost nothing.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  designFor, DriftEngine, parseDriftSettings, type DriftSettings,
} from '../../nodes/core/spc';
import { PART, PartStream, partSpecRows, TOOL_WEAR } from '../support/spc-parts';
import type { Asset, MaintenanceEvent } from '../../nodes/core/contracts';

/** A full garbage collection, for comparing heap sizes (the flag can be set at run time). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

const ASSET: Asset = { id: 'CNC-07', siteId: 'BEDFORD', location: 'BEDFORD/MACHINING/CNC-07' };

function defaults(): DriftSettings {
  const r = parseDriftSettings({ site: 'BEDFORD', specs: partSpecRows() });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

interface WearRun {
  seed: number;
  firstTrigger: number | null;
  firstLevel: string | null;
  firstOutOfSpec: number | null;
}

function wearRun(seed: number, s: DriftSettings, design: ReturnType<typeof designFor>): WearRun {
  const engine = new DriftEngine(s, design, 'fp');
  const stream = new PartStream({ seed, wear: TOOL_WEAR });
  let firstTrigger: number | null = null;
  let firstLevel: string | null = null;
  for (let i = 0; i < 60_000; i++) {
    const u = stream.next();
    if (u.outOfSpec) return { seed, firstTrigger, firstLevel, firstOutOfSpec: i };
    const r = engine.process({ record: u.record, asset: ASSET, product: u.record.product as string, tMs: u.tMs });
    if (firstTrigger === null) {
      const raised = r.events.find((e) => e.state === 'raised');
      if (raised) {
        firstTrigger = i;
        firstLevel = `${raised.metric} ${raised.level}`;
      }
    }
  }
  return { seed, firstTrigger, firstLevel, firstOutOfSpec: null };
}

describe('spc: tool-wear scenario and in-control stream (default settings)', function () {
  this.timeout(60000);
  const s = defaults();
  const design = designFor(s);

  it('raises a drift trigger well before the first out-of-spec part in nearly every seeded run', () => {
    const runs = Array.from({ length: 20 }, (_, i) => wearRun(i + 1, s, design));
    const leads = runs.map((r) => (r.firstOutOfSpec !== null && r.firstTrigger !== null ? r.firstOutOfSpec - r.firstTrigger : -1));
    const early = leads.filter((l) => l >= 1000).length;
    const sorted = [...leads].sort((a, b) => a - b);
    const median = sorted[10];
    const wearStart = TOOL_WEAR.startUnit;
    const report = runs.map((r, i) => `seed ${r.seed}: trigger at ${r.firstTrigger} (${r.firstLevel}), first out of spec at ${r.firstOutOfSpec}, lead ${leads[i]}`).join('\n');
    // Visible in the test output: the figures the README quotes.
    console.log(`      tool wear: ${early}/20 runs warned ≥ 1000 units ahead; lead units min ${sorted[0]}, median ${median}, max ${sorted[19]}; ` +
      `median ${(median / 125).toFixed(0)} s at 125 units/s; wear begins at unit ${wearStart}`);
    assert.ok(runs.every((r) => r.firstOutOfSpec !== null), `every run should reach an out-of-spec part:\n${report}`);
    assert.ok(runs.every((r) => r.firstTrigger === null || r.firstTrigger > wearStart), `a trigger before the wear began is a false alarm:\n${report}`);
    assert.ok(early >= 19, `only ${early}/20 runs warned 1000 units ahead:\n${report}`);
    assert.ok(median >= 3000, `median lead ${median} units:\n${report}`);
  });

  it('raises almost nothing over a million in-control records', () => {
    const engine = new DriftEngine(s, design, 'fp');
    const stream = new PartStream({ seed: 424242, wear: null });
    const raised: MaintenanceEvent[] = [];
    let outOfSpec = 0;
    let heapAt200k = 0;
    let stateAt200k = 0;
    for (let i = 0; i < 1_000_000; i++) {
      if (i === 200_000) {
        collectGarbage();
        heapAt200k = process.memoryUsage().heapUsed;
        stateAt200k = JSON.stringify(engine.snapshot([...engine.groups.values()][0])).length;
      }
      const u = stream.next();
      if (u.outOfSpec) outOfSpec++;
      for (const e of engine.process({ record: u.record, asset: ASSET, product: u.record.product as string, tMs: u.tMs }).events) {
        if (e.state === 'raised') raised.push(e);
      }
    }
    console.log(`      in control: ${raised.length} episode(s) raised over 1 000 000 records (${raised.map((e) => `${e.metric} ${e.level}`).join(', ') || 'none'}); ${outOfSpec} parts out of spec by chance`);
    collectGarbage();
    const heapGrowth = process.memoryUsage().heapUsed - heapAt200k;
    const group = [...engine.groups.values()][0];
    const state = JSON.stringify(engine.snapshot(group)).length;
    console.log(`      memory: heap ${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / 1024).toFixed(0)} kB from record 200 000 to 1 000 000; state of the series ${stateAt200k} → ${state} bytes`);
    // The per-series state is fixed-size rings and sums: it does not grow with the stream.
    assert.ok(Math.abs(state - stateAt200k) < 2000, `state grew from ${stateAt200k} to ${state} bytes`);
    assert.ok(heapGrowth < 2 * 1024 * 1024, `heap grew ${heapGrowth} bytes over 800 000 records`);
    assert.equal(group.monitors.get('bore')?.learning, false);
    assert.equal(group.defects.learning, false);
    assert.ok(Math.abs((group.monitors.get('bore')?.baseline?.mean ?? 0) - PART.boreMean) < 0.001);
    assert.ok(raised.length <= 3, `${raised.length} false episodes: ${raised.map((e) => `${e.metric} ${e.level} at ${e.occurredAt}`).join('; ')}`);
  });
});

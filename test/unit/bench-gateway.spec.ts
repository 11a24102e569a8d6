// Pure parts of the gateway-day benchmark (bench/gateway/) and of bench/run.ts's option handling.
import assert from 'node:assert/strict';

import { benchAssetsCsv, coreFlows } from '../../bench/gateway/flows';
import { bulkTopic } from '../../bench/gateway/load';
import { cpuPercentOfCore, p99, parseWriteBytes, perHour, ratios, type VariantFigures } from '../../bench/gateway/metrics';
import { inProcessNames, parseOptions } from '../../bench/run';

const PROC_IO = `rchar: 1948372
wchar: 880123
syscr: 4120
syscw: 2001
read_bytes: 4096
write_bytes: 1236992
cancelled_write_bytes: 8192
`;

describe('bench gateway: pure logic', function () {
  it('reads write_bytes (not wchar, not cancelled_write_bytes) from /proc/<pid>/io', function () {
    assert.equal(parseWriteBytes(PROC_IO), 1_236_992);
  });

  it('refuses a /proc io text without write_bytes', function () {
    assert.throws(() => parseWriteBytes('rchar: 1\nwchar: 2\n'), /no write_bytes/);
  });

  it('scales to one hour and to % of one core', function () {
    assert.equal(perHour(1_000, 60_000), 60_000);
    assert.ok(Number.isNaN(perHour(1, 0)));
    assert.equal(cpuPercentOfCore(30_000_000, 60_000), 50);
  });

  it('p99 of unsorted samples, NaN when empty', function () {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(p99(xs), 99);
    assert.ok(Number.isNaN(p99([])));
  });

  it('divides every figure of mw by core, NaN where core is 0', function () {
    const mw: VariantFigures = { cpuPercent: 30, rssMaxMb: 200, loopP99Ms: 4, eventToWoP99Ms: 300, diskBytesPerHour: 1e6 };
    const core: VariantFigures = { cpuPercent: 15, rssMaxMb: 100, loopP99Ms: 2, eventToWoP99Ms: 100, diskBytesPerHour: 0 };
    const r = ratios(mw, core);
    assert.deepEqual({ ...r, diskBytesPerHour: 0 }, { cpuPercent: 2, rssMaxMb: 2, loopP99Ms: 2, eventToWoP99Ms: 3, diskBytesPerHour: 0 });
    assert.ok(Number.isNaN(r.diskBytesPerHour));
  });

  it('maps every bulk tag in the bench assets.csv, keeping the reference rows', function () {
    const csv = benchAssetsCsv(3).trimEnd().split('\n');
    assert.ok(csv.some((l) => l.includes('plant/bedford/area2/conv-301/motor_temp')));
    for (let i = 0; i < 3; i++) assert.ok(csv.some((l) => l.startsWith(`exact,${bulkTopic(i)},`) && l.includes(`,tag_${i},`)));
    const ids = csv.map((l) => l.split(',')[1]).filter(Boolean);
    assert.equal(new Set(ids).size, ids.length, 'no duplicate identifiers');
  });

  it('the core job keeps the protocol nodes and has no mw- node left, every wire pointing at a node that exists', function () {
    const ref = [
      { id: 't', type: 'tab' },
      { id: 'in', type: 'mqtt in', z: 't', wires: [['map']] },
      { id: 'map', type: 'mw-asset-map', z: 't', x: 1, y: 1, wires: [['thr'], ['dbg']] },
      { id: 'thr', type: 'mw-threshold', z: 't', wires: [[]] },
      { id: 'dbg', type: 'debug', z: 't', wires: [] },
    ];
    const flows = coreFlows(ref);
    assert.ok(!flows.some((n) => n.type.startsWith('mw-') || n.type === 'debug'));
    const ids = new Set(flows.map((n) => n.id));
    const input = flows.find((n) => n.id === 'in');
    assert.deepEqual(input?.wires, [['core-t-fn']]);
    for (const n of flows) for (const port of n.wires ?? []) for (const t of port) assert.ok(ids.has(t), `${n.id} → ${t}`);
    assert.ok(flows.some((n) => n.type === 'http request'));
  });
});

describe('bench run.ts options', function () {
  it('--only work-order selects no in-process scenario (it used to select all)', function () {
    assert.equal(inProcessNames(['work-order']), null);
    assert.deepEqual(inProcessNames([]), []);
    assert.deepEqual(inProcessNames(['core-chain', 'work-order']), ['core-chain']);
  });

  it('--gateway: 10 minutes, 2 with --quick, --minutes overrides; --minutes alone is refused', function () {
    assert.equal(parseOptions(['--gateway']).minutes, 10);
    assert.equal(parseOptions(['--gateway', '--quick']).minutes, 2);
    assert.equal(parseOptions(['--gateway', '--quick', '--minutes', '1']).minutes, 1);
    assert.equal(parseOptions([]).gateway, false);
    assert.throws(() => parseOptions(['--minutes', '1']), /--gateway only/);
    assert.throws(() => parseOptions(['--gateway', '--minutes', '0']), /positive whole number/);
  });
});

// Pure parts of the gateway-day benchmark (bench/gateway/) and of bench/run.ts's option handling.
import assert from 'node:assert/strict';

import { benchAssetsCsv, bulkReaders, coreFlows, tagLayout } from '../../bench/gateway/flows';
import { bulkTopic, cameraId, stationAssets, stationId } from '../../bench/gateway/load';
import { mergeFlows } from '../../sim/demo-flows';
import { bulkModbusBlocks, bulkModbusTag, bulkOpcuaNodeId } from '../../sim/plant';
import { REPO_ROOT } from '../../sim/runtime';
import path from 'node:path';
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
    const csv = benchAssetsCsv({ modbus: 0, opcua: 0, mqtt: 3, cameras: 1 }).trimEnd().split('\n');
    assert.ok(csv.some((l) => l.includes('plant/bedford/area2/conv-301/motor_temp')));
    for (let i = 0; i < 3; i++) assert.ok(csv.some((l) => l.startsWith(`exact,${bulkTopic(i)},`) && l.includes(`,tag_${i},`)));
    const ids = csv.map((l) => l.split(',')[1]).filter(Boolean);
    assert.equal(new Set(ids).size, ids.length, 'no duplicate identifiers');
  });

  it('splits 2,000 tags about a third each over Modbus, OPC UA and MQTT, the reference tags included', function () {
    const l = tagLayout(2000, 10);
    // 4 Modbus, 6 OPC UA and 2 MQTT alarm tags come from the reference flows.
    assert.deepEqual(l, { modbus: 663, opcua: 661, mqtt: 664, cameras: 10 });
    assert.equal(l.modbus + 4 + l.opcua + 6 + l.mqtt + 2, 2000);
    assert.deepEqual(tagLayout(12, 1), { modbus: 0, opcua: 0, mqtt: 2, cameras: 1 });
  });

  it('maps every Modbus and OPC UA bulk tag and every camera to its own station in the bench assets.csv', function () {
    const layout = { modbus: 125, opcua: 7, mqtt: 2, cameras: 10 };
    const csv = benchAssetsCsv(layout).trimEnd().split('\n').map((l) => l.split(','));
    for (let j = 0; j < layout.modbus; j++) {
      const t = bulkModbusTag(j, layout.modbus);
      const rows = csv.filter((r) => r[0] === 'modbus' && r[4] === t.table && r[5] === String(t.address));
      assert.equal(rows.length, 1, `one row for ${t.table} ${t.address}`);
      assert.deepEqual([rows[0][2], rows[0][6], rows[0][7], rows[0][12]], ['PUMP-SKID-PLC', 'float32', t.wordOrder, `mb_${j}`]);
    }
    for (let j = 0; j < layout.opcua; j++) assert.ok(csv.some((r) => r[0] === 'opcua' && r[1] === bulkOpcuaNodeId(j) && r[12] === `ua_${j}`));
    const stations = new Map(csv.filter((r) => /^CAM-9/.test(r[1])).map((r) => [r[1], r[8]]));
    assert.equal(stations.size, 10);
    for (let i = 0; i < 10; i++) assert.equal(stations.get(cameraId(i)), stationId(i));
    assert.equal(new Set(stations.values()).size, 10, 'ten distinct stations');
    // Each station and camera exists in the bench CMMS's asset master (CAM-901/PRS-701 in the default one).
    const master = stationAssets(10).map((a) => a.assetnum);
    for (let i = 1; i < 10; i++) assert.ok(master.includes(stationId(i)) && master.includes(cameraId(i)));
    assert.ok(!master.includes('PRS-701'));
  });

  it('adds block readers and one OPC UA subscribe-multiple to the reference tabs, wired into the reference nodes', function () {
    const ref = mergeFlows(['modbus', 'opcua', 'mqtt', 'vision'].map((f) => path.join(REPO_ROOT, 'flows', `gateway-${f}.json`))) as Parameters<typeof coreFlows>[0];
    const layout = { modbus: 663, opcua: 661, mqtt: 0, cameras: 1 };
    const added = bulkReaders(ref, layout);
    const reads = added.filter((n) => n.type === 'modbus-read');
    assert.equal(reads.length, bulkModbusBlocks(663).length);
    assert.ok(reads.length <= 12, `a few block readers, not one per tag (${reads.length})`);
    for (const r of reads) {
      assert.equal(r.server, 'mw-gw-modbus-client');
      assert.equal(r.z, 'mw-gw-modbus');
      assert.deepEqual(r.wires, [['mw-gw-modbus-map'], []]);
      assert.ok(Number(r.quantity) <= 125);
    }
    assert.equal(reads.reduce((a, r) => a + Number(r.quantity), 0), 2 * 663);
    const multi = added.filter((n) => n.type === 'inject');
    assert.equal(multi.length, 1);
    assert.equal(multi[0].topic, 'multiple');
    assert.deepEqual(multi[0].wires, [['mw-gw-opcua-client']]);
    assert.equal((JSON.parse(String(multi[0].payload)) as unknown[]).length, 661);
    const ids = new Set([...ref, ...added].map((n) => n.id));
    assert.equal(ids.size, ref.length + added.length, 'no id clash with the reference flows');
    // In the core job the block readers feed the core chain like the reference reader.
    const core = coreFlows([...ref, ...added] as Parameters<typeof coreFlows>[0]);
    const refRead = core.find((n) => n.id === 'mw-gw-modbus-read');
    for (const r of reads) assert.deepEqual(core.find((n) => n.id === r.id)?.wires, refRead?.wires);
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

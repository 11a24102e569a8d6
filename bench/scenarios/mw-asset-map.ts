// mw-asset-map benchmarks: the same mixed message stream through a registry of 1 000 and of 100 000
// rows (exact ids, MQTT filters, OPC UA NodeIds, Modbus blocks and a few regexes), so the two runs
// show whether lookup cost grows with the map. One core change node is a second yardstick: what any
// node costs on top of the bare hop.
//
// Run as a script (`node dist/bench/scenarios/mw-asset-map.js`) it measures the other figures of the
// issue instead: loading a 100 000-row CSV (time, longest blocking step, event-loop delay) and the
// registry's memory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { NodeMessage } from 'node-red';
import type { Scenario } from '../scenarios';

export const BENCH_ASSET_DIR = path.join(os.tmpdir(), 'mw-bench-assets');
/** Distinct identifiers each stream cycles through (spread over the whole map). */
const KEYS = 5000;

/** Modbus rows get a unit (1–250) and a float32 register pair of their own. */
function modbusSlot(i: number): { unit: number; address: number } {
  const j = Math.floor(i / 5);
  return { unit: (j % 250) + 1, address: Math.floor(j / 250) * 2 };
}

/** Row i of a map of n rows: kinds interleaved so that every part of the map is used. */
function rowLine(i: number): string {
  const asset = `PUMP-${i}`;
  const site = `SITE${i % 7}`;
  const loc = `AREA${i % 13}/LINE${i % 5}/${asset}`;
  switch (i % 5) {
    case 0: return `exact,site/dev${i}/vib,,,,,${asset},${site},${loc},vibration,mm/s,,`;
    case 1: return `mqtt,mqtt/dev${i}/+/temp,,,,,${asset},${site},${loc},temp,°C,0.1,`;
    case 2: return `opcua,ns=2;s=Dev${i}.Pressure,,,,,${asset},${site},${loc},pressure,bar,,`;
    case 3: {
      const { unit, address } = modbusSlot(i);
      return `modbus,,,${unit},holding,${address},${asset},${site},${loc},flow,m3/h,,float32`;
    }
    default: return i % 10_000 === 4 ? `regex,^rx/dev${i}/,,,,,${asset},${site},${loc},level,m,,` : `exact,exact/dev${i},,,,,${asset},${site},${loc},speed,rpm,,`;
  }
}

/** A CSV of n rows, written once per size. Quoted where a NodeId holds a ';'. */
function mapFile(n: number): string {
  // The version in the name keeps a file written by an older generator from being reused.
  const file = path.join(BENCH_ASSET_DIR, `map-v2-${n}.csv`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(BENCH_ASSET_DIR, { recursive: true });
  const lines = ['kind,identifier,connection,unitId,table,address,assetId,siteId,location,metric,unit,scale,dataType'];
  for (let i = 0; i < n; i++) {
    const l = rowLine(i);
    lines.push(i % 5 === 2 ? l.replace(/^opcua,([^,]+),/, 'opcua,"$1",') : l);
  }
  fs.writeFileSync(`${file}.tmp`, `${lines.join('\n')}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

/** The message for identifier `k` of a map of n rows; each one maps to exactly one asset. */
function messageFor(n: number): (seq: number, key: number) => NodeMessage {
  // Pick rows spread over the whole map, one of each kind in turn.
  let stride = Math.max(1, Math.floor(n / KEYS));
  if (stride % 5 === 0) stride += 1;
  return (seq, key) => {
    const i = (key * stride) % n;
    const value = seq % 100;
    switch (i % 5) {
      case 0: return { topic: `site/dev${i}/vib`, payload: value } as NodeMessage;
      case 1: return { topic: `mqtt/dev${i}/x/temp`, payload: value } as NodeMessage;
      case 2: return { topic: `ns=2;s=Dev${i}.Pressure`, payload: value, statusCode: { value: 0 }, sourceTimestamp: 1772355600000 } as NodeMessage;
      case 3: {
        const { unit, address } = modbusSlot(i);
        return { topic: 'polling', payload: [0x4148, value], input: { payload: { unitid: String(unit), fc: 3, address: String(address), quantity: '2' } } } as NodeMessage;
      }
      default: return { topic: i % 10_000 === 4 ? `rx/dev${i}/x` : `exact/dev${i}`, payload: value } as NodeMessage;
    }
  };
}

function mapScenario(n: number, name: string): Scenario {
  return {
    name,
    description: `mw-asset-map, ${n.toLocaleString('en')} rows of mixed kinds, ${KEYS} identifiers (MQTT, OPC UA, Modbus)`,
    role: 'node',
    compareTo: 'asset-map-bare-hop',
    keys: KEYS,
    // A getter, so the CSV is only written when this scenario is deployed.
    get configNodes() {
      return [{ id: `bench-assets-${n}`, type: 'mw-asset-registry', name: `bench ${n}`, rows: [], file: mapFile(n), fileFormat: 'csv', watch: false }];
    },
    chain: [{ type: 'mw-asset-map', registry: `bench-assets-${n}`, source: 'auto', connection: '' }],
    message: messageFor(n),
  };
}

export const scenarios: Scenario[] = [
  {
    // Building a Modbus or OPC UA message costs the source more than a counter does, so the map's
    // ratios divide by a bare hop that carries the very same messages.
    name: 'asset-map-bare-hop',
    description: `source → sink with the asset-map scenarios' messages (${KEYS} identifiers of mixed kinds): their bare hop`,
    role: 'node',
    compareTo: 'bare-hop',
    keys: KEYS,
    chain: [],
    message: messageFor(100_000),
  },
  {
    name: 'one-core-node',
    description: 'source → change (set msg.checked) → sink: what any one node costs on top of the bare hop',
    role: 'node',
    compareTo: 'bare-hop',
    chain: [{ type: 'change', rules: [{ t: 'set', p: 'checked', pt: 'msg', to: 'true', tot: 'bool' }] }],
  },
  mapScenario(1_000, 'mw-asset-map-1k'),
  mapScenario(100_000, 'mw-asset-map-100k'),
];

// ---- load time and memory (run this file directly) ------------------------------------------

function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** One cold load in this process: time, longest blocking stretch, and the memory the map keeps. */
async function measureLoad(n: number): Promise<Record<string, number>> {
  // Loaded here, not at the top: the bench driver requires this file only for its scenarios.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { RegistryService } = require('../../nodes/core/assets/service') as typeof import('../../nodes/core/assets/service');
  const { emptyNamespaces } = require('../../nodes/core/assets/opcua') as typeof import('../../nodes/core/assets/opcua');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const file = mapFile(n);
  const gc = gcFunction();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let longestGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 1);
  loop.enable();
  const cpu0 = process.cpuUsage();
  let service: InstanceType<typeof RegistryService> | null = new RegistryService(
    { cmms: null, rows: [], file: { path: file, format: 'csv', watch: false }, requireVerified: false, namespaces: emptyNamespaces(), autoVerifyMs: 0 },
    { stateFile: null, cmms: () => 'none' },
  );
  service.start();
  const report = await service.whenSettled();
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  clearInterval(ticker);
  if (!report.ok) throw new Error(report.errors.join('\n'));
  // Let the file stream and parser wind down first, so only the map is left to count.
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const withMap = process.memoryUsage().heapUsed;
  await service.close();
  service = null;
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const without = process.memoryUsage().heapUsed;
  return {
    rows: report.rows,
    targets: report.targets,
    loadMs: report.ms,
    // CPU of the whole process (main thread and GC helpers): what the load costs when the machine is shared.
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    longestStepMs: report.longestSliceMs,
    longestTimerGapMs: Math.round(longestGap),
    loopDelayMaxMs: Math.round(loop.max / 1e6),
    registryMb: Math.round(((withMap - without) / 2 ** 20) * 10) / 10,
  };
}

if (require.main === module) {
  const size = Number(process.argv[2]);
  if (Number.isInteger(size) && size > 0) {
    measureLoad(size).then((r) => console.log(JSON.stringify(r)), (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
  } else {
    // Each size in a fresh process: a cold load, as when Node-RED starts, and a clean heap.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    for (const n of [1_000, 100_000]) {
      mapFile(n);
      process.stdout.write(execFileSync(process.execPath, [__filename, String(n)], { encoding: 'utf8' }));
    }
  }
}

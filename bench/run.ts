// `npm run bench [-- options]`: runs every scenario in a real, embedded Node-RED, interleaved over
// several rounds so that drift in the machine's speed (thermal, other load) hits all scenarios
// alike, then prints the medians and their ratios to the baselines and writes results.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { nodeRedDir } from '../sim/paths';
import { REPO_ROOT, startRuntime } from '../sim/runtime';
import { writeEditorFiles } from './editor-html';
import { type RedInternals, buildFlow, deploy, runBurst, runPaced } from './harness';
import { type Measured, renderTables, summarize } from './report';
import { SCENARIOS, type Scenario, defaultMessage, selectScenarios } from './scenarios';
import { BENCH_ASSET_DIR } from './scenarios/mw-asset-map';

interface BenchOptions {
  quick: boolean;
  out: string;
  rounds: number;
  rate: number;
  durationMs: number;
  burst: number;
  warmup: number;
  stallMs: number;
  only: string[];
  gateway: boolean;
  /** Minutes per job of the gateway-day benchmark. */
  minutes: number;
}

const USAGE = `usage: node dist/bench/run.js [--quick] [--out file] [--rounds n] [--rate msg/s]
                              [--duration ms] [--burst n] [--only scenario,…]
       node dist/bench/run.js --gateway [--quick] [--minutes n] [--out file]`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, not "${raw}"`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      rounds: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      burst: { type: 'string' },
      only: { type: 'string' },
      gateway: { type: 'boolean', default: false },
      minutes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // --quick proves the harness works end to end in a couple of seconds; its figures mean little.
  const quick = values.quick === true;
  const burst = positiveInt('burst', values.burst, quick ? 2_000 : 50_000);
  const gateway = values.gateway === true;
  if (values.minutes !== undefined && !gateway) throw new Error('--minutes is for --gateway only');
  return {
    quick,
    gateway,
    minutes: positiveInt('minutes', values.minutes, quick ? 2 : 10),
    out: path.resolve(values.out ?? path.join(REPO_ROOT, 'bench', gateway ? 'gateway-results.json' : 'results.json')),
    rounds: positiveInt('rounds', values.rounds, quick ? 1 : 3),
    rate: positiveInt('rate', values.rate, quick ? 500 : 5_000),
    durationMs: positiveInt('duration', values.duration, quick ? 500 : 5_000),
    burst,
    warmup: Math.min(burst, quick ? 200 : 5_000),
    stallMs: quick ? 1_000 : 2_000,
    only: (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
}

/**
 * The in-process scenario names `--only` asks for: [] for all of them (no --only), null for none
 * (only the work-order benchmark, which runs in its own process).
 */
export function inProcessNames(only: readonly string[]): string[] | null {
  const names = only.filter((n) => n !== 'work-order');
  return only.length > 0 && names.length === 0 ? null : names;
}

function usesPackageNodes(scenarios: readonly Scenario[]): boolean {
  return scenarios.some((s) => [...s.chain, ...(s.configNodes ?? [])].some((n) => n.type.startsWith('mw-')));
}

function machineInfo(): Record<string, unknown> {
  const pkg = JSON.parse(fs.readFileSync(path.join(nodeRedDir(), 'package.json'), 'utf8')) as { version: string };
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nodeRed: pkg.version,
    date: new Date().toISOString(),
  };
}

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

async function measure(opts: BenchOptions, scenarios: readonly Scenario[]): Promise<Measured[]> {
  const nodesDir = path.join(__dirname, 'nodes');
  writeEditorFiles(nodesDir);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-'));
  const runtime = await startRuntime({
    userDir,
    port: 0,
    flows: [],
    nodesDir: [nodesDir],
    installPackage: usesPackageNodes(scenarios),
    // The registry CSVs are written once to a shared temp folder, outside this user directory.
    settings: { millwright: { allowedFileDirs: [BENCH_ASSET_DIR] } },
  });
  try {
    const red = runtime.RED as unknown as RedInternals;
    const measured: Measured[] = scenarios.map((scenario) => ({ scenario, paced: [], burst: [] }));
    for (let round = 1; round <= opts.rounds; round++) {
      for (const m of measured) {
        const s = m.scenario;
        const { source, sink } = await deploy(red, buildFlow(s));
        const keys = s.keys ?? 1;
        const message = s.message ?? defaultMessage(Array.from({ length: keys }, (_, i) => `key-${i}`));
        const drive = {
          source,
          sink,
          make: (seq: number) => message(seq, seq % keys),
          expected: s.expectedAtSink ?? ((sent: number) => sent),
          stallMs: opts.stallMs,
        };
        // Let V8 optimise the freshly deployed nodes before anything is timed.
        const warm = await runBurst(drive, opts.warmup);
        if (warm.lost !== 0) log(`  warning: ${s.name} lost ${warm.lost} of ${warm.sent} warm-up messages`);
        const paced = await runPaced(drive, opts.rate, opts.durationMs);
        const burst = await runBurst(drive, opts.burst);
        m.paced.push(paced);
        m.burst.push(burst);
        log(
          `round ${round}/${opts.rounds} ${s.name}: ${paced.cpuUsPerMsg.toFixed(1)} µs/msg, ` +
            `p99 ${paced.latencyP99Ms.toFixed(2)} ms, burst ${Math.round(burst.msgPerSec)} msg/s, ` +
            `lost ${paced.lost}+${burst.lost}`,
        );
      }
    }
    return measured;
  } finally {
    await runtime.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.gateway) {
    // Loaded only here: the simulators it imports (node-opcua) would slow every other run's start.
    const { runGateway } = await import('./gateway/gateway.js');
    await runGateway({ minutes: opts.minutes, quick: opts.quick, out: opts.out, tags: 2_000, cameras: 10, unitsPerSecond: 50 });
    return;
  }
  const inProcess = inProcessNames(opts.only);
  // `--only work-order` alone runs no in-process scenario (selectScenarios takes an empty list for all).
  const scenarios = inProcess === null ? [] : selectScenarios(SCENARIOS, inProcess);
  log(
    `bench: ${scenarios.map((s) => s.name).join(', ')}; ${opts.rounds} round(s) of paced ${opts.rate} msg/s ` +
      `for ${opts.durationMs} ms and a burst of ${opts.burst}`,
  );
  const machine = machineInfo();
  const summaries = scenarios.length > 0 ? summarize(await measure(opts, scenarios)) : [];
  const results = {
    machine,
    settings: {
      quick: opts.quick,
      rounds: opts.rounds,
      paced: { rate: opts.rate, durationMs: opts.durationMs },
      burst: { count: opts.burst },
      warmup: opts.warmup,
    },
    scenarios: summaries,
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${String(machine.cpuModel)}, Node ${process.version}, Node-RED ${String(machine.nodeRed)}\n`);
  if (summaries.length > 0) console.log(renderTables(summaries));
  // The work-order path (outbox, CMMS on loopback) has its own figures and needs a runtime of its
  // own, so it runs in a child process; `--only` without `work-order` skips it.
  if (opts.only.length === 0 || opts.only.includes('work-order')) {
    const child = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'work-order.js'), ...(opts.quick ? ['--quick'] : []), '--out', opts.out],
      { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`the work-order benchmark failed (exit ${child.status ?? child.signal})`);
  }
  console.log(`\nwritten: ${opts.out}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}

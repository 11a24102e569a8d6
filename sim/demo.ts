// `npm start`: a real Node-RED with this package installed, the demo tabs and the reference gateway
// flows deployed, the plant simulator (Modbus, OPC UA, MQTT) and the CMMS simulator, so a plant
// engineer sees a work order made from a real protocol signal without a plant or a CMMS.
//
// Environment: MW_HOST (default 127.0.0.1), MW_PORT (default 1880), SIM_PORT (CMMS simulator,
// default 8090), PLANT_PORT (plant page, default 8091), MODBUS_PORT (default 5020), OPCUA_PORT
// (default 4840), MQTT_PORT (default 1883) or MQTT_URL (an existing broker); 0 picks a free port.
// MW_DEMO_DIR (default <repo>/.demo), MW_LOG_LEVEL (default info), MW_DEMO_SCENARIO (the scenario
// started by itself, default bearing-wear; "none" for none), MW_DEMO_FACTOR (its time acceleration).
// `npm start -- --reset` deletes the demo directory first.
import fs from 'node:fs';
import path from 'node:path';

import { DASHBOARD_PATH, writeDemoFlow } from './demo-flows';
import { BUILD_ROOT } from './paths';
import { startPlantSim, SCENARIOS, type PlantSim, type ScenarioId } from './plant';
import { REPO_ROOT, startRuntime, type RunningRuntime } from './runtime';
import { errorMessage } from '../nodes/core/error-message';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];
/** If stopping hangs (a node that ignores close), give up rather than leave the terminal stuck. */
const STOP_LIMIT_MS = 20_000;

interface Simulator {
  url: string;
  stop(): Promise<void>;
}
interface CmmsSimModule {
  startCmmsSim(opts: { port: number }): Promise<Simulator>;
}

function log(line: string): void {
  console.log(`[demo] ${line}`);
}

/** Paths inside the repository relative to it, others (a private build, MW_DEMO_DIR) in full. */
function shortPath(p: string): string {
  return p.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, p) : p;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name}=${raw} is not a port number (0-65535)`);
  return port;
}

function logLevelFromEnv(): LogLevel {
  const raw = process.env.MW_LOG_LEVEL ?? 'info';
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new Error(`MW_LOG_LEVEL=${raw} is not one of ${LOG_LEVELS.join(', ')}`);
}

/** Starts the CMMS simulator if it has been built; the demo still runs without it. */
async function startCmmsSimulator(): Promise<Simulator | undefined> {
  const file = path.join(BUILD_ROOT, 'sim', 'cmms', 'index.js');
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sim = require(file) as CmmsSimModule;
  return sim.startCmmsSim({ port: portFromEnv('SIM_PORT', 8090) });
}

/**
 * The CMMS simulator keeps its work orders in memory, so each start begins with an empty CMMS. The
 * nodes' state beside the flows (outbox, alarm episodes, SPC baselines) is cleared with it: an
 * outbox remembering work order 1001 next to a CMMS that never heard of it would answer "existing"
 * for a work order nobody can find.
 */
function clearNodeState(userDir: string): boolean {
  const dir = path.join(userDir, 'millwright');
  if (!fs.existsSync(dir)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}

/** `--reset`: the whole demo directory, but only one that looks like ours. */
function resetDemoDir(userDir: string): void {
  if (!fs.existsSync(userDir)) return;
  const ours = fs.existsSync(path.join(userDir, 'flows.json')) || fs.readdirSync(userDir).length === 0;
  if (!ours) throw new Error(`--reset: ${userDir} does not look like a demo directory (no flows.json); not deleting it`);
  fs.rmSync(userDir, { recursive: true, force: true });
}

function demoScenario(): { id: ScenarioId; factor?: number } | null {
  const raw = process.env.MW_DEMO_SCENARIO ?? 'bearing-wear';
  if (raw === 'none' || raw === '') return null;
  if (!SCENARIOS.some((s) => s.id === raw)) throw new Error(`MW_DEMO_SCENARIO=${raw} is not one of none, ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const factor = process.env.MW_DEMO_FACTOR ? Number(process.env.MW_DEMO_FACTOR) : undefined;
  return { id: raw as ScenarioId, factor };
}

/** The reference flows read their hosts and ports from the environment (`${…}` in the config nodes). */
function pointFlowsAt(plant: PlantSim, cmmsUrl: string | undefined): void {
  const e = plant.endpoints;
  if (e.modbus) Object.assign(process.env, { MODBUS_HOST: e.modbus.host, MODBUS_PORT: String(e.modbus.port) });
  if (e.opcua) process.env.OPCUA_URL = e.opcua.url;
  if (e.mqtt) {
    const u = new URL(e.mqtt.url);
    Object.assign(process.env, { MQTT_HOST: u.hostname, MQTT_PORT: u.port || '1883' });
  }
  process.env.CMMS_URL = cmmsUrl ?? process.env.CMMS_URL ?? 'http://127.0.0.1:8090';
}

async function main(): Promise<void> {
  const host = process.env.MW_HOST || '127.0.0.1';
  const port = portFromEnv('MW_PORT', 1880);
  const userDir = path.resolve(process.env.MW_DEMO_DIR || path.join(REPO_ROOT, '.demo'));
  const logLevel = logLevelFromEnv();
  const reset = process.argv.includes('--reset');
  const scenario = demoScenario();

  let sim: Simulator | undefined;
  let plant: PlantSim | undefined;
  let runtime: RunningRuntime | undefined;
  let stopping = false;

  const stopAll = async (): Promise<void> => {
    // Runtime first, so no node is mid-request to a simulator that is already gone.
    if (runtime) await runtime.stop();
    if (plant) await plant.stop();
    if (sim) await sim.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = true;
    log(`${signal}: stopping (press Ctrl-C again to force)`);
    setTimeout(() => {
      log(`still stopping after ${STOP_LIMIT_MS / 1000} s: exiting`);
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
    stopAll().then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (e: unknown) => {
        console.error(`[demo] error while stopping: ${e instanceof Error ? e.stack : String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    if (reset) {
      resetDemoDir(userDir);
      log(`--reset: ${shortPath(userDir)} deleted, starting clean`);
    }
    // node-red-contrib-opcua keeps its client certificates under the XDG config folder: keep them in the demo directory.
    process.env.XDG_CONFIG_HOME = path.join(userDir, 'xdg');
    sim = await startCmmsSimulator();
    plant = await startPlantSim({
      httpPort: portFromEnv('PLANT_PORT', 8091), modbusPort: portFromEnv('MODBUS_PORT', 5020), opcuaPort: portFromEnv('OPCUA_PORT', 4840),
      mqttPort: portFromEnv('MQTT_PORT', 1883), mqttUrl: process.env.MQTT_URL || undefined, dataDir: path.join(userDir, 'plant'),
    });
    pointFlowsAt(plant, sim?.url);
    if (clearNodeState(userDir)) log('outbox, alarm and SPC state of the last run cleared: the CMMS simulator starts empty on every run');
    const flows = writeDemoFlow(userDir, sim?.url);
    log(`flow: flows/demo.json, flows/dashboard.json and flows/gateway-*.json copied to ${shortPath(path.join(userDir, 'flows.json'))} `
      + '(replaced on every start; edits made in the editor are not kept, change the files in flows/ instead)');
    runtime = await startRuntime({ userDir, host, port, flows, installPackage: true, logLevel });
  } catch (e) {
    console.error(`[demo] could not start: ${errorMessage(e)}`);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error('[demo] a port is taken: set MW_PORT (editor), SIM_PORT (CMMS), PLANT_PORT, MODBUS_PORT, OPCUA_PORT or MQTT_PORT (or MQTT_URL) to a free port, or 0');
    }
    await stopAll().catch(() => undefined);
    process.exit(1);
  }
  if (stopping) return;
  if (scenario) plant.model.start(scenario.id, scenario.factor);
  const e = plant.endpoints;
  log(`Node-RED editor: ${runtime.url}/`);
  // httpNodeRoot is /api (sim/runtime.ts): Dashboard 2 serves its page and its own files there, no CDN.
  log(`dashboard (SPC chart, alarms, work orders): ${runtime.url}/api${DASHBOARD_PATH}`);
  log(sim ? `CMMS simulator: ${sim.url}` : `CMMS simulator: not built (no ${shortPath(path.join(BUILD_ROOT, 'sim', 'cmms', 'index.js'))}), skipped`);
  log(`plant simulator: ${e.page} (start scenarios here)`);
  log(`  Modbus TCP ${e.modbus?.host}:${e.modbus?.port} · OPC UA ${e.opcua?.url} · MQTT ${e.mqtt?.url}`);
  if (scenario) {
    const title = SCENARIOS.find((s) => s.id === scenario.id)?.title ?? scenario.id;
    log(`scenario "${title}" started: the first work order appears in ${sim ? `${sim.url}/` : 'the CMMS'} within about a minute`);
  }
  log('Ctrl-C to stop');
}

main().catch((e: unknown) => {
  console.error(`[demo] ${errorMessage(e)}`);
  process.exit(1);
});

// `npm start`: a real Node-RED with this package installed, the shipped demo flow deployed and
// whatever simulators have been built, so a plant engineer can try the nodes without a CMMS.
//
// Environment: MW_HOST (default 127.0.0.1), MW_PORT (default 1880, 0 picks a free port),
// SIM_PORT (default 8090, 0 picks a free port), MW_DEMO_DIR (default <repo>/.demo),
// MW_LOG_LEVEL (default info).
import fs from 'node:fs';
import path from 'node:path';

import { BUILD_ROOT } from './paths';
import { REPO_ROOT, startRuntime, type RunningRuntime } from './runtime';
import { errorMessage } from '../nodes/core/error-message';

/** The simulators' URL written in flows/demo.json; replaced when the simulator listens elsewhere. */
const DEMO_SIM_ORIGIN = 'http://127.0.0.1:8090';
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

interface FlowNode {
  id: string;
  credentials?: Record<string, unknown>;
}

/**
 * The shipped demo flow, pointed at the simulator's actual address. Its only credentials are the
 * simulator's public demo keys; they move out of the flow into flows_cred.json, which Node-RED
 * reads (and encrypts on the next deploy), so the running flow holds them where real keys live.
 */
function writeDemoFlow(userDir: string, simUrl: string | undefined): object[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'flows', 'demo.json'), 'utf8');
  const origin = simUrl ? new URL(simUrl).origin : DEMO_SIM_ORIGIN;
  const flows = JSON.parse(text.split(DEMO_SIM_ORIGIN).join(origin)) as FlowNode[];
  const credentials: Record<string, Record<string, unknown>> = {};
  for (const node of flows) {
    if (node.credentials) credentials[node.id] = node.credentials;
    delete node.credentials;
  }
  fs.mkdirSync(userDir, { recursive: true });
  const credFile = path.join(userDir, 'flows_cred.json');
  if (Object.keys(credentials).length > 0) fs.writeFileSync(credFile, JSON.stringify(credentials, null, 2));
  else fs.rmSync(credFile, { force: true });
  return flows;
}

async function main(): Promise<void> {
  const host = process.env.MW_HOST || '127.0.0.1';
  const port = portFromEnv('MW_PORT', 1880);
  const userDir = path.resolve(process.env.MW_DEMO_DIR || path.join(REPO_ROOT, '.demo'));
  const logLevel = logLevelFromEnv();

  let sim: Simulator | undefined;
  let runtime: RunningRuntime | undefined;
  let stopping = false;

  const stopAll = async (): Promise<void> => {
    // Runtime first, so no node is mid-request to a simulator that is already gone.
    if (runtime) await runtime.stop();
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
    sim = await startCmmsSimulator();
    const flows = writeDemoFlow(userDir, sim?.url);
    log(`flow: flows/demo.json copied to ${shortPath(path.join(userDir, 'flows.json'))} `
      + '(replaced on every start; edits made in the editor are not kept, change flows/demo.json instead)');
    runtime = await startRuntime({ userDir, host, port, flows, installPackage: true, logLevel });
  } catch (e) {
    console.error(`[demo] could not start: ${errorMessage(e)}`);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') console.error('[demo] set MW_PORT (editor) or SIM_PORT (simulator) to a free port');
    await stopAll().catch(() => undefined);
    process.exit(1);
  }
  if (stopping) return;
  log(`Node-RED editor: ${runtime.url}/`);
  log(sim ? `CMMS simulator: ${sim.url}` : `CMMS simulator: not built (no ${shortPath(path.join(BUILD_ROOT, 'sim', 'cmms', 'index.js'))}), skipped`);
  log('Ctrl-C to stop');
}

main().catch((e: unknown) => {
  console.error(`[demo] ${errorMessage(e)}`);
  process.exit(1);
});

// Starts a real Node-RED runtime inside this process: the demo (`npm start`), the benchmarks and
// the integration tests all use it, so they exercise the same loader and message path a gateway
// runs. Node-RED keeps module-level state, so one process hosts one runtime at a time.
import express from 'express';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { BUILD_ROOT, findRepoRoot, nodeRedMain } from './paths';

export const REPO_ROOT = findRepoRoot();

interface RuntimeOptions {
  userDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Written to the user directory's flows.json before start; omit to keep what is there. */
  flows?: object[];
  /** Installs this repository into the user directory (a symlink, as `npm install <path>` makes). */
  installPackage?: boolean;
  /** Extra folders of loose node files, e.g. the benchmark's source and sink nodes. */
  nodesDir?: string[];
  /** Any further Node-RED settings. */
  settings?: Record<string, unknown>;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Called after RED.init, before the nodes load (e.g. to watch which routes they register). */
  beforeStart?: (RED: NodeRedModule) => void;
}

/** The parts of the node-red module used here; its published types omit several of them. */
export interface NodeRedModule {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: express.Express;
  httpNode: express.Express;
  nodes: { getNode(id: string): unknown; eachNode(cb: (n: { id: string; type: string }) => void): void };
  runtime: unknown;
}

export interface RunningRuntime {
  url: string;
  port: number;
  RED: NodeRedModule;
  stop(): Promise<void>;
}

export function installPackageInto(userDir: string): void {
  const scopeDir = path.join(userDir, 'node_modules', '@millwright');
  const link = path.join(scopeDir, 'node-red-maintenance');
  fs.mkdirSync(scopeDir, { recursive: true });
  if (BUILD_ROOT !== path.join(REPO_ROOT, 'dist')) {
    installPrivateBuild(link);
    return;
  }
  try {
    const current = fs.readlinkSync(link);
    if (path.resolve(scopeDir, current) === REPO_ROOT) return;
    fs.rmSync(link, { recursive: true, force: true });
  } catch {
    fs.rmSync(link, { recursive: true, force: true });
  }
  fs.symlinkSync(REPO_ROOT, link, 'dir');
}

/**
 * A private build (MW_OUT=/tmp/…) is not the dist/ that package.json points at, so linking the
 * repository would load whatever the shared dist/ holds. Instead the installed package is the
 * repository's package.json and examples with dist/ linked to the build under test.
 */
function installPrivateBuild(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(BUILD_ROOT, path.join(dir, 'dist'), 'dir');
  const examples = path.join(REPO_ROOT, 'examples');
  if (fs.existsSync(examples)) fs.symlinkSync(examples, path.join(dir, 'examples'), 'dir');
  // The sidebar's chart library (built into the repository's resources/, served by Node-RED).
  const resources = path.join(REPO_ROOT, 'resources');
  if (fs.existsSync(resources)) fs.symlinkSync(resources, path.join(dir, 'resources'), 'dir');
}

export async function startRuntime(opts: RuntimeOptions): Promise<RunningRuntime> {
  fs.mkdirSync(opts.userDir, { recursive: true });
  if (opts.installPackage) installPackageInto(opts.userDir);
  if (opts.flows) fs.writeFileSync(path.join(opts.userDir, 'flows.json'), JSON.stringify(opts.flows, null, 2));

  // node-red is a devDependency: loaded lazily so that nothing in the published package needs it.
  // The compat run points MW_NODE_RED_DIR at node-red 5.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require(nodeRedMain()) as NodeRedModule;
  const app = express();
  const server = http.createServer(app);
  const settings: Record<string, unknown> = {
    userDir: opts.userDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    uiHost: opts.host ?? '127.0.0.1',
    credentialSecret: 'millwright-local-demo',
    nodesDir: opts.nodesDir,
    logging: { console: { level: opts.logLevel ?? 'warn', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    ...opts.settings,
  };
  RED.init(server, settings);
  app.use('/api', RED.httpNode);
  app.use('/', RED.httpAdmin);
  opts.beforeStart?.(RED);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  await RED.start();
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    RED,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await RED.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

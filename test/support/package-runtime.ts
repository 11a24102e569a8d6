// Child processes for the package checks: `npm pack` + `npm install` of the real tarball, and a
// real Node-RED started the way a gateway starts it (red.js with a user directory). Separate
// processes because that is what a user runs, and because Node-RED keeps module-level state.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { nodeRedDir } from '../../sim/paths';
import { BUILD_ROOT, readPackageJson, REPO_ROOT } from './package';
import { errorMessage } from '../../nodes/core/error-message';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface HttpReply {
  status: number;
  body: string;
}

/** One GET on a fresh connection (no keep-alive, so no socket outlives the test). */
export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close', ...headers }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export function portIsClosed(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(2000);
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value; rejects after `timeoutMs` or as soon as `gaveUp()` says why. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number,
  gaveUp: () => string | undefined = () => undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    // Ask gaveUp() before the probe but act on it after: a child that prints its answer and exits
    // between two polls has still answered.
    const reason = gaveUp();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = errorMessage(e);
    }
    if (reason) throw new Error(`${what}: ${reason}`);
    await sleep(200);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
}

export function run(cmd: string, args: string[], cwd: string, timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A child process with its output kept, so a failing assertion can show the log. */
export interface Child {
  proc: ChildProcess;
  log(): string;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves when the child has ended and all it printed is in log(). */
  ended(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal`, waits up to `timeoutMs` for the exit, then kills it for good. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Child {
  const proc = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' (after 'exit', once its pipes are drained): a child counts as ended only when all it printed is in log().
    proc.once('close', (code, signal) => { exit = { code, signal }; resolve(exit); });
  });
  // stdout and stderr are merged by whole lines: a chunk of one stream could otherwise land inside
  // a line of the other (node-opcua writes to stderr while a child prints its result line).
  const partial = { out: '', err: '' };
  const collect = (stream: NodeJS.ReadableStream | null, key: 'out' | 'err'): void => {
    stream?.setEncoding('utf8');
    stream?.on('data', (s: string) => {
      const text = partial[key] + s;
      const end = text.lastIndexOf('\n') + 1;
      output += text.slice(0, end);
      partial[key] = text.slice(end);
    });
    stream?.on('end', () => { output += partial[key]; partial[key] = ''; });
  };
  collect(proc.stdout, 'out');
  collect(proc.stderr, 'err');
  return {
    proc,
    log: () => output + partial.out + partial.err,
    exited: () => exit,
    ended: () => exitPromise,
    async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 10_000) {
      if (exit) return exit;
      proc.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), timeoutMs); });
      const result = await Promise.race([exitPromise, timeout]);
      clearTimeout(timer);
      if (result) return result;
      proc.kill('SIGKILL');
      await exitPromise;
      throw new Error(`process ${proc.pid} ignored ${signal} for ${timeoutMs} ms and was killed; its last output:\n${output.slice(-3000)}`);
    },
  };
}

// ---- the packed package --------------------------------------------------------------------

export interface PackedInstall {
  tarball: string;
  /** The snapshot of the repository that was packed (its dist/ is the build under test). */
  stage: string;
  /** Paths inside the tarball, without the leading `package/`. */
  files: string[];
  /** A Node-RED user directory with the tarball installed as the palette manager would. */
  userDir: string;
}

/**
 * npm run by the Node under test (Node 24 in the compat run), so `--engine-strict` judges that Node
 * and a native dependency is compiled for its ABI, against its own headers when it ships them.
 */
function npm(args: string[], cwd: string, timeoutMs: number): Promise<string> {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'npm')).find((f) => fs.existsSync(f));
  if (!onPath) throw new Error('npm is not on PATH');
  const cli = fs.realpathSync(onPath);
  const nodeBin = fs.realpathSync(process.execPath);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` };
  const prefix = path.dirname(path.dirname(nodeBin));
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_version.h'))) env.npm_config_nodedir = prefix;
  return run(process.execPath, [cli, ...args, '--loglevel=error'], cwd, timeoutMs, env);
}

/**
 * A native dependency (better-sqlite3) is compiled from source here, which takes a minute. The
 * installed dependencies of the last fresh install are kept per Node version and dependency list
 * and laid into the user directory first; npm then still resolves the tree and installs the
 * tarball, but keeps the built modules. MW_FRESH_INSTALL=1 skips the cache.
 */
const CACHE_ROOT = path.join(os.tmpdir(), 'mw-package-install-cache');
const CACHE_PREFIX = `${process.platform}-${process.arch}-${process.version}-`;

function dependencyCache(deps: Record<string, string> | undefined): string {
  const hash = createHash('sha256').update(JSON.stringify(deps ?? {})).digest('hex').slice(0, 16);
  return path.join(CACHE_ROOT, `${CACHE_PREFIX}${hash}`);
}

/** Keeps one cached tree per Node version: the one for the current dependency list. */
function saveDependencyCache(cache: string, nodeModules: string): void {
  const partial = `${cache}.${process.pid}`;
  fs.cpSync(nodeModules, partial, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.includes(`${path.sep}@millwright`) });
  for (const old of fs.readdirSync(CACHE_ROOT)) {
    if (old.startsWith(CACHE_PREFIX) && /-[0-9a-f]{16}$/.test(old)) fs.rmSync(path.join(CACHE_ROOT, old), { recursive: true, force: true });
  }
  fs.renameSync(partial, cache);
}

const SKIP_WHEN_STAGING = new Set(['node_modules', '.git', 'dist', '.demo', '.compat', '.bench', 'coverage']);
let packed: Promise<PackedInstall> | undefined;
let scratch: string | undefined;

/**
 * Packs and installs once per test run. The pack runs on a copy of the repository whose dist/ is the
 * build under test, so a private build (MW_OUT) is what gets packed; `--ignore-scripts` keeps prepack
 * from rebuilding in the middle of other work.
 */
export function packedInstall(): Promise<PackedInstall> {
  packed ??= packAndInstall();
  return packed;
}

async function packAndInstall(): Promise<PackedInstall> {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-package-'));
  const stage = path.join(scratch, 'src');
  fs.cpSync(REPO_ROOT, stage, {
    recursive: true,
    filter: (src) => !(SKIP_WHEN_STAGING.has(path.basename(src)) && path.dirname(src) === REPO_ROOT) && !src.endsWith('.tgz'),
  });
  fs.cpSync(BUILD_ROOT, path.join(stage, 'dist'), { recursive: true });

  const out = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], stage, 120_000);
  const report = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = path.join(scratch, path.basename(report[0].filename));

  const userDir = path.join(scratch, 'user');
  fs.mkdirSync(userDir);
  fs.writeFileSync(path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2));
  const cache = dependencyCache(readPackageJson(stage).dependencies);
  const fresh = process.env.MW_FRESH_INSTALL === '1' || !fs.existsSync(cache);
  if (!fresh) fs.cpSync(cache, path.join(userDir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  // The palette manager's own flags: no devDependencies, and engines enforced.
  await npm(['install', '--omit=dev', '--engine-strict', '--no-audit', '--no-fund', '--prefer-offline', tarball], userDir, 300_000);
  if (fresh) saveDependencyCache(cache, path.join(userDir, 'node_modules'));
  return { tarball, stage, files: report[0].files.map((f) => f.path).sort(), userDir };
}

// The scratch folder is shared by several spec files, so it goes when the test process does.
process.once('exit', () => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

export interface NodeRedChild extends Child {
  url: string;
}

/** Starts `red.js` of the Node-RED under test (4.1, or 5 in the compat run) on a user directory. */
export async function startNodeRed(userDir: string): Promise<NodeRedChild> {
  const port = await freePort();
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: 'package-check',
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
  }, null, 2)};\n`);
  const child = startChild([path.join(nodeRedDir(), 'red.js'), '--userDir', userDir, '--port', String(port),
    '--settings', settingsFile, '-v'], { cwd: userDir });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Node-RED admin API', async () => ((await httpGet(`${url}/settings`)).status === 200 ? true : undefined),
      60_000, () => (child.exited() ? `exited early:\n${child.log()}` : undefined));
  } catch (e) {
    await child.stop('SIGKILL').catch(() => undefined);
    throw e;
  }
  return { ...child, url };
}

/** One entry of GET /nodes (Accept: application/json): a node set as the registry reports it. */
interface RegistryNodeSet {
  id: string;
  name: string;
  types: string[];
  enabled: boolean;
  module: string;
  version?: string;
  err?: unknown;
}

export async function registeredSets(url: string): Promise<RegistryNodeSet[]> {
  const reply = await httpGet(`${url}/nodes`, { Accept: 'application/json' });
  if (reply.status !== 200) throw new Error(`GET /nodes answered ${reply.status}: ${reply.body.slice(0, 200)}`);
  return JSON.parse(reply.body) as RegistryNodeSet[];
}

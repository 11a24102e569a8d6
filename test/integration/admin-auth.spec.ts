// Every admin route of the package, in a real Node-RED with adminAuth on (issue 12, "done when"):
// an anonymous caller gets 401 everywhere, a user with only `read` is refused every route that
// changes something (or reads a file) and allowed every route that only reads, an admin (`*`) is
// allowed everywhere. The routes are not listed by hand: the test records every route the package's
// own files register on RED.httpAdmin while Node-RED loads them (and finds each in the running
// app's router), so a route added later without a permission — under any prefix — fails here.
//
// Decision pinned here: GET routes are reads; a `read` user may list and export dead letters, shadow
// records and the audit log. They hold plant data (work-order texts, asset ids, the CMMS's answers)
// that a read-only editor user already sees in debug messages and flows, and never secrets (stored
// secrets are redacted before anything is written, see core/cmms/redact.ts and outbox/admin.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { BUILD_ROOT } from '../../sim/paths';
import { REPO_ROOT, startRuntime, type NodeRedModule, type RunningRuntime } from '../../sim/runtime';

interface Route { method: string; path: string; file: string }

const USERS: Record<string, { password: string; permissions: string }> = {
  admin: { password: 'admin-pass-7f2', permissions: '*' },
  reader: { password: 'reader-pass-91c', permissions: 'read' },
};

/**
 * GET routes that need the write permission all the same: the sidebar's bulk export of dead letters
 * and shadow records (whole events and bodies; issue 18 says export is a write). The old /mw-outbox
 * exports stay read for scripts that use them.
 */
const WRITE_GETS = new Set(['GET /millwright/outbox/:id/dead-letters/export', 'GET /millwright/outbox/:id/shadow/export']);

/** Text of the registry's file that must never reach a reader. */
const FILE_MARKER = 'SECRET-HEADER-4b1e';

const TOKENS: Record<string, string> = { admin: 'admin-token-5d0c83', reader: 'reader-token-e27a19' };

/** Files of the package (compiled or, with source maps, their sources), never the tests. */
const OWN_DIRS = [path.join(BUILD_ROOT, 'nodes') + path.sep, path.join(REPO_ROOT, 'nodes') + path.sep];

/** The file of the first stack frame outside this one, as V8 reports it (source maps not applied). */
function callerFile(): string {
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, sites) => sites;
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    for (const s of sites) {
      const f = s.getFileName() ?? '';
      if (OWN_DIRS.some((d) => f.startsWith(d))) return f;
    }
    return '';
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

/**
 * The express apps admin routes live on: the editor API's app and the runtime's own admin app,
 * which nodes register on (it is mounted inside the editor's).
 */
function adminApps(RED: NodeRedModule): unknown[] {
  const runtimeApp = (RED.runtime as { httpAdmin?: unknown } | null)?.httpAdmin;
  return [...new Set([RED.httpAdmin, runtimeApp].filter((a) => a !== undefined))];
}

/** Records the routes the package's files register, by wrapping the admin apps' route methods. */
function watchRoutes(RED: NodeRedModule, into: Route[]): void {
  for (const a of adminApps(RED)) watchApp(a as Record<string, (...a: unknown[]) => unknown>, into);
}

function watchApp(app: Record<string, (...a: unknown[]) => unknown>, into: Route[]): void {
  for (const method of ['get', 'post', 'put', 'patch', 'delete', 'all']) {
    const original = app[method];
    app[method] = function (this: unknown, ...args: unknown[]): unknown {
      // app.get('setting') with one argument reads an Express setting; not a route.
      if (typeof args[0] === 'string' && args.length > 1) {
        const file = callerFile();
        if (file) into.push({ method: method.toUpperCase(), path: args[0], file });
      }
      return original.apply(this, args);
    };
  }
}

/** Every route in the running admin app's router (Express 4 `_router`, Express 5 `router`). */
function routerRoutes(RED: NodeRedModule): Set<string> {
  const out = new Set<string>();
  for (const a of adminApps(RED)) {
    const app = a as { _router?: { stack: unknown[] }; router?: { stack: unknown[] } };
    const stack = (app._router ?? app.router)?.stack ?? [];
    for (const layer of stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>) {
      if (!layer.route) continue;
      for (const m of Object.keys(layer.route.methods)) out.add(`${m.toUpperCase()} ${layer.route.path}`);
    }
  }
  return out;
}

describe('integration: adminAuth on every admin route of the package', function () {
  this.timeout(90_000);
  let sim: CmmsSim;
  let rt: RunningRuntime;
  let dir: string;
  const routes: Route[] = [];
  const tokens = TOKENS;

  async function call(route: Route, who: 'anonymous' | 'reader' | 'admin'): Promise<{ status: number; text: string }> {
    const url = rt.url + route.path
      .replace(/:id\b/g, idFor(route.path))
      .replace(/:dialect\b/g, 'maximo')
      .replace(/:[A-Za-z]+/g, 'x');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (who !== 'anonymous') headers.authorization = `Bearer ${tokens[who]}`;
    const res = await fetch(url, {
      method: route.method === 'ALL' ? 'POST' : route.method, headers,
      body: route.method === 'GET' ? undefined : JSON.stringify({ ids: [] }), signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, text: await res.text() };
  }

  function idFor(p: string): string {
    if (p.includes('asset-map')) return 'map-node';
    if (p.includes('asset-registry')) return 'reg-conf';
    if (p.includes('spc') || p.includes('vision')) return 'vd-node';
    return 'cmms-conn';
  }

  before(async () => {
    sim = await startCmmsSim();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-adminauth-'));
    const flows = [
      { id: 'tab-auth', type: 'tab', label: 'auth' },
      { id: 'cmms-conn', type: 'mw-cmms', name: 'maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
      { id: 'wo-node', z: 'tab-auth', type: 'mw-work-order', cmms: 'cmms-conn', wires: [[], []] },
      { id: 'reg-conf', type: 'mw-asset-registry', name: 'plant', cmms: 'cmms-conn', rows: [] },
      { id: 'map-node', z: 'tab-auth', type: 'mw-asset-map', registry: 'reg-conf', wires: [[], []] },
      { id: 'vd-node', z: 'tab-auth', type: 'mw-vision-drift', wires: [[], []] },
      // A registry whose admin-set file does not load: its errors quote the file's lines.
      { id: 'reg-file', type: 'mw-asset-registry', name: 'from file', cmms: 'cmms-conn', rows: [], file: 'plant-assets.csv' },
    ];
    fs.writeFileSync(path.join(dir, 'plant-assets.csv'), `${FILE_MARKER},password\nhunter2-${FILE_MARKER},x\n`);
    fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ 'cmms-conn': { apiKey: SIM_CREDENTIALS.maximo.apiKey } }));
    rt = await startRuntime({
      userDir: dir, installPackage: true, flows,
      settings: {
        credentialSecret: false,
        adminAuth: {
          type: 'credentials',
          users: (username: string) => Promise.resolve(USERS[username] ? { username, permissions: USERS[username].permissions } : null),
          authenticate: (username: string, password: string) => Promise.resolve(
            USERS[username]?.password === password ? { username, permissions: USERS[username].permissions } : null),
          // API tokens as settings.js offers them (adminAuth.tokens): the same permission checks as a
          // signed-in editor session, without the session-expiry timer a password login leaves running
          // in this (in-process) runtime, which would keep the test process alive for days.
          tokens: (token: string) => {
            const user = Object.keys(TOKENS).find((u) => TOKENS[u] === token);
            return Promise.resolve(user ? { username: user, permissions: USERS[user].permissions } : null);
          },
        },
      },
      beforeStart: (RED) => watchRoutes(RED, routes),
    });
  });

  after(async () => {
    await rt?.stop();
    await sim?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the package routes in the running router (the 18 known ones at least)', () => {
    const inRouter = routerRoutes(rt.RED);
    for (const r of routes) assert.ok(inRouter.has(`${r.method} ${r.path}`), `${r.method} ${r.path} (${r.file}) is in the admin router`);
    const seen = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const known = [
      'POST /mw-cmms/test', 'GET /mw-vision-drift/design', 'GET /mw-asset-map/:id/unmapped', 'GET /mw-wo-status/stock/:dialect',
      'POST /mw-threshold/check', 'POST /mw-asset-registry/check', 'GET /mw-asset-registry/:id/verification',
      'POST /mw-asset-registry/:id/verify',
      ...['metrics', 'queue', 'dead-letters', 'dead-letters/export', 'shadow', 'shadow/export', 'audit', 'audit/export']
        .map((s) => `GET /mw-outbox/:id/${s}`),
      'POST /mw-outbox/:id/dead-letters/replay', 'POST /mw-outbox/:id/dead-letters/discard',
    ];
    assert.deepEqual(known.filter((k) => !seen.has(k)), [], 'every known route was recorded');
  });

  it('anonymous: 401 on every route', async () => {
    assert.ok(routes.length >= 18, `routes recorded: ${routes.length}`);
    const wrong: string[] = [];
    for (const r of routes) {
      const { status } = await call(r, 'anonymous');
      if (status !== 401) wrong.push(`${r.method} ${r.path} → ${status}`);
    }
    assert.deepEqual(wrong, [], 'routes an anonymous caller reached');
  });

  it('reader: refused on every route that writes (POST and the like, the sidebar\'s bulk exports), allowed on every other GET', async () => {
    const wrong: string[] = [];
    for (const r of routes) {
      const { status } = await call(r, 'reader');
      const refused = status === 401 || status === 403;
      const writes = r.method !== 'GET' || WRITE_GETS.has(`${r.method} ${r.path}`);
      if (writes ? !refused : refused) wrong.push(`${r.method} ${r.path} → ${status}`);
    }
    assert.deepEqual(wrong, [], 'routes where the reader got the wrong answer');
  });

  it('admin: allowed on every route, and no route fails with a server error', async () => {
    const wrong: string[] = [];
    for (const r of routes) {
      const { status, text } = await call(r, 'admin');
      if (status === 401 || status === 403 || status >= 500) wrong.push(`${r.method} ${r.path} → ${status} ${text.slice(0, 120)}`);
    }
    assert.deepEqual(wrong, [], 'routes the admin could not use');
  });

  it('a reader sees dead letters, shadow records and the audit log (plant data, never a secret)', async () => {
    for (const s of ['dead-letters', 'shadow', 'audit', 'audit/export']) {
      const res = await call({ method: 'GET', path: `/mw-outbox/:id/${s}`, file: '' }, 'reader');
      assert.equal(res.status, 200, `${s}: ${res.text.slice(0, 200)}`);
      assert.ok(!res.text.includes(SIM_CREDENTIALS.maximo.apiKey), `${s} holds no secret`);
    }
  });

  it('every route answers a bad request in the one error shape {error: {code, message, details}} (issue 11)', async () => {
    // Routes that take no input cannot be asked badly; every other one gets an unknown id, dialect or
    // series, a bad query value or a body of the wrong type.
    const NO_INPUT = new Set(['GET /mw-threshold/rule-schema', 'GET /millwright/connections', 'GET /millwright/assets', 'GET /millwright/spc']);
    // The registry dialog asks for the verification of a registry that may not be deployed yet: an answer, not an error.
    const UNKNOWN_ID_IS_A_STATE = 'GET /mw-asset-registry/:id/verification';
    const BAD_QUERY: Record<string, string> = {
      '/mw-vision-drift/design': '?falseAlarmDays=abc',
      '/mw-outbox/:id/metrics': '?by=colour', '/millwright/outbox/:id/metrics': '?by=colour',
      '/mw-outbox/:id/queue': '?state=lost', '/millwright/outbox/:id/queue': '?state=lost',
    };
    const BAD_BODY: Record<string, unknown> = { '/mw-cmms/test': { config: 'maximo' }, '/mw-threshold/check': { rules: 5 }, '/mw-threshold/preview': {}, '/mw-asset-registry/check': { rows: 'none' } };
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const r of routes) {
      const name = `${r.method} ${r.path}`;
      if (NO_INPUT.has(name)) continue;
      if (name === UNKNOWN_ID_IS_A_STATE) {
        const res = await fetch(rt.url + r.path.replace(':id', 'no-such-node'), { headers: { authorization: `Bearer ${tokens.admin}` }, signal: AbortSignal.timeout(15_000) });
        const body = await res.json() as { state?: string };
        if (res.status !== 200 || body.state !== 'not-deployed') wrong.push(`${name} → ${res.status} ${JSON.stringify(body).slice(0, 160)} (expected 200, state not-deployed)`);
        continue;
      }
      // A known node id where the route needs one to reach its own check (a bad query or body); else an unknown one.
      const id = BAD_QUERY[r.path] || BAD_BODY[r.path] ? idFor(r.path) : 'no-such-node';
      const url = rt.url + r.path.replace(/:id\b/g, id).replace(/:dialect\b/g, 'sap').replace(/:[A-Za-z]+/g, 'x') + (BAD_QUERY[r.path] ?? '');
      const res = await fetch(url, {
        method: r.method === 'GET' ? 'GET' : 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
        body: r.method === 'GET' ? undefined : JSON.stringify(BAD_BODY[r.path] ?? { ids: 'some' }), signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let body: unknown = null;
      try { body = JSON.parse(text); } catch { /* reported below */ }
      const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
      const ok = res.status >= 400 && res.status < 500 && body !== null && Object.keys(body as object).length === 1 && !!e
        && Object.keys(e).sort().join() === 'code,details,message' && typeof e.code === 'string' && typeof e.message === 'string' && e.message !== ''
        && Array.isArray(e.details) && (e.details as unknown[]).every((d) => typeof d === 'string');
      if (!ok) wrong.push(`${name} → ${res.status} ${text.slice(0, 160)}`);
      checked.push(`${name} ${res.status} ${String(e?.code)}`);
    }
    assert.deepEqual(wrong, [], 'routes whose error body is not {error: {code, message, details}}');
    assert.ok(checked.length >= 20, checked.join('\n'));
  });

  it('an admin checking a rules file outside the user directory is refused, and no content is quoted', async () => {
    const res = await fetch(`${rt.url}/mw-threshold/check`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
      body: JSON.stringify({ rulesFile: '/etc/passwd' }),
    });
    const text = await res.text();
    assert.ok(!text.includes('root:'), `no file content in ${text.slice(0, 200)}`);
    assert.match(text, /outside|allowed|user directory/i);
  });

  it('the registry verification view: a reader sees how many lines failed but no text of the file; the admin sees the reasons', async () => {
    const get = async (who: 'reader' | 'admin'): Promise<{ status: number; text: string; body: { load?: { ok: boolean; errors: string[]; errorCount: number } } }> => {
      for (let i = 0; ; i++) {
        const res = await call({ method: 'GET', path: '/mw-asset-registry/reg-file/verification', file: '' }, who);
        const body = JSON.parse(res.text) as { load?: { ok: boolean; errors: string[]; errorCount: number } | null };
        // The file is read asynchronously after the deploy: wait for its load report.
        if (body.load || i >= 100) return { ...res, body: body as never };
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const admin = await get('admin');
    assert.equal(admin.status, 200, admin.text.slice(0, 200));
    assert.equal(admin.body.load?.ok, false, admin.text.slice(0, 300));
    assert.ok((admin.body.load?.errorCount ?? 0) > 0);
    assert.ok(admin.text.includes(FILE_MARKER), `the admin gets the reasons (this file's errors quote it): ${admin.text.slice(0, 300)}`);
    const reader = await get('reader');
    assert.equal(reader.status, 200, reader.text.slice(0, 200));
    assert.ok(!reader.text.includes(FILE_MARKER) && !reader.text.includes('hunter2'), `no text of the file for a reader: ${reader.text.slice(0, 400)}`);
    assert.equal(reader.body.load?.errorCount, admin.body.load?.errorCount, 'the reader still learns that the file failed, and how often');
    assert.match(reader.body.load?.errors.join(' ') ?? '', /write|Schreib|details-need-write/);
  });
});

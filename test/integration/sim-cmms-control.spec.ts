// The simulator's own surface: the HTML page, the control API, request recording with secrets
// redacted, the body limit, HTTPS, and the command-line entry point.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type RecordedRequest } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const MX = { authorization: `Bearer ${SIM_CREDENTIALS.maintainx.token}`, 'content-type': 'application/json' };

// A throwaway self-signed P-256 certificate for 127.0.0.1 (valid until 2126), for the HTTPS test only.
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg4CHZ0X+0Qb1m2SIn
u/5SnluDzVPObS4F+MRGeVdWL4WhRANCAASzQaKrYOewb8Cj8jkAM4ncatQxGMPr
KuIm6ocqtxX8rkqahu0JVk2Swk7Qlmi+LmjBVuXVb3Tkbuq+qykZW9lZ
-----END PRIVATE KEY-----
`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUGEbaT6vxusTfy0sswy0LHOPh0ewwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTEyMTIzMzYzNloYDzIxMjYxMDI4
MjMzNjM2WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASzQaKrYOewb8Cj8jkAM4ncatQxGMPrKuIm6ocqtxX8rkqahu0JVk2S
wk7Qlmi+LmjBVuXVb3Tkbuq+qykZW9lZo28wbTAdBgNVHQ4EFgQUGq2h86s5jW9i
Tx3jdjc3B0klGRgwHwYDVR0jBBgwFoAUGq2h86s5jW9iTx3jdjc3B0klGRgwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAI6SL2aoCtR4TMrZWcwHKHOTBlYczd5W4qbmnOK2GxCEAiBL
R14A25HTxZHTZlJmJ7PAN+Xe10ITr4f7IdMzcl4xTQ==
-----END CERTIFICATE-----
`;

describe('CMMS simulator: page, control API and recording', function () {
  let sim: CmmsSim;

  beforeEach(async function () {
    sim = await startCmmsSim({ now: () => T0, bodyLimitBytes: 64 * 1024 });
  });
  afterEach(async function () {
    await sim.stop();
  });

  it('lists work orders on the HTML page with every value escaped and a move button', async function () {
    const res = await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: JSON.stringify({ title: '<script>alert("x")</script> & co', externalData: 'ep-<1>' }) });
    const { id } = await res.json() as { id: number };
    const page = await fetch(`${sim.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.ok(html.includes(`data-id="${id}"`));
    assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co'));
    assert.ok(html.includes('ep-&#60;1&#62;'));
    assert.equal(html.includes('<script>alert'), false);
    assert.ok(html.includes('<option value="IN_PROGRESS">'));
    assert.ok(html.includes("fetch('__sim/status'"));
  });

  it('moves statuses through POST /__sim/status and refuses invalid moves', async function () {
    const { id } = await (await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' })).json() as { id: number };
    const move = (status: string, wid = String(id)): Promise<Response> => fetch(`${sim.url}/__sim/status`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dialect: 'maintainx', id: wid, status }),
    });
    assert.equal((await move('DONE')).status, 200);
    assert.equal((await move('IN_PROGRESS')).status, 409);
    assert.equal((await move('OPEN', '1')).status, 404);
    assert.equal((await fetch(`${sim.url}/__sim/status`, { method: 'POST', body: '{}' })).status, 400);
    const state = await (await fetch(`${sim.url}/__sim/state`)).json() as { workOrders: { status: string; wire: { id: number } }[]; counters: { requests: number } };
    assert.equal(state.workOrders[0].status, 'DONE');
    assert.equal(state.workOrders[0].wire.id, id);
    assert.equal(state.counters.requests, 1, 'control calls are not recorded');
  });

  it('adds an asset through POST /__sim/assets: Maximo then accepts work orders for it, reset forgets it', async function () {
    const headers = { apikey: SIM_CREDENTIALS.maximo.apiKey, 'content-type': 'application/json' };
    const create = (): Promise<Response> => fetch(`${sim.url}/maximo/api/os/mxapiwodetail?lean=1`, {
      method: 'POST', headers, body: JSON.stringify({ description: 'Seal leak', assetnum: 'PUMP-999', siteid: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-999' }),
    });
    const add = (body: unknown): Promise<Response> => fetch(`${sim.url}/__sim/assets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const refused = await create();
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /BMXAA2661E/);
    assert.equal((await add({ assetnum: 'PUMP-999', siteid: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-999' })).status, 201);
    assert.equal((await add({ assetnum: 'PUMP-999', siteid: 'BEDFORD' })).status, 400, 'already there');
    assert.equal((await add({ assetnum: 'X-1', siteid: 'NOWHERE' })).status, 400, 'unknown site');
    assert.equal((await add({ assetnum: 'X-1', siteid: 'BEDFORD', location: 'NASHUA/X-1' })).status, 400, 'location at another site');
    assert.equal((await add({ assetnum: 'X-1', siteid: 'BEDFORD', status: 'BROKEN' })).status, 400, 'unknown status');
    assert.equal((await add([])).status, 400);
    assert.equal((await create()).status, 201);
    const assets = await (await fetch(`${sim.url}/maximo/api/os/mxapiasset?lean=1&oslc.pageSize=1000&oslc.select=assetnum,siteid`, { headers })).json() as { member: Array<{ assetnum: string }> };
    assert.ok(assets.member.some((a) => a.assetnum === 'PUMP-999'), 'listed with the other assets');
    assert.equal((await fetch(`${sim.url}/__sim/reset`, { method: 'POST' })).status, 204);
    assert.equal((await create()).status, 400, 'reset restores the default assets');
  });

  it('records requests with every credential redacted, and clears them', async function () {
    const secrets = [SIM_CREDENTIALS.maximo.apiKey, SIM_CREDENTIALS.servicenow.password, SIM_CREDENTIALS.maintainx.token,
      SIM_CREDENTIALS.rest.apiKey, SIM_CREDENTIALS.servicenow.clientSecret, 'session-cookie-value', Buffer.from('admin:sim-pass').toString('base64')];
    await fetch(`${sim.url}/maximo/api/whoami`, { headers: { apikey: SIM_CREDENTIALS.maximo.apiKey, cookie: 'JSESSIONID=session-cookie-value' } });
    await fetch(`${sim.url}/maximo/api/whoami?apikey=${SIM_CREDENTIALS.maximo.apiKey}`);
    await fetch(`${sim.url}/maximo/api/whoami`, { headers: { maxauth: Buffer.from('admin:sim-pass').toString('base64') } });
    await fetch(`${sim.url}/api/now/table/incident`, { headers: { authorization: `Basic ${Buffer.from('admin:sim-pass').toString('base64')}` } });
    await fetch(`${sim.url}/oauth_token.do`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: 'sim-client', client_secret: SIM_CREDENTIALS.servicenow.clientSecret, username: 'admin', password: 'sim-pass' }).toString(),
    });
    await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t","priority":"HIGH"}' });
    await fetch(`${sim.url}/rest/health`, { headers: { 'x-api-key': SIM_CREDENTIALS.rest.apiKey } });

    const fromApi = sim.requests();
    const fromHttp = await (await fetch(`${sim.url}/__sim/requests`)).json() as RecordedRequest[];
    assert.equal(fromApi.length, 7);
    assert.deepEqual(fromHttp, fromApi);
    const dump = JSON.stringify(fromApi);
    for (const secret of secrets) assert.equal(dump.includes(secret), false, `leaked ${secret}`);

    assert.equal(fromApi[0].headers.apikey, 'REDACTED');
    assert.equal(fromApi[0].headers.cookie, 'REDACTED');
    assert.equal(fromApi[1].query.apikey, 'REDACTED');
    assert.equal(fromApi[3].headers.authorization, 'Basic REDACTED');
    assert.equal((fromApi[4].body as Record<string, string>).client_secret, 'REDACTED');
    assert.equal((fromApi[4].body as Record<string, string>).grant_type, 'password');
    const mx = fromApi[5];
    assert.deepEqual([mx.method, mx.path, mx.dialect, mx.status, mx.at], ['POST', '/v1/workorders', 'maintainx', 200, T0]);
    assert.deepEqual(mx.body, { title: 't', priority: 'HIGH' });
    assert.equal(mx.headers.authorization, 'Bearer REDACTED');
    assert.equal(fromApi[6].dialect, 'rest');

    assert.equal((await fetch(`${sim.url}/__sim/requests`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(sim.requests(), []);
  });

  it('answers 413 above the body limit and 404 outside any dialect, and reset forgets everything', async function () {
    const big = await fetch(`${sim.url}/rest/workorders`, {
      method: 'POST', headers: { authorization: `Bearer ${SIM_CREDENTIALS.rest.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x'.repeat(100 * 1024) }),
    });
    assert.equal(big.status, 413);
    assert.equal(sim.workOrders().length, 0);
    const nowhere = await fetch(`${sim.url}/nowhere`);
    assert.equal(nowhere.status, 404);
    assert.equal(sim.requests()[1].dialect, null);

    await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' });
    sim.faults.add({ kind: 'status', status: 500, dialect: 'rest' });
    assert.equal((await fetch(`${sim.url}/__sim/reset`, { method: 'POST' })).status, 204);
    assert.deepEqual([sim.workOrders().length, sim.requests().length, sim.faults.list().length], [0, 0, 0]);
    const again = await (await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' })).json() as { id: number };
    assert.equal(again.id, 40001, 'numbering starts over');
  });

  it('serves HTTPS when given a key and certificate', async function () {
    const secure = await startCmmsSim({ tls: { key: TLS_KEY, cert: TLS_CERT } });
    try {
      assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.get(`${secure.url}/maximo/api/whoami`, { ca: TLS_CERT, headers: { apikey: SIM_CREDENTIALS.maximo.apiKey }, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
      });
      assert.equal(status, 200);
    } finally {
      await secure.stop();
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`runs from the command line and stops cleanly on ${signal}`, async function () {
      const cli = path.join(__dirname, '..', '..', 'sim', 'cmms', 'cli.js');
      const child = spawn(process.execPath, [cli], { env: { ...process.env, SIM_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m) resolve(m[1]);
          });
          child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
        });
        const res = await fetch(`${url}/rest/health`, { headers: { authorization: `Bearer ${SIM_CREDENTIALS.rest.token}` } });
        assert.equal(res.status, 200);
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill(signal);
        assert.equal(await exited, 0);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  }
});

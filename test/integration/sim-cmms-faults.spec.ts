// Every fault kind, observed the way a client would see it over a real socket.
import assert from 'node:assert/strict';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type FaultSpec } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const MAXIMO = { apikey: SIM_CREDENTIALS.maximo.apiKey, 'content-type': 'application/json' };
const SN = SIM_CREDENTIALS.servicenow;
const SN_BASIC = { authorization: `Basic ${Buffer.from(`${SN.username}:${SN.password}`).toString('base64')}` };
const MX = { authorization: `Bearer ${SIM_CREDENTIALS.maintainx.token}`, 'content-type': 'application/json' };
const REST = { authorization: `Bearer ${SIM_CREDENTIALS.rest.token}`, 'content-type': 'application/json' };

describe('CMMS simulator: faults', function () {
  let sim: CmmsSim;
  let clock = T0;

  beforeEach(async function () {
    clock = T0;
    sim = await startCmmsSim({ now: () => clock, seed: 42 });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const whoami = (): Promise<Response> => fetch(`${sim.url}/maximo/api/whoami`, { headers: MAXIMO });
  const snList = (headers: Record<string, string> = SN_BASIC): Promise<Response> => fetch(`${sim.url}/api/now/table/incident?sysparm_limit=1`, { headers });
  const restCreate = (key: string): Promise<Response> =>
    fetch(`${sim.url}/rest/workorders`, { method: 'POST', headers: { ...REST, 'idempotency-key': key }, body: '{"title":"t"}' });

  it('answers injected statuses in the vendor error shape, for `times` requests only', async function () {
    sim.faults.add({ dialect: 'maximo', kind: 'status', status: 500, times: 1 });
    const failed = await whoami();
    assert.equal(failed.status, 500);
    const body = await failed.json() as { Error: { statusCode: string; reasonCode: string } };
    assert.equal(body.Error.statusCode, '500');
    assert.match(body.Error.reasonCode, /^BMXAA\d{4}E$/);
    assert.equal((await whoami()).status, 200);
    const rec = sim.requests();
    assert.equal(rec[0].fault, 'status');
    assert.equal(rec[0].status, 500);
    assert.equal(rec[1].fault, undefined);
  });

  it('sets Retry-After as seconds and as an HTTP-date, and the dialect reset headers', async function () {
    sim.faults.add({ dialect: 'servicenow', kind: 'status', status: 503, retryAfter: { seconds: 30 }, times: 1 });
    const a = await snList();
    assert.equal(a.status, 503);
    assert.equal(a.headers.get('retry-after'), '30');
    assert.equal((await a.json() as { status: string }).status, 'failure');

    const when = T0 + 90_000;
    sim.faults.add({ dialect: 'servicenow', kind: 'status', status: 429, retryAfter: { httpDate: when }, times: 1 });
    const b = await snList();
    assert.equal(b.status, 429);
    assert.equal(b.headers.get('retry-after'), new Date(when).toUTCString());
    assert.equal(Date.parse(b.headers.get('retry-after') ?? ''), when);
    assert.equal((await b.json() as { error: { message: string } }).error.message, 'Rate limit exceeded');

    sim.faults.add({ dialect: 'servicenow', kind: 'status', status: 429, resetHeader: 1740823260, times: 1 });
    assert.equal((await snList()).headers.get('x-ratelimit-reset'), '1740823260');
    sim.faults.add({ dialect: 'maintainx', kind: 'status', status: 429, resetHeader: 12, times: 1 });
    const mx = await fetch(`${sim.url}/v1/organizations`, { headers: MX });
    assert.equal(mx.status, 429);
    assert.equal(mx.headers.get('x-rate-limit-reset'), '12');
    assert.equal(mx.headers.get('x-rate-limit-remaining'), '0');
  });

  it('sends a custom 422 body with its content type', async function () {
    sim.faults.add({ dialect: 'maintainx', kind: 'status', status: 422, body: '{"errors":[{"message":"assetId is archived","field":"assetId"}]}', times: 1 });
    const res = await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' });
    assert.equal(res.status, 422);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { errors: [{ message: 'assetId is archived', field: 'assetId' }] });
    assert.equal(sim.workOrders().length, 0, 'a status fault answers before anything is committed');
  });

  it('resets the connection so fetch rejects', async function () {
    sim.faults.add({ kind: 'reset', pathIncludes: '/whoami', times: 1 });
    await assert.rejects(whoami(), TypeError);
    assert.equal(sim.requests()[0].status, 0);
    assert.equal((await whoami()).status, 200);
  });

  it('hangs until the client gives up, and stop() still ends a hung request', async function () {
    sim.faults.add({ kind: 'hang', dialect: 'rest' });
    await assert.rejects(fetch(`${sim.url}/rest/health`, { headers: REST, signal: AbortSignal.timeout(150) }), { name: 'TimeoutError' });

    const pending = fetch(`${sim.url}/rest/health`, { headers: REST });
    while (sim.requests().length < 2) await new Promise((r) => setTimeout(r, 5));
    await sim.stop();
    await assert.rejects(pending, TypeError);
  });

  it('trickles a slow body that still arrives whole', async function () {
    sim.faults.add({ kind: 'slow-body', dialect: 'maintainx', delayMs: 15, times: 1 });
    const res = await fetch(`${sim.url}/v1/organizations`, { headers: MX });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`);
    const text = Buffer.concat(chunks).toString('utf8');
    assert.equal((JSON.parse(text) as { organizations: { name: string }[] }).organizations[0].name, 'Sim Plant');
  });

  it('commit-then-drop: the record exists, the request failed, and a keyed retry resolves it', async function () {
    sim.faults.add({ kind: 'commit-then-drop', dialect: 'rest', method: 'POST', times: 1 });
    await assert.rejects(restCreate('k-1'), TypeError);
    const [wo] = sim.workOrders('rest');
    assert.ok(wo, 'the work order was committed');
    const retry = await restCreate('k-1');
    assert.equal(retry.status, 200);
    assert.equal((await retry.json() as { id: string }).id, wo.id);
    assert.equal(sim.workOrders('rest').length, 1);

    sim.faults.add({ kind: 'commit-then-drop', dialect: 'maximo', times: 1 });
    const body = JSON.stringify({ siteid: 'BEDFORD', description: 'd', externalrefid: 'ep-9' });
    const post = (): Promise<Response> => fetch(`${sim.url}/maximo/api/os/mxapiwodetail?lean=1`, { method: 'POST', headers: { ...MAXIMO, transactionid: 'tx-9' }, body });
    await assert.rejects(post(), TypeError);
    assert.equal((await post()).status, 409);
    assert.equal(sim.workOrders('maximo').length, 1);
  });

  it('expire-token: issued tokens stop working and the request gets the vendor 401', async function () {
    const issue = async (): Promise<string> => {
      const res = await fetch(`${sim.url}/oauth_token.do`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SN.clientId, client_secret: SN.clientSecret }).toString(),
      });
      return (await res.json() as { access_token: string }).access_token;
    };
    const old = { authorization: `Bearer ${await issue()}` };
    assert.equal((await snList(old)).status, 200);
    sim.faults.add({ kind: 'expire-token', dialect: 'servicenow', pathIncludes: '/api/now/', times: 1 });
    const hit = await snList(old);
    assert.equal(hit.status, 401);
    assert.equal((await hit.json() as { error: { message: string } }).error.message, 'User Not Authenticated');
    assert.equal((await snList(old)).status, 401, 'the old token stays expired');
    assert.equal((await snList({ authorization: `Bearer ${await issue()}` })).status, 200);
  });

  it('outage: fails fast until untilMs on the simulator clock, with 503 or a reset', async function () {
    sim.faults.add({ kind: 'outage', untilMs: T0 + 60_000, retryAfter: { seconds: 60 } });
    const a = await whoami();
    assert.equal(a.status, 503);
    assert.equal(a.headers.get('retry-after'), '60');
    assert.equal((await snList()).status, 503);
    clock = T0 + 60_000;
    assert.equal((await whoami()).status, 200);
    assert.deepEqual(sim.faults.list(), [], 'an ended outage removes itself');

    sim.faults.add({ kind: 'outage', status: 0, untilMs: T0 + 120_000 });
    await assert.rejects(whoami(), TypeError);
    clock = T0 + 120_000;
    assert.equal((await whoami()).status, 200);
  });

  it('garbage: an HTML error page, or the real answer cut in half (the write is committed)', async function () {
    sim.faults.add({ kind: 'garbage', dialect: 'maximo', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', times: 1 });
    const html = await whoami();
    assert.equal(html.status, 502);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    await assert.rejects(html.json(), SyntaxError);

    sim.faults.add({ kind: 'garbage', dialect: 'maintainx', times: 1 });
    const cut = await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' });
    assert.equal(cut.status, 200);
    assert.equal(cut.headers.get('content-type'), 'application/json');
    await assert.rejects(cut.json(), SyntaxError);
    assert.equal(sim.workOrders('maintainx').length, 1);
  });

  it('huge-body: streams exactly the number of bytes asked for', async function () {
    sim.faults.add({ kind: 'huge-body', dialect: 'rest', bytes: 2_000_000, times: 1 });
    const res = await fetch(`${sim.url}/rest/health`, { headers: REST });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), null, 'chunked, so a client must count');
    const buf = Buffer.from(await res.arrayBuffer());
    assert.equal(buf.length, 2_000_000);
  });

  it('latency: answers normally, later', async function () {
    sim.faults.add({ kind: 'latency', delayMs: 50, times: 1 });
    assert.equal((await whoami()).status, 200);
    assert.equal(sim.requests()[0].fault, 'latency');
  });

  it('rolls probabilities from the seed: the same seed fails the same requests', async function () {
    const pattern = async (s: CmmsSim): Promise<number[]> => {
      s.faults.add({ kind: 'status', status: 503, probability: 0.5 });
      const out: number[] = [];
      for (let i = 0; i < 24; i++) out.push((await fetch(`${s.url}/maximo/api/whoami`, { headers: MAXIMO })).status);
      return out;
    };
    const twin = await startCmmsSim({ now: () => clock, seed: 42 });
    const other = await startCmmsSim({ now: () => clock, seed: 7 });
    try {
      const mine = await pattern(sim);
      assert.deepEqual(await pattern(twin), mine);
      assert.notDeepEqual(await pattern(other), mine);
      const failures = mine.filter((s) => s === 503).length;
      assert.ok(failures > 0 && failures < 24, `both outcomes occur (${failures}/24 failed)`);
    } finally {
      await twin.stop();
      await other.stop();
    }
  });

  it('manages faults over the control API and rejects malformed ones', async function () {
    const post = (f: unknown): Promise<Response> => fetch(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
    for (const bad of [{ kind: 'explode' }, { kind: 'status' }, { kind: 'status', status: 500, statsu: 1 }, { kind: 'latency' }, { kind: 'status', status: 500, probability: 2 }]) {
      const res = await post(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.ok((await res.json() as { error: string }).error);
    }
    const spec: FaultSpec = { kind: 'status', status: 500, dialect: 'maintainx', method: 'POST', pathIncludes: '/workorders' };
    const created = await post(spec);
    assert.equal(created.status, 201);
    const { id } = await created.json() as { id: string };
    assert.deepEqual(await (await fetch(`${sim.url}/__sim/faults`)).json(), [{ ...spec, id }]);
    assert.equal((await fetch(`${sim.url}/v1/organizations`, { headers: MX })).status, 200, 'GET does not match a POST fault');
    assert.equal((await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' })).status, 500);
    assert.equal((await fetch(`${sim.url}/__sim/faults/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"t"}' })).status, 200);
    assert.equal((await fetch(`${sim.url}/__sim/faults/${id}`, { method: 'DELETE' })).status, 404);
  });
});

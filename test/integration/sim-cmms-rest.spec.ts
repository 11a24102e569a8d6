// The simulator's generic REST dialect over real sockets: bearer / API key / OAuth auth,
// Idempotency-Key semantics, reference lookup, cursor paging and signed incoming bodies.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const R = SIM_CREDENTIALS.rest;
const AUTH = { authorization: `Bearer ${R.token}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

type Row = Record<string, unknown>;

describe('CMMS simulator: generic REST', function () {
  let sim: CmmsSim;
  let clock = T0;

  beforeEach(async function () {
    clock = T0;
    sim = await startCmmsSim({ now: () => clock, tokenTtlSec: 60 });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const post = (body: unknown, key?: string): Promise<Response> => fetch(`${sim.url}/rest/workorders`, {
    method: 'POST', headers: { ...JSON_AUTH, ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body),
  });

  it('accepts the bearer token, the API key and OAuth client-credentials tokens until they expire', async function () {
    assert.equal((await fetch(`${sim.url}/rest/health`, { headers: AUTH })).status, 200);
    assert.equal((await fetch(`${sim.url}/rest/health`, { headers: { 'x-api-key': R.apiKey } })).status, 200);
    const refused = await fetch(`${sim.url}/rest/health`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.equal((await refused.json() as Row).title, 'Unauthorized');

    const tokenRes = await fetch(`${sim.url}/rest/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: R.clientId, client_secret: R.clientSecret }),
    });
    const t = await tokenRes.json() as { access_token: string; expires_in: number };
    assert.equal(t.expires_in, 60);
    const bearer = { authorization: `Bearer ${t.access_token}` };
    assert.equal((await fetch(`${sim.url}/rest/health`, { headers: bearer })).status, 200);
    clock += 60_000;
    const expired = await fetch(`${sim.url}/rest/health`, { headers: bearer });
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /invalid_token/);

    const badClient = await fetch(`${sim.url}/rest/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: R.clientId, client_secret: 'nope' }).toString(),
    });
    assert.equal(badClient.status, 401);
    assert.equal((await badClient.json() as Row).error, 'invalid_client');
  });

  it('replays an Idempotency-Key retry, refuses a changed body with 422, and finds by reference', async function () {
    const body = { title: 'HiHi vibration', asset: 'PUMP-101', reference: 'ep-1' };
    const first = await post(body, 'k-1');
    assert.equal(first.status, 201);
    const created = await first.json() as Row;
    assert.equal(created.status, 'open');
    const replay = await post({ reference: 'ep-1', asset: 'PUMP-101', title: 'HiHi vibration' }, 'k-1');
    assert.equal(replay.status, 200);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(await replay.json(), created);
    const changed = await post({ ...body, title: 'something else' }, 'k-1');
    assert.equal(changed.status, 422);
    assert.equal(sim.workOrders('rest').length, 1);

    const found = await (await fetch(`${sim.url}/rest/workorders?reference=ep-1`, { headers: AUTH })).json() as { items: Row[] };
    assert.deepEqual(found.items.map((i) => i.id), [created.id]);
    const one = await fetch(`${sim.url}/rest/workorders/${String(created.id)}`, { headers: AUTH });
    assert.equal((await one.json() as Row).title, 'HiHi vibration');
  });

  it('answers 409 to a concurrent duplicate while the first request is still in flight', async function () {
    sim.faults.add({ dialect: 'rest', method: 'POST', kind: 'latency', delayMs: 1000, times: 1 });
    const slow = post({ title: 't' }, 'k-2');
    // Wait until the first request is recorded, i.e. being processed.
    while (sim.requests().length === 0) await new Promise((r) => setTimeout(r, 5));
    const dup = await post({ title: 't' }, 'k-2');
    assert.equal(dup.status, 409);
    assert.equal((await slow).status, 201);
    assert.equal((await post({ title: 't' }, 'k-2')).status, 200);
  });

  it('pages updatedSince results and assets with cursors, and checks status moves', async function () {
    const ids: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await (await post({ title: `w${i}` })).json() as Row).id);
      clock += 1000;
    }
    const since = encodeURIComponent(new Date(T0 + 1000).toISOString());
    const seen: unknown[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await (await fetch(`${sim.url}/rest/workorders?updatedSince=${since}&limit=3&cursor=${encodeURIComponent(cursor)}`, { headers: AUTH })).json() as { items: Row[]; nextCursor: string | null };
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    assert.deepEqual(seen, ids.slice(1));

    const assets: Row[] = [];
    cursor = '';
    while (cursor !== null) {
      const page = await (await fetch(`${sim.url}/rest/assets?limit=12&cursor=${encodeURIComponent(cursor)}`, { headers: AUTH })).json() as { items: Row[]; nextCursor: string | null };
      assets.push(...page.items);
      cursor = page.nextCursor;
    }
    assert.equal(assets.length, 30);

    const patch = (status: string): Promise<Response> => fetch(`${sim.url}/rest/workorders/${String(ids[0])}`, { method: 'PATCH', headers: JSON_AUTH, body: JSON.stringify({ status, note: 'n' }) });
    assert.equal((await patch('in-progress')).status, 200);
    assert.equal((await patch('done')).status, 200);
    const invalid = await patch('open');
    assert.equal(invalid.status, 422);
    assert.match(String((await invalid.json() as Row).detail), /from done to open/);
  });

  it('verifies Standard Webhooks signatures on incoming writes when a signing secret is set', async function () {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const signed = await startCmmsSim({ now: () => clock, restSigningSecret: secret });
    try {
      const body = JSON.stringify({ title: 'signed' });
      const sign = (id: string, ts: number, key: Buffer): string =>
        `v1,${crypto.createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const ts = Math.floor(clock / 1000);
      const send = (headers: Record<string, string>): Promise<Response> =>
        fetch(`${signed.url}/rest/workorders`, { method: 'POST', headers: { ...JSON_AUTH, ...headers }, body });
      assert.equal((await send({})).status, 401);
      assert.equal((await send({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': sign('msg_1', ts, Buffer.from('wrong')) })).status, 401);
      assert.equal((await send({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts - 600), 'webhook-signature': sign('msg_1', ts - 600, key) })).status, 401);
      const ok = await send({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': `v1,bm90LWl0 ${sign('msg_1', ts, key)}` });
      assert.equal(ok.status, 201);
    } finally {
      await signed.stop();
    }
  });
});

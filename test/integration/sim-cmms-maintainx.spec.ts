// The simulator's MaintainX dialect over real sockets: bearer auth, create/read, cursor paging,
// updatedAt[gte] polling, the status machine, comments and the optional request window.
import assert from 'node:assert/strict';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const AUTH = { authorization: `Bearer ${SIM_CREDENTIALS.maintainx.token}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

type Row = Record<string, unknown>;

describe('CMMS simulator: MaintainX', function () {
  let sim: CmmsSim;
  let clock = T0;

  beforeEach(async function () {
    clock = T0;
    sim = await startCmmsSim({ now: () => clock });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const create = (body: Row, query = ''): Promise<Response> =>
    fetch(`${sim.url}/v1/workorders${query}`, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify(body) });
  const setStatus = (id: unknown, status: string): Promise<Response> =>
    fetch(`${sim.url}/v1/workorders/${String(id)}/status`, { method: 'PATCH', headers: JSON_AUTH, body: JSON.stringify({ status }) });

  it('accepts the bearer token and refuses others with the MaintainX error shape', async function () {
    assert.equal((await fetch(`${sim.url}/v1/organizations`, { headers: AUTH })).status, 200);
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await fetch(`${sim.url}/v1/workorders`, { headers });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { errors: [{ error: 'Unauthorized' }] });
    }
  });

  it('creates as the OpenAPI says (200 {id}, {workOrder} on read, errors {error, fieldPath}); lists without externalData or assetId and has no externalData filter', async function () {
    const missing = await create({ description: 'no title' });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { errors: [{ error: 'title is required', fieldPath: 'title' }] });
    assert.equal((await create({ title: 't', priority: 'URGENT' })).status, 400);
    assert.equal((await create({ title: 't', priority: 'high' })).status, 400, 'the enum is upper case');

    const assets = (await (await fetch(`${sim.url}/v1/assets?limit=1`, { headers: AUTH })).json() as { assets: Row[] }).assets;
    assert.equal(assets[0].archived, undefined, 'assets have no archived field');
    assert.equal(assets[0].status, undefined, 'status only with expand=status');
    const res = await create({ title: 'HiHi vibration', priority: 'HIGH', assetId: assets[0].id, externalData: { eventId: 'ep-1' } }, '?skipWebhook=true');
    assert.equal(res.status, 200);
    const created = await res.json() as Row;
    assert.deepEqual(Object.keys(created), ['id']);
    assert.equal(typeof created.id, 'number');
    await create({ title: 'another', externalData: { eventId: 'ep-2' } });

    const one = (await (await fetch(`${sim.url}/v1/workorders/${String(created.id)}`, { headers: AUTH })).json() as { workOrder: Row }).workOrder;
    assert.equal(one.title, 'HiHi vibration');
    assert.equal(one.status, 'OPEN');
    assert.deepEqual(one.externalData, { eventId: 'ep-1' });
    assert.equal(one.assetId, assets[0].id);
    const listed = await (await fetch(`${sim.url}/v1/workorders?externalData=ep-1`, { headers: AUTH })).json() as { workOrders: Row[] };
    assert.equal(listed.workOrders.length, 2, 'an unknown filter is ignored');
    assert.ok(listed.workOrders.every((w) => !('externalData' in w) && !('assetId' in w)));
    assert.equal((await fetch(`${sim.url}/v1/workorders/999999`, { headers: AUTH })).status, 404);
  });

  it('lenient (off by default) brings back the old conveniences', async function () {
    const lenient = await startCmmsSim({ lenient: true });
    try {
      const post = await fetch(`${lenient.url}/v1/workorders`, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify({ title: 'x', externalData: 'ep-9' }) });
      assert.equal(post.status, 201);
      assert.equal((await fetch(`${lenient.url}/v1/users/me`, { headers: AUTH })).status, 200);
      const byRef = await (await fetch(`${lenient.url}/v1/workorders?externalData=ep-9`, { headers: AUTH })).json() as { workOrders: Row[] };
      assert.equal(byRef.workOrders[0].externalData, 'ep-9');
    } finally {
      await lenient.stop();
    }
  });

  it('polls with updatedAt[gte] across cursor pages', async function () {
    const ids: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await (await create({ title: `w${i}` })).json() as Row).id);
      clock += 60_000;
    }
    const since = encodeURIComponent(new Date(T0 + 60_000).toISOString());
    let url: string | null = `${sim.url}/v1/workorders?limit=2&updatedAt%5Bgte%5D=${since}`;
    const seen: unknown[] = [];
    let pages = 0;
    while (url) {
      const body = await (await fetch(url, { headers: AUTH })).json() as { workOrders: Row[]; nextCursor: string | null };
      seen.push(...body.workOrders.map((w) => w.id));
      url = body.nextCursor ? `${sim.url}/v1/workorders?limit=2&updatedAt%5Bgte%5D=${since}&cursor=${encodeURIComponent(body.nextCursor)}` : null;
      pages += 1;
    }
    assert.equal(pages, 2);
    assert.deepEqual(seen, ids.slice(1));
  });

  it('moves OPEN→IN_PROGRESS→ON_HOLD→DONE, reopens only to OPEN, and rejects unknown statuses', async function () {
    const { id } = await (await create({ title: 's' })).json() as Row;
    for (const s of ['IN_PROGRESS', 'ON_HOLD', 'DONE']) assert.equal((await setStatus(id, s)).status, 200, s);
    const done = sim.workOrders('maintainx')[0];
    assert.equal(done.status, 'DONE');
    assert.ok(done.fields.completedAt);
    const invalid = await setStatus(id, 'IN_PROGRESS');
    assert.equal(invalid.status, 400);
    assert.match((await invalid.json() as { errors: { error: string }[] }).errors[0].error, /from DONE to IN_PROGRESS/);
    assert.equal((await setStatus(id, 'COMPLETE')).status, 400);
    assert.equal((await setStatus(id, 'OPEN')).status, 200);

    const comment = await fetch(`${sim.url}/v1/workorders/${String(id)}/comments`, { method: 'POST', headers: JSON_AUTH, body: JSON.stringify({ content: 'vibration back to normal' }) });
    assert.equal(comment.status, 201);
    assert.equal((sim.workOrders('maintainx')[0].fields.comments as Row[]).length, 1);
  });

  it('lists all 30 assets through cursors', async function () {
    const names: unknown[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const body = await (await fetch(`${sim.url}/v1/assets?limit=7&cursor=${encodeURIComponent(cursor)}`, { headers: AUTH })).json() as { assets: Row[]; nextCursor: string | null };
      names.push(...body.assets.map((a) => a.name));
      cursor = body.nextCursor;
    }
    assert.equal(names.length, 30);
    assert.ok(names.includes('PUMP-101') && names.includes('PUMP-1O1'));
    assert.equal((await fetch(`${sim.url}/v1/assets?cursor=garbage`, { headers: AUTH })).status, 400);
  });

  it('throttles per token with X-Rate-Limit-* headers when the window is enabled', async function () {
    const limited = await startCmmsSim({ now: () => clock, maintainxRateLimit: { limit: 3, windowSec: 60 } });
    try {
      const hit = (): Promise<Response> => fetch(`${limited.url}/v1/organizations`, { headers: AUTH });
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await hit();
        assert.equal(res.status, 200);
        remaining.push(res.headers.get('x-rate-limit-remaining'));
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      const over = await hit();
      assert.equal(over.status, 429);
      assert.equal(over.headers.get('x-rate-limit-limit'), '3');
      assert.equal(over.headers.get('x-rate-limit-reset'), '60');
      clock += 60_000;
      assert.equal((await hit()).status, 200);
    } finally {
      await limited.stop();
    }
  });
});

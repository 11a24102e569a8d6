// The simulator's Maximo dialect over real sockets: auth, create and read back, transactionid
// replay, paging, changed-since queries and the status machine.
import assert from 'node:assert/strict';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const KEY = { apikey: SIM_CREDENTIALS.maximo.apiKey };
const JSON_HEADERS = { ...KEY, 'content-type': 'application/json' };
const WO_URL = '/maximo/api/os/mxapiwodetail';

interface Member { [k: string]: unknown; href: string }
interface Collection { member: Member[]; responseInfo: { nextPage?: { href: string }; totalCount?: number } }

describe('CMMS simulator: Maximo', function () {
  let sim: CmmsSim;
  let clock = T0;

  beforeEach(async function () {
    clock = T0;
    sim = await startCmmsSim({ now: () => clock, pageSizeMax: 50 });
  });
  afterEach(async function () {
    await sim.stop();
  });

  const create = async (body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${sim.url}${WO_URL}?lean=1`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, properties: 'wonum,status,href,externalrefid,siteid', ...headers },
      body: JSON.stringify(body),
    });
  const order = (ref: string): Record<string, unknown> => ({
    siteid: 'BEDFORD', description: 'HiHi vibration PUMP-101', assetnum: 'PUMP-101', location: 'BEDFORD/AREA1/LINE2/PUMP-101',
    worktype: 'CM', wopriority: 1, externalrefid: ref,
  });

  it('accepts the apikey header and maxauth, and refuses others with the BMXAA7901E body', async function () {
    const ok = await fetch(`${sim.url}/maximo/api/whoami`, { headers: KEY });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json() as { userid: string }).userid, 'MAXADMIN');
    const maxauth = Buffer.from('maxadmin:maxadmin').toString('base64');
    assert.equal((await fetch(`${sim.url}/maximo/oslc/whoami`, { headers: { maxauth } })).status, 200);

    for (const headers of [{}, { apikey: 'wrong' }, { maxauth: Buffer.from('maxadmin:nope').toString('base64') }] as Record<string, string>[]) {
      const res = await fetch(`${sim.url}/maximo/api/whoami`, { headers });
      assert.equal(res.status, 401);
      const body = await res.json() as { Error: { reasonCode: string; statusCode: string; message: string } };
      assert.equal(body.Error.reasonCode, 'BMXAA7901E');
      assert.equal(body.Error.statusCode, '401');
      assert.match(body.Error.message, /^BMXAA7901E - You cannot log in at this time/);
    }
  });

  it('creates a work order and reads it back by href and by externalrefid', async function () {
    const res = await create(order('ep-1'));
    assert.equal(res.status, 201);
    const created = await res.json() as Member;
    assert.equal(created.status, 'WAPPR');
    assert.equal(created.externalrefid, 'ep-1');
    assert.equal(res.headers.get('location'), created.href);
    assert.match(created.href, /\/maximo\/api\/os\/mxapiwodetail\/_[A-Za-z0-9_-]+$/);

    const one = await fetch(`${created.href}?lean=1`, { headers: KEY });
    const full = await one.json() as Member;
    assert.equal(full.description, 'HiHi vibration PUMP-101');
    assert.equal(full.assetnum, 'PUMP-101');
    assert.equal(full.orgid, 'EAGLENA');

    const where = encodeURIComponent('externalrefid="ep-1"');
    const found = await fetch(`${sim.url}${WO_URL}?lean=1&oslc.where=${where}&oslc.select=wonum,status,externalrefid`, { headers: KEY });
    const coll = await found.json() as Collection;
    assert.equal(coll.member.length, 1);
    assert.deepEqual(Object.keys(coll.member[0]).sort(), ['externalrefid', 'href', 'status', 'wonum']);
    assert.equal(sim.workOrders('maximo')[0].ref, 'ep-1');
  });

  it('answers 201 with no body but a Location when no properties header is sent', async function () {
    const res = await fetch(`${sim.url}${WO_URL}?lean=1`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(order('ep-2')) });
    assert.equal(res.status, 201);
    assert.equal(await res.text(), '');
    assert.ok(res.headers.get('location'));
  });

  it('rejects a replayed transactionid with 409 for five minutes, then accepts it again', async function () {
    assert.equal((await create(order('ep-3'), { transactionid: 'tx-1' })).status, 201);
    const again = await create(order('ep-3'), { transactionid: 'tx-1' });
    assert.equal(again.status, 409);
    assert.match((await again.json() as { Error: { reasonCode: string } }).Error.reasonCode, /^BMXAA\d{4}E$/);
    assert.equal(sim.workOrders('maximo').length, 1);
    clock += 5 * 60_000 + 1;
    assert.equal((await create(order('ep-3'), { transactionid: 'tx-1' })).status, 201);
  });

  it('validates site, asset (decommissioned PUMP-1O1) and description length like Maximo', async function () {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...order('x'), siteid: 'NOWHERE' }, 'BMXAA4153E'],
      [{ ...order('x'), siteid: undefined }, 'BMXAA4195E'],
      [{ ...order('x'), assetnum: 'PUMP-1O1' }, 'BMXAA2661E'],
      [{ ...order('x'), description: 'x'.repeat(101) }, 'BMXAA4049E'],
      [{ ...order('x'), location: 'BEDFORD/AREA9/LINE1' }, 'BMXAA9007E'],
    ];
    for (const [body, code] of cases) {
      const res = await create(body);
      assert.equal(res.status, 400, code);
      assert.equal((await res.json() as { Error: { reasonCode: string } }).Error.reasonCode, code);
    }
    assert.equal(sim.workOrders().length, 0);
  });

  it('pages the asset list through responseInfo.nextPage and refuses a page size above the maximum', async function () {
    const seen: Member[] = [];
    let next: string | undefined = `${sim.url}/maximo/api/os/mxapiasset?lean=1&oslc.select=assetnum,siteid,location,status&oslc.pageSize=7&collectioncount=1`;
    let pages = 0;
    while (next) {
      const res: Response = await fetch(next, { headers: KEY });
      assert.equal(res.status, 200);
      const coll = await res.json() as Collection;
      assert.equal(coll.responseInfo.totalCount, 30);
      seen.push(...coll.member);
      next = coll.responseInfo.nextPage?.href;
      pages += 1;
    }
    assert.equal(pages, 5);
    assert.equal(new Set(seen.map((m) => `${String(m.assetnum)}@${String(m.siteid)}`)).size, 30);
    assert.ok(seen.some((m) => m.status === 'NOT READY'));
    assert.ok(seen.some((m) => m.status === 'DECOMMISSIONED'));
    assert.ok(seen.some((m) => m.location === 'BEDFORD/AREA1/LINE2/PUMP-101'));

    const big = await fetch(`${sim.url}/maximo/api/os/mxapiasset?lean=1&oslc.pageSize=51`, { headers: KEY });
    assert.equal(big.status, 400);
  });

  it('answers a changed-since query with changedate, paged', async function () {
    for (let i = 0; i < 4; i++) {
      assert.equal((await create(order(`ep-c${i}`))).status, 201);
      clock += 60_000;
    }
    const since = new Date(T0 + 30_000).toISOString().replace('Z', '-00:00');
    const where = encodeURIComponent(`changedate>"${since}" and siteid="BEDFORD"`);
    let next: string | undefined = `${sim.url}${WO_URL}?lean=1&oslc.where=${where}&oslc.select=wonum,status,changedate,externalrefid&oslc.pageSize=2&oslc.orderBy=%2Bchangedate`;
    const refs: unknown[] = [];
    while (next) {
      const coll = await (await fetch(next, { headers: KEY })).json() as Collection;
      for (const m of coll.member) {
        assert.ok(m.changedate && m.status && m.wonum && m.href);
        refs.push(m.externalrefid);
      }
      next = coll.responseInfo.nextPage?.href;
    }
    assert.deepEqual(refs, ['ep-c1', 'ep-c2', 'ep-c3']);
  });

  it('moves through WAPPR→APPR→INPRG→COMP→CLOSE and refuses invalid moves with a BMXAA 400', async function () {
    const { href } = await (await create(order('ep-s'))).json() as Member;
    const change = (status: string): Promise<Response> => fetch(`${href}?action=wsmethod:changeStatus&lean=1`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'x-method-override': 'PATCH' },
      body: JSON.stringify({ status, memo: 'by test' }),
    });
    for (const s of ['APPR', 'INPRG', 'COMP']) assert.equal((await change(s)).status, 204, s);
    const back = await change('INPRG');
    assert.equal(back.status, 400);
    assert.match((await back.json() as { Error: { message: string } }).Error.message, /cannot be changed from COMP to INPRG/);
    assert.equal((await change('CLOSE')).status, 204);
    assert.equal((await change('CAN')).status, 400, 'nothing moves out of CLOSE');
    assert.equal((await change('BOGUS')).status, 400);
    assert.equal(sim.workOrders('maximo')[0].status, 'CLOSE');

    const { href: other } = await (await create(order('ep-t'))).json() as Member;
    const cancel = await fetch(`${other}?action=wsmethod:changeStatus&lean=1`, {
      method: 'POST', headers: { ...JSON_HEADERS, 'x-method-override': 'PATCH' }, body: JSON.stringify({ status: 'CAN' }),
    });
    assert.equal(cancel.status, 204);
  });

  it('appends work logs with patchtype MERGE and replaces them without it', async function () {
    const { href } = await (await create(order('ep-w'))).json() as Member;
    const patch = (headers: Record<string, string>, text: string): Promise<Response> => fetch(`${href}?lean=1`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, 'x-method-override': 'PATCH', ...headers },
      body: JSON.stringify({ worklog: [{ description: text }] }),
    });
    assert.equal((await patch({ patchtype: 'MERGE' }, 'first')).status, 204);
    assert.equal((await patch({ patchtype: 'MERGE' }, 'second')).status, 204);
    const logs = (): unknown[] => (sim.workOrders('maximo')[0].fields.worklog as { description: string }[]).map((w) => w.description);
    assert.deepEqual(logs(), ['first', 'second']);
    assert.equal((await patch({}, 'only')).status, 204);
    assert.deepEqual(logs(), ['only']);
  });

  it('answers in OSLC namespaced JSON without lean=1 and rejects unknown attributes in oslc.where', async function () {
    await create(order('ep-n'));
    const ns = await (await fetch(`${sim.url}${WO_URL}?oslc.select=wonum`, { headers: KEY })).json() as Record<string, unknown>;
    assert.ok(Array.isArray(ns['rdfs:member']));
    assert.ok((ns['rdfs:member'] as Record<string, unknown>[])[0]['spi:wonum']);
    const bad = await fetch(`${sim.url}${WO_URL}?lean=1&oslc.where=${encodeURIComponent('nosuchattr="1"')}`, { headers: KEY });
    assert.equal(bad.status, 400);
  });
});

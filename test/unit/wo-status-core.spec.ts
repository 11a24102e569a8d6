// mw-wo-status core: normalisation tables, the webhook path through the service (replay, dedupe,
// out-of-order, scope, linking) and polling with pagination and a watermark that survives a restart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signMaintainx } from '../../sim/cmms/webhooks';
import { validateWorkOrderStatus } from '../../nodes/core/contracts';
import type { CmmsWorkOrder, Page } from '../../nodes/core/cmms/types';
import { makeNormaliser, MAXIMO_TABLE } from '../../nodes/core/wo-status/normalise';
import { nextPollDelay, Poller } from '../../nodes/core/wo-status/poller';
import { StatusService, type ServiceDeps } from '../../nodes/core/wo-status/service';
import { parseWoStatusSettings } from '../../nodes/core/wo-status/settings';
import { StatusStore } from '../../nodes/core/wo-status/store';

describe('mw-wo-status normalisation tables', () => {
  it('Maximo WOSTATUS', () => {
    const n = makeNormaliser('maximo');
    const want: Record<string, string> = { WAPPR: 'open', APPR: 'approved', WSCH: 'waiting', WMATL: 'waiting', INPRG: 'in-progress', COMP: 'done', CLOSE: 'closed', CAN: 'cancelled' };
    for (const [k, v] of Object.entries(want)) assert.equal(n(k), v, k);
    assert.equal(n(' inprg '), 'in-progress', 'case and spaces do not matter');
  });
  it('ServiceNow incident states 1–8 and wm_order states', () => {
    const inc = makeNormaliser('servicenow');
    const want: Record<string, string> = { 1: 'open', 2: 'in-progress', 3: 'waiting', 6: 'done', 7: 'closed', 8: 'cancelled', Resolved: 'done' };
    for (const [k, v] of Object.entries(want)) assert.equal(inc(k), v, k);
    const wm = makeNormaliser('servicenow', [], 'wm_order');
    assert.equal(wm('Work in Progress'), 'in-progress');
    assert.equal(wm('Closed Complete'), 'closed');
    assert.equal(wm('Canceled'), 'cancelled');
    assert.equal(wm('Qualified'), 'approved');
  });
  it('MaintainX and REST', () => {
    const mx = makeNormaliser('maintainx');
    for (const [k, v] of Object.entries({ OPEN: 'open', IN_PROGRESS: 'in-progress', ON_HOLD: 'waiting', DONE: 'done', CANCELED: 'cancelled' })) assert.equal(mx(k), v, k);
    const rest = makeNormaliser('rest');
    assert.equal(rest('completed'), 'done');
    assert.equal(rest('on-hold'), 'waiting');
  });
  it('unknown values are unknown, never guessed; user rows add and override', () => {
    assert.equal(makeNormaliser('maximo')('WAITPARTS'), 'unknown');
    const n = makeNormaliser('maximo', [{ cmms: 'WAITPARTS', status: 'waiting' }, { cmms: 'COMP', status: 'closed' }]);
    assert.equal(n('waitparts'), 'waiting');
    assert.equal(n('COMP'), 'closed');
    assert.equal(n.table.WAPPR, MAXIMO_TABLE.WAPPR);
  });
  it('settings: a custom table is validated, a duplicate row and a bad path refused', () => {
    assert.equal(parseWoStatusSettings({ cmms: 'c', statusMap: [{ cmms: 'X', status: 'done' }] }, 'n1').ok, true);
    const dup = parseWoStatusSettings({ cmms: 'c', statusMap: [{ cmms: 'X', status: 'done' }, { cmms: 'x', status: 'open' }] }, 'n1');
    assert.ok(!dup.ok && dup.errors.some((e) => /twice/.test(e)));
    const bad = parseWoStatusSettings({ cmms: 'c', path: '/a/../b' }, 'n1');
    assert.ok(!bad.ok && bad.errors.some((e) => /path/.test(e)));
    const unknownState = parseWoStatusSettings({ cmms: 'c', statusMap: [{ cmms: 'X', status: 'finished' }] }, 'n1');
    assert.equal(unknownState.ok, false);
  });
});

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mw-wos-')), 'wo-status.db');
}

describe('mw-wo-status service (webhooks)', () => {
  const SECRET = 'mx-secret';
  let file: string;
  let store: StatusStore;
  let clock: number;
  const links = new Map<string, { eventIds: string[]; assetId: string | null }>();
  const options = (over: Record<string, unknown> = {}) => {
    const p = parseWoStatusSettings({ cmms: 'c', ...over }, 'n1');
    if (!p.ok) throw new Error(p.errors.join());
    return p.value;
  };
  const service = (over: Partial<ServiceDeps> = {}, opts: Record<string, unknown> = {}): StatusService => new StatusService({
    store, dialect: 'maintainx', scheme: 'maintainx', options: options(opts), cmmsName: 'MaintainX', secrets: () => [SECRET],
    links: (wo) => links.get(wo) ?? null, now: () => clock, ...over,
  });
  const delivery = (id: number, status: string, at: string, t = Math.floor(clock / 1000)) => {
    const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', orgId: 1, workOrderId: id, occurredAt: at, newWorkOrder: { id, status, updatedAt: at, assetId: 5 } });
    return { headers: { 'x-maintainx-webhook-body-signature': signMaintainx(SECRET, t, body) }, rawBody: Buffer.from(body) };
  };

  beforeEach(() => {
    file = tmpFile();
    store = new StatusStore(file);
    clock = Date.parse('2026-12-04T10:00:00Z');
    links.clear();
  });
  afterEach(() => {
    store.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('commits a signed change, links it to its events, and emits it in the contract', () => {
    links.set('7', { eventIds: ['BEDFORD.PUMP-101.vib-hh.limit.20261204T095000000Z'], assetId: 'PUMP-101' });
    const s = service();
    const a = s.handleWebhook(delivery(7, 'DONE', '2026-12-04T09:59:58Z'));
    assert.equal(a.status, 200);
    assert.equal(a.accepted, 1);
    const [p] = s.pending();
    assert.equal(validateWorkOrderStatus(p.status).ok, true, JSON.stringify(p.status));
    assert.deepEqual(
      { wo: p.status.workOrderId, status: p.status.status, raw: p.status.cmmsStatus, ev: p.status.eventIds, e: p.status.eventId, asset: p.status.assetId, src: p.status.source },
      { wo: '7', status: 'done', raw: 'DONE', ev: ['BEDFORD.PUMP-101.vib-hh.limit.20261204T095000000Z'], e: 'BEDFORD.PUMP-101.vib-hh.limit.20261204T095000000Z', asset: 'PUMP-101', src: 'webhook' },
    );
  });

  it('answers a replayed request 409 and stores nothing more, also after a restart of the store', () => {
    const d = delivery(7, 'DONE', '2026-12-04T09:59:58Z');
    assert.equal(service().handleWebhook(d).status, 200);
    store.close();
    store = new StatusStore(file);
    const s = service();
    const again = s.handleWebhook(d);
    assert.equal(again.status, 409);
    assert.equal(s.counters.refused.replay, 1);
    assert.equal(store.pendingCount(), 1);
  });

  it('refuses bad signatures (401), stale ones (401), garbage (400), oversized (413), and never names the secret', () => {
    const s = service();
    const d = delivery(7, 'DONE', '2026-12-04T09:59:58Z');
    const answers = [
      s.handleWebhook({ ...d, rawBody: Buffer.from(d.rawBody.toString().replace('DONE', 'OPEN')) }),
      s.handleWebhook(delivery(8, 'DONE', '2026-12-04T09:50:00Z', Math.floor(clock / 1000) - 400)),
      s.handleWebhook({ headers: { 'x-maintainx-webhook-body-signature': signMaintainx(SECRET, Math.floor(clock / 1000), '{nope') }, rawBody: Buffer.from('{nope') }),
      s.handleWebhook({ headers: d.headers, rawBody: null }),
    ];
    assert.deepEqual(answers.map((a) => a.status), [401, 401, 400, 413]);
    assert.deepEqual(answers.map((a) => a.body.error), ['bad-signature', 'stale', 'malformed', 'too-large']);
    for (const a of answers) assert.ok(!JSON.stringify(a.body).includes(SECRET));
    assert.equal(store.pendingCount(), 0);
  });

  it('a duplicated delivery (new signature, same change) is stored once; an older change after a newer one is dropped', () => {
    const s = service();
    assert.equal(s.handleWebhook(delivery(7, 'DONE', '2026-12-04T09:59:58Z')).accepted, 1);
    clock += 1000;
    assert.equal(s.handleWebhook(delivery(7, 'DONE', '2026-12-04T09:59:58Z')).accepted, 0);
    assert.equal(s.handleWebhook(delivery(7, 'IN_PROGRESS', '2026-12-04T09:59:00Z')).accepted, 0);
    assert.equal(s.counters.duplicates, 1);
    assert.equal(s.counters.outOfOrder, 1);
    assert.deepEqual(s.pending().map((p) => p.status.cmmsStatus), ['DONE']);
  });

  it('scope "ours" drops work orders the outbox does not know; "all" emits them with eventIds []', () => {
    const ours = service({}, { scope: 'ours' });
    assert.equal(ours.handleWebhook(delivery(9, 'DONE', '2026-12-04T09:59:58Z')).accepted, 0);
    assert.equal(ours.counters.filtered, 1);
    const all = service();
    assert.equal(all.handleWebhook(delivery(9, 'OPEN', '2026-12-04T09:59:59Z')).accepted, 1);
    assert.deepEqual(all.pending()[0].status.eventIds, []);
    assert.equal(all.pending()[0].status.eventId, undefined);
  });

  it('keeps a link once found, after the outbox has forgotten it', () => {
    links.set('7', { eventIds: ['e-1'], assetId: 'PUMP-101' });
    service().handleWebhook(delivery(7, 'IN_PROGRESS', '2026-12-04T09:59:00Z'));
    links.clear();
    const s = service();
    s.handleWebhook(delivery(7, 'DONE', '2026-12-04T09:59:58Z'));
    const last = s.pending().at(-1);
    assert.deepEqual(last?.status.eventIds, ['e-1']);
    assert.equal(last?.status.assetId, 'PUMP-101');
  });

  it('marks emitted changes so a new store on the same file does not emit them again', () => {
    const s = service();
    s.handleWebhook(delivery(7, 'DONE', '2026-12-04T09:59:58Z'));
    for (const p of s.pending()) s.emitted(p.seq);
    store.close();
    store = new StatusStore(file);
    assert.equal(store.pendingCount(), 0);
  });

  it('keeps the replay cache bounded', () => {
    store.close();
    store = new StatusStore(file, { replayMax: 5, seenMax: 100, workOrdersMax: 100 });
    const s = service();
    for (let i = 0; i < 12; i++) {
      clock += 1000;
      s.handleWebhook(delivery(100 + i, 'OPEN', new Date(clock).toISOString()));
    }
    assert.ok(store.replayCount() <= 5, String(store.replayCount()));
  });
});

/** A CMMS that answers listChangedSince from a list, `pageSize` per page, filtering >= since like the dialects do. */
function fakeCmms(items: CmmsWorkOrder[], pageSize: number) {
  const calls: Array<{ since: string; cursor: string | null }> = [];
  return {
    calls,
    items,
    async listChangedSince(since: string, cursor?: string | null): Promise<Page<CmmsWorkOrder>> {
      calls.push({ since, cursor: cursor ?? null });
      const all = items.filter((w) => Date.parse(w.changedAt) >= Date.parse(since)).sort((a, b) => Date.parse(a.changedAt) - Date.parse(b.changedAt));
      const start = cursor ? Number(cursor) : 0;
      const page = all.slice(start, start + pageSize);
      return { items: page, next: start + pageSize < all.length ? String(start + pageSize) : null };
    },
  };
}

const wo = (id: string, status: string, changedAt: string): CmmsWorkOrder => ({ id, href: null, reference: `ev-${id}`, cmmsStatus: status, status: 'open', assetId: 'A1', changedAt });

describe('mw-wo-status polling', () => {
  let file: string;
  afterEach(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it('pages through every change, keeps the watermark across a restart, and re-reads the overlap without doubling', async () => {
    file = tmpFile();
    const clock = Date.parse('2026-12-04T10:00:00Z');
    const items = Array.from({ length: 7 }, (_, i) => wo(String(1000 + i), 'INPRG', `2026-12-04T09:5${i}:00Z`));
    const cmms = fakeCmms(items, 3);
    const opts = parseWoStatusSettings({ cmms: 'c', mode: 'poll', overlapSeconds: 120, lookbackHours: 1 }, 'n1');
    assert.ok(opts.ok);
    const run = async (): Promise<{ emitted: string[]; watermark: string }> => {
      const store = new StatusStore(file);
      try {
        const service = new StatusService({ store, dialect: 'maximo', scheme: 'shared-secret', options: opts.value, cmmsName: 'Maximo', secrets: () => [], links: () => null, now: () => clock });
        const poller = new Poller({ client: cmms, service, store, dialect: 'maximo', overlapMs: opts.value.overlapMs, lookbackMs: opts.value.lookbackMs, now: () => clock });
        await poller.pollOnce();
        const emitted = service.pending().map((p) => `${p.status.workOrderId}:${p.status.cmmsStatus}`);
        for (const p of service.pending()) service.emitted(p.seq);
        return { emitted, watermark: poller.watermark() };
      } finally {
        store.close();
      }
    };
    const first = await run();
    assert.equal(first.emitted.length, 7);
    assert.equal(cmms.calls.length, 3, 'three pages of 3, 3 and 1');
    assert.equal(cmms.calls[0].since, '2026-12-04T08:58:00.000Z', 'first poll: the lookback minus the overlap');
    assert.equal(first.watermark, '2026-12-04T09:56:00.000Z');
    // A change in the watermark's own second, after the poll, and one later: both come with the next poll.
    items.push(wo('1003', 'COMP', '2026-12-04T09:56:00Z'), wo('1010', 'WAPPR', '2026-12-04T09:58:30Z'));
    cmms.calls.length = 0;
    const second = await run(); // a new store on the same file: a restart
    assert.equal(cmms.calls[0].since, '2026-12-04T09:54:00.000Z', 'the persisted watermark minus the overlap');
    assert.deepEqual(second.emitted.sort(), ['1003:COMP', '1010:WAPPR'], 'overlap re-read without doubling');
    assert.equal(second.watermark, '2026-12-04T09:58:30.000Z');
  });

  it('a failed poll leaves the watermark where it was', async () => {
    file = tmpFile();
    const store = new StatusStore(file);
    const opts = parseWoStatusSettings({ cmms: 'c', mode: 'poll' }, 'n1');
    assert.ok(opts.ok);
    store.setMeta('watermark', '2026-12-04T09:00:00.000Z');
    const service = new StatusService({ store, dialect: 'maintainx', scheme: 'maintainx', options: opts.value, cmmsName: 'm', secrets: () => [], links: () => null });
    let n = 0;
    const client = {
      async listChangedSince(): Promise<Page<CmmsWorkOrder>> {
        n += 1;
        if (n === 2) throw new Error('503');
        return { items: [wo('1', 'DONE', '2026-12-04T09:30:00Z')], next: 'c2' };
      },
    };
    const poller = new Poller({ client, service, store, dialect: 'maintainx', overlapMs: 0, lookbackMs: 0 });
    await assert.rejects(poller.pollOnce(), /503/);
    assert.equal(poller.watermark(), '2026-12-04T09:00:00.000Z');
    assert.equal(store.pendingCount(), 1, 'the first page is kept (dedupe absorbs the re-read)');
    store.close();
  });
});

describe('mw-wo-status group commit', () => {
  it('a group of webhooks is committed together; a replay inside the group is still a 409', () => {
    const file = tmpFile();
    const store = new StatusStore(file);
    try {
      const opts = parseWoStatusSettings({ cmms: 'c' }, 'n1');
      assert.ok(opts.ok);
      const clock = Date.parse('2026-12-04T10:00:00Z');
      const s = new StatusService({ store, dialect: 'maintainx', scheme: 'maintainx', options: opts.value, cmmsName: 'm', secrets: () => ['k'], links: () => null, now: () => clock });
      const req = (id: number) => {
        const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: id, newWorkOrder: { id, status: 'DONE', updatedAt: '2026-12-04T09:59:00Z' } });
        return { headers: { 'x-maintainx-webhook-body-signature': signMaintainx('k', Math.floor(clock / 1000), body) }, rawBody: Buffer.from(body) };
      };
      const a = req(1);
      const answers = s.handleWebhooks([a, req(2), a, { headers: {}, rawBody: Buffer.from('{}') }]);
      assert.deepEqual(answers.map((x) => x.status), [200, 200, 409, 401]);
      assert.equal(store.pendingCount(), 2);
    } finally {
      store.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('mw-wo-status poll backoff', () => {
  it('polls at the interval while healthy, doubles while failing up to 30 min, and honours Retry-After', () => {
    const mid = (): number => 0.5; // no jitter
    assert.equal(nextPollDelay(60_000, 0, undefined, mid), 60_000);
    assert.equal(nextPollDelay(60_000, 1, undefined, mid), 120_000);
    assert.equal(nextPollDelay(60_000, 3, undefined, mid), 480_000);
    assert.equal(nextPollDelay(60_000, 20, undefined, mid), 30 * 60_000);
    assert.equal(nextPollDelay(10_000, 1, 300_000, mid), 300_000);
    const jittered = nextPollDelay(60_000, 1, undefined, () => 0);
    assert.ok(jittered >= 96_000 && jittered <= 144_000);
  });
});

describe('mw-wo-status answers before processing (issue 16 d)', () => {
  it('a verified webhook is recorded and answered without the outbox lookup; processing later links, stores and removes it', () => {
    const file = tmpFile();
    let store = new StatusStore(file);
    try {
      const opts = parseWoStatusSettings({ cmms: 'c' }, 'n1');
      assert.ok(opts.ok);
      const clock = Date.parse('2026-12-04T10:00:00Z');
      let lookups = 0;
      const make = (st: StatusStore): StatusService => new StatusService({
        store: st, dialect: 'maintainx', scheme: 'maintainx', options: opts.value, cmmsName: 'm', secrets: () => ['k'], now: () => clock,
        links: () => { lookups += 1; return { eventIds: ['BEDFORD.PUMP-101.vib-hh.limit.20261204T095000000Z'], assetId: 'PUMP-101' }; },
      });
      const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: 3, newWorkOrder: { id: 3, status: 'DONE', updatedAt: '2026-12-04T09:59:00Z' } });
      const req = { headers: { 'x-maintainx-webhook-body-signature': signMaintainx('k', Math.floor(clock / 1000), body) }, rawBody: Buffer.from(body) };
      const s = make(store);
      const [a] = s.receiveWebhooks([req]);
      assert.equal(a.status, 200);
      assert.equal(lookups, 0, 'the answer did not wait for the outbox lookup');
      assert.equal(store.pendingCount(), 0);
      assert.equal(store.inboxCount(), 1, 'the verified body is on disk before the answer');
      assert.equal(s.receiveWebhooks([req])[0].status, 409, 'the replay cache is committed with the body');
      // A restart between answer and processing: a new store and service on the same file find the body.
      store.close();
      store = new StatusStore(file);
      const s2 = make(store);
      const done = s2.processInbox();
      assert.deepEqual([...done.values()], [1]);
      assert.equal(lookups, 1);
      assert.equal(store.inboxCount(), 0);
      const [p] = s2.pending();
      assert.deepEqual([p.status.workOrderId, p.status.status, p.status.eventIds], ['3', 'done', ['BEDFORD.PUMP-101.vib-hh.limit.20261204T095000000Z']]);
      assert.equal(s2.processInbox().size, 0, 'processed once');
    } finally {
      store.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

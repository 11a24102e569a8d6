// A 72-hour CMMS outage, compressed with virtual time: the outbox, the real Maximo client and the
// simulator share one clock, so three days pass in seconds while every request is real HTTP.
import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Outbox, type EnqueueInput, type OutboxResult } from '../../nodes/core/outbox';
import type { RecordedRequest } from '../../sim/cmms';
import { integrity, seeded, startWorld, type World } from './outbox-virtual';

const HOUR = 3600_000;
const CREATE = '/maximo/api/os/mxapiwodetail';
const PROBE = '/maximo/api/whoami';
const BUDGET_PER_MIN = 600;

function item(i: number, assets: number, at: number, prefix: string): EnqueueInput {
  const assetKey = `BEDFORD/PUMP-${100 + (i % assets)}`;
  return {
    action: 'create', eventId: `${prefix}-${i}`, assetKey, nodeId: 'wo-1',
    body: { description: `Vibration high-high on ${assetKey}` }, event: { eventId: `${prefix}-${i}` }, occurredAt: at,
  };
}

const isProbe = (r: RecordedRequest): boolean => r.method === 'GET' && r.path === PROBE;
const isCreate = (r: RecordedRequest): boolean => r.method === 'POST' && r.path === CREATE;
const isLookup = (r: RecordedRequest): boolean => r.method === 'GET' && r.path.startsWith(CREATE);
const refOf = (r: RecordedRequest): string => String((r.body as { externalrefid?: unknown }).externalrefid);

describe('outbox through a 72-hour outage (virtual time, real client, simulator)', function () {
  this.timeout(120_000);
  let world: World;
  let outbox: Outbox;
  let file: string;
  /** Final results with the virtual time they were reported at. */
  let results: { at: number; r: OutboxResult }[];

  beforeEach(async () => {
    world = await startWorld(21);
    file = path.join(world.dir, 'outbox.db');
    results = [];
    const client = world.client({ dialect: 'maximo', rate: { perMinute: BUDGET_PER_MIN, burst: 10, concurrency: 4 } }, (o) => outbox.observe(o));
    outbox = new Outbox({
      file, connection: 'maximo', client, concurrency: 4,
      now: world.vt.now, monotonic: world.vt.monotonic, timers: world.vt, random: seeded(3),
    });
    outbox.on('result', (r) => { if (r.outcome !== 'queued') results.push({ at: world.vt.monotonic(), r }); });
    outbox.start();
  });

  afterEach(async () => {
    await outbox.stop(0);
    outbox.close();
    await world.stop();
  });

  it('70 h down: no dead letter, only probes, then the backlog drains at the rate budget (±10 %), in order per asset', async () => {
    const { vt, sim } = world;
    const t0 = vt.now();
    const outageEnd = t0 + 70 * HOUR;
    sim.faults.add({ dialect: 'maximo', kind: 'outage', untilMs: outageEnd });
    for (let i = 0; i < 300; i++) outbox.enqueue(item(i, 20, t0, 'ev'));

    await vt.until('300 work orders', () => results.length === 300, 72 * HOUR);
    assert.deepEqual(results.filter((x) => x.r.outcome !== 'created').map((x) => `${x.r.eventId}: ${x.r.outcome}`), [], 'every item created, none dead');

    const reqs = sim.requests();
    const firstProbe = reqs.findIndex(isProbe);
    const down = reqs.filter((r) => r.at < outageEnd);
    assert.ok(firstProbe > 0 && firstProbe <= 4, `${firstProbe} item requests before probing`);
    // The first wave: each item's lookup by reference (issue 14 item 1) and create.
    assert.ok(down.slice(0, firstProbe).every((r) => isCreate(r) || isLookup(r)));
    const whileDown = down.slice(firstProbe);
    assert.deepEqual(whileDown.filter((r) => !isProbe(r)).map((r) => `${r.method} ${r.path}`), [], 'nothing but probes while down');
    // Probes never wait more than the 10-minute backoff cap; per-item attempts would be thousands.
    assert.ok(whileDown.length >= 70 * 6 && whileDown.length <= 2000, `${whileDown.length} probes in 70 h`);

    const created = reqs.filter((r) => isCreate(r) && r.status === 201);
    assert.equal(created.length, 300, 'one create per event, no resend');
    assert.ok(created[0].at >= outageEnd && created[0].at <= outageEnd + 10 * 60_000, 'the drain starts within a probe interval of recovery');
    // The budget counts requests: during the drain each event is a lookup and a create.
    const drain = reqs.filter((r) => (isCreate(r) || isLookup(r)) && r.at >= created[0].at && r.at <= created[created.length - 1].at);
    const spanMs = created[created.length - 1].at - created[0].at;
    const perMin = ((drain.length - 1) / spanMs) * 60_000;
    assert.ok(Math.abs(perMin / BUDGET_PER_MIN - 1) <= 0.1, `drained at ${perMin.toFixed(1)} requests/min against a budget of ${BUDGET_PER_MIN}/min`);

    const order = new Map<string, number[]>();
    for (const r of created) {
      const n = Number(refOf(r).split('-')[1]);
      const asset = item(n, 20, 0, 'ev').assetKey;
      order.set(asset, [...(order.get(asset) ?? []), n]);
    }
    for (const [asset, ns] of order) assert.deepEqual(ns, [...ns].sort((a, b) => a - b), `order for ${asset}`);

    const refs = sim.workOrders('maximo').map((w) => w.ref);
    assert.equal(new Set(refs).size, 300);
    assert.equal(refs.length, 300);
    assert.equal(outbox.getMetrics().dead, 0);
    const rows = outbox.admin.auditLog({ limit: 1000 });
    assert.ok(rows.some((a) => a.call === 'probe' && a.method === 'GET' && a.path === PROBE && a.status === 503));
    outbox.close();
    assert.equal(integrity(file), 'ok');
    console.log(`      drain: ${created.length} creates in ${(spanMs / 1000).toFixed(1)} s of virtual time = ${perMin.toFixed(1)}/min (budget ${BUDGET_PER_MIN}/min); ${whileDown.length} probes in 70 h`);
  });

  it('past the 72 h deadline every item is dead "expired"; replaying twice makes exactly one work order each', async () => {
    const { vt, sim } = world;
    const t0 = vt.now();
    const enqueuedAt = vt.monotonic();
    // Two of the events already have work orders this outbox does not know of (an answer lost
    // before an earlier outbox was moved aside, or another gateway on the line); since every create
    // now looks its work order up first (issue 14 item 1), they are made here by a second client.
    // Then the CMMS is gone for 73 h.
    const items = Array.from({ length: 40 }, (_, i) => item(i, 8, t0, 'late'));
    const elsewhere = world.client({ dialect: 'maximo' });
    for (const it of items.slice(0, 2)) await elsewhere.createWorkOrder({ reference: it.eventId, body: it.body });
    elsewhere.close();
    sim.clearRequests();
    sim.faults.add({ dialect: 'maximo', kind: 'outage', untilMs: t0 + 73 * HOUR });
    for (const it of items) outbox.enqueue(it);

    await vt.until('40 dead letters', () => results.length === 40, 74 * HOUR);
    for (const { at, r } of results) {
      assert.equal(r.outcome, 'dead');
      assert.equal(r.deadReason, 'expired', `${r.eventId}: ${r.error}`);
      assert.ok(at >= enqueuedAt + 72 * HOUR, `${r.eventId} died ${(at - enqueuedAt) / HOUR} h after it was queued`);
      assert.ok(at <= enqueuedAt + 72 * HOUR + 2 * 60_000, `${r.eventId} outlived its deadline by ${(at - enqueuedAt - 72 * HOUR) / 1000} s`);
    }
    const reqs = sim.requests();
    const firstProbe = reqs.findIndex(isProbe);
    assert.deepEqual(reqs.slice(firstProbe).filter((r) => !isProbe(r)).map((r) => `${r.method} ${r.path}`), [], 'nothing but probes while down');
    assert.equal(sim.workOrders('maximo').length, 2, 'the two lost answers made work orders the outbox does not know of');

    await vt.advance(2 * HOUR);
    sim.clearRequests();
    results.length = 0;
    const dead = outbox.admin.deadLetters({ limit: 100 }).map((d) => d.itemId);
    assert.equal(dead.length, 40);
    assert.equal(outbox.admin.replay('all').length, 40);
    assert.deepEqual(outbox.admin.replay('all'), [], 'the second replay finds nothing left to replay');
    await vt.until('40 replayed results', () => results.length === 40, HOUR);
    assert.deepEqual(outbox.admin.replay(dead), [], 'replaying the old ids again does nothing');
    await vt.advance(HOUR);

    const outcomes = results.map((x) => x.r.outcome).sort();
    assert.deepEqual(outcomes, [...Array(38).fill('created'), ...Array(2).fill('existing')], 'the two that reached Maximo are adopted');
    const refs = sim.workOrders('maximo').map((w) => w.ref).sort();
    assert.deepEqual(refs, items.map((x) => referenceFor('maximo', x.eventId)).sort(), 'exactly one work order per event');
    assert.equal(sim.requests().filter(isCreate).length, 38, 'the two found by lookup were not sent again');
    assert.equal(outbox.getMetrics().pending, 0);
    outbox.close();
    assert.equal(integrity(file), 'ok');
  });
});

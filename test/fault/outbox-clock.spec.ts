// The wall clock stepped an hour forward or back (an NTP correction, someone setting the time)
// while items are pending, waiting out a Retry-After or a backoff, leased, or queued behind the
// rate budget. Virtual time keeps a monotonic clock apart from the wall clock the outbox, the
// client and the simulator read.
import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { CmmsClient } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxResult } from '../../nodes/core/outbox';
import { integrity, seeded, startWorld, type World } from './outbox-virtual';

const HOUR = 3600_000;
const CREATE = '/maximo/api/os/mxapiwodetail';
const ITEMS = 12;

function item(i: number, at: number): EnqueueInput {
  const assetKey = `BEDFORD/COMP-${i % 4}`;
  return { action: 'create', eventId: `clk-${i}`, assetKey, nodeId: 'wo', body: { description: `Pressure low on ${assetKey}` }, event: { i }, occurredAt: at };
}

describe('outbox with the wall clock stepped ±1 h (virtual time, real client, simulator)', function () {
  this.timeout(60_000);
  let world: World;
  let file: string;
  let results: OutboxResult[];
  let outbox: Outbox | null;

  beforeEach(async () => {
    world = await startWorld(5);
    file = path.join(world.dir, 'outbox.db');
    results = [];
    outbox = null;
  });

  afterEach(async () => {
    if (outbox) {
      const stopping = outbox.stop(0);
      await world.vt.advance(0);
      await stopping;
      outbox.close();
    }
    await world.stop();
  });

  /** A client with a tight budget (1 request a second after the burst), so items also wait in its rate limiter. */
  function open(burst = 4): { box: Outbox; client: CmmsClient } {
    let box: Outbox | null = null;
    const client = world.client({ dialect: 'maximo', rate: { perMinute: 60, burst, concurrency: 4 } }, (o) => box?.observe(o));
    const { vt } = world;
    box = new Outbox({ file, connection: 'maximo', client, concurrency: 4, now: vt.now, monotonic: vt.monotonic, timers: vt, random: seeded(9) });
    box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
    box.start();
    outbox = box;
    return { box, client };
  }

  function checkDelivered(): void {
    const { sim } = world;
    assert.deepEqual(results.filter((r) => r.outcome !== 'created' && r.outcome !== 'existing').map((r) => `${r.eventId}: ${r.outcome} ${r.error}`), [], 'nothing dead');
    assert.equal(new Set(results.map((r) => r.eventId)).size, ITEMS);
    const refs = sim.workOrders('maximo').map((w) => w.ref).sort();
    assert.deepEqual(refs, Array.from({ length: ITEMS }, (_, i) => referenceFor('maximo', `clk-${i}`)).sort(), 'exactly one work order per event');
    assert.deepEqual(world.wire.earlyRequests().map(({ hint, request }) => `${request.method} ${request.path} ${request.at - hint.at} ms after "${hint.header}"`), [],
      'no request before a Retry-After ran out, in real (monotonic) time');
  }

  /**
   * Queues the items; the first four creates fail at once, one with a Retry-After of 30 s and three
   * with a 500, so nothing is in flight: the link is down and every wait is the outbox's own.
   */
  async function failFirst(): Promise<void> {
    const { sim, vt } = world;
    sim.faults.add({ dialect: 'maximo', method: 'POST', pathIncludes: CREATE, kind: 'status', status: 503, retryAfter: { seconds: 30 }, times: 1 });
    sim.faults.add({ dialect: 'maximo', method: 'POST', pathIncludes: CREATE, kind: 'status', status: 500, times: 3 });
    const t0 = vt.now();
    for (let i = 0; i < ITEMS; i++) outbox?.enqueue(item(i, t0));
    // Each create is preceded by its lookup (issue 14 item 1): wait for the four refused creates.
    await vt.until('the first four answers', () => sim.requests().filter((r) => r.method === 'POST').length >= 4, 60_000);
    assert.equal(outbox?.getMetrics().inflight, 0);
    assert.equal(outbox?.getMetrics().link.state, 'down', JSON.stringify([outbox?.getMetrics().link, sim.requests().map((r) => [r.method, r.status])]));
  }

  it('set back 1 h: nothing waits an extra hour (Retry-After, backoff, rate budget), none lost, none doubled', async () => {
    open();
    await failFirst();
    world.vt.offset -= HOUR;
    await world.vt.until('every event delivered', () => results.length === ITEMS, 10 * 60_000);
    checkDelivered();
    outbox?.close();
    assert.equal(integrity(file), 'ok');
  });

  it('set forward 1 h: no deadline expires and no wait is cut short', async () => {
    open();
    await failFirst();
    const hintsBefore = world.wire.hints.length;
    world.vt.offset += HOUR;
    await world.vt.until('every event delivered', () => results.length === ITEMS, 10 * 60_000);
    assert.ok(hintsBefore >= 1, 'a Retry-After was running when the clock moved');
    checkDelivered();
    assert.equal(outbox?.getMetrics().dead, 0);
    outbox?.close();
    assert.equal(integrity(file), 'ok');
  });

  it('set back 1 h during a 5-minute restart: leases and retry times written before do not strand items', async () => {
    const { vt, sim } = world;
    // One request at a time: the first fails (a retry time is written), three wait leased for the budget.
    const first = open(1);
    sim.faults.add({ dialect: 'maximo', method: 'POST', pathIncludes: CREATE, kind: 'status', status: 500, times: 1 });
    const t0 = vt.now();
    for (let i = 0; i < ITEMS; i++) first.box.enqueue(item(i, t0));
    await vt.until('the first answer', () => sim.requests().length >= 1, 60_000);
    const stopping = first.box.stop(0);
    await vt.advance(0);
    assert.ok((await stopping).unfinished > 0, 'items were leased (in flight) at shutdown');
    first.box.close();
    world.retire(first.client);
    outbox = null;
    const before = results.length;
    assert.ok(before < ITEMS);

    // Down for 5 minutes, and the clock comes back an hour earlier.
    await vt.advance(5 * 60_000);
    vt.offset -= HOUR;
    const second = open();
    await vt.until('every event delivered', () => results.length === ITEMS, 10 * 60_000);
    await vt.advance(60_000);
    checkDelivered();
    assert.equal(second.box.getMetrics().pending, 0);
    second.box.close();
    assert.equal(integrity(file), 'ok');
  });
});

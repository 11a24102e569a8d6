// The engine's own waits (backoff, Retry-After pause, leases) when the wall clock is stepped while
// it runs. The fake clock's time is the monotonic clock; the wall clock is it plus an offset.
import assert from 'node:assert/strict';
import { Outbox } from '../../nodes/core/outbox';
import { ClockWatch } from '../../nodes/core/outbox/clock';
import { cmmsError, event, FakeClient, FakeClock, harness } from './outbox-fakes';

const HOUR = 3600_000;

describe('outbox with the wall clock stepped', () => {
  let h: ReturnType<typeof harness>;
  let clock: FakeClock;
  let client: FakeClient;
  let offset: number;

  function start(opts: Parameters<typeof harness>[0] = {}): void {
    clock = new FakeClock();
    client = new FakeClient(clock);
    offset = 0;
    h = harness({ client, timers: clock, now: () => clock.t + offset, monotonic: () => clock.t, ...opts });
    h.outbox.start();
  }

  afterEach(async () => { await h.cleanup(); });

  it('forward 1 h: a Retry-After pause keeps its length (housekeeping does not end it early)', async () => {
    start();
    client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 503, retryAfterMs: 120_000 }));
    h.outbox.enqueue(event('ev-1'));
    await clock.settle();
    assert.equal(client.count('createWorkOrder'), 1);
    offset += HOUR;
    await clock.advance(119_000);
    assert.equal(client.count('createWorkOrder'), 1, 'nothing sent before the 120 s were up');
    await clock.advance(2_000);
    assert.equal(client.count('createWorkOrder'), 2);
    assert.deepEqual(h.results.filter((r) => r.outcome !== 'queued').map((r) => r.outcome), ['created']);
  });

  it('forward 1 h: a backoff keeps its length and the 72 h deadline does not expire', async () => {
    start({ backoffBaseMs: 600_000 });
    // 429 without Retry-After: a per-item backoff, the link stays up. Jitter 0.5 → 300 s.
    client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 429 }));
    h.outbox.enqueue(event('ev-1'));
    await clock.settle();
    offset += HOUR;
    await clock.advance(299_000);
    assert.equal(client.count('createWorkOrder'), 1, 'not retried before its backoff');
    await clock.advance(2_000);
    assert.equal(client.count('createWorkOrder'), 2);
    assert.equal(h.outbox.getMetrics().dead, 0);
  });

  it('back 1 h: a backoff and a Retry-After pause end on time, not an hour late', async () => {
    start({ backoffBaseMs: 600_000 });
    client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 503, retryAfterMs: 120_000 }), cmmsError({ kind: 'transient', status: 429 }));
    h.outbox.enqueue(event('ev-1', 'A'));
    h.outbox.enqueue(event('ev-2', 'B'));
    await clock.settle();
    assert.equal(client.count('createWorkOrder'), 2);
    offset -= HOUR;
    // Both wait max(Retry-After, backoff) = 300 s (jitter 0.5 of the 600 s base).
    await clock.advance(299_000);
    assert.equal(client.count('createWorkOrder'), 2);
    await clock.advance(2_000);
    assert.equal(client.count('createWorkOrder'), 4, 'both went again after their 300 s');
    assert.deepEqual(h.results.filter((r) => r.outcome !== 'queued').map((r) => r.eventId), ['ev-1', 'ev-2']);
  });

  it('forward 1 h with an item in flight: its lease is not taken back, nothing is sent twice', async () => {
    start({ leaseMs: 60_000, housekeepingMs: 10_000 });
    client.script('createWorkOrder', 'hang');
    h.outbox.enqueue(event('ev-1'));
    await clock.settle();
    offset += HOUR;
    await clock.advance(120_000);
    assert.equal(client.count('createWorkOrder'), 1);
    for (const resolve of client.hanging.splice(0)) resolve();
    await clock.advance(1_000);
    assert.equal(client.count('createWorkOrder'), 1);
    assert.equal(client.workOrders.size, 1);
    assert.deepEqual(h.results.filter((r) => r.outcome !== 'queued').map((r) => r.outcome), ['created']);
  });
});

describe('outbox timers that fire a little early', () => {
  it('takes back a lease left by a previous run even when its wake-up comes a millisecond early', async () => {
    // Node's timers may fire up to a millisecond before Date.now() reaches their time.
    const clock = new FakeClock();
    const early = { setTimeout: (fn: () => void, ms: number) => clock.setTimeout(fn, Math.max(0, ms - 1)), clearTimeout: clock.clearTimeout };
    const client = new FakeClient(clock);
    const h = harness({ client, timers: early, now: clock.now, leaseMs: 10_000, housekeepingMs: 600_000 });
    client.script('createWorkOrder', 'hang');
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await clock.settle();
    const stopping = h.outbox.stop(0);
    await clock.advance(0);
    assert.equal((await stopping).unfinished, 1);
    h.outbox.close();

    const again = new Outbox({ file: h.file, connection: 'cmms-1', client, now: clock.now, timers: early, random: () => 0.5, leaseMs: 10_000, housekeepingMs: 600_000 });
    const results: string[] = [];
    again.on('result', (r) => results.push(r.outcome));
    again.start();
    try {
      await clock.advance(11_000);
      assert.deepEqual(results, ['created'], 'taken back after its lease, looked up first, then sent');
      // One lookup before the first (interrupted) create, one before the resend.
      assert.equal(client.count('findByReference'), 2);
    } finally {
      again.close();
      await h.cleanup();
    }
  });
});

describe('ClockWatch', () => {
  it('reports a step of the wall clock once, and ignores drift under a second', () => {
    let wall = 1_000_000;
    let mono = 5;
    const w = new ClockWatch(() => wall, () => mono);
    wall += 10_000;
    mono += 10_000;
    assert.equal(w.step(), 0);
    wall += 10_900;
    mono += 10_000;
    assert.equal(w.step(), 0, '900 ms of drift is not a step');
    wall -= HOUR;
    assert.equal(w.step(), -HOUR);
    assert.equal(w.step(), 0, 'reported once');
    wall += HOUR + 5_000;
    mono += 5_000;
    assert.equal(w.step(), HOUR);
  });
});

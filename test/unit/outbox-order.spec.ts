import assert from 'node:assert/strict';
import { cmmsError, event, harness } from './outbox-fakes';

type H = ReturnType<typeof harness>;

describe('outbox ordering and parallelism', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('never lets an item overtake an earlier one for the same asset, while other assets go on', async () => {
    h = harness({ concurrency: 4 });
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 429 }));
    h.outbox.start();
    h.outbox.enqueue(event('a1', 'A'));
    h.outbox.enqueue(event('a2', 'A'));
    h.outbox.enqueue(event('b1', 'B'));
    h.outbox.enqueue(event('a3', 'A'));
    await h.clock.settle();
    // a1 failed and waits; b1 went; a2 and a3 wait behind a1.
    assert.deepEqual(h.client.writes().map((c) => c.reference), ['a1', 'b1']);
    await h.clock.advance(60_000);
    const a = h.client.writes().filter((c) => c.reference?.startsWith('a')).map((c) => c.reference);
    assert.deepEqual(a, ['a1', 'a1', 'a2', 'a3']);
  });

  it('runs different assets in parallel up to the concurrency, oldest first', async () => {
    h = harness({ concurrency: 3 });
    for (let i = 0; i < 5; i++) h.client.script('createWorkOrder', 'hang');
    h.outbox.start();
    for (let i = 1; i <= 5; i++) h.outbox.enqueue(event(`ev-${i}`, `asset-${i}`));
    await h.clock.settle();
    assert.deepEqual(h.client.writes().map((c) => c.reference), ['ev-1', 'ev-2', 'ev-3']);
    assert.equal(h.outbox.getMetrics().inflight, 3);
    h.client.hanging.shift()?.();
    await h.clock.settle();
    assert.deepEqual(h.client.writes().map((c) => c.reference), ['ev-1', 'ev-2', 'ev-3', 'ev-4']);
    for (const release of h.client.hanging.splice(0)) release();
    await h.clock.settle();
    for (const release of h.client.hanging.splice(0)) release();
    await h.clock.settle();
    assert.equal(h.results.filter((r) => r.outcome === 'created').length, 5);
  });

  it('reports queued for an item that waits behind its asset or a full pipe', async () => {
    h = harness({ concurrency: 1 });
    h.client.script('createWorkOrder', 'hang');
    h.outbox.start();
    assert.equal(h.outbox.enqueue(event('a1', 'A')).outcome, 'queued');
    await h.clock.settle();
    const r = h.outbox.enqueue(event('a2', 'A'));
    assert.equal(r.outcome === 'queued' && r.waiting, true);
    assert.deepEqual(h.results.map((x) => [x.eventId, x.outcome]), [['a2', 'queued']]);
  });

  it('holds an update until its create is delivered, then uses that work order id', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 500 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'P-101'));
    h.outbox.enqueue({ ...event('ev-1', 'P-101', 'update'), body: { priority: 1, note: 'now HH' } });
    h.outbox.enqueue({ ...event('ev-1', 'P-101', 'close'), body: { status: 'done', note: 'cleared' } });
    await h.clock.advance(30_000);
    assert.deepEqual(h.client.writes().map((c) => c.method), ['createWorkOrder', 'createWorkOrder', 'updateWorkOrder', 'setStatus']);
    const update = h.client.writes()[2];
    assert.deepEqual(update.ref, { id: 'WO-1', href: 'http://cmms.invalid/wo/1' });
    // The note carries its resend marker (issue 14 item 2) ahead of the text.
    assert.equal(update.change?.priority, 1);
    assert.match(String(update.change?.note), /^\[mw:[A-Z2-7]{16}\] now HH$/);
    assert.equal(h.client.writes()[3].status, 'done');
    const updated = h.results.filter((r) => r.action !== 'create' && r.outcome !== 'queued');
    assert.deepEqual(updated.map((r) => [r.action, r.outcome, r.workOrderId]), [['update', 'existing', 'WO-1'], ['close', 'existing', 'WO-1']]);
  });

  it('finds the work order by reference for a change whose create it no longer has', async () => {
    h = harness();
    h.client.workOrders.set('ev-old', { id: 'WO-77', href: 'http://cmms.invalid/wo/77' });
    h.outbox.start();
    h.outbox.enqueue({ ...event('ev-old', 'P-101', 'note'), body: { note: 'still high' } });
    await h.clock.settle();
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'updateWorkOrder']);
    assert.match(String(h.client.calls[1].change?.note), /^\[mw:[A-Z2-7]{16}\] still high$/);
    assert.equal(h.results.at(-1)?.workOrderId, 'WO-77');
  });

  it('sends a change for an event without any work order to the dead letters (no-work-order)', async () => {
    h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('ev-none', 'P-101', 'update'));
    await h.clock.settle();
    const dead = h.results.at(-1);
    assert.equal(dead?.outcome, 'dead');
    assert.equal(dead?.deadReason, 'no-work-order');
    assert.equal(h.client.count('updateWorkOrder'), 0);
  });

  it('delivers an update that was waiting behind a create on another asset key once the create is sent', async () => {
    // Same event, different asset key: no per-asset order, so the update must wait for the create itself.
    h = harness();
    h.client.script('createWorkOrder', 'hang');
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'A'));
    h.outbox.enqueue(event('ev-1', 'B', 'update'));
    await h.clock.settle();
    assert.deepEqual(h.client.writes().map((c) => c.method), ['createWorkOrder']);
    assert.equal(h.outbox.admin.queue('retry-wait')[0].error, 'waiting for the create of this event');
    h.client.hanging.shift()?.();
    await h.clock.advance(5_000);
    assert.deepEqual(h.client.writes().map((c) => c.method), ['createWorkOrder', 'updateWorkOrder']);
  });
});

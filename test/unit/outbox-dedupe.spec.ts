import assert from 'node:assert/strict';
import { jsonLines } from '../../nodes/core/outbox/views';
import { cmmsError, event, harness } from './outbox-fakes';

type H = ReturnType<typeof harness>;

describe('outbox: one work order per event', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('turns 10 000 enqueues of the same raised event into one create call', async function () {
    this.timeout(60_000);
    h = harness();
    h.outbox.start();
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const r = h.outbox.enqueue(event('ev-storm'));
      outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
      // Let deliveries happen in between, as they would on a live gateway.
      if (i % 1000 === 0) await h.clock.settle();
    }
    await h.clock.settle();
    assert.equal(h.client.count('createWorkOrder'), 1);
    assert.equal(outcomes.get('queued'), 1);
    assert.equal((outcomes.get('duplicate-pending') ?? 0) + (outcomes.get('existing') ?? 0), 9_999);
    assert.equal(h.outbox.getMetrics().outcomes.duplicate, 9_999);
    assert.deepEqual(h.outbox.enqueue(event('ev-storm')), { outcome: 'existing', itemId: 1, workOrderId: 'WO-1', href: 'http://cmms.invalid/wo/1' });
  });

  it('says duplicate-pending while the create waits, and duplicate-dead for a dead one', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'permanent', message: 'no such site' }));
    h.outbox.open();
    h.outbox.enqueue(event('ev-1'));
    assert.deepEqual(h.outbox.enqueue(event('ev-1')), { outcome: 'duplicate-pending', itemId: 1 });
    h.outbox.start();
    await h.clock.settle();
    assert.deepEqual(h.outbox.enqueue(event('ev-1')), { outcome: 'duplicate-dead', itemId: 1, reason: 'permanent' });
  });

  it('does not deduplicate updates: every escalation is delivered', async () => {
    h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    h.outbox.enqueue(event('ev-1', 'P-101', 'update'));
    h.outbox.enqueue(event('ev-1', 'P-101', 'update'));
    await h.clock.settle();
    assert.equal(h.client.count('updateWorkOrder'), 2);
  });

  it('replays a dead letter once: replaying twice, or after it went through, creates nothing new', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'auth', status: 401 }), cmmsError({ kind: 'auth', status: 401 }), cmmsError({ kind: 'auth', status: 401 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(60_000);
    const [dead] = h.outbox.admin.deadLetters();
    assert.equal(dead.reason, 'auth');

    const first = h.outbox.admin.replay([dead.itemId]);
    const second = h.outbox.admin.replay([dead.itemId]);
    assert.equal(first.length, 1);
    assert.deepEqual(second, []);
    await h.clock.advance(5_000);
    assert.equal(h.client.workOrders.size, 1);
    assert.equal(h.results.at(-1)?.outcome, 'created');
    assert.equal(h.results.at(-1)?.eventId, 'ev-1');
    assert.deepEqual(h.outbox.admin.replay('all'), []);
    assert.deepEqual(h.outbox.admin.deadLetters(), []);
    const creates = h.client.count('createWorkOrder');
    await h.clock.advance(60_000);
    assert.equal(h.client.count('createWorkOrder'), creates);
  });

  it('a replayed create whose work order exists (the failure was a lie) adopts it', async () => {
    h = harness({ deadlineMs: 10_000 });
    for (let i = 0; i < 50; i++) h.client.script('createWorkOrder', { commitThen: cmmsError({ kind: 'transient', status: 504, ambiguous: true }) });
    // The lookup before the first create answers; every later one fails.
    h.client.script('findByReference', 'ok');
    for (let i = 0; i < 50; i++) h.client.script('findByReference', cmmsError({ kind: 'transient', status: 502 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(60_000);
    assert.equal(h.outbox.admin.deadLetters()[0].reason, 'expired');
    delete h.client.steps.createWorkOrder;
    delete h.client.steps.findByReference;
    h.outbox.admin.replay('all');
    await h.clock.advance(5_000);
    assert.equal(h.results.at(-1)?.outcome, 'existing');
    assert.equal(h.client.workOrders.size, 1);
  });

  it('discards dead letters and exports them as JSON lines', async () => {
    h = harness();
    for (let i = 0; i < 3; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'permanent', message: `bad ${i}` }));
    h.outbox.start();
    for (let i = 0; i < 3; i++) h.outbox.enqueue(event(`ev-${i}`, `A${i}`));
    await h.clock.settle();
    const lines = [...h.outbox.admin.exportDeadLetters()];
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    const parsed = lines.map((l) => JSON.parse(l) as { eventId: string; reason: string; event: { eventId: string } });
    assert.deepEqual(parsed.map((p) => p.eventId), ['ev-0', 'ev-1', 'ev-2']);
    assert.deepEqual(parsed.map((p) => p.event.eventId), ['ev-0', 'ev-1', 'ev-2']);
    assert.equal(h.outbox.admin.discard([1]), 1);
    assert.equal(h.outbox.admin.discard('all'), 2);
    assert.deepEqual([...h.outbox.admin.exportDeadLetters()], []);
    assert.equal(h.outbox.getMetrics().capacity.rows, 0);
  });
});

describe('outbox JSON-lines export', () => {
  it('pages through any number of records by id, one line each', () => {
    const all = Array.from({ length: 7 }, (_, i) => ({ itemId: i * 3 + 1 }));
    const asked: number[] = [];
    const lines = [...jsonLines((after, limit) => {
      asked.push(after);
      return all.filter((r) => r.itemId > after).slice(0, limit);
    }, (r) => r.itemId, 3)];
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { itemId: number }).itemId), all.map((r) => r.itemId));
    assert.deepEqual(asked, [0, 7, 16]);
  });
});

describe('outbox shadow mode', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('records what would be sent without sending, listable and exportable', async () => {
    h = harness({ shadow: true });
    h.outbox.start();
    assert.deepEqual(h.outbox.enqueue(event('ev-1')), { outcome: 'shadow', itemId: 1 });
    assert.deepEqual(h.outbox.enqueue(event('ev-1')), { outcome: 'duplicate-shadow', itemId: 1 });
    h.outbox.enqueue(event('ev-1', 'P-101', 'update'));
    h.outbox.enqueue({ ...event('ev-1', 'P-101', 'close'), body: { note: 'back to normal' } });
    await h.clock.advance(60_000);
    assert.equal(h.client.calls.length, 0);
    const records = h.outbox.admin.shadowRecords();
    assert.deepEqual(records.map((r) => r.call), ['createWorkOrder', 'updateWorkOrder', 'setStatus']);
    assert.deepEqual(records[0].request, { reference: 'ev-1', body: { title: 'alarm ev-1', asset: 'P-101' } });
    assert.deepEqual(records[2].request, { workOrder: 'the work order of event ev-1', status: 'done', note: 'back to normal' });
    const lines = [...h.outbox.admin.exportShadow()].map((l) => JSON.parse(l) as { eventId: string });
    assert.equal(lines.length, 3);
    assert.equal(h.outbox.getMetrics().shadow, 3);
    assert.equal(h.outbox.admin.clearShadow(), 3);
  });

  it('honours the per-item flag, and a real create is not blocked by an earlier shadow one', async () => {
    h = harness();
    h.outbox.start();
    assert.equal(h.outbox.enqueue({ ...event('ev-1'), shadow: true }).outcome, 'shadow');
    assert.equal(h.outbox.enqueue(event('ev-1')).outcome, 'queued');
    await h.clock.settle();
    assert.equal(h.client.count('createWorkOrder'), 1);
    assert.equal(h.outbox.admin.shadowRecords().length, 1);
  });
});

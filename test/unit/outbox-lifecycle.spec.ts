import assert from 'node:assert/strict';
import path from 'node:path';
import { Outbox } from '../../nodes/core/outbox';
import { cmmsError, event, FakeClient, FakeClock, harness, tempDir } from './outbox-fakes';

type H = ReturnType<typeof harness>;

describe('outbox lifecycle', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('stop() with a request in flight returns within its budget (real timers), and the row comes back on reopen', async () => {
    const t = tempDir();
    const file = path.join(t.dir, 'o.db');
    const clock = new FakeClock();
    const client = new FakeClient(clock).script('createWorkOrder', 'hang');
    // Real timers here: the budget is wall-clock time in the node's close handler.
    const outbox = new Outbox({ file, connection: 'c', client, leaseMs: 30_000 });
    outbox.start();
    outbox.enqueue(event('ev-1'));
    while (client.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    const { unfinished } = await outbox.stop(200);
    const took = Date.now() - started;
    assert.equal(unfinished, 1);
    assert.ok(took >= 150 && took < 2_000, `stop took ${took} ms`);
    outbox.close();
    client.close(); // the hung request ends after close: nothing may be written, nothing may throw
    await new Promise((r) => setImmediate(r));

    // Reopened before the lease ran out, the row stays leased (the old request might still land).
    h = harness({ file, leaseMs: 30_000 });
    h.clock.t = Date.now() + 1_000;
    h.outbox.start();
    await h.clock.settle();
    assert.equal(h.client.calls.length, 0);
    assert.equal(h.outbox.admin.queue('inflight').length, 1);
    // After the lease it returns to pending and, being possibly sent, is looked up first.
    await h.clock.advance(90_000);
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder']);
    assert.equal(h.results.at(-1)?.outcome, 'created');
    t.cleanup();
  });

  it('reclaims expired leases at open (crash recovery) and adopts a work order the crashed run created', async () => {
    h = harness({ leaseMs: 5_000 });
    h.client.script('createWorkOrder', { commitThen: cmmsError({ kind: 'transient', code: 'ECONNRESET', ambiguous: true }) });
    h.client.createWorkOrder = ((input) => {
      // Simulates the process dying mid-request: the CMMS committed, the answer never came.
      h.client.workOrders.set(input.reference, { id: 'WO-9', href: 'http://cmms.invalid/wo/9' });
      return new Promise(() => undefined);
    }) as typeof h.client.createWorkOrder;
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    h.outbox.close();

    const fresh = new FakeClient(h.clock);
    fresh.workOrders.set('ev-1', { id: 'WO-9', href: 'http://cmms.invalid/wo/9' });
    const h2 = harness({ file: h.file, client: fresh, leaseMs: 5_000 });
    h2.clock.t = h.clock.t + 6_000;
    h2.outbox.start();
    await h2.clock.settle();
    assert.deepEqual(fresh.calls.map((c) => c.method), ['findByReference']);
    assert.equal(h2.results.at(-1)?.outcome, 'existing');
    assert.equal(h2.results.at(-1)?.workOrderId, 'WO-9');
    await h2.cleanup();
  });

  it('releases every timer on stop() and refuses work after close()', async () => {
    h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    assert.ok(h.clock.pendingTimers > 0, 'housekeeping is scheduled while running');
    await h.outbox.stop();
    assert.equal(h.clock.pendingTimers, 0);
    h.outbox.close();
    assert.equal(h.outbox.isOpen, false);
    assert.throws(() => h.outbox.enqueue(event('ev-2')), /not open/);
  });

  it('keeps queued items across a restart and delivers them after it', async () => {
    h = harness();
    h.outbox.open();
    h.outbox.enqueue(event('ev-1', 'A'));
    h.outbox.enqueue(event('ev-2', 'B'));
    h.outbox.close();
    const h2 = harness({ file: h.file });
    h2.outbox.start();
    await h2.clock.settle();
    assert.deepEqual(h2.client.writes().map((c) => c.reference), ['ev-1', 'ev-2']);
    await h2.cleanup();
  });

  it('rejects malformed items with a TypeError and stores nothing', () => {
    h = harness();
    h.outbox.open();
    assert.throws(() => h.outbox.enqueue({ ...event('ev-1'), action: 'delete' as never }), TypeError);
    assert.throws(() => h.outbox.enqueue({ ...event('ev-1'), eventId: '' }), TypeError);
    assert.throws(() => h.outbox.enqueue({ ...event('ev-1'), body: [] as never }), TypeError);
    assert.equal(h.outbox.getMetrics().pending, 0);
  });

  it('survives a listener that throws and reports it as a problem', async () => {
    h = harness();
    const problems: string[] = [];
    h.outbox.on('problem', (p) => problems.push(p.code));
    h.outbox.on('result', () => { throw new Error('bad listener'); });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    assert.equal(h.client.workOrders.size, 1);
    assert.deepEqual(problems, ['listener']);
    assert.equal(h.outbox.admin.queue('sent').length, 1);
  });
});

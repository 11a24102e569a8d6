import assert from 'node:assert/strict';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { cmmsError, event, harness, T0 } from './outbox-fakes';

type H = ReturnType<typeof harness>;

describe('outbox delivery', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  function rowState(file: string, itemId: number): string | undefined {
    const Sqlite = loadSqlite();
    const raw = new Sqlite(file);
    try {
      return (raw.prepare('SELECT state FROM items WHERE id = ?').get(itemId) as { state: string } | undefined)?.state;
    } finally {
      raw.close();
    }
  }

  it('commits before enqueue returns, then moves pending → inflight → sent and reports created', async () => {
    h = harness();
    h.client.script('createWorkOrder', 'hang');
    h.outbox.start();
    const r = h.outbox.enqueue(event('ev-1'));
    assert.equal(r.outcome, 'queued');
    // Another connection sees the row: it is on disk, not only in this process.
    assert.equal(rowState(h.file, r.itemId), 'pending');
    await h.clock.settle();
    const inflight = h.outbox.admin.queue('inflight');
    assert.equal(inflight.length, 1);
    assert.equal(inflight[0].attempts, 1);
    h.client.hanging.shift()?.();
    await h.clock.settle();
    assert.equal(rowState(h.file, r.itemId), 'sent');
    const created = h.results.filter((x) => x.outcome === 'created');
    assert.equal(created.length, 1);
    assert.deepEqual(
      { ...created[0] },
      { eventId: 'ev-1', cmms: 'cmms-1', workOrderId: 'WO-1', href: 'http://cmms.invalid/wo/1', outcome: 'created', attempts: 1, latencyMs: 1000, nodeId: 'node-1', action: 'create', itemId: r.itemId },
    );
  });

  it('puts a transient failure in retry-wait for a full-jitter backoff, then retries', async () => {
    h = harness({ random: () => 0.5 });
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 500, message: 'busy' }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    const [waiting] = h.outbox.admin.queue('retry-wait');
    // First failure: uniform in [0, 2000]; random 0.5 gives 1000.
    assert.equal(waiting.nextAt, T0 + 1000);
    assert.equal(waiting.error, 'busy');
    await h.clock.advance(999);
    assert.equal(h.client.count('createWorkOrder'), 1);
    await h.clock.advance(1);
    assert.equal(h.client.count('createWorkOrder'), 2);
    assert.equal(h.results.at(-1)?.outcome, 'created');
    assert.equal(h.results.at(-1)?.attempts, 2);
  });

  it('waits for a Retry-After longer than the backoff, and sends nothing before it runs out', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 503, retryAfterMs: 30_000 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'A'));
    await h.clock.settle();
    h.outbox.enqueue(event('ev-2', 'B'));
    await h.clock.advance(29_999);
    // ev-1's lookup before the create (issue 14 item 1), then the refused create; nothing after.
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder'], 'nothing, not even another asset, goes while the server asked to wait');
    assert.equal(h.outbox.admin.queue('retry-wait')[0].nextAt, T0 + 30_000);
    await h.clock.advance(1);
    await h.clock.settle();
    assert.deepEqual(h.client.writes().map((c) => c.reference), ['ev-1', 'ev-1', 'ev-2']);
    assert.ok(h.client.calls.slice(2).every((c) => c.at >= T0 + 30_000));
  });

  it('keeps the backoff when a Retry-After is shorter', async () => {
    h = harness({ random: () => 0.5 });
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 429, retryAfterMs: 100 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    assert.equal(h.outbox.admin.queue('retry-wait')[0].nextAt, T0 + 1000);
  });

  it('sends a permanent failure to the dead letters at once, with the vendor message', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'permanent', status: 400, message: 'BMXAA4153E - Site BEDFORD is not valid' }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    assert.equal(h.client.count('createWorkOrder'), 1);
    const dead = h.results.filter((r) => r.outcome === 'dead');
    assert.equal(dead.length, 1);
    assert.equal(dead[0].deadReason, 'permanent');
    assert.equal(dead[0].error, 'BMXAA4153E - Site BEDFORD is not valid');
    const [letter] = h.outbox.admin.deadLetters();
    assert.equal(letter.reason, 'permanent');
    assert.equal(letter.error, 'BMXAA4153E - Site BEDFORD is not valid');
    assert.deepEqual(letter.body, { title: 'alarm ev-1', asset: 'P-101' });
  });

  it('retries an auth failure a few times, spaced by backoff, then gives it up as auth', async () => {
    h = harness({ authRetries: 3 });
    const denied = cmmsError({ kind: 'auth', status: 401, message: 'apikey: s3cr3t-key is not valid' });
    h.client.script('createWorkOrder', denied, denied, denied, denied);
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(10 * 60_000);
    assert.equal(h.client.count('createWorkOrder'), 3);
    // Each attempt is a lookup then a create at the same instant; the attempts are spaced.
    const creates = h.client.calls.filter((c) => c.method === 'createWorkOrder');
    const gaps = creates.slice(1).map((c, i) => c.at - creates[i].at);
    assert.ok(gaps.every((g) => g > 0), `auth retries are spaced: ${gaps.join(', ')}`);
    const [dead] = h.results.filter((r) => r.outcome === 'dead');
    assert.equal(dead.deadReason, 'auth');
    assert.equal(dead.attempts, 3);
    assert.equal(h.outbox.admin.deadLetters()[0].reason, 'auth');
  });

  it('gives up at the deadline (expired), not after a number of attempts', async () => {
    h = harness({ deadlineMs: 60_000, backoffCapMs: 5_000 });
    for (let i = 0; i < 100; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 500 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(120_000);
    const [dead] = h.results.filter((r) => r.outcome === 'dead');
    assert.equal(dead.deadReason, 'expired');
    assert.match(dead.error ?? '', /^not delivered within 1 min of being queued; last error: fake transient failure$/);
    assert.ok(h.client.calls.every((c) => c.at < T0 + 60_000), 'no call after the deadline');
    assert.ok(h.client.count('createWorkOrder') > 3, 'it kept trying until the deadline');
  });

  it('expires a whole backlog at its deadline while the CMMS stays away, reporting each one', async () => {
    h = harness({ deadlineMs: 3600_000, linkDownAfter: 1, concurrency: 4 });
    for (let i = 0; i < 10; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'transient', code: 'ECONNREFUSED' }));
    h.client.probeResults = Array.from({ length: 1000 }, () => ({ ok: false, state: 'unreachable' as const, message: 'down', latencyMs: 1 }));
    h.outbox.start();
    for (let i = 0; i < 450; i++) h.outbox.enqueue(event(`ev-${i}`, `A${i % 10}`));
    await h.clock.advance(3 * 3600_000);
    const dead = h.results.filter((r) => r.outcome === 'dead');
    assert.equal(dead.length, 450);
    assert.ok(dead.every((r) => r.deadReason === 'expired'));
    assert.equal(h.outbox.getMetrics().pending, 0);
    assert.ok(h.client.count('createWorkOrder') <= 4, 'only probes after the first wave failed');
    assert.ok(h.client.count('probe') > 5);
  });

  it('after an ambiguous failure looks the work order up and adopts it instead of creating another', async () => {
    h = harness();
    h.client.script('createWorkOrder', { commitThen: cmmsError({ kind: 'transient', code: 'ECONNRESET', ambiguous: true }) });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(5_000);
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder', 'findByReference']);
    const final = h.results.at(-1);
    assert.equal(final?.outcome, 'existing');
    assert.equal(final?.workOrderId, 'WO-1');
    assert.equal(h.client.workOrders.size, 1);
  });

  it('a garbled 2xx to a create is ambiguous, not permanent: looked up and adopted, never a false dead letter (issue 12, item 11)', async () => {
    h = harness();
    // What core/cmms/http.ts throws for a 2xx it cannot read, after the CMMS created the work order.
    h.client.script('createWorkOrder', { commitThen: cmmsError({ kind: 'permanent', status: 201, code: 'EBAD_BODY', ambiguous: true, message: 'answered with an HTML page where JSON was expected' }) });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(5_000);
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder', 'findByReference']);
    assert.equal(h.results.filter((r) => r.outcome === 'dead').length, 0, 'no false dead letter');
    assert.equal(h.results.at(-1)?.outcome, 'existing');
    assert.equal(h.client.workOrders.size, 1);
    assert.equal(h.outbox.getMetrics().dead, 0);
  });

  it('after an ambiguous failure that did not commit, looks up, finds nothing, and creates', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', code: 'ETIMEDOUT', ambiguous: true }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(5_000);
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder', 'findByReference', 'createWorkOrder']);
    assert.equal(h.results.at(-1)?.outcome, 'created');
  });

  it('treats a 409 conflict as "already there": looks it up straight away', async () => {
    h = harness();
    h.client.script('createWorkOrder', { commitThen: cmmsError({ kind: 'conflict', status: 409 }) });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(50);
    assert.equal(h.results.at(-1)?.outcome, 'existing');
    assert.equal(h.client.count('createWorkOrder'), 1);
  });

  it('backs off when a 409 keeps coming and the lookup keeps missing, instead of spinning', async () => {
    h = harness({ deadlineMs: 60_000 });
    for (let i = 0; i < 1000; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'conflict', status: 409 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(60_000);
    assert.ok(h.client.count('createWorkOrder') < 20, `${h.client.count('createWorkOrder')} creates in a minute`);
    assert.equal(h.results.at(-1)?.deadReason, 'expired');
  });

  it('retries an unexpected (non-CMMS) error instead of losing the item', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient' }));
    h.client.createWorkOrder = (() => { throw new TypeError('boom'); }) as typeof h.client.createWorkOrder;
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    const [w] = h.outbox.admin.queue('retry-wait');
    assert.match(w.error ?? '', /TypeError: boom/);
    assert.equal(h.results.filter((r) => r.outcome === 'dead').length, 0);
  });
});

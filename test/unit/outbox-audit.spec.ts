import assert from 'node:assert/strict';
import { cmmsError, event, harness, T0 } from './outbox-fakes';

type H = ReturnType<typeof harness>;
const DAY = 86_400_000;

describe('outbox audit log and metrics', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('writes one audit row per CMMS call, with what the engine knows and no secrets', async () => {
    h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'auth', status: 401, message: 'rejected Authorization: Bearer abc.def.ghi for user x' }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(10_000);
    const log = h.outbox.admin.auditLog();
    assert.deepEqual(log.map((a) => [a.call, a.action, a.outcome, a.status, a.errorClass, a.attempt]), [
      // Every create attempt looks the work order up first (issue 14 item 1).
      ['findByReference', 'create', 'not-found', null, null, 1],
      ['createWorkOrder', 'create', 'error', 401, 'auth', 1],
      ['findByReference', 'create', 'not-found', null, null, 2],
      ['createWorkOrder', 'create', 'created', null, null, 2],
    ]);
    assert.equal(log[1].eventId, 'ev-1');
    assert.equal(log[1].connection, 'cmms-1');
    assert.equal(log[1].at, T0);
    assert.equal(typeof log[1].latencyMs, 'number');
    assert.equal(log[1].errorMessage, 'rejected Authorization: *** for user x');
    const everything = [...h.outbox.admin.exportAudit(), ...h.outbox.admin.exportDeadLetters()].join('');
    assert.ok(!everything.includes('abc.def.ghi'));
    assert.deepEqual(h.outbox.admin.auditLog({ eventId: 'ev-1' }).length, 4);
  });

  it('records probes and lookups too', async () => {
    h = harness({ linkDownAfter: 1 });
    h.client.script('createWorkOrder', { commitThen: cmmsError({ kind: 'transient', code: 'ECONNRESET', ambiguous: true }) });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(10_000);
    const log = h.outbox.admin.auditLog();
    assert.deepEqual(log.map((a) => [a.call, a.outcome, a.errorClass]), [
      ['findByReference', 'not-found', null],
      ['createWorkOrder', 'error', 'transient/ambiguous'],
      ['probe', 'ok', null],
      ['findByReference', 'found', null],
    ]);
    assert.equal(log[2].eventId, null);
  });

  it('prunes audit rows past the retention, and delivered rows past theirs', async () => {
    h = harness({ auditRetentionDays: 2, sentRetentionDays: 1, housekeepingMs: 3600_000 });
    h.outbox.start();
    h.outbox.enqueue(event('ev-old'));
    await h.clock.settle();
    await h.clock.advance(DAY + 3600_000);
    h.outbox.enqueue(event('ev-new'));
    await h.clock.settle();
    assert.equal(h.outbox.admin.queue('sent').length, 1, 'the day-old delivered row is gone');
    assert.equal(h.outbox.admin.auditLog().length, 4, 'a lookup and a create per event');
    await h.clock.advance(DAY + 3600_000);
    assert.deepEqual(h.outbox.admin.auditLog().map((a) => a.eventId), ['ev-new', 'ev-new']);
  });

  it('prunes shadow records past the audit retention and frees their room', async () => {
    h = harness({ auditRetentionDays: 1, housekeepingMs: 3600_000, shadow: true });
    h.outbox.start();
    h.outbox.enqueue(event('ev-old'));
    await h.clock.advance(DAY / 2);
    h.outbox.enqueue(event('ev-new'));
    assert.equal(h.outbox.getMetrics().capacity.rows, 2);
    await h.clock.advance(DAY / 2 + 3600_000);
    assert.deepEqual(h.outbox.admin.shadowRecords().map((r) => r.eventId), ['ev-new']);
    assert.equal(h.outbox.getMetrics().capacity.rows, 1);
  });

  it('counts outcomes, pending and oldest age, latency percentiles and error rates', async () => {
    h = harness({ concurrency: 1 });
    h.client.script('createWorkOrder', cmmsError({ kind: 'permanent' }), 'ok', cmmsError({ kind: 'transient', status: 429 }));
    h.outbox.open();
    for (let i = 0; i < 4; i++) h.outbox.enqueue({ ...event(`ev-${i}`, 'A'), occurredAt: T0 - (i + 1) * 1000 });
    h.outbox.enqueue({ ...event('ev-1', 'A') });
    await h.clock.advance(5_000);
    let m = h.outbox.getMetrics();
    assert.equal(m.pending, 4);
    assert.equal(m.oldestPendingAgeMs, 5_000);
    h.outbox.start();
    await h.clock.advance(30_000);
    m = h.outbox.getMetrics();
    assert.deepEqual(m.outcomes, { created: 3, existing: 0, queued: 4, dead: 1, shadow: 0, duplicate: 1 });
    assert.equal(m.pending, 0);
    assert.equal(m.oldestPendingAgeMs, null);
    assert.equal(m.dead, 1);
    // Five create attempts, each a lookup and a create (issue 14 item 1).
    assert.equal(m.calls, 10);
    assert.deepEqual(m.errors, { permanent: 1, transient: 1 });
    assert.deepEqual(m.errorRate, { permanent: 0.1, transient: 0.1 });
    assert.equal(m.latencyMs.samples, 3);
    // ev-1 created at +5 s (occurred 2 s before T0): 7 s; ev-2 retried at +6 s (3 s before): 9 s; ev-3 at +6 s: 10 s.
    assert.deepEqual([m.latencyMs.p50, m.latencyMs.p95, m.latencyMs.p99], [9_000, 10_000, 10_000]);
    assert.equal(m.capacity.level, 'ok');
    assert.equal(m.link.state, 'up');
  });
});

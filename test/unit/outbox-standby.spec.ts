// Redundant gateways (issue 14 item 3): a standby outbox holds each item for `standbyDelayMs` after
// queueing it, then looks the work order up (finding the primary's) and checks a note's marker
// before sending it; a primary sends at once and reads back only before a note's later attempts.
import assert from 'node:assert/strict';
import type { WorkOrderRef } from '../../nodes/core/cmms/types';
import { parseCmmsSettings } from '../../nodes/core/cmms/settings';
import { standbyHoldUntil } from '../../nodes/core/outbox/standby';
import { markedNote, noteMarker } from '../../nodes/core/outbox/deliver';
import { cmmsError, event, FakeClient, harness, T0 } from './outbox-fakes';

/** The fake client with a note log, so `hasNote` can answer from what was "sent". */
class NotingClient extends FakeClient {
  readonly notes: string[] = [];
  constructor(clock: { now(): number }) { super(clock); }
  override async updateWorkOrder(ref: WorkOrderRef, change: { note?: string; priority?: number | string }): Promise<void> {
    await super.updateWorkOrder(ref, change);
    if (change.note) this.notes.push(change.note);
  }
  hasNote(_ref: WorkOrderRef, marker: string): Promise<boolean> {
    this.calls.push({ method: 'hasNote', at: 0 });
    return Promise.resolve(this.notes.some((n) => n.includes(marker)));
  }
}

type H = ReturnType<typeof harness>;

describe('outbox: standby gateway', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('holds a create for the delay, then looks it up first and adopts the work order the primary made', async () => {
    h = harness({ role: 'standby', standbyDelayMs: 10_000 });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(9_999);
    assert.equal(h.client.calls.length, 0, 'nothing is sent during the hold');
    const [held] = h.outbox.admin.queue('retry-wait');
    assert.equal(held.attempts, 0, 'the hold is not an attempt');
    assert.match(held.error ?? '', /standby/);
    // Meanwhile the primary made the work order.
    h.client.workOrders.set('ev-1', { id: 'WO-P', href: 'http://cmms.invalid/wo/P' });
    await h.clock.advance(1);
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference']);
    const done = h.results.filter((r) => r.outcome !== 'queued');
    assert.equal(done.length, 1);
    assert.equal(done[0].outcome, 'existing');
    assert.equal(done[0].workOrderId, 'WO-P');
    assert.equal(done[0].attempts, 1);
  });

  it('creates after the hold when the primary made nothing (the primary is down)', async () => {
    h = harness({ role: 'standby', standbyDelayMs: 5_000 });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(5_000);
    assert.deepEqual(h.client.calls.map((c) => [c.method, c.at - T0]), [['findByReference', 5_000], ['createWorkOrder', 5_000]]);
    assert.equal(h.results.at(-1)?.outcome, 'created');
  });

  it('a primary (the default) sends at once', async () => {
    h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.settle();
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder']);
  });

  it('keeps the order per asset: the escalate waits behind the held create, then its own hold', async () => {
    h = harness({ role: 'standby', standbyDelayMs: 4_000 });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(1_000);
    h.outbox.enqueue(event('ev-1', 'P-101', 'update'));
    await h.clock.advance(3_000);
    assert.deepEqual(h.client.writes().map((c) => c.method), ['createWorkOrder']);
    await h.clock.advance(999);
    assert.deepEqual(h.client.writes().map((c) => c.method), ['createWorkOrder'], 'the escalate is held 4 s after its own enqueue');
    await h.clock.advance(1);
    assert.deepEqual(h.client.writes().map((c) => [c.method, c.at - T0]), [['createWorkOrder', 4_000], ['updateWorkOrder', 5_000]]);
  });

  it('checks the marker before every note and sends no request when the primary already added it', async () => {
    const client = new NotingClient({ now: () => 0 });
    h = harness({ role: 'standby', standbyDelayMs: 1_000, client });
    client.workOrders.set('ev-1', { id: 'WO-1', href: 'http://cmms.invalid/wo/1' });
    // The primary's escalate of the same event (same body, so the same marker) is already there.
    const body = { note: 'escalated ev-1' };
    client.notes.push(markedNote(noteMarker('ev-1', 'update', JSON.stringify(body)), body.note));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'P-101', 'update', { body }));
    await h.clock.advance(1_000);
    assert.deepEqual(client.calls.map((c) => c.method), ['findByReference', 'hasNote'], 'read back, then nothing more');
    assert.equal(client.notes.length, 1);
    assert.equal(h.outbox.admin.queue('sent').length, 1);
    // A note the primary has not added is sent, once, after the same check.
    h.outbox.enqueue(event('ev-1', 'P-101', 'note', { body: { note: 'cleared ev-1' } }));
    await h.clock.advance(1_000);
    assert.deepEqual(client.calls.map((c) => c.method).slice(2), ['findByReference', 'hasNote', 'updateWorkOrder']);
    assert.equal(client.notes.length, 2);
  });

  it('a primary reads back before a later attempt of a note (the standby may have sent it meanwhile), not before the first', async () => {
    const client = new NotingClient({ now: () => 0 });
    h = harness({ client });
    client.workOrders.set('ev-1', { id: 'WO-1', href: 'http://cmms.invalid/wo/1' });
    client.script('updateWorkOrder', cmmsError({ kind: 'transient', status: 503, message: 'busy' }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'P-101', 'update', { body: { note: 'escalated ev-1' } }));
    await h.clock.settle();
    assert.deepEqual(client.calls.map((c) => c.method), ['findByReference', 'updateWorkOrder']);
    await h.clock.advance(60_000);
    assert.deepEqual(client.calls.map((c) => c.method), ['findByReference', 'updateWorkOrder', 'findByReference', 'hasNote', 'updateWorkOrder']);
    assert.equal(client.notes.length, 1);
  });

  it('a primary reads back before a note whose event is older than half the standby delay (it is behind its partner)', async () => {
    const client = new NotingClient({ now: () => 0 });
    h = harness({ client, standbyDelayMs: 10_000 });
    client.workOrders.set('ev-1', { id: 'WO-1', href: 'http://cmms.invalid/wo/1' });
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'P-101', 'update', { body: { note: 'escalated ev-1' }, occurredAt: T0 - 4_000 }));
    await h.clock.settle();
    assert.deepEqual(client.calls.map((c) => c.method), ['findByReference', 'updateWorkOrder'], 'an event 4 s old is sent without a read');
    h.outbox.enqueue(event('ev-1', 'P-101', 'note', { body: { note: 'cleared ev-1' }, occurredAt: T0 - 5_000 }));
    await h.clock.settle();
    assert.deepEqual(client.calls.map((c) => c.method).slice(2), ['findByReference', 'hasNote', 'updateWorkOrder'], 'an event 5 s old is read back first');
  });

  it('holds from the enqueue, never longer than the delay from now', () => {
    const s = { role: 'standby' as const, standbyDelayMs: 30_000 };
    assert.equal(standbyHoldUntil(s, { enqueued_at: 1_000, attempts: 1 }, 2_000), 31_000);
    assert.equal(standbyHoldUntil(s, { enqueued_at: 1_000, attempts: 1 }, 31_000), null);
    assert.equal(standbyHoldUntil(s, { enqueued_at: 1_000, attempts: 2 }, 2_000), null, 'only the first attempt is held');
    // The wall clock was set back an hour after the enqueue: still at most 30 s.
    assert.equal(standbyHoldUntil(s, { enqueued_at: 3_600_000, attempts: 1 }, 0), 30_000);
    assert.equal(standbyHoldUntil({ role: 'primary', standbyDelayMs: 30_000 }, { enqueued_at: 1_000, attempts: 1 }, 2_000), null);
  });
});

describe('mw-cmms settings: gateway role', () => {
  const base = { dialect: 'maintainx', baseUrl: 'https://api.getmaintainx.com', authType: 'bearer' };
  const creds = { token: 't' };

  it('is primary with a 30 s standby delay by default; standby with its delay in seconds', () => {
    const d = parseCmmsSettings(base, creds);
    assert.ok(d.ok);
    assert.deepEqual(d.value.redundancy, { role: 'primary', standbyDelayMs: 30_000 });
    const s = parseCmmsSettings({ ...base, gatewayRole: 'standby', standbyDelaySeconds: '12' }, creds);
    assert.ok(s.ok);
    assert.deepEqual(s.value.redundancy, { role: 'standby', standbyDelayMs: 12_000 });
    // What an editor that did not know the setting saves.
    const old = parseCmmsSettings({ ...base, gatewayRole: '', standbyDelaySeconds: '' }, creds);
    assert.ok(old.ok);
    assert.deepEqual(old.value.redundancy, { role: 'primary', standbyDelayMs: 30_000 });
  });

  it('refuses an unknown role and a delay outside 1–3600 s', () => {
    for (const bad of [{ gatewayRole: 'backup' }, { standbyDelaySeconds: 0 }, { standbyDelaySeconds: 4000 }, { standbyDelaySeconds: 'soon' }]) {
      const r = parseCmmsSettings({ ...base, ...bad }, creds);
      assert.equal(r.ok, false, JSON.stringify(bad));
      assert.match(r.ok ? '' : r.errors.join('; '), /gatewayRole|standbyDelaySeconds/);
    }
  });
});

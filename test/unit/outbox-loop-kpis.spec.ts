// Loop KPIs per asset group from the outbox's rows: alert → work order, work order → done (from a
// finished status or the outbox's own close), emergency versus planned, joined episodes.
import assert from 'node:assert/strict';
import { computeLoopKpis, groupOf } from '../../nodes/core/outbox/loop-kpis';
import { event, harness, T0 } from './outbox-fakes';

const asset = (id: string, cls: string) => ({ id, siteId: 'BEDFORD', location: `BEDFORD/AREA1/LINE2/${id}`, class: cls });

describe('outbox loop KPIs', () => {
  it('groups by class, work group, area, site or asset; a missing field is "(none)"', () => {
    const e = { asset: { id: 'P-1', siteId: 'S', location: 'S/A1/L1/P-1', class: 'pump' } };
    assert.equal(groupOf(e, 'class'), 'pump');
    assert.equal(groupOf(e, 'area'), 'S/A1');
    assert.equal(groupOf(e, 'site'), 'S');
    assert.equal(groupOf(e, 'asset'), 'S/P-1');
    assert.equal(groupOf(e, 'workGroup'), '(none)');
    assert.equal(groupOf(null, 'class'), '(none)');
  });

  it('pure: percentiles of the two durations per group, emergency and planned counted', () => {
    const s = (cls: string, occurredAt: number, createdAt: number, finishedAt: number | null, emergency: boolean) => ({
      event: { asset: { class: cls } }, occurredAt, createdAt, outcome: 'created', finishedAt, emergency, joined: 0,
    });
    const k = computeLoopKpis([s('pump', 0, 1000, 61_000, true), s('pump', 0, 3000, null, false), s('press', 0, 500, 3_600_500, false)], 'class', 0, 1);
    assert.deepEqual(k.groups.map((g) => g.group), ['press', 'pump']);
    const pump = k.groups[1];
    assert.equal(pump.workOrders, 2);
    assert.equal(pump.emergency, 1);
    assert.equal(pump.planned, 1);
    assert.equal(pump.open, 1);
    assert.deepEqual(pump.alertToWorkOrderMs, { p50: 1000, p95: 3000, max: 3000, samples: 2 });
    assert.deepEqual(pump.workOrderToDoneMs, { p50: 60_000, p95: 60_000, max: 60_000, samples: 1 });
    assert.equal(k.total.workOrders, 3);
    assert.equal(k.total.workOrderToDoneMs.samples, 2);
  });

  it('from the outbox: delivered creates, a finished status, its own close, an escalation to critical and a joined episode', async () => {
    const h = harness();
    h.outbox.start();
    const withEvent = (id: string, a: ReturnType<typeof asset>, severity: string, extra = {}) =>
      event(id, `BEDFORD/${a.id}`, 'create', { event: { eventId: id, asset: a, severity }, occurredAt: T0 - 2000, family: 'alarm/x', ...extra });
    h.outbox.enqueue(withEvent('p1', asset('P-1', 'pump'), 'critical'));
    h.outbox.enqueue(withEvent('p2', asset('P-2', 'pump'), 'high'));
    h.outbox.enqueue(withEvent('r1', asset('R-1', 'press'), 'medium'));
    // A second episode on P-2 joins its work order (one work order per asset).
    h.outbox.enqueue(withEvent('p2b', asset('P-2', 'pump'), 'high', { onePer: 'asset', joinBody: { note: 'joined' } }));
    await h.clock.settle();
    // r1 escalates to critical: an emergency after all.
    h.outbox.enqueue(event('r1', 'BEDFORD/R-1', 'update', { event: { eventId: 'r1', asset: asset('R-1', 'press'), severity: 'critical' } }));
    await h.clock.advance(60_000);
    const woOf = (id: string) => h.results.find((r) => r.eventId === id && r.outcome === 'created')?.workOrderId ?? null;
    // p1's work order reported done at T0 + 10 min; p2's closed by the outbox's own close.
    h.outbox.workOrderFinished(woOf('p1'), [], T0 + 600_000);
    h.outbox.enqueue(event('p2', 'BEDFORD/P-2', 'close', { body: { status: 'closed', note: 'cleared' } }));
    await h.clock.advance(60_000);

    const k = h.outbox.loopKpis({ by: 'class' });
    const pump = k.groups.find((g) => g.group === 'pump');
    const press = k.groups.find((g) => g.group === 'press');
    assert.ok(pump && press, JSON.stringify(k));
    assert.equal(pump.workOrders, 2);
    assert.equal(pump.emergency, 1);
    assert.equal(pump.planned, 1);
    assert.equal(pump.joinedEpisodes, 1);
    assert.equal(pump.finished, 2);
    // Alert 2 s before T0, work orders answered at T0 (the fake CMMS answers at once).
    assert.deepEqual(pump.alertToWorkOrderMs, { p50: 2000, p95: 2000, max: 2000, samples: 2 });
    // p1: T0 → T0 + 10 min; p2: T0 → its close at T0 + 60 s.
    assert.deepEqual(pump.workOrderToDoneMs, { p50: 60_000, p95: 600_000, max: 600_000, samples: 2 });
    assert.equal(press.emergency, 1, 'escalated to critical');
    assert.equal(press.open, 1);
    assert.equal(k.total.workOrders, 3);
    // A window that starts after every alert holds nothing.
    assert.equal(h.outbox.loopKpis({ since: T0 }).total.workOrders, 0);
    await h.cleanup();
  });

  it('one reading is reused for 10 s (a dashboard polling the metrics route does not re-read 7 days of work orders each time), then read again', async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('c1', 'BEDFORD/P-1', 'create', { event: { eventId: 'c1', asset: asset('P-1', 'pump') }, occurredAt: T0 - 1000 }));
    await h.clock.settle();
    const first = h.outbox.loopKpis({ by: 'class' });
    assert.equal(first.total.workOrders, 1);
    h.outbox.enqueue(event('c2', 'BEDFORD/P-2', 'create', { event: { eventId: 'c2', asset: asset('P-2', 'pump') }, occurredAt: T0 - 1000 }));
    await h.clock.advance(5_000);
    assert.equal(h.outbox.loopKpis({ by: 'class' }), first, 'within 10 s: the same reading');
    assert.equal(h.outbox.loopKpis({ by: 'asset' }).total.workOrders, 2, 'another grouping is its own reading');
    await h.clock.advance(5_000);
    assert.equal(h.outbox.loopKpis({ by: 'class' }).total.workOrders, 2, 'after 10 s: read again');
    await h.cleanup();
  });
});

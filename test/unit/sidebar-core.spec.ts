// The pure parts behind the Millwright sidebar: recent work orders and the filtered audit log of
// the outbox, the request meter, the connection summary in plant words, the SPC chart cache and
// the last work-order statuses.
import assert from 'node:assert/strict';
import { RequestMeter } from '../../nodes/core/cmms/request-meter';
import { summarize, SLOW_PENDING_MS, type ConnectionInput } from '../../nodes/core/sidebar/summary';
import { ChartCache, seriesKey, type MonitorView } from '../../nodes/core/spc/chart-cache';
import { LatestStatuses } from '../../nodes/core/wo-status/latest';
import { cmmsError, event, harness, T0 } from './outbox-fakes';

describe('sidebar core: recent work orders and the filtered audit log', () => {
  let h: ReturnType<typeof harness>;
  afterEach(async () => { await h.cleanup(); });

  it('lists delivered creates newest first with event → work order time; filters the audit log by outcome, event and time', async () => {
    h = harness();
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'P-101'));
    await h.clock.settle();
    h.client.script('createWorkOrder', cmmsError({ kind: 'permanent', status: 400, message: 'BMXAA2661E asset unknown' }));
    h.outbox.enqueue(event('ev-2', 'P-102'));
    await h.clock.settle();
    h.outbox.enqueue(event('ev-3', 'P-103'));
    await h.clock.settle();
    h.outbox.enqueue(event('ev-1', 'P-101', 'note'));
    await h.clock.settle();

    const recent = h.outbox.recentWorkOrders();
    assert.deepEqual(recent.map((w) => w.eventId), ['ev-3', 'ev-1'], 'creates that reached the CMMS only, newest first');
    assert.equal(recent[1].workOrderId, 'WO-1');
    assert.equal(recent[1].latencyMs, (recent[1].deliveredAt as number) - (T0 - 1000));
    assert.equal(h.outbox.recentWorkOrders(1).length, 1);

    const failed = h.outbox.auditFiltered({ outcome: 'failed' });
    assert.deepEqual(failed.map((a) => a.eventId), ['ev-2']);
    assert.match(failed[0].errorMessage ?? '', /BMXAA2661E/);
    const ok = h.outbox.auditFiltered({ outcome: 'ok' });
    assert.ok(ok.length >= 3 && ok.every((a) => a.errorClass === null), JSON.stringify(ok));
    assert.deepEqual(h.outbox.auditFiltered({ eventId: 'ev-1' }).map((a) => a.call), ['updateWorkOrder', 'createWorkOrder', 'findByReference']); // newest first; every create asks by reference first (issue 14 item 1)
    const all = h.outbox.auditFiltered();
    assert.ok(all[0].id > all[all.length - 1].id, 'newest first');
    assert.equal(h.outbox.auditFiltered({ since: all[0].at + 1 }).length, 0);
    assert.equal(h.outbox.auditFiltered({ until: all[all.length - 1].at }).length, 0);
    assert.deepEqual(h.outbox.auditFiltered({ beforeId: all[0].id, limit: 1 }).map((a) => a.id), [all[1].id]);
  });
});

describe('sidebar core: request meter', () => {
  it('counts the requests of the last minute and keeps the last failure in the CMMS words', () => {
    let now = 1_000_000;
    const m = new RequestMeter(() => now, 8);
    m.observe({ ok: true, status: 200, latencyMs: 5 });
    now += 30_000;
    m.observe({ ok: false, error: cmmsError({ kind: 'permanent', status: 400, vendorCode: 'BMXAA2661E', message: 'Asset X is not valid' }), latencyMs: 5, method: 'POST', path: '/wo' });
    assert.equal(m.lastMinute(), 2);
    now += 45_000;
    assert.equal(m.lastMinute(), 1, 'the first one is older than a minute');
    assert.deepEqual({ ...m.last, at: 0 }, { at: 0, message: 'Asset X is not valid', status: 400, kind: 'permanent', vendorCode: 'BMXAA2661E', method: 'POST', path: '/wo' });
    for (let i = 0; i < 20; i++) m.observe({ ok: true, status: 200, latencyMs: 1 });
    assert.equal(m.lastMinute(), 8, 'bounded by the ring');
    assert.equal(m.total, 22);
  });
});

describe('sidebar core: connection summary in plant words', () => {
  const base: ConnectionInput = {
    id: 'c', name: 'CMMS', dialect: 'maximo', baseUrl: 'http://x', configErrors: [],
    health: { state: 'connected', message: 'connected as MAXADMIN', since: 1, failures: 0, nextProbeAt: null },
    figures: { pending: 0, inflight: 0, dead: 0, shadow: 0, oldestPendingAgeMs: null }, requestsLastMinute: 0, budgetPerMinute: 60, lastError: null,
  };
  const words = (c: Partial<ConnectionInput>): [string, string] => { const s = summarize({ ...base, ...c }); return [s.words, s.level]; };

  it('says what matters first: settings, then the link, then the work waiting', () => {
    assert.deepEqual(words({}), ['ok', 'ok']);
    assert.deepEqual(words({ figures: { ...base.figures!, pending: 2, oldestPendingAgeMs: 1000 } }), ['sending', 'ok']);
    assert.deepEqual(words({ figures: { ...base.figures!, pending: 2, oldestPendingAgeMs: SLOW_PENDING_MS + 1 } }), ['slow', 'warn']);
    assert.deepEqual(words({ figures: { ...base.figures!, dead: 1 } }), ['dead', 'warn']);
    assert.deepEqual(words({ health: { ...base.health, state: 'unreachable' }, figures: { ...base.figures!, dead: 1 } }), ['unreachable', 'bad']);
    assert.deepEqual(words({ health: { ...base.health, state: 'unauthorised' } }), ['refused', 'bad']);
    assert.deepEqual(words({ health: { ...base.health, state: 'rate-limited' } }), ['busy', 'warn']);
    assert.deepEqual(words({ health: { ...base.health, state: 'unknown' }, figures: null }), ['checking', 'idle']);
    const bad = summarize({ ...base, configErrors: ['baseUrl: missing'] });
    assert.deepEqual([bad.words, bad.level, bad.state, bad.detail], ['invalid', 'bad', 'invalid', 'baseUrl: missing']);
  });
});

describe('sidebar core: SPC chart cache', () => {
  const monitor = (over: Partial<MonitorView> = {}): MonitorView => ({
    characteristic: 'bore', learning: false, baseline: { mean: 12, sigma: 0.004 }, lastValue: 12.001, spec: { lsl: 11.98, usl: 12.02 }, ...over,
  });

  it('keeps the last points per series oldest first, with centre and ±3σ limits once learned, spec limits and episode marks', () => {
    const c = new ChartCache(3, 10);
    c.point('PRS-701', 'BRKT-9', monitor({ learning: true, lastValue: 12.0 }), 1000);
    for (let i = 1; i <= 4; i++) c.point('PRS-701', 'BRKT-9', monitor({ lastValue: 12 + i / 1000 }), 1000 + i * 1000);
    c.mark('PRS-701', 'BRKT-9', { metric: 'bore', state: 'raised', occurredAt: new Date(4000).toISOString(), eventId: 'e1', details: { family: 'mean' } });
    c.mark('PRS-701', 'BRKT-9', { metric: 'coating', state: 'raised', occurredAt: new Date(4000).toISOString(), eventId: 'e2' });
    const chart = c.chart(seriesKey('PRS-701', 'BRKT-9', 'bore'));
    assert.ok(chart);
    assert.deepEqual(chart.data.map((p) => p.t), [3000, 4000, 5000], 'bounded, oldest first');
    assert.equal(chart.data[0].centre, 12);
    assert.ok(Math.abs((chart.data[0].ucl as number) - 12.012) < 1e-9);
    assert.ok(Math.abs((chart.data[0].lcl as number) - 11.988) < 1e-9);
    assert.deepEqual([chart.lsl, chart.usl], [11.98, 12.02]);
    assert.deepEqual(chart.marks, [{ t: 4000, state: 'raised', family: 'mean', eventId: 'e1' }], 'a mark of an unknown series is dropped');
    assert.deepEqual(c.list().map((s) => [s.key, s.points]), [['PRS-701|BRKT-9|bore', 3]]);
  });

  it('a learning series has no limits; a non-number is not a point; the series count is bounded', () => {
    const c = new ChartCache(10, 2);
    c.point('A', 'p', monitor({ learning: true }), 1);
    c.point('A', 'p', monitor({ lastValue: Number.NaN }), 2);
    assert.deepEqual(c.chart('A|p|bore')?.data, [{ t: 1, value: 12.001, centre: null, ucl: null, lcl: null }]);
    c.point('B', 'p', monitor(), 1);
    c.point('C', 'p', monitor(), 1);
    assert.equal(c.list().length, 2);
    assert.equal(c.chart('C|p|bore'), null);
  });
});

describe('sidebar core: last work-order statuses', () => {
  it('keeps the newest status per connection and work order, and forgets the oldest beyond its bound', () => {
    const l = new LatestStatuses(2);
    l.record('c1', { workOrderId: 'WO-1', status: 'in-progress', cmmsStatus: 'INPRG', changedAt: '2026-01-01T10:00:00Z' });
    l.record('c1', { workOrderId: 'WO-1', status: 'open', cmmsStatus: 'WAPPR', changedAt: '2026-01-01T09:00:00Z' });
    assert.equal(l.get('c1', 'WO-1')?.status, 'in-progress', 'a late older change does not win');
    assert.equal(l.get('c2', 'WO-1'), null);
    l.record('c1', { workOrderId: 'WO-2', status: 'open', cmmsStatus: 'WAPPR', changedAt: '2026-01-01T09:00:00Z' });
    l.record('c1', { workOrderId: 'WO-3', status: 'done', cmmsStatus: 'COMP', changedAt: '2026-01-01T11:00:00Z' });
    assert.equal(l.get('c1', 'WO-1'), null);
    assert.equal(l.get('c1', 'WO-3')?.cmmsStatus, 'COMP');
  });
});

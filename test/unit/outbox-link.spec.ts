import assert from 'node:assert/strict';
import type { LinkEvent } from '../../nodes/core/outbox';
import { cmmsError, event, harness } from './outbox-fakes';

type H = ReturnType<typeof harness>;

const refused = () => cmmsError({ kind: 'transient', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' });
const unreachable = { ok: false, state: 'unreachable' as const, message: 'connect ECONNREFUSED', latencyMs: 1 };

describe('outbox while the CMMS is down', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('sends only health probes, at growing intervals, then drains oldest first', async () => {
    h = harness({ concurrency: 2, linkDownAfter: 2, random: () => 0.5 });
    const links: LinkEvent[] = [];
    h.outbox.on('link', (e) => links.push(e));
    h.client.script('createWorkOrder', refused(), refused());
    h.client.probeResults = [unreachable, unreachable, unreachable];
    h.outbox.start();
    for (let i = 1; i <= 5; i++) h.outbox.enqueue(event(`ev-${i}`, `asset-${i}`));
    await h.clock.advance(10 * 60_000);

    // Lookups before each create (issue 14 item 1) left out: the waves are about writes and probes.
    const methods = h.client.calls.filter((c) => c.method !== 'findByReference').map((c) => c.method);
    const firstProbe = methods.indexOf('probe');
    assert.deepEqual(methods.slice(0, firstProbe), ['createWorkOrder', 'createWorkOrder'], 'one wave of real requests, then probes');
    assert.deepEqual(methods.slice(firstProbe, firstProbe + 4), ['probe', 'probe', 'probe', 'probe']);
    const probes = h.client.calls.filter((c) => c.method === 'probe');
    assert.equal(probes.length, 4, 'the fourth probe succeeds and no more are needed');
    const gaps = probes.slice(1).map((p, i) => p.at - probes[i].at);
    assert.deepEqual(gaps, [2000, 4000, 8000], 'full jitter at 0.5: half of 4, 8, 16 s');

    const creates = h.client.calls.filter((c) => c.method === 'createWorkOrder').slice(2);
    assert.deepEqual(creates.map((c) => c.reference), ['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5'], 'oldest first after recovery');
    assert.ok(creates.every((c) => c.at >= probes[3].at));
    assert.equal(h.results.filter((r) => r.outcome === 'created').length, 5);
    assert.deepEqual(links.map((l) => l.state), ['down', 'up']);
  });

  it('reports queued for items that arrive while the link is down', async () => {
    h = harness({ linkDownAfter: 1 });
    h.client.script('createWorkOrder', refused());
    h.client.probeResults = [unreachable];
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'A'));
    await h.clock.settle();
    assert.equal(h.outbox.getMetrics().link.state, 'down');
    const r = h.outbox.enqueue(event('ev-2', 'B'));
    assert.deepEqual(r, { outcome: 'queued', itemId: 2, waiting: true });
    const queued = h.results.filter((x) => x.outcome === 'queued');
    assert.deepEqual(queued.map((x) => x.eventId), ['ev-2'], 'ev-1 could be sent at once when it came');
    assert.equal(queued[0].workOrderId, null);
  });

  it('resumes on a probe that reaches the CMMS but is refused (auth), so items can fail on their own', async () => {
    h = harness({ linkDownAfter: 1 });
    h.client.script('createWorkOrder', refused());
    h.client.probeResults = [{ ok: false, state: 'unauthorised', message: '401', latencyMs: 1 }];
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(5_000);
    assert.deepEqual(h.client.calls.map((c) => c.method), ['findByReference', 'createWorkOrder', 'probe', 'findByReference', 'createWorkOrder']);
    assert.equal(h.results.at(-1)?.outcome, 'created');
  });

  it('probes less and less often when probes pass but real requests keep failing', async () => {
    h = harness({ linkDownAfter: 1, random: () => 0.5 });
    for (let i = 0; i < 1000; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 503 }));
    h.outbox.start();
    h.outbox.enqueue(event('ev-1'));
    await h.clock.advance(30 * 60_000);
    const creates = h.client.count('createWorkOrder');
    // Without the growing interval this would be a request every second or two (~1000 in 30 min).
    assert.ok(creates <= 30, `${creates} requests in 30 minutes`);
    const probes = h.client.calls.filter((c) => c.method === 'probe');
    const first = probes[1].at - probes[0].at;
    const last = probes.at(-1)!.at - probes.at(-2)!.at;
    assert.ok(last > first, `probe gaps grow: first ${first} ms, last ${last} ms`);
  });

  it('stays quiet when nothing is waiting, and probes first when work arrives', async () => {
    h = harness({ linkDownAfter: 1, deadlineMs: 1_000 });
    h.client.script('createWorkOrder', refused());
    h.client.probeResults = Array.from({ length: 100 }, () => unreachable);
    h.outbox.start();
    h.outbox.enqueue(event('ev-1', 'A'));
    await h.clock.advance(120_000);
    // ev-1 expired; the link is still marked down and nothing is left, so no more probes.
    const probesBefore = h.client.count('probe');
    await h.clock.advance(30 * 60_000);
    assert.equal(h.client.count('probe'), probesBefore);
    assert.ok(probesBefore > 0 && probesBefore < 10, `${probesBefore} probes while ev-1 was waiting`);
    h.client.probeResults = [];
    h.outbox.enqueue(event('ev-2', 'B'));
    await h.clock.settle();
    assert.deepEqual(h.client.calls.slice(-3).map((c) => c.method), ['probe', 'findByReference', 'createWorkOrder']);
  });
});

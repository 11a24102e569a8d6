// The simulator's HTTP fault matrix at a high fault rate, against two outboxes (Maximo and
// MaintainX) with the real client, on virtual time. About every second request fails in one of
// eight ways; the invariants must hold anyway.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Outbox, type OutboxResult } from '../../nodes/core/outbox';
import type { FaultSpec } from '../../sim/cmms';
import { integrity, seeded, startWorld, type World } from './outbox-virtual';

const EVENTS = 200;
const ASSETS = 20;
const CONCURRENCY = 4;
type Dialect = 'maximo' | 'maintainx';
const DIALECTS: Dialect[] = ['maximo', 'maintainx'];

/**
 * Each fault's share of all requests; together about one half. Hangs cost real time (the client
 * timeout), so they are the rarest.
 */
function faultMix(wallNow: number): Array<[number, FaultSpec]> {
  return [
    [0.09, { kind: 'status', status: 500 }],
    [0.08, { kind: 'status', status: 503, retryAfter: { seconds: 3 } }],
    [0.07, { kind: 'status', status: 503, retryAfter: { httpDate: wallNow + 4000 } }],
    [0.08, { kind: 'status', status: 429, resetHeader: 2 }],
    [0.07, { kind: 'reset' }],
    [0.05, { kind: 'commit-then-drop' }],
    [0.03, { kind: 'slow-body', delayMs: 5 }],
    [0.03, { kind: 'hang' }],
  ];
}

/** Not a failure: every other answer takes a little while, so requests overlap and reach the limit. */
const SLOW: FaultSpec = { kind: 'latency', delayMs: 10 };

/** The simulator tries faults in order; conditional probabilities give each its share overall. */
function arm(world: World): number {
  const now = world.vt.now();
  world.sim.faults.clear();
  let taken = 0;
  for (const [share, spec] of faultMix(now)) {
    world.sim.faults.add({ ...spec, probability: share / (1 - taken) });
    taken += share;
  }
  world.sim.faults.add(SLOW);
  return now;
}

describe('outbox under the HTTP fault matrix (≈50 % of requests fail; virtual time)', function () {
  this.timeout(120_000);
  let world: World;
  const boxes = new Map<Dialect, { outbox: Outbox; file: string; results: OutboxResult[] }>();

  before(async () => {
    world = await startWorld(77);
    for (const dialect of DIALECTS) {
      const file = path.join(world.dir, `outbox-${dialect}.db`);
      const results: OutboxResult[] = [];
      let outbox: Outbox | null = null;
      const client = world.client(
        { dialect, timeoutMs: 200, connectTimeoutMs: 1000, rate: { perMinute: 1200, burst: 10, concurrency: CONCURRENCY } },
        (o) => outbox?.observe(o),
      );
      outbox = new Outbox({
        file, connection: dialect, client, concurrency: CONCURRENCY,
        now: world.vt.now, monotonic: world.vt.monotonic, timers: world.vt, random: seeded(dialect.length),
      });
      outbox.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
      boxes.set(dialect, { outbox, file, results });
    }
  });

  after(async () => {
    for (const { outbox } of boxes.values()) {
      await outbox.stop(0);
      outbox.close();
    }
    await world.stop();
  });

  it('every event ends created exactly once, no request beats a Retry-After, concurrency stays within the limit', async () => {
    const { vt, sim, wire } = world;
    let armedAt = arm(world);
    // Keeps the HTTP-date Retry-After in the future as virtual time moves on.
    vt.onFire = () => { if (vt.now() - armedAt >= 2000) armedAt = arm(world); };
    const t0 = vt.now();
    for (const [dialect, { outbox }] of boxes) {
      outbox.start();
      for (let i = 0; i < EVENTS; i++) {
        const assetKey = `${dialect}-asset-${i % ASSETS}`;
        const body = dialect === 'maximo' ? { description: `Overheat on ${assetKey}` } : { title: `Overheat on ${assetKey}` };
        outbox.enqueue({ action: 'create', eventId: `${dialect}-ev-${i}`, assetKey, nodeId: 'wo', body, event: { i }, occurredAt: t0 });
      }
    }
    const done = (): boolean => [...boxes.values()].every((b) => b.results.length === EVENTS);
    await vt.until('every event delivered', done, 24 * 3600_000);
    vt.onFire = () => undefined;
    sim.faults.clear();

    const kinds: Record<string, number> = {};
    for (const r of sim.requests()) {
      const kind = r.fault === 'status' ? `status ${r.status}` : r.fault;
      if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    const total = sim.requests().length;
    const faulted = Object.entries(kinds).reduce((n, [k, v]) => (k === 'latency' ? n : n + v), 0);
    for (const k of ['status 500', 'status 503', 'status 429', 'reset', 'commit-then-drop', 'slow-body', 'hang']) assert.ok(kinds[k] > 0, `no ${k} fault hit: ${JSON.stringify(kinds)}`);
    assert.ok(faulted / total > 0.4 && faulted / total < 0.6, `${faulted} of ${total} requests faulted`);

    for (const [dialect, { outbox, file, results }] of boxes) {
      assert.deepEqual(results.filter((r) => r.outcome !== 'created' && r.outcome !== 'existing').map((r) => `${r.eventId} ${r.outcome}: ${r.error}`), [], `${dialect}: every event sent`);
      assert.equal(new Set(results.map((r) => r.eventId)).size, EVENTS);
      const refs = sim.workOrders(dialect).map((w) => w.ref);
      assert.equal(refs.length, EVENTS, `${dialect}: ${refs.length} work orders for ${EVENTS} events`);
      assert.equal(new Set(refs).size, EVENTS, `${dialect}: one work order per event`);
      assert.equal(outbox.getMetrics().pending, 0);
      outbox.close();
      assert.equal(integrity(file), 'ok');
    }

    const hints = wire.hints.map((h) => h.header.split(':')[0].toLowerCase());
    for (const h of ['retry-after', 'x-ratelimit-reset', 'x-rate-limit-reset']) assert.ok(hints.includes(h), `no ${h} answer seen`);
    assert.ok(wire.hints.some((h) => /GMT/.test(h.header) && h.notBefore - h.at >= 1000), 'an HTTP-date Retry-After in the future was given');
    assert.deepEqual(wire.earlyRequests().map(({ hint, request }) =>
      `${request.method} ${request.path} at +${request.at - hint.at} ms after "${hint.header}" (${hint.status})`), [], 'no request before its Retry-After');

    const peak = wire.peakConcurrency();
    for (const dialect of DIALECTS) {
      assert.ok(peak[dialect] <= CONCURRENCY, `${dialect}: ${peak[dialect]} requests open at once`);
      assert.equal(peak[dialect], CONCURRENCY, `${dialect}: the limit was reached, so the check means something`);
    }
    console.log(`      matrix: ${total} requests, ${faulted} faulted ${JSON.stringify(kinds)}; ${wire.hints.length} waits asked; peak open ${JSON.stringify(peak)}; ${((vt.now() - t0) / 60_000).toFixed(1)} min virtual`);
  });
});

// The same event 10 000 times, with the outbox closed and reopened on the same file halfway
// through while that event's create is on the wire (the CMMS committed it, the answer never
// came), and other events delivered in between: one work order. Real time, real client, simulator.
import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxResult } from '../../nodes/core/outbox';
import { startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { integrity, simConfig } from './outbox-virtual';
import { until } from '../support/wait';

const FLOOD = 'BEDFORD.PUMP-101.vib-hh.ep-1';

function item(eventId: string, assetKey: string): EnqueueInput {
  return { action: 'create', eventId, assetKey, nodeId: 'wo', body: { title: `Vibration high-high (${eventId})` }, event: { eventId }, occurredAt: Date.now() };
}

const refOf = (body: unknown): string | undefined => (body as { externalData?: { millwrightEventId?: string } } | null)?.externalData?.millwrightEventId;

describe('the same event 10 000 times across a restart (real time, simulator)', function () {
  this.timeout(60_000);
  let sim: CmmsSim;
  let dir: string;
  const clients: CmmsClient[] = [];
  const boxes: Outbox[] = [];

  before(async () => {
    sim = await startCmmsSim({ seed: 13 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outbox-flood-'));
  });

  after(async () => {
    for (const b of boxes) {
      await b.stop(0);
      b.close();
    }
    for (const c of clients) c.close();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function open(file: string, results: OutboxResult[]): Outbox {
    const client = createCmmsClient({ ...simConfig('maintainx', sim.url), timeoutMs: 30_000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } });
    clients.push(client);
    const box = new Outbox({ file, connection: 'maintainx', client, leaseMs: 1500, backoffBaseMs: 50, backoffCapMs: 400 });
    box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
    box.start();
    boxes.push(box);
    return box;
  }

  /** 5 000 copies of the flood event, with another event every 100 and a pause for deliveries every 500. */
  async function flood(box: Outbox, round: string, counts: Record<string, number>): Promise<void> {
    for (let i = 0; i < 5000; i++) {
      const r = box.enqueue(item(FLOOD, 'BEDFORD/PUMP-101'));
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      if (i % 100 === 0) box.enqueue(item(`${round}-other-${i / 100}`, `asset-${i / 100}`));
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('makes one work order, adopted after the restart by lookup, never a second create', async () => {
    const file = path.join(dir, 'outbox.db');
    const counts: Record<string, number> = {};
    // The flood event's create is committed at once but answered only after a minute: it is on the wire at the restart.
    sim.faults.add({ dialect: 'maintainx', method: 'POST', pathIncludes: '/v1/workorders', kind: 'latency', delayMs: 60_000, times: 1 });

    const firstResults: OutboxResult[] = [];
    const first = open(file, firstResults);
    await flood(first, 'a', counts);
    await until('the 50 other events of the first half', () => firstResults.length === 50);
    assert.ok(firstResults.every((r) => r.outcome === 'created' && r.eventId !== FLOOD));
    assert.equal(sim.workOrders('maintainx').filter((w) => w.ref?.includes(referenceFor('maintainx', FLOOD))).length, 1, 'the CMMS has committed the flood event');
    const { unfinished } = await first.stop(100);
    assert.equal(unfinished, 1, 'the flood create was in flight at shutdown');
    first.close();
    clients[0].close();

    const secondResults: OutboxResult[] = [];
    const second = open(file, secondResults);
    await flood(second, 'b', counts);
    await until('the flood event and the 50 others of the second half', () => secondResults.length === 51).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify({ results: secondResults.length, flood: secondResults.filter((r) => r.eventId === FLOOD), m: second.getMetrics(), q: [...second.admin.queue('pending'), ...second.admin.queue('inflight'), ...second.admin.queue('retry-wait')] })}`);
    });
    const floodResult = secondResults.find((r) => r.eventId === FLOOD);
    const [wo] = sim.workOrders('maintainx').filter((w) => w.ref?.includes(referenceFor('maintainx', FLOOD)));
    assert.equal(floodResult?.outcome, 'existing', 'adopted by lookup after the restart');
    assert.equal(floodResult?.workOrderId, wo.id);
    assert.equal(second.enqueue(item(FLOOD, 'BEDFORD/PUMP-101')).outcome, 'existing');

    assert.equal(counts.queued, 1, `outcomes of 10 000 enqueues: ${JSON.stringify(counts)}`);
    assert.equal((counts['duplicate-pending'] ?? 0) + (counts.existing ?? 0), 9999);
    const floodPosts = sim.requests().filter((r) => r.method === 'POST' && refOf(r.body) === referenceFor('maintainx', FLOOD));
    assert.equal(floodPosts.length, 1, 'one create on the wire for the flood event');
    const refs = sim.workOrders('maintainx').map((w) => w.ref);
    assert.equal(refs.length, 101, 'the flood event and 100 others');
    assert.equal(new Set(refs).size, 101);
    second.close();
    assert.equal(integrity(file), 'ok');
  });
});

// Issue 14 item 10: a backlog drains oldest first across assets when the request budget is the
// bottleneck. Requests of several items wait on the token bucket at once (each create is a lookup
// GET, then the POST); the request of the attempt that began first must take the next token, so the
// CMMS sees the creates in the order the events were enqueued. Without the ticket order in
// nodes/core/cmms/rate.ts the waiters race for tokens and younger creates overtake older ones.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient } from '../../nodes/core/cmms';
import { Outbox, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { until } from '../support/wait';

describe('the whole drain is oldest first under the rate limit (issue 14 item 10)', function () {
  this.timeout(60_000);
  let sim: CmmsSim;
  let dir: string;
  let box: Outbox | undefined;
  let client: CmmsClient | undefined;

  before(async () => { sim = await startCmmsSim({ seed: 10 }); });
  after(async () => { await sim.stop(); });
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-drain-fifo-')); });
  afterEach(async () => {
    if (box) { await box.stop(1000); box.close(); }
    client?.close();
    sim.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates for six assets reach the CMMS in enqueue order with a budget of one request per 60 ms', async () => {
    client = createCmmsClient({
      dialect: 'rest', baseUrl: `${sim.url}/rest`, auth: { kind: 'bearer', token: SIM_CREDENTIALS.rest.token },
      timeoutMs: 5000, rate: { perMinute: 1000, burst: 1, concurrency: 4 },
    });
    box = new Outbox({ file: path.join(dir, 'outbox.db'), connection: 'rest', client, backoffBaseMs: 50, backoffCapMs: 400, concurrency: 4 });
    const results: OutboxResult[] = [];
    box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
    box.open();
    const order: string[] = [];
    for (let i = 0; i < 18; i++) {
      const eventId = `ev-fifo-${String(i).padStart(2, '0')}`;
      order.push(eventId);
      box.enqueue({ action: 'create', eventId, assetKey: `ASSET-${i % 6}`, nodeId: 'wo-node', body: { title: eventId }, event: { eventId }, occurredAt: Date.now() });
    }
    // The backlog is all there before delivery starts, as after an outage.
    box.start();
    await until('all delivered', () => results.length === order.length, 45_000);
    const seen = sim.requests().filter((r) => r.method === 'POST' && r.path === '/rest/workorders')
      .map((r) => String((r.body as Record<string, unknown> | undefined)?.title ?? ''));
    assert.deepEqual(seen, order, 'creates in enqueue order');
  });
});

// Issue 14 item 1: a repeated event finds its work order, whatever this outbox remembers. Each
// case delivers an event, lets the CMMS's own replay guard run out (Maximo's transactionid
// window), then sends the same event again through an outbox whose history cannot vouch for it:
// a second mw-cmms connection, a recreated node (new outbox file), a moved-aside outbox, and a
// replay after the sent history was pruned. Every dialect must answer with the one work order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxOptions, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type Dialect } from '../../sim/cmms';
import { until } from '../support/wait';

interface Setup { config: (url: string) => CmmsConfig; body: Record<string, unknown>; createPath: string }

const ONCE_SETUPS: Record<Dialect, Setup> = {
  maximo: {
    config: (url) => ({ dialect: 'maximo', baseUrl: url, auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD' } }),
    body: { description: 'HiHi vibration', assetnum: 'PUMP-101' },
    createPath: '/maximo/api/os/mxapiwodetail',
  },
  servicenow: {
    config: (url) => ({ dialect: 'servicenow', baseUrl: url, auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } }),
    body: { short_description: 'HiHi vibration' },
    createPath: '/api/now/table/incident',
  },
  maintainx: {
    config: (url) => ({ dialect: 'maintainx', baseUrl: url, auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } }),
    body: { title: 'HiHi vibration' },
    createPath: '/v1/workorders',
  },
  rest: {
    config: (url) => ({ dialect: 'rest', baseUrl: `${url}/rest`, auth: { kind: 'bearer', token: SIM_CREDENTIALS.rest.token } }),
    body: { title: 'HiHi vibration' },
    createPath: '/rest/workorders',
  },
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('exactly one work order when the local history cannot vouch for an event (issue 14 item 1)', function () {
  this.timeout(30_000);
  let sim: CmmsSim;
  let simShift = 0;
  let dir: string;
  const open: { box: Outbox; client: CmmsClient }[] = [];

  before(async () => { sim = await startCmmsSim({ seed: 5, now: () => Date.now() + simShift }); });
  after(async () => { await sim.stop(); });
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-once-')); simShift = 0; });
  afterEach(async () => {
    for (const o of open.splice(0)) await shut(o);
    sim.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function shut(o: { box: Outbox; client: CmmsClient }): Promise<void> {
    await o.box.stop(1000);
    o.box.close();
    o.client.close();
  }

  function start(dialect: Dialect, file: string, results: OutboxResult[], opts: Partial<OutboxOptions> = {}): { box: Outbox; client: CmmsClient } {
    const client = createCmmsClient({ ...ONCE_SETUPS[dialect].config(sim.url), timeoutMs: 2000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } });
    const box = new Outbox({ file: path.join(dir, file), connection: dialect, client, backoffBaseMs: 50, backoffCapMs: 400, ...opts });
    box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
    box.start();
    const o = { box, client };
    open.push(o);
    return o;
  }

  const event = (dialect: Dialect, eventId: string): EnqueueInput => ({
    action: 'create', eventId, assetKey: 'PUMP-101', nodeId: 'wo-node', body: ONCE_SETUPS[dialect].body, event: { eventId }, occurredAt: Date.now(),
  });
  const creates = (dialect: Dialect): number => sim.requests().filter((r) => r.method === 'POST' && r.path === ONCE_SETUPS[dialect].createPath).length;

  /** Delivers the event once through a first outbox and returns the work order id. */
  async function first(dialect: Dialect, file: string, eventId: string): Promise<{ o: { box: Outbox; client: CmmsClient }; id: string }> {
    const results: OutboxResult[] = [];
    const o = start(dialect, file, results);
    o.box.enqueue(event(dialect, eventId));
    await until('the first work order', () => results.length === 1);
    assert.equal(results[0].outcome, 'created');
    // The CMMS's replay guard (transactionid: minutes) is long gone when the repeat comes.
    simShift += HOUR;
    return { o, id: results[0].workOrderId! };
  }

  async function repeat(dialect: Dialect, o: { box: Outbox }, results: OutboxResult[], eventId: string, id: string): Promise<void> {
    const before = creates(dialect);
    assert.equal(o.box.enqueue(event(dialect, eventId)).outcome, 'queued', 'the local history does not know the event');
    await until('the repeat', () => results.length === 1);
    assert.equal(results[0].outcome, 'existing');
    assert.equal(results[0].workOrderId, id);
    assert.equal(sim.workOrders(dialect).length, 1, 'exactly one work order');
    assert.equal(creates(dialect), before, 'the repeat found the work order without sending a create');
    const calls = o.box.admin.auditLog().map((a) => [a.call, a.outcome]);
    assert.deepEqual(calls.at(-1), ['findByReference', 'found']);
  }

  for (const dialect of ['maximo', 'servicenow', 'maintainx', 'rest'] as const) {
    describe(dialect, () => {
      it('a second mw-cmms connection to the same CMMS', async () => {
        const { id } = await first(dialect, 'conn-a.db', `ev-${dialect}-second-connection`);
        const results: OutboxResult[] = [];
        await repeat(dialect, start(dialect, 'conn-b.db', results), results, `ev-${dialect}-second-connection`, id);
      });

      it('a recreated mw-cmms node (new node id, new outbox file)', async () => {
        const { o, id } = await first(dialect, 'outbox-old-id.db', `ev-${dialect}-recreated`);
        await shut(open.splice(open.indexOf(o), 1)[0]);
        const results: OutboxResult[] = [];
        await repeat(dialect, start(dialect, 'outbox-new-id.db', results), results, `ev-${dialect}-recreated`, id);
      });

      it('a moved-aside outbox file', async () => {
        const { o, id } = await first(dialect, 'outbox.db', `ev-${dialect}-moved`);
        await shut(open.splice(open.indexOf(o), 1)[0]);
        fs.renameSync(path.join(dir, 'outbox.db'), path.join(dir, 'outbox.db.broken'));
        for (const f of fs.readdirSync(dir)) if (/^outbox\.db-(wal|shm)$/.test(f)) fs.renameSync(path.join(dir, f), path.join(dir, `${f}.broken`));
        const results: OutboxResult[] = [];
        await repeat(dialect, start(dialect, 'outbox.db', results), results, `ev-${dialect}-moved`, id);
      });

      it('an event replayed after the sent history was pruned (7-day retention)', async () => {
        let shift = 0;
        const results: OutboxResult[] = [];
        const o = start(dialect, 'outbox.db', results, { now: () => Date.now() + shift, housekeepingMs: 50 });
        const eventId = `ev-${dialect}-after-retention`;
        o.box.enqueue(event(dialect, eventId));
        await until('the first work order', () => results.length === 1);
        assert.equal(results[0].outcome, 'created');
        const id = results[0].workOrderId!;
        assert.equal(o.box.enqueue(event(dialect, eventId)).outcome, 'existing', 'within retention the history answers');
        shift += 8 * DAY;
        simShift += 8 * DAY;
        await until('housekeeping prunes the sent row', () => o.box.admin.queue('sent').length === 0);
        results.length = 0;
        await repeat(dialect, o, results, eventId, id);
      });
    });
  }
});

// Issue 14 item 12: before a close or a note uses the work order this outbox remembers for an
// event, the work order at that id must still carry our reference. Here a CMMS user re-keys the
// work order (it now belongs to something else) after the create; the note must not land on it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type Dialect } from '../../sim/cmms';
import type { SimWorkOrder } from '../../sim/cmms/types';
import { until } from '../support/wait';

const SETUPS: Record<Dialect, { config: (url: string) => CmmsConfig; body: Record<string, unknown> }> = {
  maximo: {
    config: (url) => ({ dialect: 'maximo', baseUrl: url, auth: { kind: 'apikey', header: 'apikey', key: SIM_CREDENTIALS.maximo.apiKey }, maximo: { siteId: 'BEDFORD' } }),
    body: { description: 'HiHi vibration', assetnum: 'PUMP-101' },
  },
  servicenow: {
    config: (url) => ({ dialect: 'servicenow', baseUrl: url, auth: { kind: 'basic', username: 'admin', password: SIM_CREDENTIALS.servicenow.password } }),
    body: { short_description: 'HiHi vibration' },
  },
  maintainx: {
    config: (url) => ({ dialect: 'maintainx', baseUrl: url, auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token } }),
    body: { title: 'HiHi vibration' },
  },
  rest: {
    config: (url) => ({ dialect: 'rest', baseUrl: `${url}/rest`, auth: { kind: 'bearer', token: SIM_CREDENTIALS.rest.token } }),
    body: { title: 'HiHi vibration' },
  },
};

/** A CMMS user gives the work order another reference, through the vendor's own API. */
async function rekey(sim: CmmsSim, wo: SimWorkOrder): Promise<void> {
  const json = { 'content-type': 'application/json' };
  let res: Response;
  switch (wo.dialect) {
    case 'maximo':
      res = await fetch(hrefOfMaximo(sim, wo), {
        method: 'POST', headers: { ...json, apikey: SIM_CREDENTIALS.maximo.apiKey, 'x-method-override': 'PATCH' }, body: JSON.stringify({ externalrefid: 'OTHERREF01' }),
      });
      break;
    case 'servicenow':
      res = await fetch(`${sim.url}/api/now/table/incident/${wo.id}`, {
        method: 'PATCH', headers: { ...json, authorization: `Basic ${Buffer.from(`admin:${SIM_CREDENTIALS.servicenow.password}`).toString('base64')}` },
        body: JSON.stringify({ correlation_id: 'someone-else' }),
      });
      break;
    case 'maintainx':
      res = await fetch(`${sim.url}/v1/workorders/${wo.id}`, {
        method: 'PATCH', headers: { ...json, authorization: `Bearer ${SIM_CREDENTIALS.maintainx.token}` },
        body: JSON.stringify({ externalData: { millwrightEventId: 'someone-else' }, description: 'Reused for a different job' }),
      });
      break;
    default:
      res = await fetch(`${sim.url}/rest/workorders/${wo.id}`, {
        method: 'PATCH', headers: { ...json, authorization: `Bearer ${SIM_CREDENTIALS.rest.token}` }, body: JSON.stringify({ reference: 'someone-else' }),
      });
  }
  assert.ok(res.ok, `re-keyed (${res.status})`);
}

function hrefOfMaximo(sim: CmmsSim, wo: SimWorkOrder): string {
  const restId = `_${Buffer.from(`${wo.id}/${String(wo.fields.siteid)}`).toString('base64').replace(/=/g, '-').replace(/\//g, '_')}`;
  return `${sim.url}/maximo/api/os/mxapiwodetail/${restId}?lean=1`;
}

/** Every note on a simulated work order, whichever way the dialect keeps them. */
function notesOf(wo: SimWorkOrder): string[] {
  const rows = (k: string): Record<string, unknown>[] => (Array.isArray(wo.fields[k]) ? wo.fields[k] as Record<string, unknown>[] : []);
  if (wo.dialect === 'maximo') return rows('worklog').map((r) => String(r.description_longdescription ?? r.description));
  if (wo.dialect === 'servicenow') return rows('_journal').map((r) => String(r.value));
  if (wo.dialect === 'maintainx') return rows('comments').map((r) => String(r.content));
  return typeof wo.fields.note === 'string' ? [wo.fields.note] : [];
}

describe('a cached work order is checked before a note or close uses it (issue 14 item 12)', function () {
  this.timeout(30_000);
  let sim: CmmsSim;
  let dir: string;
  let box: Outbox | undefined;
  let client: CmmsClient | undefined;

  before(async () => { sim = await startCmmsSim({ seed: 12 }); });
  after(async () => { await sim.stop(); });
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cached-ref-')); });
  afterEach(async () => {
    if (box) { await box.stop(1000); box.close(); }
    client?.close();
    box = undefined;
    client = undefined;
    sim.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(dialect: Dialect, results: OutboxResult[]): Outbox {
    client = createCmmsClient({ ...SETUPS[dialect].config(sim.url), timeoutMs: 2000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } });
    box = new Outbox({ file: path.join(dir, 'outbox.db'), connection: dialect, client, backoffBaseMs: 50, backoffCapMs: 400 });
    box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
    box.start();
    return box;
  }

  const item = (eventId: string, action: EnqueueInput['action'], body: Record<string, unknown>): EnqueueInput => ({
    action, eventId, assetKey: 'PUMP-101', nodeId: 'wo-node', body, event: { eventId }, occurredAt: Date.now(),
  });

  async function created(dialect: Dialect, o: Outbox, results: OutboxResult[], eventId: string): Promise<SimWorkOrder> {
    o.enqueue(item(eventId, 'create', SETUPS[dialect].body));
    await until('the work order', () => results.length === 1);
    assert.equal(results[0].outcome, 'created');
    const wo = sim.workOrders(dialect).find((w) => w.id === results[0].workOrderId || w.fields.wonum === results[0].workOrderId);
    assert.ok(wo);
    return wo;
  }

  for (const dialect of ['maximo', 'servicenow', 'maintainx', 'rest'] as const) {
    describe(dialect, () => {
      it('the remembered work order still carries our reference: the note lands there, read by its API id', async () => {
        const results: OutboxResult[] = [];
        const o = start(dialect, results);
        const wo = await created(dialect, o, results, `ev-${dialect}-cached-ok`);
        o.enqueue(item(`ev-${dialect}-cached-ok`, 'update', { note: 'Escalated: still high' }));
        await until('the note is sent', () => o.admin.queue('sent').length === 2);
        const after = sim.workOrders(dialect).find((w) => w.id === wo.id)!;
        assert.equal(notesOf(after).filter((n) => n.includes('Escalated: still high')).length, 1);
        const calls = o.admin.auditLog().map((a) => `${a.call}:${a.outcome}`);
        assert.ok(calls.includes('getWorkOrder:ours'), calls.join(', '));
        // Read through the API, never through the link for people (ServiceNow nav_to.do, MaintainX web app).
        assert.ok(!sim.requests().some((r) => r.path.includes('nav_to.do')));
      });

      it('the remembered work order was re-keyed: no note lands on it, the item is a dead letter', async () => {
        const results: OutboxResult[] = [];
        const o = start(dialect, results);
        const wo = await created(dialect, o, results, `ev-${dialect}-cached-rekeyed`);
        await rekey(sim, wo);
        o.enqueue(item(`ev-${dialect}-cached-rekeyed`, 'update', { note: 'Escalated: still high' }));
        o.enqueue(item(`ev-${dialect}-cached-rekeyed`, 'close', { status: 'done', note: 'Cleared: normal again' }));
        await until('both are dead letters', () => o.admin.queue('dead').length === 2);
        const after = sim.workOrders(dialect).find((w) => w.id === wo.id)!;
        assert.deepEqual(notesOf(after).filter((n) => /Escalated|Cleared/.test(n)), [], 'nothing landed on the other work order');
        assert.notEqual(after.status, { maximo: 'COMP', servicenow: '6', maintainx: 'DONE', rest: 'done' }[dialect], 'it was not closed');
        for (const d of o.admin.queue('dead')) assert.match(d.error ?? '', /no work order exists/);
      });
    });
  }
});

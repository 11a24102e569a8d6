// Issue 14 item 12: before a close or a note uses the work order this outbox remembers for an
// event, the work order at that id must still carry our reference. Here a CMMS user re-keys the
// work order (it now belongs to something else) after the create; the note must not land on it.
import assert from 'node:assert/strict';
import type { OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import type { SimWorkOrder } from '../../sim/cmms/types';
import { dialectHarness, notesOf, outboxItem } from '../support/outbox-dialects';
import { until } from '../support/wait';

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

describe('a cached work order is checked before a note or close uses it (issue 14 item 12)', function () {
  this.timeout(30_000);
  const h = dialectHarness(12, 'mw-cached-ref-');
  const item = outboxItem;

  for (const dialect of ['maximo', 'servicenow', 'maintainx', 'rest'] as const) {
    describe(dialect, () => {
      it('the remembered work order still carries our reference: the note lands there, read by its API id', async () => {
        const results: OutboxResult[] = [];
        const o = h.start(dialect, results);
        const wo = await h.created(dialect, o, results, `ev-${dialect}-cached-ok`);
        o.enqueue(item(`ev-${dialect}-cached-ok`, 'update', { note: 'Escalated: still high' }));
        await until('the note is sent', () => o.admin.queue('sent').length === 2);
        const after = h.sim.workOrders(dialect).find((w) => w.id === wo.id)!;
        assert.equal(notesOf(after).filter((n) => n.includes('Escalated: still high')).length, 1);
        const calls = o.admin.auditLog().map((a) => `${a.call}:${a.outcome}`);
        assert.ok(calls.includes('getWorkOrder:ours'), calls.join(', '));
        // Read through the API, never through the link for people (ServiceNow nav_to.do, MaintainX web app).
        assert.ok(!h.sim.requests().some((r) => r.path.includes('nav_to.do')));
      });

      it('the remembered work order was re-keyed: no note lands on it, the item is a dead letter', async () => {
        const results: OutboxResult[] = [];
        const o = h.start(dialect, results);
        const wo = await h.created(dialect, o, results, `ev-${dialect}-cached-rekeyed`);
        await rekey(h.sim, wo);
        o.enqueue(item(`ev-${dialect}-cached-rekeyed`, 'update', { note: 'Escalated: still high' }));
        o.enqueue(item(`ev-${dialect}-cached-rekeyed`, 'close', { status: 'done', note: 'Cleared: normal again' }));
        await until('both are dead letters', () => o.admin.queue('dead').length === 2);
        const after = h.sim.workOrders(dialect).find((w) => w.id === wo.id)!;
        assert.deepEqual(notesOf(after).filter((n) => /Escalated|Cleared/.test(n)), [], 'nothing landed on the other work order');
        assert.notEqual(after.status, { maximo: 'COMP', servicenow: '6', maintainx: 'DONE', rest: 'done' }[dialect], 'it was not closed');
        for (const d of o.admin.queue('dead')) assert.match(d.error ?? '', /no work order exists/);
      });
    });
  }
});

// The audit log records every CMMS request the outbox makes, with its HTTP method, path and status,
// and no secret: with the real client against the simulator, and through the mw-cmms node's wiring
// and admin endpoints.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { referenceFor } from '../../nodes/core/cmms/reference';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { Outbox, type AuditRecord, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { helper, nodeModule } from '../support/node-red';
import { until } from '../support/wait';

const MAXIMO_KEY = SIM_CREDENTIALS.maximo.apiKey;
const REST_TOKEN = SIM_CREDENTIALS.rest.token;
const QUERY_SECRET = 'query-secret-4711';
const WO_PATH = '/maximo/api/os/mxapiwodetail';

const row = (a: AuditRecord): string => `${a.call} ${a.method} ${a.path} ${a.status} ${a.outcome}`;

describe('outbox audit log of HTTP requests', function () {
  this.timeout(30_000);
  let sim: CmmsSim;
  let dir: string;

  before(async () => { sim = await startCmmsSim({ seed: 9 }); });
  after(async () => { await sim.stop(); });
  beforeEach(() => {
    sim.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outbox-audit-'));
  });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  describe('engine with the real client', () => {
    let client: CmmsClient;
    let outbox: Outbox;
    let results: OutboxResult[];

    function start(config: CmmsConfig): void {
      results = [];
      let box: Outbox | null = null;
      client = createCmmsClient({ ...config, timeoutMs: 2000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } }, { onOutcome: (o) => box?.observe(o) });
      box = new Outbox({ file: path.join(dir, 'outbox.db'), connection: config.dialect, client, backoffBaseMs: 20, backoffCapMs: 100 });
      box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
      box.start();
      outbox = box;
    }

    afterEach(async () => {
      await outbox.stop(1000);
      outbox.close();
      client.close();
    });

    it('Maximo: each request of a create, an ambiguous retry and an escalation, with method, path and status', async () => {
      start({ dialect: 'maximo', baseUrl: sim.url, auth: { kind: 'apikey', header: 'apikey', key: MAXIMO_KEY }, maximo: { siteId: 'BEDFORD', orgId: 'EAGLENA' } });
      outbox.enqueue({ action: 'create', eventId: 'ev-1', assetKey: 'P-1', nodeId: 'wo', body: { description: 'Bearing temperature high' }, event: {}, occurredAt: Date.now() });
      await until('the create', () => results.length === 1);
      sim.faults.add({ dialect: 'maximo', method: 'POST', kind: 'commit-then-drop', times: 1 });
      outbox.enqueue({ action: 'create', eventId: 'ev-2', assetKey: 'P-2', nodeId: 'wo', body: { description: 'Seal leak' }, event: {}, occurredAt: Date.now() });
      await until('the second create', () => results.length === 2);
      outbox.enqueue({ action: 'update', eventId: 'ev-1', assetKey: 'P-1', nodeId: 'wo', body: { priority: 1, note: 'now critical' }, event: {}, occurredAt: Date.now() });
      await until('the escalation', () => results.length === 3);

      const log = outbox.admin.auditLog();
      // Every create is preceded by a lookup by reference (issue 14 item 1).
      assert.deepEqual([log[0].call, log[0].method, log[0].status, log[0].outcome], ['findByReference', 'GET', 200, 'not-found']);
      const first = log[1];
      assert.equal(first.call, 'createWorkOrder');
      assert.equal(first.method, 'POST');
      assert.equal(first.path, `${WO_PATH}?lean=1`);
      assert.equal(first.status, 201);
      assert.equal(first.outcome, 'created');
      assert.equal(first.eventId, 'ev-1');
      assert.equal(first.attempt, 1);
      assert.ok(first.latencyMs >= 0 && first.at > 0);

      const ev2 = outbox.admin.auditLog({ eventId: 'ev-2' });
      assert.deepEqual(ev2.map((a) => [a.call, a.method, a.status, a.outcome, a.errorClass, a.attempt]), [
        ['findByReference', 'GET', 200, 'not-found', null, 1],
        ['createWorkOrder', 'POST', null, 'error', 'transient/ambiguous', 1],
        ['findByReference', 'GET', 200, 'found', null, 2],
      ]);
      assert.ok((ev2[2].path ?? '').startsWith(`/maximo/api/os/mxapiwodetail?lean=1&oslc.where=externalrefid%3D%22${referenceFor('maximo', 'ev-2')}%22`), ev2[2].path ?? '');

      const update = log.filter((a) => a.call === 'updateWorkOrder');
      assert.equal(update.length, 1);
      assert.equal(update[0].method, 'POST');
      assert.match(update[0].path ?? '', /^\/maximo\/api\/os\/mxapiwodetail\/[^?]+\?lean=1$/);
      assert.ok(update[0].status !== null && update[0].status >= 200 && update[0].status < 300, row(update[0]));

      const exported = [...outbox.admin.exportAudit()].join('');
      assert.ok(!exported.includes(MAXIMO_KEY), 'no API key in the audit export');
      assert.ok(!/apikey|authorization/i.test(exported), 'no auth header names either');
    });

    it('REST: a credential in a query parameter is replaced by *** in the recorded path', async () => {
      start({
        dialect: 'rest', baseUrl: `${sim.url}/rest`, auth: { kind: 'bearer', token: REST_TOKEN },
        rest: { findPath: `/workorders?reference={reference}&access_token=${QUERY_SECRET}` },
      });
      sim.faults.add({ dialect: 'rest', method: 'POST', kind: 'commit-then-drop', times: 1 });
      outbox.enqueue({ action: 'create', eventId: 'ev-q', assetKey: 'P-1', nodeId: 'wo', body: { title: 'Motor current high' }, event: {}, occurredAt: Date.now() });
      await until('the create', () => results.length === 1);
      const lookup = outbox.admin.auditLog().find((a) => a.call === 'findByReference');
      assert.equal(lookup?.path, `/rest/workorders?reference=${referenceFor('rest', 'ev-q')}&access_token=***`);
      assert.equal(lookup?.status, 200);
      const exported = [...outbox.admin.exportAudit()].join('');
      assert.ok(!exported.includes(QUERY_SECRET) && !exported.includes(REST_TOKEN), exported);
    });
  });

  describe('through the mw-cmms node', () => {
    const flow = () => [
      { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey', siteId: 'BEDFORD', orgId: 'EAGLENA' },
      { id: 'wo1', type: 'mw-work-order', cmms: 'conn1', wires: [['ok'], []] },
      { id: 'ok', type: 'helper' },
    ];

    beforeEach((done) => {
      helper.settings({ userDir: dir });
      helper.startServer(done);
    });
    afterEach(async () => {
      await helper.unload();
      await new Promise<void>((r) => helper.stopServer(() => r()));
      helper.settings({});
    });

    it('keeps the outbox\'s own requests (not the health probes), readable and exportable over the admin API without the key', async () => {
      await helper.load([nodeModule('mw-cmms'), nodeModule('mw-work-order')] as never, flow(), { conn1: { apiKey: MAXIMO_KEY } });
      const ok = helper.getNode('ok') as unknown as EventEmitter;
      const created = new Promise<void>((resolve) => ok.on('input', (m: { payload: { outcome?: string } }) => { if (m.payload.outcome === 'created') resolve(); }));
      const event: MaintenanceEvent = {
        kind: 'alarm', state: 'raised', eventId: 'BEDFORD.PUMP-101.vib-hh.audit-1', episodeId: 'ep-1', ruleId: 'vib-hh',
        asset: { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101' },
        metric: 'vibration', value: 13.1, limit: 12.5, level: 'HH', severity: 'high', priority: 2,
        summary: 'Vibration high-high on PUMP-101', details: {}, occurredAt: new Date().toISOString(),
      };
      helper.getNode('wo1').receive({ payload: event } as never);
      await created;
      await until('a health probe of the connection', () => sim.requests().some((r) => r.path.endsWith('/whoami')));

      const res = await helper.request().get('/mw-outbox/conn1/audit').expect(200);
      const log = res.body as AuditRecord[];
      assert.equal(log.length, 2, log.map(row).join('\n'));
      assert.ok(row(log[0]).startsWith(`findByReference GET ${WO_PATH}?lean=1&oslc.where=externalrefid%3D%22`) && row(log[0]).endsWith(' 200 not-found'), row(log[0]));
      assert.equal(row(log[1]), `createWorkOrder POST ${WO_PATH}?lean=1 201 created`);
      const exported = await helper.request().get('/mw-outbox/conn1/audit/export').expect(200);
      assert.match(exported.text, /"method":"POST"/);
      assert.ok(!exported.text.includes(MAXIMO_KEY));
    });
  });
});

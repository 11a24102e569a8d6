// One outbox + CMMS client per dialect against the strict simulator, for the specs that drive the
// outbox directly (cmms-cached-ref, cmms-note-once): the same connection settings, the same event
// shape and the same "create and find it in the simulator" step, so the specs hold only their cases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type Dialect } from '../../sim/cmms';
import type { SimWorkOrder } from '../../sim/cmms/types';
import { until } from './wait';

const DIALECT_SETUPS: Record<Dialect, { config: (url: string) => CmmsConfig; body: Record<string, unknown> }> = {
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

/**
 * Every note on a simulated work order, whichever way the dialect keeps them: Maximo's work-log rows
 * (summary|long description), every ServiceNow journal entry, MaintainX comments, the REST note field.
 */
export function notesOf(wo: SimWorkOrder): string[] {
  const rows = (k: string): Record<string, unknown>[] => (Array.isArray(wo.fields[k]) ? wo.fields[k] as Record<string, unknown>[] : []);
  if (wo.dialect === 'maximo') return rows('worklog').map((r) => `${String(r.description)}|${String(r.description_longdescription ?? '')}`);
  if (wo.dialect === 'servicenow') return rows('_journal').map((r) => String(r.value));
  if (wo.dialect === 'maintainx') return rows('comments').map((r) => String(r.content));
  return typeof wo.fields.note === 'string' ? [wo.fields.note] : [];
}

export function outboxItem(eventId: string, action: EnqueueInput['action'], body: Record<string, unknown>): EnqueueInput {
  return { action, eventId, assetKey: 'PUMP-101', nodeId: 'wo-node', body, event: { eventId }, occurredAt: Date.now() };
}

interface DialectHarness {
  readonly sim: CmmsSim;
  /** A started outbox for `dialect` in a fresh directory; its non-queued results are pushed to `results`. */
  start(dialect: Dialect, results: OutboxResult[]): Outbox;
  /** Enqueues a create for `eventId`, waits for it and returns the simulator's work order. */
  created(dialect: Dialect, o: Outbox, results: OutboxResult[], eventId: string): Promise<SimWorkOrder>;
  current(dialect: Dialect, id: string): SimWorkOrder;
}

/** Registers mocha hooks (call inside a describe): one simulator for the suite, one outbox per test. */
export function dialectHarness(seed: number, dirPrefix: string): DialectHarness {
  let sim: CmmsSim | undefined;
  let dir = '';
  let box: Outbox | undefined;
  let client: CmmsClient | undefined;

  before(async () => { sim = await startCmmsSim({ seed }); });
  after(async () => { await sim?.stop(); });
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix)); });
  afterEach(async () => {
    if (box) { await box.stop(1000); box.close(); }
    client?.close();
    box = undefined;
    client = undefined;
    sim?.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const theSim = (): CmmsSim => {
    if (!sim) throw new Error('the simulator is not started yet (use the harness inside a test)');
    return sim;
  };
  return {
    get sim() { return theSim(); },
    start(dialect, results) {
      client = createCmmsClient({ ...DIALECT_SETUPS[dialect].config(theSim().url), timeoutMs: 2000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } });
      box = new Outbox({ file: path.join(dir, 'outbox.db'), connection: dialect, client, backoffBaseMs: 50, backoffCapMs: 400 });
      box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
      box.start();
      return box;
    },
    async created(dialect, o, results, eventId) {
      o.enqueue(outboxItem(eventId, 'create', DIALECT_SETUPS[dialect].body));
      await until('the work order', () => results.length === 1);
      assert.equal(results[0].outcome, 'created');
      const wo = theSim().workOrders(dialect).find((w) => w.id === results[0].workOrderId || w.fields.wonum === results[0].workOrderId);
      assert.ok(wo, 'the simulator holds the work order');
      return wo;
    },
    current: (dialect, id) => theSim().workOrders(dialect).find((w) => w.id === id)!,
  };
}

// Issue 14 item 2: a note (escalate, close note) whose request reached the CMMS but whose answer
// was lost is not sent a second time. The strict simulator appends like the real systems do —
// Maximo a work-log row per MERGE POST, ServiceNow a work note per update, MaintainX a comment
// per POST — so a blind resend shows up as a second entry, which is what these cases count.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { Outbox, type EnqueueInput, type OutboxResult } from '../../nodes/core/outbox';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim, type Dialect } from '../../sim/cmms';
import type { SimWorkOrder } from '../../sim/cmms/types';
import { until } from '../support/wait';

type NoteDialect = Exclude<Dialect, 'rest'>;
// REST is left out: its note is a field of a JSON merge patch (RFC 7396), which a resend replaces.
const ONCE_SETUPS: Record<NoteDialect, { config: (url: string) => CmmsConfig; body: Record<string, unknown> }> = {
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
};

/** Every note text on a simulated work order, whichever way the dialect keeps them. */
function notesOf(wo: SimWorkOrder): string[] {
  const rows = (k: string): Record<string, unknown>[] => (Array.isArray(wo.fields[k]) ? wo.fields[k] as Record<string, unknown>[] : []);
  if (wo.dialect === 'maximo') return rows('worklog').map((r) => `${String(r.description)}|${String(r.description_longdescription ?? '')}`);
  if (wo.dialect === 'servicenow') return rows('_journal').filter((r) => r.element === 'work_notes').map((r) => String(r.value));
  return rows('comments').map((r) => String(r.content));
}

/** The request that carries the note, where the fault cuts the answer off after the commit. */
const NOTE_REQUEST: Record<NoteDialect, { method: string; pathIncludes: string }> = {
  maximo: { method: 'POST', pathIncludes: '/os/mxapiwodetail/_' },
  servicenow: { method: 'PATCH', pathIncludes: '/api/now/table/incident/' },
  maintainx: { method: 'POST', pathIncludes: '/comments' },
};

describe('notes are not doubled after an ambiguous failure (issue 14 item 2)', function () {
  this.timeout(30_000);
  let sim: CmmsSim;
  let dir: string;
  let box: Outbox | undefined;
  let client: CmmsClient | undefined;

  before(async () => { sim = await startCmmsSim({ seed: 14 }); });
  after(async () => { await sim.stop(); });
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-note-once-')); });
  afterEach(async () => {
    if (box) { await box.stop(1000); box.close(); }
    client?.close();
    box = undefined;
    client = undefined;
    sim.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(dialect: NoteDialect, results: OutboxResult[]): Outbox {
    client = createCmmsClient({ ...ONCE_SETUPS[dialect].config(sim.url), timeoutMs: 2000, rate: { perMinute: 100_000, burst: 1000, concurrency: 4 } });
    box = new Outbox({ file: path.join(dir, 'outbox.db'), connection: dialect, client, backoffBaseMs: 50, backoffCapMs: 400 });
    box.on('result', (r) => { if (r.outcome !== 'queued') results.push(r); });
    box.start();
    return box;
  }

  const item = (eventId: string, action: EnqueueInput['action'], body: Record<string, unknown>): EnqueueInput => ({
    action, eventId, assetKey: 'PUMP-101', nodeId: 'wo-node', body, event: { eventId }, occurredAt: Date.now(),
  });

  async function created(dialect: NoteDialect, o: Outbox, results: OutboxResult[], eventId: string): Promise<SimWorkOrder> {
    o.enqueue(item(eventId, 'create', ONCE_SETUPS[dialect].body));
    await until('the work order', () => results.length === 1);
    assert.equal(results[0].outcome, 'created');
    const wo = sim.workOrders(dialect).find((w) => w.id === results[0].workOrderId || w.fields.wonum === results[0].workOrderId);
    assert.ok(wo, 'the simulator holds the work order');
    return wo;
  }

  const current = (dialect: Dialect, id: string): SimWorkOrder => sim.workOrders(dialect).find((w) => w.id === id)!;

  for (const dialect of ['maximo', 'servicenow', 'maintainx'] as const) {
    describe(dialect, () => {
      it('an escalate note whose answer was lost lands once', async () => {
        const results: OutboxResult[] = [];
        const o = start(dialect, results);
        const wo = await created(dialect, o, results, `ev-${dialect}-escalate`);
        const requestsBefore = sim.requests().length;
        sim.faults.add({ dialect, ...NOTE_REQUEST[dialect], kind: 'commit-then-drop', times: 1 });
        o.enqueue(item(`ev-${dialect}-escalate`, 'update', { note: 'Escalated: still in HiHi after 30 min' }));
        await until('the escalate is sent', () => o.admin.queue('sent').length === 2);
        const notes = notesOf(current(dialect, wo.id)).filter((n) => n.includes('Escalated: still in HiHi'));
        assert.equal(notes.length, 1, `one note, not a resent copy: ${JSON.stringify(notes)}`);
        assert.match(notes[0], /\[mw:[A-Z2-7]{16}\]/, 'the note carries its marker');
        const calls = o.admin.auditLog().map((a) => `${a.call}:${a.outcome}`);
        assert.ok(calls.includes('hasNote:found'), `the retry read the work order back first: ${calls.join(', ')}`);
        assert.ok(sim.requests().length > requestsBefore);
      });

      it('a close note whose answer was lost lands once and the work order is done', async () => {
        const results: OutboxResult[] = [];
        const o = start(dialect, results);
        const wo = await created(dialect, o, results, `ev-${dialect}-close`);
        sim.faults.add({ dialect, ...NOTE_REQUEST[dialect], kind: 'commit-then-drop', times: 1 });
        o.enqueue(item(`ev-${dialect}-close`, 'close', { status: 'done', note: 'Cleared: back to normal at 10:42' }));
        await until('the close is sent', () => o.admin.queue('sent').length === 2);
        const after = current(dialect, wo.id);
        const notes = notesOf(after).filter((n) => n.includes('Cleared: back to normal'));
        assert.equal(notes.length, 1, `one cleared note: ${JSON.stringify(notes)}`);
        assert.ok(['COMP', '6', 'DONE'].includes(after.status), `work order done, got ${after.status}`);
      });
    });
  }
});

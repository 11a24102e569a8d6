// Issue 14 item 2: a note (escalate, close note) whose request reached the CMMS but whose answer
// was lost is not sent a second time. The strict simulator appends like the real systems do —
// Maximo a work-log row per MERGE POST, ServiceNow a work note per update, MaintainX a comment
// per POST — so a blind resend shows up as a second entry, which is what these cases count.
import assert from 'node:assert/strict';
import type { OutboxResult } from '../../nodes/core/outbox';
import type { Dialect } from '../../sim/cmms';
import { dialectHarness, notesOf, outboxItem } from '../support/outbox-dialects';
import { until } from '../support/wait';

type NoteDialect = Exclude<Dialect, 'rest'>;
// REST is left out: its note is a field of a JSON merge patch (RFC 7396), which a resend replaces.

/** The request that carries the note, where the fault cuts the answer off after the commit. */
const NOTE_REQUEST: Record<NoteDialect, { method: string; pathIncludes: string }> = {
  maximo: { method: 'POST', pathIncludes: '/os/mxapiwodetail/_' },
  servicenow: { method: 'PATCH', pathIncludes: '/api/now/table/incident/' },
  maintainx: { method: 'POST', pathIncludes: '/comments' },
};

describe('notes are not doubled after an ambiguous failure (issue 14 item 2)', function () {
  this.timeout(30_000);
  const h = dialectHarness(14, 'mw-note-once-');
  const item = outboxItem;
  const current = h.current;

  for (const dialect of ['maximo', 'servicenow', 'maintainx'] as const) {
    describe(dialect, () => {
      it('an escalate note whose answer was lost lands once', async () => {
        const results: OutboxResult[] = [];
        const o = h.start(dialect, results);
        const wo = await h.created(dialect, o, results, `ev-${dialect}-escalate`);
        const requestsBefore = h.sim.requests().length;
        h.sim.faults.add({ dialect, ...NOTE_REQUEST[dialect], kind: 'commit-then-drop', times: 1 });
        o.enqueue(item(`ev-${dialect}-escalate`, 'update', { note: 'Escalated: still in HiHi after 30 min' }));
        await until('the escalate is sent', () => o.admin.queue('sent').length === 2);
        const notes = notesOf(current(dialect, wo.id)).filter((n) => n.includes('Escalated: still in HiHi'));
        assert.equal(notes.length, 1, `one note, not a resent copy: ${JSON.stringify(notes)}`);
        assert.match(notes[0], /\[mw:[A-Z2-7]{16}\]/, 'the note carries its marker');
        const calls = o.admin.auditLog().map((a) => `${a.call}:${a.outcome}`);
        assert.ok(calls.includes('hasNote:found'), `the retry read the work order back first: ${calls.join(', ')}`);
        assert.ok(h.sim.requests().length > requestsBefore);
      });

      it('a close note whose answer was lost lands once and the work order is done', async () => {
        const results: OutboxResult[] = [];
        const o = h.start(dialect, results);
        const wo = await h.created(dialect, o, results, `ev-${dialect}-close`);
        h.sim.faults.add({ dialect, ...NOTE_REQUEST[dialect], kind: 'commit-then-drop', times: 1 });
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

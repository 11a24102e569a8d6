// An outbox file written by the first schema (audit rows without the HTTP method) opens under the
// current one: migrated in place, old rows kept, queued items still delivered.
import assert from 'node:assert/strict';
import path from 'node:path';
import { SCHEMA_VERSION } from '../../nodes/core/outbox/schema';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { event, FakeClient, FakeClock, harness, tempDir } from './outbox-fakes';

describe('outbox schema migration', () => {
  it('upgrades a version 1 file: the audit log gains the method column, old rows and queued items survive', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'outbox-v1.db');
    try {
      // Write a file as version 1 would have: one delivered item with its audit row, one still queued.
      const first = harness({ file });
      first.outbox.start();
      first.outbox.enqueue(event('ev-old'));
      await first.clock.settle();
      const stopping = first.outbox.stop(0);
      await first.clock.settle();
      await stopping;
      first.outbox.enqueue(event('ev-queued'));
      first.outbox.close();
      await first.cleanup();
      const Sqlite = loadSqlite();
      const db = new Sqlite(file);
      db.exec('ALTER TABLE audit DROP COLUMN method');
      db.prepare("UPDATE meta SET value = '1' WHERE key = 'schema_version'").run();
      db.close();

      const clock = new FakeClock();
      const h = harness({ file, client: new FakeClient(clock), timers: clock, now: clock.now });
      h.outbox.start();
      await clock.settle();
      const version = new Sqlite(file, { fileMustExist: true });
      try {
        assert.equal((version.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value, String(SCHEMA_VERSION));
      } finally {
        version.close();
      }
      const log = h.outbox.admin.auditLog();
      assert.deepEqual(log.map((a) => [a.eventId, a.call, a.method]), [
        ['ev-old', 'findByReference', null], ['ev-old', 'createWorkOrder', null], ['ev-queued', 'findByReference', null], ['ev-queued', 'createWorkOrder', null],
      ]);
      assert.deepEqual(h.results.filter((r) => r.outcome !== 'queued').map((r) => [r.eventId, r.outcome]), [['ev-queued', 'created']]);
      await h.cleanup();
    } finally {
      tmp.cleanup();
    }
  });
});

// The storage layout behind the enqueue cost: no AUTOINCREMENT and no per-asset index on disk (the
// store keeps that order in memory), ids never reused, files of schema 2 upgraded in place, and the
// pages one enqueue writes to the write-ahead log, counted (a deterministic figure, not a timing).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AssetOrder } from '../../nodes/core/outbox/asset-order';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../nodes/core/outbox/schema';
import { Store } from '../../nodes/core/outbox/store';
import { loadSqlite, type Database } from '../../nodes/core/storage/sqlite';
import { cmmsError, event, harness, tempDir } from './outbox-fakes';

function newItem(eventId: string, assetKey: string): Parameters<Store['insert']>[0] {
  return {
    eventId, action: 'create', connection: 'c', assetKey, nodeId: 'n', body: '{}', event: '{}', shadow: false,
    occurredAt: 0, enqueuedAt: 0, deadlineAt: 1e15, bytes: 4,
  };
}

describe('outbox storage layout', () => {
  describe('AssetOrder', () => {
    it('answers "is anything older undelivered for this asset" as items come and go', () => {
      const o = new AssetOrder();
      o.add('A', 1);
      o.add('B', 2);
      o.add('A', 3);
      assert.equal(o.hasEarlier('A', 1), false);
      assert.equal(o.hasEarlier('A', 3), true);
      assert.equal(o.hasEarlier('B', 2), false);
      assert.equal(o.hasEarlier('C', 9), false);
      o.remove('A', 1);
      assert.equal(o.hasEarlier('A', 3), false);
      o.add('A', 5);
      o.remove('A', 5); // from the tail
      o.remove('A', 42); // unknown: nothing happens
      assert.equal(o.size, 2);
      o.add('A', 0); // out of order (a rebuild may feed any order): kept sorted
      assert.equal(o.hasEarlier('A', 3), true);
      o.remove('A', 0);
      o.remove('A', 3);
      o.remove('B', 2);
      assert.equal(o.size, 0);
    });
  });

  describe('Store', () => {
    let tmp: ReturnType<typeof tempDir>;
    let db: Database;
    beforeEach(() => {
      tmp = tempDir();
      const Sqlite = loadSqlite();
      db = new Sqlite(path.join(tmp.dir, 's.db'));
      db.pragma('journal_mode = WAL');
      migrate(db);
    });
    afterEach(() => {
      if (db.open) db.close();
      tmp.cleanup();
    });

    it('has no AUTOINCREMENT and no per-asset index on disk', () => {
      const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'items'").get() as { sql: string }).sql;
      assert.doesNotMatch(sql, /AUTOINCREMENT/i);
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      // Schema 4's two are partial: an enqueued create (work_order_id still NULL, action 'create') writes no page of them.
      assert.deepEqual(indexes, ['items_create', 'items_join', 'items_state', 'items_work_order']);
    });

    it('rebuilds the per-asset order from the table when a transaction around its writes rolls back', () => {
      const store = new Store(db);
      const a1 = store.insert(newItem('a1', 'A'));
      assert.throws(() => store.atomically(() => {
        store.insert(newItem('b1', 'B'));
        store.insert(newItem('a2', 'A'));
        throw new Error('disk trouble');
      }), /disk trouble/);
      // b1 and a2 are gone with the rollback; a later B item has nothing before it, A still has a1.
      const b2 = store.insert(newItem('b2', 'B'));
      assert.equal(store.hasEarlierForAsset('B', b2), false);
      assert.equal(store.hasEarlierForAsset('A', a1 + 100), true);
      assert.equal(store.held.rows, 2);
      assert.equal(store.count('pending'), 2);
    });

    it('answers a second create for one event with null (the unique index), not a second row', () => {
      const store = new Store(db);
      assert.equal(typeof store.insert(newItem('e1', 'A'), true), 'number');
      assert.equal(store.insert(newItem('e1', 'A'), true), null);
      assert.throws(() => store.insert(newItem('e1', 'A')), /UNIQUE/);
      assert.equal(store.count('pending'), 1);
    });
  });

  it('never hands out an id again, even after the newest items were deleted and the file reopened', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'permanent', status: 400 }));
    h.outbox.start();
    for (const id of ['e1', 'e2', 'e3']) h.outbox.enqueue(event(id, `asset-${id}`));
    await h.clock.settle();
    const dead = h.outbox.admin.deadLetters().map((d) => d.itemId);
    assert.equal(dead.length, 3);
    assert.equal(h.outbox.admin.discard('all'), 3);
    h.outbox.close();
    const h2 = harness({ file: h.file });
    h2.outbox.open();
    const r = h2.outbox.enqueue(event('e4', 'asset-e4'));
    assert.ok(r.itemId > Math.max(...dead), `new id ${r.itemId} must be above the deleted ${dead.join(', ')}`);
    await h2.cleanup();
    await h.cleanup();
  });

  it('keeps per-asset order across a restart: an item behind its asset\'s retry still waits', async () => {
    const h = harness();
    h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 503 }));
    h.outbox.start();
    h.outbox.enqueue(event('a1', 'A'));
    h.outbox.enqueue(event('a2', 'A'));
    await h.clock.settle();
    const stopping = h.outbox.stop(0);
    await h.clock.settle();
    await stopping;
    h.outbox.enqueue(event('b1', 'B'));
    h.outbox.close();
    // Reopened with a client that holds every create: b1 may go at once, a2 must wait for a1's retry.
    const h2 = harness({ file: h.file });
    for (let i = 0; i < 3; i++) h2.client.script('createWorkOrder', 'hang');
    h2.outbox.start();
    await h2.clock.settle();
    assert.deepEqual(h2.client.calls.filter((c) => c.method === 'createWorkOrder').map((c) => c.reference), ['b1']);
    await h2.clock.advance(15 * 60_000);
    assert.deepEqual(h2.client.calls.filter((c) => c.method === 'createWorkOrder').map((c) => c.reference), ['b1', 'a1']);
    assert.equal(h2.outbox.getMetrics().pending, 3);
    await h2.cleanup();
    await h.cleanup();
  });

  it('upgrades a schema 2 file: rows kept, AUTOINCREMENT and the asset index gone, ids continue above the old sequence', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'outbox-v2.db');
    try {
      const Sqlite = loadSqlite();
      const old = new Sqlite(file);
      old.pragma('journal_mode = WAL');
      old.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
      old.exec(MIGRATIONS[1]);
      old.exec(MIGRATIONS[2]);
      old.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '2')").run();
      const ins = old.prepare(`INSERT INTO items (event_id, action, connection, asset_key, node_id, body, event, bytes, state,
        occurred_at, enqueued_at, deadline_at, next_at) VALUES (?, 'create', 'cmms-1', ?, 'node-1', '{"title":"t"}', '{}', 15, 'pending', 0, ?, ?, ?)`);
      const now = Date.UTC(2025, 0, 6, 8, 0, 0);
      for (const [id, asset] of [['v2-a1', 'A'], ['v2-a2', 'A'], ['v2-b1', 'B'], ['v2-gone', 'C']]) ins.run(id, asset, now, now + 86_400_000, now);
      // The newest row was deleted: AUTOINCREMENT remembers id 4, MAX(id) says 3.
      old.prepare("DELETE FROM items WHERE event_id = 'v2-gone'").run();
      old.close();

      const h = harness({ file });
      for (let i = 0; i < 3; i++) h.client.script('createWorkOrder', 'hang');
      h.outbox.start();
      await h.clock.settle();
      // A1 and B1 go; A2 waits behind A1: the order survived the rebuild.
      assert.deepEqual(h.client.writes().map((c) => c.reference), ['v2-a1', 'v2-b1']);
      const next = h.outbox.enqueue(event('v3-new', 'D'));
      assert.ok(next.itemId > 4, `id ${next.itemId} reuses the deleted id 4 or below`);
      const check = new Sqlite(file, { fileMustExist: true });
      try {
        assert.equal((check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value, String(SCHEMA_VERSION));
        assert.doesNotMatch((check.prepare("SELECT sql FROM sqlite_master WHERE name = 'items'").get() as { sql: string }).sql, /AUTOINCREMENT/i);
        assert.equal(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'items_asset'").get(), undefined);
        assert.equal((check.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
      } finally {
        check.close();
      }
      await h.cleanup();
    } finally {
      tmp.cleanup();
    }
  });

  it('writes at most 4 pages to the write-ahead log per enqueue (a raw insert of the same bytes writes about 1.5)', () => {
    const h = harness();
    h.outbox.open();
    const wal = `${h.file}-wal`;
    const before = fs.statSync(wal).size;
    const n = 100;
    for (let i = 0; i < n; i++) {
      h.outbox.enqueue(event(`ev-${i}`, 'P-101', 'create', { body: { title: 'x'.repeat(400) }, event: { eventId: `ev-${i}`, summary: 's'.repeat(400) } }));
    }
    // Each WAL frame is one page plus a 24-byte header.
    const pageSize = 4096;
    const pages = (fs.statSync(wal).size - before) / (pageSize + 24) / n;
    assert.ok(pages <= 4, `${pages.toFixed(2)} pages per enqueue`);
    return h.cleanup();
  });
});

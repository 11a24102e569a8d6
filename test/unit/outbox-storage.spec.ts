import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Outbox, OutboxFullError, OutboxStorageError, type CapacityEvent, type ProblemEvent } from '../../nodes/core/outbox';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { cmmsError, event, FakeClient, FakeClock, harness, tempDir } from './outbox-fakes';

type H = ReturnType<typeof harness>;

function integrity(file: string): string {
  const db = new (loadSqlite())(file);
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

describe('outbox storage', () => {
  let h: H;
  afterEach(async () => { await h.cleanup(); });

  it('opens in WAL mode with synchronous=FULL, as read back from the file', () => {
    h = harness();
    h.outbox.open();
    const db = new (loadSqlite())(h.file);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
    // synchronous is per connection: ask the outbox's own, through its file collaborator.
    const own = (h.outbox as unknown as { file: { get(): { db: { pragma(s: string, o: { simple: boolean }): unknown } } } }).file.get().db;
    assert.equal(own.pragma('synchronous', { simple: true }), 2);
  });

  it('refuses to run where WAL is not possible', () => {
    const clock = new FakeClock();
    const outbox = new Outbox({ file: ':memory:', connection: 'c', client: new FakeClient(clock), now: clock.now, timers: clock });
    h = harness();
    assert.throws(() => outbox.open(), (e: unknown) => e instanceof OutboxStorageError && /WAL/.test(e.message));
  });

  it('moves a corrupt file aside, reports it, and starts a fresh outbox', async () => {
    h = harness();
    const problems: ProblemEvent[] = [];
    h.outbox.on('problem', (p) => problems.push(p));
    fs.writeFileSync(h.file, 'this is not a database '.repeat(500));
    fs.writeFileSync(`${h.file}-wal`, 'stale wal');
    h.outbox.start();
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'corrupt-moved-aside');
    const moved = problems[0].file ?? '';
    assert.match(path.basename(moved), /^outbox-test\.db\.corrupt-20250106T080000Z$/);
    assert.match(fs.readFileSync(moved, 'utf8'), /^this is not a database/);
    // The old WAL went with the file (or SQLite had already discarded it as invalid): never reused.
    if (fs.existsSync(`${moved}-wal`)) assert.equal(fs.readFileSync(`${moved}-wal`, 'utf8'), 'stale wal');
    assert.ok(!fs.existsSync(`${h.file}-wal`) || fs.readFileSync(`${h.file}-wal`, 'utf8') !== 'stale wal');
    assert.equal(h.outbox.enqueue(event('ev-1')).outcome, 'queued');
    await h.clock.settle();
    assert.equal(h.results.at(-1)?.outcome, 'created');
  });

  it('moves aside a database whose pages are damaged (quick_check fails)', () => {
    h = harness();
    h.outbox.open();
    for (let i = 0; i < 200; i++) h.outbox.enqueue(event(`ev-${i}`, `A${i}`));
    h.outbox.close();
    // Fold the WAL into the file, then scribble over a b-tree page in the middle.
    const raw = new (loadSqlite())(h.file);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const fd = fs.openSync(h.file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 4096 * 3);
    fs.closeSync(fd);
    const problems: ProblemEvent[] = [];
    h.outbox.on('problem', (p) => problems.push(p));
    h.outbox.open();
    assert.equal(problems[0]?.code, 'corrupt-moved-aside');
    // Salvage (issue 12 item 7b): what can still be read of the old file is queued again, and said;
    // the rest is counted as unreadable. Nothing is silently gone.
    const m = /(\d+) undelivered item\(s\) read from it were queued again.*?(?:(\d+) row\(s\) could not be read)?$/.exec(problems[0]?.message ?? '');
    assert.ok(m, problems[0]?.message);
    const requeued = Number(m[1]);
    assert.equal(h.outbox.getMetrics().pending, requeued);
    assert.ok(requeued >= 150, `most of the 200 items salvaged: ${problems[0]?.message}`);
    assert.ok(requeued + Number(m[2] ?? 0) <= 200);
    // The rest is said with its count (the high-water mark knew 200 were undelivered).
    const lostCount = problems.filter((p) => p.code === 'data-lost').reduce((n, p) => n + (p.missing ?? 0), 0);
    assert.equal(requeued + lostCount, 200, problems.map((p) => p.message).join(' | '));
    assert.equal(integrity(h.file), 'ok');
  });

  it('refuses new events with OutboxFullError when the row cap is reached, after a high-water warning', () => {
    h = harness({ maxRows: 10, highWater: 0.8 });
    const capacity: CapacityEvent[] = [];
    h.outbox.on('capacity', (c) => capacity.push(c));
    h.outbox.open();
    for (let i = 0; i < 10; i++) h.outbox.enqueue(event(`ev-${i}`, 'A'));
    assert.deepEqual(capacity.map((c) => [c.level, c.rows]), [['high', 8], ['full', 10]]);
    assert.throws(() => h.outbox.enqueue(event('ev-10', 'A')), (e: unknown) => e instanceof OutboxFullError && /full/.test(e.message) && /ev-10 was refused/.test(e.message));
    // A duplicate of something held is still answered: nothing new would be stored.
    assert.equal(h.outbox.enqueue(event('ev-3', 'A')).outcome, 'duplicate-pending');
    assert.equal(h.outbox.getMetrics().capacity.rows, 10);
  });

  it('counts bytes against the byte cap and comes back to ok once delivered', async () => {
    h = harness({ maxBytes: 4000, highWater: 0.5 });
    const capacity: CapacityEvent[] = [];
    h.outbox.on('capacity', (c) => capacity.push(c));
    h.outbox.open();
    const big = { ...event('ev-big', 'A'), body: { text: 'x'.repeat(2500) } };
    h.outbox.enqueue(big);
    assert.equal(capacity.at(-1)?.level, 'high');
    assert.throws(() => h.outbox.enqueue({ ...big, eventId: 'ev-big-2' }), OutboxFullError);
    h.outbox.start();
    await h.clock.settle();
    assert.equal(capacity.at(-1)?.level, 'ok');
    assert.equal(h.outbox.enqueue({ ...big, eventId: 'ev-big-2' }).outcome, 'queued');
  });

  it('reports a full disk clearly from enqueue, stays intact, and recovers when space returns', async () => {
    h = harness({ maxDatabasePages: 40, shadow: true });
    h.outbox.open();
    let stored = 0;
    let err: unknown;
    for (let i = 0; i < 10_000 && !err; i++) {
      try {
        h.outbox.enqueue({ ...event(`ev-${i}`, `A${i}`), body: { text: 'x'.repeat(2000) } });
        stored += 1;
      } catch (e) {
        err = e;
      }
    }
    assert.ok(err instanceof OutboxStorageError, String(err));
    assert.equal(err.sqliteCode, 'SQLITE_FULL');
    assert.match(err.message, /cannot store event ev-\d+: the disk \(or the outbox's size cap\) is full/);
    assert.ok(stored > 5, `${stored} stored before the disk filled`);
    assert.equal(h.outbox.admin.shadowRecords({ limit: 1000 }).length, stored, 'every acknowledged item is there');
    assert.equal(h.outbox.getMetrics().capacity.rows, stored, 'the counters did not count the refused one');
    // Space comes back (records cleared); the same outbox takes new items without a restart.
    assert.ok(h.outbox.admin.clearShadow([1, 2, 3, 4, 5]) === 5);
    assert.equal(h.outbox.enqueue({ ...event('ev-after', 'Z'), body: { text: 'x'.repeat(2000) } }).outcome, 'shadow');
    h.outbox.close();
    assert.equal(integrity(h.file), 'ok');
  });

  it('turns a full disk while delivering into problem reports, not crashes, and finishes after a restart', async () => {
    const t = tempDir();
    const file = path.join(t.dir, 'o.db');
    h = harness({ file, maxDatabasePages: 30, concurrency: 2 });
    const problems: ProblemEvent[] = [];
    h.outbox.on('problem', (p) => problems.push(p));
    h.outbox.open();
    let n = 0;
    // The page cap must be reached: a loop that stored all 10 000 would test nothing below.
    assert.throws(() => {
      for (; n < 10_000; n++) h.outbox.enqueue({ ...event(`ev-${n}`, `A${n % 3}`), body: { text: 'y'.repeat(1500) } });
    }, (e: unknown) => e instanceof OutboxStorageError);
    assert.ok(n > 0 && n < 10_000, `${n} stored before the cap`);
    // Long error texts make every failed attempt need new pages (audit row, last_error).
    for (let i = 0; i < 100; i++) h.client.script('createWorkOrder', cmmsError({ kind: 'transient', status: 429, message: `slow down ${i} ${'z'.repeat(900)}` }));
    h.outbox.start();
    await h.clock.advance(10_000);
    assert.ok(problems.some((p) => p.code === 'storage' && /full/.test(p.message)), JSON.stringify(problems.slice(0, 2)));
    assert.equal(integrity(file), 'ok');
    h.outbox.close();
    // Restart with room: everything acknowledged ends up delivered exactly once.
    h.client.steps.createWorkOrder = [];
    const h2 = harness({ file, client: h.client, leaseMs: 1000 });
    h2.clock.t = h.clock.t + 120_000;
    h2.outbox.start();
    await h2.clock.advance(120_000);
    assert.equal(h2.client.workOrders.size, n);
    assert.equal(h2.outbox.getMetrics().pending, 0);
    await h2.cleanup();
    t.cleanup();
  });
});

// "One work order per asset" in the outbox: a create that finds the asset's work order open is
// stored as a note on it (once per event), later changes of that event follow it, a finished work
// order takes no more, and files of schema 3 are upgraded in place.
import assert from 'node:assert/strict';
import path from 'node:path';
import { MIGRATIONS } from '../../nodes/core/outbox/schema';
import { parseWorkOrderSettings } from '../../nodes/core/work-order/settings';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { event, harness, T0, tempDir } from './outbox-fakes';

const join = (eventId: string, asset = 'P-101', family = 'alarm/vibration') =>
  event(eventId, asset, 'create', { onePer: 'asset', family, joinBody: { note: `joined ${eventId}` } });

describe('outbox: one work order per asset', () => {
  it('the node setting: absent (flows saved before it) is per episode; an unknown value is a settings error', () => {
    const old = parseWorkOrderSettings({ cmms: 'c1' });
    assert.equal(old.ok && old.value.onePer, 'episode');
    const asset = parseWorkOrderSettings({ cmms: 'c1', onePer: 'asset' });
    assert.equal(asset.ok && asset.value.onePer, 'asset');
    const bad = parseWorkOrderSettings({ cmms: 'c1', onePer: 'site' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.errors.join(), /onePer/);
  });

  it('stores a second episode of the asset as a note on the first one\'s work order, even before that is delivered', async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.enqueue(join('a'));
    h.outbox.enqueue(join('b', 'P-101', 'alarm/temperature'));
    await h.clock.settle();
    const writes = h.client.writes();
    assert.deepEqual(writes.map((c) => c.method), ['createWorkOrder', 'updateWorkOrder']);
    assert.equal(writes[1].ref?.id, 'WO-1');
    assert.match(String(writes[1].change?.note), /^\[mw:[A-Z2-7]{16}\] joined b$/);
    const b = h.results.find((r) => r.eventId === 'b' && r.outcome === 'existing');
    assert.equal(b?.workOrderId, 'WO-1');
    assert.equal(b?.action, 'note');
    await h.cleanup();
  });

  it('answers a repeat of a joined event from the outbox: no second note', async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.enqueue(join('a'));
    h.outbox.enqueue(join('b'));
    await h.clock.settle();
    const again = h.outbox.enqueue(join('b'));
    assert.deepEqual(again.outcome, 'existing');
    assert.equal(again.outcome === 'existing' && again.workOrderId, 'WO-1');
    await h.clock.settle();
    assert.equal(h.client.count('updateWorkOrder'), 1);
    await h.cleanup();
  });

  it('per episode, other assets, and other families (asset-family) make their own work orders', async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.enqueue(join('a'));
    h.outbox.enqueue(event('b', 'P-101', 'create', { onePer: 'episode', family: 'alarm/vibration', joinBody: { note: 'x' } }));
    h.outbox.enqueue(join('c', 'P-202'));
    h.outbox.enqueue(event('d', 'P-101', 'create', { onePer: 'asset-family', family: 'alarm/temperature', joinBody: { note: 'x' } }));
    h.outbox.enqueue(event('e', 'P-101', 'create', { onePer: 'asset-family', family: 'alarm/temperature', joinBody: { note: 'x' } }));
    await h.clock.settle();
    assert.equal(h.client.count('createWorkOrder'), 4);
    assert.equal(h.client.count('updateWorkOrder'), 1);
    await h.cleanup();
  });

  it('a finished work order (by id or by event) takes no more episodes; its own close ends it too', async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.enqueue(join('a'));
    await h.clock.settle();
    assert.equal(h.outbox.workOrderFinished('WO-1'), 1);
    h.outbox.enqueue(join('b'));
    await h.clock.settle();
    assert.equal(h.client.count('createWorkOrder'), 2);
    h.outbox.workOrderFinished(null, ['b']);
    h.outbox.enqueue(join('c'));
    h.outbox.enqueue(event('c', 'P-101', 'close', { body: { status: 'closed', note: 'cleared' } }));
    await h.clock.settle();
    h.outbox.enqueue(join('d'));
    await h.clock.settle();
    assert.equal(h.client.count('createWorkOrder'), 4);
    await h.cleanup();
  });

  it('a joined event\'s escalation goes to the shared work order, its close only as a note', async () => {
    const h = harness();
    h.outbox.start();
    h.outbox.enqueue(join('a'));
    h.outbox.enqueue(join('b'));
    h.outbox.enqueue(event('b', 'P-101', 'update'));
    h.outbox.enqueue(event('b', 'P-101', 'close', { body: { status: 'closed', note: 'b cleared' } }));
    await h.clock.settle();
    assert.equal(h.client.count('setStatus'), 0);
    const updates = h.client.calls.filter((c) => c.method === 'updateWorkOrder');
    assert.deepEqual(updates.map((c) => c.ref?.id), ['WO-1', 'WO-1', 'WO-1']);
    assert.match(String(updates[2].change?.note), /^\[mw:[A-Z2-7]{16}\] b cleared$/);
    await h.cleanup();
  });

  it('upgrades a schema 3 file: rows kept, the joining columns and the work-order index added', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'outbox-v3.db');
    try {
      const Sqlite = loadSqlite();
      const old = new Sqlite(file);
      old.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
      for (const v of [1, 2, 3]) old.exec(MIGRATIONS[v]);
      old.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '3')").run();
      old.prepare(`INSERT INTO items (id, event_id, action, connection, asset_key, node_id, body, event, bytes, state,
        occurred_at, enqueued_at, deadline_at, next_at, work_order_id, done_at) VALUES (1, 'v3-a', 'create', 'c', 'P-101', 'node-1', '{}', '{}', 4, 'sent', 0, 0, 1e15, 0, 'WO-9', ?)`).run(T0 - 60_000);
      old.close();
      const h = harness({ file });
      h.outbox.start();
      // A create stored before the setting existed has no family: "per asset" still joins it.
      h.outbox.enqueue(join('v4-b'));
      await h.clock.settle();
      assert.equal(h.client.count('createWorkOrder'), 0);
      assert.equal(h.client.calls.find((c) => c.method === 'updateWorkOrder')?.ref?.id, 'WO-9');
      await h.cleanup();
      const check = new Sqlite(file, { fileMustExist: true });
      try {
        assert.ok(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'items_work_order'").get());
        const plan = check.prepare("EXPLAIN QUERY PLAN UPDATE items SET wo_finished = 1 WHERE work_order_id = 'x' AND action = 'create'").all() as Array<{ detail: string }>;
        assert.ok(plan.some((p) => /items_work_order/.test(p.detail)), JSON.stringify(plan));
      } finally {
        check.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

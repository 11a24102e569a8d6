// Group commit with a flood of new keys: the event's own key is in the commit it waits for, the
// thousands of keys nobody waits for are written a chunk per turn, and in the end all are on disk.
import assert from 'node:assert/strict';
import { Committer, LAZY_CHUNK, NS_KEYS } from '../../nodes/core/alarms';
import { recordKey } from '../../nodes/core/alarms/state';
import { engineFor, FakeClock, MemoryStore, readings, ruleSet } from './alarms-fixtures';

describe('alarms: committer with many pending writes', () => {
  function setup() {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const batches: number[] = [];
    const counting = {
      put: store.put.bind(store),
      delete: store.delete.bind(store),
      batch: <R>(fn: () => R): R => {
        const before = store.puts;
        const r = fn();
        batches.push(store.puts - before);
        return r;
      },
    };
    const e = engineFor(ruleSet({}), clock);
    const soon: Array<() => void> = [];
    const later: Array<() => void> = [];
    const committer = new Committer(e, counting, {
      soon: (fn) => soon.push(fn),
      later: (fn) => {
        later.push(fn);
        return () => later.splice(later.indexOf(fn), 1);
      },
    });
    return { clock, store, batches, e, soon, later, committer };
  }

  const NEW_KEYS = 3 * LAZY_CHUNK + 10;

  it('commits the key an event waits for without waiting for a flood of new keys, then writes the rest in chunks', () => {
    const { clock, store, batches, e, soon, later, committer } = setup();
    for (let i = 0; i < NEW_KEYS; i++) assert.equal(e.ingest(readings(50, clock, { asset: { id: `N-${i}` } })).length, 0);
    committer.after();
    const events = e.ingest(readings(90, clock, { asset: { id: 'HOT' } }));
    assert.equal(events.length, 1);
    let sent = false;
    committer.after(() => {
      sent = true;
      assert.ok(store.data.get(NS_KEYS)?.has(recordKey('BEDFORD', 'HOT', 'temp-high')), 'the event left before its key was stored');
    });
    assert.equal(soon.length, 1);
    soon.shift()?.();
    assert.equal(sent, true);
    assert.deepEqual(batches, [1], 'the event waited for one write, not for every new key');
    assert.ok(later.length === 1, 'the rest is scheduled');
    later.shift()?.();
    while (soon.length > 0) soon.shift()?.();
    assert.ok(batches.slice(1).every((n) => n <= LAZY_CHUNK), `chunks: ${batches.join(',')}`);
    assert.equal(store.data.get(NS_KEYS)?.size, NEW_KEYS + 1, 'every key reaches the store');
    assert.equal(e.hasWrites(), false);
  });

  it('commits everything for a control message and at close', () => {
    const { clock, store, batches, e, soon, committer } = setup();
    for (let i = 0; i < NEW_KEYS; i++) e.ingest(readings(50, clock, { asset: { id: `N-${i}` } }));
    let done = false;
    committer.after(() => { done = true; }, true);
    soon.shift()?.();
    assert.equal(done, true);
    assert.deepEqual(batches, [NEW_KEYS]);
    for (let i = 0; i < 10; i++) e.ingest(readings(50, clock, { asset: { id: `M-${i}` } }));
    committer.close();
    assert.equal(store.data.get(NS_KEYS)?.size, NEW_KEYS + 10);
  });
});

import assert from 'node:assert/strict';
import {
  acknowledge, Committer, ControlError, NS_KEYS, restoreEngine, setService, shelve, unshelve, workOrderUpdate,
} from '../../nodes/core/alarms';
import { engineFor, FakeClock, feed, MemoryStore, restart, ruleSet, states, valid } from './alarms-fixtures';
import type { WorkOrderStatus } from '../../nodes/core/contracts';

const wo = (eventId: string, status: 'open' | 'in-progress' | 'done' | 'cancelled', workOrderId = 'WO-1') =>
  ({ workOrderId, eventId, assetId: 'P-101', status, cmmsStatus: status.toUpperCase(), changedAt: new Date().toISOString() });

describe('alarm controls: shelving and out of service', function () {
  it('a timed shelve suppresses new episodes, and its end announces one still active', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    const reply = shelve(e, { assetId: 'P-101', ruleId: 'temp-high', seconds: 600, reason: 'sensor swap' });
    assert.equal(reply.mode, 'timed');
    assert.deepEqual(feed(e, clock, 90), [], 'shelved: nothing announced');
    assert.equal(e.counters.suppressed, 1);
    clock.advance(600_000);
    const after = valid(e.tick());
    assert.deepEqual(states(after), ['raised:H'], 'still active when the shelf ran out');
    assert.equal(after[0].details.unshelved, true);
    assert.equal(e.shelving.shelved, 0);
  });

  it('a timed shelve never lasts longer than the maximum shelve time', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock, { maxShelveMs: 3600_000 });
    const reply = shelve(e, { assetId: 'P-101', seconds: 86_400, reason: 'long job' });
    assert.equal(reply.until, new Date(clock.wallMs + 3600_000).toISOString());
  });

  it('a one-shot shelve on an active alarm ends when that episode clears; the next episode is announced', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    const [raised] = feed(e, clock, 90);
    shelve(e, { assetId: 'P-101', mode: 'one-shot', reason: 'known problem, work order open' });
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 97), [], 'escalation of a shelved alarm is not announced');
    clock.advance(1000);
    const cleared = feed(e, clock, 50);
    assert.deepEqual(states(cleared), ['cleared:HH'], 'the announced episode still gets its cleared');
    assert.equal(cleared[0].eventId, raised.eventId);
    assert.equal(e.shelving.shelved, 0, 'one-shot: unshelved at the clear');
    clock.advance(1000);
    assert.deepEqual(states(feed(e, clock, 90)), ['raised:H']);
  });

  it('issue 15 item 7: a shelve needs a reason, records the user, and both reach the reply, the unshelve event and health', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    const reply = shelve(e, { assetId: 'P-101', mode: 'timed', reason: 'calibration of TT-101' }, 'jdoe');
    assert.equal(reply.reason, 'calibration of TT-101');
    assert.equal(reply.user, 'jdoe');
    assert.equal(reply.until, new Date(clock.wallMs + 3600_000).toISOString(), 'a timed shelve without seconds lasts one hour');
    assert.equal(shelve(e, { assetId: 'P-9', reason: 'r', user: 'from-payload' }, 'jdoe').user, 'from-payload');
    const h = e.health();
    assert.deepEqual(h.shelves.find((s) => s.assetId === 'P-101'), {
      siteId: null, assetId: 'P-101', ruleId: null, mode: 'timed', untilWall: clock.wallMs + 3600_000, sinceWall: clock.wallMs,
      reason: 'calibration of TT-101', user: 'jdoe', since: new Date(clock.wallMs).toISOString(), until: new Date(clock.wallMs + 3600_000).toISOString(),
    });
    assert.deepEqual(feed(e, clock, 90), []);
    clock.advance(3600_000);
    const after = valid(e.tick());
    assert.deepEqual(states(after), ['raised:H']);
    assert.equal(after[0].details.shelveReason, 'calibration of TT-101');
    assert.equal(after[0].details.shelvedBy, 'jdoe');
  });

  it('unshelve announces what became active while shelved', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    shelve(e, { assetId: 'P-101', seconds: 60, reason: 'test' });
    feed(e, clock, 90);
    assert.deepEqual(unshelve(e, { assetId: 'P-101' }), { unshelved: true, assetId: 'P-101', siteId: null, ruleId: null });
    assert.deepEqual(states(e.drain()), ['raised:H']);
    assert.deepEqual(unshelve(e, { assetId: 'P-101' }).unshelved, false);
  });

  it('out of service stops every rule of the asset, timers included, until it is back in service', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ staleAfterSeconds: 60 }), clock);
    feed(e, clock, 50);
    setService(e, { assetId: 'P-101', siteId: 'BEDFORD', reason: 'bearing change' }, true);
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 99), []);
    clock.advance(3600_000);
    assert.deepEqual(valid(e.tick()), [], 'no stale fault while out of service');
    const back = setService(e, { assetId: 'P-101', siteId: 'BEDFORD' }, false);
    assert.equal(back.wasOutOfService, true);
    assert.deepEqual(valid(e.tick()), [], 'staleness counts from the return to service');
    clock.advance(60_000);
    assert.deepEqual(states(valid(e.tick())), ['sensor-fault:STALE']);
    assert.throws(() => setService(e, { assetId: 'P-101', ruleId: 'x' }, true), ControlError);
  });

  it('rejects malformed control payloads with the reasons', function () {
    const e = engineFor(ruleSet({}), new FakeClock());
    assert.throws(() => shelve(e, { ruleId: 'x' }), (err: ControlError) => err.errors[0] === 'payload: missing required property "assetId"');
    assert.throws(() => shelve(e, { assetId: 'P-1', seconds: 5 }), (err: ControlError) => err.errors[0] === 'payload: missing required property "reason"');
    assert.throws(() => shelve(e, { assetId: 'P-1', reason: 'x'.repeat(201) }), /reason/);
    assert.throws(() => shelve(e, { assetId: 'P-1', reason: '   ' }), /reason/);
    assert.throws(() => acknowledge(e, {}), /eventId/);
  });
});

describe('alarm controls: acknowledge and the work-order loop', function () {
  it('acknowledging stops re-alarms', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ reAlarm: { seconds: 60 } }), clock);
    const [raised] = feed(e, clock, 90);
    clock.advance(60_000);
    assert.equal(valid(e.tick()).length, 1);
    assert.deepEqual(acknowledge(e, { eventId: raised.eventId }), { acknowledged: [raised.eventId] });
    clock.advance(600_000);
    assert.deepEqual(valid(e.tick()), []);
    clock.advance(1000);
    const cleared = feed(e, clock, 10);
    assert.equal(cleared[0].details.acknowledged, true);
  });

  it('while the work order is open a return of the problem continues the episode; done re-arms', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ onDelay: { seconds: 5 } }), clock);
    feed(e, clock, 90);
    clock.advance(5000);
    const [raised] = valid(e.tick());
    assert.deepEqual(workOrderUpdate(e, { eventId: raised.eventId, cmms: 'maximo', workOrderId: 'WO-1', href: null, outcome: 'created', attempts: 1, latencyMs: 10 }).matched, true);
    clock.advance(1000);
    assert.deepEqual(states(feed(e, clock, 50)), ['cleared:H']);
    clock.advance(60_000);
    feed(e, clock, 90);
    clock.advance(5000);
    const again = valid(e.tick());
    assert.deepEqual(states(again), ['raised:H']);
    assert.equal(again[0].eventId, raised.eventId, 'same episode: the open work order covers it');
    assert.equal(again[0].details.continued, true);
    assert.equal(again[0].details.workOrderId, 'WO-1');
    // The technician closes the work order while the problem is still there: the alarm re-arms.
    const done = workOrderUpdate(e, { workOrderId: 'WO-1', assetId: 'P-101', status: 'done', cmmsStatus: 'COMP', changedAt: new Date(clock.wallMs).toISOString() });
    assert.equal(done.rearmed, true, 'found by work-order id alone');
    const closed = e.drain();
    assert.deepEqual(states(closed), ['cleared:H']);
    assert.equal(closed[0].details.reason, 'work-order-closed');
    // mw-work-order answers the note it adds for that clear with "existing": that must not reopen it.
    workOrderUpdate(e, { eventId: raised.eventId, cmms: 'maximo', workOrderId: 'WO-1', href: null, outcome: 'existing', attempts: 1, latencyMs: 5 });
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 90), [], 'a new episode starts its on-delay');
    clock.advance(5000);
    const fresh = valid(e.tick());
    assert.deepEqual(states(fresh), ['raised:H']);
    assert.notEqual(fresh[0].eventId, raised.eventId, 'a new episode, so a new work order');
  });

  it('with "new episode while open" every return is a new episode', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock, { holdWhileWorkOrderOpen: false });
    const [raised] = feed(e, clock, 90);
    workOrderUpdate(e, wo(raised.eventId, 'in-progress'));
    clock.advance(1000);
    feed(e, clock, 50);
    clock.advance(1000);
    const [next] = feed(e, clock, 90);
    assert.notEqual(next.eventId, raised.eventId);
  });

  it('mw-wo-status states: approved and waiting keep the work order open, unknown changes nothing, closed re-arms', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    const [raised] = feed(e, clock, 90);
    const at = (): string => new Date(clock.wallMs).toISOString();
    const upd = (status: WorkOrderStatus['status']) => workOrderUpdate(e, { workOrderId: 'WO-9', eventId: raised.eventId, eventIds: [raised.eventId], status, cmmsStatus: status.toUpperCase(), changedAt: at() });
    for (const s of ['approved', 'waiting', 'in-progress'] as const) {
      const r = upd(s);
      assert.equal(r.open, true, s);
      assert.equal(r.rearmed, false, s);
    }
    assert.equal(upd('unknown').rearmed, undefined, 'unknown: nothing decided');
    assert.deepEqual(e.drain(), []);
    const closed = upd('closed');
    assert.equal(closed.rearmed, true);
    assert.equal(e.drain()[0]?.details.reason, 'work-order-closed');
  });

  it('answers updates it cannot match without changing anything', function () {
    const e = engineFor(ruleSet({}), new FakeClock());
    assert.equal(workOrderUpdate(e, wo('nope', 'done')).matched, false);
  });
});

describe('alarm state across restarts', function () {
  it('an active episode survives a restart: no second raised, and the clear carries the same eventId', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const set = ruleSet({ offDelay: { seconds: 10 } });
    let e = engineFor(set, clock);
    const [raised] = feed(e, clock, 90);
    store.apply(e.takeWrites());
    e = restart(set, clock, store);
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 91), [], 'still the same episode after the restart');
    clock.advance(1000);
    feed(e, clock, 50);
    clock.advance(10_000);
    const cleared = valid(e.tick());
    assert.deepEqual(states(cleared), ['cleared:H']);
    assert.equal(cleared[0].eventId, raised.eventId);
  });

  it('after a crash (no clean close) active episodes are announced again with the same eventId, and not counted twice', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const set = ruleSet({});
    const first = engineFor(set, clock);
    const [raised] = feed(first, clock, 90);
    feed(first, clock, 90, { asset: { id: 'P-102' } });
    feed(first, clock, 50, { asset: { id: 'P-102' } });
    store.apply(first.takeWrites());
    const e = engineFor(set, clock);
    const r = restoreEngine(e, { keys: store.all(NS_KEYS), shelves: new Map(), outOfService: new Map(), crashed: true });
    assert.equal(r.reannounced, 1, 'only the episode still active');
    const again = valid(e.drain());
    assert.deepEqual(states(again), ['raised:H']);
    assert.equal(again[0].eventId, raised.eventId);
    assert.equal(again[0].details.restored, true);
    assert.equal(e.health().alarmsLast10Min, 0, 'not a new alarm');
    const clean = engineFor(set, clock);
    restoreEngine(clean, { keys: store.all(NS_KEYS), shelves: new Map(), outOfService: new Map() });
    assert.deepEqual(clean.drain(), [], 'a clean restart announces nothing');
  });

  it('an on-delay in progress survives a restart and keeps its start (and so its eventId)', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const set = ruleSet({ onDelay: { seconds: 60 } });
    let e = engineFor(set, clock);
    const start = clock.wallMs;
    feed(e, clock, 90);
    store.apply(e.takeWrites());
    clock.advance(30_000);
    e = restart(set, clock, store);
    clock.advance(30_000);
    const raised = valid(e.tick());
    assert.deepEqual(states(raised), ['raised:H'], 'down time counts toward the delay');
    assert.equal(raised[0].episodeId, `temp-high/limit/${new Date(start).toISOString()}`);
  });

  it('shelves, out-of-service marks and work-order links survive; rules that are gone are dropped', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const set = ruleSet({ staleAfterSeconds: 60 });
    let e = engineFor(set, clock);
    const [raised] = feed(e, clock, 90);
    workOrderUpdate(e, wo(raised.eventId, 'open'));
    shelve(e, { assetId: 'P-7', seconds: 600, reason: 'valve swap' }, 'operator1');
    setService(e, { assetId: 'P-8' }, true);
    store.apply(e.takeWrites());
    e = restart(set, clock, store);
    assert.equal(e.shelving.shelved, 1);
    assert.deepEqual(e.health().shelves.map((s) => [s.assetId, s.reason, s.user]), [['P-7', 'valve swap', 'operator1']], 'who and why survive a restart');
    assert.equal(e.shelving.outOfService, 1);
    clock.advance(1000);
    feed(e, clock, 50);
    clock.advance(1000);
    assert.equal(feed(e, clock, 90)[0].eventId, raised.eventId, 'the open work order still holds the episode');
    store.apply(e.takeWrites());
    const other = ruleSet({ id: 'renamed' });
    e = restart(other, clock, store);
    assert.equal(store.all(NS_KEYS).size, 0, 'records of a rule that no longer exists are deleted');
  });

  it('a sensor that dies while Node-RED is down is still found stale after the restart', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const set = ruleSet({ staleAfterSeconds: 60 });
    let e = engineFor(set, clock);
    feed(e, clock, 50);
    store.apply(e.takeWrites());
    clock.advance(3600_000);
    e = restart(set, clock, store);
    assert.deepEqual(valid(e.tick()), []);
    clock.advance(60_000);
    assert.deepEqual(states(valid(e.tick())), ['sensor-fault:STALE']);
  });

  it('writes only on transitions, and commits a turn of transitions in one batch before the events leave', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    let batches = 0;
    const counting = { put: store.put.bind(store), delete: store.delete.bind(store), batch: <R>(fn: () => R): R => { batches++; return fn(); } };
    const e = engineFor(ruleSet({}), clock);
    const deferred: Array<() => void> = [];
    const lazy: Array<() => void> = [];
    const committer = new Committer(e, counting, { soon: (fn) => deferred.push(fn), later: (fn) => { lazy.push(fn); return () => lazy.splice(lazy.indexOf(fn), 1); } });
    feed(e, clock, 50);
    committer.after();
    assert.deepEqual([deferred.length, lazy.length], [0, 1], 'a new signal is written lazily, not this turn');
    lazy.shift()?.();
    const before = store.puts;
    for (let i = 0; i < 100; i++) feed(e, clock, 50 + (i % 10));
    committer.after();
    assert.deepEqual([deferred.length, lazy.length], [0, 0], 'normal samples: nothing to write');
    const order: string[] = [];
    for (const asset of ['A', 'B', 'C']) {
      assert.equal(e.ingest(readings(asset)).length, 1);
      committer.after(() => order.push(`sent ${asset} after ${store.puts - before} puts`));
    }
    assert.deepEqual(order, []);
    deferred.shift()?.();
    assert.equal(batches, 2);
    assert.deepEqual(order, ['sent A after 3 puts', 'sent B after 3 puts', 'sent C after 3 puts']);

    function readings(id: string) {
      return { asset: { id, siteId: 'S', location: `S/${id}`, class: 'pump' }, readings: [{ metric: 'temp', value: 90, quality: 'good' as const, timestamp: new Date(clock.wallMs).toISOString() }], source: { kind: 'other' as const, ref: 't' } };
    }
  });
});

describe('alarm health figures (ISA-18.2)', function () {
  it('counts alarms per 10 minutes (flood above 10), chattering keys and stale alarms', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    for (let i = 0; i < 11; i++) feed(e, clock, 90, { asset: { id: `P-${i}` } });
    let h = e.health();
    assert.equal(h.alarmsLast10Min, 11);
    assert.equal(h.flood, true);
    assert.equal(h.active, 11);
    assert.equal(h.bySeverity24h.high, 11);
    clock.advance(10 * 60_000);
    h = e.health();
    assert.equal(h.alarmsLast10Min, 0);
    assert.equal(h.flood, false);
    assert.equal(h.alarmsLastHour, 11);
    // ISA-18.2 TR5: three active → clear cycles of the same alarm inside a minute: chattering.
    for (const v of [10, 90, 10, 90]) {
      clock.advance(5000);
      feed(e, clock, v, { asset: { id: 'P-0' } });
    }
    assert.equal(e.health().chattering, 0, 'two cycles are not yet chattering');
    clock.advance(5000);
    feed(e, clock, 10, { asset: { id: 'P-0' } });
    assert.equal(e.health().chattering, 1);
    clock.advance(60_000);
    assert.equal(e.health().chattering, 0);
    clock.advance(24 * 3600_000);
    assert.equal(e.health().stale, 10, 'active for more than 24 h');
  });
});

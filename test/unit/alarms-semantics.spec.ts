// Issue 15 (mw-threshold): the alarm semantics checked against ISA-18.2 / IEC 62682 and OPC UA
// Part 9 — deadband only on the return to normal, the other side evaluated in the same step,
// escalation above the episode's peak only, chattering per alarm (TR5), unique episode ids when
// the source clock does not move.
import assert from 'node:assert/strict';
import { NS_KEYS, restoreEngine } from '../../nodes/core/alarms';
import { engineFor, FakeClock, feed, MemoryStore, ruleSet, states, valid } from './alarms-fixtures';

describe('alarm semantics (issue 15)', function () {
  it('item 2: during the on-delay the value must stay at the limit; the deadband is for the return only', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ limits: { H: { value: 80, severity: 'high' } }, deadband: 1, onDelay: { seconds: 5 } }), clock);
    const out = [...feed(e, clock, 80.2)];
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      out.push(...feed(e, clock, 79.2));
    }
    assert.deepEqual(states(out), [], '79.2 is below H = 80: no alarm, whatever the deadband');
    // With the value at the limit throughout, the on-delay raises; then the deadband holds the alarm.
    out.push(...feed(e, clock, 80.5));
    clock.advance(5000);
    out.push(...feed(e, clock, 80.1));
    clock.advance(1000);
    out.push(...feed(e, clock, 79.2));
    assert.deepEqual(states(out), ['raised:H'], '79.2 is inside the deadband of an active alarm');
  });

  it('item 3: H straight to LL in one sample clears H and raises LL in the same step', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ limits: { H: { value: 80, severity: 'high' }, L: { value: 20, severity: 'medium' }, LL: { value: 10, severity: 'critical' } } }), clock);
    assert.deepEqual(states(feed(e, clock, 85)), ['raised:H']);
    clock.advance(1000);
    const jump = feed(e, clock, 5);
    assert.deepEqual(states(jump), ['cleared:H', 'raised:LL']);
    assert.equal(jump[1].severity, 'critical');
    assert.equal(jump[1].value, 5);
  });

  it('item 4: escalates only above the episode\'s peak; de-escalation is not announced', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    const out = [];
    for (const v of [85, 97, 85, 97, 85, 99]) {
      out.push(...feed(e, clock, v));
      clock.advance(1000);
    }
    assert.deepEqual(states(out), ['raised:H', 'escalated:HH'], 'H → HH once; HH → H and back to HH add nothing');
    clock.advance(1000);
    const cleared = feed(e, clock, 50);
    assert.deepEqual(states(cleared), ['cleared:HH']);
    assert.equal(cleared[0].details.peak, 99);
  });

  it('item 5: chattering counts active → clear cycles of the same alarm, not mixed sensor and limit transitions', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    // One limit alarm raised once, and a sensor that goes bad and good twice within a minute.
    feed(e, clock, 90);
    for (const q of ['bad', 'good', 'bad', 'good'] as const) {
      clock.advance(5000);
      feed(e, clock, 90, { quality: q });
    }
    assert.equal(e.health().chattering, 0, 'no alarm went active → clear three times');
    clock.advance(5000);
    feed(e, clock, 90, { quality: 'bad' });
    clock.advance(5000);
    feed(e, clock, 90, { quality: 'good' });
    assert.equal(e.health().chattering, 1, 'the sensor fault cycled three times in a minute');
  });

  it('item 6: a frozen source clock still gives every episode its own eventId, the same after a crash restart', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const set = ruleSet({});
    const frozen = clock.wallMs;
    const e = engineFor(set, clock);
    const [first] = feed(e, clock, 90, { at: frozen });
    clock.advance(1000);
    assert.deepEqual(states(feed(e, clock, 50, { at: frozen })), ['cleared:H']);
    clock.advance(1000);
    const [second] = feed(e, clock, 90, { at: frozen });
    assert.equal(second.state, 'raised');
    assert.notEqual(second.eventId, first.eventId, 'two episodes, two work orders');
    assert.notEqual(second.episodeId, first.episodeId);
    assert.match(second.eventId, /\.n1$/);
    store.apply(e.takeWrites());
    // Crash: the active episode is announced again with the same id, and the numbering continues.
    const again = engineFor(set, clock);
    restoreEngine(again, { keys: store.all(NS_KEYS), shelves: new Map(), outOfService: new Map(), crashed: true });
    const repeated = valid(again.drain());
    assert.deepEqual(repeated.map((ev) => ev.eventId), [second.eventId]);
    clock.advance(1000);
    feed(again, clock, 50, { at: frozen });
    clock.advance(1000);
    const [third] = feed(again, clock, 90, { at: frozen });
    assert.equal(third.state, 'raised');
    assert.ok(![first.eventId, second.eventId].includes(third.eventId), 'not a repeat of an earlier episode\'s id');
    // Deterministic: the same history gives the same ids.
    const replay = engineFor(set, new FakeClock());
    const ids = [feed(replay, clock, 90, { at: frozen })[0].eventId, feed(replay, clock, 50, { at: frozen })[0].eventId, feed(replay, clock, 90, { at: frozen })[0].eventId];
    assert.deepEqual(ids, [first.eventId, first.eventId, second.eventId]);
  });
});

// Issue 15 (mw-threshold): the alarm semantics checked against ISA-18.2 / IEC 62682 and OPC UA
// Part 9 — deadband only on the return to normal, the other side evaluated in the same step,
// escalation above the episode's peak only, chattering per alarm (TR5), unique episode ids when
// the source clock does not move.
import assert from 'node:assert/strict';
import { NS_KEYS, restoreEngine } from '../../nodes/core/alarms';
import type { AssetReadings } from '../../nodes/core/contracts';
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

  it('a bad reading without a value (a lost PLC link) is a sensor fault for bad quality, not for a missing number', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ limits: { H: { value: 80, severity: 'high' } } }), clock);
    const out = feed(e, clock, '', { quality: 'bad' });
    assert.deepEqual(states(out), ['sensor-fault:BAD']);
    assert.equal(out[0].details.reason, 'bad-quality');
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

describe('alarm delays in source time (issue 15 item 1)', function () {
  /** One message carrying several readings of one metric, as a store-and-forward link delivers them. */
  function batch(points: Array<[offsetMs: number, value: number]>, end: number): AssetReadings {
    return {
      asset: { id: 'P-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/P-101', class: 'pump' },
      readings: points.map(([off, value]) => ({ metric: 'temp', value, quality: 'good' as const, timestamp: new Date(end + off).toISOString() })),
      source: { kind: 'other', ref: 'test' },
    };
  }
  const sixSeconds: Array<[number, number]> = [[-6000, 85], [-5000, 85], [-4000, 85], [-3000, 85], [-2000, 85], [-1000, 85], [0, 85]];

  it('a batch ending now that covers the on-delay raises in that message, at the reading that completed the delay', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ onDelay: { seconds: 5 } }), clock);
    const out = valid(e.ingest(batch(sixSeconds, clock.wallMs)));
    assert.deepEqual(states(out), ['raised:H']);
    assert.equal(out[0].occurredAt, new Date(clock.wallMs - 1000).toISOString());
    assert.equal(out[0].details.startedAt, new Date(clock.wallMs - 6000).toISOString());
  });

  it('a batch entirely in the past (within the skew guard) is judged as it happened', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ onDelay: { seconds: 5 } }), clock);
    const end = clock.wallMs - 60_000;
    const out = valid(e.ingest(batch(sixSeconds, end)));
    assert.deepEqual(states(out), ['raised:H']);
    assert.equal(out[0].occurredAt, new Date(end - 1000).toISOString());
  });

  it('readings out of order: older ones after a newer one are ignored (counted late)', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ onDelay: { seconds: 5 } }), clock);
    const out = valid(e.ingest(batch([[-6000, 85], [0, 70], [-3000, 85], [-1000, 85]], clock.wallMs)));
    assert.deepEqual(out, [], 'the in-order readings end the excursion at 70');
    assert.equal(e.counters.late, 2);
  });

  it('a batch older than the skew guard falls back to arrival time: the on-delay then runs from now', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ onDelay: { seconds: 5 } }), clock, { maxClockSkewMs: 300_000 });
    const out = valid(e.ingest(batch(sixSeconds, clock.wallMs - 600_000)));
    assert.deepEqual(out, []);
    assert.equal(e.counters.clockReplaced, 7);
    clock.advance(4999);
    assert.deepEqual(valid(e.tick()), []);
    clock.advance(1);
    assert.deepEqual(states(valid(e.tick())), ['raised:H']);
  });

  it('stale detection runs in source time too: a last reading older than staleAfter is a stale sensor', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ staleAfterSeconds: 30 }), clock);
    assert.deepEqual(valid(e.ingest(batch([[0, 50]], clock.wallMs - 60_000))), []);
    assert.deepEqual(states(valid(e.tick())), ['sensor-fault:STALE']);
  });
});

import assert from 'node:assert/strict';
import { eventIdFor } from '../../nodes/core/alarms';
import { engineFor, FakeClock, feed, ruleSet, states, T0, valid } from './alarms-fixtures';

describe('alarm engine: limits, deadband, delays', function () {
  it('raises at H, escalates to HH in the same episode, and clears with duration, peak and worst level', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock);
    assert.deepEqual(feed(e, clock, 70), []);
    clock.advance(1000);
    const raised = feed(e, clock, 82, { unit: '°C' });
    assert.deepEqual(states(raised), ['raised:H']);
    const ev = raised[0];
    assert.equal(ev.eventId, eventIdFor('BEDFORD', 'P-101', 'temp-high', 'limit', T0 + 1000));
    assert.equal(ev.eventId, 'BEDFORD.P-101.temp-high.limit.20260301T100001000Z');
    assert.equal(ev.severity, 'high');
    assert.equal(ev.priority, 2);
    assert.equal(ev.limit, 80);
    assert.equal(ev.value, 82);
    assert.match(ev.summary, /temp high on P-101: 82 °C ≥ 80 °C/);
    clock.advance(1000);
    const up = feed(e, clock, 97);
    assert.deepEqual(states(up), ['escalated:HH']);
    assert.equal(up[0].eventId, ev.eventId);
    assert.equal(up[0].details.previousLevel, 'H');
    assert.equal(up[0].severity, 'critical');
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 90), [], 'de-escalation to H sends nothing and keeps the episode');
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 96), [], 'back up to a level the episode already reached is not news (issue 15 item 4)');
    clock.advance(5000);
    const cleared = feed(e, clock, 70);
    assert.deepEqual(states(cleared), ['cleared:HH']);
    assert.equal(cleared[0].eventId, ev.eventId);
    assert.equal(cleared[0].details.peak, 97);
    assert.equal(cleared[0].details.durationSeconds, 8);
    assert.equal(cleared[0].severity, 'critical');
  });

  it('holds the alarm inside the deadband and clears only below limit − deadband', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ deadband: 2 }), clock);
    assert.deepEqual(states(feed(e, clock, 80)), ['raised:H']);
    for (const v of [79, 78.5, 80.5, 78.1, 79.9]) {
      clock.advance(100);
      assert.deepEqual(feed(e, clock, v), [], `${v} is inside the deadband`);
    }
    clock.advance(100);
    assert.deepEqual(states(feed(e, clock, 77.9)), ['cleared:H']);
  });

  it('takes a percentage deadband of the instrument span', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ deadband: '5%', validRange: { min: 0, max: 200 } }), clock);
    feed(e, clock, 81);
    clock.advance(100);
    assert.deepEqual(feed(e, clock, 71), [], '5 % of 0…200 is 10');
    clock.advance(100);
    assert.deepEqual(states(feed(e, clock, 69.9)), ['cleared:H']);
  });

  it('raises only after the on-delay (time and samples) and forgets a shorter excursion', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ onDelay: { seconds: 10, samples: 3 } }), clock);
    assert.deepEqual(feed(e, clock, 85), []);
    clock.advance(4000);
    assert.deepEqual(feed(e, clock, 85), []);
    clock.advance(4000);
    assert.deepEqual(feed(e, clock, 70), [], 'the excursion ended before the on-delay');
    clock.advance(1000);
    const start = clock.wallMs;
    assert.deepEqual(feed(e, clock, 85), []);
    clock.advance(1000);
    feed(e, clock, 85);
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 85), [], 'three samples but only 2 s');
    clock.advance(7999);
    assert.deepEqual(valid(e.tick()), []);
    clock.advance(1);
    const raised = valid(e.tick());
    assert.deepEqual(states(raised), ['raised:H'], 'the timer raises it with no further sample');
    assert.equal(raised[0].eventId, eventIdFor('BEDFORD', 'P-101', 'temp-high', 'limit', start), 'the episode starts at the first crossing');
  });

  it('clears only after the off-delay, and a return inside it keeps the episode', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ offDelay: { seconds: 30 } }), clock);
    const [raised] = feed(e, clock, 85);
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 60), []);
    clock.advance(20_000);
    assert.deepEqual(feed(e, clock, 85), [], 'back in alarm within the off-delay: same episode, no event');
    clock.advance(1000);
    feed(e, clock, 60);
    clock.advance(29_999);
    assert.deepEqual(valid(e.tick()), []);
    clock.advance(1);
    const cleared = valid(e.tick());
    assert.deepEqual(states(cleared), ['cleared:H']);
    assert.equal(cleared[0].eventId, raised.eventId);
  });

  it('handles low limits; a jump to the other side ends the episode and starts the other side in the same step', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ limits: { L: { value: 10, severity: 'medium' }, LL: { value: 5, severity: 'high', priority: 'HIGH' }, H: { value: 80, severity: 'high' } } }), clock);
    assert.deepEqual(states(feed(e, clock, 9)), ['raised:L']);
    clock.advance(1000);
    const ll = feed(e, clock, 4);
    assert.deepEqual(states(ll), ['escalated:LL']);
    assert.equal(ll[0].priority, 'HIGH');
    clock.advance(1000);
    const jump = feed(e, clock, 90);
    assert.deepEqual(states(jump), ['cleared:LL', 'raised:H']);
    assert.notEqual(jump[1].eventId, jump[0].eventId, 'a new episode');
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 90), []);
  });

  it('takes limits from the asset registry custom fields, with the rule value as fallback', function () {
    const clock = new FakeClock();
    const set = ruleSet({ limits: { H: { fromCustom: 'tempHigh', value: 80, severity: 'high' } } });
    const e = engineFor(set, clock);
    assert.deepEqual(feed(e, clock, 75, { asset: { custom: { tempHigh: 70 } } }).map((x) => x.limit), [70]);
    clock.advance(1000);
    feed(e, clock, 50, { asset: { custom: { tempHigh: 70 } } });
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 75, { asset: { custom: { tempHigh: 'n/a' } } }), [], 'no number in the field: the rule value 80 applies');
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 81, { asset: { id: 'P-102', custom: { tempHigh: '90' } } }), [], 'numeric text counts');
  });

  it('ignores readings older than the last one, and replaces a source clock that is far off', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock, { maxClockSkewMs: 60_000 });
    feed(e, clock, 50);
    assert.deepEqual(feed(e, clock, 90, { at: clock.wallMs - 5000 }), [], 'late reading ignored');
    assert.equal(e.counters.late, 1);
    const ev = feed(e, clock, 90, { at: clock.wallMs + 3_600_000 });
    assert.equal(ev[0].occurredAt, new Date(clock.wallMs).toISOString(), 'an hour in the future: the gateway clock is used');
    assert.equal(e.counters.clockReplaced, 1);
  });
});

describe('alarm engine: bounds', function () {
  it('watches at most maxKeys signals, counts what it refuses, and ignores assets without rules', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}), clock, { maxKeys: 3 });
    for (let i = 0; i < 5; i++) feed(e, clock, 90, { asset: { id: `P-${i}` } });
    assert.equal(e.table.keys, 3);
    assert.equal(e.counters.refused, 2);
    assert.equal(e.health().active, 3);
    feed(e, clock, 90, { asset: { id: 'F-1', class: 'fan' } });
    assert.equal(e.counters.unmatched, 1);
  });

  it('issue 12 item 12: the cap is crossed once per crossing, refused readings are in the health report', function () {
    const clock = new FakeClock();
    const set = ruleSet({}, { classes: { fan: [] } });
    const e = engineFor(set, clock, { maxKeys: 2 });
    for (let i = 0; i < 2; i++) feed(e, clock, 50, { asset: { id: `P-${i}` } });
    assert.equal(e.capCrossings, 0, 'at the cap, nothing refused yet');
    for (let round = 0; round < 3; round++) for (let i = 2; i < 6; i++) feed(e, clock, 50, { asset: { id: `P-${i}` } });
    assert.equal(e.capCrossings, 1, 'twelve refusals, one crossing');
    assert.equal(e.health().refused, 12);
    assert.equal(e.health().maxKeys, 2);
    // A key goes (its asset changed to a class without rules): below the cap; the next refusal is a new crossing.
    feed(e, clock, 50, { asset: { id: 'P-0', class: 'fan' } });
    feed(e, clock, 50, { asset: { id: 'P-2' } });
    assert.equal(e.capCrossings, 1, 'P-2 fits again');
    feed(e, clock, 50, { asset: { id: 'P-3' } });
    assert.equal(e.capCrossings, 2);
  });
});

describe('alarm engine: sensor faults', function () {
  it('an on-delay running out while the sensor is stale raises nothing; the next reading decides', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ staleAfterSeconds: 60, onDelay: { seconds: 120 } }), clock);
    assert.deepEqual(feed(e, clock, 85), []);
    clock.advance(60_000);
    assert.deepEqual(states(valid(e.tick())), ['sensor-fault:STALE']);
    clock.advance(100_000);
    assert.deepEqual(valid(e.tick()), [], 'no process alarm from a silent sensor');
    clock.advance(40_000);
    assert.deepEqual(states(feed(e, clock, 85)), ['cleared:STALE', 'raised:H']);
  });

  it('stale: sensor-fault after staleAfter, process conditions held, cleared by the next reading', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ staleAfterSeconds: 60 }), clock);
    feed(e, clock, 50);
    clock.advance(59_999);
    assert.deepEqual(valid(e.tick()), []);
    clock.advance(1);
    const fault = valid(e.tick());
    assert.deepEqual(states(fault), ['sensor-fault:STALE']);
    assert.equal(fault[0].value, null);
    assert.equal(fault[0].details.lastValue, 50);
    assert.match(fault[0].summary, /no reading for 60 s/);
    clock.advance(600_000);
    assert.deepEqual(valid(e.tick()), [], 'one fault per stale period');
    const back = feed(e, clock, 50);
    assert.deepEqual(states(back), ['cleared:STALE']);
    assert.equal(back[0].eventId, fault[0].eventId);
  });

  it('bad quality and out-of-range readings are sensor faults and hold the process alarm', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ validRange: { min: -40, max: 200 } }), clock);
    const [raised] = feed(e, clock, 85);
    clock.advance(1000);
    const bad = feed(e, clock, 20, { quality: 'bad' });
    assert.deepEqual(states(bad), ['sensor-fault:BAD'], 'a bad 20 does not clear the high alarm');
    assert.equal(bad[0].details.reason, 'bad-quality');
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 500), [], 'out of range while already faulted: same episode');
    clock.advance(1000);
    const good = feed(e, clock, 85);
    assert.deepEqual(states(good), ['cleared:BAD'], 'quality back; the process alarm is still the same episode');
    clock.advance(1000);
    const cleared = feed(e, clock, 20);
    assert.deepEqual(states(cleared), ['cleared:H']);
    assert.equal(cleared[0].eventId, raised.eventId);
    clock.advance(1000);
    const oor = feed(e, clock, -60);
    assert.deepEqual(states(oor), ['sensor-fault:BAD']);
    assert.equal(oor[0].details.reason, 'out-of-range');
    assert.equal(oor[0].limit, -40);
    clock.advance(1000);
    assert.deepEqual(states(feed(e, clock, 'broken')), [], 'text while faulted: still the same fault');
  });

  it('several rules on one metric: one sensor fault for a bad sensor, and every rule holds', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}, { classes: { '*': [{ id: 'temp-roc', metric: 'temp', rateOfChange: { limit: 1, per: 'second', windowSeconds: 10, severity: 'low' }, staleAfterSeconds: 30 }] } }), clock);
    feed(e, clock, 90);
    clock.advance(1000);
    const bad = feed(e, clock, 20, { quality: 'bad' });
    assert.deepEqual(bad.map((ev) => `${ev.state}:${ev.ruleId}`), ['sensor-fault:temp-roc']);
    clock.advance(30_000);
    assert.deepEqual(valid(e.tick()), [], 'the same sensor going stale is the same fault episode');
  });

  it('uncertain quality: evaluate, hold, or fault as the rule says', function () {
    for (const [mode, expected] of [['evaluate', ['raised:H']], ['hold', []], ['fault', ['sensor-fault:BAD']]] as const) {
      const clock = new FakeClock();
      const e = engineFor(ruleSet({ uncertainQuality: mode }), clock);
      assert.deepEqual(states(feed(e, clock, 90, { quality: 'uncertain' })), expected, mode);
    }
  });
});

describe('alarm engine: rate of change and re-alarm', function () {
  it('raises a rate-of-change alarm over the window and clears when the rate falls', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ limits: undefined, rateOfChange: { limit: 5, per: 'minute', windowSeconds: 60, severity: 'medium', direction: 'rise' } }), clock);
    const seen: string[] = [];
    for (let i = 0; i <= 12; i++) {
      seen.push(...states(feed(e, clock, 20 + i * 0.6)));
      clock.advance(10_000);
    }
    assert.deepEqual(seen, [], '0.6 per 10 s is 3.6/min, under the 5/min limit');
  });

  it('rate of change: rising 12/min raises ROC, steady clears it', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ limits: undefined, rateOfChange: { limit: 5, per: 'minute', windowSeconds: 60, severity: 'medium' } }), clock);
    const seen: string[] = [];
    let v = 20;
    for (let i = 0; i < 10; i++) {
      seen.push(...states(feed(e, clock, v)));
      clock.advance(10_000);
      v += 2;
    }
    for (let i = 0; i < 10; i++) {
      seen.push(...states(feed(e, clock, v)));
      clock.advance(10_000);
    }
    assert.deepEqual(seen, ['raised:ROC', 'cleared:ROC']);
  });

  it('re-alarms while active and unacknowledged, up to the maximum, with the same eventId', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({ reAlarm: { seconds: 600, maxCount: 2 } }), clock);
    const [raised] = feed(e, clock, 85);
    const again: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(600_000);
      for (const ev of valid(e.tick())) {
        assert.equal(ev.eventId, raised.eventId);
        again.push(`${ev.state}:${String(ev.details.reAlarm)}`);
      }
    }
    assert.deepEqual(again, ['raised:1', 'raised:2']);
  });
});

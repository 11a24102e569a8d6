// Issue 13 item 2: an asset's episodes survive a change of its class or of the rules. A rule that
// still applies keeps its state and eventId; a rule that no longer applies ends its episode with
// `cleared` (reason rule-removed) — never a second episode for a problem that did not end.
import assert from 'node:assert/strict';
import { checkRuleSet, NS_KEYS, restoreEngine, type RuleSet, type RuleSpec } from '../../nodes/core/alarms';
import { engineFor, FakeClock, feed, MemoryStore, restart, states, valid } from './alarms-fixtures';

const TEMP: RuleSpec = { id: 'temp-high', metric: 'temp', name: 'Temperature', limits: { H: { value: 80, severity: 'high' }, HH: { value: 95, severity: 'critical' } }, deadband: 2 };

function rules(classes: Record<string, RuleSpec[]>): RuleSet {
  const set: RuleSet = { classes };
  const checked = checkRuleSet(set);
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  return set;
}

/** Two classes that share the rule, as rows of one asset with different attributes produce. */
const SHARED = rules({ pump: [TEMP], 'pump-api610': [{ ...TEMP, limits: { H: { value: 82, severity: 'high' }, HH: { value: 95, severity: 'critical' } } }], fan: [] });

describe('alarm episodes across a change of class or rules', function () {
  it('a class that alternates between messages during a sustained alarm: one episode, one raised', function () {
    const clock = new FakeClock();
    const e = engineFor(SHARED, clock);
    const all = [];
    for (let poll = 0; poll < 20; poll++) {
      all.push(...feed(e, clock, 85.3, { asset: { class: poll % 2 === 0 ? 'pump' : 'pump-api610' } }));
      clock.advance(10_000);
    }
    assert.deepEqual(states(all), ['raised:H'], 'one raised over 20 polls');
    assert.equal(e.health().keys, 1, 'one key, kept across the class changes');
    const cleared = feed(e, clock, 70, { asset: { class: 'pump-api610' } });
    assert.deepEqual(states(cleared), ['cleared:H']);
    assert.equal(cleared[0].eventId, all[0].eventId, 'the clear belongs to the same episode');
  });

  it('the rule keeps its episode but runs with the new class\'s limits', function () {
    const clock = new FakeClock();
    const e = engineFor(SHARED, clock);
    const [raised] = feed(e, clock, 81, { asset: { class: 'pump' } });
    clock.advance(1000);
    const after = feed(e, clock, 79.5, { asset: { class: 'pump-api610' } });
    // 79.5 is inside pump's deadband (80 − 2) but below pump-api610's (82 − 2): the episode ends.
    assert.deepEqual(states(after), ['cleared:H']);
    assert.equal(after[0].eventId, raised.eventId);
  });

  it('a class without the rule ends the episode with cleared (rule-removed), once', function () {
    const clock = new FakeClock();
    const e = engineFor(SHARED, clock);
    const [raised] = feed(e, clock, 90, { asset: { class: 'pump' } });
    clock.advance(1000);
    const ended = feed(e, clock, 90, { asset: { class: 'fan' } });
    assert.deepEqual(states(ended), ['cleared:H']);
    assert.equal(ended[0].eventId, raised.eventId);
    assert.equal(ended[0].details.reason, 'rule-removed');
    assert.match(ended[0].summary, /no longer applies/);
    clock.advance(1000);
    assert.deepEqual(feed(e, clock, 90, { asset: { class: 'fan' } }), [], 'nothing watches the metric any more');
    assert.equal(e.health().keys, 0);
    assert.equal(e.health().active, 0);
  });

  it('a registry edit of the class with an active alarm, across a restart from the state file: no second raised', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    let e = engineFor(SHARED, clock);
    const [raised] = feed(e, clock, 90, { asset: { class: 'pump' } });
    store.apply(e.takeWrites());
    e = restart(SHARED, clock, store);
    clock.advance(10_000);
    assert.deepEqual(feed(e, clock, 90, { asset: { class: 'pump-api610' } }), [], 'the edited class continues the episode');
    store.apply(e.takeWrites());
    const rec = store.all(NS_KEYS).values().next().value as { asset: { class: string } };
    assert.equal(rec.asset.class, 'pump-api610', 'the record now carries the new class');
    e = restart(SHARED, clock, store);
    clock.advance(10_000);
    assert.deepEqual(feed(e, clock, 90, { asset: { class: 'pump-api610' } }), []);
    clock.advance(10_000);
    const cleared = feed(e, clock, 60, { asset: { class: 'pump-api610' } });
    assert.deepEqual(states(cleared), ['cleared:H']);
    assert.equal(cleared[0].eventId, raised.eventId);
  });

  it('a rules edit that removes the rule: the restored episode ends with cleared (rule-removed), the record goes', function () {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const e = engineFor(SHARED, clock);
    const [raised] = feed(e, clock, 90, { asset: { class: 'pump' } });
    store.apply(e.takeWrites());
    const edited = rules({ pump: [{ ...TEMP, id: 'temp-high-2' }] });
    const next = engineFor(edited, clock);
    const r = restoreEngine(next, { keys: store.all(NS_KEYS), shelves: new Map(), outOfService: new Map() });
    store.apply(next.takeWrites());
    assert.equal(r.ended, 1);
    const ended = valid(next.drain());
    assert.deepEqual(states(ended), ['cleared:H']);
    assert.equal(ended[0].eventId, raised.eventId);
    assert.equal(ended[0].episodeId, raised.episodeId);
    assert.equal(ended[0].details.reason, 'rule-removed');
    assert.equal(ended[0].severity, 'high');
    assert.equal(ended[0].metric, 'temp');
    assert.ok(![...store.all(NS_KEYS).values()].some((v) => (v as { rule: string }).rule === 'temp-high'), 'the old record is deleted');
  });

  it('a rule that keeps its id but loses its rate of change ends only that condition', function () {
    const clock = new FakeClock();
    const roc = { ...TEMP, limits: { H: { value: 1000, severity: 'high' as const } }, rateOfChange: { limit: 10, per: 'minute' as const, windowSeconds: 60, severity: 'medium' as const } };
    const set = rules({ pump: [roc], 'pump-b': [{ ...roc, rateOfChange: undefined } as RuleSpec] });
    const e = engineFor(set, clock);
    let out = [];
    for (let i = 0; i < 8; i++) {
      out.push(...feed(e, clock, 20 + i * 5, { asset: { class: 'pump' } }));
      clock.advance(10_000);
    }
    assert.deepEqual(states(out), ['raised:ROC']);
    out = feed(e, clock, 70, { asset: { class: 'pump-b' } });
    assert.deepEqual(states(out), ['cleared:ROC']);
    assert.equal(out[0].details.reason, 'rule-removed');
    store(e);
  });
});

/** The records the engine writes after such a change are valid JSON for the store. */
function store(e: ReturnType<typeof engineFor>): void {
  const s = new MemoryStore();
  s.apply(e.takeWrites());
  for (const v of s.all(NS_KEYS).values()) assert.equal(typeof (v as { rule: string }).rule, 'string');
}

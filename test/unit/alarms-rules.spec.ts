import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkRuleSet, eventIdFor, mergeRuleSets, migrate, parseRuleSet, parseThresholdSettings, RuleBook, type RuleSet } from '../../nodes/core/alarms';
import { engineFor, FakeClock, feed, ruleSet, states } from './alarms-fixtures';

const good: RuleSet = {
  classes: {
    pump: [{ id: 'bearing-temp', metric: 'bearing_temp', limits: { H: { value: 85, severity: 'high' }, HH: { value: 95, severity: 'critical', priority: 1 } }, deadband: '2%' }],
    '*': [{ id: 'vib', metric: 'vibration', limits: { H: { value: 7.1, severity: 'medium' } } }],
  },
  assets: {
    'P-101': { rules: [{ id: 'bearing-temp', limits: { H: { value: 80, severity: 'high' } } }] },
    'BEDFORD/P-102': { disable: ['vib'] },
  },
};

describe('alarm rule sets', function () {
  it('accepts a valid rule set', function () {
    assert.deepEqual(checkRuleSet(good), { ok: true, value: good });
  });

  it('names the class, the rule and the field in schema errors', function () {
    const bad = {
      classes: {
        pump: [
          { id: 'bearing-temp', metric: 'bearing_temp', limits: { H: { value: 85, severity: 'urgent' } } },
          { id: 'flow', metric: 'flow', deadband: 'lots', limits: { L: { value: 1, severity: 'low' } }, onDelay: { minutes: 5 } },
          { metric: 'x', limits: { H: { value: 1, severity: 'low' } } },
        ],
      },
      assets: { 'P-101': { rules: [{ id: 'flow', limits: { L: { value: 'one', severity: 'low' } } }] } },
    };
    const r = checkRuleSet(bad);
    assert.equal(r.ok, false);
    const errors = r.ok ? [] : r.errors;
    assert.ok(errors.includes('class "pump", rule "bearing-temp": limits.H.severity: must be one of "critical", "high", "medium", "low"'), errors.join('\n'));
    assert.ok(errors.includes('class "pump", rule "flow": deadband: must be a number ≥ 0 or a percentage like "2%"'), errors.join('\n'));
    assert.ok(errors.includes('class "pump", rule "flow": onDelay: unknown field "minutes"'), errors.join('\n'));
    assert.ok(errors.includes('class "pump", rule #3: missing "id"'), errors.join('\n'));
    assert.ok(errors.includes('asset "P-101", rule "flow": limits.L.value: must be number'), errors.join('\n'));
  });

  it('finds what a schema cannot: limit order, duplicate ids, rules with nothing to check, unknown classes', function () {
    const r = checkRuleSet({
      classes: {
        pump: [
          { id: 't', metric: 't', limits: { H: { value: 90, severity: 'high' }, HH: { value: 80, severity: 'critical' } } },
          { id: 't', metric: 'u', staleAfterSeconds: 60 },
          { id: 'empty', metric: 'e' },
          { id: 'nolimit', metric: 'n', limits: { H: { severity: 'high' } } },
        ],
      },
      assets: { 'P-9': { class: 'compressor' } },
    });
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : r.errors, [
      'class "pump", rule "t": limits: HH must be above H',
      'class "pump", rule "t": the id is used twice in this class',
      'class "pump", rule "empty": has nothing to check (give limits, rateOfChange, staleAfterSeconds or validRange)',
      'class "pump", rule "nolimit": limits.H: needs "value" or "fromCustom"',
      'asset "P-9": class "compressor" has no rules',
    ]);
  });

  it('parses text and says where it came from', function () {
    assert.deepEqual(parseRuleSet('', 'editor'), { ok: true, value: {} });
    const r = parseRuleSet('{"classes": {', 'rules file /data/rules.json');
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.errors[0], /^rules file \/data\/rules\.json: not JSON/);
  });

  it('merges a rules file with the editor rules, the editor winning per rule id and per asset', function () {
    const merged = mergeRuleSets(good, {
      classes: { pump: [{ id: 'bearing-temp', metric: 'bearing_temp', limits: { H: { value: 70, severity: 'low' } } }, { id: 'new', metric: 'n', staleAfterSeconds: 5 }] },
      assets: { 'P-101': { disable: ['vib'] } },
    });
    assert.deepEqual(merged.classes?.pump.map((r) => [r.id, r.limits?.H?.value]), [['bearing-temp', 70], ['new', undefined]]);
    assert.deepEqual(merged.assets?.['P-101'], { disable: ['vib'] });
    assert.ok(merged.assets?.['BEDFORD/P-102']);
  });

  it('gives each asset its class rules, the "*" rules and its overrides', function () {
    const book = new RuleBook(good);
    const plain = book.rulesFor({ id: 'P-200', siteId: 'BEDFORD', class: 'pump' });
    assert.deepEqual(plain.rules.map((r) => r.id), ['vib', 'bearing-temp']);
    assert.equal(plain.rules[1].limits?.h, 85);
    assert.equal(plain.rules[1].limits?.dbH, 85 * 0.02, '2 % of the limit when there is no instrument range');
    const overridden = book.rulesFor({ id: 'P-101', siteId: 'BEDFORD', class: 'pump' });
    assert.equal(overridden.rules[1].limits?.h, 80);
    assert.equal(overridden.rules[1].limits?.hh, 95, 'the override changes only what it names');
    assert.deepEqual(book.rulesFor({ id: 'P-102', siteId: 'BEDFORD', class: 'pump' }).rules.map((r) => r.id), ['bearing-temp']);
    assert.deepEqual(book.rulesFor({ id: 'P-102', siteId: 'OTHER', class: 'pump' }).rules.map((r) => r.id), ['vib', 'bearing-temp'], '"site/asset" keys are site-specific');
    assert.deepEqual(book.rulesFor({ id: 'C-1', siteId: 'BEDFORD', class: 'compressor' }).rules.map((r) => r.id), ['vib']);
    assert.deepEqual(book.rulesFor({ id: 'C-1', siteId: 'BEDFORD' }).rules.map((r) => r.id), ['vib']);
  });

  it('reports an override that breaks the limit order, and leaves that rule out', function () {
    const book = new RuleBook({ ...good, assets: { 'P-7': { rules: [{ id: 'bearing-temp', limits: { H: { value: 99, severity: 'high' } } }] } } });
    const rules = book.rulesFor({ id: 'P-7', siteId: 'S', class: 'pump' });
    assert.deepEqual(rules.rules.map((r) => r.id), ['vib']);
    assert.deepEqual(book.problems, ['asset "P-7", rule "bearing-temp": limits: HH must be above H']);
  });

  it('applies per-asset overrides in the engine', function () {
    const clock = new FakeClock();
    const e = engineFor(ruleSet({}, { assets: { 'P-101': { rules: [{ id: 'temp-high', limits: { H: { value: 60, severity: 'low' } } }] } } }), clock);
    assert.deepEqual(states(feed(e, clock, 65)), ['raised:H']);
    assert.deepEqual(states(feed(e, clock, 65, { asset: { id: 'P-200' } })), []);
  });
});

describe('alarm event ids', function () {
  it('are readable when the ids allow, and hashed (still deterministic) when they do not', function () {
    const t = Date.parse('2026-03-01T10:15:00.123Z');
    assert.equal(eventIdFor('BEDFORD', 'P-101', 'bearing-temp', 'limit', t), 'BEDFORD.P-101.bearing-temp.limit.20260301T101500123Z');
    const odd = eventIdFor('BEDFORD', 'PUMP 101/A', 'bearing-temp', 'limit', t);
    assert.match(odd, /^mw-[0-9a-f]{40}$/);
    assert.equal(eventIdFor('BEDFORD', 'PUMP 101/A', 'bearing-temp', 'limit', t), odd);
    assert.notEqual(eventIdFor('BEDFORD', 'PUMP 101/A', 'bearing-temp', 'limit', t + 1), odd);
    assert.notEqual(eventIdFor('BEDFORD', 'P-101', 'bearing-temp', 'roc', t), eventIdFor('BEDFORD', 'P-101', 'bearing-temp', 'limit', t));
    assert.match(eventIdFor('S'.repeat(100), 'A', 'r', 'limit', t), /^mw-/, 'too long for a CMMS reference field');
  });
});

describe('mw-threshold settings', function () {
  it('has defaults, accepts numbers typed as text, and rejects nonsense', function () {
    const ok = parseThresholdSettings({ rules: '', maxKeys: '1000', healthIntervalSeconds: 60 });
    assert.equal(ok.ok, true);
    if (ok.ok) {
      assert.equal(ok.value.maxKeys, 1000);
      assert.equal(ok.value.healthIntervalS, 60);
      assert.equal(ok.value.maxShelveMs, 8 * 3600_000);
      assert.equal(ok.value.holdWhileWorkOrderOpen, true);
    }
    const bad = parseThresholdSettings({ maxKeys: 'many', maxShelveHours: -1 });
    assert.deepEqual(bad.ok ? [] : bad.errors, [
      'config.maxShelveHours: must be a number from 0.01 to 720, not "-1"',
      'config.maxKeys: must be a number from 1 to 1000000, not "many"',
    ]);
  });
});

describe('mw-threshold setting names with units, and flows saved by 0.1.0', function () {
  // A node exactly as 0.1.0's editor saved it (from the example flow, health report every 30 s).
  const saved = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'mw-threshold-node-0.1.0.json'), 'utf8')) as Record<string, unknown>;

  it('migrate reads healthInterval when healthIntervalSeconds is absent, and drops the old name', function () {
    assert.equal(saved.healthInterval, '30', 'the fixture has the old name');
    assert.equal(saved.healthIntervalSeconds, undefined);
    const m = migrate(saved);
    assert.equal(m.healthIntervalSeconds, '30');
    assert.equal('healthInterval' in m, false);
    assert.equal(saved.healthInterval, '30', 'the saved config itself is not changed');
    for (const k of ['rules', 'maxShelveHours', 'maxClockSkewSeconds', 'maxKeys', 'holdWhileWorkOrderOpen']) assert.deepEqual(m[k], saved[k], k);
  });

  it('the saved node loads with the same settings as 0.1.0 gave it; the new name wins over the old', function () {
    const r = parseThresholdSettings(saved);
    assert.equal(r.ok, true, r.ok ? '' : r.errors.join('; '));
    if (r.ok) {
      assert.equal(r.value.healthIntervalS, 30);
      assert.equal(r.value.maxShelveMs, 8 * 3600_000);
      assert.equal(r.value.maxClockSkewMs, 300_000);
      assert.equal(r.value.maxKeys, 50_000);
    }
    const both = parseThresholdSettings({ ...saved, healthIntervalSeconds: 120 });
    assert.equal(both.ok && both.value.healthIntervalS, 120);
    const cleared = parseThresholdSettings({ ...saved, healthInterval: '', healthIntervalSeconds: 45 });
    assert.equal(cleared.ok && cleared.value.healthIntervalS, 45, 'the editor blanks the old name when it saves the new one');
    const wrong = parseThresholdSettings({ healthInterval: '0.5' });
    assert.deepEqual(wrong.ok ? [] : wrong.errors, ['config.healthIntervalSeconds: at least 1 second, or 0 for reports only on request']);
  });
});

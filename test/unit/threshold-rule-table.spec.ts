// The editor's rule table (editor/mw-threshold-form.js): rule set -> rows -> rule set gives back the
// same rules, fields the table has no column for stay, and each field is checked against the same
// schema the runtime validates rules with.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

import { checkRuleSet, RULE_SCHEMA } from '../../nodes/core/alarms';
import { REPO_ROOT } from '../support/package';

type Row = { scope: 'class' | 'asset'; key: string; rule: Record<string, unknown> };
interface FormApi {
  toRows(set: object): Row[];
  fromRows(rows: Row[], base: object): object;
  set(rule: object, p: string[], v: unknown): void;
  parseField(kind: string, text: string): unknown;
  checkField(schema: object, p: string[], kind: string, text: string, required: boolean): string;
}
const form = createRequire(__filename)(path.join(REPO_ROOT, 'editor', 'mw-threshold-form.js')) as FormApi;

const SET = {
  classes: {
    pump: [{
      id: 'bearing-temp', metric: 'bearing_temp', name: 'Bearing temperature',
      limits: { HH: { value: 95, severity: 'critical', priority: 1 }, H: { fromCustom: 'bearingTempHigh', value: 85, severity: 'high', priority: 2 } },
      deadband: 2, onDelay: { seconds: 30, samples: 3 }, offDelay: { seconds: 60 },
      rateOfChange: { limit: 5, per: 'minute', windowSeconds: 120, direction: 'rise', severity: 'medium' },
      staleAfterSeconds: 300, validRange: { min: -40, max: 200 }, reAlarm: { seconds: 14400, maxCount: 3 }, sensorFault: { severity: 'medium', priority: 3 },
    }],
    '*': [{ id: 'vibration', metric: 'vibration', limits: { H: { value: 7.1, severity: 'medium' } }, deadband: '5%' }],
  },
  assets: {
    'P-101': { class: 'pump', rules: [{ id: 'bearing-temp', limits: { H: { value: 80, severity: 'high' } } }] },
    'BEDFORD/P-102': { disable: ['vibration'] },
  },
};

describe('mw-threshold editor rule table', () => {
  it('round-trips a rule set exactly (same JSON text), keeping fields the table does not show', () => {
    assert.ok(checkRuleSet(SET).ok);
    const rows = form.toRows(SET);
    assert.equal(rows.length, 3);
    assert.equal(JSON.stringify(form.fromRows(rows, SET)), JSON.stringify(SET));
  });

  it('an edited H value lands in the rule; sample counts, fromCustom, reAlarm stay', () => {
    const rows = form.toRows(SET);
    form.set(rows[0].rule, ['limits', 'H', 'value'], form.parseField('number', ' 88 '));
    form.set(rows[0].rule, ['onDelay', 'seconds'], form.parseField('number', ''));
    const out = form.fromRows(rows, SET) as typeof SET;
    const r = out.classes.pump[0];
    assert.deepEqual(r.limits.H, { fromCustom: 'bearingTempHigh', value: 88, severity: 'high', priority: 2 });
    assert.deepEqual(r.onDelay, { samples: 3 });
    assert.deepEqual(r.reAlarm, SET.classes.pump[0].reAlarm);
    assert.ok(checkRuleSet(out).ok);
    // Clearing the last field of an object the table owns removes the object.
    form.set(rows[0].rule, ['validRange', 'min'], undefined);
    form.set(rows[0].rule, ['validRange', 'max'], undefined);
    assert.equal('validRange' in rows[0].rule, false);
  });

  it('moving a rule to a new asset and deleting rows keeps the rest of the set', () => {
    const rows = form.toRows(SET);
    rows[1] = { scope: 'asset', key: 'P-200', rule: rows[1].rule };
    const out = form.fromRows([rows[1], rows[2]], SET) as Record<string, Record<string, unknown>>;
    assert.deepEqual(out.classes, { pump: [], '*': [] });
    assert.deepEqual(Object.keys(out.assets), ['P-101', 'BEDFORD/P-102', 'P-200']);
    assert.deepEqual(out.assets['BEDFORD/P-102'], { disable: ['vibration'] });
  });

  it('checks typed fields against the runtime schema: text in a number, bad severity, bad deadband, negative delay', () => {
    const s = RULE_SCHEMA as unknown as object;
    assert.equal(form.checkField(s, ['limits', 'H', 'value'], 'number', '85.5', false), '');
    assert.match(form.checkField(s, ['limits', 'H', 'value'], 'number', 'eighty', false), /must be number/);
    assert.match(form.checkField(s, ['limits', 'H', 'severity'], 'text', 'urgent', false), /must be one of/);
    assert.equal(form.checkField(s, ['deadband'], 'numberOrText', '2%', false), '');
    assert.match(form.checkField(s, ['deadband'], 'numberOrText', '2 percent', false), /percentage/);
    assert.match(form.checkField(s, ['onDelay', 'seconds'], 'number', '-1', false), /≥ 0/);
    assert.match(form.checkField(s, ['staleAfterSeconds'], 'number', '0', false), /> 0/);
    assert.match(form.checkField(s, ['id'], 'text', 'has space', true), /not allowed/);
    assert.equal(form.checkField(s, ['id'], 'text', '', true), 'required');
    // Every field the table shows exists in the runtime schema (no column the runtime would reject).
    for (const f of (form as unknown as { FIELDS: Array<{ path: string[] }> }).FIELDS) {
      assert.notEqual(form.checkField(s, f.path, 'text', 'x', false), 'unknown field', f.path.join('.'));
    }
  });
});

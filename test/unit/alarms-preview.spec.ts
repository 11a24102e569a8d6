import assert from 'node:assert/strict';
import { loadRules, parseSeries, previewSeries } from '../../nodes/core/alarms';

const RULES = JSON.stringify({
  classes: { pump: [{ id: 'temp-high', metric: 'temp', limits: { H: { value: 80, severity: 'high' } }, deadband: 2, onDelay: { seconds: 3 } }] },
});

function book(): ReturnType<typeof loadRules> & { ok: true } {
  const l = loadRules(RULES, '', '');
  if (!l.ok) throw new Error(l.errors.join('; '));
  return l;
}

describe('alarms: preview of a series through the real engine', () => {
  it('raises after the on-delay, not on a short spike, and clears below the deadband', () => {
    // 1 s apart: a 2 s spike (shorter than the 3 s on-delay), then a sustained high, then 79 (inside the deadband), then 77.
    const s = parseSeries(['70', '85', '85', '70', '85', '85', '85', '85', '85', '79', '79', '77', '77'].join('\n'));
    assert.ok(s.ok);
    const events = previewSeries(book().book, { id: 'P-101', siteId: 'BEDFORD', class: 'pump' }, 'temp', s.points);
    assert.deepEqual(events.map((e) => [e.state, e.level, e.at]), [['raised', 'H', 7], ['cleared', 'H', 11]]);
    assert.equal(events[0].limit, 80);
  });

  it('reads seconds,value lines and names the line of a bad one', () => {
    const s = parseSeries('0,70\n10;85\n20\t90');
    assert.ok(s.ok);
    assert.deepEqual(s.points.map((p) => p.at), [0, 10, 20]);
    const bad = parseSeries('0,70\nten,85\n5,80\n1,80');
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.errors, ['line 2: "ten" is not a time in seconds', 'line 4: time 1 s is before the line above (5 s)']);
  });

  it('an asset the rules do not cover gives no events', () => {
    const s = parseSeries('90\n90\n90\n90\n90');
    assert.ok(s.ok);
    assert.deepEqual(previewSeries(book().book, { id: 'F-1', siteId: 'BEDFORD', class: 'fan' }, 'temp', s.points), []);
  });
});

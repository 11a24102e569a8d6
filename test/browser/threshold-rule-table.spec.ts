// mw-threshold's rule table in a real browser: a typed invalid value is marked invalid, and so is the node; the H value
// changed in the table is deployed and a reading sent over HTTP raises the alarm at the new limit.
import assert from 'node:assert/strict';

import { editorForSuite } from './editor-session';

const RULES = { classes: { pump: [{ id: 'temp-high', metric: 'temp', limits: { H: { value: 80, severity: 'high' } }, reAlarm: { seconds: 3600 } }] } };
const FLOW = [
  { id: 'mw-tab-rt', type: 'tab', label: 'alarm table' },
  { id: 'rt-in', type: 'http in', z: 'mw-tab-rt', url: '/th-reading', method: 'post', x: 100, y: 100, wires: [['rt-threshold', 'rt-ok']] },
  { id: 'rt-ok', type: 'http response', z: 'mw-tab-rt', statusCode: '200', x: 300, y: 180, wires: [] },
  { id: 'rt-threshold', type: 'mw-threshold', z: 'mw-tab-rt', name: 'pump alarms', rules: JSON.stringify(RULES), x: 300, y: 100, wires: [['rt-line'], [], []] },
  {
    id: 'rt-line', type: 'change', z: 'mw-tab-rt', x: 500, y: 100, wires: [['rt-debug']],
    rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.state & " " & payload.level & " at " & $string(payload.value) & " limit " & $string(payload.limit)', tot: 'jsonata' }],
  },
  { id: 'rt-debug', type: 'debug', z: 'mw-tab-rt', active: true, tosidebar: true, complete: 'payload', targetType: 'msg', x: 700, y: 100, wires: [] },
];

const reading = (value: number): object => ({
  asset: { id: 'P-101', siteId: 'BEDFORD', location: 'BEDFORD/P-101', class: 'pump' },
  readings: [{ metric: 'temp', value, quality: 'good', timestamp: new Date().toISOString() }],
  source: { kind: 'other', ref: 'browser test' },
});

describe('browser: mw-threshold rule table edits the deployed rules', function () {
  this.timeout(180_000);
  const session = editorForSuite(this, FLOW, 'mw-browser-rt-');

  it('marks text in the H value invalid; H changed to 90 is deployed: 85 raises nothing, 95 raises H at limit 90', async () => {
    const { page } = session().browser;
    await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      const RED = (window as any).RED;
      RED.editor.edit(RED.nodes.node('rt-threshold'));
    });
    const h = page.locator('#mw-threshold-rule-list [data-field="limits.H.value"]');
    await h.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await h.inputValue(), '80');
    await h.fill('ninety');
    assert.equal(await h.evaluate((el) => el.classList.contains('input-error')), true);
    assert.match(await h.getAttribute('title') ?? '', /must be number/);
    // Done with the red field: the node itself is invalid (Deploy would warn), and says which field.
    await page.click('#node-dialog-ok');
    // The tray slides out before the next dialog may open (same element ids in both).
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, undefined, { timeout: 15_000 });
    const validity = await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      const n = (window as any).RED.nodes.node('rt-threshold');
      return { valid: n.valid as boolean, errors: (n.validationErrors ?? []) as string[], rules: n.rules as string };
    });
    assert.equal(validity.valid, false, JSON.stringify(validity));
    assert.match(validity.rules, /"ninety"/);
    await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      const RED = (window as any).RED;
      RED.editor.edit(RED.nodes.node('rt-threshold'));
    });
    await h.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await h.inputValue(), 'ninety');
    await h.fill('90');
    assert.equal(await h.evaluate((el) => el.classList.contains('input-error')), false);
    // The JSON view shows the same rules, with the edit and the field the table has no column for.
    await page.click('#mw-threshold-view-json');
    const json = JSON.parse(await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      return (window as any).RED.nodes.node('rt-threshold').editor.getValue() as string;
    })) as typeof RULES;
    assert.deepEqual(json, { classes: { pump: [{ ...RULES.classes.pump[0], limits: { H: { value: 90, severity: 'high' } } }] } });
    await page.click('#mw-threshold-view-form');
    assert.equal(await h.inputValue(), '90');
    await h.scrollIntoViewIfNeeded();
    console.log(`    ${await session().browser.shot('threshold-rule-table')}`);
    await page.click('#node-dialog-ok');
    await page.click('#red-ui-header-button-deploy');
    await page.locator('.red-ui-notification:has-text("Successfully deployed")').first().waitFor({ timeout: 15_000 });

    const post = async (v: number): Promise<void> => {
      const r = await fetch(`${session().url}/api/th-reading`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reading(v)) });
      assert.equal(r.status, 200);
    };
    await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      (window as any).RED.sidebar.show('debug');
    });
    await post(85);
    await post(95);
    await page.locator('.red-ui-debug-msg:has-text("raised H at 95 limit 90")').first().waitFor({ timeout: 15_000 });
    const shown = await page.locator('.red-ui-debug-msg').allInnerTexts();
    assert.equal(shown.filter((t) => /raised/.test(t)).length, 1, shown.join('\n'));
    assert.deepEqual(session().browser.errors, []);
  });
});

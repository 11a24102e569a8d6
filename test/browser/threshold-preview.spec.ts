// mw-threshold's preview in a real browser: a pasted series played through the rules in the dialog
// by the runtime's own engine shows where an alarm raises and clears; an edited rule changes it.
import assert from 'node:assert/strict';

import { editorForSuite } from './editor-session';

const RULES = { classes: { pump: [{ id: 'temp-high', metric: 'temp', limits: { H: { value: 80, severity: 'high' } }, deadband: 2, onDelay: { seconds: 2 } }] } };
const FLOW = [
  { id: 'mw-tab-th', type: 'tab', label: 'alarm preview' },
  { id: 'th-preview', type: 'mw-threshold', z: 'mw-tab-th', name: 'pump alarms', rules: JSON.stringify(RULES), x: 200, y: 100, wires: [[], [], []] },
];

describe('browser: mw-threshold preview plays a series through the rules', function () {
  this.timeout(180_000);
  const session = editorForSuite(this, FLOW, 'mw-browser-th-');

  it('shows a raise and a clear; after the limit is edited to 90 the same series raises nothing', async () => {
    const { page } = session().browser;
    await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      const RED = (window as any).RED;
      RED.editor.edit(RED.nodes.node('th-preview'));
    });
    await page.locator('#node-dialog-ok').waitFor({ state: 'visible', timeout: 15_000 });
    await page.fill('#mw-threshold-pv-asset', 'P-101');
    await page.fill('#mw-threshold-pv-site', 'BEDFORD');
    await page.fill('#mw-threshold-pv-class', 'pump');
    await page.fill('#mw-threshold-pv-metric', 'temp');
    await page.fill('#mw-threshold-pv-series', '0,70\n10,85\n11,85\n20,85\n30,79\n40,77');
    await page.click('#mw-threshold-preview');
    await page.locator('#mw-threshold-preview-result li').nth(1).waitFor({ timeout: 15_000 });
    const lines = await page.locator('#mw-threshold-preview-result li').allInnerTexts();
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^12 s: raised H \(rule temp-high, value 85, limit 80\)/);
    assert.match(lines[1], /^40 s: cleared H/);
    await page.locator('#mw-threshold-preview-result').scrollIntoViewIfNeeded();
    console.log(`    ${await session().browser.shot('threshold-preview')}`);

    // The preview runs the rules as edited in the dialog, not the deployed ones.
    await page.evaluate((rules) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      const RED = (window as any).RED;
      RED.nodes.node('th-preview').editor.setValue(rules, -1);
    }, JSON.stringify({ classes: { pump: [{ ...RULES.classes.pump[0], limits: { H: { value: 90, severity: 'high' } } }] } }));
    await page.click('#mw-threshold-preview');
    await page.locator('#mw-threshold-preview-result:has-text("No alarm in these 6 points")').waitFor({ timeout: 15_000 });
    await page.click('#node-dialog-cancel');
    assert.deepEqual(session().browser.errors, []);
  });
});

// The registry's import in a real browser: pasted rows are checked by the runtime's own rules
// before anything is added; bad rows are listed per row and nothing is appended; good rows go in.
import assert from 'node:assert/strict';

import { editorForSuite } from './editor-session';

const ROW = { kind: 'exact', identifier: 'plant/p101/vib', assetId: 'PUMP-101', siteId: 'BEDFORD', location: 'AREA1/LINE2/PUMP-101', metric: 'vibration' };
const FLOW = [
  { id: 'mw-tab-reg', type: 'tab', label: 'registry import' },
  { id: 'reg-import', type: 'mw-asset-registry', name: 'plant map', rows: [ROW] },
];

// The cases: a row without location, kind foo, no assetId; one good row among them.
const BAD = [
  'kind,identifier,assetId,siteId,location,metric',
  'exact,plant/p102/vib,PUMP-102,BEDFORD,,vibration',
  'foo,plant/p103/vib,PUMP-103,BEDFORD,AREA1/LINE2/PUMP-103,vibration',
  'exact,plant/p104/vib,,BEDFORD,AREA1/LINE2/PUMP-104,vibration',
  'exact,plant/p105/vib,PUMP-105,BEDFORD,AREA1/LINE2/PUMP-105,vibration',
].join('\n');
const GOOD = [
  'kind,identifier,assetId,siteId,location,metric',
  'exact,plant/p102/vib,PUMP-102,BEDFORD,AREA1/LINE2/PUMP-102,vibration',
  'exact,plant/p105/vib,PUMP-105,BEDFORD,AREA1/LINE2/PUMP-105,vibration',
].join('\n');
// Good alone, but it claims the identifier and metric of the row already in the table.
const CLASH = ['kind,identifier,assetId,siteId,location,metric', 'exact,plant/p101/vib,PUMP-109,BEDFORD,AREA1/LINE2/PUMP-109,vibration'].join('\n');

describe('browser: registry import checks every row before anything is added', function () {
  this.timeout(180_000);
  const session = editorForSuite(this, FLOW, 'mw-browser-reg-');

  const rowCount = (): Promise<number> => session().browser.page.locator('#mw-reg-rows tbody tr').count();
  async function paste(text: string): Promise<void> {
    const { page } = session().browser;
    if (!(await page.locator('#mw-reg-import-text').isVisible())) await page.click('#mw-reg-import-open');
    await page.fill('#mw-reg-import-text', text);
    await page.click('#mw-reg-import-append');
  }

  it('bad rows: per-row errors, nothing appended; a clash with a row in the table too; good rows: appended', async () => {
    const { page } = session().browser;
    await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      (window as any).RED.editor.editConfig('', 'mw-asset-registry', 'reg-import');
    });
    await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('#mw-reg-rows tbody tr').first().waitFor({ state: 'attached', timeout: 15_000 });
    assert.equal(await rowCount(), 1);

    await paste(BAD);
    await page.locator('.mw-import-refused').waitFor({ timeout: 15_000 });
    const errors = await page.locator('#mw-reg-errors .mw-bad').allInnerTexts();
    const text = errors.join('\n');
    assert.match(text, /Nothing was imported: 3 problem/);
    assert.match(text, /import line 2: field "location" is missing \(required/);
    assert.match(text, /import line 3: field "kind"/);
    assert.match(text, /import line 4: field "assetId" is missing/);
    assert.doesNotMatch(text, /line 5/, 'the good row has no error');
    assert.equal(await rowCount(), 1, 'nothing appended, not even the good row');
    assert.equal(await page.inputValue('#mw-reg-import-text'), BAD, 'the text stays to be fixed');
    console.log(`    ${await session().browser.shot('registry-import-refused')}`);

    await paste(CLASH);
    // The first refusal is still on screen: wait for this import's own answer, not just any refusal.
    await page.waitForFunction(() => /imported row 1/.test((document.querySelector('#mw-reg-errors') as HTMLElement | null)?.innerText ?? ''), undefined, { timeout: 15_000 })
      .catch(() => undefined);
    assert.match((await page.locator('#mw-reg-errors').innerText()), /imported row 1/);
    assert.equal(await rowCount(), 1);

    await paste(GOOD);
    await page.waitForFunction(() => document.querySelectorAll('#mw-reg-rows tbody tr').length === 3, undefined, { timeout: 15_000 });
    assert.equal(await page.locator('.mw-import-refused').count(), 0);
    assert.match(await page.locator('#mw-reg-errors').innerText(), /No problems found/);
    const assets = await page.locator('#mw-reg-rows tbody tr td:nth-child(4)').allInnerTexts();
    assert.deepEqual(assets, ['PUMP-101 @ BEDFORD', 'PUMP-102 @ BEDFORD', 'PUMP-105 @ BEDFORD']);
    console.log(`    ${await session().browser.shot('registry-import-appended')}`);

    await page.click('#node-config-dialog-ok');
    const saved = await page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      return ((window as any).RED.nodes.node('reg-import').rows as Array<{ assetId: string }>).map((r) => r.assetId);
    });
    assert.deepEqual(saved, ['PUMP-101', 'PUMP-102', 'PUMP-105']);
    assert.deepEqual(session().browser.errors, []);
  });
});

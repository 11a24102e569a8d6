// The mw-wo-status edit dialog in a real browser (chromium through playwright-core) against a real
// Node-RED: the URL to give the CMMS with its copy button, dialect-aware fields, the stock status
// table loaded from the runtime, and the table saved into the node.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

describe('mw-wo-status editor in a browser', function () {
  this.timeout(120_000);
  let sim: CmmsSim;
  let rt: RunningRuntime;
  let browser: Browser;
  let dir: string;

  before(async function () {
    if (!CHROMIUM) throw new Error('no chromium at /usr/bin/chromium: the editor test needs a browser');
    sim = await startCmmsSim();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-wos-editor-'));
    fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ conn1: { apiKey: 'k' } }));
    rt = await startRuntime({
      userDir: dir, installPackage: true, settings: { credentialSecret: false },
      flows: [
        { id: 'tab1', type: 'tab', label: 'loop' },
        { id: 'conn1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' },
        { id: 'wos', z: 'tab1', type: 'mw-wo-status', cmms: 'conn1', mode: 'webhook', path: '/hooks/wo', x: 200, y: 100, wires: [[]] },
      ],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await rt?.stop();
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function openDialog(page: Page): Promise<void> {
    await page.goto(rt.url, { waitUntil: 'load' });
    await page.waitForFunction(() => {
      const R = (window as unknown as { RED?: { nodes?: { node(id: string): unknown } } }).RED;
      return !!R?.nodes?.node('wos');
    }, undefined, { timeout: 60_000 });
    await page.evaluate(() => {
      const R = (window as unknown as { RED: { editor: { edit(n: unknown): void }; nodes: { node(id: string): unknown } } }).RED;
      R.editor.edit(R.nodes.node('wos'));
    });
    await page.waitForSelector('#mw-wos-url', { state: 'visible' });
  }

  it('shows the URL for the CMMS, hides polling fields in webhook mode, loads and saves the status table', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openDialog(page);
    assert.equal(await page.textContent('#mw-wos-url'), `${rt.url}/api/hooks/wo`);
    assert.ok(await page.isVisible('#mw-wos-copy'));
    assert.equal(await page.isVisible('#node-input-pollIntervalSeconds'), false, 'webhook mode: no polling fields');
    assert.ok(await page.isVisible('#node-input-secretHeader'), 'Maximo: the shared-secret header');
    assert.equal(await page.isVisible('#node-input-table'), false, 'not ServiceNow: no table choice');
    await page.selectOption('#node-input-mode', 'poll');
    assert.ok(await page.isVisible('#node-input-pollIntervalSeconds'));
    assert.equal(await page.isVisible('#mw-wos-url'), false);
    await page.click('#mw-wos-stock');
    await page.waitForFunction(() => document.querySelectorAll('#node-input-statusMap-container .mw-wos-cmms').length >= 9);
    const rows = await page.$$eval('#node-input-statusMap-container li', (lis) => lis.map((li) => [
      (li.querySelector('.mw-wos-cmms') as HTMLInputElement).value, (li.querySelector('.mw-wos-state') as HTMLSelectElement).value,
    ]));
    assert.deepEqual(rows.find((r) => r[0] === 'WMATL'), ['WMATL', 'waiting']);
    assert.deepEqual(rows.find((r) => r[0] === 'CLOSE'), ['CLOSE', 'closed']);
    await page.click('#node-dialog-ok');
    const saved = await page.evaluate(() => {
      const R = (window as unknown as { RED: { nodes: { node(id: string): { mode: string; statusMap: Array<{ cmms: string; status: string }> } } } }).RED;
      const n = R.nodes.node('wos');
      return { mode: n.mode, rows: n.statusMap.length, comp: n.statusMap.find((r) => r.cmms === 'COMP')?.status };
    });
    assert.deepEqual(saved, { mode: 'poll', rows: 9, comp: 'done' });
    assert.deepEqual(errors, []);
    await page.close();
  });
});

// The editor shows what an admin route's error says (issue 11: one error body, {error: {code,
// message, details}}), never "undefined" or raw JSON: the asset map's "show unmapped" for a node that
// is not running, the alarm-rule preview of a bad series (each detail a line), and the vision-drift
// run-length hint for a budget that is not a number. Real Node-RED, real browser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
interface EditorRED { nodes: { node(id: string): unknown }; editor: { edit(n: unknown): void } }

describe('editors show admin route errors in words (browser)', function () {
  this.timeout(120_000);
  let rt: RunningRuntime;
  let browser: Browser;
  let dir: string;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    if (!CHROMIUM) throw new Error('no chromium at /usr/bin/chromium: the editor test needs a browser');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-admin-errors-'));
    const rules = { classes: { pump: [{ id: 'temp-high', metric: 'temp', limits: { H: { value: 80, severity: 'high' } } }] } };
    rt = await startRuntime({
      userDir: dir, installPackage: true, port: 0,
      flows: [
        { id: 'tab-e', type: 'tab', label: 'errors' },
        { id: 'reg-e', type: 'mw-asset-registry', name: 'plant', rows: [] },
        // Disabled: the runtime does not run it, so its "unmapped" route answers 404.
        { id: 'map-e', z: 'tab-e', type: 'mw-asset-map', registry: 'reg-e', d: true, x: 200, y: 60, wires: [[], []] },
        { id: 'th-e', z: 'tab-e', type: 'mw-threshold', rules: JSON.stringify(rules), x: 200, y: 120, wires: [[], [], []] },
        { id: 'vd-e', z: 'tab-e', type: 'mw-vision-drift', x: 200, y: 180, wires: [[], [], []] },
      ],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(rt.url);
    await page.waitForFunction(() => !!(window as unknown as { RED?: EditorRED }).RED?.nodes?.node('vd-e'), undefined, { timeout: 60_000 });
  });
  after(async () => {
    await browser?.close();
    await rt?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function edit(id: string, selector: string): Promise<void> {
    await page.evaluate((i) => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      RED.editor.edit(RED.nodes.node(i));
    }, id);
    await page.waitForSelector(selector, { state: 'visible', timeout: 20_000 });
  }
  async function cancel(selector: string): Promise<void> {
    await page.click('#node-dialog-cancel');
    await page.waitForSelector(selector, { state: 'detached', timeout: 20_000 });
  }

  it('asset map: "show unmapped" of a node that is not running says so', async () => {
    await edit('map-e', '#mw-map-unmapped-load');
    await page.click('#mw-map-unmapped-load');
    await page.waitForFunction(() => /deploy/.test(document.querySelector('#mw-map-unmapped')?.textContent ?? ''), undefined, { timeout: 20_000 });
    const text = await page.textContent('#mw-map-unmapped');
    assert.equal(text, 'this asset map node is not deployed: deploy first');
    await cancel('#mw-map-unmapped-load');
  });

  it('alarm rules: the preview of a bad series lists each problem', async () => {
    await edit('th-e', '#mw-threshold-preview');
    await page.fill('#mw-threshold-pv-metric', 'temp');
    await page.fill('#mw-threshold-pv-series', 'x,1');
    await page.click('#mw-threshold-preview');
    await page.waitForSelector('#mw-threshold-preview-result li', { timeout: 20_000 });
    const items = await page.$$eval('#mw-threshold-preview-result li', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.ok(items.some((t) => /series line 1: "x" is not a time/.test(t)), JSON.stringify(items));
    assert.ok(items.every((t) => !/undefined|\{"error"/.test(t)), JSON.stringify(items));
    await cancel('#mw-threshold-preview');
  });

  it('vision drift: a budget that is not a number gets the route\'s reason in the run-length hint', async () => {
    await edit('vd-e', '#mw-vd-falseAlarmDays');
    await page.fill('#mw-vd-falseAlarmDays', 'abc');
    await page.dispatchEvent('#mw-vd-falseAlarmDays', 'change');
    await page.waitForFunction(() => /falseAlarmDays/.test(document.querySelector('#mw-vd-design')?.textContent ?? ''), undefined, { timeout: 20_000 });
    const text = await page.textContent('#mw-vd-design');
    assert.match(text ?? '', /^run lengths unavailable: config\.falseAlarmDays: "abc" must be a number/);
    assert.doesNotMatch(text ?? '', /undefined/);
    await cancel('#mw-vd-falseAlarmDays');
    assert.deepEqual(pageErrors, []);
  });
});

// The mw-vision-drift editor in a real browser against a real Node-RED (issue 11 names, issue 15
// item 13): a node saved by version 0.1.0 opens with its settings moved to today's names, the
// false-alarm budget shown as days at a rate with the mid-run detection delays, and Done writes
// the new names as numbers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';

const CHROMIUM = process.env.MW_CHROMIUM ?? '/usr/bin/chromium';
const ID = 'a1b2c3d4e5f60718';

describe('mw-vision-drift editor (browser)', function () {
  this.timeout(120000);
  let rt: RunningRuntime;
  let browser: Browser;
  let userDir: string;

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-vd-editor-'));
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'mw-vision-drift-0.1.0-flow.json'), 'utf8')) as Array<Record<string, unknown>>;
    const flows = [{ id: 'tab-vd', type: 'tab', label: 'T' }, { ...fixture[0], z: 'tab-vd', wires: [[], [], []] }];
    rt = await startRuntime({ userDir, installPackage: true, flows, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  after(async () => {
    await browser?.close();
    await rt?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('opens a 0.1.0 node under the new names, shows the budget and mid-run delays, and saves numbers', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(rt.url);
    // Browser-side code: RED and $ are the editor's globals.
    await page.waitForFunction((id) => (window as unknown as { RED?: { nodes?: { node(i: string): unknown } } }).RED?.nodes?.node(id), ID, { timeout: 60000 });
    await page.evaluate((id) => {
      const RED = (window as unknown as { RED: { editor: { edit(n: unknown): void }; nodes: { node(i: string): unknown } } }).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, ID);
    await page.waitForSelector('#mw-vd-falseAlarmDays', { state: 'visible', timeout: 20000 });
    const form = await page.evaluate(() => {
      const $ = (window as unknown as { $: (s: string) => { val(): string } }).$;
      return { days: Number($('#mw-vd-falseAlarmDays').val()), rate: Number($('#mw-vd-unitsPerHour').val()), trend: $('#mw-vd-trendWindowUnits').val() };
    });
    assert.ok(Math.abs(form.days * 24 * form.rate - 10_000_000) < 1e-3, `the old budget of 10 000 000 units: ${JSON.stringify(form)}`);
    assert.equal(form.trend, '2000');
    await page.waitForSelector('#mw-vd-design table', { timeout: 20000 });
    const design = await page.textContent('#mw-vd-design');
    assert.match(design ?? '', /10,000,000/);
    assert.match(design ?? '', /0\.5σ.*1σ.*2σ/);
    await page.click('#node-dialog-ok');
    await page.waitForTimeout(300);
    const saved = await page.evaluate((id) => {
      const RED = (window as unknown as { RED: { nodes: { createCompleteNodeSet(): Array<Record<string, unknown>> } } }).RED;
      return RED.nodes.createCompleteNodeSet().find((n) => n.id === id) as Record<string, unknown>;
    }, ID);
    for (const old of ['arl0', 'subgroupSize', 'trendWindow', 'capabilityWindow', 'defectSubgroupSize', 'clearAfter']) assert.equal(saved[old], undefined, `${old} is still saved`);
    assert.equal(saved.trendWindowUnits, 2000);
    assert.equal(saved.defectSubgroupUnits, 500);
    assert.equal(saved.lambda, 0.1);
    assert.equal(saved.unitsPerHour, 3600);
    assert.equal(typeof saved.falseAlarmDays, 'number');
    assert.deepEqual((saved.specs as Array<Record<string, unknown>>)[0], { product: '*', characteristic: 'bore', lsl: 11.98, usl: 12.02, target: 12 });
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});

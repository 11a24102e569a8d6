// The mw-cmms and mw-wo-status edit dialogs in a real browser against a real Node-RED, opened on a
// flow saved by 0.1.0 (test/unit/fixtures/cmms-wo-status-0.1.0-flow.json, the old setting names,
// numbers as text): the nodes are valid as loaded, the dialogs show the old values under today's
// names (issue 11), and Done saves the new names as numbers without the old ones. mw-threshold and
// mw-asset-registry, whose text inputs 0.1.0 saved as text, save numbers as well.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'cmms-wo-status-0.1.0-flow.json');
const THRESHOLD_FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'mw-threshold-node-0.1.0.json');

type Saved = Record<string, unknown>;
// Browser-side code: RED and $ are the editor's globals.
interface EditorRED {
  nodes: { node(id: string): (Saved & { valid?: boolean }) | null; createCompleteNodeSet(): Saved[] };
  editor: { edit(n: unknown): void; editConfig(name: string, type: string, id: string): void };
}
type JQ = (s: string) => { val(): string };

describe('editors on a flow saved by 0.1.0 (browser)', function () {
  this.timeout(120_000);
  let rt: RunningRuntime;
  let browser: Browser;
  let dir: string;

  before(async function () {
    if (!CHROMIUM) throw new Error('no chromium at /usr/bin/chromium: the editor test needs a browser');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-saved-names-'));
    const flows = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Saved[];
    // mw-threshold as 0.1.0 saved it (healthInterval "30"), and a registry whose number 0.1.0's editor saved as text.
    const threshold = JSON.parse(fs.readFileSync(THRESHOLD_FIXTURE, 'utf8')) as Saved;
    flows.push({ ...threshold, z: 'mw-old-tab', wires: [[], [], []] });
    flows.push({ id: 'mw-old-registry', type: 'mw-asset-registry', name: 'assets', cmms: '', rows: [], file: '', fileFormat: 'auto', watch: true, requireVerified: false, opcuaNamespaces: '', autoVerifyHours: '12' });
    rt = await startRuntime({ userDir: dir, installPackage: true, flows, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await rt?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const savedNode = (page: Page, id: string): Promise<Saved> => page.evaluate((i) => {
    const RED = (window as unknown as { RED: EditorRED }).RED;
    return RED.nodes.createCompleteNodeSet().find((n) => n.id === i) as Saved;
  }, id);

  it('shows the old values under the new names and saves the new names as numbers', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(rt.url);
    await page.waitForFunction(() => !!(window as unknown as { RED?: EditorRED }).RED?.nodes?.node('mw-old-wos'), undefined, { timeout: 60_000 });

    const valid = await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      return { wos: RED.nodes.node('mw-old-wos')?.valid, cmms: RED.nodes.node('mw-old-cmms')?.valid };
    });
    assert.deepEqual(valid, { wos: true, cmms: true }, 'a 0.1.0 node is not marked invalid for lacking the new names');

    // mw-wo-status
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      RED.editor.edit(RED.nodes.node('mw-old-wos'));
    });
    await page.waitForSelector('#node-input-pollIntervalSeconds', { state: 'visible', timeout: 20_000 });
    const wosForm = await page.evaluate(() => {
      const $ = (window as unknown as { $: JQ }).$;
      return ['toleranceSeconds', 'maxBodyKB', 'pollIntervalSeconds', 'overlapSeconds', 'lookbackHours'].map((k) => $('#node-input-' + k).val());
    });
    assert.deepEqual(wosForm, ['60', '4', '5', '600', '1']);
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-pollIntervalSeconds', { state: 'detached', timeout: 20_000 });
    const wos = await savedNode(page, 'mw-old-wos');
    assert.deepEqual([wos.toleranceSeconds, wos.maxBodyKB, wos.pollIntervalSeconds, wos.overlapSeconds, wos.lookbackHours], [60, 4, 5, 600, 1]);
    for (const old of ['tolerance', 'maxBodyKb', 'pollInterval', 'overlap']) assert.equal(wos[old], undefined, `${old} is still saved`);

    // mw-cmms (a config node: its own dialog)
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      RED.editor.editConfig('', 'mw-cmms', 'mw-old-cmms');
    });
    await page.waitForSelector('#node-config-input-timeoutSeconds', { state: 'attached', timeout: 20_000 });
    const cmmsForm = await page.evaluate(() => {
      const $ = (window as unknown as { $: JQ }).$;
      return ['timeoutSeconds', 'probeIntervalSeconds', 'maxResponseKB'].map((k) => $('#node-config-input-' + k).val());
    });
    assert.deepEqual(cmmsForm, ['2', '5', '5120']);
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-timeoutSeconds', { state: 'detached', timeout: 20_000 });
    const cmms = await savedNode(page, 'mw-old-cmms');
    assert.deepEqual([cmms.timeoutSeconds, cmms.probeIntervalSeconds, cmms.maxResponseKB, cmms.ratePerMinute], [2, 5, 5120, 60]);
    assert.equal(cmms.timeoutSec, undefined, 'timeoutSec is still saved');
    assert.equal(cmms.probeIntervalSec, undefined, 'probeIntervalSec is still saved');
    assert.deepEqual(pageErrors, []);
    await page.close();
  });

  it('mw-threshold and mw-asset-registry save their numbers as numbers too', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(rt.url);
    await page.waitForFunction(() => !!(window as unknown as { RED?: EditorRED }).RED?.nodes?.node('ex-th-node'), undefined, { timeout: 60_000 });
    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      RED.editor.edit(RED.nodes.node('ex-th-node'));
    });
    await page.waitForSelector('#node-input-healthIntervalSeconds', { state: 'attached', timeout: 20_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { $: JQ }).$('#node-input-healthIntervalSeconds').val()), '30');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-healthIntervalSeconds', { state: 'detached', timeout: 20_000 });
    const th = await savedNode(page, 'ex-th-node');
    assert.deepEqual([th.maxShelveHours, th.maxClockSkewSeconds, th.maxKeys, th.healthIntervalSeconds], [8, 300, 50_000, 30]);

    await page.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRED }).RED;
      RED.editor.editConfig('', 'mw-asset-registry', 'mw-old-registry');
    });
    await page.waitForSelector('#node-config-input-autoVerifyHours', { state: 'attached', timeout: 20_000 });
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-input-autoVerifyHours', { state: 'detached', timeout: 20_000 });
    const reg = await savedNode(page, 'mw-old-registry');
    assert.equal(reg.autoVerifyHours, 12);
    assert.deepEqual(pageErrors, []);
    await page.close();
  });
});

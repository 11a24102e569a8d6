// The editor as a plant engineer meets it (issue 18 items 5 and 6), in Debian's chromium against a
// real Node-RED with this package installed: every Millwright edit dialog opens without a console
// error and without an empty optional field marked invalid; the CMMS connection's Test button sits
// beside the settings it tests; palette search finds the nodes by the words engineers use; config
// nodes have friendly names; and a German browser gets German labels and help.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';

import { startRuntime, type RunningRuntime } from '../../sim/runtime';
import { REPO_ROOT } from '../support/package';
import { freePort } from '../support/package-runtime';
import { findChromium, launch, loudSkipMessage, type Browser } from './browser';

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** One configured node of each Millwright type, taken from the shipped examples, on one tab. */
function flowOfEveryType(cmmsUrl: string): FlowNode[] {
  const examples = fs.readdirSync(path.join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.json')).sort()
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', f), 'utf8')) as FlowNode[]);
  const first = new Map<string, FlowNode>();
  for (const n of examples) if (n.type.startsWith('mw-') && !first.has(n.type)) first.set(n.type, n);
  const newId = (type: string): string => `polish-${type}`;
  // Config references in the examples point at the examples' own config nodes: map them to ours.
  const configIds = new Map<string, string>();
  for (const n of examples) if (n.type === 'mw-cmms' || n.type === 'mw-asset-registry') configIds.set(n.id, newId(n.type));
  const nodes: FlowNode[] = [{ id: 'polish-tab', type: 'tab', label: 'Polish' }];
  let y = 60;
  for (const [type, n] of [...first.entries()].sort()) {
    const copy: FlowNode = { ...n, id: newId(type) };
    for (const [k, v] of Object.entries(copy)) if (typeof v === 'string' && configIds.has(v)) copy[k] = configIds.get(v);
    if (type === 'mw-cmms') Object.assign(copy, { dialect: 'maximo', authType: 'apikey', baseUrl: cmmsUrl, name: '' });
    else if (type !== 'mw-asset-registry') Object.assign(copy, { z: 'polish-tab', x: 200, y, wires: (copy.wires as unknown[] | undefined)?.map(() => []) ?? [] });
    if (type === 'mw-vision-drift') copy.site = 'BEDFORD';
    if (type === 'mw-work-order') copy.bodyExpression = '';
    delete copy.g;
    nodes.push(copy);
    y += 60;
  }
  return nodes;
}

// The editor's global RED object; the browser context has no types for it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRED = any;

async function openEditor(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.waitForFunction(() => {
    const RED = (window as unknown as { RED: AnyRED }).RED;
    return !!RED?.nodes?.getType?.('mw-work-order') && !!RED.nodes.node('polish-mw-work-order')
      && !!document.querySelector('.red-ui-palette-node[data-palette-type="mw-work-order"]');
  }, undefined, { timeout: 60_000 });
  await page.waitForTimeout(1000);
}

async function openDialog(page: Page, id: string, type: string, isConfig: boolean): Promise<void> {
  await page.evaluate(({ nid, t, config }) => {
    const RED = (window as unknown as { RED: AnyRED }).RED;
    if (config) RED.editor.editConfig('', t, nid);
    else RED.editor.edit(RED.nodes.node(nid));
  }, { nid: id, t: type, config: isConfig });
  await page.locator(isConfig ? '#node-config-dialog-ok' : '#node-dialog-ok').waitFor({ state: 'visible', timeout: 20_000 });
  await page.waitForTimeout(600);
}

async function closeDialog(page: Page, isConfig: boolean): Promise<void> {
  await page.click(isConfig ? '#node-config-dialog-cancel' : '#node-dialog-cancel');
  await page.locator('.red-ui-tray').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
}

/** The palette nodes shown for a search, as Node-RED's own filter shows them. */
async function paletteSearch(page: Page, term: string): Promise<string[]> {
  // Typed key by key, as a person does: Node-RED's search box filters on key events.
  const box = page.locator('#red-ui-palette-search input');
  await box.fill('');
  await box.pressSequentially(term, { delay: 20 });
  await page.waitForTimeout(500);
  return page.$$eval('#red-ui-palette-container .red-ui-palette-node[data-palette-type^="mw-"]',
    (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.getAttribute('data-palette-type') ?? '').sort());
}

describe('browser: editor polish and German (issue 18 items 5 and 6)', function () {
  this.timeout(180_000);
  const chromiumPath = findChromium();
  let userDir: string;
  let runtime: RunningRuntime;
  let browser: Browser;

  before(async function () {
    if (!chromiumPath) {
      console.error(loudSkipMessage());
      this.skip();
    }
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-polish-'));
    // A CMMS address nobody listens on: the Test button must answer "cannot reach".
    const closed = await freePort();
    runtime = await startRuntime({ userDir, installPackage: true, flows: flowOfEveryType(`http://127.0.0.1:${closed}`), logLevel: 'error' });
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await runtime?.stop().catch(() => undefined);
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  describe('in English', function () {
    before(async function () {
      browser = await launch(chromiumPath as string, { locale: 'en-US' });
      await openEditor(browser.page, runtime.url);
    });
    after(async function () {
      await browser?.close().catch(() => undefined);
    });

    it("mw-cmms: Test connection is in view on every tab, its result clears with the CMMS, and the sign-in follows the CMMS", async function () {
      const { page } = browser;
      await openDialog(page, 'polish-mw-cmms', 'mw-cmms', true);
      // Node-RED's tabs take a click as a double click when the last one was under ~0.5 s ago.
      const showTab = async (tab: string): Promise<void> => {
        await page.waitForTimeout(700);
        await page.click(`#mw-cmms-tabs a[href="#mw-cmms-tab-${tab}"]`);
        await page.locator(`#mw-cmms-tab-${tab}`).waitFor({ state: 'visible', timeout: 20_000 });
      };
      for (const tab of ['connection', 'security', 'limits']) {
        await showTab(tab);
        assert.ok(await page.isVisible('#mw-cmms-test'), `Test connection not visible on the ${tab} tab`);
      }
      await showTab('security');
      await browser.shot('polish-cmms-security');
      await page.fill('#node-config-input-apiKey', 'typed-key');
      await page.click('#mw-cmms-test');
      await page.waitForFunction(() => /Cannot reach/.test(document.querySelector('#mw-cmms-test-result')?.textContent ?? ''), undefined, { timeout: 20_000 });
      await browser.shot('polish-cmms-test-result');
      assert.equal(await page.inputValue('#node-config-input-authType'), 'apikey');
      await page.selectOption('#node-config-input-dialect', 'servicenow');
      assert.equal(await page.textContent('#mw-cmms-test-result'), '', 'the Maximo result must not stay after switching to ServiceNow');
      assert.equal(await page.inputValue('#node-config-input-authType'), 'oauth2');
      const offered = async (): Promise<string[]> => page.$$eval('#node-config-input-authType option', (os) => os.filter((o) => !(o as HTMLOptionElement).hidden).map((o) => (o as HTMLOptionElement).value));
      assert.deepEqual(await offered(), ['oauth2', 'basic']);
      await page.selectOption('#node-config-input-authType', 'basic');
      await page.selectOption('#node-config-input-dialect', 'maximo');
      // Basic is a method Maximo also documents (maxauth): a deliberate choice is kept.
      assert.equal(await page.inputValue('#node-config-input-authType'), 'basic');
      await page.selectOption('#node-config-input-dialect', 'maintainx');
      assert.equal(await page.inputValue('#node-config-input-authType'), 'bearer');
      await page.selectOption('#node-config-input-dialect', 'rest');
      assert.equal(await page.inputValue('#node-config-input-authType'), 'bearer');
      assert.deepEqual(await offered(), ['apikey', 'oauth2', 'bearer', 'basic', 'none']);
      await browser.shot('polish-cmms-rest');
      await closeDialog(page, true);
      assert.deepEqual(browser.errors, []);
    });

    it('every Millwright edit dialog opens with no console error and no field marked invalid', async function () {
      const { page } = browser;
      const ours: Array<{ id: string; type: string; config: boolean }> = await page.evaluate(() => {
        const RED = (window as unknown as { RED: AnyRED }).RED;
        const out: Array<{ id: string; type: string; config: boolean }> = [];
        RED.nodes.eachNode((n: AnyRED) => { if (n.type.startsWith('mw-')) out.push({ id: n.id, type: n.type, config: false }); });
        RED.nodes.eachConfig((n: AnyRED) => { if (n.type.startsWith('mw-')) out.push({ id: n.id, type: n.type, config: true }); });
        return out;
      });
      assert.deepEqual(ours.map((n) => n.type).sort(), ['mw-asset-map', 'mw-asset-registry', 'mw-cmms', 'mw-threshold', 'mw-vision-drift', 'mw-wo-status', 'mw-work-order']);
      const marked: string[] = [];
      for (const n of ours) {
        await openDialog(page, n.id, n.type, n.config);
        await browser.shot(`polish-edit-${n.type}`);
        const bad = await page.$$eval('.red-ui-tray:last-of-type .input-error', (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null)
          .map((e) => e.id || e.closest('.form-row')?.querySelector('input,select,textarea')?.id || e.className));
        for (const b of bad) marked.push(`${n.type}: ${b}`);
        await closeDialog(page, n.config);
      }
      assert.deepEqual(marked, []);
      assert.deepEqual(browser.errors, []);
    });

    it('no optional setting of any node is invalid while empty', async function () {
      const problems: string[] = await browser.page.evaluate(() => {
        const RED = (window as unknown as { RED: AnyRED }).RED;
        const out: string[] = [];
        for (const type of ['mw-asset-map', 'mw-asset-registry', 'mw-cmms', 'mw-threshold', 'mw-vision-drift', 'mw-wo-status', 'mw-work-order']) {
          const defaults = RED.nodes.getType(type).defaults as Record<string, { value: unknown; required?: boolean; validate?: (v: unknown, o: object) => unknown }>;
          const node = { type, _def: RED.nodes.getType(type), ...Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, d.value])) };
          for (const [prop, d] of Object.entries(defaults)) {
            // Optional = not required and empty by default; Node-RED itself skips the validator only for required: false.
            if (d.required === true || d.value !== '' || typeof d.validate !== 'function' || d.required === false) continue;
            let valid: unknown;
            try { valid = d.validate.call(node, '', {}); } catch (e) { valid = String(e); }
            if (valid !== true) out.push(`${type}.${prop}: empty is ${JSON.stringify(valid)}`);
          }
        }
        return out;
      });
      assert.deepEqual(problems, []);
    });

    it('config nodes have friendly names: the dialog title says "CMMS connection", not "mw-cmms"', async function () {
      const { page } = browser;
      for (const [type, title] of [['mw-cmms', 'CMMS connection'], ['mw-asset-registry', 'asset registry']]) {
        await openDialog(page, `polish-${type}`, type, true);
        const text = (await page.textContent('.red-ui-tray:last-of-type .red-ui-tray-titlebar')) ?? '';
        assert.ok(text.includes(title) && !text.includes(type), `title "${text}"`);
        await closeDialog(page, true);
      }
    });

    it('palette search finds the nodes by "cmms", "alarm", "spc", "work order" and the CMMS names (type and label are what Node-RED searches)', async function () {
      const { page } = browser;
      assert.deepEqual(await paletteSearch(page, 'cmms'), ['mw-work-order']);
      assert.deepEqual(await paletteSearch(page, 'alarm'), ['mw-threshold']);
      assert.deepEqual(await paletteSearch(page, 'SPC'), ['mw-vision-drift']);
      assert.deepEqual(await paletteSearch(page, 'work order'), ['mw-wo-status', 'mw-work-order']);
      for (const cmms of ['Maximo', 'servicenow', 'MaintainX']) assert.deepEqual(await paletteSearch(page, cmms), ['mw-work-order'], cmms);
      await browser.shot('polish-palette-work-order');
      await paletteSearch(page, '');
    });

    it('the vision-drift Site field shows "BEDFORD" whole', async function () {
      const { page } = browser;
      await openDialog(page, 'polish-mw-vision-drift', 'mw-vision-drift', false);
      const fit = await page.$eval('#node-input-site', (e) => ({ value: (e as HTMLInputElement).value, scroll: e.scrollWidth, client: e.clientWidth }));
      assert.equal(fit.value, 'BEDFORD');
      assert.ok(fit.scroll <= fit.client, `the field cuts its text: ${JSON.stringify(fit)}`);
      await closeDialog(page, false);
    });
  });

  describe('in German (browser language de-DE)', function () {
    before(async function () {
      browser = await launch(chromiumPath as string, { locale: 'de-DE' });
      await openEditor(browser.page, runtime.url);
    });

    it('the palette, the node labels and the help are German, with no console error', async function () {
      const { page } = browser;
      const labels = await page.$$eval('#red-ui-palette-container .red-ui-palette-node[data-palette-type^="mw-"]',
        (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-palette-type'), e.getAttribute('data-palette-label')])));
      assert.equal(labels['mw-work-order'], 'CMMS-Arbeitsauftrag: Maximo, ServiceNow, MaintainX');
      assert.equal(labels['mw-threshold'], 'Alarmschwelle');
      const help = await page.evaluate(() => document.querySelector('script[data-help-name="mw-work-order"]')?.textContent ?? '');
      assert.match(help, /Arbeitsauftrag/);
      await openDialog(page, 'polish-mw-cmms', 'mw-cmms', true);
      assert.equal((await page.textContent('#mw-cmms-test'))?.trim(), 'Verbindung testen');
      assert.match((await page.textContent('.red-ui-tray:last-of-type .red-ui-tray-titlebar')) ?? '', /CMMS-Verbindung/);
      await browser.shot('polish-de-cmms');
      await closeDialog(page, true);
      await page.evaluate(() => (window as unknown as { RED: AnyRED }).RED.sidebar.help.show('mw-work-order'));
      await page.waitForTimeout(500);
      await browser.shot('polish-de-help');
      assert.deepEqual(browser.errors, []);
    });
  });
});

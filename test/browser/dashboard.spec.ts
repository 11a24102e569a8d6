// The demo's FlowFuse Dashboard 2 page (flows/dashboard.json) as a plant engineer meets it: `npm start`'s
// stack on free ports, the page opened in Debian's chromium with every request off this machine refused
// (it must work offline on a gateway), the SPC chart drawing the vision line, an alarm from mw-threshold
// acknowledged and shelved with the table's buttons, and a work order that exists in the CMMS simulator.
// One stack for the whole file; screenshots go to .ci-artifacts/screenshots (MW_SCREENSHOTS to change),
// the last one also to docs/dashboard.png (the README's picture) when MW_DOCS_SCREENSHOT=1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';

import { BUILD_ROOT } from '../../sim/paths';
import { REPO_ROOT } from '../support/package';
import { httpGet, startChild, waitFor, type Child } from '../support/package-runtime';
import { demoUrls } from '../support/demo-banner';
import { findChromium, launch, loudSkipMessage, type Browser } from './browser';

/** Series colours of the chart node in flows/dashboard.json: bore points, centre line, control limits. */
const BORE = [0x00, 0x95, 0xff];
const CENTRE = [0x2c, 0xa0, 0x2c];
const LIMIT = [0xd6, 0x27, 0x28];

/** Pixels of the chart's canvas close to each colour: an empty chart (axes, grid, title) has almost none. */
function chartPixels(page: Page): Promise<{ bore: number; centre: number; limit: number; canvases: number }> {
  return page.evaluate(({ bore, centre, limit }) => {
    const canvases = Array.from(document.querySelectorAll('canvas'));
    const out = { bore: 0, centre: 0, limit: 0, canvases: canvases.length };
    const near = (d: Uint8ClampedArray, i: number, c: number[]): boolean =>
      d[i + 3] > 200 && Math.abs(d[i] - c[0]) < 24 && Math.abs(d[i + 1] - c[1]) < 24 && Math.abs(d[i + 2] - c[2]) < 24;
    for (const canvas of canvases) {
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (near(d, i, bore)) out.bore++;
        else if (near(d, i, centre)) out.centre++;
        else if (near(d, i, limit)) out.limit++;
      }
    }
    return out;
  }, { bore: BORE, centre: CENTRE, limit: LIMIT });
}

describe('browser: the demo dashboard (FlowFuse Dashboard 2)', function () {
  this.timeout(90_000);
  const chromiumPath = findChromium();
  let demoDir: string;
  let demo: Child;
  let browser: Browser;
  let editor: string;
  let dashboard: string;
  let cmms: string;
  /** Requests to anything but this machine, refused by the route below. */
  const offMachine: string[] = [];
  /** HTTP errors the page met (Dashboard 2 1.31 asks for its favicon without httpNodeRoot: a known 404). */
  const httpErrors: string[] = [];

  const inject = async (id: string): Promise<void> => {
    const r = await fetch(`${editor}/inject/${id}`, { method: 'POST' });
    assert.equal(r.status, 200, `inject ${id}: HTTP ${r.status}`);
  };

  before(async function () {
    if (!chromiumPath) {
      console.error(loudSkipMessage());
      this.skip();
    }
    demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-dashboard-'));
    demo = startChild([path.join(BUILD_ROOT, 'sim', 'demo.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, MW_PORT: '0', SIM_PORT: '0', PLANT_PORT: '0', MODBUS_PORT: '0', OPCUA_PORT: '0', MQTT_PORT: '0', MQTT_URL: '',
        MW_DEMO_DIR: demoDir, MW_LOG_LEVEL: 'warn', MW_DEMO_SCENARIO: 'none' },
    });
    // Chromium starts while the stack does; the URL is read from npm start's console, as a user would.
    const launching = launch(chromiumPath as string);
    // after() closes `browser`; until it is set, a failed start closes the launching one here.
    void launching.catch(() => undefined);
    try {
      ({ dashboard, editor, cmms } = await demoUrls(demo));
    } catch (e) {
      await launching.then((b) => b.close(), () => undefined);
      throw e;
    }
    browser = await launching;
    await browser.context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      offMachine.push(url.href);
      return route.abort();
    });
    browser.page.on('response', (r) => { if (r.status() >= 400) httpErrors.push(`${r.status()} ${r.url()}`); });
    await browser.page.setViewportSize({ width: 1400, height: 1000 });
    await browser.page.goto(dashboard);
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await demo?.stop('SIGINT', 15_000).catch(() => demo?.stop('SIGKILL'));
    if (demoDir) fs.rmSync(demoDir, { recursive: true, force: true });
  });

  it('the page shows its three groups, served from this machine only', async function () {
    const { page } = browser;
    for (const title of ['SPC: bore diameter, press PRS-701 (mm)', 'Active alarms (pump alarms)', 'Open work orders']) {
      await page.getByText(title, { exact: true }).waitFor({ timeout: 30_000 });
    }
    assert.deepEqual(offMachine, []);
  });

  it('the SPC chart draws the vision line: bore points, then the centre line and the control limits', async function () {
    const { page } = browser;
    let last = { bore: 0, centre: 0, limit: 0, canvases: 0 };
    // Phase I of the demo's vision-drift node is 1000 parts (8 s of the simulated camera); then the limits appear.
    await waitFor('chart with points and limits', async () => {
      last = await chartPixels(page);
      return last.bore > 1500 && last.centre > 500 && last.limit > 1000 ? last : undefined;
    }, 40_000, () => undefined).catch((e: Error) => { throw new Error(`${e.message}; last pixel counts ${JSON.stringify(last)}`); });
    // The chart's own store agrees: points of every series, the bore values near 12 mm.
    const store = JSON.parse((await httpGet(`${editor}/api/dashboard/_debug/datastore/mw-dash-spc-chart`)).body) as Array<{ payload: unknown; _datapoint: Array<{ category: string; y: number }> }>;
    const points = store.flatMap((m) => m._datapoint);
    for (const series of ['bore', 'centre line', 'UCL (3σ)', 'LCL (3σ)']) assert.ok(points.some((p) => p.category === series), `no ${series} point`);
    assert.ok(points.filter((p) => p.category === 'bore').every((p) => p.y > 11.9 && p.y < 12.1));
    await browser.shot('dashboard-01-spc');
  });

  it('an alarm from mw-threshold appears; Acknowledge and Shelve change it as mw-threshold replies', async function () {
    const { page } = browser;
    // The demo rule needs two samples above HH (on-delay); each inject is one reading at "now".
    await inject('mw-demo-alarms-ex-th-in3');
    await inject('mw-demo-alarms-ex-th-in3');
    const row = page.locator('tr.mw-alarm', { hasText: 'PUMP-101' });
    await row.locator('.mw-state', { hasText: 'active, unacknowledged' }).waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), /Bearing temperature high-high on PUMP-101: 97 °C/);
    const eventId = await row.getAttribute('data-event-id');
    assert.ok(eventId?.startsWith('BEDFORD.PUMP-101.bearing-temp.'), String(eventId));
    await row.locator('button.mw-ack').click();
    // The state changes only on mw-threshold's reply `{acknowledged: [eventId]}`.
    await row.locator('.mw-state', { hasText: 'active, acknowledged' }).waitFor({ timeout: 15_000 });
    assert.equal(await row.locator('button.mw-ack').isDisabled(), true);
    await row.locator('button.mw-shelve').click();
    await row.locator('.mw-state', { hasText: 'shelved until' }).waitFor({ timeout: 15_000 });
    await browser.shot('dashboard-02-alarm');
  });

  it('the work orders list shows a work order that exists in the CMMS simulator, with its link', async function () {
    const { page } = browser;
    await inject('mw-demo-raise');
    const row = page.locator('tr.mw-wo', { hasText: 'BEDFORD.PUMP-101.manual.demo-1' });
    await row.locator('a').waitFor({ timeout: 20_000 });
    const id = await row.getAttribute('data-work-order');
    const href = await row.locator('a').getAttribute('href');
    assert.equal(await row.locator('a').innerText(), id);
    const state = JSON.parse((await httpGet(`${cmms}/__sim/state`)).body) as { workOrders: Array<{ id: string; wire: { href?: string; description?: string } }> };
    const wo = state.workOrders.find((w) => w.id === id);
    assert.ok(wo, `work order ${id} is not in the CMMS simulator: ${JSON.stringify(state.workOrders.map((w) => w.id))}`);
    assert.equal(href, wo.wire.href);
    // The link answers like Maximo does, to a signed-in client (the simulator's public demo key).
    const got = await httpGet(href as string, { apikey: 'sim-maximo-key' });
    assert.equal(got.status, 200);
    assert.match(got.body, /PUMP-101 seal weeping/);
    await page.waitForTimeout(500);
    const file = await browser.shot('dashboard-03-all');
    if (process.env.MW_DOCS_SCREENSHOT === '1') fs.copyFileSync(file, path.join(REPO_ROOT, 'docs', 'dashboard.png'));
    console.log(`    ${file}`);
    assert.deepEqual(offMachine, []);
    assert.deepEqual(httpErrors.filter((e) => !/\/dashboard\/(favicon|manifest)/.test(e)), []);
    // The browser reports each HTTP error once more as a console error, without its URL; those are checked above.
    assert.deepEqual(browser.errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e)), []);
  });
});

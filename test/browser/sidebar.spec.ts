// The Millwright sidebar in a real browser (Debian's chromium via playwright-core), on a Node-RED
// with adminAuth: a connection's health and counts, a dead letter from an unknown asset replayed
// once the asset exists in the CMMS and then delivered, a reader who sees no buttons and whose POST
// is refused, the SPC chart, and every sidebar route closed to anonymous callers. Screenshots go
// where the first-run test puts them (.ci-artifacts/screenshots, MW_SCREENSHOTS to change).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';

import { BUILD_ROOT } from '../../sim/paths';
import { REPO_ROOT } from '../support/package';
import { startChild, waitFor, type Child } from '../support/package-runtime';
import { findChromium, launch, loudSkipMessage, SCREENSHOT_DIR, type Browser } from './browser';
import { USERS } from './sidebar-child';

const CONNECTION = 'sb-cmms';
const DRIFT = 'sb-drift';

async function token(editor: string, username: keyof typeof USERS): Promise<string> {
  const r = await fetch(`${editor}/auth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: username === 'admin' ? '*' : 'read', username, password: USERS[username] }),
  });
  assert.equal(r.status, 200, `login as ${username}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

function event(asset: string, n: number): Record<string, unknown> {
  return {
    kind: 'alarm', state: 'raised', eventId: `BEDFORD.${asset}.vibration.sidebar${n}`, episodeId: `ep${n}`, ruleId: 'vib-h',
    asset: { id: asset, siteId: 'BEDFORD', location: `BEDFORD/AREA1/LINE2/${asset}` }, metric: 'vibration', value: 9.1, limit: 7, level: 'H',
    severity: 'high', priority: 2, summary: `Pump vibration high on ${asset}`, details: {}, occurredAt: new Date().toISOString(),
  };
}

async function postJson(url: string, body: unknown, bearer?: string): Promise<number> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });
  await r.arrayBuffer();
  return r.status;
}

async function openEditor(page: Page, editor: string, accessToken: string): Promise<void> {
  await page.goto(`${editor}/?access_token=${accessToken}`);
  await page.waitForFunction(() => {
    // The editor's global RED object; the browser context has no types for it.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const RED = (window as any).RED;
    return !!document.querySelector('.mw-sb .mw-sb-panes') && !!RED?.nodes?.node?.('sb-cmms');
  }, undefined, { timeout: 60_000 });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  await page.evaluate(() => (window as any).RED.sidebar.show('millwright'));
}

async function pane(page: Page, name: string): Promise<void> {
  await page.click(`.mw-sb-panes button[data-pane="${name}"]`);
}

describe('browser: the Millwright sidebar (adminAuth, CMMS simulator)', function () {
  this.timeout(180_000);
  const chromiumPath = findChromium();
  let dir: string;
  let child: Child;
  let editor: string;
  let sim: string;
  let browser: Browser;
  let admin: string;

  before(async function () {
    if (!chromiumPath) {
      console.error(loudSkipMessage());
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-sidebar-'));
    child = startChild([path.join(BUILD_ROOT, 'test', 'browser', 'sidebar-child.js')], { cwd: REPO_ROOT, env: { ...process.env, MW_SIDEBAR_DIR: dir } });
    editor = await waitFor('editor URL', async () => /Node-RED editor: (http:\/\/\S+?)\/?$/m.exec(child.log())?.[1], 60_000,
      () => (child.exited() ? `child exited early:\n${child.log()}` : undefined));
    sim = (/CMMS simulator: (http:\/\/\S+)/.exec(child.log()) as RegExpExecArray)[1];
    admin = await token(editor, 'admin');
    browser = await launch(chromiumPath as string);
    console.log(`    screenshots: ${SCREENSHOT_DIR}`);
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await child?.stop('SIGINT', 15_000).catch(() => child?.stop('SIGKILL'));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('every sidebar route refuses anonymous callers; a reader may read but not replay, discard or export in bulk', async function () {
    const reads = ['connections', `connections/${CONNECTION}/work-orders`, `connections/${CONNECTION}/audit`, `outbox/${CONNECTION}/metrics`,
      `outbox/${CONNECTION}/queue`, `outbox/${CONNECTION}/dead-letters`, `outbox/${CONNECTION}/dead-letters/export`, `outbox/${CONNECTION}/shadow`,
      `outbox/${CONNECTION}/shadow/export`, `outbox/${CONNECTION}/audit`, `outbox/${CONNECTION}/audit/export`, 'assets', 'spc', `spc/${DRIFT}/chart?key=x`];
    const writes = [`outbox/${CONNECTION}/dead-letters/replay`, `outbox/${CONNECTION}/dead-letters/discard`];
    const bulkExports = [`outbox/${CONNECTION}/dead-letters/export`, `outbox/${CONNECTION}/shadow/export`];
    const open: string[] = [];
    for (const r of reads) {
      const res = await fetch(`${editor}/millwright/${r}`);
      await res.arrayBuffer();
      if (res.status !== 401) open.push(`GET ${r}: ${res.status}`);
    }
    for (const r of writes) {
      const status = await postJson(`${editor}/millwright/${r}`, { ids: 'all' });
      if (status !== 401) open.push(`POST ${r}: ${status}`);
    }
    assert.deepEqual(open, []);
    const reader = await token(editor, 'reader');
    const got = await fetch(`${editor}/millwright/connections`, { headers: { authorization: `Bearer ${reader}` } });
    assert.equal(got.status, 200);
    for (const r of writes) assert.ok([401, 403].includes(await postJson(`${editor}/millwright/${r}`, { ids: 'all' }, reader)), `reader POST ${r}`);
    for (const r of bulkExports) {
      const res = await fetch(`${editor}/millwright/${r}`, { headers: { authorization: `Bearer ${reader}` } });
      await res.arrayBuffer();
      assert.ok([401, 403].includes(res.status), `reader GET ${r}: ${res.status}`);
    }
  });

  it("the sidebar shows a connection's health in plant words and its counts", async function () {
    const { page } = browser;
    await openEditor(page, editor, admin);
    const card = page.locator(`.mw-sb-conn[data-id="${CONNECTION}"]`);
    await card.locator('.mw-sb-words[data-words="ok"]').waitFor({ timeout: 30_000 });
    assert.match(await card.locator('.mw-sb-words').innerText(), /Connected, everything delivered/);
    assert.equal(await card.locator('.mw-sb-pending').innerText(), 'waiting: 0');
    assert.equal(await card.locator('.mw-sb-dead').innerText(), 'need a decision: 0');
    assert.match(await card.locator('.mw-sb-rate').innerText(), /of 600 allowed/);
    console.log(`    ${await browser.shot('sidebar-01-connections')}`);
    assert.deepEqual(browser.errors, []);
  });

  it('a dead letter from an unknown asset appears live, is replayed once the asset exists, and is delivered', async function () {
    const { page } = browser;
    const ev = event('PUMP-999', 1);
    assert.equal(await postJson(`${editor}/api/event`, ev), 200);
    // Live: the open Connections pane follows the comms feed, no reload.
    const card = page.locator(`.mw-sb-conn[data-id="${CONNECTION}"]`);
    await card.locator('.mw-sb-dead', { hasText: 'need a decision: 1' }).waitFor({ timeout: 30_000 });
    assert.match(await card.locator('.mw-sb-last-error').innerText(), /BMXAA2661E .*Asset PUMP-999 is not a valid asset/);
    await browser.shot('sidebar-02-connection-dead');
    await pane(page, 'dead');
    const letter = page.locator(`.mw-sb-dead-letter[data-event="${String(ev.eventId)}"]`);
    await letter.waitFor({ timeout: 20_000 });
    const text = await letter.innerText();
    assert.match(text, /Refused by the CMMS/);
    assert.match(text, /attempts: 1/);
    assert.match(text, /BMXAA2661E/);
    console.log(`    ${await browser.shot('sidebar-03-dead-letter')}`);
    // Export through the editor's authenticated request: the file holds the dead letter with its reason.
    const [deadFile] = await Promise.all([page.waitForEvent('download'), page.click('.mw-sb-export-dead')]);
    const exported = fs.readFileSync(await deadFile.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { eventId: string; reason: string });
    assert.deepEqual(exported.map((d) => [d.eventId, d.reason]), [[ev.eventId, 'permanent']]);
    // The fix happens in the CMMS: the asset is entered there; then Replay.
    assert.equal(await postJson(`${sim}/__sim/assets`, { assetnum: 'PUMP-999', siteid: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-999', description: 'Cooling pump 999' }), 201);
    await letter.locator('.mw-sb-replay').click();
    await letter.waitFor({ state: 'detached', timeout: 30_000 });
    await pane(page, 'workOrders');
    const row = page.locator(`.mw-sb-wo[data-event="${String(ev.eventId)}"]`);
    await row.waitFor({ timeout: 30_000 });
    const href = await row.locator('a').getAttribute('href');
    assert.ok(href && href.startsWith(sim), `link into the CMMS: ${href}`);
    console.log(`    ${await browser.shot('sidebar-04-work-order-delivered')}`);
    const state = (await (await fetch(`${sim}/__sim/state`)).json()) as { workOrders: Array<{ id: string; fields?: { assetnum?: string } }> };
    const made = state.workOrders.filter((w) => w.fields?.assetnum === 'PUMP-999');
    assert.equal(made.length, 1);
    // The planner starts the work in the CMMS; mw-wo-status polls it back; the list shows the status.
    const moved = await postJson(`${sim}/__sim/status`, { dialect: 'maximo', id: made[0].id, status: 'INPRG' });
    assert.equal(moved, 200);
    assert.equal(await postJson(`${editor}/api/poll`, {}), 200);
    await waitFor('the status in the Work orders pane', async () => {
      await pane(page, 'workOrders');
      await row.waitFor({ timeout: 20_000 });
      return /in-progress \(INPRG\)/.test(await row.innerText()) ? true : undefined;
    }, 30_000);
    await browser.shot('sidebar-04b-work-order-status');
    // The audit log filtered to failures holds the refused create and nothing that succeeded.
    await pane(page, 'audit');
    await page.selectOption('.mw-sb-outcome', 'failed');
    await page.click('.mw-sb-apply');
    await page.locator('.mw-sb-audit').first().waitFor({ timeout: 20_000 });
    const failures = await page.locator('.mw-sb-audit').allInnerTexts();
    assert.ok(failures.length >= 1 && failures.every((f) => /BMXAA2661E/.test(f)), failures.join('\n'));
    await page.selectOption('.mw-sb-outcome', '');
    await page.fill('.mw-sb-event', String(ev.eventId));
    await page.click('.mw-sb-apply');
    await waitFor('the event filter', async () => ((await page.locator('.mw-sb-audit').allInnerTexts()).some((r) => /created/.test(r)) ? true : undefined), 10_000);
    const forEvent = await page.locator('.mw-sb-audit').allInnerTexts();
    assert.ok(forEvent.every((r) => r.includes(String(ev.eventId))), forEvent.join('\n'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.mw-sb-export-audit')]);
    const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { eventId: string });
    assert.equal(lines.length, forEvent.length);
    await browser.shot('sidebar-04c-audit');
    await pane(page, 'connections');
    await card.locator('.mw-sb-dead', { hasText: 'need a decision: 0' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(browser.errors, []);
  });

  it('a reader sees the dead letter but no replay, discard or export button, and a direct POST is refused', async function () {
    const ev = event('PUMP-998', 2);
    assert.equal(await postJson(`${editor}/api/event`, ev), 200);
    const reader = await launch(chromiumPath as string);
    try {
      await openEditor(reader.page, editor, await token(editor, 'reader'));
      await pane(reader.page, 'dead');
      const letter = reader.page.locator(`.mw-sb-dead-letter[data-event="${String(ev.eventId)}"]`);
      await letter.waitFor({ timeout: 30_000 });
      assert.equal(await reader.page.locator('.mw-sb-replay, .mw-sb-discard, .mw-sb-replay-all, .mw-sb-export-dead, .mw-sb-export-shadow').count(), 0);
      console.log(`    ${await reader.shot('sidebar-05-reader-dead-letter')}`);
      const itemId = Number(await letter.getAttribute('data-item'));
      const status = await postJson(`${editor}/millwright/outbox/${CONNECTION}/dead-letters/replay`, { ids: [itemId] }, await token(editor, 'reader'));
      assert.ok([401, 403].includes(status), `reader replay answered ${status}`);
      const still = (await (await fetch(`${editor}/millwright/outbox/${CONNECTION}/dead-letters`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Array<{ eventId: string }>;
      assert.ok(still.some((d) => d.eventId === ev.eventId), 'the refused replay changed nothing');
    } finally {
      await reader.close();
    }
  });

  it('the Assets pane shows the verification problems with suggestions, and "add a row" opens the registry with the identifier filled in', async function () {
    const { page } = browser;
    const verify = await fetch(`${editor}/mw-asset-registry/sb-registry/verify`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(verify.status, 200, await verify.text());
    assert.equal(await postJson(`${editor}/api/reading`, { topic: 'plant/line9/p901/temp', value: 71.5 }), 200);
    await pane(page, 'assets');
    const registry = page.locator('.mw-sb-registry');
    await registry.waitFor({ timeout: 20_000 });
    const problems = await registry.locator('.mw-sb-problem').allInnerTexts();
    assert.ok(problems.some((p) => /^PUMP-1O1@BEDFORD: decommissioned · did you mean .*PUMP-101/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /^PUMP-201@BEDFORD: at another site/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /^PUMP-555@BEDFORD: missing in the CMMS/.test(p)), problems.join('\n'));
    const unmapped = page.locator('.mw-sb-unmapped[data-identifier="plant/line9/p901/temp"]');
    await unmapped.waitFor({ timeout: 20_000 });
    console.log(`    ${await browser.shot('sidebar-07-assets')}`);
    await unmapped.locator('.mw-sb-add-row').click();
    const identifier = page.locator('#mw-reg-f-identifier');
    await identifier.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await identifier.inputValue(), 'plant/line9/p901/temp');
    console.log(`    ${await browser.shot('sidebar-08-add-row')}`);
    // Cancel keeps the registry as it was: the row was only on screen.
    await page.click('#node-config-dialog-cancel');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('sb-registry').rows.length), 4);
    assert.deepEqual(browser.errors, []);
  });

  it('the SPC pane draws the chart of a vision series with centre line, limits, spec limits and episode marks', async function () {
    const { page } = browser;
    const t0 = Date.now() - 60 * 60_000;
    // 20 in-control parts for phase I, then the bore jumps by 5σ (a worn tool): a mean-drift episode.
    for (let i = 0; i < 60; i++) {
      const bore = 12 + (i < 20 ? [0.003, -0.004, 0.001, -0.002, 0.004, -0.001, 0.002, -0.003][i % 8] : 0.02 + ((i % 3) - 1) * 0.002);
      const rec = { unitId: `U${i}`, timestamp: new Date(t0 + i * 1000).toISOString(), result: 'pass', station: 'PRS-701', product: 'BRKT-9', measurements: { bore } };
      assert.equal(await postJson(`${editor}/api/vision`, rec), 200);
    }
    const list = (await (await fetch(`${editor}/millwright/spc`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Array<{ id: string; series: Array<{ key: string }> }>;
    const key = list.find((n) => n.id === DRIFT)?.series.find((s) => s.key.endsWith('|bore'))?.key;
    assert.ok(key, JSON.stringify(list));
    const chart = (await (await fetch(`${editor}/millwright/spc/${DRIFT}/chart?key=${encodeURIComponent(key)}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      data: Array<{ centre: number | null; ucl: number | null }>; marks: Array<{ state: string }>; lsl: number | null; usl: number | null;
    };
    assert.equal(chart.data.length, 60);
    assert.ok(chart.data[59].centre !== null && chart.data[59].ucl !== null, 'control limits after phase I');
    assert.equal(chart.lsl, 11.98);
    assert.equal(chart.usl, 12.02);
    assert.ok(chart.marks.some((m) => m.state === 'raised'), JSON.stringify(chart.marks));
    await pane(page, 'spc');
    await page.selectOption('.mw-sb-series', { label: 'bore and coating · PRS-701 · BRKT-9 · bore' });
    await page.locator('.mw-sb-chart .uplot canvas').waitFor({ timeout: 15_000 });
    const legend = await page.locator('.mw-sb-chart .uplot').innerText();
    for (const label of ['centre line', 'upper control limit', 'lower control limit', 'lower spec limit', 'upper spec limit']) assert.ok(legend.includes(label), `${label} in ${legend}`);
    // Something was drawn: the canvas is not blank.
    const inked = await page.evaluate(() => {
      const c = document.querySelector('.mw-sb-chart .uplot canvas') as HTMLCanvasElement;
      const d = (c.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
      return n;
    });
    assert.ok(inked > 500, `only ${inked} pixels drawn`);
    // The node's own status agrees with the chart: records arrived, so no "waiting for records".
    const status = await page.waitForFunction((id) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the editor's global RED
      const text = (window as any).RED.nodes.node(id)?.status?.text as string | undefined;
      return text && !/waiting/.test(text) ? text : false;
    }, DRIFT, { timeout: 20_000 }).then((h) => h.jsonValue()).catch(() => 'still waiting');
    assert.notEqual(status, 'still waiting');
    const file = await browser.shot('sidebar-06-spc-chart');
    console.log(`    ${file}`);
    // docs/sidebar.png (shown in the README) is the sidebar of this screenshot; MW_UPDATE_DOCS_SCREENSHOT=1 refreshes it.
    if (process.env.MW_UPDATE_DOCS_SCREENSHOT) {
      const box = await page.locator('#red-ui-sidebar').boundingBox();
      assert.ok(box);
      await page.screenshot({ path: path.join(REPO_ROOT, 'docs', 'sidebar.png'), clip: { x: box.x, y: box.y, width: box.width, height: 580 } });
    }
    assert.deepEqual(browser.errors, []);
  });
});

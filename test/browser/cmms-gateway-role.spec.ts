// mw-cmms's Gateway role (issue 14 item 3, redundant gateways) as a plant engineer sets it, in
// Debian's chromium against a real Node-RED: Primary by default with no standby field in the way,
// Standby shows how long it waits and why, a wait outside 1–3600 s is marked invalid, and what is
// chosen is what the node keeps.
import assert from 'node:assert/strict';

import { editorForSuite } from './editor-session';

// The editor's global RED object; the browser context has no types for it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyRED = any;

const CONN = 'role-conn';
const FLOW = [
  { id: 'role-tab', type: 'tab', label: 'Role' },
  // Saved by an editor that did not know the gateway role yet: no gatewayRole, no standbyDelaySeconds.
  // Port 1 on loopback: nothing listens there, so the connection never reaches a CMMS.
  { id: CONN, type: 'mw-cmms', name: 'line 2 CMMS', dialect: 'maximo', authType: 'apikey', baseUrl: 'http://127.0.0.1:1' },
  { id: 'role-wo', type: 'mw-work-order', z: 'role-tab', x: 200, y: 80, cmms: CONN, wires: [[], []] },
];

describe('browser: mw-cmms gateway role (issue 14 item 3)', function () {
  this.timeout(120_000);
  const session = editorForSuite(this, FLOW, 'mw-role-');

  it('a connection saved before the setting opens as Primary; Standby shows its wait, refuses 0 s and keeps what was chosen', async () => {
    const { browser } = session();
    const page = browser.page;
    await page.waitForFunction((id) => !!(window as unknown as { RED: AnyRED }).RED?.nodes?.node?.(id), CONN, { timeout: 60_000 });
    await page.evaluate((id) => { (window as unknown as { RED: AnyRED }).RED.editor.editConfig('', 'mw-cmms', id); }, CONN);
    await page.locator('#node-config-dialog-ok').waitFor({ state: 'visible', timeout: 20_000 });
    await page.click('#mw-cmms-tabs a[href="#mw-cmms-tab-limits"]');
    const role = page.locator('#node-config-input-gatewayRole');
    await role.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await role.inputValue(), 'primary');
    assert.equal(await page.textContent('label[for="node-config-input-gatewayRole"]'), 'Gateway role');
    assert.equal(await page.isVisible('#node-config-input-standbyDelaySeconds'), false, 'no standby wait for a primary');

    await role.selectOption('standby');
    await page.locator('#node-config-input-standbyDelaySeconds').waitFor({ state: 'visible', timeout: 20_000 });
    // A connection saved before the setting existed (like this one) shows the default as a placeholder.
    assert.equal(await page.getAttribute('#node-config-input-standbyDelaySeconds', 'placeholder'), '30');
    assert.match(await page.textContent('.form-tips.mw-standby') ?? '', /looks the work order up/);

    const delay = page.locator('#node-config-input-standbyDelaySeconds');
    await delay.fill('0');
    await delay.dispatchEvent('change');
    assert.match(await delay.getAttribute('class') ?? '', /input-error/, 'a 0 s wait is marked invalid');
    await delay.fill('12');
    await delay.dispatchEvent('change');
    assert.doesNotMatch(await delay.getAttribute('class') ?? '', /input-error/);

    await page.click('#node-config-dialog-ok');
    await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    const saved = await page.evaluate((id) => {
      const n = (window as unknown as { RED: AnyRED }).RED.nodes.node(id);
      // Node-RED 4 lists the properties its validators refused (the test address has no API key).
      const refused = (n.validationErrors ?? []) as string[];
      return { listed: Array.isArray(n.validationErrors) || n.valid === true, role: n.gatewayRole, delay: String(n.standbyDelaySeconds), refused: refused.filter((k) => /gatewayRole|standbyDelay/.test(k)), all: refused };
    }, CONN);
    assert.deepEqual({ ...saved, all: undefined }, { listed: true, role: 'standby', delay: '12', refused: [], all: undefined }, `refused: ${saved.all.join(', ')}`);
    assert.deepEqual(browser.errors, [], 'no console error');
  });
});

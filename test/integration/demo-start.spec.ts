import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { flowFiles, mergeFlows } from '../../sim/demo-flows';
import { BUILD_ROOT, PACKAGE_NAME } from '../../sim/paths';
import { readPackageJson, REPO_ROOT } from '../support/package';
import { httpGet, portIsClosed, registeredSets, startChild, waitFor, type Child } from '../support/package-runtime';
import { demoUrls, type DemoUrls } from '../support/demo-banner';

// `npm start` as a user runs it: a separate process (so Ctrl-C reaches it), then SIGINT.
describe('integration: demo launcher (npm start)', function () {
  this.timeout(90_000);
  const nodeTypes = Object.keys(readPackageJson()['node-red']?.nodes ?? {});
  let demoDir: string;
  let demo: Child;
  let urls: DemoUrls;

  before(async function () {
    demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-demo-'));
    demo = startChild([path.join(BUILD_ROOT, 'sim', 'demo.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, MW_PORT: '0', SIM_PORT: '0', PLANT_PORT: '0', MODBUS_PORT: '0', OPCUA_PORT: '0', MQTT_PORT: '0', MQTT_URL: '', MW_DEMO_DIR: demoDir, MW_LOG_LEVEL: 'info' },
    });
    // Waits for the banner's last line, "Ctrl-C to stop", and reads the addresses above it.
    urls = await demoUrls(demo);
  });

  after(async function () {
    await demo?.stop('SIGKILL').catch(() => undefined);
    if (demoDir) fs.rmSync(demoDir, { recursive: true, force: true });
  });

  it('prints the editor and dashboard URLs, how to stop, and that the demo flow was copied', async function () {
    assert.match(demo.log(), /Ctrl-C to stop/);
    assert.match(demo.log(), /flows\/demo\.json, flows\/dashboard\.json and flows\/gateway-\*\.json copied to .*flows\.json/);
    // The dashboard (FlowFuse Dashboard 2) is served at the printed address, from this machine.
    const { dashboard } = urls;
    assert.equal(dashboard, `${urls.editor}/api/dashboard/maintenance`);
    // Node-RED starts the flows (and with them the dashboard's routes) just after it listens.
    const page = await waitFor('dashboard page', async () => { const r = await httpGet(dashboard); return r.status === 200 ? r : undefined; }, 20_000);
    assert.match(page.body, /<div id="app">/);
    assert.match(urls.plant, /^http:\/\/\S+/);
  });

  it('deploys the demo tabs and the reference gateway flows, with their credentials moved to flows_cred.json', function () {
    type FlowNode = { id: string; credentials?: object };
    const deployed = JSON.parse(fs.readFileSync(path.join(demoDir, 'flows.json'), 'utf8')) as FlowNode[];
    const shipped = mergeFlows(flowFiles(REPO_ROOT)) as FlowNode[];
    assert.ok(flowFiles(REPO_ROOT).some((f) => f.endsWith('gateway-modbus.json')));
    assert.ok(fs.existsSync(path.join(demoDir, 'assets.csv')), 'assets.csv is not beside flows.json');
    assert.deepEqual(deployed.map((n) => n.id).sort(), shipped.map((n) => n.id).sort());
    assert.deepEqual(deployed.filter((n) => n.credentials), []);
    const withCredentials = shipped.filter((n) => n.credentials).map((n) => n.id);
    if (withCredentials.length > 0) {
      const creds = JSON.parse(fs.readFileSync(path.join(demoDir, 'flows_cred.json'), 'utf8')) as Record<string, object>;
      assert.deepEqual(Object.keys(creds).sort(), withCredentials.sort());
    }
  });

  it('starts the demo flow without errors', async function () {
    await waitFor('flows started', async () => (/Started flows/.test(demo.log()) ? true : undefined), 30_000);
    assert.deepEqual(demo.log().split('\n').filter((line) => /\[error\]/.test(line)), []);
  });

  it('serves the editor', async function () {
    assert.equal((await httpGet(`${urls.editor}/`)).status, 200);
  });

  it("loads every node type of package.json, enabled and without error", async function () {
    const ours = (await registeredSets(urls.editor)).filter((s) => s.module === PACKAGE_NAME);
    for (const key of nodeTypes) {
      const set = ours.find((s) => s.id === `${PACKAGE_NAME}/${key}`);
      assert.ok(set, `${key} is not registered; demo log:\n${demo.log()}`);
      assert.equal(set.err, undefined, `${key}: ${JSON.stringify(set.err)}`);
      assert.equal(set.enabled, true);
    }
  });

  it('starts the CMMS simulator when it is built, and says so either way', async function () {
    const simLine = /CMMS simulator: (http:\/\/\S+)/.exec(demo.log());
    if (fs.existsSync(path.join(BUILD_ROOT, 'sim', 'cmms', 'index.js'))) {
      assert.ok(simLine, demo.log());
      const reply = await httpGet(simLine[1]).catch((e: Error) => e);
      assert.ok(!(reply instanceof Error), `simulator at ${simLine[1]} did not answer: ${String(reply)}`);
    } else {
      assert.match(demo.log(), /CMMS simulator: not built/);
    }
  });

  it('stops cleanly on Ctrl-C (SIGINT): exit code 0 and the ports closed', async function () {
    const port = Number(new URL(urls.editor).port);
    const simPort = /CMMS simulator: http:\/\/[^:/]+:(\d+)/.exec(demo.log())?.[1];
    // The demo always starts its simulator (the build makes it); a changed log line must fail here, not skip the check.
    assert.ok(simPort, `no "CMMS simulator: <url>" line in the demo log:\n${demo.log()}`);
    const exit = await demo.stop('SIGINT', 15_000);
    assert.deepEqual(exit, { code: 0, signal: null }, demo.log());
    assert.match(demo.log(), /\[demo\] stopped/);
    assert.equal(await portIsClosed(port), true, 'editor port still open');
    assert.equal(await portIsClosed(Number(simPort)), true, 'simulator port still open');
  });
});

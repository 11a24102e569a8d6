import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { nodeRedDir } from '../../sim/paths';
import { installPackageInto } from '../../sim/runtime';
import { REPO_ROOT } from '../support/package';
import { freePort, httpGet, startChild, waitFor, type Child } from '../support/package-runtime';

// A plant engineer exports flows to share them and pastes logs into forums: a CMMS secret must not
// travel with either. A real Node-RED (child process, as on a gateway) holds a connection whose
// secrets are deployed the way the editor deploys them.
describe('integration: CMMS secrets stay in the credentials file', function () {
  this.timeout(60_000);
  const SECRET = 'sekrit-maximo-key-8d1e';
  const OAUTH_SECRET = 'sekrit-client-secret-41c0';
  let sim: CmmsSim;
  let dir: string;
  let red: Child;
  let url: string;

  async function post(route: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const res = await fetch(`${url}${route}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  }

  before(async () => {
    sim = await startCmmsSim();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-secrets-'));
    installPackageInto(dir);
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'settings.js'), `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1', uiPort: port, flowFile: 'flows.json', credentialSecret: 'gateway-secret-for-test',
      logging: { console: { level: 'debug', metrics: false, audit: false } }, editorTheme: { tours: false },
      telemetry: { enabled: false },
    })};\n`);
    red = startChild([path.join(nodeRedDir(), 'red.js'), '--userDir', dir, '--settings', path.join(dir, 'settings.js')], { cwd: REPO_ROOT });
    url = `http://127.0.0.1:${port}`;
    await waitFor('Node-RED admin API', async () => ((await httpGet(`${url}/settings`)).status === 200 ? true : undefined), 30_000,
      () => (red.exited() ? `Node-RED exited:\n${red.log()}` : undefined));
  });

  after(async () => {
    await red?.stop('SIGTERM').catch(() => undefined);
    await sim?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys, probes with the secret, and keeps it out of flows, exports, logs and answers', async () => {
    const flows = [
      { id: 'tab1', type: 'tab', label: 'secrets' },
      { id: 'maximo1', type: 'mw-cmms', name: 'Maximo', dialect: 'maximo', baseUrl: sim.url, authType: 'apikey', credentials: { apiKey: SECRET } },
      { id: 'sn1', type: 'mw-cmms', name: 'ServiceNow', dialect: 'servicenow', baseUrl: sim.url, authType: 'oauth2', tokenUrl: '/oauth_token.do',
        credentials: { clientId: SIM_CREDENTIALS.servicenow.clientId, clientSecret: OAUTH_SECRET } },
    ];
    const deployed = await post('/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok(deployed.status === 200 || deployed.status === 204, `deploy answered ${deployed.status}: ${deployed.text}`);

    // The probe uses the stored secret: the simulator refuses it, so the test also shows the secret was really used.
    const probe = await post('/mw-cmms/test', { id: 'maximo1', config: { dialect: 'maximo', baseUrl: sim.url, authType: 'apikey' }, credentials: { apiKey: '__PWRD__' } });
    assert.equal(probe.status, 200);
    assert.equal(JSON.parse(probe.text).state, 'unauthorised');
    const sent = sim.requests().filter((r) => r.path.includes('whoami'));
    assert.ok(sent.length >= 1, 'the probe reached the CMMS');

    const exported = await httpGet(`${url}/flows`, { 'Node-RED-API-Version': 'v2' });
    assert.equal(exported.status, 200);
    assert.ok(exported.body.includes('"maximo1"'), 'the connection is part of the export');
    for (const secret of [SECRET, OAUTH_SECRET]) {
      assert.ok(!exported.body.includes(secret), 'GET /flows (what Export shows) holds no secret');
      assert.ok(!fs.readFileSync(path.join(dir, 'flows.json'), 'utf8').includes(secret), 'flows.json holds no secret');
      assert.ok(!fs.readFileSync(path.join(dir, 'flows_cred.json'), 'utf8').includes(secret), 'flows_cred.json is encrypted');
      assert.ok(!probe.text.includes(secret), 'the test answer holds no secret');
      assert.ok(!red.log().includes(secret), 'the debug-level log holds no secret');
      assert.ok(!JSON.stringify(sim.requests()).includes(secret), 'the simulator redacts what it records');
    }
  });
});

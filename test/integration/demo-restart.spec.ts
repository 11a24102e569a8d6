import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { BUILD_ROOT } from '../../sim/paths';
import { REPO_ROOT } from '../support/package';
import { httpGet, startChild, waitFor, type Child } from '../support/package-runtime';
import { demoUrls } from '../support/demo-banner';

interface SimState { workOrders: Array<{ id: string; ref?: string | null }> }

function post(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST' }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end();
  });
}

// A second `npm start` must not answer "existing 1001" beside a CMMS page that says "No work orders
// yet": the simulator starts empty, so the demo starts its nodes' state empty too.
describe('integration: demo launcher restarted (npm start twice, npm start -- --reset)', function () {
  this.timeout(120_000);
  let demoDir: string;
  let demo: Child | undefined;

  const start = async (args: string[] = []): Promise<{ editor: string; cmms: string }> => {
    demo = startChild([path.join(BUILD_ROOT, 'sim', 'demo.js'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, MW_PORT: '0', SIM_PORT: '0', PLANT_PORT: '0', MODBUS_PORT: '0', OPCUA_PORT: '0', MQTT_PORT: '0', MQTT_URL: '',
        MW_DEMO_DIR: demoDir, MW_LOG_LEVEL: 'info', MW_DEMO_SCENARIO: 'none' },
    });
    const d = demo;
    const { editor, cmms } = await demoUrls(d);
    await waitFor('flows started', async () => (/Started flows/.test(d.log()) ? true : undefined), 30_000);
    return { editor, cmms };
  };
  /** Presses the demo tab's "raise" button and waits for its work order in the CMMS. */
  const raise = async (urls: { editor: string; cmms: string }): Promise<SimState['workOrders']> => {
    assert.equal(await post(`${urls.editor}/inject/mw-demo-raise`), 200);
    return waitFor('work order in the CMMS', async () => {
      const state = JSON.parse((await httpGet(`${urls.cmms}/__sim/state`)).body) as SimState;
      return state.workOrders.length > 0 ? state.workOrders : undefined;
    }, 20_000, () => (/existing/.test(demo?.log() ?? '') ? `the outbox answered "existing":\n${demo?.log()}` : undefined));
  };

  before(() => { demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-demo-restart-')); });
  afterEach(async () => { await demo?.stop('SIGINT', 15_000).catch(() => demo?.stop('SIGKILL')); demo = undefined; });
  after(() => { if (demoDir) fs.rmSync(demoDir, { recursive: true, force: true }); });

  it('the same manual request makes a work order on the first and on the second start', async () => {
    const first = await raise(await start());
    assert.equal(first.length, 1);
    await demo?.stop('SIGINT', 15_000);
    assert.ok(fs.readdirSync(path.join(demoDir, 'millwright')).some((f) => f.startsWith('outbox-')), 'the first run left no outbox to test against');
    const urls = await start();
    const second = await raise(urls);
    assert.equal(second.length, 1);
    assert.equal(second[0].ref, first[0].ref);
    assert.match(demo?.log() ?? '', /state of the last run cleared/);
  });

  it('--reset deletes the demo directory and starts clean', async () => {
    fs.writeFileSync(path.join(demoDir, 'left-over.txt'), 'from an earlier run');
    await start(['--reset']);
    assert.match(demo?.log() ?? '', /--reset: .* deleted, starting clean/);
    assert.equal(fs.existsSync(path.join(demoDir, 'left-over.txt')), false);
    assert.ok(fs.existsSync(path.join(demoDir, 'flows.json')));
  });
});

// The gateway-day benchmark's technician (bench/gateway/technician.ts) against the real CMMS
// simulator: it completes the alarm assets' work orders through POST /__sim/status and leaves the
// others open; and the bench's extra camera stations are real assets of that simulator.
import assert from 'node:assert/strict';

import { stationAssets, stationId } from '../../bench/gateway/load';
import { startTechnician } from '../../bench/gateway/technician';
import { DEFAULT_ASSETS, SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function createWorkOrder(cmms: CmmsSim, assetnum: string, ref: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${cmms.url}/maximo/api/os/mxapiwodetail?lean=1`, {
    method: 'POST', headers: { apikey: SIM_CREDENTIALS.maximo.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ siteid: 'BEDFORD', assetnum, worktype: 'CM', description: `bench ${assetnum}`, externalrefid: ref }),
  });
  return { status: res.status, text: await res.text() };
}

describe('bench gateway: technician and camera stations', function () {
  this.timeout(30_000);
  let cmms: CmmsSim;

  before(async () => {
    cmms = await startCmmsSim({ port: 0, assets: [...DEFAULT_ASSETS, ...stationAssets(3)] });
  });
  after(async () => cmms.stop());

  it('the extra stations take work orders; without them the CMMS refuses the asset', async () => {
    const ok = await createWorkOrder(cmms, stationId(2), 'ST0000002');
    assert.ok(ok.status >= 200 && ok.status < 300, `${ok.status} ${ok.text}`);
    const plain = await startCmmsSim({ port: 0 });
    try {
      const refused = await createWorkOrder(plain, stationId(2), 'ST0000003');
      assert.ok(refused.status >= 400, `PRS-703 is not in the default asset master: ${refused.status}`);
    } finally {
      await plain.stop();
    }
  });

  it('completes the alarm assets\' work orders via the status API and leaves the others open', async () => {
    assert.equal((await createWorkOrder(cmms, 'CONV-301', 'TC0000001')).status, 201);
    assert.equal((await createWorkOrder(cmms, stationId(1), 'TC0000002')).status, 201);
    const wos = cmms.workOrders('maximo');
    const conv = wos.find((w) => w.fields.assetnum === 'CONV-301');
    const press = wos.find((w) => w.fields.assetnum === stationId(1));
    assert.ok(conv && press);
    const logged: string[] = [];
    const tech = startTechnician(cmms, { assets: ['CONV-301', 'HX-601'], afterMs: 0, log: (s) => logged.push(s) });
    try {
      for (let i = 0; i < 40 && !tech.completed.has(conv.id); i++) await sleep(250);
    } finally {
      await tech.stop();
    }
    assert.deepEqual([...tech.completed], [conv.id]);
    const after = cmms.workOrders('maximo');
    assert.equal(after.find((w) => w.id === conv.id)?.status, 'COMP');
    assert.equal(after.find((w) => w.id === press.id)?.status, press.status);
    assert.deepEqual(logged, []);
  });
});

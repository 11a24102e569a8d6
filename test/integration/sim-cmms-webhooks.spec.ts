// Outgoing webhooks: delivered to a local receiver, signatures verified independently of the
// simulator's own code, retried after a receiver error.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const MX = { authorization: `Bearer ${SIM_CREDENTIALS.maintainx.token}`, 'content-type': 'application/json' };
const MX_SECRET = 'mx-signing-secret';
const STD_KEY = crypto.createHash('sha256').update('standard').digest();
const STD_SECRET = `whsec_${STD_KEY.toString('base64')}`;

interface Delivery { path: string; headers: http.IncomingHttpHeaders; body: string }

class Receiver {
  readonly got: Delivery[] = [];
  /** Status to answer per path, consumed in order; 200 once exhausted. */
  readonly plan = new Map<string, number[]>();
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      this.got.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(this.plan.get(path)?.shift() ?? 200).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
  at(path: string): Delivery[] {
    return this.got.filter((d) => d.path === path);
  }
}

function verifyMaintainx(header: string | undefined, data: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const expected = crypto.createHmac('sha256', MX_SECRET).update(`${m[1]}.${data}`).digest('hex');
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(m[2]));
}

function verifyStandard(h: http.IncomingHttpHeaders, body: string): boolean {
  const expected = crypto.createHmac('sha256', STD_KEY).update(`${String(h['webhook-id'])}.${String(h['webhook-timestamp'])}.${body}`).digest('base64');
  return String(h['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

describe('CMMS simulator: webhooks', function () {
  let sim: CmmsSim;
  let receiver: Receiver;

  beforeEach(async function () {
    receiver = new Receiver();
    await receiver.start();
    sim = await startCmmsSim({
      now: () => T0,
      webhookRetry: { attempts: 3, baseMs: 20 },
      webhooks: [
        { url: `${receiver.url}/mx`, dialect: 'maintainx', secret: MX_SECRET },
        { url: `${receiver.url}/std`, dialect: 'standard', secret: STD_SECRET },
      ],
    });
  });
  afterEach(async function () {
    await sim.stop();
    await receiver.stop();
  });

  const createMx = async (): Promise<number> => {
    const res = await fetch(`${sim.url}/v1/workorders`, { method: 'POST', headers: MX, body: '{"title":"HiHi vibration","externalData":"ep-1"}' });
    return (await res.json() as { id: number }).id;
  };
  const mxStatus = (id: number, status: string, query = ''): Promise<Response> =>
    fetch(`${sim.url}/v1/workorders/${id}/status${query}`, { method: 'PATCH', headers: MX, body: JSON.stringify({ status }) });

  it('signs MaintainX-style and Standard Webhooks deliveries that verify independently', async function () {
    const id = await createMx();
    assert.equal((await mxStatus(id, 'IN_PROGRESS')).status, 200);
    await sim.webhooks.idle();
    const [mx] = receiver.at('/mx');
    const [std] = receiver.at('/std');

    assert.ok(verifyMaintainx(mx.headers['x-maintainx-webhook-body-signature'] as string, mx.body), 'body signature');
    assert.ok(verifyMaintainx(mx.headers['x-maintainx-webhook-uri-signature'] as string, `${receiver.url}/mx`), 'URI signature');
    assert.equal(/^t=(\d+),/.exec(mx.headers['x-maintainx-webhook-body-signature'] as string)?.[1], String(T0 / 1000));
    const payload = JSON.parse(mx.body) as { type: string; workOrderId: number; newWorkOrder: { status: string; externalData: string }; oldWorkOrder: { status: string } };
    assert.equal(payload.type, 'WORK_ORDER_STATUS_CHANGE');
    assert.equal(payload.workOrderId, id);
    assert.equal(payload.newWorkOrder.status, 'IN_PROGRESS');
    assert.equal(payload.oldWorkOrder.status, 'OPEN');
    assert.equal(payload.newWorkOrder.externalData, 'ep-1');

    assert.ok(verifyStandard(std.headers, std.body), 'standard signature');
    assert.match(String(std.headers['webhook-id']), /^msg_/);
    const event = JSON.parse(std.body) as { type: string; data: { dialect: string; status: string; previousStatus: string; ref: string } };
    assert.deepEqual([event.type, event.data.dialect, event.data.status, event.data.previousStatus, event.data.ref],
      ['workorder.status_changed', 'maintainx', 'IN_PROGRESS', 'OPEN', 'ep-1']);
    // A tampered body must not verify, so the checks above can fail.
    assert.equal(verifyStandard(std.headers, std.body.replace('IN_PROGRESS', 'DONE')), false);
  });

  it('retries after a receiver 500 with the same webhook-id', async function () {
    receiver.plan.set('/std', [500]);
    const id = await createMx();
    await mxStatus(id, 'ON_HOLD');
    await sim.webhooks.idle();
    const tries = receiver.at('/std');
    assert.equal(tries.length, 2);
    assert.equal(tries[0].headers['webhook-id'], tries[1].headers['webhook-id']);
    assert.equal(tries[0].body, tries[1].body);
    const log = sim.webhooks.deliveries().filter((d) => d.url.endsWith('/std'));
    assert.deepEqual(log.map((d) => [d.attempt, d.status]), [[1, 500], [2, 200]]);
  });

  it('gives up after the configured attempts when the receiver keeps failing', async function () {
    receiver.plan.set('/mx', [503, 503, 503, 503]);
    const id = await createMx();
    await mxStatus(id, 'DONE');
    await sim.webhooks.idle();
    assert.deepEqual(sim.webhooks.deliveries().filter((d) => d.url.endsWith('/mx')).map((d) => [d.attempt, d.status]), [[1, 503], [2, 503], [3, 503]]);
    assert.equal(receiver.at('/mx').length, 3, 'no fourth attempt');
  });

  it('honours ?skipWebhook=true and reports moves made through the control API', async function () {
    const id = await createMx();
    assert.equal((await mxStatus(id, 'IN_PROGRESS', '?skipWebhook=true')).status, 200);
    const moved = await fetch(`${sim.url}/__sim/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dialect: 'maintainx', id: String(id), status: 'DONE' }) });
    assert.equal(moved.status, 200);
    await sim.webhooks.idle();
    const mxs = receiver.at('/mx');
    assert.equal(mxs.length, 1, 'the skipped change sent nothing');
    assert.equal((JSON.parse(mxs[0].body) as { oldWorkOrder: { status: string } }).oldWorkOrder.status, 'IN_PROGRESS');
    const std = receiver.at('/std');
    assert.equal(std.length, 1);
    assert.equal((JSON.parse(std[0].body) as { data: { status: string } }).data.status, 'DONE');
  });

  it('reports other dialects to standard targets only', async function () {
    const res = await fetch(`${sim.url}/maximo/api/os/mxapiwodetail?lean=1`, {
      method: 'POST', headers: { apikey: SIM_CREDENTIALS.maximo.apiKey, 'content-type': 'application/json', properties: 'wonum' },
      body: JSON.stringify({ siteid: 'BEDFORD', description: 'd', externalrefid: 'ep-m' }),
    });
    const { wonum } = await res.json() as { wonum: string };
    sim.setStatus('maximo', wonum, 'APPR');
    await sim.webhooks.idle();
    const [std] = receiver.at('/std');
    const event = JSON.parse(std.body) as { data: { dialect: string; id: string; status: string; workOrder: { href: string } } };
    assert.deepEqual([event.data.dialect, event.data.id, event.data.status], ['maximo', wonum, 'APPR']);
    assert.match(event.data.workOrder.href, /\/maximo\/api\/os\/mxapiwodetail\/_/);
    assert.throws(() => sim.setStatus('maximo', wonum, 'WAPPR'), /cannot move/);
    await sim.webhooks.idle();
    assert.equal(receiver.at('/mx').length, 0);
  });
});

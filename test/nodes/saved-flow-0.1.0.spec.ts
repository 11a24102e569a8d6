// A flow saved by 0.1.0 (test/unit/fixtures/cmms-wo-status-0.1.0-flow.json: mw-cmms with
// timeoutSec "2" and probeIntervalSec "5", mw-wo-status with tolerance "60", maxBodyKb "4",
// pollInterval "5", overlap "600") loads in Node-RED and behaves as 0.1.0 made it behave, although
// today's names are timeoutSeconds, probeIntervalSeconds, toleranceSeconds, maxBodyKB,
// pollIntervalSeconds and overlapSeconds (issue 11). Each value is one the default would not give.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startCmmsSim, SIM_CREDENTIALS, signMaintainx, type CmmsSim } from '../../sim/cmms';
import type { CmmsConnection } from '../../nodes/lib/cmms-connection';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';
import { until } from '../support/wait';

type NodeModule = (RED: NodeAPI) => void;
const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'cmms-wo-status-0.1.0-flow.json');

let httpNodeApp: http.RequestListener | null = null;
/** A helper-only node type whose module keeps the RED API, to serve its httpNode on a real socket. */
const captureRed: NodeModule = (RED) => {
  httpNodeApp = RED.httpNode as unknown as http.RequestListener;
  RED.nodes.registerType('capture-red', function (this: Node, n: object) { RED.nodes.createNode(this, n as never); } as never);
};

/** The saved flow, tab and all, with its CMMS address pointed at `baseUrl`; the debug node becomes a helper node. */
function savedFlow(baseUrl: string): Array<Record<string, unknown>> {
  const flow = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Array<Record<string, unknown>>;
  return [
    ...flow.map((n) => {
      if (n.type === 'debug') return { id: n.id, z: n.z, type: 'helper' };
      return n.type === 'mw-cmms' ? { ...n, baseUrl } : n;
    }),
    { id: 'cap', type: 'capture-red' },
  ];
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('a flow saved by 0.1.0: mw-cmms and mw-wo-status under their old setting names', function () {
  this.timeout(40_000);
  let sim: CmmsSim;
  let server: http.Server | null = null;

  before(async () => { sim = await startCmmsSim(); });
  after(async () => { await sim.stop(); });
  withUserDir('mw-saved-010-', () => { sim.reset(); });
  afterEach(async () => {
    if (server) await new Promise<void>((r) => server?.close(() => r()));
    server = null;
  });

  async function load(baseUrl: string): Promise<string> {
    const modules = [nodeModule('mw-cmms'), nodeModule('mw-wo-status'), captureRed] as NodeModule[];
    await helper.load(modules, savedFlow(baseUrl) as never, { 'mw-old-cmms': { apiKey: SIM_CREDENTIALS.maximo.apiKey }, 'mw-old-wos': { secret: 'old-secret' } } as never);
    server = http.createServer((req, res) => (httpNodeApp as http.RequestListener)(req, res));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('mw-cmms: a CMMS that never answers is given up after the saved 2 s (timeoutSec), re-checked every 5 s (probeIntervalSec)', async () => {
    // Accepts the connection and never answers: only the timeout ends a request.
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => undefined);
    silent.on('connection', (s) => { sockets.add(s); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      await load(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
      const conn = helper.getNode('mw-old-cmms') as CmmsConnection;
      await until('the probe to time out', () => conn.health.failures >= 1, 15_000, () => JSON.stringify(conn.health), 50);
      assert.equal(conn.health.state, 'unreachable');
      assert.match(conn.health.message, /within 2000 ms/, 'the saved timeout (the default is 15 000 ms)');
      // While down, re-probes back off from 5 s up to the re-check interval: with 5 s saved the
      // next probe is due 5 s after a failure (the default of 30 s would give 10 s after the second).
      await until('a second failed probe', () => conn.health.failures >= 2, 20_000, () => JSON.stringify(conn.health), 50);
      const dueIn = (conn.health.nextProbeAt ?? 0) - Date.now();
      assert.ok(dueIn > 0 && dueIn <= 5000, `next probe in ${dueIn} ms`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('mw-wo-status: the saved webhook limits hold — a body over 4 KiB (maxBodyKb) and a signature 2 min old (tolerance 60 s) are refused', async () => {
    const base = await load(sim.url);
    const url = `${base}/hooks/old`;
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: 5, newWorkOrder: { id: 5, status: 'DONE', updatedAt: new Date().toISOString() } });
    const big = JSON.stringify({ pad: 'x'.repeat(6 * 1024) });
    assert.equal(await post(url, big, { 'x-maintainx-webhook-body-signature': signMaintainx('old-secret', now, big) }), 413, 'over the saved 4 KiB (the default is 256 KiB)');
    assert.equal(await post(url, body, { 'x-maintainx-webhook-body-signature': signMaintainx('old-secret', now - 120, body) }), 401, 'outside the saved 60 s (the default 300 s would take it)');
    const fresh = await post(url, body, { 'x-maintainx-webhook-body-signature': signMaintainx('old-secret', now - 5, body) });
    assert.notEqual(fresh, 401, 'a signature inside the tolerance passes the check');
    const node = helper.getNode('mw-old-wos') as Node;
    const statuses = helper.getNode('mw-old-statuses') as unknown as EventEmitter;
    const metrics = new Promise<Record<string, unknown>>((resolve) => statuses.on('input', (m: { topic?: string; payload: Record<string, unknown> }) => { if (m.topic === 'stats') resolve(m.payload); }));
    node.receive({ control: 'metrics', topic: 'stats' } as never);
    const refused = (await metrics).refused as Record<string, number>;
    assert.deepEqual({ big: refused['too-large'], stale: refused.stale }, { big: 1, stale: 1 });
  });

  it('mw-wo-status: polls every 5 s (pollInterval) from the lookback minus the saved 10 min overlap', async () => {
    const started = Date.now();
    await load(sim.url);
    const polls = (): Array<{ at: number; where: string }> => sim.requests()
      .filter((r) => r.method === 'GET' && typeof r.query['oslc.where'] === 'string' && String(r.query['oslc.where']).startsWith('changedate'))
      .map((r) => ({ at: r.at, where: String(r.query['oslc.where']) }));
    await until('a second poll', () => polls().length >= 2, 20_000, () => JSON.stringify(polls()), 100);
    const [first] = polls();
    const since = Date.parse(/changedate>="([^"]+)"/.exec(first.where)?.[1] ?? '');
    // lookbackHours "1" plus overlap "600" s before the start (the default overlap is 120 s).
    const expected = started - 3_600_000 - 600_000;
    assert.ok(Math.abs(since - expected) < 15_000, `first poll from ${new Date(since).toISOString()}, expected about ${new Date(expected).toISOString()}`);
  });
});

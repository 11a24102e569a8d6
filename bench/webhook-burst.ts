// How long mw-wo-status takes to answer a burst of signed webhooks, in a real Node-RED (the runtime
// sim/runtime.ts starts, httpNode on a real socket) with the CMMS simulator as its connection. Each
// answer comes only after the verified body is committed to disk (the CMMS retries otherwise), so
// this is the figure the "< 1 s even under a burst" is about. Reported, never asserted.
// The webhooks are sent from a child process (the CMMS is another machine), so the sender's own
// work does not run on Node-RED's event loop; Node-RED's event-loop delay is reported beside.
//   npm run build && node dist/bench/webhook-burst.js [--count 200] [--rounds 3] [--dialect maintainx|rest]
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { SIM_CREDENTIALS, signMaintainx, signStandard, startCmmsSim } from '../sim/cmms';
import { startRuntime } from '../sim/runtime';

const { values } = parseArgs({ options: {
  count: { type: 'string', default: '200' }, rounds: { type: 'string', default: '3' }, dialect: { type: 'string', default: 'maintainx' },
  send: { type: 'string' },
} });
const COUNT = Math.max(1, Number(values.count) || 200);
const ROUNDS = Math.max(1, Number(values.rounds) || 3);
const DIALECT = values.dialect === 'rest' ? 'rest' : 'maintainx';
const SECRET = DIALECT === 'rest' ? `whsec_${Buffer.from('bench-secret-bench-secret-32byte').toString('base64')}` : 'bench-secret';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
}

/** One webhook as the CMMS would send it: its own connection, its own signature. */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; ms: number }> {
  const sent = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - sent) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signed(i: number, round: number): { body: string; headers: Record<string, string> } {
  const at = new Date(Date.now() - i * 1000).toISOString();
  const id = 100_000 * (round + 1) + i;
  const t = Math.floor(Date.now() / 1000);
  if (DIALECT === 'maintainx') {
    const body = JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: id, occurredAt: at, newWorkOrder: { id, status: 'DONE', updatedAt: at } });
    return { body, headers: { 'x-maintainx-webhook-body-signature': signMaintainx(SECRET, t, body) } };
  }
  const body = JSON.stringify({ type: 'workorder.status_changed', timestamp: at, data: { id: String(id), status: 'done', updatedAt: at } });
  const msgId = `msg_${crypto.randomUUID()}`;
  return { body, headers: { 'webhook-id': msgId, 'webhook-timestamp': String(t), 'webhook-signature': signStandard(SECRET, msgId, t, body) } };
}

/** The child: fires the bursts at `url` when told to and answers with the times. */
function sender(url: string): void {
  process.on('message', (m: { round: number }) => {
    const reqs = Array.from({ length: COUNT }, (_, i) => signed(i, m.round));
    const started = process.hrtime.bigint();
    void Promise.all(reqs.map((r) => post(url, r.body, r.headers))).then((answers) => {
      process.send?.({ answers, wall: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
  process.send?.({ ready: true });
}

async function main(): Promise<void> {
  const sim = await startCmmsSim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-burst-'));
  const cmms = DIALECT === 'maintainx'
    ? { dialect: 'maintainx', authType: 'bearer', creds: { token: SIM_CREDENTIALS.maintainx.token } }
    : { dialect: 'rest', authType: 'bearer', restCreatePath: '/rest/workorders', restUpdatePath: '/rest/workorders/{id}', restGetPath: '/rest/workorders/{id}', restFindPath: '/rest/workorders?reference={reference}', restChangedPath: '/rest/workorders?updatedSince={since}&limit={limit}', restHealthPath: '/rest/health', creds: { token: SIM_CREDENTIALS.rest.token } };
  const { creds, ...conn } = cmms;
  const flows = [
    { id: 'tab1', type: 'tab', label: 'burst' },
    { id: 'conn1', type: 'mw-cmms', name: DIALECT, baseUrl: sim.url, ...conn },
    { id: 'wos', z: 'tab1', type: 'mw-wo-status', cmms: 'conn1', mode: 'webhook', path: '/hooks/burst', scope: 'all', wires: [['out']] },
    { id: 'out', z: 'tab1', type: 'debug', active: false, wires: [] },
  ];
  fs.writeFileSync(path.join(dir, 'flows_cred.json'), JSON.stringify({ conn1: creds, wos: { secret: SECRET } }));
  const rt = await startRuntime({ userDir: dir, installPackage: true, flows, settings: { credentialSecret: false }, logLevel: 'error' });
  const child = fork(__filename, ['--send', `${rt.url}/api/hooks/burst`, '--count', String(COUNT), '--dialect', DIALECT], { stdio: 'inherit' });
  const next = (): Promise<{ answers: Array<{ status: number; ms: number }>; wall: number }> => new Promise((resolve) => child.once('message', resolve as never));
  try {
    for (let i = 0; i < 200 && !rt.RED.nodes.getNode('out'); i++) await new Promise((r) => setTimeout(r, 50));
    await next(); // ready
    // Warm-up: routes, JIT, the first commits of the store.
    child.send({ round: 99 });
    await next();
    await new Promise((r) => setTimeout(r, 1500));
    console.log(`mw-wo-status webhook burst (${DIALECT}), ${COUNT} concurrent signed POSTs from another process, each on its own connection; ms:`);
    const p99s: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const cpu = process.cpuUsage();
      child.send({ round });
      const { answers, wall } = await next();
      loop.disable();
      const used = process.cpuUsage(cpu);
      const ms = answers.map((a) => a.ms);
      const codes = [...new Set(answers.map((a) => a.status))].join(',');
      p99s.push(pct(ms, 0.99));
      console.log(`  round ${round + 1}: status ${codes}  answer p50 ${pct(ms, 0.5).toFixed(1)}  p95 ${pct(ms, 0.95).toFixed(1)}  p99 ${pct(ms, 0.99).toFixed(1)}  max ${Math.max(...ms).toFixed(1)}  all in ${wall.toFixed(0)}  Node-RED: CPU ${((used.user + used.system) / 1000).toFixed(0)}, loop delay max ${(loop.max / 1e6).toFixed(1)}`);
      // Let the previous burst's processing (linking, emitting) finish before the next.
      await new Promise((r) => setTimeout(r, 1500));
    }
    console.log(`  median of the rounds' p99: ${pct(p99s, 0.5).toFixed(1)} ms  (load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs)`);
  } finally {
    child.kill();
    await rt.stop();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(values.send ? Promise.resolve(sender(values.send)) : main()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

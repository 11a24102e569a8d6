import { referenceFor } from '../../nodes/core/cmms/reference';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { startCmmsSim, type CmmsSim, type Dialect } from '../../sim/cmms';
import { installPackageInto } from '../../sim/runtime';
import { startNodeRed, waitFor, type NodeRedChild } from '../support/package-runtime';
import { ASSETS, cmmsNode, deploy, DIALECTS, maintenanceEvent, outboxMetrics, simReference } from '../support/gateway-flows';

// The promise plant teams need, tested the hard way: a real Node-RED (child process, as on a
// gateway) is SIGKILLed again and again while events arrive and while work orders are being sent —
// with the simulator committing some work orders and then dropping the connection. An event counts
// as accepted when Node-RED's Complete node fires for it (mw-work-order calls done() only after the
// outbox committed it), which the flow turns into an HTTP 200. Every dialect runs at once, each with
// its own connection (its own sign-in, address and outbox) and its own sender, so each kill hits
// all four mid-way.
// 15 kills in CI (≈65 s alone, about twice that beside two other test workers); MW_FAULT_KILLS=50 for a
// longer soak.
const KILLS = Number(process.env.MW_FAULT_KILLS ?? 15);

/** Where each dialect's create goes (the commit-then-drop fault is put there). */
const CREATE_PATH: Record<Dialect, string> = {
  maximo: 'mxapiwodetail', servicenow: '/api/now/table/incident', maintainx: '/v1/workorders', rest: '/rest/workorders',
};

function flows(simUrl: string): object[] {
  const nodes: object[] = [{ id: 'tab1', type: 'tab', label: 'fault' }];
  for (const d of DIALECTS) {
    nodes.push(
      cmmsNode(d, simUrl, `conn-${d}`, { concurrency: 4, rateBurst: 200 }),
      { id: `in-${d}`, type: 'http in', z: 'tab1', url: `/event/${d}`, method: 'post', wires: [[`wo-${d}`]] },
      { id: `wo-${d}`, type: 'mw-work-order', z: 'tab1', cmms: `conn-${d}`, onCleared: 'ignore', wires: [[], []] },
      { id: `done-${d}`, type: 'complete', z: 'tab1', scope: [`wo-${d}`], uncaught: false, wires: [[`ok-${d}`]] },
      { id: `ok-${d}`, type: 'http response', z: 'tab1', statusCode: '200', wires: [] },
      { id: `catch-${d}`, type: 'catch', z: 'tab1', scope: [`wo-${d}`], uncaught: false, wires: [[`fail-${d}`]] },
      { id: `fail-${d}`, type: 'http response', z: 'tab1', statusCode: '500', wires: [] },
    );
  }
  return nodes;
}

async function metricsAll(red: NodeRedChild): Promise<{ pending: number; dead: number } | undefined> {
  const all = await Promise.all(DIALECTS.map((d) => outboxMetrics(red, `conn-${d}`)));
  if (all.some((m) => !m)) return undefined;
  return { pending: all.reduce((n, m) => n + (m?.pending ?? 0), 0), dead: all.reduce((n, m) => n + (m?.dead ?? 0), 0) };
}

/** Work orders per compact reference in the simulator, for one dialect. */
function countByRef(sim: CmmsSim, d: Dialect): Map<string, number> {
  const byRef = new Map<string, number>();
  for (const wo of sim.workOrders(d)) {
    const ref = simReference(wo);
    if (ref) byRef.set(ref, (byRef.get(ref) ?? 0) + 1);
  }
  return byRef;
}

/** Sends events one after another until told to stop; returns the ids Node-RED acknowledged. */
function sender(url: string, d: Dialect, prefix: string, acked: Set<string>, sent: Set<string>): { stop(): Promise<void> } {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const id = `${prefix}-${d}-${n}`;
      const asset = ASSETS[n++ % ASSETS.length];
      sent.add(id);
      try {
        const res = await fetch(`${url}/event/${d}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(maintenanceEvent(id, asset)) });
        if (res.status === 200) acked.add(id);
        await res.arrayBuffer();
        // Flows still starting (404): a short pause, so four senders do not spin against a starting Node-RED.
        if (res.status !== 200) await new Promise((r) => setTimeout(r, 25));
      } catch {
        // Killed mid-request: this event may or may not have been stored; it is not counted as accepted.
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  })();
  return { async stop() { running = false; await loop; } };
}

type Sets = Record<Dialect, { acked: Set<string>; sent: Set<string> }>;
const newSets = (): Sets => Object.fromEntries(DIALECTS.map((d) => [d, { acked: new Set<string>(), sent: new Set<string>() }])) as Sets;

/** Per dialect: every accepted event has exactly one work order, none has two, none is unknown. */
function assertExactlyOnce(sim: CmmsSim, sets: Sets, kills: number): string[] {
  const report: string[] = [];
  for (const d of DIALECTS) {
    const { acked, sent } = sets[d];
    const byRef = countByRef(sim, d);
    assert.ok(acked.size >= kills, `${d}: enough events were accepted to mean something (${acked.size})`);
    const missing = [...acked].filter((id) => byRef.get(referenceFor(d, id)) !== 1);
    assert.deepEqual(missing, [], `${d}: every accepted event has exactly one work order`);
    const doubled = [...byRef].filter(([, n]) => n > 1);
    assert.deepEqual(doubled, [], `${d}: no event has two work orders`);
    const sentRefs = new Set([...sent].map((id) => referenceFor(d, id)));
    const unknown = [...byRef.keys()].filter((ref) => !sentRefs.has(ref));
    assert.deepEqual(unknown, [], `${d}: every work order comes from an event that was sent`);
    report.push(`${d}: ${acked.size} accepted, ${byRef.size} work orders`);
  }
  return report;
}

describe('fault: SIGKILL of Node-RED while enqueueing and sending, every dialect', function () {
  this.timeout(420_000);
  let sim: CmmsSim;
  let userDir: string;
  let red: NodeRedChild | undefined;

  before(async () => {
    sim = await startCmmsSim({ seed: 7 });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-kill-'));
    installPackageInto(userDir);
  });
  after(async () => {
    await red?.stop('SIGKILL').catch(() => undefined);
    await sim.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it(`accepted events become exactly one work order each in Maximo, ServiceNow, MaintainX and REST, over ${KILLS} kills with commit-then-drop`, async () => {
    red = await startNodeRed(userDir);
    await deploy(red, flows(sim.url));
    const sets = newSets();
    // Some creates are committed by the CMMS and then the connection is cut: the outbox must look
    // them up instead of creating them again, also after a kill.
    for (const d of DIALECTS) sim.faults.add({ dialect: d, method: 'POST', pathIncludes: CREATE_PATH[d], kind: 'commit-then-drop', probability: 0.3 });
    let seed = 12345;
    const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };

    for (let k = 0; k < KILLS; k += 1) {
      const url = red.url;
      const before = DIALECTS.map((d) => sets[d].acked.size);
      const senders = DIALECTS.map((d) => sender(url, d, `k${k}`, sets[d].acked, sets[d].sent));
      await new Promise((r) => setTimeout(r, 300 + Math.floor(rand() * 700)));
      // On a loaded machine a restarted Node-RED may not have accepted anything yet: each life
      // accepts at least one event per dialect (for at most 10 s more), so every kill counts.
      const until = Date.now() + 10_000;
      while (DIALECTS.some((d, i) => sets[d].acked.size === before[i]) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      red.proc.kill('SIGKILL');
      await Promise.all(senders.map((s) => s.stop()));
      await waitFor('killed', async () => (red?.exited() ? true : undefined), 10_000);
      red = await startNodeRed(userDir);
    }
    sim.faults.clear();
    const settled = await waitFor('the outboxes to drain', async () => {
      const m = await metricsAll(red as NodeRedChild);
      return m && m.pending === 0 ? m : undefined;
    }, 120_000);
    assert.equal(settled.dead, 0, 'no event was dead-lettered');
    console.log(assertExactlyOnce(sim, sets, KILLS).join('\n'));

    // Our close handlers may take up to 10 s each (nodes/lib/close.ts) to let a request in flight finish,
    // so a clean stop is given more than that before it counts as ignored.
    const stopping = Date.now();
    await red.stop('SIGTERM', 20_000);
    console.log(`      clean stop (SIGTERM) took ${Date.now() - stopping} ms`);
    const Sqlite = loadSqlite();
    for (const d of DIALECTS) {
      const db = new Sqlite(path.join(userDir, 'millwright', `outbox-conn-${d}.db`));
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    }
  });

  it('a redeploy while requests are in flight closes in time and loses or doubles nothing, every dialect', async () => {
    red = await startNodeRed(userDir);
    await deploy(red, flows(sim.url));
    for (const d of DIALECTS) sim.faults.add({ dialect: d, method: 'POST', pathIncludes: CREATE_PATH[d], kind: 'latency', delayMs: 2500 });
    const sets = newSets();
    const url = red.url;
    const senders = DIALECTS.map((d) => sender(url, d, 'redeploy', sets[d].acked, sets[d].sent));
    await new Promise((r) => setTimeout(r, 600));
    await Promise.all(senders.map((s) => s.stop()));
    const started = Date.now();
    await deploy(red, flows(sim.url));
    const took = Date.now() - started;
    assert.ok(took < 15_000, `the redeploy took ${took} ms; Node-RED allows close handlers 15 s`);
    sim.faults.clear();
    await waitFor('the outboxes to drain', async () => {
      const m = await metricsAll(red as NodeRedChild);
      return m && m.pending === 0 ? m : undefined;
    }, 60_000);
    for (const d of DIALECTS) {
      const byRef = countByRef(sim, d);
      for (const id of sets[d].acked) assert.equal(byRef.get(referenceFor(d, id)), 1, `${d}: ${id} has ${byRef.get(referenceFor(d, id)) ?? 0} work orders`);
      assert.ok(sets[d].acked.size > 0, `${d}: events were accepted`);
    }
    assert.doesNotMatch(red.log(), /Close timed out|Error stopping node/i);
  });
});

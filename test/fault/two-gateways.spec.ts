import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { referenceFor } from '../../nodes/core/cmms/reference';
import { startCmmsSim, type CmmsSim, type Dialect } from '../../sim/cmms';
import { installPackageInto } from '../../sim/runtime';
import { startNodeRed, waitFor, type NodeRedChild } from '../support/package-runtime';
import { ASSETS, cmmsNode, deploy, DIALECTS, doubledMarkers, maintenanceEvent, notesOf, outboxMetrics, simReference, type EventState } from '../support/gateway-flows';

// Issue 14 item 3, "two gateways, one CMMS": two real Node-RED processes (two user directories,
// two outboxes) watch the same line and get the same maintenance events — same ids, interleaved —
// while the simulator commits some writes and then drops the connection, and answers some requests
// with 503. One gateway is the primary, the other the standby (mw-cmms "Gateway role"). Every
// event must end as exactly one work order, and no note may be doubled, for every dialect: the
// ServiceNow and MaintainX APIs have no idempotency key, so only the standby's wait and read-back
// keep two gateways from both creating. MW_TWO_GATEWAYS_ROLES=primary,primary runs the same
// traffic with two primaries, to see what happens without roles (duplicates on those two).
const EVENTS_PER_DIALECT = Number(process.env.MW_TWO_GATEWAYS_EVENTS ?? 130);
const ROLES = (process.env.MW_TWO_GATEWAYS_ROLES ?? 'primary,standby').split(',') as ['primary' | 'standby', 'primary' | 'standby'];
/** Longer than the primary's event → work order time under this load, faults and retries included. */
const STANDBY_DELAY_SECONDS = 10;
/** Events per dialect in flight at once (each goes to both gateways). */
const SENDERS = 4;

function flows(simUrl: string, role: 'primary' | 'standby'): object[] {
  const nodes: object[] = [{ id: 'tab1', type: 'tab', label: 'line 2' }];
  for (const d of DIALECTS) {
    nodes.push(
      cmmsNode(d, simUrl, `conn-${d}`, { gatewayRole: role, standbyDelaySeconds: STANDBY_DELAY_SECONDS }),
      { id: `in-${d}`, type: 'http in', z: 'tab1', url: `/event/${d}`, method: 'post', wires: [[`wo-${d}`]] },
      { id: `wo-${d}`, type: 'mw-work-order', z: 'tab1', cmms: `conn-${d}`, onCleared: 'complete', wires: [[], []] },
      { id: `done-${d}`, type: 'complete', z: 'tab1', scope: [`wo-${d}`], uncaught: false, wires: [[`ok-${d}`]] },
      { id: `ok-${d}`, type: 'http response', z: 'tab1', statusCode: '200', wires: [] },
      { id: `catch-${d}`, type: 'catch', z: 'tab1', scope: [`wo-${d}`], uncaught: false, wires: [[`fail-${d}`]] },
      { id: `fail-${d}`, type: 'http response', z: 'tab1', statusCode: '500', wires: [] },
    );
  }
  return nodes;
}

/** What one event goes through: raised always; some escalate, some clear (complete with a note). */
function plan(i: number): EventState[] {
  const states: EventState[] = ['raised'];
  if (i % 3 === 0) states.push('escalated');
  if (i % 4 === 1 || i % 6 === 0) states.push('cleared');
  return states;
}

let seed = 4242;
const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fault: two gateways, one CMMS (issue 14 item 3)', function () {
  this.timeout(240_000);
  let sim: CmmsSim;
  const dirs: string[] = [];
  const reds: NodeRedChild[] = [];

  before(async () => {
    sim = await startCmmsSim({ seed: 14 });
    for (let g = 0; g < 2; g++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mw-gw${g}-`));
      installPackageInto(dir);
      dirs.push(dir);
    }
    reds.push(...await Promise.all(dirs.map((d) => startNodeRed(d))));
    await Promise.all(reds.map((red, g) => deploy(red, flows(sim.url, ROLES[g]))));
  });
  after(async () => {
    await Promise.all(reds.map((r) => r.stop('SIGKILL').catch(() => undefined)));
    await sim.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it(`${EVENTS_PER_DIALECT} events per dialect fed to both: one work order each, no note doubled (roles ${ROLES.join('/')})`, async () => {
    const faults = (d: Dialect): void => {
      // Writes committed and then cut off (the gateway cannot know they landed), and 503s on anything.
      sim.faults.add({ dialect: d, method: 'POST', kind: 'commit-then-drop', probability: 0.08 });
      sim.faults.add({ dialect: d, method: 'PATCH', kind: 'commit-then-drop', probability: 0.08 });
      sim.faults.add({ dialect: d, kind: 'status', status: 503, probability: 0.05 });
    };
    DIALECTS.forEach(faults);
    const refused: string[] = [];
    let posted = 0;

    async function post(red: NodeRedChild, d: Dialect, body: object, what: string): Promise<void> {
      const res = await fetch(`${red.url}/event/${d}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      posted += 1;
      if (res.status !== 200) refused.push(`${what} → ${res.status} ${await res.text()}`);
      else await res.arrayBuffer();
    }

    /** Each state of the event to both gateways, in a random order and a few ms apart. */
    async function feed(d: Dialect, i: number): Promise<void> {
      const id = `tg-${d}-${i}`;
      for (const state of plan(i)) {
        // Stamped once, as the alarm's time: both gateways' rule engines see the same reading.
        const body = maintenanceEvent(id, ASSETS[i % ASSETS.length], state, new Date().toISOString());
        const order = rand() < 0.5 ? [0, 1] : [1, 0];
        await Promise.all(order.map(async (g, k) => {
          if (k === 1) await sleep(Math.floor(rand() * 30));
          await post(reds[g], d, body, `${id} ${state} to gateway ${g}`);
        }));
      }
    }

    const started = Date.now();
    await Promise.all(DIALECTS.map(async (d) => {
      let next = 0;
      await Promise.all(Array.from({ length: SENDERS }, async () => {
        while (next < EVENTS_PER_DIALECT) await feed(d, next++);
      }));
    }));
    const fedMs = Date.now() - started;
    assert.deepEqual(refused, [], 'both gateways accepted every event');

    const connections = DIALECTS.map((d) => `conn-${d}`);
    const drained = await waitFor('both gateways to deliver everything', async () => {
      const all = await Promise.all(reds.flatMap((red) => connections.map((c) => outboxMetrics(red, c))));
      return all.every((m) => m && m.pending === 0) ? all as NonNullable<(typeof all)[number]>[] : undefined;
    }, 150_000);
    const faulted = sim.requests().filter((r) => r.fault).length;
    sim.faults.clear();

    const report: string[] = [];
    const problems: string[] = [];
    for (const d of DIALECTS) {
      const wos = sim.workOrders(d);
      const byRef = new Map<string, typeof wos>();
      for (const wo of wos) {
        const ref = simReference(wo);
        if (ref) byRef.set(ref, [...(byRef.get(ref) ?? []), wo]);
      }
      let duplicates = 0;
      let doubledNotes = 0;
      for (let i = 0; i < EVENTS_PER_DIALECT; i++) {
        const id = `tg-${d}-${i}`;
        const mine = byRef.get(referenceFor(d, id)) ?? [];
        if (mine.length !== 1) {
          problems.push(`${d}: ${id} has ${mine.length} work orders`);
          duplicates += Math.max(0, mine.length - 1);
          continue;
        }
        const [wo] = mine;
        const doubled = doubledMarkers(wo);
        doubledNotes += doubled.length;
        if (doubled.length > 0) problems.push(`${d}: ${id} has doubled notes ${doubled.join(', ')}`);
        const states = plan(i);
        if (d !== 'rest') {
          // REST's note is a field of a JSON merge patch: a later one replaces it, so only the others count notes.
          const notes = notesOf(wo);
          const count = (text: string): number => notes.filter((n) => n.includes(text)).length;
          if (states.includes('escalated') && count('Escalated to') !== 1) problems.push(`${d}: ${id} has ${count('Escalated to')} escalation notes`);
          if (states.includes('cleared') && count('Condition cleared') !== 1) problems.push(`${d}: ${id} has ${count('Condition cleared')} cleared notes`);
        }
        if (states.includes('cleared') && !['COMP', '6', 'DONE', 'done'].includes(wo.status)) problems.push(`${d}: ${id} is ${wo.status}, not done`);
      }
      const expected = new Set(Array.from({ length: EVENTS_PER_DIALECT }, (_, i) => referenceFor(d, `tg-${d}-${i}`)));
      const strays = wos.filter((w) => !expected.has(simReference(w) ?? '')).length;
      if (strays > 0) problems.push(`${d}: ${strays} work orders belong to no event sent`);
      report.push(`${d}: ${wos.length} work orders for ${EVENTS_PER_DIALECT} events, ${duplicates} duplicate, ${doubledNotes} doubled notes`);
    }
    const dead = drained.reduce((n, m) => n + m.dead, 0);
    const outcomes = (g: number): string => JSON.stringify(drained.slice(g * DIALECTS.length, (g + 1) * DIALECTS.length).map((m) => m.outcomes));
    const summary = `${report.join('\n')}\nfed in ${fedMs} ms, ${posted} posts, ${faulted} faulted requests, ${dead} dead letters\n`
      + `gateway 0 (${ROLES[0]}) ${outcomes(0)}\ngateway 1 (${ROLES[1]}) ${outcomes(1)}`;
    console.log(summary);

    assert.ok(EVENTS_PER_DIALECT * DIALECTS.length >= 500 || process.env.MW_TWO_GATEWAYS_EVENTS, 'at least 500 events in all');
    assert.ok(faulted >= EVENTS_PER_DIALECT, `faults were on: ${faulted} requests faulted`);
    assert.deepEqual(problems.slice(0, 30), [], `${problems.length} problems\n${summary}`);
    assert.equal(dead, 0, `no dead letters\n${summary}`);
  });
});

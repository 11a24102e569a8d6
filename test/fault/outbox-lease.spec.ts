// A lease held by a process that no longer exists is taken back when the outbox opens, instead of
// after the lease runs out (issue 12 item 13): a real child delivering to the CMMS simulator is
// killed with SIGKILL while a create is in flight, and the next opener resumes at once, looking the
// work order up before it sends again. A lease of this same process (an earlier deploy whose
// request may still finish) is left to run out, as before.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient, type CmmsClient } from '../../nodes/core/cmms';
import { Outbox } from '../../nodes/core/outbox';
import { currentOwner, decodeOwner, encodeOwner, ownerGone } from '../../nodes/core/storage/process-owner';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';
import { until } from '../support/wait';

const CHILD = path.join(__dirname, 'fixtures', 'enqueue-child.js');

interface Row { event_id: string; state: string; lease_until: number | null; ambiguous: number }

function rows(file: string): Row[] {
  const db = new (loadSqlite())(file);
  try {
    return db.prepare("SELECT event_id, state, lease_until, ambiguous FROM items WHERE action = 'create' ORDER BY id").all() as Row[];
  } finally {
    db.close();
  }
}

function owner(file: string): string | null {
  const db = new (loadSqlite())(file);
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as { value: string } | undefined)?.value ?? null;
  } finally {
    db.close();
  }
}

describe('outbox leases of a process that is gone (SIGKILL)', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: CmmsSim;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outbox-lease-'));
    sim = await startCmmsSim({ seed: 5 });
  });
  afterEach(async () => {
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('takes back at open the leases of a killed process and delivers each event exactly once, long before the 60 s lease ends', async () => {
    const file = path.join(dir, 'outbox.db');
    // The first creates never get an answer: the child holds them in flight when it is killed.
    sim.faults.add({ dialect: 'maintainx', method: 'POST', pathIncludes: '/v1/workorders', kind: 'hang', times: 3 });
    const args = { mode: 'send', file, simUrl: sim.url, token: SIM_CREDENTIALS.maintainx.token, events: 3, leaseMs: 60_000, timeoutMs: 45_000 };
    const child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    try {
      await until('three creates in flight at the simulator', () => sim.requests().filter((r) => r.fault === 'hang').length >= 3, 20_000);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const leased = rows(file);
    assert.deepEqual(leased.map((r) => r.state), ['inflight', 'inflight', 'inflight'], 'the killed process held three leases');
    assert.ok(leased.every((r) => (r.lease_until ?? 0) > Date.now() + 30_000), 'the leases had most of their 60 s left');
    const recorded = decodeOwner(owner(file));
    assert.equal(recorded?.pid, child.pid, 'the file names the child as its owner');
    assert.equal(ownerGone(recorded!), true);

    const client = createCmmsClient({
      dialect: 'maintainx', baseUrl: sim.url, auth: { kind: 'bearer', token: SIM_CREDENTIALS.maintainx.token }, timeoutMs: 5000,
      rate: { perMinute: 60_000, burst: 1000, concurrency: 4 },
    });
    const outbox = new Outbox({ file, connection: 'fault', client, leaseMs: 60_000, housekeepingMs: 60_000 });
    try {
      const opened = Date.now();
      outbox.open();
      const after = rows(file);
      assert.deepEqual(after.map((r) => r.state), ['pending', 'pending', 'pending'], 'taken back at open');
      assert.deepEqual(after.map((r) => r.ambiguous), [1, 1, 1], 'creates that may have reached the CMMS are looked up first');
      assert.equal(decodeOwner(owner(file))?.pid, process.pid, 'this process owns the file now');
      outbox.start();
      await until('everything delivered', () => outbox.getMetrics().pending === 0 && outbox.getMetrics().inflight === 0, 30_000);
      assert.ok(Date.now() - opened < 30_000, 'delivered without waiting for the 60 s lease');
      assert.deepEqual(rows(file).map((r) => r.state), ['sent', 'sent', 'sent']);
      const refs = sim.workOrders('maintainx').map((w) => w.ref);
      assert.equal(refs.length, 3, 'one work order per event');
      assert.equal(new Set(refs).size, 3, 'no duplicates');
      const lookups = sim.requests().filter((r) => r.method === 'GET' && r.path.includes('/v1/workorders'));
      assert.ok(lookups.length >= 3, 'each create was looked up before it was sent again');
    } finally {
      await outbox.stop(1000);
      outbox.close();
      client.close();
    }
  });

  it('leaves a lease of this same process (an earlier deploy whose request may still finish) to run out', async () => {
    const file = path.join(dir, 'outbox.db');
    let release: () => void = () => undefined;
    const hanging = new Promise<never>((_, reject) => { release = () => reject(new Error('released')); });
    const no = (): Promise<never> => Promise.reject(new Error('not used'));
    const client: CmmsClient = {
      dialect: 'rest', createWorkOrder: () => hanging, updateWorkOrder: no, setStatus: no, findByReference: () => hanging,
      getWorkOrder: no, listAssets: no, listChangedSince: no, probe: no, close: () => undefined,
    };
    hanging.catch(() => undefined);
    const first = new Outbox({ file, connection: 'same', client, leaseMs: 60_000, housekeepingMs: 60_000 });
    first.start();
    first.enqueue({ action: 'create', eventId: 'ev-same', assetKey: 'a1', nodeId: 'n1', occurredAt: Date.now(), body: { title: 't' }, event: { eventId: 'ev-same' } });
    await until('the create in flight', () => rows(file)[0]?.state === 'inflight', 10_000);
    assert.equal((await first.stop(10)).unfinished, 1, 'the request is still running');
    first.close();
    const second = new Outbox({ file, connection: 'same', client, leaseMs: 60_000, housekeepingMs: 60_000 });
    try {
      second.open();
      assert.equal(rows(file)[0]?.state, 'inflight', 'our own earlier request may still answer: its lease stands');
      assert.equal(owner(file), encodeOwner(currentOwner()));
    } finally {
      second.close();
      release();
    }
  });
});

describe('process owner', () => {
  it('is gone after SIGKILL, alive while it runs, never gone for this process or an unreadable record', async () => {
    const child = spawn(process.execPath, ['-e', "process.stdout.write(JSON.stringify(require(process.argv[1]).currentOwner())); setInterval(() => {}, 1000)", require.resolve('../../nodes/core/storage/process-owner')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => { text += c; });
    try {
      await until('the child to print its owner', () => text.endsWith('}'), 10_000);
      const theirs = decodeOwner(text);
      assert.equal(theirs?.pid, child.pid);
      assert.equal(ownerGone(theirs!), false, 'a running process is not gone');
      child.kill('SIGKILL');
      await exited;
      assert.equal(ownerGone(theirs!), true, 'a killed process is gone');
      // The same pid started at another time (a container restarting Node-RED as the same pid).
      const me = currentOwner();
      assert.equal(ownerGone(me), false);
      if (me.ticks !== null) assert.equal(ownerGone({ ...me, ticks: me.ticks - 1 }), true);
      if (me.boot !== '') assert.equal(ownerGone({ ...me, pid: 1, boot: 'another-boot' }), true);
      assert.equal(decodeOwner('not json'), null);
      assert.equal(decodeOwner('{"pid":-1}'), null);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

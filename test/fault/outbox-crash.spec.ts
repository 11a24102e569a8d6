// Kills a process that is writing to (or delivering from) the outbox at random moments, then
// checks that the file is intact, every acknowledged event is in it, and the CMMS ends up with
// exactly one work order per event.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCmmsClient } from '../../nodes/core/cmms';
import { Outbox } from '../../nodes/core/outbox';
import { loadSqlite } from '../../nodes/core/storage/sqlite';
import { SIM_CREDENTIALS, startCmmsSim, type CmmsSim } from '../../sim/cmms';

const CHILD = path.join(__dirname, 'fixtures', 'enqueue-child.js');

/** Small seeded generator so a failing run can be repeated (the seed is in the messages). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(line: (l: string) => boolean, ms: number): Promise<void>;
}

function run(args: Record<string, unknown>, shellPrefix?: string): Run {
  const argv = [CHILD, JSON.stringify(args)];
  const child = shellPrefix
    ? spawn('/bin/sh', ['-c', `${shellPrefix}; exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  const waiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => { for (const w of waiters.splice(0)) w(); resolve({ code, signal }); });
  });
  return {
    child, lines, exited,
    async waitFor(match, ms) {
      const end = Date.now() + ms;
      while (!lines.some(match)) {
        if (child.exitCode !== null || child.signalCode !== null) assert.fail(`child ended before the expected line; output: ${lines.slice(-5).join(' | ')}`);
        if (Date.now() > end) assert.fail(`timed out; output: ${lines.slice(-5).join(' | ')}`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
      }
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function openRaw(file: string) {
  return new (loadSqlite())(file);
}

describe('outbox under SIGKILL', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-outbox-fault-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('keeps the file intact and every acknowledged event across 25+ kills while enqueueing', async () => {
    const seed = Date.now() % 100_000;
    const random = seeded(seed);
    const file = path.join(dir, 'outbox.db');
    const acked = new Set<string>();
    const kills = 25;
    for (let k = 0; k < kills; k++) {
      const r = run({ mode: 'enqueue', file, prefix: `k${k}` });
      // Sometimes during start-up (opening, migrating), mostly in the middle of the loop.
      if (random() < 0.2) await sleep(Math.floor(random() * 60));
      else {
        await r.waitFor((l) => l === 'OPEN', 10_000);
        await sleep(Math.floor(random() * 120));
      }
      r.child.kill('SIGKILL');
      const { signal } = await r.exited;
      assert.equal(signal, 'SIGKILL', `seed ${seed}: the child was still running when killed`);
      assert.ok(!r.lines.some((l) => l.startsWith('FATAL') || l.startsWith('ERR') || l.startsWith('PROBLEM')), `seed ${seed}: ${r.lines.filter((l) => /^(FATAL|ERR|PROBLEM)/.test(l)).join(' | ')}`);
      for (const l of r.lines) if (/^k\d+-\d+$/.test(l)) acked.add(l);
    }
    assert.ok(acked.size >= kills, `seed ${seed}: only ${acked.size} events acknowledged over ${kills} runs`);

    const db = openRaw(file);
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `seed ${seed}`);
      const stored = new Set((db.prepare('SELECT event_id FROM items').all() as { event_id: string }[]).map((r) => r.event_id));
      const missing = [...acked].filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], `seed ${seed}: acknowledged but not stored`);
    } finally {
      db.close();
    }
    // And the engine opens it without calling it corrupt, holding every stored event as pending.
    const problems: string[] = [];
    const client = createCmmsClient({ dialect: 'rest', baseUrl: 'http://127.0.0.1:9', auth: { kind: 'none' } });
    const box = new Outbox({ file, connection: 'check', client });
    box.on('problem', (p) => problems.push(p.message));
    box.open();
    assert.ok(box.getMetrics().pending >= acked.size);
    box.close();
    client.close();
    assert.deepEqual(problems, []);
  });

  it('delivers exactly one work order per event when killed mid-send with commit-then-drop on', async () => {
    const sim: CmmsSim = await startCmmsSim({ seed: 11 });
    try {
      const seed = Date.now() % 100_000;
      const random = seeded(seed);
      sim.faults.add({ dialect: 'maintainx', method: 'POST', pathIncludes: '/v1/workorders', kind: 'commit-then-drop', probability: 0.3 });
      // Slow answers widen the window in which a kill lands between "sent" and "recorded".
      sim.faults.add({ dialect: 'maintainx', kind: 'latency', delayMs: 40 });
      const file = path.join(dir, 'outbox.db');
      const events = 40;
      const args = { mode: 'send', file, simUrl: sim.url, token: SIM_CREDENTIALS.maintainx.token, events, leaseMs: 400 };
      let kills = 0;
      for (let k = 0; k < 8; k++) {
        const r = run(args);
        await r.waitFor((l) => l === 'ENQUEUED' || l === 'DONE', 10_000);
        await sleep(20 + Math.floor(random() * 150));
        if (r.lines.includes('DONE')) { await r.exited; break; }
        r.child.kill('SIGKILL');
        await r.exited;
        kills += 1;
      }
      const last = run(args);
      await last.waitFor((l) => l === 'DONE', 30_000);
      await last.exited;

      const byRef = new Map<string, number>();
      for (const wo of sim.workOrders('maintainx')) byRef.set(wo.ref ?? '', (byRef.get(wo.ref ?? '') ?? 0) + 1);
      const doubled = [...byRef].filter(([, n]) => n > 1);
      assert.deepEqual(doubled, [], `seed ${seed}, ${kills} kills: events with more than one work order`);

      const db = openRaw(file);
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        const rows = db.prepare("SELECT event_id, state, work_order_id FROM items WHERE action = 'create'").all() as { event_id: string; state: string; work_order_id: string | null }[];
        assert.equal(rows.length, events);
        assert.deepEqual(rows.filter((r) => r.state !== 'sent' && r.state !== 'dead'), [], 'every event ends sent or dead');
        const simIds = new Set(sim.workOrders('maintainx').map((w) => w.id));
        for (const r of rows.filter((x) => x.state === 'sent')) assert.ok(simIds.has(r.work_order_id ?? ''), `${r.event_id} → ${r.work_order_id}`);
        assert.equal(byRef.size, rows.filter((r) => r.state === 'sent').length);
      } finally {
        db.close();
      }
      assert.ok(kills >= 3, `seed ${seed}: only ${kills} kills landed before the work was done`);
      assert.ok(sim.requests().some((r) => r.fault === 'commit-then-drop'), 'the drop fault was exercised');
    } finally {
      await sim.stop();
    }
  });

  it('reports a refused write (file-size limit) clearly from enqueue, keeps running and keeps the file intact', async () => {
    const file = path.join(dir, 'outbox.db');
    // ulimit -f counts 1 KiB blocks here; Node ignores SIGXFSZ, so writes past it fail with EFBIG.
    const r = run({ mode: 'enqueue', file, prefix: 'lim', maxErrors: 5 }, 'ulimit -f 600');
    await r.waitFor((l) => l === 'CLOSED', 20_000);
    const { code } = await r.exited;
    assert.equal(code, 0);
    const errors = r.lines.filter((l) => l.startsWith('ERR '));
    assert.equal(errors.length, 5);
    assert.match(errors[0], /^ERR SQLITE_(IOERR\w*|FULL) cannot store event lim-\d+: the disk (refused the write|\(or the outbox's size cap\) is full)/);
    const acked = r.lines.filter((l) => /^lim-\d+$/.test(l));
    assert.ok(acked.length > 10, `${acked.length} stored before the limit`);
    const db = openRaw(file);
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      const stored = new Set((db.prepare('SELECT event_id FROM items').all() as { event_id: string }[]).map((x) => x.event_id));
      assert.deepEqual(acked.filter((id) => !stored.has(id)), []);
    } finally {
      db.close();
    }
  });
});

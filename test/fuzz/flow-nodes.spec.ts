// Issue 12, fuzz tier: arbitrary values (wrong types, NaN/Infinity, 10 MB strings and Buffers,
// 10 000-deep objects, __proto__/constructor keys, lone surrogates, throwing getters, Proxies) into
// each of the four flow nodes of a real Node-RED child process. Seeded; bounded to well under 60 s.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DurableState } from '../../nodes/core/state/durable-state';
import { loadSqlite } from '../../nodes/core/storage/sqlite';

const SEED = Number(process.env.MW_FUZZ_SEED ?? 20261204);
const RUNS = Number(process.env.MW_FUZZ_RUNS ?? 400);

describe('fuzz tier: hostile messages into the four flow nodes in a real Node-RED (issue 12)', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fuzz-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it(`${RUNS} seeded cases (seed ${SEED}): the process lives, every message ends in done(err) or done(), no state file is damaged`, async () => {
    const child = fork(path.join(__dirname, 'fuzz-child.js'), [dir, String(SEED), String(RUNS)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--max-old-space-size=1024'] });
    let log = '';
    child.stdout?.on('data', (d: Buffer) => { log += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
    const report = await new Promise<{ sent?: number; ended?: number; ms?: number; crash?: string }>((resolve) => {
      let last: { sent?: number; ended?: number; ms?: number; crash?: string } = {};
      child.on('message', (m) => { last = m as typeof last; });
      child.on('exit', (code) => resolve(code === 0 ? last : { ...last, crash: last.crash ?? `exit code ${code}: ${log.slice(-2000)}` }));
    });
    assert.equal(report.crash, undefined, `the runtime died: ${report.crash}`);
    assert.equal(report.sent, RUNS);
    assert.equal(report.ended, RUNS, `every message reaches a Complete or a Catch node (${report.ended} of ${report.sent})`);
    console.log(`      fuzz: ${report.sent} cases, ${report.ended} ended, 0 crashes, ${report.ms} ms`);
    // No state file damaged: each reopens and passes SQLite's integrity check.
    const files = fs.readdirSync(path.join(dir, 'millwright')).filter((f) => f.endsWith('.db'));
    assert.ok(files.length >= 3, `state files: ${files.join(', ')}`);
    const Sqlite = loadSqlite();
    for (const f of files) {
      const db = new Sqlite(path.join(dir, 'millwright', f));
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', f);
      } finally {
        db.close();
      }
      if (!f.startsWith('outbox')) new DurableState(path.join(dir, 'millwright', f)).close();
    }
  });
});

// What one durable commit costs on this disk, in the two patterns the nodes produce: alarm events
// arrive a few at a time with idle gaps between them (each commit pays a cold fsync), a burst
// commits back to back. mw-threshold's event latency can never be below the first figure, because
// each raised/cleared event is committed (WAL, synchronous=FULL) before it leaves the node.
//   node dist/bench/fsync.js [--commits n]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { loadSqlite } from '../nodes/core/storage/sqlite';

const { values } = parseArgs({ options: { commits: { type: 'string', default: '200' } } });
const commits = Math.max(20, Number(values.commits) || 200);
const KEYS = 10_000;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fsync-'));
  const Sqlite = loadSqlite();
  const db = new Sqlite(path.join(dir, 'state.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // The layout of nodes/core/state/durable-state.ts, filled with as many keys as the alarm bench.
    db.exec('CREATE TABLE state (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID');
    const put = db.prepare('INSERT INTO state VALUES (?, ?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
    db.transaction(() => { for (let i = 0; i < KEYS; i++) put.run('keys', `key-${i}`, 'x'.repeat(600), Date.now()); })();
    const one = db.transaction((i: number) => put.run('keys', `key-${(i * 7919) % KEYS}`, 'y'.repeat(600), Date.now()));
    console.log(`one-row commits on a ${KEYS}-key state file (WAL, synchronous=FULL), ${commits} each, ms:`);
    for (const gapMs of [0, 20, 100]) {
      const times: number[] = [];
      for (let i = 0; i < commits; i++) {
        const t = process.hrtime.bigint();
        one(i);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      const label = gapMs === 0 ? 'back to back      ' : `${String(gapMs).padStart(3)} ms idle between`;
      console.log(`  ${label}  p50 ${pct(times, 0.5).toFixed(3)}  p90 ${pct(times, 0.9).toFixed(3)}  p99 ${pct(times, 0.99).toFixed(3)}`);
    }
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

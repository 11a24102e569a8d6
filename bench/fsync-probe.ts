// One durable commit, timed: the SQLite layout of nodes/core/state/durable-state.ts (WAL,
// synchronous=FULL), one-row transactions with idle gaps between them, as alarm events arrive.
// Used by bench/fsync.ts and by the gateway benchmark's Node-RED child (the fsync floor).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadSqlite } from '../nodes/core/storage/sqlite';

export const PROBE_KEYS = 10_000;

interface CommitProbe {
  /** Runs `commits` one-row commits, `gapMs` idle between them; returns each commit's time in ms. */
  run(commits: number, gapMs: number): Promise<number[]>;
  close(): void;
}

/** A state file in `parent` (a temp dir by default), filled with PROBE_KEYS rows of 600 bytes. */
export function openCommitProbe(parent: string = os.tmpdir()): CommitProbe {
  const dir = fs.mkdtempSync(path.join(parent, 'mw-fsync-'));
  const Sqlite = loadSqlite();
  const db = new Sqlite(path.join(dir, 'state.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE state (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID');
  const put = db.prepare('INSERT INTO state VALUES (?, ?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
  db.transaction(() => { for (let i = 0; i < PROBE_KEYS; i++) put.run('keys', `key-${i}`, 'x'.repeat(600), Date.now()); })();
  const one = db.transaction((i: number) => put.run('keys', `key-${(i * 7919) % PROBE_KEYS}`, 'y'.repeat(600), Date.now()));
  let n = 0;
  return {
    async run(commits, gapMs) {
      const times: number[] = [];
      for (let i = 0; i < commits; i++) {
        const t = process.hrtime.bigint();
        one(n++);
        times.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      return times;
    },
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Small durable key-value state for nodes that must remember things across restarts and redeploys
// (alarm episodes, shelving, SPC baselines, verification results). One SQLite file per node,
// written on transitions, never per sample: a put is a committed, fsynced transaction.
import fs from 'node:fs';
import { boundWal, loadSqlite, prepareDataFile, sqliteCode, type Database, type Statement } from '../storage/sqlite';

export interface DurableStateOptions {
  /** Told when a corrupt file was moved aside and a fresh one started. */
  onMovedAside?: (movedTo: string, why: string) => void;
  now?: () => number;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

function openFile(file: string): Database {
  const Sqlite = loadSqlite();
  const db = new Sqlite(file, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    boundWal(db);
    db.exec(`CREATE TABLE IF NOT EXISTS state (
      ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
      PRIMARY KEY (ns, key)) WITHOUT ROWID`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export class DurableState {
  private readonly db: Database;
  private readonly stmt: { get: Statement; all: Statement; put: Statement; del: Statement; clear: Statement };
  private readonly now: () => number;

  constructor(readonly file: string, opts: DurableStateOptions = {}) {
    this.now = opts.now ?? Date.now;
    prepareDataFile(file);
    let db: Database;
    try {
      db = openFile(file);
    } catch (e) {
      const code = sqliteCode(e) ?? (e as { code?: string }).code;
      if (!code || !CORRUPT.has(code)) throw e;
      const movedTo = `${file}.corrupt-${this.now()}`;
      fs.renameSync(file, movedTo);
      for (const s of ['-wal', '-shm']) if (fs.existsSync(file + s)) fs.renameSync(file + s, movedTo + s);
      opts.onMovedAside?.(movedTo, e instanceof Error ? e.message : String(e));
      prepareDataFile(file);
      db = openFile(file);
    }
    this.db = db;
    this.stmt = {
      get: db.prepare('SELECT value FROM state WHERE ns = ? AND key = ?'),
      all: db.prepare('SELECT key, value FROM state WHERE ns = ?'),
      put: db.prepare('INSERT INTO state (ns, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at'),
      del: db.prepare('DELETE FROM state WHERE ns = ? AND key = ?'),
      clear: db.prepare('DELETE FROM state WHERE ns = ?'),
    };
  }

  get<T>(ns: string, key: string): T | undefined {
    const row = this.stmt.get.get(ns, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Everything in a namespace, for restoring state at start. */
  all<T>(ns: string): Map<string, T> {
    const out = new Map<string, T>();
    for (const row of this.stmt.all.all(ns) as Array<{ key: string; value: string }>) out.set(row.key, JSON.parse(row.value) as T);
    return out;
  }

  put(ns: string, key: string, value: unknown): void {
    this.stmt.put.run(ns, key, JSON.stringify(value), this.now());
  }

  delete(ns: string, key: string): void {
    this.stmt.del.run(ns, key);
  }

  clear(ns: string): void {
    this.stmt.clear.run(ns);
  }

  /** Runs `fn` as one transaction: several transitions cost one fsync. */
  batch<R>(fn: () => R): R {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

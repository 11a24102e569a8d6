// Small durable key-value state for nodes that must remember things across restarts and redeploys
// (alarm episodes, shelving, SPC baselines, verification results). One SQLite file per node,
// written on transitions, never per sample: a put is a committed, fsynced transaction.
import type { Database, Statement } from '../storage/sqlite';
import { openStateFile } from '../storage/state-file';

interface DurableStateOptions {
  /** Told when a corrupt file was moved aside and a fresh one started. */
  onMovedAside?: (movedTo: string, why: string) => void;
  now?: () => number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS state (
  ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (ns, key)) WITHOUT ROWID`;

export class DurableState {
  private readonly db: Database;
  private readonly stmt: { get: Statement; all: Statement; put: Statement; del: Statement; clear: Statement };
  private readonly now: () => number;

  constructor(readonly file: string, opts: DurableStateOptions = {}) {
    this.now = opts.now ?? Date.now;
    const db = openStateFile(file, SCHEMA, { now: this.now, onMovedAside: opts.onMovedAside });
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

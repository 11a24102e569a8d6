// The few members of better-sqlite3 our storage (outbox, durable state) uses, declared here so the package does not depend
// on @types/better-sqlite3 (not installed). The module is loaded lazily so a native binary built
// for another Node version gives a clear error from the outbox instead of a failed `require` at
// node-load time.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorMessage } from '../error-message';

/** Positional values, or one object of named values (`@name` in the SQL). */
type SqlArg = string | number | bigint | null | object;

interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement {
  run(...params: SqlArg[]): RunResult;
  get(...params: SqlArg[]): unknown;
  all(...params: SqlArg[]): unknown[];
  /** Rows one at a time; the connection runs nothing else until the loop ends (or breaks). */
  iterate(...params: SqlArg[]): IterableIterator<unknown>;
}

export interface Database {
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}

interface DatabaseOptions {
  /** How long a write waits for another connection's lock, in ms. */
  timeout?: number;
  fileMustExist?: boolean;
}

type DatabaseConstructor = new (file: string, options?: DatabaseOptions) => Database;

/** SqliteError carries the SQLite result code name, e.g. SQLITE_FULL, SQLITE_CORRUPT. */
export function sqliteCode(e: unknown): string | undefined {
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

let cached: DatabaseConstructor | undefined;

export function loadSqlite(): DatabaseConstructor {
  if (cached) return cached;
  const load = createRequire(__filename);
  try {
    cached = load('better-sqlite3') as DatabaseConstructor;
  } catch (e) {
    const why = errorMessage(e);
    throw new Error(`Millwright's storage needs better-sqlite3, which failed to load (${why}); reinstall the package for this Node.js version`);
  }
  return cached;
}

/**
 * WAL bounds for every database of the package (issue 12, item 8). A gateway runs on an SD card
 * and a small disk: SQLite's defaults (checkpoint at 1000 pages, a WAL file never shrunk) let the
 * WAL keep the size of its largest burst for ever. Checkpoint every 256 pages (about 1 MB) and cut
 * the WAL file back to 4 MB after each checkpoint.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 256;
export const JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

export function boundWal(db: Database): void {
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
}

/**
 * Creates the folder (0700) and the database file (0600) before SQLite opens it: the outbox holds
 * work-order texts and the audit log, and SQLite gives its -wal and -shm files the mode of the main
 * file. Files and folders made by an older version are tightened too.
 */
export function prepareDataFile(file: string): void {
  // In-memory and temporary databases have no file of their own.
  if (file === '' || file === ':memory:' || file.startsWith('file:')) return;
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) tighten(f, 0o600);
}

function tighten(p: string, mode: number): void {
  try {
    const st = fs.statSync(p);
    if ((st.mode & 0o777) !== mode) fs.chmodSync(p, mode);
  } catch {
    // Missing (a -wal not made yet) or not ours to change: SQLite's own open reports real problems.
  }
}

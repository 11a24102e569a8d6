// The few members of better-sqlite3 our storage (outbox, durable state) uses, declared here so the package does not depend
// on @types/better-sqlite3 (not installed). The module is loaded lazily so a native binary built
// for another Node version gives a clear error from the outbox instead of a failed `require` at
// node-load time.
import { createRequire } from 'node:module';
import { errorMessage } from '../error-message';

/** Positional values, or one object of named values (`@name` in the SQL). */
export type SqlArg = string | number | bigint | null | object;

export interface RunResult {
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

export interface DatabaseOptions {
  /** How long a write waits for another connection's lock, in ms. */
  timeout?: number;
  fileMustExist?: boolean;
}

export type DatabaseConstructor = new (file: string, options?: DatabaseOptions) => Database;

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

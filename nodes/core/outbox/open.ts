// Opening the outbox file: durability pragmas asserted, corruption detected and moved aside so
// the node starts on a fresh file instead of crash-looping on a broken one.
import { migrate } from './schema';
import { isCorruption, moveAside, quickCheck } from '../storage/move-aside';
import { boundWal, loadSqlite, prepareDataFile, sqliteCode, type Database } from '../storage/sqlite';
import { OutboxStorageError } from './types';
import { errorMessage } from '../error-message';

interface OpenOptions {
  check: 'quick' | 'none';
  maxDatabasePages?: number;
  now: () => number;
  /** Told when a corrupt file was moved aside. */
  onMovedAside: (movedTo: string, why: string) => void;
}

/** Reads a pragma back as the engine needs it; a file system that cannot honour it is refused. */
function assertPragmas(db: Database, file: string): void {
  const mode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  if (mode !== 'wal') {
    throw new OutboxStorageError(`the outbox needs SQLite WAL mode but ${file} is in "${mode}" mode (a network or read-only file system?); refusing to run`);
  }
  db.pragma('synchronous = FULL');
  const sync = Number(db.pragma('synchronous', { simple: true }));
  if (sync !== 2) {
    throw new OutboxStorageError(`the outbox needs PRAGMA synchronous=FULL (2) but SQLite reports ${sync} for ${file}; refusing to run`);
  }
}

function tryOpen(file: string, o: OpenOptions): Database {
  const Sqlite = loadSqlite();
  const db = new Sqlite(file, { timeout: 5000 });
  try {
    assertPragmas(db, file);
    if (o.check === 'quick') quickCheck(db);
    if (o.maxDatabasePages !== undefined) db.pragma(`max_page_count = ${Math.max(1, Math.floor(o.maxDatabasePages))}`);
    // Reads run while a long request is in flight; keep temporary b-trees off the disk.
    db.pragma('temp_store = MEMORY');
    boundWal(db);
    migrate(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export function wrapStorageError(e: unknown, what: string): OutboxStorageError {
  if (e instanceof OutboxStorageError) return e;
  const code = sqliteCode(e);
  const why = errorMessage(e);
  if (code === 'SQLITE_FULL') {
    return new OutboxStorageError(`${what}: the disk (or the outbox's size cap) is full (${why}); free space and it recovers by itself`, code);
  }
  if (code?.startsWith('SQLITE_IOERR')) {
    return new OutboxStorageError(`${what}: the disk refused the write (${why}; full, a file-size limit, or failing storage); nothing was stored`, code);
  }
  return new OutboxStorageError(`${what}: ${why}`, code);
}

export function openDatabase(file: string, o: OpenOptions): Database {
  try {
    prepareDataFile(file);
  } catch (e) {
    throw wrapStorageError(e, `cannot create the folder for ${file}`);
  }
  try {
    return tryOpen(file, o);
  } catch (e) {
    if (!isCorruption(e)) throw wrapStorageError(e, `cannot open the outbox ${file}`);
    const why = errorMessage(e);
    let movedTo: string;
    try {
      movedTo = moveAside(file, o.now());
    } catch (moveErr) {
      throw wrapStorageError(moveErr, `the outbox ${file} is corrupt (${why}) and could not be moved aside`);
    }
    o.onMovedAside(movedTo, why);
    try {
      prepareDataFile(file);
      return tryOpen(file, o);
    } catch (e2) {
      throw wrapStorageError(e2, `cannot start a fresh outbox ${file}`);
    }
  }
}

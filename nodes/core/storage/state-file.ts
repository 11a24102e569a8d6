// Opening a node's own durable file (alarm state, SPC state, mw-wo-status's inbox): WAL with
// synchronous=FULL (a commit survives a power cut), the package's WAL bounds and file modes, the
// schema, a quick_check, and a damaged file moved aside so the node starts fresh instead of failing.
import { errorMessage } from '../error-message';
import { isCorruption, moveAside, quickCheck } from './move-aside';
import { boundWal, loadSqlite, prepareDataFile, type Database } from './sqlite';

interface StateFileOptions {
  /** Told when a damaged file was moved aside and a fresh one started. */
  onMovedAside?: (movedTo: string, why: string) => void;
  now?: () => number;
}

function openOnce(file: string, schema: string): Database {
  const Sqlite = loadSqlite();
  const db = new Sqlite(file, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    boundWal(db);
    db.exec(schema);
    quickCheck(db);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

export function openStateFile(file: string, schema: string, opts: StateFileOptions = {}): Database {
  prepareDataFile(file);
  try {
    return openOnce(file, schema);
  } catch (e) {
    if (!isCorruption(e)) throw e;
    const movedTo = moveAside(file, (opts.now ?? Date.now)());
    opts.onMovedAside?.(movedTo, errorMessage(e));
    prepareDataFile(file);
    return openOnce(file, schema);
  }
}

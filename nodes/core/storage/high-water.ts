// A small file beside a database that remembers, outside the database, which file it was (a
// generation id) and how far its ids had come. SQLite cannot tell that it lost committed data: a
// deleted -wal, a restored backup or a file moved away all open as a healthy, older database. The
// mark is written atomically (temporary file, fsync, rename, fsync of the folder), so after a crash
// it is either the old mark or the new one, never half of one.
import fs from 'node:fs';
import path from 'node:path';

interface HighWaterMark {
  /** Random id given to the database file when it was created. */
  generation: string;
  /** The highest item id known committed when the mark was written. */
  highWater: number;
  /** When the mark was written (ms since the epoch). */
  at: number;
  /** Items not yet delivered when the mark was written. */
  undelivered: number;
}

export function markFile(dbFile: string): string {
  return `${dbFile}-mark`;
}

/** The mark beside `dbFile`, or null when there is none or it cannot be read (a damaged mark proves nothing). */
export function readMark(dbFile: string): HighWaterMark | null {
  try {
    const o = JSON.parse(fs.readFileSync(markFile(dbFile), 'utf8')) as Partial<HighWaterMark>;
    if (typeof o.generation !== 'string' || !Number.isSafeInteger(o.highWater) || (o.highWater as number) < 0) return null;
    return {
      generation: o.generation, highWater: o.highWater as number, at: typeof o.at === 'number' ? o.at : 0,
      undelivered: typeof o.undelivered === 'number' ? o.undelivered : 0,
    };
  } catch {
    return null;
  }
}

export function writeMark(dbFile: string, mark: HighWaterMark): void {
  const target = markFile(dbFile);
  const tmp = `${target}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(mark));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  try {
    const dir = fs.openSync(path.dirname(target), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic.
  }
}

export interface Loss {
  /** 'older': the same file came back with fewer items (a restored backup, a lost -wal);
   *  'replaced': another file stands where it was (deleted, moved aside, zeroed). */
  kind: 'older' | 'replaced';
  /** Items committed to the file the mark describes and not in this one, at most. */
  missing: number;
  mark: HighWaterMark;
}

/** Compares the open database with the mark written beside it; null when nothing is missing. */
export function lostSinceMark(mark: HighWaterMark | null, generation: string | null, highWater: number): Loss | null {
  if (!mark) return null;
  if (generation !== mark.generation) return mark.highWater > 0 ? { kind: 'replaced', missing: mark.highWater, mark } : null;
  if (highWater < mark.highWater) return { kind: 'older', missing: mark.highWater - highWater, mark };
  return null;
}

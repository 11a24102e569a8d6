// A damaged SQLite file is moved aside (with its WAL and SHM, which belong to it) so the node
// starts on a fresh file instead of crash-looping on a broken one; the old file stays for a look.
// One rule for every store (outbox, durable state): the same corruption codes, the same names.
import fs from 'node:fs';
import { sqliteCode } from './sqlite';

/** SQLite's result codes for a file that is not (or no longer) a sound database. */
const CORRUPT_CODES: ReadonlySet<string> = new Set([
  'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX',
]);

/** A failed quick_check at open: the file opened, but its pages are damaged. */
export class CorruptDatabase extends Error {
  override readonly name = 'CorruptDatabase';
  readonly code = 'SQLITE_CORRUPT';
}

export function isCorruption(e: unknown): boolean {
  if (e instanceof CorruptDatabase) return true;
  const code = sqliteCode(e);
  return code !== undefined && CORRUPT_CODES.has(code);
}

/** Runs PRAGMA quick_check and throws CorruptDatabase unless it says ok. */
export function quickCheck(db: { pragma(source: string): unknown }): void {
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  const verdict = rows.map((r) => r.quick_check).join('; ');
  if (verdict !== 'ok') throw new CorruptDatabase(`quick_check: ${verdict.slice(0, 300)}`);
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Renames `file` to `<file>.corrupt-<UTC stamp>` (then `-1`, `-2`… if taken, so an earlier damaged
 * file is never overwritten) and its -wal/-shm beside it. Returns the new name.
 */
export function moveAside(file: string, now: number): string {
  let target = `${file}.corrupt-${stamp(now)}`;
  for (let n = 1; fs.existsSync(target); n++) target = `${file}.corrupt-${stamp(now)}-${n}`;
  fs.renameSync(file, target);
  for (const suffix of ['-wal', '-shm']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, target + suffix);
  }
  return target;
}

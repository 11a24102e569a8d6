// The outbox's SQLite file as a collaborator: opened (a corrupt file moved aside and reported),
// handed to the delivery loop and the admin through StoreAccess, closed with a "last seen" stamp.
// Neither of them opens or closes it; a delivery that finishes after close finds no store.
import type { OutboxSignals } from './events';
import { openDatabase, wrapStorageError } from './open';
import type { Settings } from './settings';
import { Store } from './store';
import { salvage } from './salvage';
import { currentOwner, decodeOwner, encodeOwner, ownerGone } from '../storage/process-owner';
import { lostSinceMark, readMark, writeMark, type Loss } from '../storage/high-water';
import { randomUUID } from 'node:crypto';

/** How the delivery loop and the admin reach the store. */
export interface StoreAccess {
  /** The open store, or null when closed (a request finishing after close records nothing). */
  readonly current: Store | null;
  /** The open store; throws when the outbox is not open. */
  get(): Store;
}

/** The files whose high-water mark is kept, by store (set at open). */
const marked = new WeakMap<Store, { file: string; generation: string }>();

/**
 * Lets the next start see whether the clock was set back while the process was down, and writes
 * the high-water mark beside the file (at open, at every housekeeping pass and at close), so the
 * next open can tell when committed items went missing.
 */
export function noteSeen(store: Store, now: number): void {
  try {
    store.noteSeen(now);
  } catch {
    // Only a hint for the next start; a full disk is reported by the writes that matter.
  }
  const m = marked.get(store);
  if (!m) return;
  try {
    writeMark(m.file, { generation: m.generation, highWater: store.highWater(), at: now, undelivered: store.held.rows });
  } catch {
    // The mark only guards against silent loss; failing to write it costs the next check, nothing else.
  }
}

function describeLoss(file: string, loss: Loss): string {
  const when = new Date(loss.mark.at).toISOString();
  const what = loss.kind === 'older'
    ? `the outbox ${file} came back older than it was: ${loss.missing} item(s) committed before ${when} are missing (a restored backup, or a deleted or damaged -wal file)`
    : `the outbox ${file} is not the file it was at ${when}: it was deleted, replaced or emptied, and up to ${loss.missing} item(s) committed to the old file are not in it`;
  return `${what}; ${loss.mark.undelivered} item(s) were still undelivered then. Events that were lost are not sent; look for a moved-aside copy (.corrupt-*) or a backup.`;
}

export class OutboxFile implements StoreAccess {
  private store: Store | null = null;

  constructor(private readonly s: Settings, private readonly signals: OutboxSignals) {}

  get current(): Store | null {
    return this.store;
  }

  get(): Store {
    if (!this.store) throw new Error('the outbox is not open');
    return this.store;
  }

  /** Opens (or creates) the file; a no-op when it is open. */
  open(): void {
    if (this.store) return;
    const s = this.s;
    let moved: { to: string; why: string } | null = null;
    const db = openDatabase(s.file, {
      check: s.checkOnOpen, maxDatabasePages: s.maxDatabasePages, now: s.now,
      onMovedAside: (to, why) => { moved = { to, why }; },
    });
    try {
      const store = new Store(db);
      const now = s.now();
      // The clock was set back while the process was down: the stored waits move back by as much
      // as can be seen (the downtime hides the rest), so none lasts longer than it had left.
      const seen = store.lastSeen();
      if (seen !== null && seen - now >= 1000) store.shiftWaits(now - seen);
      // A previous process died with these in flight. When it is certainly gone (killed, the
      // gateway rebooted), nothing of it can still answer: take its leases back now rather than
      // after they run out (a lease is 60 s; a whole drain waited for it). Leases of this process
      // (an earlier deploy whose request may still finish) or of one that may be alive wait it out.
      const before = decodeOwner(store.owner());
      if (before && ownerGone(before)) store.reclaimAll(now);
      else store.reclaimExpired(now, []);
      store.setOwner(encodeOwner(currentOwner()));
      // Committed data gone without SQLite noticing (see ../storage/high-water.ts): said, never silent.
      const generation = store.generation(randomUUID);
      const mark = readMark(s.file);
      if (moved) {
        // The damaged file is read for what it still holds; the mark says how much that misses.
        const requeued = this.reportMoved(store, moved, now);
        const missing = (mark?.undelivered ?? 0) - requeued;
        if (mark && missing > 0) {
          this.signals.problem({
            code: 'data-lost', file: s.file, missing,
            message: `the outbox ${s.file} held ${mark.undelivered} undelivered item(s) at ${new Date(mark.at).toISOString()}; ${requeued} could be read back from the damaged file, ${missing} are lost. Events that were lost are not sent.`,
          });
        }
      } else {
        const loss = lostSinceMark(mark, generation.id, store.highWater());
        if (loss) this.signals.problem({ code: 'data-lost', file: s.file, missing: loss.missing, message: describeLoss(s.file, loss) });
      }
      marked.set(store, { file: s.file, generation: generation.id });
      noteSeen(store, now);
      this.store = store;
    } catch (e) {
      db.close();
      throw wrapStorageError(e, `cannot open the outbox ${s.file}`);
    }
  }

  /** A corrupt file was moved aside: what can still be read of it is queued again here, and said. */
  private reportMoved(store: Store, moved: { to: string; why: string }, now: number): number {
    const got = salvage(moved.to, store, now);
    const lostRows = got.unreadable > 0 ? ` ${got.unreadable} row(s) could not be read: inspect it.` : '';
    this.signals.problem({
      code: 'corrupt-moved-aside', file: moved.to,
      message: `the outbox ${this.s.file} was corrupt (${moved.why}); it was moved to ${moved.to} and a fresh outbox started. `
        + `${got.requeued} undelivered item(s) read from it were queued again (creates are looked up in the CMMS first).${lostRows}`,
    });
    return got.requeued;
  }

  close(): void {
    if (this.store?.db.open) noteSeen(this.store, this.s.now());
    this.store?.close();
    this.store = null;
  }
}

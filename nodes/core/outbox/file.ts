// The outbox's SQLite file as a collaborator: opened (a corrupt file moved aside and reported),
// handed to the delivery loop and the admin through StoreAccess, closed with a "last seen" stamp.
// Neither of them opens or closes it; a delivery that finishes after close finds no store.
import type { OutboxSignals } from './events';
import { openDatabase, wrapStorageError } from './open';
import type { Settings } from './settings';
import { Store } from './store';
import { currentOwner, decodeOwner, encodeOwner, ownerGone } from '../storage/process-owner';

/** How the delivery loop and the admin reach the store. */
export interface StoreAccess {
  /** The open store, or null when closed (a request finishing after close records nothing). */
  readonly current: Store | null;
  /** The open store; throws when the outbox is not open. */
  get(): Store;
}

/** Lets the next start see whether the clock was set back while the process was down. */
export function noteSeen(store: Store, now: number): void {
  try {
    store.noteSeen(now);
  } catch {
    // Only a hint for the next start; a full disk is reported by the writes that matter.
  }
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
    const db = openDatabase(s.file, {
      check: s.checkOnOpen, maxDatabasePages: s.maxDatabasePages, now: s.now,
      onMovedAside: (to, why) => this.signals.problem({
        code: 'corrupt-moved-aside', file: to,
        message: `the outbox ${s.file} was corrupt (${why}); it was moved to ${to} and a fresh outbox started. Items in the old file were not delivered: inspect it.`,
      }),
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
      this.store = store;
    } catch (e) {
      db.close();
      throw wrapStorageError(e, `cannot open the outbox ${s.file}`);
    }
  }

  close(): void {
    if (this.store?.db.open) noteSeen(this.store, this.s.now());
    this.store?.close();
    this.store = null;
  }
}

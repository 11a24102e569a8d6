// Group commit: the state transitions of every message handled in one turn of the event loop go to
// disk in one transaction, and their events leave only after it committed. A plant-wide trip (a
// thousand alarms at once) then costs one fsync, not a thousand, and a restart can never find an
// event that was sent for a state that was not saved.
import type { AlarmEngine, Write } from './engine';

export interface WriteStore {
  put(ns: string, key: string, value: unknown): void;
  delete(ns: string, key: string): void;
  batch<R>(fn: () => R): R;
}

export type AfterCommit = (err: Error | null) => void;

export class Committer {
  private scheduled = false;
  private closed = false;
  private waiting: AfterCommit[] = [];
  /** The last commit failure, cleared by the next success. */
  lastError: Error | null = null;

  constructor(
    private readonly engine: AlarmEngine,
    private readonly store: WriteStore | null,
    /** Runs `fn` once the current turn of the event loop is over (setImmediate in the node). */
    private readonly defer: (fn: () => void) => void,
  ) {}

  /** Schedules a commit of whatever the engine has to write; `then` runs after it. */
  after(then?: AfterCommit): void {
    if (then) this.waiting.push(then);
    if (this.scheduled || this.closed) {
      if (this.closed && then) this.flush();
      return;
    }
    if (this.waiting.length === 0 && !this.engine.hasWrites()) return;
    this.scheduled = true;
    this.defer(() => {
      if (this.scheduled) this.flush();
    });
  }

  /** Commits now and runs everything that waited for it. */
  flush(): void {
    this.scheduled = false;
    const writes = this.engine.takeWrites();
    const waiting = this.waiting;
    this.waiting = [];
    let err: Error | null = null;
    if (writes.length > 0 && this.store) {
      try {
        this.commit(writes);
        this.lastError = null;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
        this.lastError = err;
        // Kept for the next attempt; later changes to the same keys replace them.
        this.engine.requeue(writes);
      }
    }
    for (const then of waiting) then(err);
  }

  private commit(writes: Write[]): void {
    const store = this.store as WriteStore;
    store.batch(() => {
      for (const w of writes) {
        if (w.value === null) store.delete(w.ns, w.key);
        else store.put(w.ns, w.key, w.value);
      }
    });
  }

  /** Final commit at close; later calls commit synchronously. */
  close(): void {
    this.closed = true;
    this.flush();
  }
}

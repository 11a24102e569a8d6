// Group commit: the state transitions of every message handled in one turn of the event loop go to
// disk in one transaction, and their events leave only after it committed. A plant-wide trip (a
// thousand alarms at once) then costs one fsync, not a thousand, and a restart can never find an
// event that was sent for a state that was not saved. Writes no event waits for (a new signal seen,
// an on-delay started) are gathered for up to a second, so a steady plant costs almost no fsyncs.
import type { AlarmEngine, Write } from './engine';

export interface WriteStore {
  put(ns: string, key: string, value: unknown): void;
  delete(ns: string, key: string): void;
  batch<R>(fn: () => R): R;
}

export interface Scheduler {
  /** Runs `fn` once the current turn of the event loop is over (setImmediate). */
  soon(fn: () => void): void;
  /** Runs `fn` after `ms`; returns a cancel function. */
  later(fn: () => void, ms: number): () => void;
}

type AfterCommit = (err: Error | null) => void;

/** How long writes that no event waits for may gather before they are committed. */
const LAZY_COMMIT_MS = 1000;
/**
 * Writes no event waits for, per commit. A thousand new assets appearing at once are then written
 * over a few turns of the event loop, and neither blocks the loop for long nor delays an event.
 */
export const LAZY_CHUNK = 256;

export class Committer {
  private soonScheduled = false;
  private cancelLater: (() => void) | null = null;
  private closed = false;
  private waiting: AfterCommit[] = [];
  /** A control message waits: commit every pending write, not only what events need. */
  private everything = false;
  /** The last commit failure, cleared by the next success. */
  lastError: Error | null = null;
  commits = 0;

  constructor(
    private readonly engine: AlarmEngine,
    private readonly store: WriteStore | null,
    private readonly schedule: Scheduler,
  ) {}

  /**
   * Schedules a commit; `then` runs after it. With `then` or `urgent` the commit happens at the end
   * of this turn and holds the keys whose events wait (with `urgent`: every pending write, for
   * control messages); other writes follow within LAZY_COMMIT_MS, LAZY_CHUNK at a time.
   */
  after(then?: AfterCommit, urgent = false): void {
    if (then) this.waiting.push(then);
    if (urgent) this.everything = true;
    if (this.closed) {
      if (then || urgent) this.flush();
      return;
    }
    if (then || urgent) {
      this.soonFlush();
      return;
    }
    if (this.cancelLater === null && !this.soonScheduled && this.engine.hasWrites()) {
      this.cancelLater = this.schedule.later(() => {
        this.cancelLater = null;
        this.flush();
      }, LAZY_COMMIT_MS);
    }
  }

  /** Commits now and runs everything that waited for it. */
  flush(): void {
    this.soonScheduled = false;
    if (this.cancelLater) {
      this.cancelLater();
      this.cancelLater = null;
    }
    const waiting = this.waiting;
    this.waiting = [];
    const writes = this.engine.takeWrites(this.everything || this.closed ? Number.POSITIVE_INFINITY : waiting.length > 0 ? 0 : LAZY_CHUNK);
    this.everything = false;
    let err: Error | null = null;
    if (writes.length > 0 && this.store) {
      try {
        this.commit(writes);
        this.commits++;
        this.lastError = null;
      } catch (e) {
        err = e instanceof Error ? e : new Error(String(e));
        this.lastError = err;
        // Kept for the next attempt; later changes to the same keys replace them.
        this.engine.requeue(writes);
      }
    }
    for (const then of waiting) then(err);
    if (this.closed || !this.engine.hasWrites()) return;
    if (err || waiting.length > 0) this.after();
    else this.soonFlush();
  }

  /** The rest of a large lazy batch: the next chunk in the next turn. */
  private soonFlush(): void {
    if (this.soonScheduled) return;
    this.soonScheduled = true;
    this.schedule.soon(() => {
      if (this.soonScheduled) this.flush();
    });
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

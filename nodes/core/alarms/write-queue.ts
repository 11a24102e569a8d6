// What the alarm engine still has to write to disk, kept apart from the alarm logic: keys changed
// since the last commit, keys whose events wait for the next commit, and shelf/mark records.
import type { KeyState } from './state';

export interface Write {
  ns: string;
  key: string;
  /** Null deletes. */
  value: unknown;
}

/** Turns a changed key into its write; false when the key no longer needs one (e.g. its slot went). */
type KeyWriter = (st: KeyState, writes: Write[]) => boolean;

const id = (w: Write): string => `${w.ns}\u0001${w.key}`;

export class WriteQueue {
  private dirty: KeyState[] = [];
  /** Keys whose events wait for the next commit (may repeat, may already be written). */
  private urgent: KeyState[] = [];
  private readonly other = new Map<string, Write>();

  touch(st: KeyState): void {
    if (!st.dirty) {
      st.dirty = true;
      this.dirty.push(st);
    }
  }

  /** This key's record must be in the commit its event waits for, however many others are queued. */
  awaited(st: KeyState): void {
    this.urgent.push(st);
  }

  has(): boolean {
    return this.dirty.length > 0 || this.other.size > 0 || this.urgent.length > 0;
  }

  /**
   * The writes to commit: shelves and marks, every key an event waits for, then up to `max` other
   * changed keys, oldest first. What is returned is forgotten (`requeue` on failure); the rest stays
   * for the next call, so a flood of new keys never makes one event wait for all of them.
   */
  take(max: number, write: KeyWriter): Write[] {
    const writes: Write[] = [...this.other.values()];
    this.other.clear();
    for (const st of this.urgent) write(st, writes);
    this.urgent = [];
    const dirty = this.dirty;
    let taken = 0;
    let i = 0;
    for (; i < dirty.length && taken < max; i++) if (write(dirty[i], writes)) taken++;
    this.dirty = i >= dirty.length ? [] : dirty.slice(i);
    return writes;
  }

  /** Puts writes that could not be committed back in line; newer writes to the same record win. */
  requeue(writes: Write[]): void {
    for (const w of writes) if (!this.other.has(id(w))) this.other.set(id(w), w);
  }

  queue(w: Write): void {
    this.other.set(id(w), w);
  }
}

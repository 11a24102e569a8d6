// An indexed binary min-heap of wake-up times. Each entry remembers its position, so moving a
// deadline earlier or later is O(log n) and one entry per key is enough: the engine keeps one
// timer for all keys instead of one per key.

export interface Wakeable {
  /** When the entry wants to be woken, monotonic ms; Infinity = never. */
  wakeAt: number;
  /** Position in the heap, −1 when not in it. Owned by the heap. */
  heapPos: number;
}

export class WakeHeap<T extends Wakeable> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest wake time, Infinity when empty. */
  peekTime(): number {
    return this.items.length > 0 ? this.items[0].wakeAt : Number.POSITIVE_INFINITY;
  }

  /** Sets `item`'s wake time (Infinity removes it) and restores the heap order. */
  set(item: T, at: number): void {
    if (at === Number.POSITIVE_INFINITY) {
      item.wakeAt = at;
      this.remove(item);
      return;
    }
    if (item.heapPos < 0) {
      item.wakeAt = at;
      item.heapPos = this.items.length;
      this.items.push(item);
      this.up(item.heapPos);
      return;
    }
    const before = item.wakeAt;
    item.wakeAt = at;
    if (at < before) this.up(item.heapPos);
    else if (at > before) this.down(item.heapPos);
  }

  /** Removes and returns the earliest item if it is due at `now`. */
  popDue(now: number): T | undefined {
    if (this.items.length === 0 || this.items[0].wakeAt > now) return undefined;
    const top = this.items[0];
    this.remove(top);
    top.wakeAt = Number.POSITIVE_INFINITY;
    return top;
  }

  remove(item: T): void {
    const i = item.heapPos;
    if (i < 0) return;
    const last = this.items.pop() as T;
    item.heapPos = -1;
    if (i === this.items.length) return;
    this.items[i] = last;
    last.heapPos = i;
    this.down(i);
    this.up(last.heapPos);
  }

  clear(): void {
    for (const item of this.items) item.heapPos = -1;
    this.items.length = 0;
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (items[p].wakeAt <= item.wakeAt) break;
      items[i] = items[p];
      items[i].heapPos = i;
      i = p;
    }
    items[i] = item;
    item.heapPos = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && items[r].wakeAt < items[l].wakeAt ? r : l;
      if (items[c].wakeAt >= item.wakeAt) break;
      items[i] = items[c];
      items[i].heapPos = i;
      i = c;
    }
    items[i] = item;
    item.heapPos = i;
  }
}

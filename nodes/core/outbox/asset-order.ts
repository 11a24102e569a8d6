// The undelivered items of each asset, oldest first, kept in memory. Delivery goes in order per
// asset, so every enqueue and every claim asks "is anything older still undelivered for this asset?".
// An index on disk would answer that too, but it costs one more page in every commit's fsync; the
// store owns the file alone, so it rebuilds this list at open and after any failed write instead.

export class AssetOrder {
  /** Item ids per asset key, ascending: ids only grow, so an append keeps each list sorted. */
  private readonly queues = new Map<string, number[]>();

  /** Adds an item that just became undelivered; its id is larger than every id stored so far. */
  add(asset: string, id: number): void {
    const q = this.queues.get(asset);
    if (!q) this.queues.set(asset, [id]);
    else if (q[q.length - 1] < id) q.push(id);
    else if (!q.includes(id)) {
      q.push(id);
      q.sort((a, b) => a - b);
    }
  }

  /** The item left the queue (sent, dead, deleted). Usually the oldest of its asset. */
  remove(asset: string, id: number): void {
    const q = this.queues.get(asset);
    if (!q) return;
    if (q[0] === id) q.shift();
    else {
      const at = q.indexOf(id);
      if (at < 0) return;
      q.splice(at, 1);
    }
    if (q.length === 0) this.queues.delete(asset);
  }

  /** True when an item older than `id` of the same asset is still undelivered. */
  hasEarlier(asset: string, id: number): boolean {
    const q = this.queues.get(asset);
    return q !== undefined && q[0] < id;
  }

  /** The number of undelivered items this list holds (for checks against the table). */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  clear(): void {
    this.queues.clear();
  }
}

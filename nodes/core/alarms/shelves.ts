// Shelving (OPC UA Part 9 ShelvedStateMachine: one-shot and timed, bounded by MaxTimeShelved) and
// out-of-service marks: the bookkeeping of who is silenced until when, kept apart from the alarm
// logic so the engine only asks "is this key shelved now?".
import type { AssetSlot } from './state';
import { slotKey } from './state';

export interface Shelf {
  key: string;
  siteId: string | null;
  assetId: string;
  ruleId: string | null;
  mode: 'one-shot' | 'timed';
  /** Monotonic ms when the shelf ends by itself. */
  until: number;
  untilWall: number;
  sinceWall: number;
  /** Why the operator shelved it (required, ≤ 200 characters) and who, where the message says. */
  reason: string;
  user: string | null;
}

interface OutOfService {
  siteId: string | null;
  assetId: string;
  sinceWall: number;
  reason: string;
}

/** A shelf in the health report: what, who, why, since and until when. */
export type ShelfReport = Omit<Shelf, 'until' | 'key'> & { since: string; until: string };

/** Store key of a shelf; "*" stands for every site or every rule. */
export function shelfKey(siteId: string | null, assetId: string, ruleId: string | null): string {
  return `${siteId ?? '*'}\u0001${assetId}\u0001${ruleId ?? '*'}`;
}

export class Shelving {
  private readonly shelves = new Map<string, Shelf>();
  private readonly oos = new Map<string, OutOfService>();

  get shelved(): number {
    return this.shelves.size;
  }

  get outOfService(): number {
    return this.oos.size;
  }

  get(key: string): Shelf | undefined {
    return this.shelves.get(key);
  }

  /** Adds or replaces a shelf (a replaced one moves to the end of the order). */
  put(shelf: Shelf): void {
    this.shelves.delete(shelf.key);
    this.shelves.set(shelf.key, shelf);
  }

  /** Removes `shelf` if it is still the one in force; false when it was already gone or replaced. */
  remove(shelf: Shelf): boolean {
    if (this.shelves.get(shelf.key) !== shelf) return false;
    this.shelves.delete(shelf.key);
    return true;
  }

  /** The shelf in force for a key of this asset and rule, most specific first; null when none. */
  find(siteId: string, assetId: string, ruleId: string, now: number): Shelf | null {
    if (this.shelves.size === 0) return null;
    for (const key of [shelfKey(siteId, assetId, ruleId), shelfKey(siteId, assetId, null), shelfKey(null, assetId, ruleId), shelfKey(null, assetId, null)]) {
      const s = this.shelves.get(key);
      if (s && s.until > now) return s;
    }
    return null;
  }

  /** The shelves in force, for the health report: who shelved what, why, until when (at most `max`). */
  list(max: number): Array<Omit<Shelf, 'until' | 'key'>> {
    const out: Array<Omit<Shelf, 'until' | 'key'>> = [];
    for (const { until: _until, key: _key, ...s } of this.shelves.values()) {
      if (out.length >= max) break;
      out.push(s);
    }
    return out;
  }

  /** The same for the health report, with readable times. */
  report(max: number): ShelfReport[] {
    return this.list(max).map((s) => ({ ...s, since: new Date(s.sinceWall).toISOString(), until: new Date(s.untilWall).toISOString() }));
  }

  /** Monotonic ms of the next shelf end; Infinity when none. */
  nextEnd(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.shelves.values()) if (s.until < next) next = s.until;
    return next;
  }

  /** Shelves whose time is over at `now`. */
  due(now: number): Shelf[] {
    if (this.shelves.size === 0) return [];
    return [...this.shelves.values()].filter((s) => s.until <= now);
  }

  hasOutOfService(key: string): boolean {
    return this.oos.has(key);
  }

  setOutOfService(key: string, record: OutOfService): void {
    this.oos.set(key, record);
  }

  /** True when the mark existed. */
  clearOutOfService(key: string): boolean {
    return this.oos.delete(key);
  }

  /** Whether nothing of this asset is evaluated: marked at its site, or at every site ("*"). */
  isOutOfService(slot: AssetSlot): boolean {
    return this.oos.size > 0 && (this.oos.has(slot.key) || this.oos.has(slotKey('*', slot.asset.id)));
  }
}

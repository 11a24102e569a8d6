// Where the engine finds its keys: assets (slots) by site and id, keys by the eventId of their
// episode and by their work order. Indexes only — the alarm logic stays in the engine and machine.
import type { Asset } from '../contracts';
import type { RuleBook } from './rules';
import { AssetSlot, slotKey, type KeyState } from './state';

export class KeyTable {
  private readonly slots = new Map<string, AssetSlot>();
  /** The same slots by siteId, then asset id: the hot path finds its slot without building a key string. */
  private readonly bySite = new Map<string, Map<string, AssetSlot>>();
  /** eventId → key, for acknowledgements and work-order updates. */
  private readonly byEvent = new Map<string, KeyState>();
  /** workOrderId → key, learned from work-order results, for status updates without an eventId. */
  private readonly byWorkOrder = new Map<string, KeyState>();
  private count = 0;

  constructor(private readonly maxKeys: number) {}

  /** Keys (asset × rule) watched. */
  get keys(): number {
    return this.count;
  }

  get assets(): number {
    return this.slots.size;
  }

  get full(): boolean {
    return this.count >= this.maxKeys;
  }

  slot(siteId: string, assetId: string): AssetSlot | undefined {
    return this.bySite.get(siteId)?.get(assetId);
  }

  /** Whether `slot` is the asset's current slot (not one replaced by a class change). */
  isCurrent(slot: AssetSlot): boolean {
    return this.slots.get(slot.key) === slot;
  }

  addSlot(slot: AssetSlot): void {
    this.slots.set(slot.key, slot);
    let site = this.bySite.get(slot.asset.siteId);
    if (site === undefined) {
      site = new Map();
      this.bySite.set(slot.asset.siteId, site);
    }
    site.set(slot.asset.id, slot);
  }

  removeSlot(slot: AssetSlot): void {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    const site = this.bySite.get(slot.asset.siteId);
    if (site?.get(slot.asset.id) === slot) site.delete(slot.asset.id);
  }

  /** The slot a stored record belongs to, made if needed; undefined when no rule applies to the asset. */
  restoredSlot(asset: Asset, rules: RuleBook): AssetSlot | undefined {
    const found = this.slot(asset.siteId, asset.id);
    if (found) return found;
    const ruleSet = rules.rulesFor(asset);
    if (ruleSet.rules.length === 0) return undefined;
    const made = new AssetSlot(slotKey(asset.siteId, asset.id), asset, ruleSet, asset.class ?? '');
    this.addSlot(made);
    return made;
  }

  /** Slots a control message names: one site, or every site when none is given. */
  slotsFor(siteId: string | null, assetId: string): AssetSlot[] {
    if (siteId !== null) {
      const s = this.slot(siteId, assetId);
      return s ? [s] : [];
    }
    const out: AssetSlot[] = [];
    for (const s of this.slots.values()) if (s.asset.id === assetId) out.push(s);
    return out;
  }

  /** Runs `fn` for every key of an asset (at one site, or all when null), of one rule or all; returns how many. */
  forEachKey(siteId: string | null, assetId: string, ruleId: string | null, fn: (st: KeyState) => void): number {
    let n = 0;
    for (const slot of this.slotsFor(siteId, assetId)) {
      for (const st of slot.states) {
        if (!st || (ruleId !== null && st.rule.id !== ruleId)) continue;
        fn(st);
        n++;
      }
    }
    return n;
  }

  added(): void {
    this.count++;
  }

  removed(): void {
    this.count--;
  }

  indexEvent(eventId: string, st: KeyState): void {
    this.byEvent.set(eventId, st);
  }

  unindexEvent(eventId: string, st: KeyState): void {
    if (this.byEvent.get(eventId) === st) this.byEvent.delete(eventId);
  }

  keyForEvent(eventId: string): KeyState | undefined {
    return this.byEvent.get(eventId);
  }

  /** Keys with an episode (active or remembered for its work order), for the health figures. */
  withEpisodes(): Set<KeyState> {
    return new Set(this.byEvent.values());
  }

  keyForWorkOrder(workOrderId: string): KeyState | undefined {
    return this.byWorkOrder.get(workOrderId);
  }

  /** Remembers which key a work order belongs to (bounded: status updates carry the eventId too). */
  linkWorkOrder(workOrderId: string, st: KeyState): void {
    if (this.byWorkOrder.has(workOrderId) || this.byWorkOrder.size < this.maxKeys * 3) this.byWorkOrder.set(workOrderId, st);
  }

  unlinkWorkOrder(workOrderId: string, st?: KeyState): void {
    if (st === undefined || this.byWorkOrder.get(workOrderId) === st) this.byWorkOrder.delete(workOrderId);
  }
}

// The alarm engine of one mw-threshold node: thousands of (asset, metric, rule) keys, one timer
// heap, episodes with deterministic ids, and the writes that must reach disk before an event
// leaves. Pure: the clock is injected, persistence goes out as a list of writes.
import type { AssetReadings, MaintenanceEvent, Reading } from '../contracts';
import type { FaultReason } from './events';
import { WakeHeap } from './heap';
import { activeAlarms, AlarmRate, Chatter, type HealthFigures } from './health';
import { Machine, type MachineHost, type Shelf } from './machine';
import { NS_KEYS, toRecord } from './records';
import { customSignature, resolveLimits, type RuleBook } from './rules';
import { limitTarget, rocRate, rocTarget } from './signals';
import { ACTIVE, AssetSlot, BAD, CLEARING, type Cond, KeyState, NORMAL, RingPool, STALE, slotKey } from './state';
import { WriteQueue, type Write } from './write-queue';

export type { Write } from './write-queue';

export interface Clock {
  /** Monotonic milliseconds, for delays and timers. */
  mono(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps. */
  wall(): number;
}

export interface EngineOptions {
  rules: RuleBook;
  clock: Clock;
  holdWhileWorkOrderOpen?: boolean;
  maxKeys?: number;
  /** Source timestamps further than this from the gateway clock are replaced by the gateway clock. */
  maxClockSkewMs?: number;
  maxShelveMs?: number;
}

export interface Counters {
  samples: number;
  late: number;
  unmatched: number;
  refused: number;
  suppressed: number;
  outOfService: number;
  clockReplaced: number;
}

export class AlarmEngine implements MachineHost {
  readonly holdWhileWorkOrderOpen: boolean;
  readonly maxKeys: number;
  readonly maxShelveMs: number;
  readonly clock: Clock;
  readonly rules: RuleBook;
  readonly slots = new Map<string, AssetSlot>();
  /** The same slots by siteId, then asset id: the hot path finds its slot without building a key string. */
  private readonly bySite = new Map<string, Map<string, AssetSlot>>();
  readonly heap = new WakeHeap<KeyState>();
  /** eventId → key, for acknowledgements and work-order updates. */
  readonly byEvent = new Map<string, KeyState>();
  /** workOrderId → key, learned from work-order results, for status updates without an eventId. */
  readonly byWorkOrder = new Map<string, KeyState>();
  readonly shelves = new Map<string, Shelf>();
  readonly outOfService = new Map<string, { siteId: string | null; assetId: string; sinceWall: number; reason: string }>();
  readonly rate = new AlarmRate();
  readonly chatter: Chatter<KeyState>;
  readonly counters: Counters = { samples: 0, late: 0, unmatched: 0, refused: 0, suppressed: 0, outOfService: 0, clockReplaced: 0 };
  readonly machine = new Machine(this);
  readonly rings = new RingPool();
  keyCount = 0;
  private readonly maxSkewMs: number;
  private out: MaintenanceEvent[] = [];
  private readonly writes = new WriteQueue();
  private lastTsText = '';
  private lastTsMs = 0;

  constructor(opts: EngineOptions) {
    this.rules = opts.rules;
    this.clock = opts.clock;
    this.holdWhileWorkOrderOpen = opts.holdWhileWorkOrderOpen ?? true;
    this.maxKeys = opts.maxKeys ?? 50_000;
    this.maxSkewMs = opts.maxClockSkewMs ?? 300_000;
    this.maxShelveMs = opts.maxShelveMs ?? 8 * 3600_000;
    this.chatter = new Chatter<KeyState>(this.maxKeys);
  }

  // ── MachineHost ────────────────────────────────────────────────────────────────────────────

  emit(event: MaintenanceEvent, st: KeyState, wall: number): void {
    this.out.push(event);
    this.writes.awaited(st);
    // Re-alarms and announcements repeated after a crash are not new alarms for the health figures.
    if (event.details.reAlarm !== undefined || event.details.restored !== undefined) return;
    if (event.state === 'raised' || event.state === 'sensor-fault') this.rate.add(wall, event.severity);
    if (event.state !== 'escalated') {
      [st.chat1, st.chat2] = this.chatter.transition(st, wall, st.chat1, st.chat2);
    }
  }

  /** An event of no live key (an episode whose rule is gone); it leaves after the next commit like any other. */
  emitDetached(event: MaintenanceEvent): void {
    this.out.push(event);
  }

  touch(st: KeyState): void {
    this.writes.touch(st);
  }

  wake(st: KeyState, at: number): void {
    if (at < st.wakeAt) this.heap.set(st, at);
  }

  shelfFor(st: KeyState, now: number): Shelf | null {
    if (this.shelves.size === 0) return null;
    const a = st.slot.asset;
    for (const key of [shelfKey(a.siteId, a.id, st.rule.id), shelfKey(a.siteId, a.id, null), shelfKey(null, a.id, st.rule.id), shelfKey(null, a.id, null)]) {
      const s = this.shelves.get(key);
      if (s && s.until > now) return s;
    }
    return null;
  }

  endShelf(shelf: Shelf, now: number): void {
    this.removeShelf(shelf, now);
  }

  indexEvent(eventId: string, st: KeyState): void {
    this.byEvent.set(eventId, st);
  }

  unindexEvent(eventId: string, st: KeyState): void {
    if (this.byEvent.get(eventId) === st) this.byEvent.delete(eventId);
  }

  suppressed(): void {
    this.counters.suppressed++;
  }

  // ── Readings ───────────────────────────────────────────────────────────────────────────────

  /** Evaluates one asset-readings payload; returns the events it caused, in order. */
  ingest(p: AssetReadings): MaintenanceEvent[] {
    const a = p.asset;
    const cls = a.class ?? '';
    let slot = this.bySite.get(a.siteId)?.get(a.id);
    if (slot !== undefined && slot.cls !== cls) slot = this.reslot(slot, a, cls);
    if (slot === undefined) {
      slot = this.makeSlot(slotKey(a.siteId, a.id), a, cls, p.readings.length);
      if (slot === undefined) return this.take();
    }
    slot.asset = a;
    if (this.outOfService.size > 0 && this.isOutOfService(slot)) {
      this.counters.outOfService += p.readings.length;
      return this.take();
    }
    const now = this.clock.mono();
    const wall = this.clock.wall();
    const byMetric = slot.ruleSet.byMetric;
    for (const r of p.readings) {
      const idx = byMetric.get(r.metric);
      if (idx === undefined) {
        this.counters.unmatched++;
        continue;
      }
      const ts = this.sourceTime(r.timestamp, wall);
      for (const i of idx) {
        const st = slot.states[i] ?? this.makeKey(slot, i, now);
        if (st !== undefined) this.sample(st, r, ts, now);
      }
    }
    return this.take();
  }

  /** Source time when it is believable, else the gateway's clock (a PLC with a wrong clock must not hide an alarm). */
  private sourceTime(text: string, wall: number): number {
    let ms: number;
    if (text === this.lastTsText) ms = this.lastTsMs;
    else {
      ms = Date.parse(text);
      this.lastTsText = text;
      this.lastTsMs = ms;
    }
    if (!(Math.abs(ms - wall) <= this.maxSkewMs)) {
      this.counters.clockReplaced++;
      return wall;
    }
    return ms;
  }

  /** A new asset; undefined, counted, when no rule applies or the node is full. */
  private makeSlot(sk: string, a: AssetReadings['asset'], cls: string, readings: number): AssetSlot | undefined {
    const ruleSet = this.rules.rulesFor(a);
    if (ruleSet.rules.length === 0) {
      this.counters.unmatched += readings;
      return undefined;
    }
    if (this.slots.size >= this.maxKeys) {
      this.counters.refused += readings;
      return undefined;
    }
    const slot = new AssetSlot(sk, a, ruleSet, cls);
    this.addSlot(slot);
    return slot;
  }

  /** Adds a slot to both indexes; `slot.asset` names its site and asset. */
  addSlot(slot: AssetSlot): void {
    this.slots.set(slot.key, slot);
    let site = this.bySite.get(slot.asset.siteId);
    if (site === undefined) {
      site = new Map();
      this.bySite.set(slot.asset.siteId, site);
    }
    site.set(slot.asset.id, slot);
  }

  /**
   * The asset's class changed (a registry edit, or rows that disagree): its rules are looked up again.
   * A rule that still applies (same id, same metric) keeps its key, so its episode, delays and eventId
   * carry on — a sustained problem never becomes a second episode. A rule that no longer applies ends
   * its episode with `cleared` (reason rule-removed). Undefined when no rule applies any more.
   */
  private reslot(old: AssetSlot, a: AssetReadings['asset'], cls: string): AssetSlot | undefined {
    const ruleSet = this.rules.rulesFor(a);
    const now = this.clock.mono();
    const wall = this.clock.wall();
    const slot = new AssetSlot(old.key, a, ruleSet, cls);
    for (const st of old.states) {
      if (!st) continue;
      const i = ruleSet.rules.findIndex((r) => r.id === st.rule.id && r.metric === st.rule.metric);
      if (i < 0 || slot.states[i] !== undefined) {
        this.endKey(st, wall, now);
        continue;
      }
      const next = ruleSet.rules[i];
      // Conditions the rule's new form no longer has end under the old form (which describes them).
      const owns = (ruleSet.byMetric.get(next.metric) ?? [i])[0] === i;
      if (st.sen !== null && !owns) this.endCond(st, st.sen, wall, now);
      if (st.lim !== null && next.limitOut.H === undefined && next.limitOut.HH === undefined && next.limitOut.L === undefined && next.limitOut.LL === undefined) {
        this.endCond(st, st.lim, wall, now);
      }
      if (st.roc !== null && next.roc === null) this.endCond(st, st.roc, wall, now);
      st.rebind(slot, next);
      st.ownsSensor = owns;
      slot.states[i] = st;
      // The record carries the asset (and so its class): rewrite it; timers are looked at again.
      this.touch(st);
      this.heap.set(st, now);
    }
    this.removeSlot(old);
    if (ruleSet.rules.length === 0) return undefined;
    this.addSlot(slot);
    return slot;
  }

  /** A key whose rule no longer applies: its episodes end, its record goes. */
  private endKey(st: KeyState, wall: number, now: number): void {
    for (const c of [st.sen, st.lim, st.roc]) if (c !== null) this.endCond(st, c, wall, now);
    this.heap.remove(st);
    this.chatter.forget(st);
    this.rings.release(st.ring);
    st.ring = -1;
    this.keyCount--;
    if (st.stored) this.queueWrite({ ns: NS_KEYS, key: st.id, value: null });
  }

  /** Ends one condition for good: `cleared` (rule-removed) if it was announced, then forgotten. */
  private endCond(st: KeyState, c: Cond, wall: number, now: number): void {
    this.machine.clear(st, c, wall, now, 'rule-removed');
    if (c.eventId) this.unindexEvent(c.eventId, st);
    if (c.woId && this.byWorkOrder.get(c.woId) === st) this.byWorkOrder.delete(c.woId);
    st.setCond(c.kind, null);
    this.touch(st);
  }

  private removeSlot(slot: AssetSlot): void {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    const site = this.bySite.get(slot.asset.siteId);
    if (site?.get(slot.asset.id) === slot) site.delete(slot.asset.id);
  }

  makeKey(slot: AssetSlot, i: number, now: number): KeyState | undefined {
    if (this.keyCount >= this.maxKeys) {
      this.counters.refused++;
      return undefined;
    }
    const rule = slot.ruleSet.rules[i];
    const st = new KeyState(slot, rule, now);
    st.ownsSensor = (slot.ruleSet.byMetric.get(rule.metric) ?? [i])[0] === i;
    slot.states[i] = st;
    this.keyCount++;
    // Known keys are stored once, so that a sensor that dies while Node-RED is down is still found stale.
    this.touch(st);
    if (rule.staleMs > 0) this.wake(st, now + rule.staleMs);
    return st;
  }

  private sample(st: KeyState, r: Reading, ts: number, now: number): void {
    if (ts < st.lastTs) {
      this.counters.late++;
      return;
    }
    this.counters.samples++;
    st.lastTs = ts;
    st.lastSeen = now;
    const rule = st.rule;
    const raw = r.value;
    const v = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : raw.trim() === '' ? Number.NaN : Number(raw);
    let fault: FaultReason | undefined;
    if (!Number.isFinite(v)) fault = 'not-a-number';
    else if (r.quality === 'bad') fault = 'bad-quality';
    else if (v < rule.rangeMin || v > rule.rangeMax) fault = 'out-of-range';
    else if (r.quality === 'uncertain' && rule.uncertain === 'fault') fault = 'uncertain-quality';
    if (r.unit !== undefined) st.unit = r.unit;
    st.lastValue = v;
    const held = fault !== undefined || (r.quality === 'uncertain' && rule.uncertain === 'hold');
    if (held !== st.lastBad) {
      st.lastBad = held;
      this.touch(st);
    }
    if (st.stale) {
      st.stale = false;
      this.touch(st);
      if (rule.staleMs > 0) this.wake(st, now + rule.staleMs);
    }
    // One sensor, one fault: of several rules on the same metric only the first reports it.
    if (st.ownsSensor && (fault !== undefined || st.sen !== null)) this.machine.step(st, 'sensor', fault !== undefined ? BAD : 0, v, ts, now, fault);
    // Bad or held readings say nothing about the process: its conditions keep their state.
    if (held) return;
    if (rule.usesCustom) this.refreshLimits(st);
    if (st.limits !== null) {
      const c = st.lim;
      const target = limitTarget(v, c !== null && c.phase !== NORMAL ? c.level : 0, st.limits);
      if (target !== 0 || c !== null) this.machine.step(st, 'limit', target, v, ts, now);
    }
    if (rule.roc !== null) {
      const rate = rocRate(st, this.rings, rule.roc.windowMs, v, ts);
      if (Number.isNaN(rate)) return;
      const c = st.roc;
      const target = rocTarget(rate, c !== null && c.phase !== NORMAL ? c.level : 0, rule.roc);
      if (target !== 0 || c !== null) this.machine.step(st, 'roc', target, v, ts, now);
    }
  }

  private refreshLimits(st: KeyState): void {
    const custom = st.slot.asset.custom;
    const sig = customSignature(st.rule, custom);
    if (sig !== st.customSig || st.limits === null) {
      st.customSig = sig;
      st.limits = resolveLimits(st.rule, custom);
    }
  }

  // ── Timers ─────────────────────────────────────────────────────────────────────────────────

  /** Monotonic ms of the next thing the engine must do by itself; Infinity when nothing. */
  nextWake(): number {
    let next = this.heap.peekTime();
    if (this.shelves.size > 0) for (const s of this.shelves.values()) if (s.until < next) next = s.until;
    return next;
  }

  /** Runs everything that is due: delays, staleness, re-alarms, shelf ends. */
  tick(): MaintenanceEvent[] {
    const now = this.clock.mono();
    const wall = this.clock.wall();
    if (this.shelves.size > 0) for (const s of [...this.shelves.values()]) if (s.until <= now) this.removeShelf(s, now);
    for (let st = this.heap.popDue(now); st !== undefined; st = this.heap.popDue(now)) this.wakeKey(st, wall, now);
    return this.take();
  }

  private wakeKey(st: KeyState, wall: number, now: number): void {
    // Out of service: nothing runs; the key is woken again when the asset returns to service.
    if (this.outOfService.size > 0 && this.isOutOfService(st.slot)) return;
    const rule = st.rule;
    let next = Number.POSITIVE_INFINITY;
    if (rule.staleMs > 0 && !st.stale) {
      const due = st.lastSeen + rule.staleMs;
      if (now >= due) {
        st.stale = true;
        const start = Number.isFinite(st.lastTs) ? st.lastTs + rule.staleMs : wall;
        if (st.ownsSensor) this.machine.forceActive(st, 'sensor', STALE, start, wall, now);
      } else next = due;
    }
    const held = st.stale || st.lastBad;
    for (const c of [st.sen, st.lim, st.roc]) {
      if (c === null || (held && c.kind !== 'sensor')) continue;
      const due = this.machine.timers(st, c, wall, now);
      if (due < next) next = due;
    }
    // A shelved episode that is still active must be announced when its shelf ends: nextWake covers shelves.
    this.heap.set(st, next);
  }

  // ── Persistence ────────────────────────────────────────────────────────────────────────────

  /** Whether something waits to be written. */
  hasWrites(): boolean {
    return this.writes.has();
  }

  /** The writes to commit (see WriteQueue.take): everything events wait for, then up to `max` more. */
  takeWrites(max = Number.POSITIVE_INFINITY): Write[] {
    const now = this.clock.mono();
    const wall = this.clock.wall();
    return this.writes.take(max, (st, out) => this.writeKey(st, out, now, wall));
  }

  private writeKey(st: KeyState, writes: Write[], now: number, wall: number): boolean {
    if (!st.dirty) return false;
    st.dirty = false;
    if (this.slots.get(st.slot.key) !== st.slot) return false;
    st.stored = true;
    writes.push({ ns: NS_KEYS, key: st.id, value: toRecord(st, now, wall) });
    return true;
  }

  /** Puts writes that could not be committed back in line for the next attempt. */
  requeue(writes: Write[]): void {
    this.writes.requeue(writes);
  }

  queueWrite(w: Write): void {
    this.writes.queue(w);
  }

  private take(): MaintenanceEvent[] {
    if (this.out.length === 0) return EMPTY;
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Events produced outside ingest/tick (controls); the caller sends them. */
  drain(): MaintenanceEvent[] {
    return this.take();
  }

  // ── Out of service and shelving (details in control.ts) ──────────────────────────────────────

  isOutOfService(slot: AssetSlot): boolean {
    return this.outOfService.has(slot.key) || this.outOfService.has(slotKey('*', slot.asset.id));
  }

  /** Slots a control message names: one site, or every site when none is given. */
  slotsFor(siteId: string | null, assetId: string): AssetSlot[] {
    if (siteId !== null) {
      const s = this.slots.get(slotKey(siteId, assetId));
      return s ? [s] : [];
    }
    const out: AssetSlot[] = [];
    for (const s of this.slots.values()) if (s.asset.id === assetId) out.push(s);
    return out;
  }

  removeShelf(shelf: Shelf, now: number): void {
    if (this.shelves.get(shelf.key) !== shelf) return;
    this.shelves.delete(shelf.key);
    this.queueWrite({ ns: 'shelf', key: shelf.key, value: null });
    // Episodes that became active while shelved are announced now.
    const wall = this.clock.wall();
    this.forEachKey(shelf.siteId, shelf.assetId, shelf.ruleId, (st) => {
      for (const c of [st.sen, st.lim, st.roc]) {
        if (c && (c.phase === ACTIVE || c.phase === CLEARING) && !c.announced) this.machine.announce(st, c, wall, now, { unshelved: true });
      }
    });
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

  // ── Health ─────────────────────────────────────────────────────────────────────────────────

  health(): HealthFigures & { active: number; shelved: number; outOfService: number; keys: number } {
    const wall = this.clock.wall();
    return {
      ...this.rate.figures(wall),
      chattering: this.chatter.count(wall),
      ...activeAlarms(new Set(this.byEvent.values()), wall),
      shelved: this.shelves.size,
      outOfService: this.outOfService.size,
      keys: this.keyCount,
    };
  }

}

const EMPTY: MaintenanceEvent[] = [];

export function shelfKey(siteId: string | null, assetId: string, ruleId: string | null): string {
  return `${siteId ?? '*'}\u0001${assetId}\u0001${ruleId ?? '*'}`;
}

// The alarm engine of one mw-threshold node: thousands of (asset, metric, rule) keys, one timer
// heap, episodes with deterministic ids, and the writes that must reach disk before an event
// leaves. Pure: the clock is injected, persistence goes out as a list of writes.
import type { AssetReadings, MaintenanceEvent, Reading } from '../contracts';
import { WakeHeap } from './heap';
import { activeAlarms, AlarmRate, Chatter, type NodeHealth } from './health';
import { Machine, type MachineHost } from './machine';
import { Shelving, type Shelf } from './shelves';
import type { ClearReason } from './events';
import { NS_KEYS, NS_SHELVES, toRecord } from './records';
import type { RuleBook } from './rules';
import { KeyTable } from './keys';
import { reslot } from './reslot';
import { activeLevel, limitTarget, readingFault, refreshLimits, rocRate, rocTarget, SourceClock, toNumber } from './signals';
import { ACTIVE, AssetSlot, BAD, CLEARING, type Cond, KeyState, RingPool, STALE, slotKey } from './state';
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
  /** Readings of signals not watched because the key cap was reached. */
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
  /** Shelves and out-of-service marks (control.ts and restore.ts change them through its methods). */
  readonly shelving = new Shelving();
  readonly counters: Counters = { samples: 0, late: 0, unmatched: 0, refused: 0, suppressed: 0, outOfService: 0, clockReplaced: 0 };
  /** Assets, and keys by eventId and work order (control.ts and restore.ts use its methods). */
  readonly table: KeyTable;
  private readonly heap = new WakeHeap<KeyState>();
  private readonly rate = new AlarmRate();
  private readonly chatter: Chatter<Cond>;
  private readonly machine = new Machine(this);
  private readonly rings = new RingPool();
  private readonly sourceClock: SourceClock;
  private out: MaintenanceEvent[] = [];
  /** Whether the key cap refuses signals now; `capCrossings` counts the times it started to (one log line each). */
  private atCap = false;
  capCrossings = 0;
  private readonly writes = new WriteQueue();

  constructor(opts: EngineOptions) {
    this.rules = opts.rules;
    this.clock = opts.clock;
    this.holdWhileWorkOrderOpen = opts.holdWhileWorkOrderOpen ?? true;
    this.maxKeys = opts.maxKeys ?? 50_000;
    this.sourceClock = new SourceClock(opts.maxClockSkewMs ?? 300_000, this.counters);
    this.table = new KeyTable(this.maxKeys);
    this.maxShelveMs = opts.maxShelveMs ?? 8 * 3600_000;
    this.chatter = new Chatter<Cond>(this.maxKeys);
  }

  // ── MachineHost ────────────────────────────────────────────────────────────────────────────

  emit(event: MaintenanceEvent, st: KeyState, wall: number, c: Cond): void {
    this.out.push(event);
    this.writes.awaited(st);
    // Re-alarms and announcements repeated after a crash are not new alarms for the health figures.
    if (event.details.reAlarm !== undefined || event.details.restored !== undefined) return;
    if (event.state === 'raised' || event.state === 'sensor-fault') this.rate.add(wall, event.severity);
    // ISA-18.2 TR5: an alarm chatters when it goes active → clear 3 or more times in a minute; counted per
    // alarm (condition), at each return to normal. Ends by a work order or a rule change are not cycles.
    if (event.state === 'cleared' && event.details.reason !== 'work-order-closed' && event.details.reason !== 'rule-removed') {
      [c.chat1, c.chat2] = this.chatter.transition(c, wall, c.chat1, c.chat2);
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
    return this.shelving.find(st.slot.asset.siteId, st.slot.asset.id, st.rule.id, now);
  }

  endShelf(shelf: Shelf, now: number): void {
    this.unshelve(shelf, now);
  }

  indexEvent(eventId: string, st: KeyState): void {
    this.table.indexEvent(eventId, st);
  }

  unindexEvent(eventId: string, st: KeyState): void {
    this.table.unindexEvent(eventId, st);
  }

  suppressed(): void {
    this.counters.suppressed++;
  }

  // ── Readings ───────────────────────────────────────────────────────────────────────────────

  /** Evaluates one asset-readings payload; returns the events it caused, in order. */
  ingest(p: AssetReadings): MaintenanceEvent[] {
    const a = p.asset;
    const cls = a.class ?? '';
    let slot = this.table.slot(a.siteId, a.id);
    if (slot !== undefined && slot.cls !== cls) slot = reslot(this, slot, a, cls);
    if (slot === undefined) {
      slot = this.makeSlot(slotKey(a.siteId, a.id), a, cls, p.readings.length);
      if (slot === undefined) return this.take();
    }
    slot.asset = a;
    if (this.shelving.isOutOfService(slot)) {
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
      const ts = this.sourceClock.time(r.timestamp, wall);
      // Delays and staleness run in source time (issue 15): the monotonic instant of the reading's own
      // timestamp, so a late batch (store-and-forward) is judged as it happened. An untrusted timestamp
      // was replaced by the arrival time above, and then this is the arrival time.
      const at = now - Math.max(0, wall - ts);
      for (const i of idx) {
        const st = slot.states[i] ?? this.makeKey(slot, i, now);
        if (st !== undefined) this.sample(st, r, ts, at);
      }
    }
    return this.take();
  }

  /** A new asset; undefined, counted, when no rule applies or the node is full. */
  private makeSlot(sk: string, a: AssetReadings['asset'], cls: string, readings: number): AssetSlot | undefined {
    const ruleSet = this.rules.rulesFor(a);
    if (ruleSet.rules.length === 0) {
      this.counters.unmatched += readings;
      return undefined;
    }
    if (this.table.assets >= this.maxKeys) {
      this.refuse(readings);
      return undefined;
    }
    const slot = new AssetSlot(sk, a, ruleSet, cls);
    this.table.addSlot(slot);
    return slot;
  }

  private refuse(readings: number): void {
    this.counters.refused += readings;
    if (this.atCap) return;
    this.atCap = true;
    this.capCrossings++;
  }

  /** A key whose rule no longer applies: its episodes end (cleared, rule-removed), its record goes. */
  dropKey(st: KeyState): void {
    for (const c of [st.sen, st.lim, st.roc]) if (c !== null) this.endCond(st, c);
    this.heap.remove(st);
    this.rings.release(st.ring);
    st.ring = -1;
    this.table.removed();
    this.atCap = false;
    if (st.stored) this.queueWrite({ ns: NS_KEYS, key: st.id, value: null });
  }

  /** Ends one condition for good: `cleared` (rule-removed) if it was announced, then forgotten. */
  endCond(st: KeyState, c: Cond): void {
    this.machine.clear(st, c, this.clock.wall(), this.clock.mono(), 'rule-removed');
    this.chatter.forget(c);
    if (c.eventId) this.unindexEvent(c.eventId, st);
    if (c.woId) this.table.unlinkWorkOrder(c.woId, st);
    st.setCond(c.kind, null);
    this.touch(st);
  }

  makeKey(slot: AssetSlot, i: number, now: number): KeyState | undefined {
    if (this.table.full) {
      this.refuse(1);
      return undefined;
    }
    const rule = slot.ruleSet.rules[i];
    const st = new KeyState(slot, rule, now);
    st.ownsSensor = (slot.ruleSet.byMetric.get(rule.metric) ?? [i])[0] === i;
    slot.states[i] = st;
    this.table.added();
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
    const v = toNumber(r.value);
    const fault = readingFault(v, r.quality, rule);
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
    }
    // In source time a late reading can make the key due earlier than the wake-up it has (wake only moves it earlier).
    if (rule.staleMs > 0) this.wake(st, now + rule.staleMs);
    // One sensor, one fault: of several rules on the same metric only the first reports it.
    if (st.ownsSensor && (fault !== undefined || st.sen !== null)) this.machine.step(st, 'sensor', fault !== undefined ? BAD : 0, v, ts, now, fault);
    // Bad or held readings say nothing about the process: its conditions keep their state.
    if (held) return;
    if (rule.usesCustom) refreshLimits(st);
    if (st.limits !== null) {
      // The deadband holds an active alarm only (ISA-18.2 TR2): during the on-delay the value must stay at the limit.
      const cur = activeLevel(st.lim);
      const target = limitTarget(v, cur, st.limits);
      if (target !== 0 || st.lim !== null) this.machine.step(st, 'limit', target, v, ts, now);
      // H straight to LL (or L to HH): the old side has ended; the new side is evaluated in the same step.
      if (target === 0 && cur !== 0 && activeLevel(st.lim) === 0) {
        const other = limitTarget(v, 0, st.limits);
        if (other !== 0) this.machine.step(st, 'limit', other, v, ts, now);
      }
    }
    if (rule.roc !== null) {
      const rate = rocRate(st, this.rings, rule.roc.windowMs, v, ts);
      if (Number.isNaN(rate)) return;
      const c = st.roc;
      const target = rocTarget(rate, activeLevel(c), rule.roc);
      if (target !== 0 || c !== null) this.machine.step(st, 'roc', target, v, ts, now);
    }
  }

  // ── Timers ─────────────────────────────────────────────────────────────────────────────────

  /** Monotonic ms of the next thing the engine must do by itself; Infinity when nothing. */
  nextWake(): number {
    return Math.min(this.heap.peekTime(), this.shelving.nextEnd());
  }

  /** Runs everything that is due: delays, staleness, re-alarms, shelf ends. */
  tick(): MaintenanceEvent[] {
    const now = this.clock.mono();
    const wall = this.clock.wall();
    for (const s of this.shelving.due(now)) this.unshelve(s, now);
    for (let st = this.heap.popDue(now); st !== undefined; st = this.heap.popDue(now)) this.wakeKey(st, wall, now);
    return this.take();
  }

  private wakeKey(st: KeyState, wall: number, now: number): void {
    // Out of service: nothing runs; the key is woken again when the asset returns to service.
    if (this.shelving.isOutOfService(st.slot)) return;
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
    if (!this.table.isCurrent(st.slot)) return false;
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

  // ── For control.ts and restore.ts ──────────────────────────────────────────────────────────

  /** Ends a shelf; episodes that became active while shelved are announced now. */
  unshelve(shelf: Shelf, now: number): void {
    if (!this.shelving.remove(shelf)) return;
    this.queueWrite({ ns: NS_SHELVES, key: shelf.key, value: null });
    const wall = this.clock.wall();
    this.table.forEachKey(shelf.siteId, shelf.assetId, shelf.ruleId, (st) => {
      for (const c of [st.sen, st.lim, st.roc]) {
        if (c && (c.phase === ACTIVE || c.phase === CLEARING) && !c.announced) {
          this.machine.announce(st, c, wall, now, { unshelved: true, shelveReason: shelf.reason, ...(shelf.user !== null ? { shelvedBy: shelf.user } : {}) });
        }
      }
    });
  }

  /** Ends an episode from outside (its work order was closed). */
  clearEpisode(st: KeyState, c: Cond, reason: ClearReason): void {
    this.machine.clear(st, c, this.clock.wall(), this.clock.mono(), reason);
  }

  /** Looks at the key's timers on the next tick (back in service, or restored). */
  rewake(st: KeyState): void {
    this.heap.set(st, this.clock.mono());
  }

  // ── Health ─────────────────────────────────────────────────────────────────────────────────

  health(): NodeHealth {
    const wall = this.clock.wall();
    return {
      ...this.rate.figures(wall), chattering: this.chatter.count(wall), ...activeAlarms(this.table.withEpisodes(), wall),
      shelved: this.shelving.shelved, shelves: this.shelving.report(100), outOfService: this.shelving.outOfService,
      keys: this.table.keys, maxKeys: this.maxKeys, refused: this.counters.refused,
    };
  }
}

const EMPTY: MaintenanceEvent[] = [];


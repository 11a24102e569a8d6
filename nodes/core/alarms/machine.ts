// The condition state machine (OPC UA Part 9 / ISA-18.2 TR2): normal → pending (on-delay) →
// active → clearing (off-delay) → normal, with escalation inside the episode, shelving and
// re-alarm. Pure: time comes in as arguments, effects go out through the host.
import type { MaintenanceEvent, Scalar } from '../contracts';
import { buildEvent, type ClearReason, type FaultReason } from './events';
import { eventIdFor } from './ids';
import type { Shelf } from './shelves';
import { ACTIVE, CLEARING, Cond, NORMAL, PENDING, type KeyState } from './state';

/** What the machine needs from the engine. */
export interface MachineHost {
  readonly holdWhileWorkOrderOpen: boolean;
  emit(event: MaintenanceEvent, st: KeyState, wall: number, c: Cond): void;
  /** The state changed in a way that must survive a restart. */
  touch(st: KeyState): void;
  /** Wake this key no later than `at` (monotonic ms). */
  wake(st: KeyState, at: number): void;
  shelfFor(st: KeyState, now: number): Shelf | null;
  /** A one-shot shelf ends when the episode it shelved clears. */
  endShelf(shelf: Shelf, now: number): void;
  indexEvent(eventId: string, st: KeyState): void;
  unindexEvent(eventId: string, st: KeyState): void;
  /** Counts an announcement suppressed by shelving. */
  suppressed(): void;
}

function updatePeak(c: Cond, v: number): void {
  if (!Number.isFinite(v)) return;
  if (Number.isNaN(c.peak)) c.peak = v;
  else if (c.level > 0 ? v > c.peak : v < c.peak) c.peak = v;
}

export class Machine {
  constructor(private readonly host: MachineHost) {}

  /**
   * One sample's verdict for a condition: `target` is the level the value is at (0 = normal), with
   * the deadband already applied. `ts` is the sample's (guarded) source time, `now` monotonic ms.
   */
  step(st: KeyState, kind: Cond['kind'], target: number, v: number, ts: number, now: number, fault?: FaultReason): void {
    let c = st.cond(kind);
    if (c === null) {
      if (target === 0) return;
      c = new Cond(kind);
      st.setCond(kind, c);
    }
    switch (c.phase) {
      case NORMAL:
        if (target === 0) return;
        c.phase = PENDING;
        c.level = target;
        c.peakLevel = Math.abs(target);
        c.since = now;
        c.samples = 1;
        c.pendStartTs = ts;
        c.peak = Number.NaN;
        updatePeak(c, v);
        this.host.touch(st);
        this.tryActivate(st, c, ts, now, fault);
        return;
      case PENDING:
        if (target === 0) {
          c.phase = NORMAL;
          c.samples = 0;
          this.release(st, c);
          this.host.touch(st);
          return;
        }
        c.samples++;
        if (target !== c.level) {
          c.level = target;
          this.host.touch(st);
        }
        c.peakLevel = Math.max(c.peakLevel, Math.abs(target));
        updatePeak(c, v);
        this.tryActivate(st, c, ts, now, fault);
        return;
      case ACTIVE:
        updatePeak(c, v);
        if (target === 0) {
          c.phase = CLEARING;
          c.since = now;
          c.samples = 1;
          this.host.touch(st);
          this.tryClear(st, c, ts, now);
          return;
        }
        this.relevel(st, c, target, ts, now);
        return;
      case CLEARING:
        if (target !== 0) {
          c.phase = ACTIVE;
          c.samples = 0;
          this.host.touch(st);
          updatePeak(c, v);
          this.relevel(st, c, target, ts, now);
          return;
        }
        c.samples++;
        this.tryClear(st, c, ts, now);
        return;
    }
  }

  /** Timer path: a pending or clearing condition whose time delay may have run out. */
  timers(st: KeyState, c: Cond, wall: number, now: number): number {
    const rule = st.rule;
    if (c.phase === PENDING && c.samples >= rule.onDelaySamples) {
      const due = c.since + rule.onDelayMs;
      if (now >= due) this.activate(st, c, wall, now);
      else return due;
    }
    if (c.phase === CLEARING && c.samples >= rule.offDelaySamples) {
      const due = c.since + rule.offDelayMs;
      if (now >= due) this.clear(st, c, wall, now, c.kind === 'sensor' ? 'quality-returned' : 'returned-to-normal');
      else return due;
    }
    if ((c.phase === ACTIVE || c.phase === CLEARING) && c.announced && !c.acked && rule.reAlarmMs > 0 && c.reAlarms < rule.reAlarmMax) {
      const due = c.lastAnnounce + rule.reAlarmMs;
      if (now < due) return due;
      this.reAlarm(st, c, wall, now);
      return c.reAlarms < rule.reAlarmMax ? c.lastAnnounce + rule.reAlarmMs : Number.POSITIVE_INFINITY;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** Stale, or another fault known without a sample: active at once, no on-delay (the staleness is the delay). */
  forceActive(st: KeyState, kind: Cond['kind'], level: number, startTs: number, wall: number, now: number): void {
    let c = st.cond(kind);
    if (c === null) {
      c = new Cond(kind);
      st.setCond(kind, c);
    }
    if (c.phase === ACTIVE || c.phase === CLEARING) {
      c.phase = ACTIVE;
      c.level = level;
      c.peakLevel = Math.max(c.peakLevel, level);
      this.host.touch(st);
      return;
    }
    c.level = level;
    c.peakLevel = level;
    c.pendStartTs = startTs;
    c.peak = Number.NaN;
    this.activate(st, c, wall, now);
  }

  private tryActivate(st: KeyState, c: Cond, ts: number, now: number, fault?: FaultReason): void {
    const rule = st.rule;
    if (c.samples < rule.onDelaySamples) return;
    const due = c.since + rule.onDelayMs;
    if (now >= due) this.activate(st, c, ts, now, fault);
    else this.host.wake(st, due);
  }

  private tryClear(st: KeyState, c: Cond, ts: number, now: number): void {
    const rule = st.rule;
    if (c.samples < rule.offDelaySamples) return;
    const due = c.since + rule.offDelayMs;
    if (now >= due) this.clear(st, c, ts, now, c.kind === 'sensor' ? 'quality-returned' : 'returned-to-normal');
    else this.host.wake(st, due);
  }

  private activate(st: KeyState, c: Cond, ts: number, now: number, fault?: FaultReason): void {
    c.phase = ACTIVE;
    c.activeTs = ts;
    c.samples = 0;
    // While the last episode's work order is open, a return of the problem continues that episode:
    // same eventId, so no second work order.
    const continuing = this.host.holdWhileWorkOrderOpen && c.woOpen && c.eventId !== '';
    if (!continuing) {
      if (c.eventId !== '') this.host.unindexEvent(c.eventId, st);
      c.startTs = c.pendStartTs;
      // A source clock that did not move (frozen PLC clock) would give the new episode the last one's id,
      // and its work order would be deduplicated away: episodes starting no later than the key's last one are numbered.
      c.seq = c.startTs <= st.lastEpisodeTs ? st.episodeSeq + 1 : 0;
      st.episodeSeq = c.seq;
      st.lastEpisodeTs = Math.max(st.lastEpisodeTs, c.startTs);
      c.eventId = eventIdFor(st.slot.asset.siteId, st.slot.asset.id, st.rule.id, c.kind, c.startTs, c.seq);
      c.woOpen = false;
      c.woId = '';
      c.woClosed = false;
      this.host.indexEvent(c.eventId, st);
    }
    c.acked = false;
    c.reAlarms = 0;
    c.announced = false;
    c.oneShotSeen = false;
    this.host.touch(st);
    this.announce(st, c, ts, now, continuing ? { continued: true } : undefined, fault);
  }

  /** Announces `raised` (or `sensor-fault`) unless shelved; also used when a shelf ends. */
  announce(st: KeyState, c: Cond, at: number, now: number, details?: Record<string, Scalar>, fault?: FaultReason): void {
    const shelf = this.host.shelfFor(st, now);
    if (shelf) {
      if (shelf.mode === 'one-shot') c.oneShotSeen = true;
      this.host.suppressed();
      return;
    }
    c.announced = true;
    c.lastAnnounce = now;
    this.host.touch(st);
    const state = c.kind === 'sensor' ? 'sensor-fault' : 'raised';
    this.host.emit(buildEvent({ st, c, state, at, details, reason: c.kind === 'sensor' ? (fault ?? (c.level === 2 ? 'no-data' : undefined)) : undefined }), st, at, c);
    if (st.rule.reAlarmMs > 0) this.host.wake(st, now + st.rule.reAlarmMs);
  }

  private reAlarm(st: KeyState, c: Cond, wall: number, now: number): void {
    if (this.host.shelfFor(st, now)) {
      c.lastAnnounce = now;
      return;
    }
    c.reAlarms++;
    c.lastAnnounce = now;
    const state = c.kind === 'sensor' ? 'sensor-fault' : 'raised';
    this.host.emit(buildEvent({ st, c, state, at: wall, details: { reAlarm: c.reAlarms } }), st, wall, c);
  }

  private relevel(st: KeyState, c: Cond, target: number, ts: number, now: number): void {
    if (target === c.level) return;
    const previous = c.level;
    c.level = target;
    this.host.touch(st);
    const higher = Math.abs(target) > c.peakLevel;
    if (higher) c.peakLevel = Math.abs(target);
    // Escalation above the episode's peak is news for the work order (a higher priority); going back down
    // (HH → H) and up again to a level already reached is not (see README: de-escalation is not announced).
    if (c.kind === 'limit' && higher && c.announced && !this.host.shelfFor(st, now)) {
      this.host.emit(buildEvent({ st, c, state: 'escalated', at: ts, previousLevel: previous }), st, ts, c);
    }
  }

  clear(st: KeyState, c: Cond, at: number, now: number, reason: ClearReason): void {
    if (c.phase === NORMAL) return;
    const wasActive = c.phase === ACTIVE || c.phase === CLEARING;
    if (wasActive && c.announced) this.host.emit(buildEvent({ st, c, state: 'cleared', at, reason }), st, at, c);
    const oneShot = c.oneShotSeen;
    c.phase = NORMAL;
    c.announced = false;
    c.samples = 0;
    c.oneShotSeen = false;
    this.release(st, c);
    this.host.touch(st);
    if (oneShot) {
      const shelf = this.host.shelfFor(st, now);
      if (shelf && shelf.mode === 'one-shot') this.host.endShelf(shelf, now);
    }
  }

  /** A normal condition without an episode to remember is dropped, so idle keys stay small. */
  private release(st: KeyState, c: Cond): void {
    if (c.phase === NORMAL && c.eventId === '') st.setCond(c.kind, null);
  }
}

export { CLEARING, NORMAL, PENDING, ACTIVE };

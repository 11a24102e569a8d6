// ISA-18.2 alarm-system health figures for one node: alarm rate (flood: more than 10 in
// 10 minutes), chattering alarms (ISA-18.2 TR5: the same alarm active → clear 3 or more times in a
// minute), stale alarms (active more than 24 hours). Counted in fixed-size rings, so the cost never grows with time or keys.
import type { Severity } from '../contracts';
import type { ShelfReport } from './shelves';
import { ACTIVE, CLEARING, type KeyState } from './state';

const FLOOD_PER_10_MIN = 10;
const CHATTER_WINDOW_MS = 60_000;
const STALE_ALARM_MS = 24 * 3600_000;

const MINUTE = 60_000;
const MINUTES = 24 * 60;
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];

export interface HealthFigures {
  alarmsLast10Min: number;
  alarmsLastHour: number;
  alarmsLast24h: number;
  flood: boolean;
  /** Raised alarms of the last 24 h by severity (ISA-18.2: about 80 % should be low or medium). */
  bySeverity24h: Record<Severity, number>;
  chattering: number;
  stale: number;
}

/** The node's health report (what `AlarmEngine.health()` returns). */
export type NodeHealth = HealthFigures & {
  active: number; shelved: number; shelves: ShelfReport[]; outOfService: number; keys: number; maxKeys: number;
  /** Readings of signals not watched because the key cap was reached. */
  refused: number;
};

/** Alarm counts per wall-clock minute over the last 24 h. */
export class AlarmRate {
  private readonly counts = new Uint32Array(MINUTES * SEVERITIES.length);
  private readonly minuteOf = new Float64Array(MINUTES).fill(-1);

  add(wall: number, severity: Severity): void {
    const minute = Math.floor(wall / MINUTE);
    const slot = minute % MINUTES;
    if (this.minuteOf[slot] !== minute) {
      this.minuteOf[slot] = minute;
      this.counts.fill(0, slot * SEVERITIES.length, (slot + 1) * SEVERITIES.length);
    }
    this.counts[slot * SEVERITIES.length + SEVERITIES.indexOf(severity)]++;
  }

  /** Alarms in the last `minutes` minutes including the current one, by severity. */
  window(wall: number, minutes: number): Record<Severity, number> {
    const now = Math.floor(wall / MINUTE);
    const out: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
    for (let m = now - minutes + 1; m <= now; m++) {
      const slot = ((m % MINUTES) + MINUTES) % MINUTES;
      if (this.minuteOf[slot] !== m) continue;
      SEVERITIES.forEach((s, i) => { out[s] += this.counts[slot * SEVERITIES.length + i]; });
    }
    return out;
  }

  total(wall: number, minutes: number): number {
    const w = this.window(wall, minutes);
    return w.critical + w.high + w.medium + w.low;
  }

  figures(wall: number): Pick<HealthFigures, 'alarmsLast10Min' | 'alarmsLastHour' | 'alarmsLast24h' | 'flood' | 'bySeverity24h'> {
    const last10 = this.total(wall, 10);
    const day = this.window(wall, MINUTES);
    return {
      alarmsLast10Min: last10,
      alarmsLastHour: this.total(wall, 60),
      alarmsLast24h: day.critical + day.high + day.medium + day.low,
      flood: last10 > FLOOD_PER_10_MIN,
      bySeverity24h: day,
    };
  }
}

/** Active episodes among `keys`, and how many of them are stale (active more than 24 h). */
export function activeAlarms(keys: Iterable<KeyState>, wall: number): { active: number; stale: number } {
  let active = 0;
  let stale = 0;
  for (const st of keys) {
    for (const c of [st.lim, st.roc, st.sen]) {
      if (!c || (c.phase !== ACTIVE && c.phase !== CLEARING)) continue;
      active++;
      if (wall - c.activeTs > STALE_ALARM_MS) stale++;
    }
  }
  return { active, stale };
}

/** Which alarms chatter: the alarm → when it stops counting (the oldest of its 3 returns to normal leaves the minute). */
export class Chatter<K> {
  private readonly until = new Map<K, number>();

  constructor(private readonly max: number) {}

  /** Records a return to normal at `wall`, given the alarm's two previous ones; returns the new pair. */
  transition(key: K, wall: number, prev1: number, prev2: number): [number, number] {
    if (prev2 > 0 && wall - prev2 < CHATTER_WINDOW_MS) {
      if (this.until.size < this.max || this.until.has(key)) this.until.set(key, prev2 + CHATTER_WINDOW_MS);
    }
    return [wall, prev1];
  }

  count(wall: number): number {
    let n = 0;
    for (const [k, t] of this.until) {
      if (t <= wall) this.until.delete(k);
      else n++;
    }
    return n;
  }

  keys(wall: number, limit: number): K[] {
    const out: K[] = [];
    for (const [k, t] of this.until) if (t > wall && out.length < limit) out.push(k);
    return out;
  }

  forget(key: K): void {
    this.until.delete(key);
  }
}

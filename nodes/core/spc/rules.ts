// Western Electric rules 1–4 and Nelson rules 1–8, as qcc's qccRules() applies them, kept as
// running counters so that each new point costs O(1):
//   WE1 / N1  one point beyond 3σ
//   WE2 / N5  2 of 3 points beyond 2σ on the same side
//   WE3 / N6  4 of 5 points beyond 1σ on the same side
//   WE4       8 points in a row on one side of the centre line;  N2  the same with 9
//   N3        6 points in a row steadily increasing or decreasing
//   N4        14 points in a row alternating up and down
//   N7        15 points in a row within 1σ (stratification, or limits that are too wide)
//   N8        8 points in a row beyond 1σ, on either side (a mixture)

export type RuleSet = 'we' | 'nelson';

export interface RulesState {
  zones: number[];
  filled: number;
  side: number;
  sideRun: number;
  prev: number | null;
  dir: number;
  trendRun: number;
  altRun: number;
  within1: number;
  beyond1: number;
}

/** Signed zone of a standardised point: ±1 within 1σ, ±2 within 2σ, ±3 within 3σ, ±4 beyond. */
function zoneOf(z: number): number {
  const a = Math.abs(z);
  const zone = a <= 1 ? 1 : a <= 2 ? 2 : a <= 3 ? 3 : 4;
  return z < 0 ? -zone : zone;
}

export class RunRules {
  /** The last five signed zones, newest at `head`. */
  private zones = new Int8Array(5);
  private head = 0;
  private filled = 0;
  private side = 0;
  private sideRun = 0;
  private prev: number | null = null;
  private dir = 0;
  private trendRun = 0;
  private altRun = 0;
  private within1 = 0;
  private beyond1 = 0;

  constructor(readonly set: RuleSet) {}

  /** Adds a standardised point (z = (x̄ − μ0)/σ_x̄); returns the rule that fired, e.g. "WE2", or null. */
  update(z: number): string | null {
    this.head = (this.head + 1) % 5;
    this.zones[this.head] = zoneOf(z);
    if (this.filled < 5) this.filled++;

    const side = z > 0 ? 1 : z < 0 ? -1 : 0;
    this.sideRun = side !== 0 && side === this.side ? this.sideRun + 1 : side !== 0 ? 1 : 0;
    this.side = side;

    if (this.prev !== null) {
      const dir = z > this.prev ? 1 : z < this.prev ? -1 : 0;
      this.trendRun = dir !== 0 && dir === this.dir ? this.trendRun + 1 : dir !== 0 ? 1 : 0;
      this.altRun = dir !== 0 && dir === -this.dir ? this.altRun + 1 : dir !== 0 ? 1 : 0;
      this.dir = dir;
    }
    this.prev = z;
    const a = Math.abs(z);
    this.within1 = a < 1 ? this.within1 + 1 : 0;
    this.beyond1 = a > 1 ? this.beyond1 + 1 : 0;

    const we = this.set === 'we';
    if (a > 3) return we ? 'WE1' : 'NELSON1';
    if (!we && this.sideRun >= 9) return 'NELSON2';
    if (!we && this.trendRun + 1 >= 6) return 'NELSON3';
    if (!we && this.altRun + 1 >= 14) return 'NELSON4';
    if (this.countSameSide(3, 3) >= 2) return we ? 'WE2' : 'NELSON5';
    if (this.countSameSide(5, 2) >= 4) return we ? 'WE3' : 'NELSON6';
    if (we && this.sideRun >= 8) return 'WE4';
    if (!we && this.within1 >= 15) return 'NELSON7';
    if (!we && this.beyond1 >= 8) return 'NELSON8';
    return null;
  }

  /** Among the last `last` points, the most that lie in zone ≥ `minZone` on one side. */
  private countSameSide(last: number, minZone: number): number {
    if (this.filled < last) return 0;
    let up = 0;
    let down = 0;
    for (let i = 0; i < last; i++) {
      const zone = this.zones[(this.head - i + 5) % 5];
      if (zone >= minZone) up++;
      else if (-zone >= minZone) down++;
    }
    return up > down ? up : down;
  }

  reset(): void {
    this.zones.fill(0);
    this.head = 0;
    this.filled = 0;
    this.side = 0;
    this.sideRun = 0;
    this.prev = null;
    this.dir = 0;
    this.trendRun = 0;
    this.altRun = 0;
    this.within1 = 0;
    this.beyond1 = 0;
  }

  snapshot(): RulesState {
    const zones: number[] = [];
    for (let i = 0; i < 5; i++) zones.push(this.zones[(this.head - i + 5) % 5]);
    return { zones, filled: this.filled, side: this.side, sideRun: this.sideRun, prev: this.prev, dir: this.dir, trendRun: this.trendRun, altRun: this.altRun, within1: this.within1, beyond1: this.beyond1 };
  }

  restore(s: RulesState): void {
    this.head = 0;
    for (let i = 0; i < 5; i++) this.zones[(5 - i) % 5] = s.zones[i] ?? 0;
    this.filled = s.filled;
    this.side = s.side;
    this.sideRun = s.sideRun;
    this.prev = s.prev;
    this.dir = s.dir;
    this.trendRun = s.trendRun;
    this.altRun = s.altRun;
    this.within1 = s.within1;
    this.beyond1 = s.beyond1;
  }
}

// Trend to a spec limit: Theil–Sen slope (the median of all pairwise slopes, robust to the odd
// wild measurement) over a window of subgroup means, Mann–Kendall's S to tell a real trend from
// noise, and the projected number of units and seconds until the mean reaches LSL or USL.
import { median } from './stats';

export interface TrendState {
  x: number[];
  y: number[];
  t: number[];
}

export interface Projection {
  /** Change of the mean per unit. */
  slope: number;
  /** The fitted mean at the newest point. */
  level: number;
  /** Mann–Kendall Z: beyond about ±3 the trend is real. */
  z: number;
  /** Which limit the mean is heading for, or null when it heads for none. */
  limit: 'USL' | 'LSL' | null;
  limitValue: number | null;
  unitsToLimit: number | null;
  secondsToLimit: number | null;
  /** Points in the window. */
  n: number;
}

// One scratch buffer for the pairwise slopes of every window: nodes run on one thread, and a
// window is evaluated start to finish without yielding.
let scratch = new Float64Array(0);

function pairs(n: number): Float64Array {
  const need = (n * (n - 1)) / 2;
  if (scratch.length < need) scratch = new Float64Array(need);
  return scratch;
}

export class TrendWindow {
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private readonly ts: Float64Array;
  private head = 0;
  private count = 0;
  private readonly residuals: Float64Array;
  private readonly orderedX: Float64Array;
  private readonly orderedY: Float64Array;

  constructor(readonly capacity: number) {
    this.xs = new Float64Array(capacity);
    this.ys = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
    this.residuals = new Float64Array(capacity);
    this.orderedX = new Float64Array(capacity);
    this.orderedY = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a subgroup mean `y` centred at unit position `x`, observed at `tMs`. */
  push(x: number, y: number, tMs: number): void {
    this.xs[this.head] = x;
    this.ys[this.head] = y;
    this.ts[this.head] = tMs;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  private at(i: number): number {
    // i = 0 is the oldest point.
    return (this.head - this.count + i + this.capacity) % this.capacity;
  }

  /** Slope, fitted level, significance and projection; null until the window holds 4 points. */
  evaluate(lsl: number | undefined, usl: number | undefined): Projection | null {
    const n = this.count;
    if (n < 4) return null;
    const buf = pairs(n);
    // Unroll the ring into oldest-first order once, so the O(n²) loop does no index arithmetic.
    const xs = this.orderedX;
    const ys = this.orderedY;
    for (let i = 0; i < n; i++) {
      const a = this.at(i);
      xs[i] = this.xs[a];
      ys[i] = this.ys[a];
    }
    let p = 0;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const xa = xs[i];
      const ya = ys[i];
      for (let j = i + 1; j < n; j++) {
        const dy = ys[j] - ya;
        buf[p++] = dy / (xs[j] - xa);
        s += dy > 0 ? 1 : dy < 0 ? -1 : 0;
      }
    }
    const slope = median(buf, p);
    for (let i = 0; i < n; i++) this.residuals[i] = ys[i] - slope * xs[i];
    const intercept = median(this.residuals, n);
    const last = this.at(n - 1);
    const first = this.at(0);
    const level = intercept + slope * this.xs[last];
    const variance = (n * (n - 1) * (2 * n + 5)) / 18;
    const z = s === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(variance);
    const span = this.xs[last] - this.xs[first];
    const secondsPerUnit = span > 0 ? (this.ts[last] - this.ts[first]) / 1000 / span : 0;

    let limit: 'USL' | 'LSL' | null = null;
    let limitValue: number | null = null;
    let units: number | null = null;
    if (slope > 0 && usl !== undefined) {
      limit = 'USL';
      limitValue = usl;
      units = Math.max(0, (usl - level) / slope);
    } else if (slope < 0 && lsl !== undefined) {
      limit = 'LSL';
      limitValue = lsl;
      units = Math.max(0, (level - lsl) / -slope);
    }
    return {
      slope, level, z, limit, limitValue, n,
      unitsToLimit: units,
      secondsToLimit: units !== null && secondsPerUnit > 0 ? units * secondsPerUnit : null,
    };
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  snapshot(): TrendState {
    const out: TrendState = { x: [], y: [], t: [] };
    for (let i = 0; i < this.count; i++) {
      const a = this.at(i);
      out.x.push(this.xs[a]);
      out.y.push(this.ys[a]);
      out.t.push(this.ts[a]);
    }
    return out;
  }

  restore(s: TrendState): void {
    this.clear();
    const from = Math.max(0, s.x.length - this.capacity);
    for (let i = from; i < s.x.length; i++) this.push(s.x[i], s.y[i], s.t[i]);
  }
}

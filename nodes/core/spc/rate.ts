// The line's measured rate, in units per hour, from the records' own timestamps: the editor turns
// "one false alarm every D days" into units with it (issue 15 item 13), so the budget the user
// states in time holds at the rate the line really runs, not the rate someone typed once.
// Calendar time, stops included: a false alarm per month is per calendar month.

/** A rate is reported once the window spans this long … */
const MIN_SPAN_MS = 10 * 60_000;
/** … and holds this many units. */
const MIN_UNITS = 20;
/** A window restarts after a day, so a line that changed pace is measured at its new pace within a day. */
const WINDOW_MS = 24 * 3_600_000;
/** Lines measured at most; beyond, new lines are not measured (the engine's own series cap applies first). */
const MAX_LINES = 10_000;

interface Window {
  firstMs: number;
  lastMs: number;
  units: number;
  /** The previous full window's rate, reported while the current one is too young. */
  previous: number | null;
}

export class RateMeter {
  private readonly lines = new Map<string, Window>();

  add(line: string, tMs: number): void {
    if (!Number.isFinite(tMs)) return;
    const w = this.lines.get(line);
    if (!w) {
      if (this.lines.size < MAX_LINES) this.lines.set(line, { firstMs: tMs, lastMs: tMs, units: 1, previous: null });
      return;
    }
    if (tMs < w.lastMs) return; // out of order: counted in its own time only once it is the newest
    if (tMs - w.firstMs > WINDOW_MS) {
      w.previous = rateOf(w) ?? w.previous;
      w.firstMs = tMs;
      w.units = 0;
    }
    w.lastMs = tMs;
    w.units++;
  }

  /** Units per hour of one line, or null while not enough has been seen. */
  rate(line: string): number | null {
    const w = this.lines.get(line);
    return w ? rateOf(w) ?? w.previous : null;
  }

  /**
   * The fastest measured line's rate: the budget is in units per line, so converting days with the
   * fastest line keeps every line at or under one false alarm per D days.
   */
  fastest(): { unitsPerHour: number; lines: number } | null {
    let best: number | null = null;
    let lines = 0;
    for (const k of this.lines.keys()) {
      const r = this.rate(k);
      if (r === null) continue;
      lines++;
      if (best === null || r > best) best = r;
    }
    return best === null ? null : { unitsPerHour: best, lines };
  }
}

function rateOf(w: Window): number | null {
  const span = w.lastMs - w.firstMs;
  if (span < MIN_SPAN_MS || w.units < MIN_UNITS) return null;
  // n units span n − 1 gaps.
  return ((w.units - 1) / span) * 3_600_000;
}

// In-memory delivery metrics: outcome counts, event-to-creation latency over a bounded window of
// recent deliveries, and error counts by class (totals and the share of recent calls).
import type { WorkOrderOutcome } from '../contracts/work-order-result';

/** A fixed-size ring of numbers; old values are overwritten, so memory stays bounded. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly size: number) {}

  push(v: T): void {
    if (this.items.length < this.size) this.items.push(v);
    else this.items[this.next] = v;
    this.next = (this.next + 1) % this.size;
  }

  values(): T[] {
    return this.items.slice();
  }

  get length(): number {
    return this.items.length;
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

type CountedOutcome = WorkOrderOutcome | 'shadow' | 'duplicate';

export class Metrics {
  readonly outcomes: Record<CountedOutcome, number> = { created: 0, existing: 0, queued: 0, dead: 0, shadow: 0, duplicate: 0 };
  readonly errors: Record<string, number> = {};
  calls = 0;
  private readonly latencies: Ring<number>;
  /** The error class of each recent call, or null for a success. */
  private readonly recentCalls: Ring<string | null>;

  constructor(window: number) {
    const size = Math.max(1, Math.floor(window));
    this.latencies = new Ring(size);
    this.recentCalls = new Ring(size);
  }

  count(outcome: CountedOutcome): void {
    this.outcomes[outcome] += 1;
  }

  latency(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.latencies.push(ms);
  }

  call(errorClass: string | null): void {
    this.calls += 1;
    this.recentCalls.push(errorClass);
    if (errorClass) this.errors[errorClass] = (this.errors[errorClass] ?? 0) + 1;
  }

  latencyPercentiles(): { p50: number | null; p95: number | null; p99: number | null; samples: number } {
    const sorted = this.latencies.values().sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), samples: sorted.length };
  }

  errorRate(): Record<string, number> {
    const recent = this.recentCalls.values();
    const out: Record<string, number> = {};
    if (recent.length === 0) return out;
    for (const c of recent) if (c) out[c] = (out[c] ?? 0) + 1;
    for (const k of Object.keys(out)) out[k] = out[k] / recent.length;
    return out;
  }
}

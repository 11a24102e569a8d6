// What a connection's requests look like from the sidebar: how many went out in the last minute
// (to set against the rate budget) and the last failure with the CMMS's own words. Fed from the
// client's onOutcome; memory is bounded by the ring, whatever the request rate.
import type { RequestOutcome } from './types';

export interface LastError {
  at: number;
  /** The CMMS's text (or the network's), as the client reported it. */
  message: string;
  status: number | null;
  kind: string;
  vendorCode: string | null;
  method: string | null;
  path: string | null;
}

const WINDOW_MS = 60_000;

export class RequestMeter {
  private readonly times: Float64Array;
  private next = 0;
  private filled = 0;
  last: LastError | null = null;
  total = 0;

  /** `capacity` bounds how many requests per minute can be counted exactly; above it the count saturates. */
  constructor(private readonly now: () => number = Date.now, capacity = 4096) {
    this.times = new Float64Array(Math.max(1, capacity));
  }

  observe(o: RequestOutcome): void {
    const at = this.now();
    this.times[this.next] = at;
    this.next = (this.next + 1) % this.times.length;
    this.filled = Math.min(this.filled + 1, this.times.length);
    this.total += 1;
    if (!o.ok) {
      this.last = {
        at, message: o.error.message, status: o.error.status ?? null, kind: o.error.kind, vendorCode: o.error.vendorCode ?? null,
        method: o.method ?? null, path: o.path ?? null,
      };
    }
  }

  /** Requests in the last minute. */
  lastMinute(): number {
    const from = this.now() - WINDOW_MS;
    let n = 0;
    for (let i = 0; i < this.filled; i++) if (this.times[i] >= from) n += 1;
    return n;
  }
}

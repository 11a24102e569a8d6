// The connection state a plant engineer sees under the mw-cmms node: connected, unauthorised,
// unreachable or rate-limited. A small state machine fed by probes and by the outcome of real
// requests; it decides when to probe next (soon after a failure, backing off while the CMMS stays
// down, rarely while all is well) and tells listeners when the state changes. Timers are injected.
import { CmmsError, isCmmsError } from './errors';
import type { ConnectionState, ProbeResult, RequestOutcome } from './types';
import { errorMessage } from '../error-message';

/**
 * What an error says about the connection as a whole, or null when it concerns only the one
 * request (a rejected work order does not make the CMMS unreachable).
 */
export function stateForError(e: CmmsError): ConnectionState | null {
  if (e.kind === 'auth') return 'unauthorised';
  if (e.status === 429) return 'rate-limited';
  if (e.status === 502 || e.status === 503 || e.status === 504) return 'unreachable';
  if (e.kind === 'transient' && e.status === undefined && e.code !== 'ECLOSED') return 'unreachable';
  return null;
}

/** Runs a cheap authenticated read and reports how it went, never throwing. */
export async function runProbe(label: string, now: () => number, read: () => Promise<string | undefined>): Promise<ProbeResult> {
  const started = now();
  try {
    const detail = await read();
    const result: ProbeResult = {
      ok: true, state: 'connected', latencyMs: now() - started,
      message: `connected to ${label}${detail ? ` as ${detail}` : ''}`,
    };
    if (detail) result.detail = detail;
    return result;
  } catch (e) {
    const err = isCmmsError(e) ? e : new CmmsError({ kind: 'permanent', message: errorMessage(e) });
    const result: ProbeResult = { ok: false, state: stateForError(err) ?? 'error', message: err.message, latencyMs: now() - started };
    if (err.retryAfterMs !== undefined) result.retryAfterMs = err.retryAfterMs;
    return result;
  }
}

export type HealthState = 'unknown' | ConnectionState;

export interface HealthSnapshot {
  state: HealthState;
  message: string;
  /** When the state last changed (ms). */
  since: number;
  /** Failed probes in a row. */
  failures: number;
  /** When the next probe is due (ms), or null when none is scheduled. */
  nextProbeAt: number | null;
}

export interface HealthTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthOptions {
  probe: () => Promise<ProbeResult>;
  now?: () => number;
  timers?: HealthTimers;
  /** Re-probe this often while connected; 0 = only on start and after failures. Default 5 min. */
  upIntervalMs?: number;
  /** First re-probe after a failure; doubles each time. Default 5 s. */
  downInitialMs?: number;
  /** Longest wait between probes while down. Default 5 min. */
  downMaxMs?: number;
}

export type HealthListener = (snapshot: HealthSnapshot, previous: HealthState) => void;

const realTimers: HealthTimers = {
  // A background probe must never be what keeps the process alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class HealthMonitor {
  private state: HealthState = 'unknown';
  private message = 'not checked yet';
  private since: number;
  private failures = 0;
  private timer: unknown = undefined;
  private nextAt: number | null = null;
  private probing = false;
  private running = false;
  private readonly listeners = new Set<HealthListener>();
  private readonly now: () => number;
  private readonly timers: HealthTimers;
  private readonly upMs: number;
  private readonly downInitialMs: number;
  private readonly downMaxMs: number;

  constructor(private readonly opts: HealthOptions) {
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    this.upMs = opts.upIntervalMs ?? 300_000;
    this.downInitialMs = opts.downInitialMs ?? 5_000;
    this.downMaxMs = opts.downMaxMs ?? 300_000;
    this.since = this.now();
  }

  get snapshot(): HealthSnapshot {
    return { state: this.state, message: this.message, since: this.since, failures: this.failures, nextProbeAt: this.nextAt };
  }

  onChange(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Probes at once, then keeps to the schedule. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.clearTimer();
  }

  /** Probes now (e.g. a "test connection" button), unless a probe is already running. */
  async probeNow(): Promise<HealthSnapshot> {
    if (this.probing) return this.snapshot;
    this.probing = true;
    this.clearTimer();
    let result: ProbeResult;
    try {
      result = await this.opts.probe();
    } catch (e) {
      // A probe should not throw; if one does, that is an error state, not a crash.
      result = { ok: false, state: 'error', message: errorMessage(e), latencyMs: 0 };
    } finally {
      this.probing = false;
    }
    if (result.ok) {
      this.failures = 0;
      this.set('connected', result.message);
      if (this.running && this.upMs > 0) this.schedule(this.upMs);
    } else {
      this.failures += 1;
      this.set(result.state, result.message);
      if (this.running) this.schedule(Math.max(this.backoff(), result.retryAfterMs ?? 0));
    }
    return this.snapshot;
  }

  /** Real traffic is better evidence than a probe: a success means connected, a wire failure means down. */
  observe(outcome: RequestOutcome): void {
    if (outcome.ok) {
      if (this.state === 'connected') return;
      this.failures = 0;
      this.set('connected', 'connected');
      if (this.running) this.schedule(this.upMs > 0 ? this.upMs : null);
      return;
    }
    const state = stateForError(outcome.error);
    if (state === null) return;
    const wasDown = this.state !== 'connected' && this.state !== 'unknown';
    this.set(state, outcome.error.message);
    if (!this.running) return;
    // A first failure gets a quick re-probe; while already down, keep the backoff already running.
    const due = Math.max(wasDown ? this.backoff() : this.downInitialMs, outcome.error.retryAfterMs ?? 0);
    if (this.nextAt === null || this.nextAt > this.now() + due || !wasDown) this.schedule(due);
  }

  private backoff(): number {
    const exp = Math.max(0, this.failures - 1);
    return Math.min(this.downMaxMs, this.downInitialMs * 2 ** Math.min(exp, 30));
  }

  private schedule(ms: number | null): void {
    this.clearTimer();
    if (ms === null) return;
    this.nextAt = this.now() + ms;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.nextAt = null;
      void this.probeNow();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = null;
  }

  private set(state: HealthState, message: string): void {
    const previous = this.state;
    this.message = message;
    if (state === previous) return;
    this.state = state;
    this.since = this.now();
    const snap = this.snapshot;
    for (const l of [...this.listeners]) {
      try {
        l(snap, previous);
      } catch {
        // One broken listener must not stop the others or the monitor.
      }
    }
  }
}

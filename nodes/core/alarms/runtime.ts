// What runs one engine over time, apart from Node-RED: the wake-up timer of the engine's delays,
// the commit protocol (an event leaves only after the state that caused it is on disk), the
// start-up re-announcement after a crash, periodic health reports and throttled status updates.
// Timers are injected, so the adapter keeps only the Node-RED wiring.
import type { MaintenanceEvent } from '../contracts';
import { Committer, type Scheduler, type WriteStore } from './committer';
import type { AlarmEngine } from './engine';

interface RuntimeTimers extends Scheduler {
  /** Runs `fn` every `ms`; returns a cancel function. */
  every(fn: () => void, ms: number): () => void;
  /** Monotonic ms, the engine's clock. */
  mono(): number;
}

interface RuntimeOutput {
  /** Events that were not caused by a message (timers, start-up), after their commit. */
  events(events: MaintenanceEvent[]): void;
  /** A commit failed; the events were sent anyway (they would be lost otherwise). */
  commitFailed(err: Error): void;
  /** Time for a periodic health report. */
  health(): void;
  /** Time to refresh the node status (at most every STATUS_INTERVAL_MS). */
  status(): void;
  /** The key cap started refusing signals (once per crossing). */
  capReached(): void;
}

/** Status shows counts; recomputing them per message would cost a scan each time. */
export const STATUS_INTERVAL_MS = 2000;
/** After a crash, the repeated announcements wait this long for the other flows to start. */
const RESTART_ANNOUNCE_MS = 1000;
/** Timers longer than this are re-armed in steps (setTimeout's range ends at about 24.8 days). */
const MAX_TIMER_MS = 3600_000;

type Deliver = (events: MaintenanceEvent[]) => void;
type Finish = (err?: Error) => void;

export class AlarmRuntime {
  readonly committer: Committer;
  private cancelWake: (() => void) | null = null;
  private wakeAt = Number.POSITIVE_INFINITY;
  private cancelStatus: (() => void) | null = null;
  private cancelHealth: (() => void) | null = null;
  private cancelStart: (() => void) | null = null;
  private closed = false;
  private capCrossings = 0;

  constructor(
    private readonly engine: AlarmEngine,
    store: WriteStore | null,
    private readonly timers: RuntimeTimers,
    private readonly out: RuntimeOutput,
  ) {
    this.committer = new Committer(engine, store, timers);
  }

  /** Starts the timers: the first lazy commit, the start-up announcements, health, the engine's wake-ups. */
  start(healthIntervalS: number): void {
    this.committer.after();
    // After a crash, active episodes are announced again (same eventIds; the CMMS dedupes them),
    // once the rest of the flows have started. A reading arriving first takes them along.
    this.cancelStart = this.timers.later(() => {
      this.cancelStart = null;
      if (!this.closed) this.settle(this.engine.drain(), (ev) => this.out.events(ev), null);
    }, RESTART_ANNOUNCE_MS);
    if (healthIntervalS > 0) this.setHealthInterval(healthIntervalS);
    this.arm();
    this.scheduleStatus();
  }

  /**
   * After the engine changed: commit, then deliver the events and finish. Without events the
   * message finishes at once; `urgent` (control messages) commits everything pending within this turn.
   */
  settle(events: MaintenanceEvent[], deliver: Deliver, done: Finish | null, urgent = false): void {
    if (this.engine.capCrossings !== this.capCrossings) {
      this.capCrossings = this.engine.capCrossings;
      this.out.capReached();
    }
    if (events.length === 0 && !urgent) {
      this.committer.after();
      done?.();
    } else {
      this.committer.after((err) => {
        if (events.length === 0) return done?.();
        deliver(events);
        if (err) this.out.commitFailed(err);
        this.scheduleStatus();
        done?.(err ?? undefined);
      }, urgent);
    }
    this.arm();
    this.scheduleStatus();
  }

  /** Seconds between health reports; 0 stops them. */
  setHealthInterval(seconds: number): void {
    this.cancelHealth?.();
    this.cancelHealth = seconds > 0 && !this.closed ? this.timers.every(() => this.out.health(), seconds * 1000) : null;
  }

  scheduleStatus(): void {
    if (this.cancelStatus !== null || this.closed) return;
    this.cancelStatus = this.timers.later(() => {
      this.cancelStatus = null;
      if (!this.closed) this.out.status();
    }, STATUS_INTERVAL_MS);
  }

  /** One timer for the whole engine, at its next wake-up. */
  private arm(): void {
    if (this.closed) return;
    const next = this.engine.nextWake();
    if (next >= this.wakeAt && this.cancelWake !== null) return;
    this.cancelWake?.();
    this.cancelWake = null;
    this.wakeAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(next - this.timers.mono())));
    this.cancelWake = this.timers.later(() => this.onWake(), delay);
  }

  private onWake(): void {
    this.cancelWake = null;
    this.wakeAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    this.settle(this.engine.tick(), (ev) => this.out.events(ev), null);
  }

  /** Stops every timer and commits what is left; later commits happen synchronously. */
  close(): void {
    this.closed = true;
    for (const cancel of [this.cancelWake, this.cancelStatus, this.cancelHealth, this.cancelStart]) cancel?.();
    this.cancelWake = this.cancelStatus = this.cancelHealth = this.cancelStart = null;
    this.committer.close();
  }
}

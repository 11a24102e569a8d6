// Listeners of the outbox, called one by one so a throwing listener neither breaks delivery nor
// keeps the others from hearing; the capacity gauge behind the high-water warning; and Signals,
// the one collaborator the delivery loop and the outbox tell what happened.
import type { Held } from './store';
import type { CapacityEvent, CapacityLevel, LinkEvent, OutboxEvents, OutboxResult, ProblemEvent } from './types';
import { errorMessage } from '../error-message';

/** What the delivery loop tells the outside world; the outbox's listeners hear it. */
export interface OutboxSignals {
  result(r: OutboxResult): void;
  problem(p: ProblemEvent): void;
  link(e: LinkEvent): void;
  /** Recomputes the capacity level from what is held (or takes the one given); a change is announced. */
  capacity(held: Held, forced?: CapacityLevel): void;
}

type Listeners = { [K in keyof OutboxEvents]: OutboxEvents[K][] };

class Emitter {
  private readonly listeners: Listeners = { result: [], capacity: [], link: [], problem: [] };

  on<K extends keyof OutboxEvents>(event: K, fn: OutboxEvents[K]): void {
    this.listeners[event].push(fn);
  }

  off<K extends keyof OutboxEvents>(event: K, fn: OutboxEvents[K]): void {
    const list = this.listeners[event];
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  emit<K extends keyof OutboxEvents>(event: K, arg: Parameters<OutboxEvents[K]>[0]): void {
    for (const fn of [...this.listeners[event]]) {
      try {
        (fn as (a: typeof arg) => void)(arg);
      } catch (e) {
        // The row's state is already committed; a listener's bug must not undo or stop anything.
        if (event !== 'problem') this.emit('problem', { code: 'listener', message: `a ${event} listener threw: ${errorMessage(e)}` });
      }
    }
  }
}

class CapacityGauge {
  level: CapacityLevel = 'ok';

  constructor(private readonly maxRows: number, private readonly maxBytes: number, private readonly highWater: number) {}

  snapshot(held: Held): CapacityEvent {
    const fraction = Math.max(held.rows / this.maxRows, held.bytes / this.maxBytes);
    return { level: this.level, rows: held.rows, bytes: held.bytes, maxRows: this.maxRows, maxBytes: this.maxBytes, fraction };
  }

  /** Recomputes the level (or takes the one given); returns the new snapshot when it changed. */
  update(held: Held, forced?: CapacityLevel): CapacityEvent | null {
    const { fraction } = this.snapshot(held);
    let level: CapacityLevel;
    if (forced) level = forced;
    else if (fraction >= 1) level = 'full';
    else if (fraction >= this.highWater) level = 'high';
    // Hysteresis: back to ok only clearly below the mark, so a level near it does not flap.
    else if (this.level !== 'ok' && fraction >= this.highWater - 0.05) level = 'high';
    else level = 'ok';
    if (level === this.level) return null;
    this.level = level;
    return this.snapshot(held);
  }
}

export class Signals implements OutboxSignals {
  private readonly emitter = new Emitter();
  private readonly gauge: CapacityGauge;

  constructor(limits: { maxRows: number; maxBytes: number; highWater: number }) {
    this.gauge = new CapacityGauge(limits.maxRows, limits.maxBytes, limits.highWater);
  }

  on<K extends keyof OutboxEvents>(event: K, fn: OutboxEvents[K]): void {
    this.emitter.on(event, fn);
  }

  off<K extends keyof OutboxEvents>(event: K, fn: OutboxEvents[K]): void {
    this.emitter.off(event, fn);
  }

  result(r: OutboxResult): void {
    this.emitter.emit('result', r);
  }

  problem(p: ProblemEvent): void {
    this.emitter.emit('problem', p);
  }

  link(e: LinkEvent): void {
    this.emitter.emit('link', e);
  }

  capacity(held: Held, forced?: CapacityLevel): void {
    const changed = this.gauge.update(held, forced);
    if (changed) this.emitter.emit('capacity', changed);
  }

  capacitySnapshot(held: Held): CapacityEvent {
    return this.gauge.snapshot(held);
  }
}

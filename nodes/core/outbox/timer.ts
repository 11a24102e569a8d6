// One named timer of the delivery loop (the coalesced pass, the wake-up, housekeeping). The handle
// an injected `setTimeout` returns is opaque to the outbox; this keeps "armed or not" apart from
// it, so no field holds `unknown | null` and no caller compares a handle with null.
import type { Timers } from './types';

export class TimerSlot {
  private handle: { readonly h: unknown } | null = null;
  /** When it is due (wall-clock ms), for slots that are re-armed only to fire earlier. */
  at: number | null = null;

  constructor(private readonly timers: Timers) {}

  get armed(): boolean {
    return this.handle !== null;
  }

  /** Arms the slot, replacing what it held; the slot is empty again when `fn` runs. */
  set(fn: () => void, ms: number, at: number | null = null): void {
    this.clear();
    this.at = at;
    const handle = { h: this.timers.setTimeout(() => {
      if (this.handle !== handle) return;
      this.handle = null;
      this.at = null;
      fn();
    }, ms) };
    this.handle = handle;
  }

  clear(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle.h);
    this.handle = null;
    this.at = null;
  }
}

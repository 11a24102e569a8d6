// Steps of the wall clock (an NTP correction, someone setting the time), seen against a monotonic
// clock. The outbox stores its waits as wall-clock times so that they survive a restart; when the
// wall clock jumps, the engine moves the waits by the same amount, so each keeps its length: a
// step back does not strand an item for the size of the step, a step forward does not cut a
// backoff or a Retry-After short. Deadlines stay on the wall clock: "72 hours after it was queued"
// is a promise in calendar time.

/** Jumps smaller than this are ordinary drift or slewing between two looks, not steps. */
const TOLERANCE_MS = 1000;

export class ClockWatch {
  private lastWall: number;
  private lastMono: number;

  constructor(private readonly wall: () => number, private readonly mono: () => number) {
    this.lastWall = wall();
    this.lastMono = mono();
  }

  /** How far the wall clock jumped since the last look (negative: back), or 0 when it kept pace. */
  step(): number {
    const wall = this.wall();
    const mono = this.mono();
    const jump = (wall - this.lastWall) - (mono - this.lastMono);
    this.lastWall = wall;
    this.lastMono = mono;
    return Math.abs(jump) >= TOLERANCE_MS ? jump : 0;
  }
}

// Whether the CMMS can be sent to right now. While it is down the outbox sends one health probe
// at backoff intervals instead of hammering it with every queued item; a Retry-After pauses all
// sending until it expires, because the server said so for the service, not for one request.
import type { ProbeResult } from '../cmms/types';
import { backoffDelay, type BackoffPolicy, type Failure } from './classify';
import type { LinkEvent, LinkState } from './types';

export class Link {
  state: LinkState = 'up';
  message = 'no failures';
  /** Resume time while paused, next probe time while down. */
  nextAt: number | null = null;
  /** Link-level request failures in a row. */
  private failures = 0;
  /**
   * Times the link went down, and probes that failed, since the last delivered item. They set the
   * probe backoff: a CMMS that answers probes but keeps failing real requests is probed (and
   * retried) less and less often instead of every couple of seconds.
   */
  private downs = 0;
  private probeFailures = 0;

  constructor(
    private readonly downAfter: number,
    private readonly policy: BackoffPolicy,
  ) {}

  snapshot(): LinkEvent {
    return { state: this.state, message: this.message, nextAt: this.nextAt };
  }

  /** The wall clock jumped by `ms`: the pause or the next probe stays as far away as it was. */
  shift(ms: number): void {
    if (this.nextAt !== null) this.nextAt += ms;
  }

  /** True when items may be sent now; a pause that has run out ends here. */
  open(now: number): boolean {
    if (this.state === 'paused' && this.nextAt !== null && now >= this.nextAt) this.set('up', 'pause over', null);
    return this.state === 'up';
  }

  /** The server answered something that is not a link failure: the way to it works. */
  reachable(): boolean {
    this.failures = 0;
    if (this.state === 'down') return this.set('up', 'the CMMS answered again', null);
    return false;
  }

  /** An item went through: the CMMS works, forget the history. */
  delivered(): boolean {
    this.downs = 0;
    this.probeFailures = 0;
    return this.reachable();
  }

  /** Returns true when the state changed. */
  failed(f: Failure, now: number): boolean {
    let changed = false;
    if (f.linkDown) {
      this.failures += 1;
      if (this.failures >= this.downAfter) {
        if (this.state !== 'down') this.downs += 1;
        const wait = Math.max(backoffDelay(this.downs + this.probeFailures, this.policy), f.retryAfterMs ?? 0);
        const at = Math.max(now + wait, this.state === 'down' && this.nextAt !== null ? this.nextAt : 0);
        changed = this.set('down', `the CMMS is unreachable: ${f.message}`, at);
      }
    } else {
      this.failures = 0;
    }
    if (f.retryAfterMs !== undefined && f.retryAfterMs > 0) {
      const until = now + f.retryAfterMs;
      if (this.state === 'down') {
        if (this.nextAt === null || this.nextAt < until) this.nextAt = until;
      } else if (this.state === 'up' || this.nextAt === null || this.nextAt < until) {
        changed = this.set('paused', `the CMMS asked to wait ${Math.ceil(f.retryAfterMs / 1000)} s: ${f.message}`, until) || changed;
      }
    }
    return changed;
  }

  /**
   * A probe says whether to resume. Only "unreachable" keeps the link down: an auth or other
   * error means the CMMS is there, so items go and fail (or succeed) on their own merits.
   */
  probed(r: ProbeResult, now: number): boolean {
    if (r.ok || (r.state !== 'unreachable' && r.state !== 'rate-limited')) {
      this.failures = 0;
      this.probeFailures = 0;
      return this.set('up', r.ok ? r.message : `probe: ${r.message}`, null);
    }
    if (r.state === 'rate-limited') {
      const wait = r.retryAfterMs ?? backoffDelay(1, this.policy);
      return this.set('paused', `rate-limited: ${r.message}`, now + wait);
    }
    this.probeFailures += 1;
    const wait = backoffDelay(Math.max(1, this.downs) + this.probeFailures, this.policy);
    this.set('down', `the CMMS is unreachable: ${r.message}`, now + wait);
    // Still down: the caller reschedules, but listeners need not hear it again.
    return false;
  }

  private set(state: LinkState, message: string, nextAt: number | null): boolean {
    const changed = state !== this.state;
    this.state = state;
    this.message = message;
    this.nextAt = nextAt;
    return changed;
  }
}

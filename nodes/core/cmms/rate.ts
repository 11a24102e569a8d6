// The request budget of one CMMS connection: a token bucket (sustained rate plus burst), a cap on
// requests in flight, and a "not before" time set by the CMMS itself (Retry-After and the vendors'
// reset headers). Every caller of one client shares one limiter, so an alarm storm and the outbox
// replaying a backlog cannot together exceed what the CMMS allows.

import { AsyncLocalStorage } from 'node:async_hooks';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Requests are served in the order the work they belong to began (issue 14 item 10). Each piece of
 * work takes a ticket when it starts: an outbox delivery attempt takes one as it is claimed (the
 * claim goes oldest item first), and its every request (the lookup, then the create) carries it
 * through this async context; a request outside any attempt (a health probe, an asset page, a
 * status poll) takes its own ticket when it asks. Slots and tokens go to the lowest ticket first,
 * so after an outage the whole backlog drains oldest first across assets even when the budget, not
 * the CMMS, is the bottleneck: an item's create goes before the lookup of an item claimed after
 * it. A retry is a new attempt with a new ticket: it queues behind requests already waiting (an
 * old item that failed does not jump the line of attempts begun before its retry), and nothing
 * waits for long behind a backlog it arrived after.
 */
const attemptTicket = new AsyncLocalStorage<number>();
let lastTicket = 0;

/** Runs `fn` as one piece of work: every request it makes is served in the order the work began. */
export function inRequestOrder<T>(fn: () => Promise<T>): Promise<T> {
  return attemptTicket.run(++lastTicket, fn);
}

interface Waiter {
  ticket: number;
  /** Set while the waiter waits for its turn with no timer of its own; called to hand the turn over. */
  wake: (() => void) | null;
}

function insertInOrder<T extends Waiter>(list: T[], w: T): void {
  let i = list.length;
  while (i > 0 && w.ticket < list[i - 1].ticket) i--;
  list.splice(i, 0, w);
}

interface RateLimits {
  perMinute: number;
  burst: number;
  concurrency: number;
}

export const DEFAULT_RATE: RateLimits = { perMinute: 60, burst: 10, concurrency: 4 };

/** A CMMS asking us to wait longer than this is misconfigured or lying; an hour covers ServiceNow's hourly rules. */
export const MAX_WAIT_MS = 60 * 60 * 1000;

export type HeaderBag = Record<string, string | string[] | number | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : String(v);
}

function capped(ms: number): number {
  return Math.min(Math.max(0, Math.ceil(ms)), MAX_WAIT_MS);
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return capped(Number(v) * 1000);
  // Only accept something that looks like a date, so "soon" or "-5" are not read as one.
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : capped(at - nowMs);
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Number(value);
}

// An epoch in seconds is above this; a "seconds until reset" never is.
const EPOCH_FLOOR_S = 1_000_000_000;

/**
 * How long the CMMS asked us to wait, from the headers of a 429 or 503, in this order:
 * Retry-After, ServiceNow's X-RateLimit-Reset (Unix seconds), MaintainX's X-Rate-Limit-Reset
 * (seconds until reset). The two "reset" headers mean different things, so each is read its own
 * way, with a guard for servers that send the other form.
 */
export function retryDelayFromHeaders(headers: HeaderBag, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const snReset = seconds(header(headers, 'x-ratelimit-reset'));
  if (snReset !== undefined) return capped(snReset >= EPOCH_FLOOR_S ? snReset * 1000 - nowMs : snReset * 1000);
  const mxReset = seconds(header(headers, 'x-rate-limit-reset'));
  if (mxReset !== undefined) return capped(mxReset >= EPOCH_FLOOR_S ? mxReset * 1000 - nowMs : mxReset * 1000);
  return undefined;
}

/**
 * When a successful response says the budget is spent (X-Rate-Limit-Remaining: 0, as MaintainX
 * sends before it starts answering 429), how long until it refills.
 */
export function exhaustedDelayFromHeaders(headers: HeaderBag, nowMs: number): number | undefined {
  const remaining = header(headers, 'x-rate-limit-remaining') ?? header(headers, 'x-ratelimit-remaining');
  if (remaining === undefined || seconds(remaining) !== 0) return undefined;
  const { 'retry-after': _ignored, ...rest } = headers;
  return retryDelayFromHeaders(rest, nowMs);
}

interface Permit {
  /** Gives the concurrency slot back; safe to call more than once. */
  release(): void;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

export class RateLimiter {
  private tokens: number;
  private refilledAt: number;
  private blockedUntil = 0;
  private active = 0;
  /** Waiting for a slot, lowest ticket first; `wake` hands the slot over. */
  private readonly queue: Waiter[] = [];
  /** Holding a slot and waiting for a token, lowest ticket first; only the head may take one. */
  private readonly tokenLine: Waiter[] = [];

  constructor(
    readonly limits: RateLimits,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    if (!(limits.perMinute > 0) || !(limits.burst >= 1) || !(limits.concurrency >= 1)) {
      throw new RangeError('rate: perMinute must be > 0, burst and concurrency at least 1');
    }
    this.tokens = limits.burst;
    this.refilledAt = now();
  }

  /** Requests in flight and waiting for a slot. */
  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** The time before which nothing may be sent, as asked by the CMMS (0 when none). */
  get notBefore(): number {
    return this.blockedUntil;
  }

  /** Nothing is sent before `atMs`. Later calls can only push the time out, never pull it in. */
  blockUntil(atMs: number): void {
    if (atMs > this.blockedUntil) this.blockedUntil = atMs;
  }

  /**
   * Waits for a slot, then for the CMMS's "not before" time, then for a token; both in ticket
   * order (see inRequestOrder).
   */
  async acquire(signal?: AbortSignal): Promise<Permit> {
    const me: Waiter = { ticket: attemptTicket.getStore() ?? ++lastTicket, wake: null };
    await this.takeSlot(me, signal);
    let released = false;
    const permit: Permit = {
      release: () => {
        if (released) return;
        released = true;
        this.releaseSlot();
      },
    };
    insertInOrder(this.tokenLine, me);
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        const now = this.now();
        this.refill(now);
        const wait = Math.max(this.blockedUntil - now, this.tokenWait());
        if (this.tokenLine[0] === me) {
          if (wait <= 0) {
            this.tokens -= 1;
            this.leaveTokenLine(me);
            return permit;
          }
        } else if (wait <= 0) {
          // A token is there but a lower ticket is in line: its own wait ends now too (or it
          // just arrived); it hands the turn on once it has taken its token.
          await this.waitTurn(me, signal);
          continue;
        }
        // Everyone sleeps out their own wait (a lower ticket arriving meanwhile is seen on waking),
        // so waits keep their timers and a turn handed over never needs one.
        await this.sleep(wait, signal);
      }
    } catch (e) {
      this.leaveTokenLine(me);
      permit.release();
      throw e;
    }
  }

  private waitTurn(me: Waiter, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        me.wake = null;
        reject(abortError(signal as AbortSignal));
      };
      me.wake = () => {
        me.wake = null;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Leaves the token line; a new head waiting for its turn (not on a timer) looks again now. */
  private leaveTokenLine(me: Waiter): void {
    const i = this.tokenLine.indexOf(me);
    if (i < 0) return;
    this.tokenLine.splice(i, 1);
    if (i === 0) this.tokenLine[0]?.wake?.();
  }

  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.limits.burst, this.tokens + (elapsed * this.limits.perMinute) / 60_000);
      this.refilledAt = now;
    }
  }

  private tokenWait(): number {
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) * 60_000) / this.limits.perMinute);
  }

  private takeSlot(me: Waiter, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.limits.concurrency) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { ticket: me.ticket, wake: null };
      const onAbort = (): void => {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        reject(abortError(signal as AbortSignal));
      };
      // The slot is handed over directly, so `active` never drops and rises again in between.
      w.wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      insertInOrder(this.queue, w);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaseSlot(): void {
    const next = this.queue.shift();
    if (next) next.wake?.();
    else this.active -= 1;
  }
}

/** A sleep on real timers that an AbortSignal can cut short. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

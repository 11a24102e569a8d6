// What to do after a failed CMMS call: pure decisions, no storage and no clock of their own.
import { isCmmsError, type CmmsError } from '../cmms/errors';
import type { DeadReason } from './types';

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  random: () => number;
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(cap, base·2^(n-1))] for the n-th failure.
 * Full jitter spreads the retries of many gateways that lost the same CMMS at the same moment.
 */
export function backoffDelay(failures: number, p: BackoffPolicy): number {
  const n = Math.max(1, Math.floor(failures));
  // 2^n overflows to Infinity long after the cap matters; Math.min handles that.
  const ceiling = Math.min(p.capMs, p.baseMs * 2 ** (n - 1));
  const r = Math.min(Math.max(p.random(), 0), 1);
  return Math.floor(r * ceiling);
}

/** The wait before the next try: the backoff, or the server's Retry-After when that is longer. */
export function retryDelay(failures: number, retryAfterMs: number | undefined, p: BackoffPolicy): number {
  const backoff = backoffDelay(failures, p);
  return retryAfterMs !== undefined && retryAfterMs > backoff ? retryAfterMs : backoff;
}

type ErrorClass = 'transient' | 'auth' | 'permanent' | 'conflict' | 'internal';

export interface Failure {
  errorClass: ErrorClass;
  message: string;
  status?: number;
  code?: string;
  retryAfterMs?: number;
  /** The request may have reached the CMMS: look the work order up before sending again. */
  ambiguous: boolean;
  /** Says the CMMS as a whole is out of reach (not just this one request). */
  linkDown: boolean;
}

/**
 * Network failures and 5xx mean the CMMS (or the way to it) is down; 429 and other 4xx concern
 * what we sent or how fast. ECLOSED is our own client shutting down, not the CMMS.
 */
function isLinkFailure(e: CmmsError): boolean {
  if (e.kind !== 'transient' || e.code === 'ECLOSED') return false;
  return e.status === undefined || e.status >= 500;
}

export function describeFailure(e: unknown): Failure {
  if (!isCmmsError(e)) {
    // A bug or an unexpected throw: keep the item (it is retried until the deadline) and say so.
    const message = scrubSecrets(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    return { errorClass: 'internal', message, ambiguous: true, linkDown: false };
  }
  const f: Failure = {
    errorClass: e.kind,
    message: scrubSecrets(e.message),
    ambiguous: e.ambiguous || e.kind === 'conflict',
    linkDown: isLinkFailure(e),
  };
  if (e.status !== undefined) f.status = e.status;
  if (e.code !== undefined) f.code = e.code;
  if (e.retryAfterMs !== undefined) f.retryAfterMs = e.retryAfterMs;
  return f;
}

interface ItemHistory {
  /** Delivery attempts so far, this one included. */
  attempts: number;
  /** Auth failures so far, this one included when it is one. */
  authFailures: number;
  /** This attempt already began with a lookup (or is not a create): a conflict needs a real wait. */
  lookedUp?: boolean;
}

export type Decision =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'dead'; reason: DeadReason };

export function decide(f: Failure, h: ItemHistory, authRetries: number, p: BackoffPolicy): Decision {
  switch (f.errorClass) {
    case 'permanent':
      // An answer we could not read (a garbled 2xx to a write) may mean the work order exists: never
      // a dead letter on that alone — look it up at once, then back off like any other failure.
      if (f.ambiguous) return { kind: 'retry', delayMs: h.lookedUp ? retryDelay(h.attempts, f.retryAfterMs, p) : 0 };
      return { kind: 'dead', reason: 'permanent' };
    case 'auth':
      if (h.authFailures >= authRetries) return { kind: 'dead', reason: 'auth' };
      return { kind: 'retry', delayMs: retryDelay(h.authFailures, f.retryAfterMs, p) };
    case 'conflict':
      // The CMMS says it already has this request: look it up straight away, once; if that
      // lookup did not find it (an index lagging behind), back off like any other failure.
      return { kind: 'retry', delayMs: h.lookedUp ? retryDelay(h.attempts, f.retryAfterMs, p) : 0 };
    default:
      return { kind: 'retry', delayMs: retryDelay(h.attempts, f.retryAfterMs, p) };
  }
}

const SECRET_PAIR = /\b(authorization|api[-_]?key|apikey|maxauth|token|access_token|password|secret|client_secret)\b("?\s*[:=]\s*)("[^"]*"|'[^']*'|(?:bearer\s+|basic\s+)?[^\s,;&"']+)/gi;

/** Audit rows and dead-letter reasons must never hold credentials, even if an error quoted one. */
export function scrubSecrets(text: string): string {
  return text.replace(SECRET_PAIR, (_m, key: string, sep: string) => `${key}${sep}***`);
}

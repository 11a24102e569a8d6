// One connection as the sidebar shows it: the state of the link and the outbox turned into one
// plant word (a message key the editor translates) with a level, plus the figures behind it. Pure:
// the adapter gathers health, metrics and the request meter and passes plain data in.
import type { HealthSnapshot } from '../cmms/health';
import type { LastError } from '../cmms/request-meter';

type SummaryLevel = 'ok' | 'warn' | 'bad' | 'idle';

interface ConnectionFigures {
  pending: number;
  inflight: number;
  dead: number;
  shadow: number;
  oldestPendingAgeMs: number | null;
}

export interface ConnectionInput {
  id: string;
  name: string;
  dialect: string | null;
  baseUrl: string | null;
  configErrors: string[];
  health: HealthSnapshot;
  /** Null while no mw-work-order has opened the outbox yet. */
  figures: ConnectionFigures | null;
  requestsLastMinute: number;
  budgetPerMinute: number | null;
  lastError: LastError | null;
}

export interface ConnectionSummary extends Omit<ConnectionInput, 'health' | 'configErrors'> {
  /** Message key under `health.` in the sidebar's catalogue. */
  words: string;
  level: SummaryLevel;
  state: HealthSnapshot['state'] | 'invalid';
  since: number;
  detail: string;
}

/** Work waiting longer than this while the CMMS answers is worth a look. */
export const SLOW_PENDING_MS = 10 * 60_000;

export function summarize(c: ConnectionInput): ConnectionSummary {
  const { health, configErrors, ...rest } = c;
  const f = c.figures;
  let words: string;
  let level: SummaryLevel;
  if (configErrors.length > 0) {
    words = 'invalid';
    level = 'bad';
  } else {
    switch (health.state) {
      case 'unauthorised': words = 'refused'; level = 'bad'; break;
      case 'unreachable': words = 'unreachable'; level = 'bad'; break;
      case 'error': words = 'error'; level = 'bad'; break;
      case 'rate-limited': words = 'busy'; level = 'warn'; break;
      case 'unknown': words = 'checking'; level = 'idle'; break;
      default:
        if (f && f.dead > 0) { words = 'dead'; level = 'warn'; }
        else if (f && f.oldestPendingAgeMs !== null && f.oldestPendingAgeMs > SLOW_PENDING_MS) { words = 'slow'; level = 'warn'; }
        else if (f && f.pending > 0) { words = 'sending'; level = 'ok'; }
        else { words = 'ok'; level = 'ok'; }
    }
  }
  return {
    ...rest, words, level, state: configErrors.length > 0 ? 'invalid' : health.state, since: health.since,
    detail: configErrors.length > 0 ? configErrors.join('; ') : health.message,
  };
}

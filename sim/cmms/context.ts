// What every dialect handler gets from the server, and what it must offer back.
import type { SimRequest, SimResponse } from './http';
import type { TokenStore } from './oauth';
import type { Random } from './random';
import type { WorkOrderStore } from './store';
import type { SimAsset, SimWorkOrder } from './types';

export interface SimContext {
  now(): number;
  random: Random;
  store: WorkOrderStore;
  tokens: TokenStore;
  assets: readonly SimAsset[];
  pageSizeMax: number;
  maintainxRateLimit: { limit: number; windowSec: number } | null;
  servicenowRateLimit: { perHour: number } | null;
  servicenowClientCredentials: boolean;
  restSigningSecret: string | null;
  referenceLength: { maximo: number; servicenow: number };
  /** Conveniences the real APIs lack (see CmmsSimOptions.lenient); off unless asked for. */
  lenient: boolean;
}

export interface DialectHandler {
  handle(req: SimRequest): SimResponse;
  /** The vendor's error answer for an injected status (500, 503, 429, 422, …). */
  error(status: number, message: string): SimResponse;
  /** The vendor's 401 answer. */
  unauthorized(): SimResponse;
  /** The work order as this vendor's API returns it (webhook payloads, the state endpoint). */
  wire(wo: SimWorkOrder, baseUrl: string): unknown;
  /** Forget dialect-private state (transaction ids, idempotency keys, rate windows). */
  reset(): void;
}

/** Standard reason phrases for injected statuses. */
export function reason(status: number): string {
  const phrases: Record<number, string> = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone',
    412: 'Precondition Failed', 413: 'Content Too Large', 422: 'Unprocessable Content', 429: 'Too Many Requests',
    500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
  };
  return phrases[status] ?? `HTTP ${status}`;
}

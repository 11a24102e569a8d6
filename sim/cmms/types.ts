// Public types of the CMMS simulator. Kept apart from index.ts so the dialect modules can share
// them without importing the server.

export type Dialect = 'maximo' | 'servicenow' | 'maintainx' | 'rest';
export const DIALECTS: readonly Dialect[] = ['maximo', 'servicenow', 'maintainx', 'rest'];

export type AssetStatus = 'OPERATING' | 'NOT READY' | 'DECOMMISSIONED';

/** One asset of the master data. Every dialect serves the same list in its own shape. */
export interface SimAsset {
  assetnum: string;
  siteid: string;
  orgid: string;
  /** SITE/AREA/LINE/UNIT, the same path the asset registry uses. */
  location: string;
  description: string;
  status: AssetStatus;
  assetClass?: string;
}

export type FaultKind =
  | 'status' | 'hang' | 'slow-body' | 'reset' | 'commit-then-drop' | 'expire-token'
  | 'garbage' | 'huge-body' | 'outage'
  /** Simulator extension: handle normally, answer after `delayMs`. */
  | 'latency';

export interface FaultSpec {
  /** Default: every dialect. */
  dialect?: Dialect;
  /** Default: every method. */
  method?: string;
  /** Default: every path. Matched against the path without the query string. */
  pathIncludes?: string;
  kind: FaultKind;
  /**
   * 'status': the status to answer (500, 503, 429, 422, …).
   * 'outage': 503 by default; 0 means "reset the connection" instead of answering.
   * 'garbage': overrides the real status.
   */
  status?: number;
  retryAfter?: { seconds: number } | { httpDate: number };
  /** Written as ServiceNow X-RateLimit-Reset (epoch s), MaintainX X-Rate-Limit-Reset (s left), else X-RateLimit-Reset. */
  resetHeader?: number;
  body?: string;
  contentType?: string;
  /** 'huge-body': how many bytes to send (default 5 MiB). */
  bytes?: number;
  /** 'slow-body': pause between chunks; 'latency': answer delay; any other kind: delay before acting. */
  delayMs?: number;
  /** How many matching requests it hits; default unlimited. */
  times?: number;
  /** 0..1 per matching request, drawn from the seeded generator; default 1. */
  probability?: number;
  /** 'outage': simulator-clock time (ms) when it ends; without it, it lasts until removed. */
  untilMs?: number;
}

export interface WebhookTarget {
  url: string;
  /**
   * 'maintainx': x-maintainx-webhook-*-signature, MaintainX payload; 'standard': Standard Webhooks;
   * 'servicenow': a business rule's JSON of the record, signed in x-millwright-signature (base64 HMAC);
   * 'maximo': a publish channel's lean work order with the shared secret in x-millwright-secret.
   */
  dialect: 'maintainx' | 'standard' | 'servicenow' | 'maximo';
  secret: string;
  /** Which work orders it reports; default: maintainx targets → maintainx, servicenow → servicenow, maximo → maximo, standard → all. */
  dialects?: Dialect[];
  /**
   * Delivery faults: 'delay' holds each delivery `delayMs` (default 2000) before the first attempt;
   * 'duplicate' sends each delivery twice; 'out-of-order' holds each delivery until the next one
   * for the same target has been sent.
   */
  fault?: 'delay' | 'duplicate' | 'out-of-order';
  delayMs?: number;
}

export interface CmmsSimOptions {
  port?: number;
  tls?: { key: string; cert: string };
  seed?: number;
  now?: () => number;
  tokenTtlSec?: number;
  pageSizeMax?: number;
  assets?: SimAsset[];
  webhooks?: WebhookTarget[];
  /** MaintainX per-token request window (100 per 60 s when `true`); off by default. */
  maintainxRateLimit?: boolean | { limit: number; windowSec: number };
  /** ServiceNow per-user hourly rule; off by default. */
  servicenowRateLimit?: { perHour: number };
  /** ServiceNow accepts grant_type=client_credentials (the instance property is set); default true. */
  servicenowClientCredentials?: boolean;
  /** When set, POST/PATCH bodies to /rest must carry a valid Standard Webhooks signature. */
  restSigningSecret?: string;
  /** Outgoing webhook retries: attempts in total (default 5), first delay (default 1000 ms, doubling). */
  webhookRetry?: { attempts?: number; baseMs?: number; timeoutMs?: number };
  /**
   * Reference field lengths: Maximo `externalrefid` (stock ALN 10; longer → 400 BMXAA4049E) and
   * ServiceNow `correlation_id` (max_length 100; longer is stored cut, so it is never found again).
   * Set them to what the customer's instance has.
   */
  referenceLength?: { maximo?: number; servicenow?: number };
  /**
   * Off by default. On, the simulator adds conveniences the real APIs do not have, for old tests
   * only: MaintainX `?externalData=` filter, `externalData`/`assetId` in list items, `/v1/users/me`,
   * 201 with the whole work order and unwrapped answers; ServiceNow reference fields resolved from
   * a name without `sysparm_input_display_value=true`. Never use it to make a client test pass.
   */
  lenient?: boolean;
  /** Largest accepted request body (default 1 MiB); larger → 413. */
  bodyLimitBytes?: number;
}

export interface SimWorkOrder {
  dialect: Dialect;
  id: string;
  /** Our reference (externalrefid, correlation_id, externalData, reference), or null. */
  ref: string | null;
  status: string;
  fields: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface RecordedRequest {
  /** Simulator-clock time (ms). */
  at: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Lower-case names; credentials replaced by "REDACTED" (the auth scheme is kept). */
  headers: Record<string, string>;
  /** Parsed JSON or form body (secret fields redacted), the raw text otherwise, null when empty. */
  body: unknown;
  /** 0 when no response was sent (hang, reset, commit-then-drop, stopped). */
  status: number;
  dialect: Dialect | null;
  /** The kind of fault that hit this request, if any. */
  fault?: FaultKind;
}

export interface WebhookDelivery {
  targetId: string;
  url: string;
  webhookId: string;
  attempt: number;
  at: number;
  /** HTTP status, or 0 on a network error / timeout. */
  status: number;
  error?: string;
}

export interface CmmsSim {
  url: string;
  stop(): Promise<void>;
  faults: { add(f: FaultSpec): string; clear(): void; remove(id: string): void; list(): (FaultSpec & { id: string })[] };
  webhooks: {
    add(w: WebhookTarget): string;
    remove(id: string): void;
    deliveries(): WebhookDelivery[];
    /** Resolves once no delivery is in flight or waiting to be retried. */
    idle(): Promise<void>;
  };
  requests(): RecordedRequest[];
  clearRequests(): void;
  workOrders(dialect?: Dialect): SimWorkOrder[];
  setStatus(dialect: Dialect, id: string, status: string): void;
  reset(): void;
}

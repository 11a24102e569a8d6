// The one interface every CMMS dialect implements. The mw-cmms config node and the durable outbox
// only ever see these types, never a vendor's field names or HTTP details.
import type { CmmsError } from './errors';

export type DialectName = 'maximo' | 'servicenow' | 'maintainx' | 'rest';

export type AuthConfig =
  | { kind: 'none' }
  /** Any named header; Maximo uses `apikey`. */
  | { kind: 'apikey'; header: string; key: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  /** Maximo 7.6 native sign-in: the `maxauth` header, base64 of user:password, on `/maximo/oslc`. */
  | { kind: 'maxauth'; username: string; password: string }
  /**
   * Client-credentials grant, or the password grant when `username` is set (ServiceNow's usual
   * registration). `tokenUrl` may be absolute or a path on `baseUrl`'s origin.
   */
  | { kind: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string; username?: string; password?: string };

export interface TlsConfig {
  /** Default true. Turning it off is for a lab bench only; the config node should say so. */
  rejectUnauthorized?: boolean;
  /** PEM of the CA (or bundle) that signed the CMMS's certificate. */
  ca?: string;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string;
  key?: string;
}

interface RateConfig {
  /** Sustained request budget; default 120 per minute. */
  perMinute?: number;
  /** Requests that may go out back to back after a quiet spell; default 10. */
  burst?: number;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
}

interface MaximoOptions {
  /** `api` (MAS 8/9, API keys; default) or `oslc` (7.6 native auth). */
  context?: 'api' | 'oslc';
  woObjectStructure?: string;
  assetObjectStructure?: string;
  /** Work-order attribute holding our event id; default `externalrefid`. */
  referenceAttribute?: string;
  siteId?: string;
  orgId?: string;
}

interface ServiceNowOptions {
  table?: string;
  assetTable?: string;
  referenceField?: string;
  /** Resolution code sent when resolving an incident (a data policy usually demands one); default "Solution provided". */
  closeCode?: string;
  /** Resolution notes sent when resolving without a note of our own. */
  closeNotes?: string;
}

interface MaintainXOptions {
  /** Sent as `x-organization-id`; needed for tokens that span several organisations. */
  organizationId?: string;
  /** How far back (by creation time) a reference lookup lists work orders; default 72 h. */
  lookbackHours?: number;
  /** Send `?skipWebhook=true` on creates (hides them from the customer's other integrations); default false. */
  skipWebhook?: boolean;
  /** Link a person can open for a work order, `{id}` replaced (e.g. the web app's page); none by default. */
  workOrderLink?: string;
}

interface RestOptions {
  createMethod?: 'POST' | 'PUT';
  /** Path templates on baseUrl; `{id}`, `{reference}`, `{since}` and `{limit}` (pageSize) are replaced, URI-encoded. */
  createPath?: string;
  updatePath?: string;
  getPath?: string;
  findPath?: string;
  changedPath?: string;
  assetsPath?: string;
  healthPath?: string;
  /** Extra static headers (never secrets: those belong in `auth`). */
  headers?: Record<string, string>;
  /** Default `Idempotency-Key`. */
  idempotencyHeader?: string;
  /** Standard Webhooks signing of the outgoing create body (`whsec_…` or a plain string). */
  signingSecret?: string;
  /** Turns the mapped body into the target's JSON (a JSONata expression, injected by the node). */
  renderBody?: (input: { body: Record<string, unknown>; reference: string }) => Promise<unknown>;
}

export interface CmmsConfig {
  dialect: DialectName;
  baseUrl: string;
  auth: AuthConfig;
  /** From the request being on the wire until the whole response has arrived; default 15000 ms. */
  timeoutMs?: number;
  /** From starting a request until the (TLS) connection is up; default 15000 ms. */
  connectTimeoutMs?: number;
  tls?: TlsConfig;
  /** `http(s)://[user:pass@]host:port`. Unset means no proxy (environment variables are not read). */
  proxy?: string;
  /** Responses larger than this are refused; default 5 MiB. */
  maxResponseBytes?: number;
  /** Items per page for list calls; default 100. */
  pageSize?: number;
  /**
   * Characters of the compact reference (base32 of SHA-256 of the event id) stored in the CMMS's
   * reference field; 8–51, default per dialect (Maximo 10, others 32). See reference.ts.
   */
  referenceLength?: number;
  rate?: RateConfig;
  maximo?: MaximoOptions;
  servicenow?: ServiceNowOptions;
  maintainx?: MaintainXOptions;
  rest?: RestOptions;
}

export type WorkOrderState = 'open' | 'in-progress' | 'on-hold' | 'done' | 'cancelled';

export interface WorkOrderRef {
  /** The id the CMMS's API uses: Maximo wonum, ServiceNow sys_id, MaintainX id, REST id. */
  id: string;
  /** Where the work order lives in the CMMS's API, when the CMMS says. */
  href: string | null;
  status?: string;
  /** The number people see when it differs from `id` (ServiceNow INC0010001). */
  displayId?: string;
  /** True when the CMMS already held a work order for this reference (replayed create). */
  existing?: boolean;
}

export interface CreateInput {
  /**
   * Our eventId. `createCmmsClient` turns it into the compact reference (reference.ts) before the
   * dialect sees it; the dialect stores that in its reference field.
   */
  reference: string;
  /** Dialect field names, already mapped. */
  body: Record<string, unknown>;
}

export interface WorkOrderChange {
  /** The CMMS's own priority value (Maximo 1–5, ServiceNow 1–5, MaintainX HIGH, …). */
  priority?: number | string;
  note?: string;
}

/**
 * `done` is the CMMS's "work complete" (Maximo COMP, ServiceNow Resolved, MaintainX DONE);
 * `closed` goes on to its final state where it has one (Maximo CLOSE, ServiceNow Closed; MaintainX
 * and REST have none, so DONE / done).
 */
export type SettableStatus = 'done' | 'closed' | 'cancelled' | 'in-progress';

export interface CmmsWorkOrder {
  id: string;
  href: string | null;
  reference: string | null;
  cmmsStatus: string;
  status: WorkOrderState;
  assetId: string | null;
  /** ISO 8601 with zone. */
  changedAt: string;
  displayId?: string;
}

export interface CmmsAsset {
  id: string;
  siteId: string | null;
  location: string | null;
  status: 'active' | 'inactive' | 'decommissioned';
  cmmsStatus: string;
  description?: string;
  /** The asset number people use, where `id` is an internal key (ServiceNow sys_id, MaintainX numeric id). */
  tag?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor (or URL) for the following page; null on the last one. */
  next: string | null;
}

export type ConnectionState = 'connected' | 'unauthorised' | 'unreachable' | 'rate-limited' | 'error';

export interface ProbeResult {
  ok: boolean;
  state: ConnectionState;
  message: string;
  latencyMs: number;
  /** e.g. the user the CMMS says we are. */
  detail?: string;
  /** When rate-limited: how long the CMMS asked us to wait. */
  retryAfterMs?: number;
}

export interface CmmsClient {
  readonly dialect: DialectName;
  createWorkOrder(input: CreateInput): Promise<WorkOrderRef>;
  updateWorkOrder(ref: WorkOrderRef, change: WorkOrderChange): Promise<void>;
  setStatus(ref: WorkOrderRef, status: SettableStatus, note?: string): Promise<void>;
  /**
   * Whether a note containing `marker` is already on the work order (Maximo work log, ServiceNow
   * work notes, MaintainX comments). The outbox asks after an ambiguous failure, before sending a
   * note again, because each of those CMMSs appends a second identical entry on a resend. Absent
   * where a resend cannot double a note (REST's JSON merge patch replaces the `note` field).
   */
  hasNote?(ref: WorkOrderRef, marker: string): Promise<boolean>;
  findByReference(reference: string): Promise<CmmsWorkOrder | null>;
  /**
   * The value the CMMS holds in its reference field for this event id (the compact reference), so
   * that a caller can tell whether a work order read by id is still ours. Set by createCmmsClient.
   */
  referenceFor?(eventId: string): string;
  getWorkOrder(ref: WorkOrderRef): Promise<CmmsWorkOrder>;
  listAssets(cursor?: string | null): Promise<Page<CmmsAsset>>;
  /** Work orders changed at or after the watermark, oldest first where the CMMS can sort. */
  listChangedSince(watermarkIso: string, cursor?: string | null): Promise<Page<CmmsWorkOrder>>;
  probe(): Promise<ProbeResult>;
  /** Cancels waiting requests and releases sockets and timers. */
  close(): void;
}

export type LogLevel = 'debug' | 'info' | 'warn';
export type Logger = (level: LogLevel, message: string) => void;

/**
 * Which request an outcome is about, for an audit trail: never headers, never a body. The client
 * always fills it in; it is optional only so that observers can be fed outcomes by hand.
 */
interface RequestSummary {
  method?: string;
  /** Path and query on the CMMS; secret-looking query values and the connection's secrets are replaced by `***`. */
  path?: string;
  /** When the request was asked for (ms, the client's clock); `latencyMs` runs from here, rate-budget wait included. */
  startedAt?: number;
}

/** What every request ended as; the health monitor and the outbox's audit log listen to these. */
export type RequestOutcome = RequestSummary & (
  | { ok: true; status: number; latencyMs: number }
  | { ok: false; error: CmmsError; latencyMs: number });

export interface ClientDeps {
  /** The wall clock: token lifetimes, HTTP dates, timestamps. Default Date.now. */
  now?: () => number;
  /**
   * A clock that never jumps, for the rate budget and Retry-After waits, so that setting the wall
   * clock neither stalls nor cuts them short. Default performance.now; when only `now` is given, `now`.
   */
  monotonic?: () => number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  log?: Logger;
  onOutcome?: (outcome: RequestOutcome) => void;
}

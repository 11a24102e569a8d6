// Turns what the editor stores for an mw-cmms node (strings and numbers, secrets kept apart in
// Node-RED credentials) into the client configuration, or into a list of problems a plant engineer
// can act on. Checked once at deploy, never on the message path.
import { compileValidator } from '../contracts/validate';
import type { AuthConfig, CmmsConfig, DialectName } from './types';
import { errorMessage } from '../error-message';
import { renameSettings, type Renames } from '../renamed-settings';

export const DIALECTS = ['maximo', 'servicenow', 'maintainx', 'rest'] as const;
const AUTH_KINDS = ['apikey', 'oauth2', 'bearer', 'basic', 'maxauth', 'none'] as const;

/** The node's saved properties (flow JSON). */
export interface CmmsNodeSettings {
  name?: string;
  dialect: DialectName;
  baseUrl: string;
  authType: (typeof AUTH_KINDS)[number];
  apiKeyHeader?: string;
  tokenUrl?: string;
  scope?: string;
  timeoutSeconds?: number | string;
  tlsVerify?: boolean;
  ca?: string;
  clientCert?: string;
  proxy?: string;
  maxResponseKB?: number | string;
  /** Characters of the compact reference; blank = the dialect's default (Maximo 10, others 32). */
  referenceLength?: number | string;
  ratePerMinute?: number | string;
  rateBurst?: number | string;
  concurrency?: number | string;
  probeIntervalSeconds?: number | string;
  /** Names saved by 0.1.0 (no unit spelled out); read by `migrate` when the new name is absent. */
  timeoutSec?: number | string;
  probeIntervalSec?: number | string;
  maximoContext?: 'api' | 'oslc';
  woObjectStructure?: string;
  assetObjectStructure?: string;
  referenceAttribute?: string;
  siteId?: string;
  orgId?: string;
  snTable?: string;
  snAssetTable?: string;
  snReferenceField?: string;
  mxOrganizationId?: string;
  /** MaintainX `?skipWebhook=true` on creates; off by default (it hides our work orders from other integrations). */
  mxSkipWebhook?: boolean;
  /** A link a person can open, `{id}` replaced; blank = no link. */
  mxWorkOrderLink?: string;
  /** ServiceNow resolution code and notes sent when resolving an incident. */
  snCloseCode?: string;
  snCloseNotes?: string;
  /** Items per page when reading the asset master (Maximo ≤ 1000, MaintainX ≤ 200); default 100. */
  assetPageSize?: number | string;
  restCreateMethod?: 'POST' | 'PUT';
  restCreatePath?: string;
  restUpdatePath?: string;
  restGetPath?: string;
  restFindPath?: string;
  restChangedPath?: string;
  restAssetsPath?: string;
  restHealthPath?: string;
  restHeaders?: string;
  restIdempotencyHeader?: string;
  restBodyExpression?: string;
  restSign?: boolean;
  /** Redundant gateways: `primary` (default) sends at once; `standby` waits, then looks up before sending. */
  gatewayRole?: 'primary' | 'standby' | '';
  /** How long a standby holds each item after queueing it; default 30. */
  standbyDelaySeconds?: number | string;
}

/** Secrets, stored by Node-RED in the encrypted credentials file, never in the flow. */
export interface CmmsCredentials {
  apiKey?: string;
  token?: string;
  username?: string;
  password?: string;
  clientId?: string;
  clientSecret?: string;
  clientKey?: string;
  signingSecret?: string;
}

interface CmmsNodeOptions {
  client: CmmsConfig;
  probeIntervalMs: number;
  /** Raised in the editor and the log, never blocking: basic auth, TLS checks off, plain http. */
  warnings: string[];
  /**
   * Secrets the sign-in needs but the credentials lack (only with `secretsOptional`): the
   * connection can then keep shadow records but must refuse live sends.
   */
  missingSecrets: string[];
  /** This gateway's part in a redundant pair, for the outbox (outbox/standby.ts). */
  redundancy: { role: 'primary' | 'standby'; standbyDelayMs: number };
}

export interface ParseOptions {
  /** Missing secrets are reported in `missingSecrets` instead of failing the parse. */
  secretsOptional?: boolean;
}

type ParseResult = { ok: true; value: CmmsNodeOptions } | { ok: false; errors: string[] };

const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
const numberish = (min: number, max: number) => ({
  anyOf: [{ type: 'number', minimum: min, maximum: max }, { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*$' }, { type: 'string', maxLength: 0 }],
}) as const;

const settingsSchema = {
  type: 'object',
  required: ['dialect', 'baseUrl', 'authType'],
  properties: {
    name: text(200),
    dialect: { enum: [...DIALECTS] },
    baseUrl: { type: 'string', minLength: 1, maxLength: 2000, pattern: '^https?://[^\\s/?#]+' },
    authType: { enum: [...AUTH_KINDS] },
    apiKeyHeader: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]*$' },
    tokenUrl: text(2000),
    scope: text(500),
    timeoutSeconds: numberish(1, 300),
    tlsVerify: { type: 'boolean' },
    ca: text(200_000),
    clientCert: text(200_000),
    proxy: text(2000),
    maxResponseKB: numberish(16, 512 * 1024),
    referenceLength: numberish(8, 51),
    ratePerMinute: numberish(1, 100_000),
    rateBurst: numberish(1, 10_000),
    concurrency: numberish(1, 64),
    probeIntervalSeconds: numberish(5, 3600),
    maximoContext: { enum: ['api', 'oslc'] },
    restCreateMethod: { enum: ['POST', 'PUT'] },
    restHeaders: text(10_000),
    restBodyExpression: text(50_000),
    restSign: { type: 'boolean' },
    mxSkipWebhook: { type: 'boolean' },
    mxWorkOrderLink: { type: 'string', maxLength: 2000, pattern: '^(\\s*|https?://\\S*\\{id\\}\\S*)$' },
    snCloseCode: text(40),
    snCloseNotes: text(4000),
    assetPageSize: numberish(1, 1000),
    // '' is what an editor that did not know the setting saves: a primary, as before.
    gatewayRole: { enum: ['primary', 'standby', ''] },
    standbyDelaySeconds: numberish(1, 3600),
  },
} as const;

/** Largest page each CMMS serves: Maximo's default mxe.oslc.maxpagesize, MaintainX's `limit` maximum. */
const MAX_PAGE_SIZE: Record<DialectName, number> = { maximo: 1000, servicenow: 1000, maintainx: 200, rest: 1000 };
/** Today's out-of-box incident resolution code ("Solved (Permanently)" is a legacy choice). */
const DEFAULT_CLOSE_CODE = 'Solution provided';
const DEFAULT_CLOSE_NOTES = 'Resolved by Millwright: the condition that raised this incident has cleared.';

/**
 * A standby's default hold: long enough for a primary that is up to get through a few quick
 * retries (2 s backoff, doubling), short next to how fast a technician reacts to a work order.
 */
const DEFAULT_STANDBY_DELAY_SECONDS = 30;

const validateSettings = compileValidator<CmmsNodeSettings>(settingsSchema, 'config');

function num(v: number | string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v.trim());
  return Number.isFinite(n) ? n : fallback;
}

const blank = (s: string | undefined): s is undefined => s === undefined || s.trim() === '';
const opt = (s: string | undefined): string | undefined => (blank(s) ? undefined : s.trim());

function authFrom(s: CmmsNodeSettings, c: CmmsCredentials, errors: string[], secrets: string[]): AuthConfig {
  switch (s.authType) {
    case 'none':
      return { kind: 'none' };
    case 'apikey':
      if (blank(c.apiKey)) secrets.push('the API key is empty');
      return { kind: 'apikey', header: opt(s.apiKeyHeader) ?? (s.dialect === 'maximo' ? 'apikey' : 'X-API-Key'), key: c.apiKey ?? '' };
    case 'bearer':
      if (blank(c.token)) secrets.push('the bearer token is empty');
      return { kind: 'bearer', token: c.token ?? '' };
    case 'basic':
      if (blank(c.username)) secrets.push('the user name is empty');
      return { kind: 'basic', username: c.username ?? '', password: c.password ?? '' };
    case 'maxauth':
      // Maximo 7.6 native sign-in: a `maxauth` header on /maximo/oslc (not offered by MAS 9).
      if (s.dialect !== 'maximo') errors.push('Maximo native sign-in (maxauth) is for Maximo connections only');
      if (blank(c.username)) errors.push('the user name is empty');
      return { kind: 'maxauth', username: c.username ?? '', password: c.password ?? '' };
    case 'oauth2': {
      if (blank(s.tokenUrl)) errors.push('the OAuth token URL is empty');
      if (blank(c.clientId) || blank(c.clientSecret)) secrets.push('the OAuth client ID or secret is empty');
      let tokenUrl = opt(s.tokenUrl) ?? '';
      // A relative token path (ServiceNow's /oauth_token.do) is resolved against the base URL.
      if (tokenUrl.startsWith('/')) tokenUrl = s.baseUrl.replace(/\/+$/, '') + tokenUrl;
      return {
        kind: 'oauth2', tokenUrl, clientId: c.clientId ?? '', clientSecret: c.clientSecret ?? '', scope: opt(s.scope),
        username: opt(c.username), password: blank(c.username) ? undefined : c.password,
      };
    }
  }
}

function headersFrom(raw: string | undefined, errors: string[]): Record<string, string> | undefined {
  if (blank(raw)) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) || typeof v !== 'string') throw new Error(`header "${k}" must be a name with a text value`);
      out[k] = v;
    }
    return out;
  } catch (e) {
    errors.push(`extra headers: ${errorMessage(e)}`);
    return undefined;
  }
}

/** Setting names of flows saved by 0.1.0 and their names today (units spelled out, issue 11). */
export const RENAMED: Renames = [['timeoutSec', 'timeoutSeconds'], ['probeIntervalSec', 'probeIntervalSeconds']];

/** A node config under today's setting names: a flow saved by 0.1.0 keeps its values (see renameSettings). */
export function migrate<T>(config: T): T {
  return renameSettings(config, RENAMED);
}

export function parseCmmsSettings(settings: unknown, credentials: CmmsCredentials = {}, options: ParseOptions = {}): ParseResult {
  const checked = validateSettings(migrate(settings));
  if (!checked.ok) return checked;
  const s = checked.value;
  const errors: string[] = [];
  const warnings: string[] = [];
  // Secrets are kept apart: a connection used only in shadow mode needs none of them.
  const secrets: string[] = [];
  const baseUrl = s.baseUrl.trim().replace(/\/+$/, '');
  const auth = authFrom({ ...s, baseUrl }, credentials, errors, secrets);

  if (s.authType === 'basic') warnings.push('basic');
  if (s.tlsVerify === false) warnings.push('tlsOff');
  if (baseUrl.startsWith('http://') && s.authType !== 'none') warnings.push('http');

  const client: CmmsConfig = {
    dialect: s.dialect,
    baseUrl,
    auth,
    timeoutMs: num(s.timeoutSeconds, 15) * 1000,
    connectTimeoutMs: num(s.timeoutSeconds, 15) * 1000,
    tls: {
      rejectUnauthorized: s.tlsVerify !== false,
      ca: opt(s.ca),
      cert: opt(s.clientCert),
      key: opt(credentials.clientKey),
    },
    proxy: opt(s.proxy),
    maxResponseBytes: num(s.maxResponseKB, 5120) * 1024,
    ...(String(s.referenceLength ?? '').trim() === '' ? {} : { referenceLength: num(s.referenceLength, 0) }),
    rate: { perMinute: num(s.ratePerMinute, 60), burst: num(s.rateBurst, 10), concurrency: num(s.concurrency, 4) },
    pageSize: num(s.assetPageSize, 100),
  };
  if ((client.pageSize ?? 100) > MAX_PAGE_SIZE[s.dialect]) {
    errors.push(`asset page size ${client.pageSize} is above what ${s.dialect} serves (${MAX_PAGE_SIZE[s.dialect]})`);
  }
  if (client.tls?.cert && !client.tls.key) errors.push('a client certificate needs its key (Security tab)');

  switch (s.dialect) {
    case 'maximo':
      client.maximo = {
        // maxauth is 7.6 native sign-in, which lives on /maximo/oslc only.
        context: s.authType === 'maxauth' ? 'oslc' : s.maximoContext ?? 'api',
        woObjectStructure: opt(s.woObjectStructure) ?? 'mxapiwodetail',
        assetObjectStructure: opt(s.assetObjectStructure) ?? 'mxapiasset',
        referenceAttribute: opt(s.referenceAttribute) ?? 'externalrefid',
        siteId: opt(s.siteId),
        orgId: opt(s.orgId),
      };
      break;
    case 'servicenow':
      client.servicenow = {
        table: opt(s.snTable) ?? 'incident',
        assetTable: opt(s.snAssetTable) ?? 'cmdb_ci',
        referenceField: opt(s.snReferenceField) ?? 'correlation_id',
        closeCode: opt(s.snCloseCode) ?? DEFAULT_CLOSE_CODE,
        closeNotes: opt(s.snCloseNotes) ?? DEFAULT_CLOSE_NOTES,
      };
      break;
    case 'maintainx':
      client.maintainx = { organizationId: opt(s.mxOrganizationId), skipWebhook: s.mxSkipWebhook === true, workOrderLink: opt(s.mxWorkOrderLink) };
      break;
    case 'rest':
      client.rest = {
        createMethod: s.restCreateMethod ?? 'POST',
        createPath: opt(s.restCreatePath),
        updatePath: opt(s.restUpdatePath),
        getPath: opt(s.restGetPath),
        findPath: opt(s.restFindPath),
        changedPath: opt(s.restChangedPath),
        assetsPath: opt(s.restAssetsPath),
        healthPath: opt(s.restHealthPath),
        headers: headersFrom(s.restHeaders, errors),
        idempotencyHeader: opt(s.restIdempotencyHeader),
        signingSecret: s.restSign ? opt(credentials.signingSecret) : undefined,
      };
      if (s.restSign && blank(credentials.signingSecret)) secrets.push('body signing is on but the signing secret is empty');
      break;
  }
  if (!options.secretsOptional) errors.push(...secrets);
  if (errors.length > 0) return { ok: false, errors };
  const missingSecrets = options.secretsOptional ? secrets : [];
  const redundancy = { role: s.gatewayRole === 'standby' ? 'standby' : 'primary', standbyDelayMs: num(s.standbyDelaySeconds, DEFAULT_STANDBY_DELAY_SECONDS) * 1000 } as const;
  return { ok: true, value: { client, probeIntervalMs: num(s.probeIntervalSeconds, 30) * 1000, warnings, missingSecrets, redundancy } };
}

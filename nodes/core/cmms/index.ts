// The CMMS client core: `createCmmsClient(config)` gives one object with the same methods for
// Maximo, ServiceNow, MaintainX and generic REST. Pure logic: no Node-RED; clock, sleep and
// logging are injected so the mw-cmms node and the tests decide them.
import { CmmsError } from './errors';
import { Connection } from './http';
import { createMaintainXClient } from './maintainx';
import { createMaximoClient } from './maximo';
import { createRestClient } from './rest';
import { checkReferenceLength, referenceLengthOf, withCompactReference } from './reference';
import { createServiceNowClient, serviceNowKind } from './servicenow';
import type { ClientDeps, CmmsClient, CmmsConfig, DialectName } from './types';

export * from './types';
export { CmmsError, isCmmsError, kindForStatus, parseVendorError, type CmmsErrorKind } from './errors';
export { HealthMonitor, runProbe, stateForError, type HealthListener, type HealthOptions, type HealthSnapshot, type HealthState, type HealthTimers } from './health';
export { parseRetryAfter, retryDelayFromHeaders, RateLimiter, DEFAULT_RATE } from './rate';
export { compactReference, referenceFor, DEFAULT_REFERENCE_LENGTH, MIN_REFERENCE_LENGTH, MAX_REFERENCE_LENGTH, referenceLengthOf } from './reference';
export { standardWebhookHeaders, standardWebhookSignature, verifyStandardWebhook } from './signing';

const DIALECT_LABELS: Record<DialectName, string> = {
  maximo: 'Maximo', servicenow: 'ServiceNow', maintainx: 'MaintainX', rest: 'REST',
};

function configError(message: string): CmmsError {
  return new CmmsError({ kind: 'permanent', code: 'EBADCONFIG', message });
}

/** Checks what would otherwise fail later and less clearly; returns the first problem found. */
export function checkConfig(config: CmmsConfig): string | null {
  if (!config || typeof config !== 'object') return 'no configuration given';
  if (!(config.dialect in DIALECT_LABELS)) return `unknown CMMS dialect "${String(config.dialect)}"`;
  let u: URL;
  try {
    u = new URL(config.baseUrl);
  } catch {
    return `base URL "${String(config.baseUrl)}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `base URL must start with http:// or https://, not ${u.protocol}`;
  if (u.username || u.password) return 'put credentials in the authentication settings, not in the base URL';
  for (const [name, v] of [['timeoutMs', config.timeoutMs], ['connectTimeoutMs', config.connectTimeoutMs], ['maxResponseBytes', config.maxResponseBytes], ['pageSize', config.pageSize]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) return `${name} must be a positive number`;
  }
  const refProblem = checkReferenceLength(config.referenceLength);
  if (refProblem) return refProblem;
  const auth = config.auth;
  if (!auth || typeof auth !== 'object') return 'no authentication settings';
  if (auth.kind === 'apikey' && (!auth.header || !auth.key)) return 'API key authentication needs a header name and a key';
  if (auth.kind === 'bearer' && !auth.token) return 'bearer authentication needs a token';
  if (auth.kind === 'basic' && !auth.username) return 'basic authentication needs a user name';
  if (auth.kind === 'maxauth' && !auth.username) return 'Maximo native sign-in needs a user name';
  if (auth.kind === 'maxauth' && config.dialect !== 'maximo') return 'Maximo native sign-in (maxauth) is for Maximo only';
  if (auth.kind === 'oauth2' && (!auth.tokenUrl || !auth.clientId || !auth.clientSecret)) return 'OAuth 2 needs a token URL, client id and client secret';
  return null;
}

export function createCmmsClient(config: CmmsConfig, deps: ClientDeps = {}): CmmsClient {
  const problem = checkConfig(config);
  if (problem) throw configError(problem);
  const conn = new Connection(config, DIALECT_LABELS[config.dialect], deps, config.dialect === 'servicenow' ? serviceNowKind : undefined);
  return withCompactReference(createDialect(conn, config), referenceLengthOf(config));
}

function createDialect(conn: Connection, config: CmmsConfig): CmmsClient {
  switch (config.dialect) {
    case 'maximo': return createMaximoClient(conn, config);
    case 'servicenow': return createServiceNowClient(conn, config);
    case 'maintainx': return createMaintainXClient(conn, config);
    case 'rest': return createRestClient(conn, config);
    default: {
      const never: never = config.dialect;
      throw configError(`unknown CMMS dialect "${String(never)}"`);
    }
  }
}

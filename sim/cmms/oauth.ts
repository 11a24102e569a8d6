// OAuth2 access tokens for ServiceNow (/oauth_token.do) and the generic REST target
// (/rest/oauth/token). Expiry follows the injected clock, so tests can jump past it.
import { formOrJson, json, type SimRequest, type SimResponse } from './http';
import type { Random } from './random';
import type { Dialect } from './types';

export const OAUTH_CLIENT = { id: 'sim-client', secret: 'sim-secret' };

interface Token {
  dialect: Dialect;
  expiresAt: number;
  kind: 'access' | 'refresh';
}

type TokenCheck = 'valid' | 'expired' | 'unknown';

export class TokenStore {
  private readonly tokens = new Map<string, Token>();

  constructor(
    private readonly random: Random,
    private readonly now: () => number,
    private readonly ttlSec: number,
  ) {}

  issue(dialect: Dialect, withRefresh: boolean): { access_token: string; refresh_token?: string; expires_in: number } {
    const access = this.random.hex(40);
    this.tokens.set(access, { dialect, expiresAt: this.now() + this.ttlSec * 1000, kind: 'access' });
    const out: { access_token: string; refresh_token?: string; expires_in: number } = { access_token: access, expires_in: this.ttlSec };
    if (withRefresh) {
      const refresh = this.random.hex(40);
      // Refresh tokens outlive access tokens, as on ServiceNow (100 days by default).
      this.tokens.set(refresh, { dialect, expiresAt: this.now() + 100 * 86400_000, kind: 'refresh' });
      out.refresh_token = refresh;
    }
    return out;
  }

  check(dialect: Dialect, token: string, kind: Token['kind'] = 'access'): TokenCheck {
    const t = this.tokens.get(token);
    if (!t || t.dialect !== dialect || t.kind !== kind) return 'unknown';
    return this.now() < t.expiresAt ? 'valid' : 'expired';
  }

  /** The 'expire-token' fault: every access token issued so far stops working. */
  expireAll(dialect?: Dialect): void {
    for (const t of this.tokens.values()) {
      if (t.kind === 'access' && (!dialect || t.dialect === dialect)) t.expiresAt = Number.NEGATIVE_INFINITY;
    }
  }

  clear(): void {
    this.tokens.clear();
  }
}

/** ServiceNow's /oauth_token.do: password and client_credentials grants, plus refresh_token. */
export function serviceNowTokenEndpoint(
  req: SimRequest,
  tokens: TokenStore,
  creds: { user: string; pass: string },
  clientCredentialsEnabled: boolean,
): SimResponse {
  if (req.method !== 'POST') return json(405, { error: 'invalid_request', error_description: 'POST required' });
  const form = formOrJson(req);
  // ServiceNow answers a bad client or bad user with 401 and this exact pair.
  const denied = json(401, { error_description: 'access_denied', error: 'server_error' });
  if (form.client_id !== OAUTH_CLIENT.id || form.client_secret !== OAUTH_CLIENT.secret) return denied;
  const grant = form.grant_type;
  if (grant === 'password') {
    if (form.username !== creds.user || form.password !== creds.pass) return denied;
    return json(200, { ...tokens.issue('servicenow', true), scope: 'useraccount', token_type: 'Bearer' });
  }
  if (grant === 'client_credentials') {
    if (!clientCredentialsEnabled) return denied;
    return json(200, { ...tokens.issue('servicenow', false), scope: 'useraccount', token_type: 'Bearer' });
  }
  if (grant === 'refresh_token') {
    if (tokens.check('servicenow', form.refresh_token ?? '', 'refresh') !== 'valid') return denied;
    return json(200, { ...tokens.issue('servicenow', false), scope: 'useraccount', token_type: 'Bearer' });
  }
  return json(400, { error_description: 'unsupported_grant_type', error: 'unsupported_grant_type' });
}

/** RFC 6749 §4.4 client credentials for the generic REST target. */
export function restTokenEndpoint(req: SimRequest, tokens: TokenStore): SimResponse {
  const noStore = { 'Cache-Control': 'no-store' };
  if (req.method !== 'POST') return json(405, { error: 'invalid_request', error_description: 'POST required' }, noStore);
  const form = formOrJson(req);
  let id = form.client_id;
  let secret = form.client_secret;
  // RFC 6749 §2.3.1 prefers the client in HTTP Basic; accept both.
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^basic\s+(.+)$/i.exec(auth) : null;
  if (m) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    id = decodeURIComponent(decoded.slice(0, i));
    secret = decodeURIComponent(decoded.slice(i + 1));
  }
  if (form.grant_type !== 'client_credentials') {
    return json(400, { error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' }, noStore);
  }
  if (id !== OAUTH_CLIENT.id || secret !== OAUTH_CLIENT.secret) {
    return json(401, { error: 'invalid_client', error_description: 'client authentication failed' },
      { ...noStore, 'WWW-Authenticate': 'Basic realm="sim"' });
  }
  return json(200, { ...tokens.issue('rest', false), token_type: 'Bearer', scope: 'workorders' }, noStore);
}

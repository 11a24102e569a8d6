// Credentials for one connection. Static schemes just add a header; OAuth 2 keeps one access
// token, refreshes it shortly before it expires, and makes concurrent callers share a single
// in-flight token request so an alarm storm does not become a token storm.
import { CmmsError, kindForStatus, parseVendorError } from './errors';
import type { HeaderBag } from './rate';
import type { AuthConfig } from './types';

type AuthHeaders = Record<string, string>;

/** Posts a form to the token endpoint (through the connection's transport: same TLS, proxy, timeouts). */
export type TokenPost = (
  url: string,
  form: URLSearchParams,
  signal?: AbortSignal,
) => Promise<{ status: number; data: unknown; headers: HeaderBag }>;

export interface AuthProvider {
  /** Headers for the next request, fetching a token first when needed. */
  headers(signal?: AbortSignal): Promise<AuthHeaders>;
  /**
   * The CMMS answered 401 to a request sent with `used`. Returns true when asking again with
   * fresh credentials can help (only for OAuth 2; a fixed key stays wrong).
   */
  rejected(used: AuthHeaders): boolean;
  /** Every secret value this provider knows, so messages and logs can be scrubbed. */
  secrets(): string[];
}

/** Refresh this long before expiry: a tenth of the lifetime, at most a minute. */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(60_000, Math.floor(lifetimeMs / 10));
}

/** Used when the token endpoint gives no `expires_in`; a 401 still forces a refresh sooner. */
const DEFAULT_TOKEN_LIFETIME_MS = 3600_000;

class StaticAuth implements AuthProvider {
  constructor(private readonly fixed: AuthHeaders, private readonly secretValues: string[]) {}
  async headers(): Promise<AuthHeaders> {
    return { ...this.fixed };
  }
  rejected(): boolean {
    return false;
  }
  secrets(): string[] {
    return this.secretValues;
  }
}

interface Token {
  value: string;
  refreshAt: number;
}

class OAuth2Auth implements AuthProvider {
  private token: Token | undefined;
  private previous: string | undefined;
  private inflight: Promise<Token> | undefined;

  constructor(
    private readonly cfg: Extract<AuthConfig, { kind: 'oauth2' }>,
    private readonly tokenUrl: string,
    private readonly post: TokenPost,
    private readonly now: () => number,
  ) {}

  async headers(signal?: AbortSignal): Promise<AuthHeaders> {
    const token = this.token && this.now() < this.token.refreshAt ? this.token : await this.refresh(signal);
    return { Authorization: `Bearer ${token.value}` };
  }

  rejected(used: AuthHeaders): boolean {
    // Only forget the token that was refused; another caller may already hold a newer one.
    if (this.token && used.Authorization === `Bearer ${this.token.value}`) this.token = undefined;
    return true;
  }

  secrets(): string[] {
    const out = [this.cfg.clientSecret];
    if (this.cfg.password) out.push(this.cfg.password);
    if (this.token) out.push(this.token.value);
    if (this.previous) out.push(this.previous);
    return out;
  }

  private refresh(signal?: AbortSignal): Promise<Token> {
    if (!this.inflight) {
      // The signal is the connection's close signal, shared by every caller, so one caller
      // giving up cannot cancel the token the others are waiting for.
      this.inflight = this.fetchToken(signal).finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetchToken(signal?: AbortSignal): Promise<Token> {
    const form = new URLSearchParams();
    if (this.cfg.username !== undefined) {
      form.set('grant_type', 'password');
      form.set('username', this.cfg.username);
      form.set('password', this.cfg.password ?? '');
    } else {
      form.set('grant_type', 'client_credentials');
    }
    form.set('client_id', this.cfg.clientId);
    form.set('client_secret', this.cfg.clientSecret);
    if (this.cfg.scope) form.set('scope', this.cfg.scope);

    const started = this.now();
    const res = await this.post(this.tokenUrl, form, signal);
    const body = res.data !== null && typeof res.data === 'object' ? (res.data as Record<string, unknown>) : {};
    if (res.status < 200 || res.status >= 300) {
      const vendor = parseVendorError(res.data);
      // A refused grant (400 invalid_client / invalid_grant) is a credentials problem, not a bad request.
      const kind = res.status === 400 || res.status === 401 || res.status === 403 ? 'auth' : kindForStatus(res.status);
      throw new CmmsError({
        kind,
        status: res.status,
        vendorCode: vendor.vendorCode,
        message: `OAuth token request refused (HTTP ${res.status})${vendor.message ? `: ${vendor.message}` : ''}`,
      });
    }
    const value = typeof body.access_token === 'string' ? body.access_token : '';
    if (value === '') {
      throw new CmmsError({ kind: 'auth', status: res.status, message: 'OAuth token endpoint answered without an access_token' });
    }
    const expiresIn = Number(body.expires_in);
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_TOKEN_LIFETIME_MS;
    // Measured from when we asked, so time spent waiting for the answer counts against the token.
    const token = { value, refreshAt: started + lifetime - refreshMargin(lifetime) };
    if (this.token) this.previous = this.token.value;
    this.token = token;
    return token;
  }
}

export function createAuth(cfg: AuthConfig, baseUrl: string, post: TokenPost, now: () => number): AuthProvider {
  switch (cfg.kind) {
    case 'none':
      return new StaticAuth({}, []);
    case 'apikey':
      return new StaticAuth({ [cfg.header]: cfg.key }, [cfg.key]);
    case 'bearer':
      return new StaticAuth({ Authorization: `Bearer ${cfg.token}` }, [cfg.token]);
    case 'basic': {
      const encoded = Buffer.from(`${cfg.username}:${cfg.password}`, 'utf8').toString('base64');
      return new StaticAuth({ Authorization: `Basic ${encoded}` }, [cfg.password, encoded]);
    }
    case 'maxauth': {
      // Maximo 7.6 native authentication: `maxauth: base64(user:password)` on every request (IBM,
      // Maximo REST API guide, "Authentication": native authentication with the maxauth header).
      const encoded = Buffer.from(`${cfg.username}:${cfg.password}`, 'utf8').toString('base64');
      return new StaticAuth({ maxauth: encoded }, [cfg.password, encoded]);
    }
    case 'oauth2':
      return new OAuth2Auth(cfg, new URL(cfg.tokenUrl, baseUrl).toString(), post, now);
    default: {
      const never: never = cfg;
      throw new Error(`unknown auth kind ${(never as { kind: string }).kind}`);
    }
  }
}

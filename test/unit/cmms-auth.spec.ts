import assert from 'node:assert/strict';
import type http from 'node:http';
import util from 'node:util';
import { createAuth, refreshMargin } from '../../nodes/core/cmms/auth';
import { CmmsError } from '../../nodes/core/cmms/errors';
import { Connection } from '../../nodes/core/cmms/http';
import type { AuthConfig, CmmsConfig } from '../../nodes/core/cmms/types';
import { json, startServer, type TestServer } from './cmms-server';

const SECRETS = {
  clientSecret: 'cs-Vx81-secret-value',
  password: 'pw-Q9z7-secret-value',
  apiKey: 'key-M3n4-secret-value',
};

async function failure(p: Promise<unknown>): Promise<CmmsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CmmsError, `expected a CmmsError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a failure');
}

/** An OAuth server: /token issues numbered tokens; /api accepts only the newest unless told otherwise. */
interface OAuthServer extends TestServer {
  tokenRequests: URLSearchParams[];
  issued: string[];
  revokeAll(): void;
}

async function startOAuthServer(opts: { expiresIn?: number; tokenStatus?: number; tokenDelayMs?: number; apiAlways401?: boolean; echoAuth?: boolean } = {}): Promise<OAuthServer> {
  const tokenRequests: URLSearchParams[] = [];
  const issued: string[] = [];
  const valid = new Set<string>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    if (req.url === '/oauth/token') {
      const form = new URLSearchParams(body);
      tokenRequests.push(form);
      const answer = (): void => {
        if (opts.tokenStatus) {
          json(res, opts.tokenStatus, { error: 'invalid_client', error_description: `client ${form.get('client_id')} with secret ${form.get('client_secret')} refused` });
          return;
        }
        const token = `at-${issued.length + 1}-opaque-token-value`;
        issued.push(token);
        valid.add(token);
        json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: opts.expiresIn ?? 3600, scope: 'useraccount' });
      };
      if (opts.tokenDelayMs) setTimeout(answer, opts.tokenDelayMs);
      else answer();
      return;
    }
    const auth = String(req.headers.authorization ?? '');
    const token = auth.replace(/^Bearer /, '');
    if (opts.apiAlways401 || !valid.has(token)) {
      json(res, 401, { error: { message: 'User Not Authenticated', detail: opts.echoAuth ? `got ${auth}` : 'Required to provide Auth information' }, status: 'failure' });
      return;
    }
    json(res, 200, { result: [] });
  };
  const s = await startServer(handler);
  return Object.assign(s, { tokenRequests, issued, revokeAll: () => valid.clear() });
}

function oauth(extra: Partial<Extract<AuthConfig, { kind: 'oauth2' }>> = {}): AuthConfig {
  return { kind: 'oauth2', tokenUrl: '/oauth/token', clientId: 'sim-client', clientSecret: SECRETS.clientSecret, ...extra };
}

describe('cmms auth', () => {
  let server: TestServer | undefined;
  let conn: Connection | undefined;
  afterEach(async () => {
    conn?.close();
    conn = undefined;
    await server?.close();
    server = undefined;
  });

  function connect(url: string, auth: AuthConfig, deps = {}, extra: Partial<CmmsConfig> = {}): Connection {
    conn = new Connection({ dialect: 'servicenow', baseUrl: url, auth, rate: { concurrency: 50, burst: 100, perMinute: 100_000 }, ...extra }, 'ServiceNow', deps);
    return conn;
  }

  describe('static schemes', () => {
    it('API key in the named header, basic and bearer', async () => {
      server = await startServer((_req, res) => json(res, 200, {}));
      const cases: Array<[AuthConfig, string, string]> = [
        [{ kind: 'apikey', header: 'apikey', key: SECRETS.apiKey }, 'apikey', SECRETS.apiKey],
        [{ kind: 'basic', username: 'admin', password: SECRETS.password }, 'authorization', `Basic ${Buffer.from(`admin:${SECRETS.password}`).toString('base64')}`],
        [{ kind: 'bearer', token: 'tok-abc-123' }, 'authorization', 'Bearer tok-abc-123'],
      ];
      for (const [auth, header, value] of cases) {
        const c = new Connection({ dialect: 'rest', baseUrl: server.url, auth }, 'REST');
        await c.send({ method: 'GET', url: `${server.url}/x` });
        c.close();
        assert.equal(server.seen.at(-1)?.headers[header], value);
      }
      const none = new Connection({ dialect: 'rest', baseUrl: server.url, auth: { kind: 'none' } }, 'REST');
      await none.send({ method: 'GET', url: `${server.url}/x` });
      none.close();
      assert.equal(server.seen.at(-1)?.headers.authorization, undefined);
    });

    it('a 401 with a fixed key is an auth error after exactly one request', async () => {
      server = await startServer((_req, res) => json(res, 401, { Error: { reasonCode: 'BMXAA7901E', message: 'BMXAA7901E - You cannot log in at this time.', statusCode: '401' } }));
      const c = connect(server.url, { kind: 'apikey', header: 'apikey', key: SECRETS.apiKey });
      const e = await failure(c.send({ method: 'GET', url: `${server.url}/maximo/api/whoami` }));
      assert.equal(e.kind, 'auth');
      assert.equal(e.vendorCode, 'BMXAA7901E');
      assert.equal(server.seen.length, 1);
    });
  });

  describe('OAuth 2', () => {
    it('client credentials: form-encoded grant, token reused while valid', async () => {
      const s = await startOAuthServer();
      server = s;
      const c = connect(s.url, oauth({ scope: 'useraccount' }));
      for (let i = 0; i < 3; i++) await c.send({ method: 'GET', url: `${s.url}/api` });
      assert.equal(s.tokenRequests.length, 1);
      const form = s.tokenRequests[0];
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('client_id'), 'sim-client');
      assert.equal(form.get('client_secret'), SECRETS.clientSecret);
      assert.equal(form.get('scope'), 'useraccount');
      const tokenCall = s.seen.find((r) => r.url === '/oauth/token');
      assert.equal(tokenCall?.headers['content-type'], 'application/x-www-form-urlencoded');
    });

    it('password grant when a user name is given', async () => {
      const s = await startOAuthServer();
      server = s;
      const c = connect(s.url, oauth({ username: 'admin', password: SECRETS.password }));
      await c.send({ method: 'GET', url: `${s.url}/api` });
      const form = s.tokenRequests[0];
      assert.equal(form.get('grant_type'), 'password');
      assert.equal(form.get('username'), 'admin');
      assert.equal(form.get('password'), SECRETS.password);
    });

    it('50 concurrent first requests share one token request', async () => {
      const s = await startOAuthServer({ tokenDelayMs: 30 });
      server = s;
      const c = connect(s.url, oauth());
      await Promise.all(Array.from({ length: 50 }, () => c.send({ method: 'GET', url: `${s.url}/api` })));
      assert.equal(s.tokenRequests.length, 1);
      assert.equal(s.seen.filter((r) => r.url === '/api').length, 50);
    });

    it('refreshes before expiry (expires_in minus the margin) on the injected clock', async () => {
      let now = Date.parse('2026-03-01T10:00:00Z');
      const s = await startOAuthServer({ expiresIn: 600 });
      server = s;
      const c = connect(s.url, oauth(), { now: () => now });
      await c.send({ method: 'GET', url: `${s.url}/api` });
      const margin = refreshMargin(600_000);
      assert.equal(margin, 60_000);
      now += 600_000 - margin - 1;
      await c.send({ method: 'GET', url: `${s.url}/api` });
      assert.equal(s.tokenRequests.length, 1, 'still valid one millisecond before the refresh point');
      now += 1;
      await c.send({ method: 'GET', url: `${s.url}/api` });
      assert.equal(s.tokenRequests.length, 2, 'refreshed at expiry minus margin');
      assert.equal(s.seen.at(-1)?.headers.authorization, `Bearer ${s.issued[1]}`);
    });

    it('a 401 (token revoked server-side) gets one new token and one retry', async () => {
      const s = await startOAuthServer();
      server = s;
      const c = connect(s.url, oauth());
      await c.send({ method: 'GET', url: `${s.url}/api` });
      s.revokeAll();
      const res = await c.send({ method: 'GET', url: `${s.url}/api` });
      assert.equal(res.status, 200);
      assert.equal(s.tokenRequests.length, 2);
      assert.deepEqual(s.seen.filter((r) => r.url === '/api').map((r) => r.headers.authorization), [
        `Bearer ${s.issued[0]}`, `Bearer ${s.issued[0]}`, `Bearer ${s.issued[1]}`,
      ]);
    });

    it('concurrent 401s after a revocation still fetch only one new token', async () => {
      const s = await startOAuthServer({ tokenDelayMs: 20 });
      server = s;
      const c = connect(s.url, oauth());
      await c.send({ method: 'GET', url: `${s.url}/api` });
      s.revokeAll();
      await Promise.all(Array.from({ length: 20 }, () => c.send({ method: 'GET', url: `${s.url}/api` })));
      assert.equal(s.tokenRequests.length, 2);
    });

    it('a second 401 after re-auth is an auth error (no loop)', async () => {
      const s = await startOAuthServer({ apiAlways401: true });
      server = s;
      const c = connect(s.url, oauth());
      const e = await failure(c.send({ method: 'GET', url: `${s.url}/api` }));
      assert.equal(e.kind, 'auth');
      assert.equal(e.status, 401);
      assert.match(e.message, /User Not Authenticated/);
      assert.equal(s.seen.filter((r) => r.url === '/api').length, 2);
      assert.equal(s.tokenRequests.length, 2);
    });

    it('a refused token request is an auth error with the server explanation', async () => {
      const s = await startOAuthServer({ tokenStatus: 401 });
      server = s;
      const c = connect(s.url, oauth());
      const e = await failure(c.send({ method: 'GET', url: `${s.url}/api` }));
      assert.equal(e.kind, 'auth');
      assert.equal(e.vendorCode, 'invalid_client');
      assert.match(e.message, /OAuth token request refused \(HTTP 401\): invalid_client: client sim-client with secret \*\*\* refused/);
      assert.equal(s.seen.filter((r) => r.url === '/api').length, 0);
    });

    it('an answer without access_token is an auth error', async () => {
      server = await startServer((_req, res) => json(res, 200, { token_type: 'Bearer' }));
      const c = connect(server.url, oauth());
      const e = await failure(c.send({ method: 'GET', url: `${server.url}/api` }));
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /without an access_token/);
    });

    it('resolves a relative token URL against the base URL origin', () => {
      const calls: string[] = [];
      const auth = createAuth(oauth({ tokenUrl: '/oauth_token.do' }), 'https://dev1234.service-now.com/some/path', async (url) => {
        calls.push(url);
        return { status: 200, headers: {}, data: { access_token: 'x', expires_in: 60 } };
      }, Date.now);
      return auth.headers().then((h) => {
        assert.equal(h.Authorization, 'Bearer x');
        assert.deepEqual(calls, ['https://dev1234.service-now.com/oauth_token.do']);
      });
    });
  });

  describe('secrets never leak', () => {
    it('no spelling of a secret leaks: URL-encoded, form-encoded, JSON-escaped, base64 in a Basic header (issue 12, item 6)', async () => {
      // A secret with the characters that encodings change: + / = & space and a quote.
      const secret = 'cs+Vx/81=&sec ret"value';
      const logs: string[] = [];
      // A token endpoint that echoes its whole request (headers and raw form body) in its error.
      server = await startServer((req, res, body) => json(res, 400, {
        error: 'invalid_request',
        error_description: `got ${JSON.stringify(req.headers)} body ${body} json ${JSON.stringify({ s: secret })} b64 ${Buffer.from(`sim-client:${secret}`).toString('base64')} ${Buffer.from(`x${secret}`).toString('base64')} lower ${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
      }));
      const c = connect(server.url, oauth({ clientSecret: secret }), { log: (_l: string, m: string) => logs.push(m) });
      const e = await failure(c.send({ method: 'GET', url: `${server.url}/api` }));
      const texts = [e.message, util.inspect(e), JSON.stringify(e), ...logs];
      const spellings = [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), new URLSearchParams({ s: secret }).toString().slice(2),
        JSON.stringify(secret).slice(1, -1), Buffer.from(`sim-client:${secret}`).toString('base64').slice(4, -4), Buffer.from(`x${secret}`).toString('base64').slice(4, -4)];
      for (const t of texts) for (const sp of spellings) assert.equal(t.includes(sp), false, `"${sp}" found in: ${t}`);
      assert.match(e.message, /invalid_request/, 'the server answer reached the message (redacted, not dropped)');
      assert.ok(server.seen.some((r) => r.body.includes(encodeURIComponent(secret).slice(0, 10))), 'the secret really was sent form-encoded');
      // Echoed bodies are capped in messages.
      assert.ok(e.message.length < 600, `message of ${e.message.length} characters`);
    });

    it('not in error messages, inspect output, JSON or logs, even when the server echoes them', async () => {
      const s = await startOAuthServer({ apiAlways401: true, echoAuth: true });
      server = s;
      const logs: string[] = [];
      const c = connect(s.url, oauth({ username: 'admin', password: SECRETS.password }), { log: (_l: string, m: string) => logs.push(m) });
      const e = await failure(c.send({ method: 'GET', url: `${s.url}/api` }));
      const refused = await startOAuthServer({ tokenStatus: 400 });
      const c2 = new Connection({ dialect: 'servicenow', baseUrl: refused.url, auth: oauth() }, 'ServiceNow', { log: (_l: string, m: string) => logs.push(m) });
      const e2 = await failure(c2.send({ method: 'GET', url: `${refused.url}/api` }));
      c2.close();
      await refused.close();
      const texts = [e.message, util.inspect(e), JSON.stringify(e), e2.message, util.inspect(e2), JSON.stringify(e2), ...logs];
      const secrets = [SECRETS.clientSecret, SECRETS.password, ...s.issued];
      assert.ok(s.issued.length > 0);
      for (const t of texts) for (const secret of secrets) assert.equal(t.includes(secret), false, `"${secret}" found in: ${t}`);
      assert.match(e.message, /got Bearer \*\*\*/, 'the echoed token was scrubbed, not dropped silently');
    });
  });
});

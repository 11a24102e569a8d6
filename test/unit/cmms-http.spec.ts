import assert from 'node:assert/strict';
import type http from 'node:http';
import { Connection, fillPath, joinUrl, onOrigin, withQuery, type ApiRequest } from '../../nodes/core/cmms/http';
import type { CmmsConfig, RequestOutcome } from '../../nodes/core/cmms/types';
import { json, startServer, startSilentServer, type TestServer } from './cmms-server';
import { failure } from '../support/wait';

function config(baseUrl: string, extra: Partial<CmmsConfig> = {}): CmmsConfig {
  return { dialect: 'rest', baseUrl, auth: { kind: 'bearer', token: 'tok-very-secret' }, ...extra };
}

/** A clock that moves only when the client sleeps, so rate waits are exact and instant. */
function fakeClock() {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const sleeps: number[] = [];
  return { now: () => now, sleeps, sleep: async (ms: number) => { sleeps.push(ms); now += ms; } };
}

describe('cmms http connection', () => {
  let server: TestServer | undefined;
  let conn: Connection | undefined;
  afterEach(async () => {
    conn?.close();
    conn = undefined;
    await server?.close();
    server = undefined;
  });

  async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void, extra: Partial<CmmsConfig> = {}, deps = {}) {
    server = await startServer(handler);
    conn = new Connection(config(server.url, extra), 'Test', deps);
    return { server, conn };
  }

  const get = (url: string, more: Partial<ApiRequest> = {}): ApiRequest => ({ method: 'GET', url, ...more });

  describe('url helpers', () => {
    it('encodes path parameters so an id cannot change the path', () => {
      assert.equal(fillPath('/workorders/{id}/status', { id: '../a/b?c=1#x y' }), '/workorders/..%2Fa%2Fb%3Fc%3D1%23x%20y/status');
      assert.equal(fillPath('/x?ref={reference}&u={unknown}', { reference: 'a&b=c' }), '/x?ref=a%26b%3Dc&u={unknown}');
    });
    it('joins and queries', () => {
      assert.equal(joinUrl('http://h/base/', '/os/x'), 'http://h/base/os/x');
      assert.equal(withQuery('http://h/p?a=1', { b: 'x y', c: undefined, d: 2 }), 'http://h/p?a=1&b=x+y&d=2');
    });
    it('moves links the CMMS hands us onto our own origin', () => {
      assert.equal(onOrigin('https://internal-maximo:9443/maximo/api/os/mxapiasset?pageno=2', 'http://127.0.0.1:8090/'), 'http://127.0.0.1:8090/maximo/api/os/mxapiasset?pageno=2');
      assert.equal(onOrigin('/api/now/table/x?sysparm_offset=10', 'http://127.0.0.1:1/'), 'http://127.0.0.1:1/api/now/table/x?sysparm_offset=10');
      assert.equal(onOrigin('http://evil.example/steal', 'https://cmms.example/'), 'https://cmms.example/steal');
    });
  });

  it('sends JSON with auth, accept and user agent headers and parses the answer', async () => {
    const { server: s, conn: c } = await serve((_req, res) => json(res, 201, { id: 'WO-1' }));
    const res = await c.send({ method: 'POST', url: `${s.url}/workorders`, body: { title: 'x' } });
    assert.equal(res.status, 201);
    assert.deepEqual(res.data, { id: 'WO-1' });
    const seen = s.seen[0];
    assert.equal(seen.headers.authorization, 'Bearer tok-very-secret');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers.accept, 'application/json');
    assert.match(String(seen.headers['user-agent']), /^Millwright/);
    assert.deepEqual(JSON.parse(seen.body), { title: 'x' });
  });

  it('sends a string body byte for byte (it may be signed)', async () => {
    const { server: s, conn: c } = await serve((_req, res) => json(res, 200, {}));
    await c.send({ method: 'POST', url: `${s.url}/x`, body: '{"b":1,  "a":2}' });
    assert.equal(s.seen[0].body, '{"b":1,  "a":2}');
  });

  it('classifies a vendor error and keeps its message and code', async () => {
    const { server: s, conn: c } = await serve((_req, res) => json(res, 400, { Error: { reasonCode: 'BMXAA4153E', message: 'BMXAA4153E - Site X is not valid.', statusCode: '400' } }));
    const e = await failure(c.send({ method: 'POST', url: `${s.url}/os/mxapiwodetail?lean=1`, body: {} }));
    assert.equal(e.kind, 'permanent');
    assert.equal(e.status, 400);
    assert.equal(e.vendorCode, 'BMXAA4153E');
    assert.equal(e.ambiguous, false);
    assert.equal(e.message, 'Test: BMXAA4153E - Site X is not valid. (HTTP 400, POST /os/mxapiwodetail)');
  });

  it('lets the caller accept a status such as 404 on a lookup', async () => {
    const { server: s, conn: c } = await serve((_req, res) => json(res, 404, { message: 'nope' }));
    const res = await c.send(get(`${s.url}/x`, { accept: [404] }));
    assert.equal(res.status, 404);
  });

  describe('unreadable answers', () => {
    it('a 200 HTML page (a login page in front of the API) is a clear permanent error, ambiguous for a write', async () => {
      const { server: s, conn: c } = await serve((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html><head><title>Corporate Sign-In</title></head><body>…</body></html>');
      });
      const e = await failure(c.send({ method: 'POST', url: `${s.url}/workorders`, body: {} }));
      assert.equal(e.kind, 'permanent');
      assert.equal(e.code, 'EBAD_BODY');
      assert.equal(e.ambiguous, true);
      assert.match(e.message, /HTML page \("Corporate Sign-In"\) where JSON was expected/);
      const g = await failure(c.send(get(`${s.url}/workorders`)));
      assert.equal(g.ambiguous, false);
    });

    it('truncated JSON is reported, not thrown as a SyntaxError', async () => {
      const { server: s, conn: c } = await serve((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"member":[{"wonum":"10');
      });
      const e = await failure(c.send(get(`${s.url}/x`)));
      assert.equal(e.code, 'EBAD_BODY');
      assert.match(e.message, /application\/json body/);
    });

    it('a 502 HTML page from a proxy stays transient and says what the page was', async () => {
      const { server: s, conn: c } = await serve((_req, res) => {
        res.writeHead(502, { 'Content-Type': 'text/html' });
        res.end('<html><head><title>502 Bad Gateway</title></head></html>');
      });
      const e = await failure(c.send({ method: 'POST', url: `${s.url}/x`, body: {} }));
      assert.equal(e.kind, 'transient');
      assert.equal(e.ambiguous, true);
      assert.match(e.message, /502 Bad Gateway/);
    });

    it('a health check may answer plain text when the caller says so', async () => {
      const { server: s, conn: c } = await serve((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('OK'); });
      assert.equal((await c.send(get(`${s.url}/health`, { expectJson: false }))).data, 'OK');
    });

    it('refuses a response over the size cap, with or without Content-Length', async () => {
      const big = JSON.stringify({ items: 'x'.repeat(100_000) });
      const { server: s, conn: c } = await serve((req, res) => {
        if (req.url === '/sized') {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(big.length) });
          res.end(big);
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          for (let i = 0; i < 100; i++) res.write(big.slice(i * 1000, (i + 1) * 1000));
          res.end(big.slice(100_000));
        }
      }, { maxResponseBytes: 10_000 });
      for (const path of ['/sized', '/chunked']) {
        const e = await failure(c.send(get(`${s.url}${path}`)));
        assert.equal(e.code, 'ERESPONSE_TOO_LARGE', path);
        assert.equal(e.kind, 'permanent');
        assert.match(e.message, /larger than the 10000-byte limit/);
      }
    });

    it('does not follow redirects (they would carry our credentials)', async () => {
      const { server: s, conn: c } = await serve((_req, res) => { res.writeHead(302, { Location: 'http://127.0.0.1:1/login?next=/api' }); res.end(); });
      const e = await failure(c.send(get(`${s.url}/api`)));
      assert.equal(e.code, 'EREDIRECT');
      assert.equal(e.kind, 'permanent');
      assert.match(e.message, /redirected to http:\/\/127\.0\.0\.1:1\/login/);
      assert.equal(s.seen.length, 1);
    });
  });

  describe('rate signals from the CMMS', () => {
    const cases: Array<[string, number, Record<string, string>, number]> = [
      ['429 Retry-After seconds', 429, { 'Retry-After': '5' }, 5000],
      ['503 Retry-After HTTP-date', 503, { 'Retry-After': new Date(Date.parse('2026-03-01T10:00:00Z') + 8000).toUTCString() }, 8000],
      ['429 ServiceNow X-RateLimit-Reset', 429, { 'X-RateLimit-Reset': String(Date.parse('2026-03-01T10:00:00Z') / 1000 + 30) }, 30_000],
      ['429 MaintainX X-Rate-Limit-Reset', 429, { 'X-Rate-Limit-Reset': '12' }, 12_000],
    ];
    for (const [name, status, headers, wait] of cases) {
      it(`${name}: transient with retryAfterMs, and nothing is sent before then`, async () => {
        const clock = fakeClock();
        let first = true;
        const { server: s, conn: c } = await serve((_req, res) => {
          if (first) { first = false; json(res, status, { error: { message: 'slow down' } }, headers); } else json(res, 200, { ok: true });
        }, {}, { now: clock.now, sleep: clock.sleep });
        const e = await failure(c.send(get(`${s.url}/x`)));
        assert.equal(e.kind, 'transient');
        assert.equal(e.status, status);
        assert.equal(e.retryAfterMs, wait);
        assert.equal(e.ambiguous, false);
        const before = clock.now();
        await c.send(get(`${s.url}/x`));
        assert.ok(clock.now() - before >= wait, 'the second request waited for the CMMS');
        assert.deepEqual(clock.sleeps, [wait]);
        assert.equal(s.seen.length, 2);
      });
    }

    it('an answer saying the budget is spent holds the next request until the reset', async () => {
      const clock = fakeClock();
      const { server: s, conn: c } = await serve((_req, res) => json(res, 200, {}, { 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '20' }), {}, { now: clock.now, sleep: clock.sleep });
      await c.send(get(`${s.url}/a`));
      await c.send(get(`${s.url}/b`));
      assert.deepEqual(clock.sleeps, [20_000]);
    });
  });

  describe('wire failures', () => {
    it('connection refused: transient, not ambiguous', async () => {
      const s = await startServer(() => undefined);
      const url = s.url;
      await s.close();
      conn = new Connection(config(url), 'Test');
      const e = await failure(conn.send({ method: 'POST', url: `${url}/workorders`, body: {} }));
      assert.equal(e.kind, 'transient');
      assert.equal(e.code, 'ECONNREFUSED');
      assert.equal(e.ambiguous, false);
      assert.match(e.message, /connection refused by 127\.0\.0\.1:\d+/);
    });

    it('a TLS handshake that never finishes hits the connect timeout: not ambiguous', async () => {
      const silent = await startSilentServer();
      try {
        conn = new Connection(config(`https://127.0.0.1:${silent.port}`, { connectTimeoutMs: 150, timeoutMs: 60_000 }), 'Test');
        const e = await failure(conn.send({ method: 'POST', url: `https://127.0.0.1:${silent.port}/x`, body: {} }));
        assert.equal(e.code, 'ECONNECT_TIMEOUT');
        assert.equal(e.kind, 'transient');
        assert.equal(e.ambiguous, false);
      } finally {
        await silent.close();
      }
    });

    it('no answer after the request was sent hits the response timeout: ambiguous for a write only', async () => {
      const silent = await startSilentServer();
      try {
        conn = new Connection(config(`http://127.0.0.1:${silent.port}`, { timeoutMs: 150 }), 'Test');
        const post = await failure(conn.send({ method: 'POST', url: `http://127.0.0.1:${silent.port}/x`, body: {} }));
        assert.equal(post.code, 'ETIMEDOUT');
        assert.equal(post.kind, 'transient');
        assert.equal(post.ambiguous, true);
        assert.match(post.message, /no complete answer .* within 150 ms/);
        const read = await failure(conn.send(get(`http://127.0.0.1:${silent.port}/x`)));
        assert.equal(read.code, 'ETIMEDOUT');
        assert.equal(read.ambiguous, false);
      } finally {
        await silent.close();
      }
    });

    it('a body trickled byte by byte cannot stretch the response deadline', async () => {
      const timers = new Set<NodeJS.Timeout>();
      const { server: s, conn: c } = await serve((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"items":[');
        const t = setInterval(() => res.write(' '), 20);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      }, { timeoutMs: 200 });
      try {
        const e = await failure(c.send(get(`${s.url}/x`)));
        assert.equal(e.code, 'ETIMEDOUT');
      } finally {
        for (const t of timers) clearInterval(t);
      }
    });

    it('a connection reset after the request arrived is transient and ambiguous', async () => {
      const { server: s, conn: c } = await serve((req) => req.socket.destroy());
      const e = await failure(c.send({ method: 'POST', url: `${s.url}/workorders`, body: { a: 1 } }));
      assert.equal(e.kind, 'transient');
      assert.equal(e.ambiguous, true);
      assert.match(String(e.code), /ECONNRESET|EPIPE|ERR_/);
    });
  });

  it('goes through an explicit HTTP proxy, with proxy credentials, and ignores proxy environment variables otherwise', async () => {
    const proxied: Array<{ url: string; proxyAuth: string | undefined }> = [];
    const proxy = await startServer((req, res) => {
      proxied.push({ url: String(req.url), proxyAuth: req.headers['proxy-authorization'] as string | undefined });
      json(res, 200, { via: 'proxy' });
    });
    const saved = process.env.HTTP_PROXY;
    try {
      const c = new Connection(config('http://cmms.plant.invalid:8080', { proxy: `http://gw:pr0xy-pass@127.0.0.1:${proxy.port}` }), 'Test');
      const res = await c.send(get('http://cmms.plant.invalid:8080/api/x?y=1'));
      c.close();
      assert.deepEqual(res.data, { via: 'proxy' });
      assert.equal(proxied[0].url, 'http://cmms.plant.invalid:8080/api/x?y=1', 'absolute-form request line, as a forward proxy expects');
      assert.equal(proxied[0].proxyAuth, `Basic ${Buffer.from('gw:pr0xy-pass').toString('base64')}`);
      // Without `proxy`, a proxy in the environment is not used.
      process.env.HTTP_PROXY = `http://127.0.0.1:${proxy.port}`;
      const { server: s, conn: direct } = await serve((_req, r) => json(r, 200, { via: 'direct' }));
      assert.deepEqual((await direct.send(get(`${s.url}/x`))).data, { via: 'direct' });
      assert.equal(proxied.length, 1);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      await proxy.close();
    }
  });

  describe('close()', () => {
    it('rejects requests waiting for a slot and aborts the one in flight', async () => {
      const { server: s, conn: c } = await serve(() => undefined, { rate: { concurrency: 1 } });
      const inFlight = c.send({ method: 'POST', url: `${s.url}/hang`, body: {} });
      const queued = c.send(get(`${s.url}/later`));
      // Close only once the first request is certainly on the wire.
      while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
      c.close();
      const [a, b] = await Promise.all([failure(inFlight), failure(queued)]);
      assert.equal(a.code, 'ECLOSED');
      assert.equal(a.ambiguous, true);
      assert.equal(b.code, 'ECLOSED');
      assert.equal(b.ambiguous, false);
      assert.equal(s.seen.length, 1);
      const after = await failure(c.send(get(`${s.url}/x`)));
      assert.equal(after.code, 'ECLOSED');
    });
  });

  it('reports every outcome and logs without credentials', async () => {
    const outcomes: RequestOutcome[] = [];
    const logs: string[] = [];
    const { server: s, conn: c } = await serve((req, res) => (req.url === '/ok' ? json(res, 200, {}) : json(res, 500, { message: `echo ${req.headers.authorization}` })), {}, {
      onOutcome: (o: RequestOutcome) => outcomes.push(o),
      log: (_l: string, m: string) => logs.push(m),
    });
    await c.send(get(`${s.url}/ok`));
    const e = await failure(c.send(get(`${s.url}/fail`)));
    assert.deepEqual(outcomes.map((o) => o.ok), [true, false]);
    assert.equal(e.message.includes('tok-very-secret'), false, e.message);
    assert.match(e.message, /echo Bearer \*\*\*/);
    assert.equal(logs.length, 2);
    for (const line of logs) assert.equal(line.includes('tok-very-secret'), false, line);
  });
});

// The HTTP(S) plumbing: reads bodies (with a size limit), records every vendor request with its
// secrets redacted, routes by path prefix to a dialect, and applies injected faults around the
// dialect's answer. Tracks every socket and timer so close() leaves nothing running.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { handleControl, isControlPath, type ControlDeps } from './control';
import type { DialectHandler } from './context';
import { retryAfterValue, type FaultRegistry, type StoredFault } from './faults';
import { json, parseForm, type SimRequest, type SimResponse } from './http';
import type { TokenStore } from './oauth';
import type { Dialect, RecordedRequest } from './types';

interface ServerDeps {
  now(): number;
  dialects: Record<Dialect, DialectHandler>;
  faults: FaultRegistry;
  tokens: TokenStore;
  control: ControlDeps;
  bodyLimit: number;
  record(r: RecordedRequest): void;
}

interface SimServer {
  url: string;
  close(): Promise<void>;
}

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'apikey', 'maxauth', 'x-api-key', 'cookie', 'set-cookie']);
const SECRET_PARAMS = new Set(['apikey', 'access_token', 'client_secret', 'password', 'refresh_token', '_lpwd']);
const HUGE_DEFAULT = 5 * 1024 * 1024;

export function dialectOf(path: string): Dialect | null {
  if (path === '/maximo' || path.startsWith('/maximo/')) return 'maximo';
  if (path.startsWith('/api/now/') || path === '/oauth_token.do') return 'servicenow';
  if (path.startsWith('/v1/')) return 'maintainx';
  if (path === '/rest' || path.startsWith('/rest/')) return 'rest';
  return null;
}

function redactHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (!SECRET_HEADERS.has(name)) { out[name] = value; continue; }
    // Keep the scheme so a test can still tell Basic from Bearer.
    const scheme = name.endsWith('authorization') ? /^(\S+)\s+\S/.exec(value)?.[1] : undefined;
    out[name] = scheme ? `${scheme} REDACTED` : 'REDACTED';
  }
  return out;
}

function redactFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, SECRET_PARAMS.has(k.toLowerCase()) ? 'REDACTED' : v]));
}

function recordedBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return null;
  if (contentType?.includes('json')) {
    try {
      const v = JSON.parse(text) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? redactFields(v as Record<string, unknown>) : v;
    } catch {
      return text;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) return redactFields(parseForm(text));
  return text;
}

function recordedQuery(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key).map((v) => (SECRET_PARAMS.has(key.toLowerCase()) ? 'REDACTED' : v));
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

function serialise(r: SimResponse): { payload: Buffer | null; headers: Record<string, string | number> } {
  const headers: Record<string, string | number> = { ...r.headers };
  const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  let payload: Buffer | null = null;
  let type = 'application/json';
  if (r.body === undefined || r.body === null) payload = null;
  else if (Buffer.isBuffer(r.body)) payload = r.body;
  else if (typeof r.body === 'string') { payload = Buffer.from(r.body); type = 'text/plain; charset=utf-8'; }
  else payload = Buffer.from(JSON.stringify(r.body));
  if (payload && !hasType) headers['Content-Type'] = type;
  headers['Content-Length'] = payload ? payload.length : 0;
  return { payload, headers };
}

function readBody(req: http.IncomingMessage, limit: number): Promise<{ buf: Buffer; tooLarge: boolean } | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        // Drain a while so the client can read the 413, but not forever.
        if (size > limit * 16) req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve({ buf: Buffer.concat(chunks), tooLarge }));
    req.on('close', () => { if (!req.complete) resolve(null); });
    req.on('error', () => resolve(null));
  });
}

export async function listen(deps: ServerDeps, opts: { port: number; tls?: { key: string; cert: string } }): Promise<SimServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    // On close() the timer is cleared and the waiting request is simply abandoned.
    const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
    timers.add(t);
  });

  const write = (res: http.ServerResponse, r: SimResponse): void => {
    if (res.destroyed || res.headersSent) {
      // The client left while we were "processing": the change stands, so settle it anyway.
      r.onDone?.();
      return;
    }
    const { payload, headers } = serialise(r);
    if (r.onDone) res.once('close', r.onDone);
    res.writeHead(r.status, headers);
    res.end(payload ?? undefined);
  };

  const drop = (req: http.IncomingMessage): void => {
    const socket = req.socket;
    if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
    else socket.destroy();
  };

  const trickle = async (res: http.ServerResponse, r: SimResponse, delayMs: number): Promise<void> => {
    const { payload, headers } = serialise(r);
    if (r.onDone) res.once('close', r.onDone);
    res.writeHead(r.status, headers);
    const body = payload ?? Buffer.alloc(0);
    const step = Math.max(1, Math.ceil(body.length / 10));
    for (let i = 0; i < body.length; i += step) {
      if (res.destroyed || closing) return;
      res.write(body.subarray(i, i + step));
      await sleep(delayMs);
    }
    if (!res.destroyed) res.end();
  };

  const huge = async (res: http.ServerResponse, f: StoredFault): Promise<void> => {
    const total = f.bytes ?? HUGE_DEFAULT;
    // Chunked on purpose: a client must count bytes as they arrive, not trust Content-Length.
    res.writeHead(f.status ?? 200, { 'Content-Type': f.contentType ?? 'application/json' });
    const head = '{"padding":"';
    const tail = '"}';
    let sent = 0;
    const send = async (chunk: string): Promise<boolean> => {
      if (res.destroyed || closing) return false;
      sent += chunk.length;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      return true;
    };
    if (!(await send(head))) return;
    const block = 'x'.repeat(64 * 1024);
    while (total - sent - tail.length > 0) {
      const n = Math.min(block.length, total - sent - tail.length);
      if (!(await send(block.slice(0, n)))) return;
    }
    if (!res.destroyed) res.end(tail);
  };

  const faultAnswer = (handler: DialectHandler, dialect: Dialect, f: StoredFault, status: number): SimResponse => {
    let r: SimResponse;
    if (f.body !== undefined) r = { status, headers: { 'Content-Type': f.contentType ?? 'application/json' }, body: f.body };
    else if (status === 401) r = handler.unauthorized();
    else r = handler.error(status, `Injected fault: HTTP ${status}`);
    const headers: Record<string, string | number> = { ...r.headers };
    const retry = retryAfterValue(f);
    if (retry !== undefined) headers['Retry-After'] = retry;
    if (f.resetHeader !== undefined) {
      if (dialect === 'maintainx') Object.assign(headers, { 'X-Rate-Limit-Limit': 100, 'X-Rate-Limit-Remaining': 0, 'X-Rate-Limit-Reset': f.resetHeader });
      else headers['X-RateLimit-Reset'] = f.resetHeader;
    }
    return { ...r, status, headers };
  };

  const garbled = (r: SimResponse, f: StoredFault): SimResponse => {
    const status = f.status ?? r.status;
    if (f.body !== undefined) {
      return { status, headers: { 'Content-Type': f.contentType ?? 'text/html; charset=utf-8' }, body: f.body, onDone: r.onDone };
    }
    const text = r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2))) || '{"member":[';
    const headers = { ...r.headers };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-type') delete headers[k];
    return { status, headers: { ...headers, 'Content-Type': f.contentType ?? 'application/json' }, body: cut, onDone: r.onDone };
  };

  const onRequest = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const at = deps.now();
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    let path = url.pathname;
    try { path = decodeURIComponent(path); } catch { /* keep it encoded */ }
    const body = await readBody(req, deps.bodyLimit);
    if (body === null || closing) return;
    const proto = opts.tls ? 'https' : 'http';
    const simReq: SimRequest = {
      method: (req.method ?? 'GET').toUpperCase(), path, query: url.searchParams, headers: req.headers, raw: body.buf,
      text: body.buf.toString('utf8'), baseUrl: `${proto}://${req.headers.host ?? '127.0.0.1'}`, at,
    };
    if (isControlPath(path)) {
      write(res, body.tooLarge ? json(413, { error: 'body too large' }) : handleControl(simReq, deps.control));
      return;
    }
    const dialect = dialectOf(path);
    const rec: RecordedRequest = {
      at, method: simReq.method, path, query: recordedQuery(url.searchParams), headers: redactHeaders(req.headers),
      body: body.tooLarge ? null : recordedBody(simReq.text, req.headers['content-type']), status: 0, dialect,
    };
    deps.record(rec);
    const send = (r: SimResponse): void => { rec.status = r.status; write(res, r); };
    if (!dialect) { send(json(404, { error: `no CMMS dialect serves ${path}` })); return; }
    const handler = deps.dialects[dialect];
    if (body.tooLarge) { send(handler.error(413, `The request body exceeds ${deps.bodyLimit} bytes.`)); return; }

    const fault = deps.faults.pick(dialect, simReq.method, path);
    if (fault) {
      rec.fault = fault.kind;
      if (fault.delayMs && fault.kind !== 'slow-body' && fault.kind !== 'latency') await sleep(fault.delayMs);
      switch (fault.kind) {
        case 'status': send(faultAnswer(handler, dialect, fault, fault.status ?? 500)); return;
        case 'outage':
          if (fault.status === 0) drop(req);
          else send(faultAnswer(handler, dialect, fault, fault.status ?? 503));
          return;
        case 'hang': return;
        case 'reset': drop(req); return;
        case 'huge-body': rec.status = fault.status ?? 200; await huge(res, fault); return;
        case 'expire-token':
          deps.tokens.expireAll(fault.dialect);
          send(faultAnswer(handler, dialect, fault, 401));
          return;
        default: break;
      }
    }
    let answer: SimResponse;
    try {
      answer = handler.handle(simReq);
    } catch (err) {
      answer = handler.error(500, `Simulator error: ${(err as Error).message}`);
    }
    switch (fault?.kind) {
      case 'commit-then-drop':
        // The change is committed; the client never learns it. Maximo's transactionid exists for this.
        drop(req);
        answer.onDone?.();
        return;
      case 'latency':
        await sleep(fault.delayMs ?? 0);
        send(answer);
        return;
      case 'slow-body':
        rec.status = answer.status;
        await trickle(res, answer, fault.delayMs ?? 0);
        return;
      case 'garbage': send(garbled(answer, fault)); return;
      default: send(answer);
    }
  };

  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert })
    : http.createServer();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    onRequest(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: `simulator failure: ${(err as Error).message}` }));
      } else {
        res.destroy();
      }
    });
  });
  // Clients see a reset instead of a hung socket when they send garbage at the protocol level.
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: async () => {
      if (closing) return;
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

// The wire: one axios instance per connection, with keep-alive agents, TLS settings, an optional
// proxy and a response size cap. Nothing here knows about auth or vendors. Two deadlines keep
// every request finite: a connect deadline (until the TLS connection is up) and a response deadline
// (from then until the whole answer is in — a server trickling bytes cannot stretch it). Which
// deadline fired also says whether the request may have reached the CMMS (`ambiguous`).
import axios, { type AxiosInstance, type AxiosProxyConfig } from 'axios';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { CmmsError } from './errors';
import type { HeaderBag } from './rate';
import type { TlsConfig } from './types';

interface TransportOptions {
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  /** Requests larger than this are refused before sending; default 1 MiB. */
  maxRequestBytes?: number;
  tls?: TlsConfig;
  proxy?: string;
  /** Sockets per host; match the concurrency limit so no request waits for a socket unseen. */
  maxSockets: number;
}

export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RawResponse {
  status: number;
  headers: HeaderBag;
  text: string;
}

function parseProxy(proxy: string): AxiosProxyConfig {
  let u: URL;
  try {
    u = new URL(proxy);
  } catch {
    throw new CmmsError({ kind: 'permanent', code: 'EBADCONFIG', message: `proxy "${proxy}" is not a URL (expected http://host:port)` });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CmmsError({ kind: 'permanent', code: 'EBADCONFIG', message: `proxy must be http:// or https://, not ${u.protocol}` });
  }
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const cfg: AxiosProxyConfig = { protocol: u.protocol.replace(':', ''), host: u.hostname.replace(/^\[|\]$/g, ''), port };
  if (u.username) cfg.auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  return cfg;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REVOKED',
]);

interface ErrorWithCode {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const c = (cur as ErrorWithCode).code;
    // Axios wraps the socket error; its own generic codes say less than the one underneath.
    if (typeof c === 'string' && c !== 'ERR_BAD_RESPONSE' && c !== 'ERR_BAD_REQUEST' && c !== 'ERR_CANCELED') return c;
    cur = (cur as ErrorWithCode).cause;
  }
  const top = e && typeof e === 'object' ? (e as ErrorWithCode).code : undefined;
  return typeof top === 'string' ? top : undefined;
}

function errorText(e: unknown): string {
  return e && typeof e === 'object' && typeof (e as ErrorWithCode).message === 'string' ? String((e as ErrorWithCode).message) : String(e);
}

export class Transport {
  private readonly axios: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly opts: TransportOptions) {
    const tls = opts.tls ?? {};
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets,
      rejectUnauthorized: tls.rejectUnauthorized !== false,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
    });
    this.axios = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // An explicit proxy or none: environment variables would make behaviour depend on how
      // Node-RED happened to be started.
      proxy: opts.proxy ? parseProxy(opts.proxy) : false,
      // Redirects to another host would carry our credentials along; an API should not redirect.
      maxRedirects: 0,
      maxContentLength: opts.maxResponseBytes,
      maxBodyLength: opts.maxRequestBytes ?? 1024 * 1024,
      validateStatus: () => true,
      responseType: 'text',
      responseEncoding: 'utf8',
      transformRequest: [(d: unknown) => d],
      transformResponse: [(d: unknown) => d],
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** One HTTP exchange. Resolves with any status; rejects only with a CmmsError for wire failures. */
  async exchange(req: RawRequest, signal?: AbortSignal): Promise<RawResponse> {
    const ctl = new AbortController();
    let connected = false;
    let expired: 'connect' | 'response' | undefined;
    const { connectTimeoutMs, timeoutMs } = this.opts;
    let timer = setTimeout(() => {
      expired = 'connect';
      ctl.abort();
    }, connectTimeoutMs);
    const onConnected = (): void => {
      if (connected) return;
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        expired = 'response';
        ctl.abort();
      }, timeoutMs);
    };
    const onOuterAbort = (): void => ctl.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    if (signal?.aborted) ctl.abort();

    // A per-request transport is the one place axios lets us see the socket, and so tell
    // "still connecting" from "request on the wire".
    const transport = {
      request(options: https.RequestOptions, cb: (res: http.IncomingMessage) => void): http.ClientRequest {
        const mod = options.protocol === 'https:' ? https : http;
        const r = mod.request(options, cb);
        r.once('socket', (s: Socket) => {
          if (!s.connecting) onConnected();
          else s.once(s instanceof TLSSocket ? 'secureConnect' : 'connect', onConnected);
        });
        return r;
      },
    };

    try {
      const res = await this.axios.request<string>({
        method: req.method,
        url: req.url,
        headers: req.headers,
        data: req.body,
        signal: ctl.signal,
        transport,
      });
      const headers: HeaderBag = {};
      // AxiosHeaders keeps each header as an own property; methods live on the prototype.
      for (const [k, v] of Object.entries(res.headers as Record<string, unknown>)) {
        if (typeof v === 'string' || Array.isArray(v)) headers[k.toLowerCase()] = v as string | string[];
        else if (typeof v === 'number') headers[k.toLowerCase()] = String(v);
      }
      return { status: res.status, headers, text: typeof res.data === 'string' ? res.data : String(res.data ?? '') };
    } catch (e) {
      throw this.wireError(e, req, connected, expired, signal?.aborted === true);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private wireError(e: unknown, req: RawRequest, connected: boolean, expired: 'connect' | 'response' | undefined, closed: boolean): CmmsError {
    // Reads never change anything, so only a write that may have reached the CMMS is ambiguous.
    const ambiguous = connected && req.method !== 'GET' && req.method !== 'HEAD';
    const u = new URL(req.url);
    const where = u.host;
    const what = `${req.method} ${u.pathname}`;
    if (expired === 'connect') {
      return new CmmsError({ kind: 'transient', code: 'ECONNECT_TIMEOUT', message: `no connection to ${where} within ${this.opts.connectTimeoutMs} ms (${what})` });
    }
    if (expired === 'response') {
      return new CmmsError({ kind: 'transient', code: 'ETIMEDOUT', ambiguous, message: `no complete answer from ${where} within ${this.opts.timeoutMs} ms (${what})` });
    }
    if (closed) {
      return new CmmsError({ kind: 'transient', code: 'ECLOSED', ambiguous, message: `connection closed while ${what} was in progress` });
    }
    const text = errorText(e);
    const code = errorCode(e) ?? 'ENETWORK';
    if (/maxContentLength/.test(text)) {
      return new CmmsError({
        kind: 'permanent', code: 'ERESPONSE_TOO_LARGE', ambiguous,
        message: `answer from ${where} is larger than the ${this.opts.maxResponseBytes}-byte limit (${what})`,
      });
    }
    if (/maxBodyLength/.test(text)) {
      return new CmmsError({ kind: 'permanent', code: 'EREQUEST_TOO_LARGE', message: `request body is too large to send (${what})` });
    }
    if (TLS_CODES.has(code)) {
      return new CmmsError({
        kind: 'transient', code,
        message: `TLS certificate of ${where} was not accepted (${code}): give the connection the CA certificate that signed it (${what})`,
      });
    }
    const reason: Record<string, string> = {
      ECONNREFUSED: `connection refused by ${where}: check the URL and port, and that the CMMS is running`,
      ENOTFOUND: `host name ${u.hostname} not found (DNS)`,
      EAI_AGAIN: `host name ${u.hostname} could not be looked up right now (DNS)`,
      EHOSTUNREACH: `no route to ${where}`,
      ENETUNREACH: `network unreachable for ${where}`,
      ECONNRESET: `connection reset by ${where}${connected ? ' before the answer was complete' : ''}`,
      EPIPE: `connection to ${where} broke while sending`,
    };
    const message = reason[code] ?? `network error talking to ${where}: ${text}`;
    return new CmmsError({ kind: 'transient', code, ambiguous, message: `${message} (${what})` });
  }
}

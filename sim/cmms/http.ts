// The request/response shapes the dialect handlers work with. Handlers are synchronous and return
// a description of the answer; the server writes it, so faults can delay, trickle or drop it after
// the handler has already committed its change.
import type { IncomingHttpHeaders } from 'node:http';

export interface SimRequest {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  text: string;
  /** e.g. http://127.0.0.1:40123, as the client addressed us. */
  baseUrl: string;
  /** Simulator-clock time the request arrived. */
  at: number;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string | number>;
  /** Objects are sent as JSON; strings as given (set content-type); undefined → empty body. */
  body?: unknown;
  /** Called once the answer was written, or the socket was dropped instead. */
  onDone?: () => void;
}

export function json(status: number, body: unknown, headers: Record<string, string | number> = {}): SimResponse {
  return { status, body, headers };
}

export function header(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  if (Array.isArray(v)) return v[0];
  return v;
}

type BodyResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Parses a JSON body; an empty body is an error because every write endpoint needs one. */
export function jsonBody(req: SimRequest): BodyResult {
  if (req.text.trim() === '') return { ok: false, error: 'request body is empty' };
  try {
    return { ok: true, value: JSON.parse(req.text) as unknown };
  } catch (err) {
    return { ok: false, error: `request body is not valid JSON: ${(err as Error).message}` };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** Form-encoded or JSON, as OAuth token endpoints accept (RFC 6749 says form; many servers take both). */
export function formOrJson(req: SimRequest): Record<string, string> {
  const type = header(req, 'content-type') ?? '';
  if (type.includes('json')) {
    const parsed = jsonBody(req);
    if (!parsed.ok || !isRecord(parsed.value)) return {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.value)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  return parseForm(req.text);
}

export function basicAuth(req: SimRequest): { user: string; pass: string } | null {
  const h = header(req, 'authorization');
  const m = h ? /^basic\s+(.+)$/i.exec(h.trim()) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  return { user: decoded.slice(0, i), pass: decoded.slice(i + 1) };
}

export function bearer(req: SimRequest): string | null {
  const h = header(req, 'authorization');
  const m = h ? /^bearer\s+(\S+)$/i.exec(h.trim()) : null;
  return m ? m[1] : null;
}

/** Page cursors are opaque to clients; inside they are just an offset. */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

export function decodeCursor(cursor: string | null): number | null {
  if (cursor === null || cursor === '') return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : null;
}

/** Positive integer query parameter, or the fallback when absent; null when present but invalid. */
export function intParam(query: URLSearchParams, name: string, fallback: number): number | null {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) return null;
  return Number(raw);
}

export function isoZ(ms: number): string {
  return new Date(ms).toISOString();
}

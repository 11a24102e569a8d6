// Defensive readers for CMMS answers: a field that is missing or of the wrong type becomes a clear
// error or a null, never a crash or an `undefined` leaking into a message contract.
import { CmmsError } from './errors';

export type Json = Record<string, unknown>;

export function asRecord(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/** A string or number field as a string; null when absent or empty. */
export function text(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** ServiceNow reference fields come as a sys_id or as {value, link, display_value}. */
export function referenceValue(v: unknown): string | null {
  const r = asRecord(v);
  return r ? text(r.value) ?? text(r.display_value) : text(v);
}

/** The answer was JSON but not the shape this dialect expects: the CMMS or our config is not what we think. */
function shapeError(label: string, what: string): CmmsError {
  return new CmmsError({ kind: 'permanent', code: 'EBAD_SHAPE', message: `${label} answer is missing ${what}` });
}

export function requireRecord(v: unknown, label: string, what: string): Json {
  const r = asRecord(v);
  if (!r) throw shapeError(label, what);
  return r;
}

export function requireArray(v: unknown, label: string, what: string): unknown[] {
  if (!Array.isArray(v)) throw shapeError(label, what);
  return v;
}

/** Any date the CMMS gives, as ISO 8601 UTC; `fallback` when unreadable. */
export function toIso(v: unknown, fallback: string): string {
  const s = text(v);
  if (!s) return fallback;
  // ServiceNow's "YYYY-MM-DD HH:mm:ss" is UTC without saying so.
  const sn = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(s);
  const t = Date.parse(sn ? `${sn[1]}T${sn[2]}Z` : s);
  return Number.isNaN(t) ? fallback : new Date(t).toISOString();
}

/** ISO input → ServiceNow's "YYYY-MM-DD HH:mm:ss" in UTC. */
export function toServiceNowTime(iso: string): string {
  return new Date(requireTime(iso)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

export function requireTime(iso: string): number {
  const t = Date.parse(iso);
  if (typeof iso !== 'string' || Number.isNaN(t)) {
    throw new CmmsError({ kind: 'permanent', code: 'EBAD_INPUT', message: `"${String(iso)}" is not an ISO 8601 date-time` });
  }
  return t;
}

export function requireText(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new CmmsError({ kind: 'permanent', code: 'EBAD_INPUT', message: `${what} must be a non-empty string` });
  }
  return v;
}

export function badInput(message: string): CmmsError {
  return new CmmsError({ kind: 'permanent', code: 'EBAD_INPUT', message });
}

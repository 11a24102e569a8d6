// Small conversions shared by the input shapes: raw value → engineering value (bit, scale, offset,
// valid range), protocol timestamps and OPC UA status codes → the contract's time and quality.
import type { Quality } from '../contracts/asset-readings';
import { isForbiddenKey } from '../contracts/common';
import type { Row } from './types';

export type Converted =
  | { ok: true; value: number | string | boolean; outOfRange: string | null }
  | { ok: false; error: string };

const NUMBER_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const MAX_TEXT_VALUE = 4000;

/** True when the row turns numbers into other numbers, so a word cannot stand in for a value. */
function numeric(row: Row): boolean {
  const d = row.decode;
  return d.scale !== 1 || d.offset !== 0 || d.min !== null || d.max !== null || d.bit !== null;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v;
}

/** Scale, offset and range for a decoded number; booleans pass through. */
export function finish(row: Row, v: number | boolean): Converted {
  if (typeof v === 'boolean') return { ok: true, value: v, outOfRange: null };
  const d = row.decode;
  // Rounded to 12 significant digits: 3 × 0.1 is 0.3 to a plant engineer, not 0.30000000000000004.
  const value = d.scale === 1 && d.offset === 0 ? v : Number((v * d.scale + d.offset).toPrecision(12));
  if (!Number.isFinite(value)) return { ok: false, error: `${v} × ${d.scale} + ${d.offset} is not a finite number` };
  if ((d.min !== null && value < d.min) || (d.max !== null && value > d.max)) {
    return { ok: true, value, outOfRange: `${value} is outside the valid range ${d.min ?? '−∞'}…${d.max ?? '+∞'}` };
  }
  return { ok: true, value, outOfRange: null };
}

/** A value from a JSON, MQTT or OPC UA payload, turned into the row's engineering value. */
export function convert(row: Row, raw: unknown): Converted {
  let v: number | boolean;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'boolean') {
    if (row.decode.bit !== null) return { ok: false, error: 'a bit is taken from a number, not from true/false' };
    v = raw;
  } else if (typeof raw === 'string') {
    if (NUMBER_TEXT.test(raw)) v = Number(raw);
    else if (numeric(row)) return { ok: false, error: `expected a number, got ${describeValue(raw)}` };
    else if (raw.length > MAX_TEXT_VALUE) return { ok: false, error: `a text value of ${raw.length} characters is longer than ${MAX_TEXT_VALUE}` };
    else return { ok: true, value: raw, outOfRange: null };
  } else if (typeof raw === 'bigint' && raw <= BigInt(Number.MAX_SAFE_INTEGER) && raw >= BigInt(Number.MIN_SAFE_INTEGER)) {
    v = Number(raw);
  } else {
    return { ok: false, error: `expected a number, text or true/false, got ${describeValue(raw)}` };
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { ok: false, error: `${String(v)} is not a finite number` };
    if (row.decode.bit !== null) {
      if (!Number.isInteger(v)) return { ok: false, error: `bit ${row.decode.bit} of ${v}: not a whole number` };
      return { ok: true, value: (((v & 0xffff) >>> row.decode.bit) & 1) === 1, outOfRange: null };
    }
  }
  return finish(row, v);
}

const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/** Milliseconds since the epoch from a Date, epoch ms or s, or ISO text; null when unusable. */
export function timeOf(v: unknown): number | null {
  let t: number;
  if (v instanceof Date) t = v.getTime();
  else if (typeof v === 'number') t = v < 1e11 ? v * 1000 : v;
  else if (typeof v === 'string' && v.length <= 40) t = /^\d+(\.\d+)?$/.test(v) ? timeOf(Number(v)) ?? NaN : Date.parse(v);
  else return null;
  return Number.isFinite(t) && t >= EARLIEST && t < LATEST ? t : null;
}

/** OPC UA severity bits (the top two of a StatusCode): 00 good, 01 uncertain, 1x bad. */
export function qualityOf(status: unknown): Quality {
  let code: unknown = status;
  if (code !== null && typeof code === 'object') {
    const o = code as { value?: unknown; _value?: unknown; name?: unknown };
    code = typeof o.value === 'number' ? o.value : typeof o._value === 'number' ? o._value : typeof o.name === 'string' ? o.name : undefined;
  }
  if (typeof code === 'number' && Number.isFinite(code)) {
    const severity = (code >>> 30) & 3;
    return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
  }
  if (typeof code === 'string') {
    if (/^good/i.test(code)) return 'good';
    if (/^uncertain/i.test(code)) return 'uncertain';
    if (/^bad/i.test(code)) return 'bad';
  }
  return 'good';
}


/**
 * A plain-JSON copy of a record from another system, without prototype-polluting keys, functions
 * or cycles, bounded in depth and size. Null when it is too big to carry.
 */
export function cleanRecord(v: unknown, budget = { nodes: 5000 }, depth = 0): unknown {
  if (--budget.nodes < 0) return null;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (typeof v !== 'object' || depth >= 8 || Buffer.isBuffer(v)) return undefined;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const c = cleanRecord(x, budget, depth + 1);
      if (budget.nodes < 0) return null;
      out.push(c === undefined ? null : c);
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    if (isForbiddenKey(k)) continue;
    const c = cleanRecord((v as Record<string, unknown>)[k], budget, depth + 1);
    if (budget.nodes < 0) return null;
    if (c !== undefined) out[k] = c;
  }
  return out;
}

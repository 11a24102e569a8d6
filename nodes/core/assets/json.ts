// JSON payloads from MQTT (and OPC UA structures): an object with one field per row, or a batch — an
// array of readings [{metric, value, ts}] as batching edge publishers send. Fields a row reads but
// the payload lacks are reported (reason "missing-field"), never dropped without a word.
import type { Quality } from '../contracts/asset-readings';
import { iso, type Collector } from './collector';
import type { Row } from './types';
import { convert, timeOf, type Converted } from './values';

/** Most readings in one batch (the contract's limit for one message). */
export const MAX_BATCH = 10_000;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
export const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** The fields read besides the values: quality (good/uncertain/bad), then timestamp, ts or time. */
function objectQuality(o: Record<string, unknown>, fallback: Quality): Quality {
  const q = own(o, 'quality');
  return q === 'good' || q === 'uncertain' || q === 'bad' ? q : fallback;
}

function objectTime(o: Record<string, unknown>): number | null {
  return timeOf(own(o, 'timestamp')) ?? timeOf(own(o, 'ts')) ?? timeOf(own(o, 'time'));
}

/** What a row reads of an object: its `field` path, or the metric name, then `value`. */
export function fieldValue(o: Record<string, unknown>, row: Row): unknown {
  if (row.field === null) {
    const direct = own(o, row.metric);
    return direct !== undefined ? direct : own(o, 'value');
  }
  let at: unknown = o;
  for (const part of row.field) {
    if (!isRecord(at)) return undefined;
    at = own(at, part);
  }
  return at;
}

const fieldName = (row: Row): string => (row.field ?? [row.metric]).join('.');
const NONE: Converted = { ok: true, value: '', outOfRange: null };

/** A value that is null with a Bad/Uncertain quality is a reading of that quality without a value. */
function valueOf(row: Row, raw: unknown, quality: Quality): Converted {
  return raw === null && quality !== 'good' ? NONE : convert(row, raw);
}

function reportMissing(c: Collector, rows: Row, missing: Row[], count: number): void {
  if (missing.length === 0) return;
  if (missing.length === count) {
    const fields: string[] = [];
    for (let r: Row | null = rows; r && fields.length < 10; r = r.next) fields.push(fieldName(r));
    c.fail('unmapped', `none of the mapped fields (${fields.join(', ')}) is in the payload`);
    return;
  }
  for (const row of missing) c.fail('missing-field', `${row.metric}: field "${fieldName(row)}" is not in the payload`, row);
}

/** One JSON object: each row reads its field. */
export function mapObject(c: Collector, rows: Row, object: Record<string, unknown>, time: number, quality: Quality): void {
  const q = objectQuality(object, quality);
  const timestamp = iso(objectTime(object) ?? time);
  const missing: Row[] = [];
  let count = 0;
  for (let row: Row | null = rows; row; row = row.next) {
    count += 1;
    const raw = fieldValue(object, row);
    if (raw === undefined) {
      missing.push(row);
      continue;
    }
    if (!c.allowed(row)) continue;
    c.add(row, row.metric, valueOf(row, raw, q), timestamp, q);
  }
  reportMissing(c, rows, missing, count);
}

/**
 * A batch [{metric, value, ts, quality}]: each element is matched to the row whose metric (or
 * field) it names; elements no row names are ignored, like extra fields of an object.
 */
export function mapBatch(c: Collector, rows: Row, batch: Array<Record<string, unknown>>, time: number, quality: Quality): void {
  const byName = new Map<string, Row>();
  let count = 0;
  for (let row: Row | null = rows; row; row = row.next) {
    count += 1;
    byName.set(fieldName(row), row);
  }
  const seen = new Set<Row>();
  for (const el of batch) {
    const name = own(el, 'metric');
    const row = typeof name === 'string' ? byName.get(name) : undefined;
    if (!row) continue;
    seen.add(row);
    const q = objectQuality(el, quality);
    const raw = own(el, 'value');
    if (!c.allowed(row)) continue;
    if (raw === undefined && q === 'good') {
      c.fail('missing-field', `${row.metric}: the batch element has no "value"`, row);
      continue;
    }
    c.add(row, row.metric, raw === undefined ? NONE : valueOf(row, raw, q), iso(objectTime(el) ?? time), q);
  }
  const missing: Row[] = [];
  for (let row: Row | null = rows; row; row = row.next) if (!seen.has(row)) missing.push(row);
  reportMissing(c, rows, missing, count);
}

// A hand-written check of the common, well-formed asset-readings message, so the hot path does not
// pay for the full JSON Schema validator on every reading. It only ever says "certainly valid":
// anything it does not recognise at once (an unusual property, a long string, an inspection record,
// a non-finite number) goes to ajv, which decides and writes the error text. So the verdict is
// always ajv's; test/unit/alarms-fast-readings.spec.ts checks that on random and broken inputs.
//
// The checks mirror what ajv's generated code does for `assetReadingsSchema`: `type: object` is
// "non-null, not an array", required means "not undefined", additionalProperties walks `for…in`,
// string lengths count code points (never more than `.length`, so `.length` within the limit is
// enough), and the two patterns are the schema's own, compiled with the same `u` flag.
import { assetReadingsSchema, type AssetReadings } from '../contracts';
import { isForbiddenKey } from '../contracts/common';

const LOCATION = new RegExp(assetReadingsSchema.properties.asset.properties.location.pattern, 'u');
const TIMESTAMP = new RegExp(assetReadingsSchema.properties.readings.items.properties.timestamp.pattern, 'u');

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string whose length certainly fits min…max code points. */
function fits(v: unknown, min: number, max: number): boolean {
  return typeof v === 'string' && v.length >= min && v.length <= max;
}

function customOk(c: unknown): boolean {
  // maxProperties counts own keys, the other checks walk for…in: the same set on a plain object.
  const proto: unknown = isObject(c) ? Object.getPrototypeOf(c) : undefined;
  if (proto !== Object.prototype && proto !== null) return false;
  let n = 0;
  for (const k in c as Record<string, unknown>) {
    if (++n > 100 || k.length > 100 || isForbiddenKey(k)) return false;
    const v = (c as Record<string, unknown>)[k];
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (typeof v !== 'string' || v.length > 4000) return false;
  }
  return true;
}

function assetOk(a: unknown): boolean {
  if (!isObject(a)) return false;
  for (const k in a) {
    switch (k) {
      case 'id': case 'siteId': case 'location': continue;
      case 'class': case 'workGroup':
        if (!fits(a[k], 0, 200)) return false;
        continue;
      case 'criticality': {
        const v = a[k];
        if (typeof v === 'string' ? v.length > 40 : !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1000)) return false;
        continue;
      }
      case 'custom':
        if (!customOk(a[k])) return false;
        continue;
      default: return false;
    }
  }
  return fits(a.id, 1, 200) && fits(a.siteId, 1, 200) && fits(a.location, 1, 500) && LOCATION.test(a.location as string);
}

/** The last timestamp that matched: readings of one scan share it, and strings cannot change. */
let lastTimestamp = '';

function readingOk(r: unknown): boolean {
  if (!isObject(r)) return false;
  for (const k in r) {
    switch (k) {
      case 'metric': case 'value': case 'quality': case 'timestamp': continue;
      case 'unit':
        if (!fits(r.unit, 0, 40)) return false;
        continue;
      default: return false;
    }
  }
  const v = r.value;
  if (typeof v === 'number' ? !Number.isFinite(v) : typeof v === 'string' ? v.length > 4000 : typeof v !== 'boolean') return false;
  const q = r.quality;
  if (q !== 'good' && q !== 'uncertain' && q !== 'bad') return false;
  const ts = r.timestamp;
  if (ts !== lastTimestamp) {
    if (!fits(ts, 0, 40) || !TIMESTAMP.test(ts as string)) return false;
    lastTimestamp = ts as string;
  }
  return fits(r.metric, 1, 200);
}

function sourceOk(s: unknown): boolean {
  if (!isObject(s)) return false;
  for (const k in s) if (k !== 'kind' && k !== 'ref') return false;
  const kind = s.kind;
  return (kind === 'opcua' || kind === 'modbus' || kind === 'mqtt' || kind === 'vision' || kind === 'other') && fits(s.ref, 1, 1000);
}

/** True only when ajv would certainly accept `p`; false means "ask ajv". */
export function surelyValidReadings(p: unknown): p is AssetReadings {
  if (!isObject(p)) return false;
  for (const k in p) if (k !== 'asset' && k !== 'readings' && k !== 'source') return false;
  const readings = p.readings;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > 10_000) return false;
  if (!assetOk(p.asset) || !sourceOk(p.source)) return false;
  for (let i = 0; i < readings.length; i++) if (!readingOk(readings[i])) return false;
  return true;
}

// The hand-written readings check must never accept what the JSON Schema validator refuses: over
// random well-formed messages, messages with one thing broken, and arbitrary JSON, "surely valid"
// implies ajv's ok, and the common message does take the fast path.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { surelyValidReadings } from '../../nodes/core/alarms';
import { validateAssetReadings } from '../../nodes/core/contracts';

const NASTY = ['', '/', 'a/', '/a', 'a//b', 'A/B/C/D', '__proto__', 'constructor', 'prototype', '😀', '\ud800', 'x'.repeat(39),
  'x'.repeat(40), 'x'.repeat(41), 'x'.repeat(199), 'x'.repeat(200), 'x'.repeat(201), '😀'.repeat(100), '😀'.repeat(101),
  'x'.repeat(500), 'x'.repeat(501), 'x'.repeat(1000), 'x'.repeat(1001), 'x'.repeat(4000), 'x'.repeat(4001),
  '2026-03-01T10:15:00Z', '2026-03-01T10:15:00.123Z', '2026-03-01T10:15:00.1234567891Z', '2026-03-01T10:15:00+01:00',
  '2026-03-01 10:15:00Z', '2026-03-01T10:15:00', '2026-03-01T10:15:00.123Z\n', 'good', 'bad', 'uncertain', 'opcua', 'other', 'Good'];

const text = fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }));
const scalar = fc.oneof(text, fc.double(), fc.integer({ min: -5, max: 1200 }), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0.5, 1000, 1001));
const anything = fc.oneof(scalar, fc.array(scalar, { maxLength: 2 }), fc.dictionary(text, scalar, { maxKeys: 2 }));

const goodAsset = fc.record({
  id: fc.stringMatching(/^[A-Z0-9-]{1,12}$/),
  siteId: fc.constantFrom('S1', 'BENCH'),
  location: fc.constantFrom('S1/A/L/U', 'BENCH/AREA1/LINE3/PUMP-1', 'X'),
  class: fc.constantFrom('pump', 'fan', ''),
  criticality: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constantFrom('A', 'high')),
  workGroup: fc.constantFrom('MECH', ''),
  custom: fc.dictionary(fc.constantFrom('h', 'hh', 'limit', 'note'), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.string({ maxLength: 5 })), { maxKeys: 3 }),
}, { requiredKeys: ['id', 'siteId', 'location'] });

const goodReading = fc.record({
  metric: fc.constantFrom('bearing_temp', 'vibration', 'flow'),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('12.5', 'on', ''), fc.boolean()),
  unit: fc.constantFrom('°C', 'mm/s', ''),
  quality: fc.constantFrom('good', 'uncertain', 'bad'),
  timestamp: fc.constantFrom('2026-03-01T10:15:00Z', '2026-03-01T10:15:00.123Z', '2026-03-01T10:15:00.123456+02:00'),
}, { requiredKeys: ['metric', 'value', 'quality', 'timestamp'] });

const goodMessage = fc.record({
  asset: goodAsset,
  readings: fc.array(goodReading, { minLength: 1, maxLength: 4 }),
  source: fc.record({ kind: fc.constantFrom('modbus', 'opcua', 'mqtt', 'vision', 'other'), ref: fc.constantFrom('ns=2;s=x', 'r') }),
});

type Json = Record<string, unknown>;

const HOME: Record<string, number> = {
  asset: 0, readings: 0, source: 0, inspection: 0, id: 1, siteId: 1, location: 1, class: 1, criticality: 1, workGroup: 1, custom: 1,
  kind: 2, ref: 2, metric: 3, value: 3, unit: 3, quality: 3, timestamp: 3,
};

/** Replaces (or deletes, or adds) one property: a named field where it belongs, others anywhere. */
function mutate(m: Json, where: number, key: string, value: unknown, del: boolean): Json {
  const copy = structuredClone(m) as Json;
  const readings = copy.readings as Json[];
  const targets: Json[] = [copy, copy.asset as Json, copy.source as Json, readings[where % readings.length]];
  const custom = (copy.asset as Json).custom;
  if (custom && typeof custom === 'object') targets.push(custom as Json);
  const t = Object.hasOwn(HOME, key) ? targets[HOME[key]] : targets[where % targets.length];
  const keys = Object.keys(t);
  const k = key === '*' && keys.length > 0 ? keys[where % keys.length] : key;
  if (del) delete t[k];
  else t[k] = value;
  return copy;
}

const KEYS = ['*', 'asset', 'readings', 'source', 'inspection', 'id', 'siteId', 'location', 'class', 'criticality', 'workGroup',
  'custom', 'metric', 'value', 'unit', 'quality', 'timestamp', 'kind', 'ref', 'extra', '__proto__', 'h'];

function agree(p: unknown): void {
  const fast = surelyValidReadings(p);
  if (fast) assert.equal(validateAssetReadings(p).ok, true, `fast path accepted what ajv refuses: ${JSON.stringify(p)}`);
}

describe('alarms: fast readings check', () => {
  it('takes the fast path for every well-formed message, and ajv agrees', () => {
    fc.assert(fc.property(goodMessage, (m) => {
      assert.equal(validateAssetReadings(m).ok, true);
      assert.equal(surelyValidReadings(m), true, JSON.stringify(m));
    }), { numRuns: 2000 });
  });

  it('never accepts a message with one property broken, missing or added unless ajv accepts it too', () => {
    let fastRefused = 0;
    fc.assert(fc.property(goodMessage, fc.nat(), fc.constantFrom(...KEYS), fc.oneof(fc.constantFrom(...NASTY), anything), fc.nat(4).map((n) => n === 0), (m, where, key, value, del) => {
      const bad = mutate(m as Json, where, key, value, del);
      agree(bad);
      if (!surelyValidReadings(bad)) fastRefused++;
    }), { numRuns: 20_000 });
    // The mutations must actually reach the checks, or this test proves nothing.
    assert.ok(fastRefused > 5_000, `only ${fastRefused} mutated messages left the fast path`);
  });

  it('never accepts arbitrary JSON values that ajv refuses', () => {
    fc.assert(fc.property(fc.jsonValue(), agree), { numRuns: 5_000 });
    fc.assert(fc.property(fc.record({ asset: anything, readings: fc.oneof(anything, fc.array(anything, { maxLength: 3 })), source: anything }), agree), { numRuns: 5_000 });
  });

  it('leaves the edge cases to ajv: lengths in code points, non-finite numbers, inherited and forbidden keys', () => {
    const base = (): Json => ({
      asset: { id: 'P1', siteId: 'S', location: 'S/A/L/U' },
      readings: [{ metric: 'm', value: 1, quality: 'good', timestamp: '2026-03-01T10:15:00Z' }],
      source: { kind: 'opcua', ref: 'r' },
    });
    assert.equal(surelyValidReadings(base()), true);
    const cases: Array<[string, (m: Json) => void]> = [
      ['201 code points in id', (m) => { (m.asset as Json).id = 'x'.repeat(201); }],
      ['emoji id of 200 code points (400 UTF-16 units)', (m) => { (m.asset as Json).id = '😀'.repeat(200); }],
      ['NaN value', (m) => { (m.readings as Json[])[0].value = Number.NaN; }],
      ['Infinity value', (m) => { (m.readings as Json[])[0].value = Infinity; }],
      ['location with //', (m) => { (m.asset as Json).location = 'S//A'; }],
      ['empty readings', (m) => { m.readings = []; }],
      ['inspection record', (m) => { m.inspection = { a: 1 }; }],
      ['own __proto__ key', (m) => { Object.defineProperty(m.asset, '__proto__', { value: 1, enumerable: true }); }],
      ['custom with a forbidden key', (m) => { (m.asset as Json).custom = JSON.parse('{"__proto__": 1}') as Json; }],
      ['criticality 1.5', (m) => { (m.asset as Json).criticality = 1.5; }],
      ['bad timestamp', (m) => { (m.readings as Json[])[0].timestamp = '2026-03-01'; }],
    ];
    for (const [name, breakIt] of cases) {
      const m = base();
      breakIt(m);
      assert.equal(surelyValidReadings(m), false, name);
    }
    // An emoji id of 200 code points is valid for ajv: the fast path just leaves it to ajv.
    const wide = base();
    (wide.asset as Json).id = '😀'.repeat(200);
    assert.equal(validateAssetReadings(wide).ok, true);
  });
});

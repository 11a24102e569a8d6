import assert from 'node:assert/strict';
import {
  FORBIDDEN_KEYS,
  MAX_REPORTED_ERRORS,
  validateAssetReadings,
  validateMaintenanceEvent,
  validateWorkOrderResult,
  validateWorkOrderStatus,
  type AssetReadings,
  type MaintenanceEvent,
  type WorkOrderResult,
  type WorkOrderStatus,
} from '../../nodes/core/contracts';

const asset = { id: 'PUMP-101', siteId: 'BEDFORD', location: 'BEDFORD/AREA1/LINE2/PUMP-101', class: 'PUMP', criticality: 2 };

const readings = (): AssetReadings => ({
  asset: { ...asset, custom: { hhLimit: 12.5 } },
  readings: [{ metric: 'vibration', value: 4.2, unit: 'mm/s', quality: 'good', timestamp: '2026-11-21T10:00:00.000Z' }],
  source: { kind: 'modbus', ref: 'plc3/unit1/hr/100' },
});

const event = (): MaintenanceEvent => ({
  kind: 'alarm', state: 'raised', eventId: 'BEDFORD.PUMP-101.vib-hh.20261121T100000Z', episodeId: 'ep-1', ruleId: 'vib-hh',
  asset, metric: 'vibration', value: 13.1, limit: 12.5, level: 'HH', severity: 'high', priority: 2,
  summary: 'Vibration high-high on PUMP-101', details: { peak: 13.1, samples: 5 }, occurredAt: '2026-11-21T10:00:00Z',
});

const result = (): WorkOrderResult => ({
  eventId: 'e1', cmms: 'Maximo', workOrderId: '1042', href: 'https://maximo/api/os/mxapiwodetail/_QTEw', outcome: 'created', attempts: 1, latencyMs: 84,
});

const status = (): WorkOrderStatus => ({
  workOrderId: '1042', eventId: 'e1', assetId: 'PUMP-101', status: 'in-progress', cmmsStatus: 'INPRG', changedAt: '2026-11-21T11:00:00+01:00',
});

/** Parses JSON the way a message from MQTT or a file arrives: `__proto__` becomes an own key. */
const fromWire = (json: string): unknown => JSON.parse(json);

function expectInvalid(v: (d: unknown) => { ok: boolean; errors?: string[] }, data: unknown, pattern: RegExp): void {
  const r = v(data) as { ok: boolean; errors?: string[] };
  assert.equal(r.ok, false, 'expected the data to be rejected');
  assert.ok(r.errors && r.errors.some((e) => pattern.test(e)), `no error matched ${pattern}: ${JSON.stringify(r.errors)}`);
}

describe('message contracts v1', () => {
  const cases = [
    { name: 'asset readings', v: validateAssetReadings, make: readings as () => object },
    { name: 'maintenance event', v: validateMaintenanceEvent, make: event as () => object },
    { name: 'work-order result', v: validateWorkOrderResult, make: result as () => object },
    { name: 'work-order status', v: validateWorkOrderStatus, make: status as () => object },
  ];

  for (const c of cases) {
    describe(c.name, () => {
      it('accepts a valid example and returns it unchanged', () => {
        const data = c.make();
        const r = c.v(data);
        assert.equal(r.ok, true, JSON.stringify(!r.ok && r.errors));
        assert.ok(r.ok && r.value === data);
      });

      it('rejects a top-level __proto__ key coming from JSON', () => {
        const json = JSON.stringify(c.make()).replace(/^\{/, '{"__proto__":{"polluted":true},');
        const data = fromWire(json);
        expectInvalid(c.v, data, /__proto__/);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });

      it('rejects unknown properties and names them', () => {
        expectInvalid(c.v, { ...c.make(), surprise: 1 }, /unexpected property "surprise"/);
      });

      it('rejects null, arrays and primitives', () => {
        for (const bad of [null, [], 'x', 42, undefined]) expectInvalid(c.v, bad, /payload/);
      });
    });
  }

  it('exposes its schema for help text and other tools', () => {
    assert.equal((validateMaintenanceEvent.schema as { $id: string }).$id, 'https://millwright.dev/contracts/v1/maintenance-event.json');
  });

  describe('asset readings specifics', () => {
    it('rejects NaN and Infinity values where numbers belong', () => {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const d = readings();
        d.readings[0].value = bad;
        expectInvalid(validateAssetReadings, d, /readings\.0\.value/);
      }
    });

    it('rejects a wrong quality and a missing timestamp', () => {
      const d = readings() as unknown as { readings: Array<Record<string, unknown>> };
      d.readings[0].quality = 'ok';
      delete d.readings[0].timestamp;
      const r = validateAssetReadings(d);
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.errors.some((e) => /quality: must be one of "good", "uncertain", "bad"/.test(e)), JSON.stringify(r));
      assert.ok(!r.ok && r.errors.some((e) => /missing required property "timestamp"/.test(e)));
    });

    it('rejects a timestamp without a zone (local time is ambiguous on a gateway)', () => {
      const d = readings();
      d.readings[0].timestamp = '2026-11-21T10:00:00';
      expectInvalid(validateAssetReadings, d, /timestamp/);
    });

    it('rejects prototype keys inside custom fields and inspection records', () => {
      for (const key of FORBIDDEN_KEYS) {
        const d = fromWire(JSON.stringify(readings()).replace('"custom":{', `"custom":{"${key}":1,`));
        expectInvalid(validateAssetReadings, d, new RegExp(key));
      }
      const withInspection = fromWire(JSON.stringify({ ...readings(), inspection: { unit: 'u1' } }).replace('"inspection":{', '"inspection":{"__proto__":{"x":1},'));
      expectInvalid(validateAssetReadings, withInspection, /__proto__/);
    });

    it('rejects an empty reading list and a malformed location path', () => {
      const d = readings();
      d.readings = [];
      expectInvalid(validateAssetReadings, d, /readings/);
      const e = readings();
      e.asset.location = 'BEDFORD//LINE2';
      expectInvalid(validateAssetReadings, e, /asset\.location/);
    });

    it('rejects huge strings without echoing them back', () => {
      const d = readings();
      d.source.ref = 'x'.repeat(5_000_000);
      const r = validateAssetReadings(d);
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.errors.join('\n').length < 2000, 'error text must stay short');
    });

    it('caps the number of reported problems', () => {
      const d = readings();
      d.readings = Array.from({ length: 500 }, () => ({ metric: '', value: NaN, quality: 'bad', timestamp: 'x' })) as never;
      const r = validateAssetReadings(d);
      assert.equal(r.ok, false);
      // Messages are untrusted: their validators stop at the first problem (issue 12), so 500 bad
      // rows cost one error, not 500; never more than the cap in any case.
      assert.ok(!r.ok && r.errors.length >= 1 && r.errors.length <= MAX_REPORTED_ERRORS + 1, JSON.stringify(r));
    });
  });

  describe('maintenance event specifics', () => {
    it('accepts null value and limit (sensor faults have none) and a string CMMS priority', () => {
      const d = { ...event(), state: 'sensor-fault', value: null, limit: null, level: 'STALE', priority: 'HIGH' };
      assert.equal(validateMaintenanceEvent(d).ok, true);
    });

    it('rejects an eventId that cannot travel as a CMMS reference', () => {
      expectInvalid(validateMaintenanceEvent, { ...event(), eventId: 'has spaces and "quotes"' }, /eventId/);
      expectInvalid(validateMaintenanceEvent, { ...event(), eventId: 'a'.repeat(201) }, /eventId/);
    });

    it('rejects wrong types and out-of-contract enums', () => {
      expectInvalid(validateMaintenanceEvent, { ...event(), value: '13.1' }, /value/);
      expectInvalid(validateMaintenanceEvent, { ...event(), severity: 'urgent' }, /severity/);
      expectInvalid(validateMaintenanceEvent, { ...event(), state: 'open' }, /state/);
      expectInvalid(validateMaintenanceEvent, { ...event(), priority: 2.5 }, /priority/);
      expectInvalid(validateMaintenanceEvent, { ...event(), value: NaN }, /value/);
    });

    it('rejects nested objects in details (evidence must stay flat and loggable)', () => {
      expectInvalid(validateMaintenanceEvent, { ...event(), details: { nested: { a: 1 } } }, /details/);
    });
  });

  describe('work-order result and status specifics', () => {
    it('allows a queued result without a work order yet', () => {
      assert.equal(validateWorkOrderResult({ ...result(), outcome: 'queued', workOrderId: null, href: null, latencyMs: null }).ok, true);
    });

    it('rejects negative attempts and unknown outcomes', () => {
      expectInvalid(validateWorkOrderResult, { ...result(), attempts: -1 }, /attempts/);
      expectInvalid(validateWorkOrderResult, { ...result(), outcome: 'sent' }, /outcome/);
    });

    it('status: eventId is optional, status is one of the normalised states', () => {
      const { eventId: _omit, ...rest } = status();
      assert.equal(validateWorkOrderStatus(rest).ok, true);
      expectInvalid(validateWorkOrderStatus, { ...status(), status: 'finished' }, /status/);
    });

    it('status v1 messages stay valid and the mw-wo-status fields are accepted', () => {
      for (const s of ['open', 'in-progress', 'on-hold', 'done', 'cancelled', 'approved', 'waiting', 'closed', 'unknown']) {
        assert.equal(validateWorkOrderStatus({ ...status(), status: s }).ok, true, s);
      }
      const full = { ...status(), eventIds: ['e1', 'e2'], href: 'https://mx/api/os/mxapiwodetail/_QTEw', changedBy: 'WILSON', cmms: 'Maximo', source: 'webhook', webhookId: 'msg_1', receivedAt: '2026-11-21T10:00:01Z', displayId: 'INC001' };
      assert.equal(validateWorkOrderStatus(full).ok, true);
      expectInvalid(validateWorkOrderStatus, { ...status(), source: 'email' }, /source/);
      expectInvalid(validateWorkOrderStatus, { ...status(), eventIds: [''] }, /eventIds/);
    });
  });
});

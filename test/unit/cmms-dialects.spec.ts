import assert from 'node:assert/strict';
import type http from 'node:http';
import { checkConfig, createCmmsClient, type CmmsClient, type CmmsConfig } from '../../nodes/core/cmms';
import { CmmsError } from '../../nodes/core/cmms/errors';
import { maintainxAssetState, maintainxBase, maintainxPriority, maintainxState, referenceOf } from '../../nodes/core/cmms/maintainx';
import { maximoAssetState, maximoBase, maximoState } from '../../nodes/core/cmms/maximo';
import { restAssetState, restState } from '../../nodes/core/cmms/rest';
import { linkNext, serviceNowAssetState, serviceNowKind, serviceNowState, urgencyImpactFor } from '../../nodes/core/cmms/servicenow';
import { standardWebhookHeaders, verifyStandardWebhook } from '../../nodes/core/cmms/signing';
import { toIso, toServiceNowTime } from '../../nodes/core/cmms/values';
import { referenceFor } from '../../nodes/core/cmms/reference';
import { json, startServer, type TestServer } from './cmms-server';

describe('cmms dialects (pure parts)', () => {
  it('Maximo statuses and asset statuses', () => {
    const table: Record<string, string> = {
      WAPPR: 'open', APPR: 'open', WSCH: 'open', WPCOND: 'open', WMATL: 'on-hold', INPRG: 'in-progress',
      COMP: 'done', CLOSE: 'done', CAN: 'cancelled', inprg: 'in-progress', SITEDEFINED: 'open',
    };
    for (const [s, want] of Object.entries(table)) assert.equal(maximoState(s), want, s);
    assert.equal(maximoAssetState('OPERATING'), 'active');
    assert.equal(maximoAssetState('NOT READY'), 'inactive');
    assert.equal(maximoAssetState('DECOMMISSIONED'), 'decommissioned');
  });

  it('ServiceNow states, CI statuses, priority matrix and 403 reading', () => {
    const table: Record<string, string> = { 1: 'open', 2: 'in-progress', 3: 'on-hold', 6: 'done', 7: 'done', 8: 'cancelled' };
    for (const [s, want] of Object.entries(table)) assert.equal(serviceNowState(s), want, s);
    assert.equal(serviceNowAssetState('1'), 'active');
    assert.equal(serviceNowAssetState('2'), 'inactive');
    assert.equal(serviceNowAssetState('6'), 'decommissioned');
    assert.deepEqual([1, 2, 3, 4, 5].map((p) => urgencyImpactFor(p)), [
      { urgency: '1', impact: '1' }, { urgency: '1', impact: '2' }, { urgency: '2', impact: '2' }, { urgency: '2', impact: '3' }, { urgency: '3', impact: '3' },
    ]);
    assert.equal(urgencyImpactFor(9), null);
    assert.equal(serviceNowKind(403, { message: 'Operation Failed: Data Policy Exception: close_code is mandatory' }), 'permanent');
    // An ACL refusal is about one record (closed incidents are read-only for non-admins), not the sign-in.
    assert.equal(serviceNowKind(403, { message: 'Operation Failed: ACL Exception Insert Failed due to security constraints' }), 'permanent');
    assert.equal(serviceNowKind(403, { message: 'Forbidden' }), undefined);
    assert.equal(serviceNowKind(400, { message: 'Operation Failed' }), undefined);
  });

  it('ServiceNow Link header and times', () => {
    const headers = { link: '<https://x/api/now/table/incident?sysparm_offset=0>;rel="first",<https://x/api/now/table/incident?sysparm_offset=10&sysparm_limit=10>;rel="next",<https://x/a?sysparm_offset=20>;rel="last"' };
    assert.equal(linkNext(headers), 'https://x/api/now/table/incident?sysparm_offset=10&sysparm_limit=10');
    assert.equal(linkNext({ link: '<https://x/a>;rel="first"' }), null);
    assert.equal(linkNext({}), null);
    assert.equal(toServiceNowTime('2026-03-01T09:15:30.250+01:00'), '2026-03-01 08:15:30');
    assert.equal(toIso('2026-03-01 08:15:30', 'x'), '2026-03-01T08:15:30.000Z');
    assert.equal(toIso('garbage', 'fallback'), 'fallback');
  });

  it('MaintainX statuses, priorities and references', () => {
    const table: Record<string, string> = { OPEN: 'open', IN_PROGRESS: 'in-progress', ON_HOLD: 'on-hold', DONE: 'done', CANCELED: 'cancelled' };
    for (const [s, want] of Object.entries(table)) assert.equal(maintainxState(s), want, s);
    assert.equal(maintainxAssetState('ONLINE'), 'active');
    assert.equal(maintainxAssetState('OFFLINE'), 'inactive');
    assert.deepEqual([1, 2, 3, 4, 5, 'high', 'critical', 'LOW', 'none'].map(maintainxPriority), ['HIGH', 'HIGH', 'MEDIUM', 'LOW', 'NONE', 'HIGH', 'HIGH', 'LOW', 'NONE']);
    assert.throws(() => maintainxPriority('urgent-ish'), CmmsError);
    assert.equal(referenceOf({ millwrightEventId: 'ev-1', other: 2 }), 'ev-1');
    assert.equal(referenceOf('ev-2'), 'ev-2');
    assert.equal(referenceOf(null), null);
    assert.equal(referenceOf({ someoneElse: 'x' }), null);
  });

  it('REST status words', () => {
    const table: Record<string, string> = {
      open: 'open', NEW: 'open', in_progress: 'in-progress', 'In Progress': 'in-progress', ON_HOLD: 'on-hold', paused: 'on-hold',
      done: 'done', Closed: 'done', COMPLETED: 'done', canceled: 'cancelled', CANCELLED: 'cancelled', weird: 'open',
    };
    for (const [s, want] of Object.entries(table)) assert.equal(restState(s), want, s);
    assert.equal(restAssetState('OPERATING'), 'active');
    assert.equal(restAssetState('NOT READY'), 'inactive');
    assert.equal(restAssetState('retired'), 'decommissioned');
  });

  it('base URLs: forgiving about what the engineer pastes', () => {
    assert.equal(maximoBase('https://mx.example.com', 'api'), 'https://mx.example.com/maximo/api');
    assert.equal(maximoBase('https://mx.example.com/maximo/', 'oslc'), 'https://mx.example.com/maximo/oslc');
    assert.equal(maximoBase('https://mx.example.com/maximo/api', 'oslc'), 'https://mx.example.com/maximo/api');
    assert.equal(maintainxBase('https://api.getmaintainx.com'), 'https://api.getmaintainx.com/v1');
    assert.equal(maintainxBase('https://api.getmaintainx.com/v1/'), 'https://api.getmaintainx.com/v1');
  });

  it('Standard Webhooks signatures verify, reject tampering, stale times and wrong secrets, and allow rotation', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"title":"x"}';
    const h = standardWebhookHeaders(secret, 'msg_1', 1_700_000_000, body);
    const hdr = { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] };
    assert.equal(verifyStandardWebhook(secret, hdr, body, 1_700_000_010), true);
    assert.equal(verifyStandardWebhook(secret, hdr, '{"title":"y"}', 1_700_000_010), false);
    assert.equal(verifyStandardWebhook(secret, hdr, body, 1_700_000_400), false);
    assert.equal(verifyStandardWebhook('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', hdr, body, 1_700_000_010), false);
    assert.equal(verifyStandardWebhook(secret, { ...hdr, signature: `v1,bm90LWl0 ${hdr.signature}` }, body, 1_700_000_010), true);
  });

  it('checkConfig explains what is wrong before anything is sent', () => {
    const ok: CmmsConfig = { dialect: 'rest', baseUrl: 'https://cmms.example', auth: { kind: 'none' } };
    assert.equal(checkConfig(ok), null);
    assert.match(String(checkConfig({ ...ok, baseUrl: 'cmms.example' })), /not a URL/);
    assert.match(String(checkConfig({ ...ok, baseUrl: 'ftp://cmms.example' })), /http:\/\/ or https:\/\//);
    assert.match(String(checkConfig({ ...ok, baseUrl: 'https://user:pw@cmms.example' })), /credentials/);
    assert.match(String(checkConfig({ ...ok, dialect: 'sap' as CmmsConfig['dialect'] })), /unknown CMMS dialect/);
    assert.match(String(checkConfig({ ...ok, timeoutMs: 0 })), /timeoutMs/);
    assert.match(String(checkConfig({ ...ok, auth: { kind: 'apikey', header: 'apikey', key: '' } })), /API key/);
    assert.match(String(checkConfig({ ...ok, auth: { kind: 'oauth2', tokenUrl: '/t', clientId: 'c', clientSecret: '' } })), /OAuth 2/);
    assert.throws(() => createCmmsClient({ ...ok, baseUrl: 'nope' }), (e: unknown) => e instanceof CmmsError && e.code === 'EBADCONFIG');
  });

  describe('MaintainX lookup as the published API allows it (issue 14 item 13)', () => {
    let server: TestServer;
    let client: CmmsClient;
    const now = Date.parse('2026-03-01T10:00:00Z');
    // The dialect sees the compact reference of the event id (reference.ts).
    const mx = (eventId: string): string => referenceFor('maintainx', eventId);
    // A list item as the OpenAPI has it: description, no externalData, no assetId.
    const item = (id: number, ref: string | null) => ({ id, status: 'OPEN', title: 't', description: ref ? `Evidence\n\nMillwright reference: ${ref}` : 'typed by hand', createdAt: '2026-03-01T09:00:00Z', updatedAt: '2026-03-01T09:00:00Z' });
    afterEach(async () => {
      client.close();
      await server.close();
    });

    async function start(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<void> {
      server = await startServer(handler);
      client = createCmmsClient({ dialect: 'maintainx', baseUrl: server.url, auth: { kind: 'bearer', token: 't0ken-xyz' }, maintainx: { lookbackHours: 2 } }, { now: () => now });
    }

    it('lists by createdAt[gte] newest first, matches the description line, and confirms by reading the candidate', async () => {
      await start((req, res) => {
        const u = new URL(String(req.url), 'http://x');
        if (u.pathname === '/v1/workorders/3') return json(res, 200, { workOrder: { ...item(3, mx('ev-target')), externalData: { millwrightEventId: mx('ev-target') }, assetId: 5000 } });
        if (u.pathname === '/v1/workorders/9') return json(res, 200, { workOrder: { ...item(9, mx('ev-copy')), externalData: null } });
        const cursor = u.searchParams.get('cursor');
        if (!cursor) json(res, 200, { workOrders: [item(1, mx('ev-a')), item(2, null)], nextCursor: 'c2' });
        else json(res, 200, { workOrders: [item(3, mx('ev-target'))], nextCursor: null });
      });
      const found = await client.findByReference('ev-target');
      assert.equal(found?.id, '3');
      assert.equal(found?.assetId, '5000', 'read in full, so the asset is known');
      const urls = server.seen.map((r) => new URL(r.url, 'http://x'));
      assert.equal(urls[0].searchParams.get('createdAt[gte]'), '2026-03-01T08:00:00.000Z', 'only work orders created in the look-back window');
      assert.equal(urls[0].searchParams.get('sort'), '-createdAt');
      assert.equal(urls[0].searchParams.get('externalData'), null, 'no filter the API does not have');
      assert.equal(urls[1].searchParams.get('cursor'), 'c2');
      assert.equal(urls[2].pathname, '/v1/workorders/3', 'only the matching candidate is read');
      assert.equal(server.seen.length, 3);
      assert.equal(await client.findByReference('ev-missing'), null);
    });

    it('a candidate whose full record carries another reference is not ours', async () => {
      await start((req, res) => {
        const u = new URL(String(req.url), 'http://x');
        if (u.pathname === '/v1/workorders/9') return json(res, 200, { workOrder: { ...item(9, mx('ev-other')), externalData: { millwrightEventId: mx('ev-other') } } });
        json(res, 200, { workOrders: [{ ...item(9, mx('ev-copy')) }], nextCursor: null });
      });
      assert.equal(await client.findByReference('ev-copy'), null);
    });
  });
});

import assert from 'node:assert/strict';
import { CmmsError, describeText, kindForStatus, parseVendorError, redact, statusIsAmbiguous } from '../../nodes/core/cmms/errors';

describe('cmms errors', () => {
  describe('kindForStatus', () => {
    it('classifies every 4xx and 5xx status', () => {
      for (let s = 400; s < 600; s++) {
        let expected: string;
        if (s === 401 || s === 403) expected = 'auth';
        else if (s === 409) expected = 'conflict';
        else if (s === 408 || s === 425 || s === 429 || s >= 500) expected = 'transient';
        else expected = 'permanent';
        assert.equal(kindForStatus(s), expected, `status ${s}`);
      }
    });

    it('names the classes the outbox relies on', () => {
      const table: Array<[number, string]> = [
        [400, 'permanent'], [401, 'auth'], [403, 'auth'], [404, 'permanent'], [405, 'permanent'], [408, 'transient'],
        [409, 'conflict'], [412, 'permanent'], [413, 'permanent'], [415, 'permanent'], [422, 'permanent'], [425, 'transient'],
        [429, 'transient'], [500, 'transient'], [502, 'transient'], [503, 'transient'], [504, 'transient'],
      ];
      for (const [status, kind] of table) assert.equal(kindForStatus(status), kind, `status ${status}`);
    });

    it('marks only writes answered 500/502/504 as ambiguous', () => {
      assert.equal(statusIsAmbiguous(500, 'POST'), true);
      assert.equal(statusIsAmbiguous(502, 'PATCH'), true);
      assert.equal(statusIsAmbiguous(504, 'POST'), true);
      assert.equal(statusIsAmbiguous(503, 'POST'), false);
      assert.equal(statusIsAmbiguous(429, 'POST'), false);
      assert.equal(statusIsAmbiguous(500, 'GET'), false);
      assert.equal(statusIsAmbiguous(422, 'POST'), false);
    });
  });

  describe('parseVendorError', () => {
    it('reads Maximo lean errors with the BMXAA reason code', () => {
      const body = { Error: { errorattrname: 'siteid', reasonCode: 'BMXAA4153E', message: 'BMXAA4153E - Site XYZ is not valid.', statusCode: '400' } };
      assert.deepEqual(parseVendorError(body), { message: 'BMXAA4153E - Site XYZ is not valid.', vendorCode: 'BMXAA4153E' });
    });

    it('reads Maximo OSLC-namespaced errors', () => {
      const body = { 'oslc:Error': { 'spi:reasonCode': 'BMXAA7901E', 'oslc:message': 'BMXAA7901E - You cannot log in at this time.' } };
      assert.deepEqual(parseVendorError(body), { message: 'BMXAA7901E - You cannot log in at this time.', vendorCode: 'BMXAA7901E' });
    });

    it('reads ServiceNow message and detail', () => {
      const body = { error: { message: 'Rate limit exceeded', detail: 'Rate limit of 10 requests per hour for Table API exceeded' }, status: 'failure' };
      assert.equal(parseVendorError(body).message, 'Rate limit exceeded: Rate limit of 10 requests per hour for Table API exceeded');
      assert.equal(parseVendorError({ error: { message: 'Invalid table', detail: null } }).message, 'Invalid table');
    });

    it('reads MaintainX errors[] with fields', () => {
      const body = { errors: [{ message: 'is required', field: 'title' }, { message: 'Unauthorized' }] };
      assert.equal(parseVendorError(body).message, 'title: is required; Unauthorized');
    });

    it('reads OAuth and generic shapes', () => {
      assert.deepEqual(parseVendorError({ error: 'invalid_client', error_description: 'bad secret' }), { message: 'invalid_client: bad secret', vendorCode: 'invalid_client' });
      assert.equal(parseVendorError({ message: 'asset unknown', code: 'E42' }).message, 'asset unknown');
      assert.equal(parseVendorError({ message: 'asset unknown', code: 'E42' }).vendorCode, 'E42');
      assert.equal(parseVendorError({ error: 'Idempotency-Key reused with a different body' }).message, 'Idempotency-Key reused with a different body');
      assert.equal(parseVendorError({ title: 'Unprocessable', detail: 'priority out of range' }).message, 'Unprocessable: priority out of range');
    });

    it('returns nothing for bodies without an explanation', () => {
      for (const body of [null, 'text', 42, [], {}, { errors: [] }, { error: {} }]) assert.deepEqual(parseVendorError(body), {});
    });
  });

  describe('describeText', () => {
    it('uses the title of an HTML page', () => {
      assert.equal(describeText('<!DOCTYPE html><html><head><title>Sign in – Corp SSO</title></head><body>…</body></html>', 'text/html'), 'an HTML page ("Sign in – Corp SSO")');
    });
    it('strips tags from an HTML page without a title and caps the length', () => {
      const out = describeText(`<html><body><h1>Bad Gateway</h1>${'x'.repeat(500)}</body></html>`, 'text/html');
      assert.match(out, /^an HTML page \("Bad Gateway x{10}/);
      assert.ok(out.length < 240);
    });
    it('names other content types and empty bodies', () => {
      assert.equal(describeText('{"a":', 'application/json; charset=utf-8'), 'application/json body ("{"a":")');
      assert.equal(describeText('   ', 'text/plain'), 'an empty body');
    });
  });

  it('redact replaces every occurrence of every secret', () => {
    assert.equal(redact('key=s3cr3t-key and again s3cr3t-key; token tok-123456', ['s3cr3t-key', 'tok-123456']), 'key=*** and again ***; token ***');
  });

  it('CmmsError serialises without undefined noise and keeps its class', () => {
    const e = new CmmsError({ kind: 'transient', message: 'x', status: 503, retryAfterMs: 2000 });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'CmmsError');
    assert.equal(e.retryable, true);
    assert.equal(e.ambiguous, false);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), { name: 'CmmsError', kind: 'transient', message: 'x', status: 503, retryAfterMs: 2000, ambiguous: false });
    assert.equal(new CmmsError({ kind: 'auth', message: 'y' }).retryable, false);
  });
});

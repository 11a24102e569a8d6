// The one admin error body (issue 11): what the server sends (nodes/lib/admin-error.ts) and what the
// editor shows of it (editor/mw-admin-error.js, shared by every edit dialog and the sidebar).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { adminErrorBody, guardedRoute, sendAdminError } from '../../nodes/lib/admin-error';
import { REPO_ROOT } from '../support/package';

interface AdminErrorApi { text(xhr: unknown): string; details(xhr: unknown): string[] }
const shown = createRequire(__filename)(path.join(REPO_ROOT, 'editor', 'mw-admin-error.js')) as AdminErrorApi;

/** Just enough of an express Response to record what a route sends. */
function fakeRes(headersSent = false) {
  const sent: { status?: number; body?: unknown; ended?: boolean } = {};
  const res = {
    headersSent,
    status(s: number) { sent.status = s; return res; },
    json(b: unknown) { sent.body = b; return res; },
    end() { sent.ended = true; return res; },
  };
  return { res: res as never, sent };
}

describe('admin error body (server side)', () => {
  it('is {error: {code, message, details}} with the status given', () => {
    const { res, sent } = fakeRes();
    sendAdminError(res, 400, 'bad-request', 'by must be one of class, site', ['by: "colour"']);
    assert.equal(sent.status, 400);
    assert.deepEqual(sent.body, { error: { code: 'bad-request', message: 'by must be one of class, site', details: ['by: "colour"'] } });
    assert.deepEqual(adminErrorBody('not-found', 'no such node'), { error: { code: 'not-found', message: 'no such node', details: [] } });
  });

  it('a throw inside a guarded route is a 500 in the same shape; a stream already under way is ended', () => {
    const { res, sent } = fakeRes();
    guardedRoute(() => { throw new Error('disk on fire'); })({}, res);
    assert.deepEqual([sent.status, sent.body], [500, { error: { code: 'internal', message: 'disk on fire', details: [] } }]);
    const streaming = fakeRes(true);
    sendAdminError(streaming.res, 500, 'internal', 'cut short');
    assert.deepEqual(streaming.sent, { ended: true });
  });
});

describe('admin error body (what the editor shows)', () => {
  const body = { error: { code: 'bad-request', message: 'metric: give the metric; series line 1', details: ['metric: give the metric', 'series line 1'] } };
  it('shows the message, and the details one by one', () => {
    assert.equal(shown.text({ responseJSON: body, statusText: 'Bad Request', status: 400 }), body.error.message);
    assert.deepEqual(shown.details({ responseJSON: body, status: 400 }), body.error.details);
  });
  it('reads a body jQuery did not parse (dataType text)', () => {
    assert.equal(shown.text({ responseText: JSON.stringify(body), status: 400 }), body.error.message);
  });
  it('falls back on the HTTP status, never "undefined" or "[object Object]"', () => {
    for (const xhr of [{ status: 502, statusText: 'Bad Gateway' }, { responseJSON: { error: 'old text shape' }, statusText: 'Not Found' }, { responseText: '<html>', statusText: 'Error' }]) {
      const t = shown.text(xhr);
      assert.ok(t !== '' && !/undefined|object Object/.test(t), t);
    }
    assert.equal(shown.text({ status: 0 }), '');
    assert.deepEqual(shown.details({ responseJSON: { error: { code: 'x', message: 'only this', details: [] } } }), ['only this']);
  });
});

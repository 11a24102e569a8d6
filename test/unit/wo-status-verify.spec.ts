// Signature verification per dialect. The expected signatures come from the simulator's own
// signing code (sim/cmms/webhooks.ts), which does not use the standardwebhooks package: two
// implementations have to agree.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { signMaintainx, signStandard } from '../../sim/cmms/webhooks';
import { verifyWebhook, type Verdict } from '../../nodes/core/wo-status/verify';

const NOW = 1_800_000_000;
const body = Buffer.from(JSON.stringify({ type: 'WORK_ORDER_STATUS_CHANGE', workOrderId: 7, newWorkOrder: { id: 7, status: 'DONE' } }));
const secret = 'mx-secret-1';
const whsec = `whsec_${Buffer.from('a-24-byte-secret-for-tests!!').toString('base64')}`;

const fail = (v: Verdict): string => (v.ok ? 'ok' : v.reason);

describe('mw-wo-status signature verification', () => {
  describe('MaintainX (t=…,v1=…)', () => {
    const headers = (sig: string): Record<string, string> => ({ 'x-maintainx-webhook-body-signature': sig });
    it('accepts a body signed as MaintainX signs it', () => {
      const v = verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx(secret, NOW, body.toString())), rawBody: body, secrets: [secret], nowSec: NOW });
      assert.equal(v.ok, true);
      assert.ok(v.ok && v.replayKey?.startsWith('mx:'));
    });
    it('refuses a wrong secret, a changed body and a missing header', () => {
      assert.equal(fail(verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx('other', NOW, body.toString())), rawBody: body, secrets: [secret], nowSec: NOW })), 'bad-signature');
      const changed = Buffer.from(body.toString().replace('DONE', 'OPEN'));
      assert.equal(fail(verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx(secret, NOW, body.toString())), rawBody: changed, secrets: [secret], nowSec: NOW })), 'bad-signature');
      assert.equal(fail(verifyWebhook({ scheme: 'maintainx', headers: {}, rawBody: body, secrets: [secret], nowSec: NOW })), 'missing-signature');
    });
    it('refuses a timestamp more than 5 minutes away, in either direction', () => {
      for (const t of [NOW - 301, NOW + 301]) {
        assert.equal(fail(verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx(secret, t, body.toString())), rawBody: body, secrets: [secret], nowSec: NOW })), 'stale');
      }
      assert.equal(verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx(secret, NOW - 299, body.toString())), rawBody: body, secrets: [secret], nowSec: NOW }).ok, true);
    });
    it('accepts the previous secret during a rotation and says which one matched', () => {
      const v = verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx('old-secret', NOW, body.toString())), rawBody: body, secrets: [secret, 'old-secret'], nowSec: NOW });
      assert.ok(v.ok);
      assert.equal(v.ok && v.secretIndex, 1);
      assert.equal(fail(verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx('old-secret', NOW, body.toString())), rawBody: body, secrets: [secret, ''], nowSec: NOW })), 'bad-signature');
    });
    it('gives the same replay key to the same request, another to a new one', () => {
      const h = headers(signMaintainx(secret, NOW, body.toString()));
      const a = verifyWebhook({ scheme: 'maintainx', headers: h, rawBody: body, secrets: [secret], nowSec: NOW });
      const b = verifyWebhook({ scheme: 'maintainx', headers: h, rawBody: body, secrets: [secret], nowSec: NOW + 10 });
      const c = verifyWebhook({ scheme: 'maintainx', headers: headers(signMaintainx(secret, NOW + 1, body.toString())), rawBody: body, secrets: [secret], nowSec: NOW });
      assert.ok(a.ok && b.ok && c.ok);
      assert.equal(a.ok && a.replayKey, b.ok && b.replayKey);
      assert.notEqual(a.ok && a.replayKey, c.ok && c.replayKey);
    });
  });

  describe('Standard Webhooks (generic REST), through the standardwebhooks package', () => {
    const now = (): number => Math.floor(Date.now() / 1000);
    const headers = (s: string, id: string, ts: number): Record<string, string> => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandard(s, id, ts, body.toString()) });
    it('accepts whsec_ and plain secrets signed by the simulator', () => {
      for (const s of [whsec, 'plain-text-secret']) {
        // One reading of the clock: a second boundary between two readings made this test flaky.
        const t = now();
        const v = verifyWebhook({ scheme: 'standard', headers: headers(s, 'msg_1', t), rawBody: body, secrets: [s], nowSec: t });
        assert.ok(v.ok, s);
        assert.equal(v.ok && v.replayKey, `sw:msg_1:${t}`);
        assert.equal(v.ok && v.webhookId, 'msg_1');
      }
    });
    it('refuses a bad signature, a changed id, a missing header', () => {
      const h = headers(whsec, 'msg_2', now());
      assert.equal(fail(verifyWebhook({ scheme: 'standard', headers: h, rawBody: body, secrets: [`whsec_${Buffer.from('another-secret-of-24-bytes!').toString('base64')}`], nowSec: now() })), 'bad-signature');
      assert.equal(fail(verifyWebhook({ scheme: 'standard', headers: { ...h, 'webhook-id': 'msg_3' }, rawBody: body, secrets: [whsec], nowSec: now() })), 'bad-signature');
      const { 'webhook-signature': _s, ...noSig } = h;
      assert.equal(fail(verifyWebhook({ scheme: 'standard', headers: noSig, rawBody: body, secrets: [whsec], nowSec: now() })), 'missing-signature');
    });
    it('says stale only to a sender that knows the secret', () => {
      const old = now() - 600;
      assert.equal(fail(verifyWebhook({ scheme: 'standard', headers: headers(whsec, 'msg_4', old), rawBody: body, secrets: [whsec], nowSec: now() })), 'stale');
      assert.equal(fail(verifyWebhook({ scheme: 'standard', headers: headers('not-it', 'msg_4', old), rawBody: body, secrets: [whsec], nowSec: now() })), 'bad-signature');
    });
    it('accepts a rotated secret, either as the second secret or as a second signature', () => {
      const v = verifyWebhook({ scheme: 'standard', headers: headers('old-one', 'msg_5', now()), rawBody: body, secrets: [whsec, 'old-one'], nowSec: now() });
      assert.ok(v.ok && v.secretIndex === 1);
      const h = headers('old-one', 'msg_6', now());
      h['webhook-signature'] = `${signStandard(whsec, 'msg_6', now(), body.toString())} ${h['webhook-signature']}`;
      const w = verifyWebhook({ scheme: 'standard', headers: h, rawBody: body, secrets: [whsec], nowSec: now() });
      assert.ok(w.ok && w.secretIndex === 0);
    });
  });

  describe('HMAC header (ServiceNow business rule, Maximo script)', () => {
    const sign = (s: string, t: number, enc: 'hex' | 'base64'): Record<string, string> => ({
      'x-millwright-signature': `t=${t},v1=${crypto.createHmac('sha256', s).update(`${t}.`).update(body).digest(enc)}`,
    });
    it('accepts hex and base64 (GlideCertificateEncryption.generateMac gives base64)', () => {
      for (const enc of ['hex', 'base64'] as const) assert.ok(verifyWebhook({ scheme: 'hmac', headers: sign('sn-secret', NOW, enc), rawBody: body, secrets: ['sn-secret'], nowSec: NOW }).ok, enc);
    });
    it('refuses bad, stale, duplicated headers', () => {
      assert.equal(fail(verifyWebhook({ scheme: 'hmac', headers: sign('x', NOW, 'hex'), rawBody: body, secrets: ['sn-secret'], nowSec: NOW })), 'bad-signature');
      assert.equal(fail(verifyWebhook({ scheme: 'hmac', headers: sign('sn-secret', NOW - 1000, 'hex'), rawBody: body, secrets: ['sn-secret'], nowSec: NOW })), 'stale');
      const one = sign('sn-secret', NOW, 'hex')['x-millwright-signature'];
      assert.equal(fail(verifyWebhook({ scheme: 'hmac', headers: { 'x-millwright-signature': [one, one] }, rawBody: body, secrets: ['sn-secret'], nowSec: NOW })), 'missing-signature');
      assert.equal(fail(verifyWebhook({ scheme: 'hmac', headers: { 'x-millwright-signature': 'garbage' }, rawBody: body, secrets: ['sn-secret'], nowSec: NOW })), 'bad-signature');
    });
    it('accepts the previous secret', () => {
      const v = verifyWebhook({ scheme: 'hmac', headers: sign('old', NOW, 'base64'), rawBody: body, secrets: ['new', 'old'], nowSec: NOW });
      assert.ok(v.ok && v.secretIndex === 1);
    });
  });

  describe('shared-secret header (Maximo HTTP endpoint)', () => {
    it('accepts the secret in the configured header, refuses anything else', () => {
      assert.ok(verifyWebhook({ scheme: 'shared-secret', headers: { 'x-millwright-secret': 'mx-shared' }, rawBody: body, secrets: ['mx-shared'], nowSec: NOW }).ok);
      assert.ok(verifyWebhook({ scheme: 'shared-secret', headers: { 'x-maximo-key': 'mx-shared' }, rawBody: body, secrets: ['mx-shared'], nowSec: NOW, secretHeader: 'x-maximo-key' }).ok);
      assert.equal(fail(verifyWebhook({ scheme: 'shared-secret', headers: { 'x-millwright-secret': 'mx-shared!' }, rawBody: body, secrets: ['mx-shared'], nowSec: NOW })), 'bad-signature');
      assert.equal(fail(verifyWebhook({ scheme: 'shared-secret', headers: {}, rawBody: body, secrets: ['mx-shared'], nowSec: NOW })), 'missing-signature');
      const rotated = verifyWebhook({ scheme: 'shared-secret', headers: { 'x-millwright-secret': 'old' }, rawBody: body, secrets: ['new', 'old'], nowSec: NOW });
      assert.ok(rotated.ok && rotated.secretIndex === 1);
    });
    it('refuses everything when no secret is configured', () => {
      assert.equal(fail(verifyWebhook({ scheme: 'shared-secret', headers: { 'x-millwright-secret': '' }, rawBody: body, secrets: ['', ''], nowSec: NOW })), 'bad-signature');
    });
  });
});

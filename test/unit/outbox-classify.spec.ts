import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CmmsError } from '../../nodes/core/cmms/errors';
import { backoffDelay, decide, describeFailure, percentile, retryDelay, scrubSecrets, type BackoffPolicy } from '../../nodes/core/outbox';

const policy = (r: number): BackoffPolicy => ({ baseMs: 2000, capMs: 600_000, random: () => r });

describe('outbox backoff and classification', () => {
  it('keeps full-jitter backoff within [0, min(cap, base·2^(n-1))]', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
      const d = backoffDelay(n, policy(r));
      const ceiling = Math.min(600_000, 2000 * 2 ** (n - 1));
      return Number.isInteger(d) && d >= 0 && d <= ceiling;
    }));
    assert.equal(backoffDelay(1, policy(0.999999)), 1999);
    assert.equal(backoffDelay(5, policy(0.5)), 16_000);
    assert.equal(backoffDelay(40, policy(0.999999)), 599_999, 'capped at 10 min');
    assert.equal(backoffDelay(3, policy(0)), 0);
  });

  it('lets a longer Retry-After win over the backoff, never a shorter one', () => {
    assert.equal(retryDelay(1, 45_000, policy(0.5)), 45_000);
    assert.equal(retryDelay(3, 100, policy(0.5)), 4_000);
    assert.equal(retryDelay(3, undefined, policy(0.5)), 4_000);
  });

  it('classifies failures: link-level, ambiguous, Retry-After', () => {
    const net = describeFailure(new CmmsError({ kind: 'transient', code: 'ECONNREFUSED', message: 'refused' }));
    assert.deepEqual({ ...net }, { errorClass: 'transient', message: 'refused', code: 'ECONNREFUSED', ambiguous: false, linkDown: true });
    assert.equal(describeFailure(new CmmsError({ kind: 'transient', status: 503, message: 'x' })).linkDown, true);
    assert.equal(describeFailure(new CmmsError({ kind: 'transient', status: 429, message: 'x', retryAfterMs: 5 })).linkDown, false);
    assert.equal(describeFailure(new CmmsError({ kind: 'transient', code: 'ECLOSED', message: 'x' })).linkDown, false, 'our own shutdown');
    assert.equal(describeFailure(new CmmsError({ kind: 'conflict', status: 409, message: 'x' })).ambiguous, true);
    assert.equal(describeFailure(new CmmsError({ kind: 'transient', code: 'ETIMEDOUT', ambiguous: true, message: 'x' })).ambiguous, true);
    const odd = describeFailure(new RangeError('weird'));
    assert.equal(odd.errorClass, 'internal');
    assert.equal(odd.message, 'RangeError: weird');
  });

  it('decides: permanent dead at once, auth dead after N, conflict looked up at once, the rest retried', () => {
    const f = (kind: CmmsError['kind']) => describeFailure(new CmmsError({ kind, message: kind }));
    assert.deepEqual(decide(f('permanent'), { attempts: 1, authFailures: 0 }, 3, policy(0.5)), { kind: 'dead', reason: 'permanent' });
    assert.deepEqual(decide(f('auth'), { attempts: 2, authFailures: 2 }, 3, policy(0.5)), { kind: 'retry', delayMs: 2000 });
    assert.deepEqual(decide(f('auth'), { attempts: 3, authFailures: 3 }, 3, policy(0.5)), { kind: 'dead', reason: 'auth' });
    assert.deepEqual(decide(f('conflict'), { attempts: 1, authFailures: 0 }, 3, policy(0.5)), { kind: 'retry', delayMs: 0 });
    assert.deepEqual(decide(f('conflict'), { attempts: 3, authFailures: 0, lookedUp: true }, 3, policy(0.5)), { kind: 'retry', delayMs: 4000 }, 'no hammering when the lookup keeps missing');
    assert.deepEqual(decide(f('transient'), { attempts: 4, authFailures: 0 }, 3, policy(0.5)), { kind: 'retry', delayMs: 8000 });
    assert.deepEqual(decide(f('transient'), { attempts: 10_000, authFailures: 0 }, 3, policy(0.5)), { kind: 'retry', delayMs: 300_000 }, 'no attempt limit');
  });

  it('an ambiguous permanent failure (an unreadable 2xx to a write) is looked up, never dead (issue 12, item 11)', () => {
    const garbled = describeFailure(new CmmsError({ kind: 'permanent', status: 200, code: 'EBAD_BODY', ambiguous: true, message: 'garbled' }));
    assert.equal(garbled.ambiguous, true);
    assert.deepEqual(decide(garbled, { attempts: 1, authFailures: 0 }, 3, policy(0.5)), { kind: 'retry', delayMs: 0 });
    assert.deepEqual(decide(garbled, { attempts: 3, authFailures: 0, lookedUp: true }, 3, policy(0.5)), { kind: 'retry', delayMs: 4000 });
  });

  it('scrubs credentials from error texts', () => {
    assert.equal(scrubSecrets('401 for Authorization: Bearer eyJhbGciOi.x.y'), '401 for Authorization: ***');
    assert.equal(scrubSecrets('bad apikey=abc123&x=1'), 'bad apikey=***&x=1');
    assert.equal(scrubSecrets('{"password":"hunter2","user":"bob"}'), '{"password":***,"user":"bob"}');
    assert.equal(scrubSecrets('Site BEDFORD is not valid'), 'Site BEDFORD is not valid');
  });

  it('computes nearest-rank percentiles', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([5], 99), 5);
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99)], [50, 95, 99]);
  });
});

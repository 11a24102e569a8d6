import assert from 'node:assert/strict';
import { exhaustedDelayFromHeaders, inRequestOrder, MAX_WAIT_MS, parseRetryAfter, RateLimiter, realSleep, retryDelayFromHeaders, type Sleep } from '../../nodes/core/cmms/rate';

/** A clock that only moves when the limiter sleeps, so every wait is exact. */
function fakeTime(start = 1_700_000_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    advance: (ms: number) => { now += ms; },
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/**
 * Timers that fire only when the test moves time on, earliest first (in the order they were set
 * when due at the same time), with promise chains run out in between: waiters race as on real
 * timers, but repeatably.
 */
function manualTime(start = 1_700_000_000_000) {
  let now = start;
  let seq = 0;
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  const flush = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };
  const sleep: Sleep = (ms, signal) => new Promise<void>((resolve, reject) => {
    const t = { at: now + ms, seq: seq++, fire: resolve };
    timers.push(t);
    signal?.addEventListener('abort', () => { timers.splice(timers.indexOf(t), 1); reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')); }, { once: true });
  });
  return {
    now: () => now,
    sleep,
    flush,
    /** Fires every timer due within `ms`, one at a time. */
    async advance(ms: number): Promise<void> {
      const target = now + ms;
      for (;;) {
        await flush();
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const t = timers[0];
        if (!t || t.at > target) break;
        timers.shift();
        now = Math.max(now, t.at);
        t.fire();
      }
      now = target;
      await flush();
    },
  };
}

describe('cmms rate', () => {
  const NOW = Date.parse('2026-03-01T10:00:00Z');

  describe('parseRetryAfter', () => {
    it('reads delay-seconds', () => {
      assert.equal(parseRetryAfter('120', NOW), 120_000);
      assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    });
    it('reads an HTTP-date relative to now', () => {
      assert.equal(parseRetryAfter('Sun, 01 Mar 2026 10:00:30 GMT', NOW), 30_000);
      assert.equal(parseRetryAfter(new Date(NOW + 4500).toUTCString(), NOW), 4000); // HTTP-dates have whole seconds
    });
    it('treats a date in the past as no wait', () => {
      assert.equal(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', NOW), 0);
    });
    it('ignores what it cannot read', () => {
      for (const v of [undefined, '', 'soon', '-5', '1.5', '12abc']) assert.equal(parseRetryAfter(v, NOW), undefined, String(v));
    });
    it('caps absurd waits at one hour', () => {
      assert.equal(parseRetryAfter('999999', NOW), MAX_WAIT_MS);
    });
  });

  describe('retryDelayFromHeaders', () => {
    it('prefers Retry-After over the reset headers', () => {
      assert.equal(retryDelayFromHeaders({ 'retry-after': '5', 'x-ratelimit-reset': String(NOW / 1000 + 60) }, NOW), 5000);
    });
    it('reads ServiceNow X-RateLimit-Reset as Unix seconds', () => {
      assert.equal(retryDelayFromHeaders({ 'x-ratelimit-reset': String(NOW / 1000 + 42) }, NOW), 42_000);
    });
    it('reads MaintainX X-Rate-Limit-Reset as seconds until reset', () => {
      assert.equal(retryDelayFromHeaders({ 'x-rate-limit-reset': '17' }, NOW), 17_000);
    });
    it('copes with each vendor sending the other form', () => {
      assert.equal(retryDelayFromHeaders({ 'x-ratelimit-reset': '9' }, NOW), 9000);
      assert.equal(retryDelayFromHeaders({ 'x-rate-limit-reset': String(NOW / 1000 + 3) }, NOW), 3000);
    });
    it('is undefined without any of them', () => {
      assert.equal(retryDelayFromHeaders({ 'content-type': 'application/json' }, NOW), undefined);
    });
    it('sees an exhausted budget on a successful answer', () => {
      assert.equal(exhaustedDelayFromHeaders({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '12' }, NOW), 12_000);
      assert.equal(exhaustedDelayFromHeaders({ 'x-rate-limit-remaining': '3', 'x-rate-limit-reset': '12' }, NOW), undefined);
    });
  });

  describe('RateLimiter', () => {
    it('lets a burst through, then spaces requests at the sustained rate', async () => {
      const t = fakeTime();
      const limiter = new RateLimiter({ perMinute: 60, burst: 3, concurrency: 10 }, t.now, t.sleep);
      const at: number[] = [];
      for (let i = 0; i < 6; i++) {
        (await limiter.acquire()).release();
        at.push(t.now());
      }
      const start = at[0];
      assert.deepEqual(at.map((x) => x - start), [0, 0, 0, 1000, 2000, 3000]);
    });

    it('refills while idle, up to the burst and no further', async () => {
      const t = fakeTime();
      const limiter = new RateLimiter({ perMinute: 120, burst: 2, concurrency: 10 }, t.now, t.sleep);
      (await limiter.acquire()).release();
      (await limiter.acquire()).release();
      t.advance(60_000);
      const start = t.now();
      for (let i = 0; i < 3; i++) (await limiter.acquire()).release();
      assert.equal(t.now() - start, 500, 'two from the refilled burst, the third after 500 ms at 120/min');
    });

    it('sends nothing before a time the CMMS asked for', async () => {
      const t = fakeTime();
      const limiter = new RateLimiter({ perMinute: 600, burst: 10, concurrency: 10 }, t.now, t.sleep);
      const start = t.now();
      limiter.blockUntil(start + 7000);
      limiter.blockUntil(start + 2000); // an earlier time does not shorten the wait
      (await limiter.acquire()).release();
      assert.equal(t.now() - start, 7000);
      assert.deepEqual(t.sleeps, [7000]);
    });

    it('never has more than `concurrency` requests in flight among 50 callers', async () => {
      const limiter = new RateLimiter({ perMinute: 1_000_000, burst: 1000, concurrency: 4 }, Date.now, realSleep);
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const permit = await limiter.acquire();
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        assert.ok(limiter.inFlight <= 4);
        // Uneven hold times so slots are handed over in different orders.
        await new Promise((r) => setImmediate(r));
        if (i % 3 === 0) await new Promise((r) => setImmediate(r));
        inFlight -= 1;
        done += 1;
        permit.release();
      }));
      assert.equal(done, 50);
      assert.equal(peak, 4);
      assert.equal(limiter.inFlight, 0);
      assert.equal(limiter.waiting, 0);
    });

    it('hands slots over in arrival order', async () => {
      const limiter = new RateLimiter({ perMinute: 1_000_000, burst: 1000, concurrency: 1 }, Date.now, realSleep);
      const first = await limiter.acquire();
      const order: number[] = [];
      const waiters = [1, 2, 3].map(async (n) => { const p = await limiter.acquire(); order.push(n); p.release(); });
      first.release();
      await Promise.all(waiters);
      assert.deepEqual(order, [1, 2, 3]);
    });

    it('a release called twice frees only one slot', async () => {
      const limiter = new RateLimiter({ perMinute: 1_000_000, burst: 1000, concurrency: 2 }, Date.now, realSleep);
      const a = await limiter.acquire();
      await limiter.acquire();
      a.release();
      a.release();
      assert.equal(limiter.inFlight, 1);
    });

    it('an abort removes a waiter from the queue and rejects it', async () => {
      const limiter = new RateLimiter({ perMinute: 1_000_000, burst: 1000, concurrency: 1 }, Date.now, realSleep);
      const held = await limiter.acquire();
      const ctl = new AbortController();
      const waiting = limiter.acquire(ctl.signal);
      assert.equal(limiter.waiting, 1);
      ctl.abort(new Error('closing'));
      await assert.rejects(waiting, /closing/);
      assert.equal(limiter.waiting, 0);
      held.release();
      assert.equal(limiter.inFlight, 0);
    });

    it('an abort during a rate wait gives the slot back', async () => {
      const limiter = new RateLimiter({ perMinute: 1, burst: 1, concurrency: 1 }, Date.now, realSleep);
      (await limiter.acquire()).release();
      const ctl = new AbortController();
      const waiting = limiter.acquire(ctl.signal); // would sleep a minute for the next token
      setImmediate(() => ctl.abort(new Error('closing')));
      await assert.rejects(waiting, /closing/);
      assert.equal(limiter.inFlight, 0);
    });

    describe('order of service (issue 14 item 10: the whole drain oldest first)', () => {
      it('the next token goes to the work that began first, even when its request asks last', async () => {
        const t = manualTime();
        const limiter = new RateLimiter({ perMinute: 60, burst: 1, concurrency: 10 }, t.now, t.sleep);
        (await limiter.acquire()).release(); // the burst is spent: the next token comes in 1 s
        const order: string[] = [];
        let lookupAnswered!: () => void;
        const answered = new Promise<void>((r) => { lookupAnswered = r; });
        // Attempt A began first; its create asks only once its lookup is answered, after B asked.
        const a = inRequestOrder(async () => { await answered; (await limiter.acquire()).release(); order.push('A create'); });
        const b = inRequestOrder(async () => { (await limiter.acquire()).release(); order.push('B lookup'); });
        await t.flush();
        lookupAnswered();
        await t.advance(5000);
        await Promise.all([a, b]);
        assert.deepEqual(order, ['A create', 'B lookup']);
      });

      it('hands slots over to the work that began first', async () => {
        const limiter = new RateLimiter({ perMinute: 1_000_000, burst: 1000, concurrency: 1 }, Date.now, realSleep);
        const held = await limiter.acquire();
        const order: string[] = [];
        let go!: () => void;
        const later = new Promise<void>((r) => { go = r; });
        const x = inRequestOrder(async () => { await later; const p = await limiter.acquire(); order.push('X'); p.release(); });
        const y = inRequestOrder(async () => { const p = await limiter.acquire(); order.push('Y'); p.release(); });
        await new Promise((r) => setImmediate(r));
        go();
        await new Promise((r) => setImmediate(r));
        assert.equal(limiter.waiting, 2);
        held.release();
        await Promise.all([x, y]);
        assert.deepEqual(order, ['X', 'Y']);
      });

      it('a request outside any attempt keeps its place: attempts begun after it do not pass it', async () => {
        const t = manualTime();
        const limiter = new RateLimiter({ perMinute: 60, burst: 1, concurrency: 10 }, t.now, t.sleep);
        (await limiter.acquire()).release();
        const order: string[] = [];
        const probe = limiter.acquire().then((p) => { p.release(); order.push('probe'); });
        const attempts = [1, 2, 3].map((n) => inRequestOrder(async () => { (await limiter.acquire()).release(); order.push(`attempt ${n}`); }));
        await t.advance(10_000);
        await Promise.all([probe, ...attempts]);
        assert.deepEqual(order, ['probe', 'attempt 1', 'attempt 2', 'attempt 3']);
      });

      it('an abort of the request first in line hands the turn on', async () => {
        const t = manualTime();
        const limiter = new RateLimiter({ perMinute: 60, burst: 1, concurrency: 10 }, t.now, t.sleep);
        (await limiter.acquire()).release();
        const ctl = new AbortController();
        const first = inRequestOrder(() => limiter.acquire(ctl.signal));
        const second = inRequestOrder(async () => { (await limiter.acquire()).release(); return t.now(); });
        const start = t.now();
        await t.flush();
        ctl.abort(new Error('closing'));
        await assert.rejects(first, /closing/);
        await t.advance(5000);
        assert.equal(await second - start, 1000, 'the second takes the token the first gave up');
        assert.equal(limiter.inFlight, 0);
      });
    });

    it('refuses nonsense limits', () => {
      assert.throws(() => new RateLimiter({ perMinute: 0, burst: 1, concurrency: 1 }, Date.now, realSleep), RangeError);
      assert.throws(() => new RateLimiter({ perMinute: 10, burst: 1, concurrency: 0 }, Date.now, realSleep), RangeError);
    });
  });
});

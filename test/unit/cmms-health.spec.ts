import assert from 'node:assert/strict';
import { CmmsError } from '../../nodes/core/cmms/errors';
import { HealthMonitor, runProbe, stateForError, type HealthState, type HealthTimers } from '../../nodes/core/cmms/health';
import type { ProbeResult } from '../../nodes/core/cmms/types';

/** Timers that fire only when the test says so, with a clock that jumps to each one. */
function manualTimers() {
  let now = 1_000_000;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: HealthTimers = {
    setTimeout: (fn, ms) => { seq += 1; pending.set(seq, { at: now + ms, fn }); return seq; },
    clearTimeout: (h) => { pending.delete(h as number); },
  };
  return {
    timers,
    now: () => now,
    pendingDelays: () => [...pending.values()].map((p) => p.at - now),
    /** Runs the next due timer and lets the probe it starts settle. */
    async fireNext(): Promise<number> {
      const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      assert.ok(next, 'a timer is pending');
      pending.delete(next[0]);
      const waited = next[1].at - now;
      now = next[1].at;
      next[1].fn();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      return waited;
    },
  };
}

const up: ProbeResult = { ok: true, state: 'connected', message: 'connected to Maximo as maxadmin', latencyMs: 3, detail: 'maxadmin' };
const down: ProbeResult = { ok: false, state: 'unreachable', message: 'connection refused', latencyMs: 1 };

describe('cmms health', () => {
  describe('stateForError', () => {
    it('maps connection-wide failures and ignores per-request ones', () => {
      const cases: Array<[CmmsError, string | null]> = [
        [new CmmsError({ kind: 'auth', status: 401, message: '' }), 'unauthorised'],
        [new CmmsError({ kind: 'auth', status: 403, message: '' }), 'unauthorised'],
        [new CmmsError({ kind: 'transient', status: 429, message: '' }), 'rate-limited'],
        [new CmmsError({ kind: 'transient', status: 503, message: '' }), 'unreachable'],
        [new CmmsError({ kind: 'transient', code: 'ECONNREFUSED', message: '' }), 'unreachable'],
        [new CmmsError({ kind: 'transient', code: 'ETIMEDOUT', message: '' }), 'unreachable'],
        [new CmmsError({ kind: 'transient', status: 500, message: '' }), null],
        [new CmmsError({ kind: 'permanent', status: 400, message: '' }), null],
        [new CmmsError({ kind: 'conflict', status: 409, message: '' }), null],
        [new CmmsError({ kind: 'transient', code: 'ECLOSED', message: '' }), null],
      ];
      for (const [e, state] of cases) assert.equal(stateForError(e), state, `${e.kind} ${e.status ?? e.code}`);
    });

    it('runProbe never throws and reports latency on the given clock', async () => {
      let t = 0;
      const now = () => t;
      const ok = await runProbe('Maximo', now, async () => { t += 25; return 'maxadmin'; });
      assert.deepEqual(ok, { ok: true, state: 'connected', latencyMs: 25, message: 'connected to Maximo as maxadmin', detail: 'maxadmin' });
      const limited = await runProbe('MaintainX', now, async () => { throw new CmmsError({ kind: 'transient', status: 429, retryAfterMs: 9000, message: 'slow down' }); });
      assert.deepEqual(limited, { ok: false, state: 'rate-limited', message: 'slow down', latencyMs: 0, retryAfterMs: 9000 });
      const odd = await runProbe('REST', now, async () => { throw new TypeError('boom'); });
      assert.equal(odd.state, 'error');
    });
  });

  describe('HealthMonitor', () => {
    it('probes on start, then every upInterval while connected, telling listeners only on change', async () => {
      const m = manualTimers();
      let probes = 0;
      const monitor = new HealthMonitor({ probe: async () => { probes += 1; return up; }, timers: m.timers, now: m.now, upIntervalMs: 60_000 });
      const changes: Array<[HealthState, HealthState]> = [];
      monitor.onChange((s, prev) => changes.push([prev, s.state]));
      monitor.start();
      assert.equal(await m.fireNext(), 0);
      assert.equal(monitor.snapshot.state, 'connected');
      assert.equal(monitor.snapshot.message, 'connected to Maximo as maxadmin');
      assert.deepEqual(m.pendingDelays(), [60_000]);
      await m.fireNext();
      assert.equal(probes, 2);
      assert.deepEqual(changes, [['unknown', 'connected']]);
      monitor.stop();
      assert.deepEqual(m.pendingDelays(), []);
    });

    it('backs off exponentially while down, up to the cap, and resets when back', async () => {
      const m = manualTimers();
      const results = [down, down, down, down, down, up];
      const monitor = new HealthMonitor({ probe: async () => results.shift() ?? up, timers: m.timers, now: m.now, upIntervalMs: 0, downInitialMs: 1000, downMaxMs: 5000 });
      monitor.start();
      await m.fireNext();
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) waits.push(await m.fireNext());
      assert.deepEqual(waits, [1000, 2000, 4000, 5000, 5000]);
      assert.equal(monitor.snapshot.state, 'connected');
      assert.equal(monitor.snapshot.failures, 0);
      assert.deepEqual(m.pendingDelays(), [], 'upIntervalMs 0: no probing while all is well');
      monitor.stop();
    });

    it('waits at least as long as a rate-limited probe was asked to', async () => {
      const m = manualTimers();
      const monitor = new HealthMonitor({
        probe: async () => ({ ok: false, state: 'rate-limited', message: '429', latencyMs: 1, retryAfterMs: 30_000 }),
        timers: m.timers, now: m.now, downInitialMs: 1000,
      });
      monitor.start();
      await m.fireNext();
      assert.equal(monitor.snapshot.state, 'rate-limited');
      assert.deepEqual(m.pendingDelays(), [30_000]);
      monitor.stop();
    });

    it('real traffic moves the state: a wire failure re-probes soon, a success marks connected', async () => {
      const m = manualTimers();
      const monitor = new HealthMonitor({ probe: async () => up, timers: m.timers, now: m.now, upIntervalMs: 300_000, downInitialMs: 2000 });
      const seen: HealthState[] = [];
      monitor.onChange((s) => seen.push(s.state));
      monitor.start();
      await m.fireNext();
      monitor.observe({ ok: false, latencyMs: 5, error: new CmmsError({ kind: 'permanent', status: 422, message: 'bad field' }) });
      assert.equal(monitor.snapshot.state, 'connected', 'a rejected work order says nothing about the connection');
      monitor.observe({ ok: false, latencyMs: 5, error: new CmmsError({ kind: 'transient', code: 'ECONNREFUSED', message: 'refused' }) });
      assert.equal(monitor.snapshot.state, 'unreachable');
      assert.deepEqual(m.pendingDelays(), [2000]);
      monitor.observe({ ok: true, status: 200, latencyMs: 3 });
      assert.equal(monitor.snapshot.state, 'connected');
      assert.deepEqual(m.pendingDelays(), [300_000]);
      assert.deepEqual(seen, ['connected', 'unreachable', 'connected']);
      monitor.stop();
    });

    it('does not run two probes at once, and a throwing listener or probe cannot break it', async () => {
      let release: () => void = () => undefined;
      let calls = 0;
      const monitor = new HealthMonitor({
        probe: () => { calls += 1; return new Promise<ProbeResult>((r) => { release = () => r(up); }); },
        timers: manualTimers().timers,
      });
      monitor.onChange(() => { throw new Error('listener bug'); });
      const first = monitor.probeNow();
      const second = await monitor.probeNow();
      assert.equal(second.state, 'unknown');
      release();
      assert.equal((await first).state, 'connected');
      assert.equal(calls, 1);
      const broken = new HealthMonitor({ probe: () => Promise.reject(new Error('probe bug')), timers: manualTimers().timers });
      assert.equal((await broken.probeNow()).state, 'error');
    });

    it('unsubscribe stops notifications', async () => {
      const monitor = new HealthMonitor({ probe: async () => up, timers: manualTimers().timers });
      let n = 0;
      const off = monitor.onChange(() => { n += 1; });
      off();
      await monitor.probeNow();
      assert.equal(n, 0);
    });
  });
});

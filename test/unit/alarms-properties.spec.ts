// Property-based tests over random signals and random rules: the promises of the alarm engine must
// hold for every signal, not just the ones we thought of.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MaintenanceEvent, Quality } from '../../nodes/core/contracts';
import type { AlarmEngine, RuleSpec } from '../../nodes/core/alarms';
import { engineFor, FakeClock, MemoryStore, readings, restart, ruleSet, valid } from './alarms-fixtures';

interface Step {
  dt: number;
  value: number;
  quality: Quality;
  /** false: only time passes (a missed sample). */
  sample: boolean;
}

interface Setup {
  h: number;
  hhGap: number;
  deadband: number;
  onSeconds: number;
  onSamples: number;
  offSeconds: number;
  offSamples: number;
}

const setupArb = fc.record({
  h: fc.integer({ min: 50, max: 100 }),
  hhGap: fc.integer({ min: 5, max: 20 }),
  deadband: fc.double({ min: 0, max: 5, noNaN: true }),
  onSeconds: fc.constantFrom(0, 0, 1, 5, 30),
  onSamples: fc.constantFrom(1, 1, 2, 4),
  offSeconds: fc.constantFrom(0, 0, 2, 10),
  offSamples: fc.constantFrom(1, 1, 3),
});

function rule(s: Setup, extra: Partial<RuleSpec> = {}): Partial<RuleSpec> {
  return {
    limits: { H: { value: s.h, severity: 'high' }, HH: { value: s.h + s.hhGap, severity: 'critical' } },
    deadband: s.deadband,
    onDelay: { seconds: s.onSeconds, samples: s.onSamples },
    offDelay: { seconds: s.offSeconds, samples: s.offSamples },
    ...extra,
  };
}

const stepArb = (lo: number, hi: number, badShare = 0, minDt = 0): fc.Arbitrary<Step> => fc.record({
  dt: fc.integer({ min: minDt, max: 15_000 }),
  value: fc.double({ min: lo, max: hi, noNaN: true }),
  quality: badShare > 0 ? fc.constantFrom<Quality>(...(Array(10 - badShare).fill('good') as Quality[]), ...(Array(badShare).fill('bad') as Quality[])) : fc.constant<Quality>('good'),
  // One step in ten is a missed sample: only time passes.
  sample: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
});

/** Runs the signal with timers firing exactly when due, as the node's single timer does. */
function run(e: AlarmEngine, clock: FakeClock, steps: Step[], onSample?: (i: number) => void): MaintenanceEvent[] {
  const out: MaintenanceEvent[] = [];
  steps.forEach((s, i) => {
    const target = clock.monoMs + s.dt;
    for (let next = e.nextWake(); next <= target; next = e.nextWake()) {
      clock.advance(Math.max(0, next - clock.monoMs));
      out.push(...valid(e.tick()));
    }
    clock.advance(target - clock.monoMs);
    if (s.sample) out.push(...valid(e.ingest(readings(s.value, clock, { quality: s.quality }))));
    onSample?.(i);
  });
  return out;
}

const isProcess = (ev: MaintenanceEvent): boolean => ev.details.condition === 'limit' || ev.details.condition === 'roc';
const firstAnnouncements = (evs: MaintenanceEvent[]): MaintenanceEvent[] => evs.filter((ev) => ev.details.reAlarm === undefined);

describe('alarm engine properties (fast-check)', function () {
  this.timeout(60_000);

  it('per key and condition, raised (or sensor-fault) and cleared alternate, starting with raised', function () {
    fc.assert(fc.property(setupArb, fc.array(stepArb(30, 140, 2), { maxLength: 120 }), (s, steps) => {
      const clock = new FakeClock();
      const e = engineFor(ruleSet(rule(s, { validRange: { min: 0, max: 135 }, staleAfterSeconds: 40 })), clock);
      const events = firstAnnouncements(run(e, clock, steps));
      for (const cond of ['limit', 'sensor']) {
        const seq = events.filter((ev) => ev.details.condition === cond && ev.state !== 'escalated').map((ev) => ev.state);
        seq.forEach((state, i) => {
          const expected = i % 2 === 0 ? (cond === 'sensor' ? 'sensor-fault' : 'raised') : 'cleared';
          assert.equal(state, expected, `${cond} #${i}: ${seq.join(', ')}`);
        });
      }
    }), { numRuns: 300 });
  });

  it('nothing is raised before the on-delay, and only after the signal stayed in alarm (with deadband) since the crossing', function () {
    fc.assert(fc.property(setupArb, fc.array(stepArb(30, 130, 0, 1), { maxLength: 120 }), (s, steps) => {
      const clock = new FakeClock();
      const e = engineFor(ruleSet(rule(s)), clock);
      const seen: Array<{ at: number; value: number }> = [];
      const events = run(e, clock, steps, (i) => { if (steps[i].sample) seen.push({ at: clock.wallMs, value: steps[i].value }); });
      for (const ev of events) {
        if (ev.state !== 'raised' || ev.details.continued) continue;
        const start = Date.parse(String(ev.details.startedAt));
        const at = Date.parse(ev.occurredAt);
        assert.ok(at - start >= s.onSeconds * 1000, `raised ${at - start} ms after the crossing, on-delay ${s.onSeconds} s`);
        const during = seen.filter((x) => x.at >= start && x.at <= at);
        assert.ok(during.length >= s.onSamples, `${during.length} samples, on-delay ${s.onSamples} samples`);
        assert.ok(during[0].value >= s.h, 'the episode starts at a crossing of H');
        for (const x of during.filter((d) => d.at < at)) assert.ok(x.value > s.h - s.deadband || x.value >= s.h, `${x.value} left the alarm band before the on-delay ran out`);
      }
    }), { numRuns: 300 });
  });

  it('a signal within ±deadband/2 of a limit makes at most one episode', function () {
    fc.assert(fc.property(setupArb.filter((s) => s.deadband > 0.01), fc.array(fc.record({ dt: fc.integer({ min: 0, max: 20_000 }), offset: fc.double({ min: -0.5, max: 0.5, noNaN: true }) }), { maxLength: 200 }), (s, wiggle) => {
      const clock = new FakeClock();
      const e = engineFor(ruleSet(rule(s)), clock);
      const steps: Step[] = wiggle.map((w) => ({ dt: w.dt, value: s.h + w.offset * s.deadband * 0.999, quality: 'good', sample: true }));
      const ids = new Set(run(e, clock, steps).filter((ev) => ev.details.condition === 'limit').map((ev) => ev.eventId));
      assert.ok(ids.size <= 1, `${ids.size} episodes`);
    }), { numRuns: 300 });
  });

  it('escalations stay in their episode: same eventId as the open raised, never after its clear', function () {
    fc.assert(fc.property(setupArb, fc.array(stepArb(30, 140), { maxLength: 150 }), (s, steps) => {
      const clock = new FakeClock();
      const e = engineFor(ruleSet(rule(s)), clock);
      let open: string | null = null;
      for (const ev of run(e, clock, steps)) {
        if (ev.state === 'raised') open = ev.eventId;
        else if (ev.state === 'escalated') {
          assert.equal(ev.eventId, open, 'escalated outside an open episode');
          assert.equal(ev.level, 'HH');
        } else if (ev.state === 'cleared') {
          assert.equal(ev.eventId, open);
          open = null;
        }
      }
    }), { numRuns: 300 });
  });

  it('stale, bad-quality, out-of-range and non-numeric readings never produce process alarms', function () {
    const badStep = fc.record({
      dt: fc.integer({ min: 0, max: 120_000 }),
      kind: fc.constantFrom('bad', 'range', 'text', 'silence'),
      value: fc.double({ min: -1000, max: 1000, noNaN: true }),
    });
    fc.assert(fc.property(setupArb, fc.array(badStep, { maxLength: 80 }), (s, bad) => {
      const clock = new FakeClock();
      const e = engineFor(ruleSet(rule(s, { validRange: { min: 0, max: s.h + s.hhGap + 1 }, staleAfterSeconds: 30, rateOfChange: { limit: 1, per: 'second', windowSeconds: 10, severity: 'low' } })), clock);
      const events: MaintenanceEvent[] = [];
      for (const b of bad) {
        const target = clock.monoMs + b.dt;
        for (let next = e.nextWake(); next <= target; next = e.nextWake()) {
          clock.advance(Math.max(0, next - clock.monoMs));
          events.push(...valid(e.tick()));
        }
        clock.advance(target - clock.monoMs);
        if (b.kind === 'bad') events.push(...valid(e.ingest(readings(b.value, clock, { quality: 'bad' }))));
        if (b.kind === 'range') events.push(...valid(e.ingest(readings(s.h + s.hhGap + 2 + Math.abs(b.value), clock))));
        if (b.kind === 'text') events.push(...valid(e.ingest(readings('#N/A', clock))));
      }
      assert.deepEqual(events.filter(isProcess).map((ev) => `${ev.state}:${ev.level}`), []);
    }), { numRuns: 300 });
  });

  it('is deterministic, and a restart anywhere changes neither the events nor their eventIds', function () {
    fc.assert(fc.property(setupArb.map((s) => ({ ...s, onSamples: 1, offSamples: 1 })), fc.array(stepArb(30, 140), { minLength: 1, maxLength: 80 }), fc.nat(), (s, steps, cut) => {
      const set = ruleSet(rule(s));
      const summary = (evs: MaintenanceEvent[]): string[] => evs.map((ev) => `${ev.state}:${ev.level}:${ev.eventId}:${ev.occurredAt}`);
      const c1 = new FakeClock();
      const straight = summary(run(engineFor(set, c1), c1, steps));
      const c2 = new FakeClock();
      assert.deepEqual(summary(run(engineFor(set, c2), c2, steps)), straight, 'same signal, same events');
      const at = cut % steps.length;
      const c3 = new FakeClock();
      const store = new MemoryStore();
      const first = engineFor(set, c3);
      const before = run(first, c3, steps.slice(0, at));
      store.apply(first.takeWrites());
      const after = run(restart(set, c3, store), c3, steps.slice(at));
      assert.deepEqual(summary([...before, ...after]), straight, `restart after step ${at}`);
    }), { numRuns: 200 });
  });
});

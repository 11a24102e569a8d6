// mw-threshold against the best chain of core nodes for the same job, at 10 000 distinct assets.
//
// The job: a high limit (80) with a deadband (4) on one metric per asset, one message per
// transition, nothing for readings that change nothing. The core chain does it as well as core
// nodes can: switch (drop bad quality) → range (clamp 76…80 to 0…1) → rbe (pass a change of ≥ 1 per
// topic: that is the hysteresis) → change (1/0 → "raised"/"cleared") → trigger (per topic, send then
// hold repeats for 20 ms: the delay stage). It loses its state on every deploy and knows nothing of
// episodes, sensor faults or work orders; mw-threshold does all that and writes its transitions to disk.
//
// Only transitions reach the sink, so the message generator decides them: one reading in 500
// flips its asset's state (and the last reading of each run does, so the sink sees the run end); the
// others stay on their side of the limit, some inside the deadband. Each scenario counts what its
// chain must let through: mw-threshold remembers across deploys; the core chain passes the first
// reading of every asset after a deploy (rbe starts empty). Burst msg/s in the tables counts
// messages at the sink; for input throughput use sent ÷ drain time (results.json, per round).
import type { NodeMessage } from 'node-red';

import { SOURCE_ID } from '../harness';
import { sources } from '../registry';
import type { ChainNode, Scenario } from '../scenarios';

const THRESHOLD_KEYS = 10_000;
const H = 80;
const DEADBAND = 4;
/**
 * One reading in this many flips its asset's state: at 5 000 readings/s that is 10 alarm
 * transitions a second, a flood by ISA-18.2's measure (10 in 10 minutes), yet enough events for a
 * p99. The rest of the readings change nothing, as on a real plant.
 */
const TOGGLE_EVERY = 500;

const RULES = {
  classes: {
    pump: [{
      id: 'bearing-temp', metric: 'bearing_temp', name: 'Bearing temperature',
      limits: { H: { value: H, severity: 'high', priority: 2 } },
      deadband: DEADBAND, validRange: { min: -50, max: 250 }, staleAfterSeconds: 3600,
    }],
  },
};

/**
 * The readings of one scenario, and its count of what must reach the sink. `forgetsOnDeploy` is
 * true for a chain whose state starts empty after each deploy (the core chain).
 */
class Signal {
  private readonly visits = new Uint32Array(THRESHOLD_KEYS);
  private readonly level = new Uint8Array(THRESHOLD_KEYS);
  /** Assets seen since the last deploy; their first reading after one is never in the deadband. */
  private readonly seen = new Uint8Array(THRESHOLD_KEYS);
  private readonly assets = Array.from({ length: THRESHOLD_KEYS }, (_, i) => {
    const id = `PUMP-${String(i).padStart(5, '0')}`;
    return { id, siteId: 'BENCH', location: `BENCH/AREA${i % 10}/LINE${i % 40}/${id}`, class: 'pump' };
  });
  private source: unknown = null;
  private phase: { n: number; expected: number; made: number } | null = null;
  private stampMs = 0;
  private stamp = '';

  constructor(private readonly forgetsOnDeploy: boolean, private readonly passAll = false) {}

  private toggles(k: number, visit: number, seq: number, n: number): boolean {
    return (visit + k) % TOGGLE_EVERY === TOGGLE_EVERY - 1 || seq === n - 1;
  }

  /**
   * Called by the harness before a run (with the count it will send) and after it (to compute
   * losses); the second call gets the first call's answer.
   */
  expected(n: number): number {
    if (this.phase && this.phase.made > 0) {
      const { expected } = this.phase;
      this.phase = null;
      return expected;
    }
    const current = sources.get(SOURCE_ID);
    if (current !== this.source) {
      this.source = current;
      this.seen.fill(0);
    }
    let count = 0;
    if (this.passAll) count = n;
    else {
      const extra = new Uint32Array(THRESHOLD_KEYS);
      const seen = this.seen.slice();
      for (let seq = 0; seq < n; seq++) {
        const k = seq % THRESHOLD_KEYS;
        const first = seen[k] === 0;
        if (this.toggles(k, this.visits[k] + extra[k], seq, n) || (first && this.forgetsOnDeploy)) count++;
        extra[k]++;
        seen[k] = 1;
      }
    }
    this.phase = { n, expected: count, made: 0 };
    return count;
  }

  message(seq: number, k: number): NodeMessage {
    const phase = this.phase;
    const n = phase ? phase.n : Number.POSITIVE_INFINITY;
    if (phase) phase.made++;
    const visit = this.visits[k]++;
    const first = this.seen[k] === 0;
    this.seen[k] = 1;
    const toggle = this.toggles(k, visit, seq, n);
    if (toggle) this.level[k] ^= 1;
    const high = this.level[k] === 1;
    // Inside the deadband (76…80) the state holds: never for a flip, nor for an asset's first reading after a deploy.
    const inBand = !toggle && !first && visit % 3 === 1;
    const value = high ? (inBand ? 78.5 : 88 + (visit % 5)) : inBand ? 77 : 60 + (visit % 7);
    const now = Date.now();
    if (now !== this.stampMs) {
      this.stampMs = now;
      this.stamp = new Date(now).toISOString();
    }
    const asset = this.assets[k];
    return {
      topic: asset.id,
      payload: {
        asset,
        readings: [{ metric: 'bearing_temp', value, unit: '°C', quality: 'good', timestamp: this.stamp }],
        source: { kind: 'opcua', ref: `ns=2;s=${asset.id}.BearingTemp` },
      },
    };
  }
}

function scenario(name: string, description: string, compareTo: string, chain: ChainNode[], signal: Signal): Scenario {
  return {
    name,
    description,
    role: 'node',
    compareTo,
    keys: THRESHOLD_KEYS,
    chain,
    message: (seq, key) => signal.message(seq, key),
    expectedAtSink: (sent) => signal.expected(sent),
  };
}

const VALUE = 'payload.readings[0].value';

export const scenarios: Scenario[] = [
  scenario('threshold-bare-hop', 'source → sink with the threshold scenarios\' asset readings (10k assets): their bare hop',
    'bare-hop', [], new Signal(false, true)),
  scenario('threshold-core', 'switch → range → rbe → change → trigger: a high limit with deadband per asset, 10k assets',
    'threshold-bare-hop', [
      { type: 'switch', property: 'payload.readings[0].quality', propertyType: 'msg', rules: [{ t: 'eq', v: 'good', vt: 'str' }], checkall: 'true', repair: false, outputs: 1 },
      { type: 'range', minin: String(H - DEADBAND), maxin: String(H), minout: '0', maxout: '1', action: 'clamp', round: false, property: VALUE },
      { type: 'rbe', func: 'deadbandEq', gap: '1', start: '', inout: 'out', septopics: true, property: VALUE, topi: 'topic' },
      { type: 'change', rules: [
        { t: 'change', p: VALUE, pt: 'msg', from: '1', fromt: 'num', to: 'raised', tot: 'str' },
        { t: 'change', p: VALUE, pt: 'msg', from: '0', fromt: 'num', to: 'cleared', tot: 'str' },
      ] },
      { type: 'trigger', op1: '', op1type: 'pay', op2: '', op2type: 'nul', duration: '20', extend: false, overrideDelay: false, units: 'ms', reset: '', bytopic: 'topic', topic: 'topic', outputs: 1 },
    ], new Signal(true)),
  scenario('mw-threshold', 'mw-threshold: the same limit with deadband, episodes, sensor checks, durable state; 10k assets',
    'threshold-core', [
      { type: 'mw-threshold', rules: JSON.stringify(RULES), rulesFile: '', holdWhileWorkOrderOpen: true, maxShelveHours: 8, maxClockSkewSeconds: 300, maxKeys: 50_000, healthIntervalSeconds: 0 },
    ], new Signal(false)),
];

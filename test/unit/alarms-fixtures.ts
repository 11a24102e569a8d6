// Shared by the alarm tests: a hand-driven clock, asset-readings payloads built from the v1
// contract (not from mw-asset-map's code), and an engine wired to an in-memory store.
import type { AssetReadings, MaintenanceEvent, Quality } from '../../nodes/core/contracts';
import { validateAssetReadings, validateMaintenanceEvent } from '../../nodes/core/contracts';
import {
  AlarmEngine, checkRuleSet, NS_KEYS, NS_OUT_OF_SERVICE, NS_SHELVES, restoreEngine, RuleBook,
  type EngineOptions, type RuleSet, type RuleSpec, type Write,
} from '../../nodes/core/alarms';

export const T0 = Date.parse('2026-03-01T10:00:00.000Z');

export class FakeClock {
  monoMs = 1_000;
  wallMs = T0;
  mono = (): number => this.monoMs;
  wall = (): number => this.wallMs;
  advance(ms: number): void {
    this.monoMs += ms;
    this.wallMs += ms;
  }
}

interface AssetInput {
  id?: string;
  siteId?: string;
  class?: string;
  custom?: Record<string, string | number | boolean | null>;
}

export function readings(value: number | string | boolean, clock: FakeClock, opts: { metric?: string; quality?: Quality; asset?: AssetInput; unit?: string; at?: number } = {}): AssetReadings {
  const a = opts.asset ?? {};
  const id = a.id ?? 'P-101';
  const siteId = a.siteId ?? 'BEDFORD';
  const payload: AssetReadings = {
    asset: { id, siteId, location: `${siteId}/AREA1/LINE2/${id}`, class: a.class ?? 'pump', ...(a.custom ? { custom: a.custom } : {}) },
    readings: [{ metric: opts.metric ?? 'temp', value, quality: opts.quality ?? 'good', timestamp: new Date(opts.at ?? clock.wallMs).toISOString(), ...(opts.unit ? { unit: opts.unit } : {}) }],
    source: { kind: 'other', ref: 'test' },
  };
  const checked = validateAssetReadings(payload);
  if (!checked.ok) throw new Error(`fixture is not asset readings: ${checked.errors.join('; ')}`);
  return payload;
}

export function ruleSet(rule: Partial<RuleSpec>, extra: RuleSet = {}): RuleSet {
  const set: RuleSet = {
    classes: { pump: [{ id: 'temp-high', metric: 'temp', limits: { H: { value: 80, severity: 'high' }, HH: { value: 95, severity: 'critical' } }, deadband: 2, ...rule } as RuleSpec], ...(extra.classes ?? {}) },
    ...(extra.assets ? { assets: extra.assets } : {}),
  };
  const checked = checkRuleSet(set);
  if (!checked.ok) throw new Error(`fixture rule set invalid: ${checked.errors.join('; ')}`);
  return set;
}

/** An in-memory stand-in for DurableState with the same semantics for the engine. */
export class MemoryStore {
  readonly data = new Map<string, Map<string, string>>();
  puts = 0;
  put(ns: string, key: string, value: unknown): void {
    this.puts++;
    if (!this.data.has(ns)) this.data.set(ns, new Map());
    (this.data.get(ns) as Map<string, string>).set(key, JSON.stringify(value));
  }
  delete(ns: string, key: string): void {
    this.data.get(ns)?.delete(key);
  }
  batch<R>(fn: () => R): R {
    return fn();
  }
  all(ns: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [k, v] of this.data.get(ns) ?? []) out.set(k, JSON.parse(v));
    return out;
  }
  apply(writes: Write[]): void {
    for (const w of writes) {
      if (w.value === null) this.delete(w.ns, w.key);
      else this.put(w.ns, w.key, w.value);
    }
  }
}

export function engineFor(set: RuleSet, clock: FakeClock, opts: Partial<EngineOptions> = {}): AlarmEngine {
  return new AlarmEngine({ rules: new RuleBook(set), clock, ...opts });
}

/** A new engine restored from `store`, as after a restart. */
export function restart(set: RuleSet, clock: FakeClock, store: MemoryStore, opts: Partial<EngineOptions> = {}): AlarmEngine {
  const e = engineFor(set, clock, opts);
  restoreEngine(e, { keys: store.all(NS_KEYS), shelves: store.all(NS_SHELVES), outOfService: store.all(NS_OUT_OF_SERVICE) });
  store.apply(e.takeWrites());
  return e;
}

/** Every event must satisfy the maintenance-event contract. */
export function valid(events: MaintenanceEvent[]): MaintenanceEvent[] {
  for (const ev of events) {
    const r = validateMaintenanceEvent(ev);
    if (!r.ok) throw new Error(`event breaks the contract: ${r.errors.join('; ')}\n${JSON.stringify(ev)}`);
  }
  return events;
}

/** Feeds one value and runs the timers, as the node would. */
export function feed(e: AlarmEngine, clock: FakeClock, value: number | string | boolean, opts: Parameters<typeof readings>[2] = {}): MaintenanceEvent[] {
  return valid([...e.ingest(readings(value, clock, opts)), ...e.tick()]);
}

export function states(events: MaintenanceEvent[]): string[] {
  return events.map((ev) => `${ev.state}:${ev.level}`);
}

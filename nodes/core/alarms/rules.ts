// From the rule set to the rules one asset runs: class rules (plus the "*" class), then the
// asset's overrides, compiled once and shared by every asset with the same class and overrides.
import type { Asset, Scalar } from '../contracts';
import { ruleProblems } from './schema';
import {
  DEFAULT_PRIORITY, LIMIT_NAMES,
  type CompiledRule, type DeadbandSpec, type LimitName, type LimitOut, type LimitSpec, type ResolvedLimits,
  type AssetRules, type RuleOverride, type RuleSet, type RuleSpec,
} from './types';

/** The rules of one asset, with an index from metric to rule positions. */
export interface AssetRuleSet {
  rules: CompiledRule[];
  byMetric: Map<string, number[]>;
}

const EMPTY: AssetRuleSet = { rules: [], byMetric: new Map() };

function out(severity: LimitOut['severity'], priority: number | string | undefined): LimitOut {
  return { severity, priority: priority ?? DEFAULT_PRIORITY[severity] };
}

/** A deadband in engineering units: "2%" is 2 % of the instrument span, or of the limit without one. */
function absoluteDeadband(spec: DeadbandSpec | undefined, limit: number, rangeMin: number, rangeMax: number): number {
  if (spec === undefined) return 0;
  if (typeof spec === 'number') return spec;
  const pct = Number.parseFloat(spec) / 100;
  const span = Number.isFinite(rangeMin) && Number.isFinite(rangeMax) ? rangeMax - rangeMin : Math.abs(limit);
  return pct * span;
}

function numberFrom(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** Limits of `rule` for an asset whose custom fields are `custom` (only custom-field limits differ). */
export function resolveLimits(rule: CompiledRule, custom: Record<string, Scalar> | undefined): ResolvedLimits | null {
  const specs = rule.limitSpecs;
  if (LIMIT_NAMES.every((n) => specs[n] === undefined)) return null;
  const value = (n: LimitName): number => {
    const s = specs[n];
    if (!s) return Number.NaN;
    const fromField = s.fromCustom !== undefined ? numberFrom(custom?.[s.fromCustom]) : undefined;
    return fromField ?? s.value ?? Number.NaN;
  };
  const hh = value('HH');
  const h = value('H');
  const l = value('L');
  const ll = value('LL');
  const db = (n: LimitName, v: number): number =>
    Number.isNaN(v) ? 0 : absoluteDeadband(specs[n]?.deadband ?? rule.deadbandDefault, v, rule.rangeMin, rule.rangeMax);
  return { hh, h, l, ll, dbHH: db('HH', hh), dbH: db('H', h), dbL: db('L', l), dbLL: db('LL', ll) };
}

/** The signature of the custom fields a rule reads: limits are re-resolved when it changes. */
export function customSignature(rule: CompiledRule, custom: Record<string, Scalar> | undefined): string {
  let sig = '';
  for (const n of LIMIT_NAMES) {
    const f = rule.limitSpecs[n]?.fromCustom;
    if (f !== undefined) sig += `${String(custom?.[f])}\u0001`;
  }
  return sig;
}

function compileRule(r: RuleSpec): CompiledRule {
  const limitSpecs: Partial<Record<LimitName, LimitSpec>> = {};
  const limitOut: Partial<Record<LimitName, LimitOut>> = {};
  let usesCustom = false;
  for (const n of LIMIT_NAMES) {
    const s = r.limits?.[n];
    if (!s) continue;
    limitSpecs[n] = s;
    limitOut[n] = out(s.severity, s.priority);
    if (s.fromCustom !== undefined) usesCustom = true;
  }
  const roc = r.rateOfChange;
  const perMs = roc ? (roc.per === 'second' ? 1000 : 60_000) : 1;
  const compiled: CompiledRule = {
    id: r.id,
    metric: r.metric,
    name: r.name ?? r.metric,
    limits: null,
    limitSpecs,
    limitOut,
    usesCustom,
    deadbandDefault: r.deadband,
    onDelayMs: (r.onDelay?.seconds ?? 0) * 1000,
    onDelaySamples: r.onDelay?.samples ?? 1,
    offDelayMs: (r.offDelay?.seconds ?? 0) * 1000,
    offDelaySamples: r.offDelay?.samples ?? 1,
    roc: roc ? {
      limit: roc.limit,
      per: roc.per,
      limitPerMs: roc.limit / perMs,
      windowMs: roc.windowSeconds * 1000,
      direction: roc.direction ?? 'both',
      deadbandPerMs: (roc.deadband ?? 0) / perMs,
      out: out(roc.severity, roc.priority),
    } : null,
    staleMs: (r.staleAfterSeconds ?? 0) * 1000,
    rangeMin: r.validRange?.min ?? Number.NEGATIVE_INFINITY,
    rangeMax: r.validRange?.max ?? Number.POSITIVE_INFINITY,
    uncertain: r.uncertainQuality ?? 'evaluate',
    reAlarmMs: (r.reAlarm?.seconds ?? 0) * 1000,
    reAlarmMax: r.reAlarm?.maxCount ?? Number.POSITIVE_INFINITY,
    sensorOut: out(r.sensorFault?.severity ?? 'medium', r.sensorFault?.priority),
  };
  compiled.limits = usesCustom ? null : resolveLimits(compiled, undefined);
  return compiled;
}

function mergeRule(base: RuleSpec, o: RuleOverride): RuleSpec {
  const limits = { ...(base.limits ?? {}) };
  for (const n of LIMIT_NAMES) {
    const l = o.limits?.[n];
    if (l) limits[n] = { ...(limits[n] ?? {}), ...l } as LimitSpec;
  }
  return { ...base, ...o, limits } as RuleSpec;
}

function indexByMetric(rules: CompiledRule[]): Map<string, number[]> {
  const byMetric = new Map<string, number[]>();
  rules.forEach((r, i) => {
    const list = byMetric.get(r.metric);
    if (list) list.push(i);
    else byMetric.set(r.metric, [i]);
  });
  return byMetric;
}

export class RuleBook {
  private readonly cache = new Map<string, AssetRuleSet>();
  /** Problems found while applying per-asset overrides (an override that leaves a rule unusable). */
  readonly problems: string[] = [];

  constructor(private readonly set: RuleSet) {}

  private assetEntry(asset: Pick<Asset, 'id' | 'siteId'>): { key: string; rules: AssetRules } | undefined {
    const assets = this.set.assets;
    if (!assets) return undefined;
    const bySite = `${asset.siteId}/${asset.id}`;
    if (Object.prototype.hasOwnProperty.call(assets, bySite)) return { key: bySite, rules: assets[bySite] };
    if (Object.prototype.hasOwnProperty.call(assets, asset.id)) return { key: asset.id, rules: assets[asset.id] };
    return undefined;
  }

  /** The compiled rules for an asset; cached per class, or per asset when it has overrides. */
  rulesFor(asset: Pick<Asset, 'id' | 'siteId' | 'class'>): AssetRuleSet {
    const entry = this.assetEntry(asset);
    const cls = entry?.rules.class ?? asset.class ?? '';
    const cacheKey = entry ? `asset\u0001${entry.key}\u0001${cls}` : `class\u0001${cls}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const classes = this.set.classes ?? {};
    const own = Object.prototype.hasOwnProperty.call(classes, cls) && cls !== '*' ? classes[cls] : [];
    const common = (classes['*'] ?? []).filter((r) => !own.some((o) => o.id === r.id));
    let specs: RuleSpec[] = [...common, ...own];
    if (entry) {
      const disabled = new Set(entry.rules.disable ?? []);
      specs = specs.filter((r) => !disabled.has(r.id));
      for (const o of entry.rules.rules ?? []) {
        const i = specs.findIndex((r) => r.id === o.id);
        if (i >= 0) specs[i] = mergeRule(specs[i], o);
        else if (o.metric !== undefined) specs.push(mergeRule({ id: o.id, metric: o.metric }, o));
        else if (this.problems.length < 100) this.problems.push(`asset "${entry.key}", rule "${o.id}": no class rule with this id, and no "metric" to make it a rule of its own`);
      }
    }
    specs = specs.filter((r) => {
      const problems = entry ? ruleProblems(`asset "${entry.key}", rule "${r.id}"`, r) : [];
      if (this.problems.length < 100) this.problems.push(...problems);
      return problems.length === 0;
    });
    const rules = specs.map(compileRule);
    const result = rules.length === 0 ? EMPTY : { rules, byMetric: indexByMetric(rules) };
    if (this.cache.size < 100_000) this.cache.set(cacheKey, result);
    return result;
  }
}

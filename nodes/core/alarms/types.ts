// The alarm rule set as a plant engineer writes it (JSON, in the editor or a file), and the
// compiled form the engine runs. Semantics follow OPC UA Part 9 limit alarms and ISA-18.2 TR2:
// exclusive HH/H/L/LL limits, a deadband per limit, on- and off-delays, rate of change, stale and
// bad-quality sensor faults, re-alarm.
import type { Severity } from '../contracts';

export type LimitName = 'HH' | 'H' | 'L' | 'LL';
export const LIMIT_NAMES: readonly LimitName[] = ['HH', 'H', 'L', 'LL'];

/** A deadband in engineering units (number) or a percentage of the instrument span ("2%"). */
export type DeadbandSpec = number | string;

export interface LimitSpec {
  /** The limit in engineering units; also the fallback when `fromCustom` has no number. */
  value?: number;
  /** Name of an asset custom field (from the asset registry) that holds the limit. */
  fromCustom?: string;
  severity: Severity;
  /** The CMMS's own priority value; defaults from the severity (critical 1 … low 4). */
  priority?: number | string;
  deadband?: DeadbandSpec;
}

interface DelaySpec {
  seconds?: number;
  samples?: number;
}

interface RateOfChangeSpec {
  /** Engineering units per `per`. */
  limit: number;
  per: 'second' | 'minute';
  windowSeconds: number;
  direction?: 'rise' | 'fall' | 'both';
  severity: Severity;
  priority?: number | string;
  /** Hysteresis on the rate, in the same units as `limit`. */
  deadband?: number;
}

interface SensorFaultSpec {
  severity: Severity;
  priority?: number | string;
}

type UncertainHandling = 'evaluate' | 'hold' | 'fault';

export interface RuleSpec {
  id: string;
  metric: string;
  /** Plant name of the signal, used in summaries ("Bearing temperature"). */
  name?: string;
  limits?: Partial<Record<LimitName, LimitSpec>>;
  /** Default deadband for limits that do not set their own. */
  deadband?: DeadbandSpec;
  onDelay?: DelaySpec;
  offDelay?: DelaySpec;
  rateOfChange?: RateOfChangeSpec;
  staleAfterSeconds?: number;
  /** The instrument's range: readings outside it are a sensor fault, not a process alarm. */
  validRange?: { min?: number; max?: number };
  uncertainQuality?: UncertainHandling;
  reAlarm?: { seconds: number; maxCount?: number };
  sensorFault?: SensorFaultSpec;
}

/** A per-asset change to a class rule (same id), or a whole extra rule. */
export type RuleOverride = Partial<RuleSpec> & { id: string };

export interface AssetRules {
  /** Use this class's rules instead of the class the asset registry gives. */
  class?: string;
  rules?: RuleOverride[];
  /** Rule ids of the class that do not apply to this asset. */
  disable?: string[];
}

export interface RuleSet {
  /** Rules per asset class; the class "*" applies to every asset. */
  classes?: Record<string, RuleSpec[]>;
  /** Per-asset settings, keyed by asset id or "siteId/assetId". */
  assets?: Record<string, AssetRules>;
}

/** Level codes: sign is the side (high +, low −), magnitude the rank. 0 is normal. */
export const LEVEL_CODE: Record<LimitName, number> = { HH: 2, H: 1, L: -1, LL: -2 };
export const LEVEL_NAME: Record<number, LimitName> = { 2: 'HH', 1: 'H', [-1]: 'L', [-2]: 'LL' };

export interface LimitOut {
  severity: Severity;
  priority: number | string;
}

/** Limit values for one asset, NaN where a limit is absent. Deadbands are absolute. */
export interface ResolvedLimits {
  hh: number;
  h: number;
  l: number;
  ll: number;
  dbHH: number;
  dbH: number;
  dbL: number;
  dbLL: number;
}

export interface CompiledRule {
  id: string;
  metric: string;
  name: string;
  /** Null when the rule has no limits. */
  limits: ResolvedLimits | null;
  /** Per-limit specs, for custom-field resolution and for the events' severity and priority. */
  limitSpecs: Partial<Record<LimitName, LimitSpec>>;
  limitOut: Partial<Record<LimitName, LimitOut>>;
  /** True when some limit comes from an asset custom field, so limits are resolved per asset. */
  usesCustom: boolean;
  deadbandDefault: DeadbandSpec | undefined;
  onDelayMs: number;
  onDelaySamples: number;
  offDelayMs: number;
  offDelaySamples: number;
  roc: null | { limitPerMs: number; limit: number; per: 'second' | 'minute'; windowMs: number; direction: 'rise' | 'fall' | 'both'; deadbandPerMs: number; out: LimitOut };
  staleMs: number;
  rangeMin: number;
  rangeMax: number;
  uncertain: UncertainHandling;
  reAlarmMs: number;
  reAlarmMax: number;
  sensorOut: LimitOut;
}

export const DEFAULT_PRIORITY: Record<Severity, number> = { critical: 1, high: 2, medium: 3, low: 4 };

// Maintenance events (the v1 contract) from alarm transitions, with the evidence a technician
// reads before walking to the machine: value, limit, peak, how long, which rule.
import type { EventState, MaintenanceEvent, Scalar } from '../contracts';
import { episodeIdFor, type CondKind } from './ids';
import type { CondRecord, KeyRecord } from './records';
import { STALE, type Cond, type KeyState } from './state';
import { DEFAULT_PRIORITY, LEVEL_NAME, type LimitName, type LimitOut } from './types';

const WORD: Record<LimitName, string> = { HH: 'high-high', H: 'high', L: 'low', LL: 'low-low' };

export type ClearReason = 'returned-to-normal' | 'work-order-closed' | 'quality-returned' | 'reading-returned' | 'rule-removed';
export type FaultReason = 'bad-quality' | 'out-of-range' | 'not-a-number' | 'uncertain-quality' | 'no-data';

/** Numbers in summaries: enough digits to be useful, never 17. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number.parseFloat(v.toPrecision(6)));
}

function limitName(level: number): LimitName {
  return LEVEL_NAME[level] ?? 'H';
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

interface EventInput {
  st: KeyState;
  c: Cond;
  state: EventState;
  /** Wall/source ms of the transition. */
  at: number;
  details?: Record<string, Scalar>;
  reason?: ClearReason | FaultReason;
  previousLevel?: number;
}

export function outFor(st: KeyState, c: Cond, level: number): LimitOut {
  if (c.kind === 'sensor') return st.rule.sensorOut;
  if (c.kind === 'roc') return (st.rule.roc as NonNullable<typeof st.rule.roc>).out;
  return st.rule.limitOut[limitName(level)] ?? { severity: 'medium', priority: 3 };
}

function limitValue(st: KeyState, c: Cond, level: number): number | null {
  if (c.kind === 'roc') return st.rule.roc?.limit ?? null;
  if (c.kind === 'sensor') {
    if (Number.isFinite(st.lastValue) && st.lastValue > st.rule.rangeMax) return st.rule.rangeMax;
    if (Number.isFinite(st.lastValue) && st.lastValue < st.rule.rangeMin) return st.rule.rangeMin;
    return null;
  }
  const L = st.limits;
  if (!L) return null;
  const v = level === 2 ? L.hh : level === 1 ? L.h : level === -1 ? L.l : L.ll;
  return Number.isFinite(v) ? v : null;
}

function levelText(c: Cond, level: number): string {
  if (c.kind === 'roc') return 'ROC';
  if (c.kind === 'sensor') return level === STALE ? 'STALE' : 'BAD';
  return limitName(level);
}

function summaryOf(e: EventInput, value: number | null, limit: number | null, level: number): string {
  const { st, c } = e;
  const unit = st.unit ? ` ${st.unit}` : '';
  const who = st.slot.asset.id;
  const name = st.rule.name;
  const v = value === null ? 'n/a' : `${fmt(value)}${unit}`;
  if (e.state === 'cleared') {
    const peak = Number.isFinite(c.peak) && c.kind !== 'sensor' ? `, peak ${fmt(c.peak)}${unit}` : '';
    const what = c.kind === 'sensor' ? `${name} sensor OK again` : `${name} back to normal`;
    if (e.reason === 'rule-removed') return `${name} alarm ended on ${who}: the rule no longer applies to this asset (${duration(e.at - c.startTs)}${peak})`;
    const why = e.reason === 'work-order-closed' ? ' (work order closed; re-armed)' : '';
    return `${what} on ${who}${why} (${duration(e.at - c.startTs)}${peak})`;
  }
  if (c.kind === 'sensor') {
    const why = level === STALE ? `no reading for ${fmt(st.rule.staleMs / 1000)} s`
      : e.reason === 'out-of-range' ? `reading ${v} outside ${fmt(st.rule.rangeMin)}…${fmt(st.rule.rangeMax)}`
        : e.reason === 'not-a-number' ? 'reading is not a number' : `${e.reason === 'uncertain-quality' ? 'uncertain' : 'bad'} quality`;
    return `Sensor fault on ${who} ${name}: ${why}`;
  }
  if (c.kind === 'roc') {
    const roc = st.rule.roc as NonNullable<typeof st.rule.roc>;
    return `${name} ${level > 0 ? 'rising' : 'falling'} fast on ${who}: ${v}, over ${fmt(roc.limit)}${unit}/${roc.per === 'second' ? 's' : 'min'}`;
  }
  const word = WORD[limitName(level)];
  const cmp = level > 0 ? '≥' : '≤';
  const prefix = e.state === 'escalated' ? `${name} escalated to ${word}` : `${name} ${word}`;
  return `${prefix} on ${who}: ${v} ${cmp} ${limit === null ? 'n/a' : `${fmt(limit)}${unit}`}`;
}

/** The episode's worst level: what a `cleared` event reports. */
export function worstLevel(c: Pick<Cond, 'kind' | 'level' | 'peakLevel'>): number {
  return c.kind === 'limit' ? Math.sign(c.level || 1) * c.peakLevel : c.level;
}

export function buildEvent(e: EventInput): MaintenanceEvent {
  const { st, c } = e;
  // A cleared event reports the episode's worst level; the others the level it is at.
  const level = e.state === 'cleared' ? worstLevel(c) : c.level;
  const out = outFor(st, c, level);
  // A stale sensor has no current value; the last one is in the details.
  const value = (c.kind === 'sensor' && level === STALE) || !Number.isFinite(st.lastValue) ? null : st.lastValue;
  const limit = limitValue(st, c, level);
  const details: Record<string, Scalar> = {
    condition: c.kind,
    startedAt: new Date(c.startTs).toISOString(),
    ...(st.unit ? { unit: st.unit } : {}),
    ...(e.details ?? {}),
  };
  if (e.reason) details.reason = e.reason;
  if (e.previousLevel !== undefined) details.previousLevel = c.kind === 'limit' ? limitName(e.previousLevel) : levelText(c, e.previousLevel);
  if (e.state === 'cleared') {
    details.durationSeconds = Math.max(0, Math.round((e.at - c.startTs) / 1000));
    if (Number.isFinite(c.peak)) details.peak = c.peak;
    details.acknowledged = c.acked;
  } else if (Number.isFinite(c.peak) && c.kind !== 'sensor') {
    details.peak = c.peak;
  }
  if (c.kind === 'sensor' && level === STALE && Number.isFinite(st.lastValue)) details.lastValue = st.lastValue;
  if (c.woId) details.workOrderId = c.woId;
  return {
    kind: 'alarm',
    state: e.state,
    eventId: c.eventId,
    episodeId: episodeIdFor(st.rule.id, c.kind, c.startTs, c.seq),
    ruleId: st.rule.id,
    asset: st.slot.asset,
    metric: st.rule.metric,
    value,
    limit,
    level: levelText(c, level),
    severity: out.severity,
    priority: out.priority,
    summary: summaryOf(e, value, limit, level).slice(0, 500),
    details,
    occurredAt: new Date(e.at).toISOString(),
  };
}


/**
 * `cleared` for an episode whose rule is gone from the rule set (found at start-up in the state
 * file): built from the stored record, since the rule that made it no longer exists.
 */
export function removedRuleEvent(r: KeyRecord, kind: CondKind, c: CondRecord, at: number): MaintenanceEvent {
  const level = worstLevel({ kind, level: c.level, peakLevel: c.peakLevel });
  const name = r.name ?? r.metric ?? r.rule;
  const unit = r.unit ? ` ${r.unit}` : '';
  const peak = c.peak !== null && kind !== 'sensor' ? `, peak ${fmt(c.peak)}${unit}` : '';
  const details: Record<string, Scalar> = {
    condition: kind, startedAt: new Date(c.startTs).toISOString(), ...(r.unit ? { unit: r.unit } : {}), reason: 'rule-removed',
    durationSeconds: Math.max(0, Math.round((at - c.startTs) / 1000)), ...(c.peak !== null ? { peak: c.peak } : {}), acknowledged: c.acked,
    ...(c.woId ? { workOrderId: c.woId } : {}),
  };
  return {
    kind: 'alarm', state: 'cleared', eventId: c.eventId, episodeId: episodeIdFor(r.rule, kind, c.startTs, c.seq ?? 0), ruleId: r.rule, asset: r.asset,
    metric: r.metric ?? r.rule, value: r.lastValue, limit: null,
    level: kind === 'roc' ? 'ROC' : kind === 'sensor' ? (level === STALE ? 'STALE' : 'BAD') : limitName(level),
    severity: c.severity ?? 'medium', priority: c.priority ?? DEFAULT_PRIORITY[c.severity ?? 'medium'],
    summary: `${name} alarm ended on ${r.asset.id}: the rule no longer applies to this asset (${duration(at - c.startTs)}${peak})`.slice(0, 500),
    details, occurredAt: new Date(at).toISOString(),
  };
}

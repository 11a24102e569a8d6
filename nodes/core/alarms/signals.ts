// What one reading says about a condition: the level it is at, with the deadband applied for the
// level the condition is already in (hysteresis), and the rate of change over the rule's window.
import type { Quality, Scalar } from '../contracts';
import type { FaultReason } from './events';
import { customSignature, resolveLimits } from './rules';
import { ACTIVE, CLEARING, RING_ANCHORS, type Cond, type KeyState, type RingPool } from './state';
import type { CompiledRule, ResolvedLimits } from './types';

/** A reading's value as a number: booleans are 0/1, text is parsed, empty text is NaN. */
export function toNumber(raw: Exclude<Scalar, null>): number {
  return typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : raw.trim() === '' ? Number.NaN : Number(raw);
}

/**
 * Source time when it is believable, else the gateway's clock (a PLC with a wrong clock must not
 * hide an alarm). Readings of one scan share a timestamp string: it is parsed once.
 */
export class SourceClock {
  private lastText = '';
  private lastMs = 0;

  constructor(private readonly maxSkewMs: number, private readonly counters: { clockReplaced: number }) {}

  time(text: string, wall: number): number {
    let ms: number;
    if (text === this.lastText) ms = this.lastMs;
    else {
      ms = Date.parse(text);
      this.lastText = text;
      this.lastMs = ms;
    }
    if (!(Math.abs(ms - wall) <= this.maxSkewMs)) {
      this.counters.clockReplaced++;
      return wall;
    }
    return ms;
  }
}

/** The level a condition holds with its deadband: only while active (or clearing); 0 otherwise. */
export function activeLevel(c: Cond | null): number {
  return c !== null && (c.phase === ACTIVE || c.phase === CLEARING) ? c.level : 0;
}

/** Limits from asset custom fields are resolved again when the fields the rule reads change. */
export function refreshLimits(st: KeyState): void {
  const custom = st.slot.asset.custom;
  const sig = customSignature(st.rule, custom);
  if (sig !== st.customSig || st.limits === null) {
    st.customSig = sig;
    st.limits = resolveLimits(st.rule, custom);
  }
}

/** Why a reading says nothing about the process (a sensor fault), or undefined when it is usable. */
export function readingFault(v: number, quality: Quality, rule: CompiledRule): FaultReason | undefined {
  // Bad quality first: a lost PLC link comes as bad quality with no value, and the reason the
  // technician needs is the link, not the missing number.
  if (quality === 'bad') return 'bad-quality';
  if (!Number.isFinite(v)) return 'not-a-number';
  if (v < rule.rangeMin || v > rule.rangeMax) return 'out-of-range';
  if (quality === 'uncertain' && rule.uncertain === 'fault') return 'uncertain-quality';
  return undefined;
}

/**
 * The limit level (±1 H/L, ±2 HH/LL, 0 normal) of value `v` for a condition now at `cur`.
 * A limit is reached at or beyond its value and left only beyond its deadband. Jumping from one
 * side to the other ends the episode first (0); the other side starts with the next reading.
 */
export function limitTarget(v: number, cur: number, L: ResolvedLimits): number {
  let target = 0;
  if (v >= L.hh || (cur === 2 && v > L.hh - L.dbHH)) target = 2;
  else if (v >= L.h || (cur >= 1 && v > L.h - L.dbH)) target = 1;
  else if (v <= L.ll || (cur === -2 && v < L.ll + L.dbLL)) target = -2;
  else if (v <= L.l || (cur <= -1 && v < L.l + L.dbL)) target = -1;
  return cur !== 0 && target !== 0 && (target > 0) !== (cur > 0) ? 0 : target;
}

/**
 * Records the reading in the key's anchors (at most one per window/8) and returns the rate per ms
 * since the oldest anchor inside the window — or, with sparse readings, the newest one within two
 * windows. NaN while there is less than half a window of history.
 */
export function rocRate(st: KeyState, rings: RingPool, windowMs: number, v: number, ts: number): number {
  if (st.ring < 0) st.ring = rings.alloc();
  const ring = rings.array(st.ring);
  const base = rings.base(st.ring);
  const N = RING_ANCHORS;
  const newest = st.ringLen > 0 ? ring[base + 2 * ((st.ringHead + st.ringLen - 1) % N)] : Number.NEGATIVE_INFINITY;
  if (ts - newest >= windowMs / N) {
    const at = base + 2 * ((st.ringHead + st.ringLen) % N);
    ring[at] = ts;
    ring[at + 1] = v;
    if (st.ringLen < N) st.ringLen++;
    else st.ringHead = (st.ringHead + 1) % N;
  }
  let ta = Number.NaN;
  let va = Number.NaN;
  for (let k = 0; k < st.ringLen; k++) {
    const j = base + 2 * ((st.ringHead + k) % N);
    const age = ts - ring[j];
    if (age <= windowMs) {
      if (age >= windowMs / 2 || Number.isNaN(ta)) {
        ta = ring[j];
        va = ring[j + 1];
      }
      break;
    }
    if (age <= 2 * windowMs) {
      ta = ring[j];
      va = ring[j + 1];
    }
  }
  if (Number.isNaN(ta) || ts - ta < windowMs / 2) return Number.NaN;
  return (v - va) / (ts - ta);
}

/** The rate-of-change level (+1 rising, −1 falling, 0 normal) for a condition now at `cur`. */
export function rocTarget(rate: number, cur: number, roc: NonNullable<CompiledRule['roc']>): number {
  const limit = roc.limitPerMs;
  let target = 0;
  if (roc.direction !== 'fall' && (rate >= limit || (cur === 1 && rate > limit - roc.deadbandPerMs))) target = 1;
  else if (roc.direction !== 'rise' && (rate <= -limit || (cur === -1 && rate < -limit + roc.deadbandPerMs))) target = -1;
  return cur !== 0 && target !== 0 && target !== cur ? 0 : target;
}

// What one reading says about a condition: the level it is at, with the deadband applied for the
// level the condition is already in (hysteresis), and the rate of change over the rule's window.
import { RING_ANCHORS, type KeyState, type RingPool } from './state';
import type { CompiledRule, ResolvedLimits } from './types';

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

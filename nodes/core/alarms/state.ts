// In-memory alarm state. Plain classes with fixed fields (one hidden class each in V8) and
// conditions allocated only when they leave normal, so an idle key costs a few hundred bytes.
import type { Asset } from '../contracts';
import type { Wakeable } from './heap';
import type { CondKind } from './ids';
import type { AssetRuleSet } from './rules';
import type { CompiledRule, ResolvedLimits } from './types';

export const NORMAL = 0;
export const PENDING = 1;
export const ACTIVE = 2;
export const CLEARING = 3;

/** Sensor condition levels (the limit condition uses ±1/±2, rate of change ±1). */
export const BAD = 1;
export const STALE = 2;

/**
 * One condition of one key (limit, rate of change or sensor). OPC UA Part 9 in miniature:
 * normal → pending (on-delay) → active → clearing (off-delay) → normal.
 */
export class Cond {
  phase = NORMAL;
  /** Current level code (see LEVEL_CODE); for the sensor condition BAD or STALE. */
  level = 0;
  /** Highest |level| of the episode, for the severity of `cleared`. */
  peakLevel = 0;
  /** Monotonic ms when the current pending or clearing phase began. */
  since = 0;
  /** Consecutive samples in the current pending or clearing phase. */
  samples = 0;
  /** Source time of the first sample of the pending phase: the episode start if it activates. */
  pendStartTs = 0;
  /** Source time of the episode start: part of the eventId. Kept after clearing for the work-order link. */
  startTs = 0;
  activeTs = 0;
  /** Most extreme value of the episode (max on the high side, min on the low side). */
  peak = Number.NaN;
  eventId = '';
  /** Whether `raised` went out (false while shelved). */
  announced = false;
  acked = false;
  reAlarms = 0;
  /** Monotonic ms of the last raised or re-alarm. */
  lastAnnounce = 0;
  /** The episode's work order, as mw-work-order or mw-wo-status reported it. */
  woOpen = false;
  woId = '';
  /** The CMMS said the work order is done or cancelled; later results (notes, updates) do not reopen it. */
  woClosed = false;
  /** A one-shot shelf seen while this episode was active ends when it clears. */
  oneShotSeen = false;
  /** Wall ms of this alarm's last two returns to normal, for the chattering figure (ISA-18.2 TR5). */
  chat1 = 0;
  chat2 = 0;
  /** The episode's number among episodes of the key that started at the same source time (part of its ids). */
  seq = 0;

  constructor(readonly kind: CondKind) {}
}

export class AssetSlot {
  /** The latest asset object from the registry: what events carry. */
  asset: Asset;
  ruleSet: AssetRuleSet;
  states: Array<KeyState | undefined>;

  constructor(readonly key: string, asset: Asset, ruleSet: AssetRuleSet, readonly cls: string) {
    this.asset = asset;
    this.ruleSet = ruleSet;
    this.states = new Array<KeyState | undefined>(ruleSet.rules.length);
  }
}

/** State of one (asset, metric, rule). */
export class KeyState implements Wakeable {
  wakeAt = Number.POSITIVE_INFINITY;
  heapPos = -1;
  limits: ResolvedLimits | null;
  customSig = '';
  /** Source ms of the last sample used; older samples are ignored. */
  lastTs = Number.NEGATIVE_INFINITY;
  /** Monotonic ms of the last sample, for staleness. */
  lastSeen: number;
  lastValue = Number.NaN;
  unit: string | undefined = undefined;
  /** The last sample was unusable (bad quality, out of range, not a number, or held uncertain). */
  lastBad = false;
  /** No sample for staleAfter: process conditions are held. */
  stale = false;
  /** The first rule on its metric for this asset: the one that reports sensor faults. */
  ownsSensor = true;
  lim: Cond | null = null;
  roc: Cond | null = null;
  sen: Cond | null = null;
  /** Rate-of-change anchors: slot in the engine's RingPool (−1 = none), `ringLen` pairs from `ringHead`. */
  ring = -1;
  ringHead = 0;
  ringLen = 0;
  /** Source start of the key's latest episode and its number: a frozen source clock still gives new ids. */
  lastEpisodeTs = Number.NEGATIVE_INFINITY;
  episodeSeq = 0;
  /** Written to the durable store at least once. */
  stored = false;
  dirty = false;

  /** Slot and rule change when the asset changes class or its rules are edited (see AlarmEngine.reslot). */
  constructor(public slot: AssetSlot, public rule: CompiledRule, now: number) {
    this.limits = rule.limits;
    this.lastSeen = now;
  }

  /** Moves the key to the asset's new slot and the rule's new form; its episodes and eventIds stay. */
  rebind(slot: AssetSlot, rule: CompiledRule): void {
    this.slot = slot;
    if (rule !== this.rule) {
      this.rule = rule;
      this.limits = rule.limits;
      this.customSig = '';
    }
  }

  /** The durable-store key; made when needed rather than kept, it is only used on writes. */
  get id(): string {
    return recordKey(this.slot.asset.siteId, this.slot.asset.id, this.rule.id);
  }

  cond(kind: CondKind): Cond | null {
    return kind === 'limit' ? this.lim : kind === 'roc' ? this.roc : this.sen;
  }

  setCond(kind: CondKind, c: Cond | null): void {
    if (kind === 'limit') this.lim = c;
    else if (kind === 'roc') this.roc = c;
    else this.sen = c;
  }
}

/** Durable-store key of a key state; JSON so that any characters in the ids stay unambiguous. */
export function recordKey(siteId: string, assetId: string, ruleId: string): string {
  return JSON.stringify([siteId, assetId, ruleId]);
}

export function slotKey(siteId: string, assetId: string): string {
  return `${siteId}\u0001${assetId}`;
}

export const RING_ANCHORS = 8;
const RING_DOUBLES = 2 * RING_ANCHORS;
const CHUNK_KEYS = 1024;

/**
 * Rate-of-change anchors of all keys in a few large arrays: a typed array per key would cost more
 * in headers than in data.
 */
export class RingPool {
  private readonly chunks: Float64Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const i = this.next++;
    if (i % CHUNK_KEYS === 0) this.chunks.push(new Float64Array(CHUNK_KEYS * RING_DOUBLES));
    return i;
  }

  release(i: number): void {
    if (i >= 0) this.free.push(i);
  }

  array(i: number): Float64Array {
    return this.chunks[Math.floor(i / CHUNK_KEYS)];
  }

  /** Index of anchor 0's time in `array(i)`. */
  base(i: number): number {
    return (i % CHUNK_KEYS) * RING_DOUBLES;
  }
}

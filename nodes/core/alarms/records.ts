// What survives a restart: per key the asset, the conditions that are not normal (pending delays,
// active episodes, the work-order link), and shelves and out-of-service marks. Monotonic times do
// not survive a restart, so they are stored as wall-clock times and turned back on restore.
import type { Asset, Severity } from '../contracts';
import { outFor, worstLevel } from './events';
import type { CondKind } from './ids';
import type { Shelf } from './shelves';
import { Cond, NORMAL, type KeyState } from './state';

const RECORD_VERSION = 1;
export const NS_KEYS = 'key';
export const NS_SHELVES = 'shelf';
export const NS_OUT_OF_SERVICE = 'oos';
/** Holds `{ clean: true }` while no node runs on the file: written at close, removed at start. */
export const NS_META = 'meta';
export const KEY_CLEAN = 'clean';

export interface CondRecord {
  phase: number;
  level: number;
  peakLevel: number;
  sinceWall: number;
  samples: number;
  pendStartTs: number;
  startTs: number;
  activeTs: number;
  peak: number | null;
  eventId: string;
  announced: boolean;
  acked: boolean;
  reAlarms: number;
  lastAnnounceWall: number;
  woOpen: boolean;
  woId: string;
  woClosed: boolean;
  oneShotSeen: boolean;
  /** The episode's severity and priority, for a `cleared` after its rule was removed (absent in older files). */
  severity?: Severity;
  priority?: number | string;
  /** The episode's number among those with the same start time (absent = 0). */
  seq?: number;
}

export interface KeyRecord {
  v: number;
  asset: Asset;
  rule: string;
  /** Metric and plant name of the rule, for a `cleared` after the rule was removed (absent in older files). */
  metric?: string;
  name?: string;
  /** Source start and number of the key's latest episode (absent in older files). */
  epTs?: number | null;
  epSeq?: number;
  lastTs: number | null;
  lastValue: number | null;
  unit: string | null;
  stale: boolean;
  lastBad: boolean;
  conds: Partial<Record<CondKind, CondRecord>>;
}

export interface OutOfServiceRecord {
  siteId: string | null;
  assetId: string;
  sinceWall: number;
  reason: string;
}

export type ShelfRecord = Omit<Shelf, 'until'>;

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

function condRecord(st: KeyState, c: Cond, now: number, wall: number): CondRecord {
  const toWall = (mono: number): number => wall - (now - mono);
  const out = outFor(st, c, worstLevel(c));
  return {
    severity: out.severity, priority: out.priority,
    phase: c.phase, level: c.level, peakLevel: c.peakLevel, sinceWall: toWall(c.since), samples: c.samples,
    pendStartTs: c.pendStartTs, startTs: c.startTs, activeTs: c.activeTs, peak: finite(c.peak), eventId: c.eventId,
    announced: c.announced, acked: c.acked, reAlarms: c.reAlarms, lastAnnounceWall: toWall(c.lastAnnounce),
    woOpen: c.woOpen, woId: c.woId, woClosed: c.woClosed, oneShotSeen: c.oneShotSeen, seq: c.seq,
  };
}

/** Conditions worth a restart: anything not normal, and a finished episode whose work order is open. */
function worthKeeping(c: Cond | null): c is Cond {
  return c !== null && (c.phase !== NORMAL || (c.eventId !== '' && c.woOpen));
}

export function toRecord(st: KeyState, now: number, wall: number): KeyRecord {
  const conds: Partial<Record<CondKind, CondRecord>> = {};
  for (const c of [st.lim, st.roc, st.sen]) if (worthKeeping(c)) conds[c.kind] = condRecord(st, c, now, wall);
  return {
    v: RECORD_VERSION, asset: st.slot.asset, rule: st.rule.id, metric: st.rule.metric, name: st.rule.name,
    epTs: finite(st.lastEpisodeTs), epSeq: st.episodeSeq, lastTs: finite(st.lastTs), lastValue: finite(st.lastValue),
    unit: st.unit ?? null, stale: st.stale, lastBad: st.lastBad, conds,
  };
}

export function restoreCond(kind: CondKind, r: CondRecord, now: number, wall: number): Cond {
  const c = new Cond(kind);
  // Time that passed while Node-RED was down counts toward delays, as it would have while running.
  const toMono = (w: number): number => now - Math.max(0, wall - w);
  c.phase = r.phase;
  c.level = r.level;
  c.peakLevel = r.peakLevel;
  c.since = toMono(r.sinceWall);
  c.samples = r.samples;
  c.pendStartTs = r.pendStartTs;
  c.startTs = r.startTs;
  c.activeTs = r.activeTs;
  c.peak = r.peak ?? Number.NaN;
  c.eventId = r.eventId;
  c.announced = r.announced;
  c.acked = r.acked;
  c.reAlarms = r.reAlarms;
  c.lastAnnounce = toMono(r.lastAnnounceWall);
  c.woOpen = r.woOpen;
  c.woId = r.woId;
  c.woClosed = r.woClosed === true;
  c.oneShotSeen = r.oneShotSeen;
  c.seq = typeof r.seq === 'number' ? r.seq : 0;
  return c;
}

/** A record from an older or damaged file is skipped rather than crashing the node. */
export function isKeyRecord(v: unknown): v is KeyRecord {
  const r = v as KeyRecord | null;
  return typeof r === 'object' && r !== null && r.v === RECORD_VERSION && typeof r.rule === 'string' &&
    typeof r.asset === 'object' && r.asset !== null && typeof r.asset.id === 'string' && typeof r.asset.siteId === 'string' &&
    typeof r.conds === 'object' && r.conds !== null;
}

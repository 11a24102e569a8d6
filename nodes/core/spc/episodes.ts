// One episode per (series, detector family): raised on the first signal, escalated when a signal
// of higher severity follows, cleared once the statistic has stayed in control for a run of units.
// A chart that keeps signalling while the tool wears keeps one work order, not hundreds.
import type { Scalar, Severity } from '../contracts';

export type Family = 'mean' | 'rules' | 'trend' | 'capability' | 'spread' | 'defects';

const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export interface EpisodeState {
  open: boolean;
  severity: Severity;
  level: string;
  /** Record time (ms) and unit number of the first signal: with the series they identify the episode. */
  startMs: number;
  startUnit: number;
  /** Units in control since the last signal. */
  okUnits: number;
  signals: number;
}

export interface Signal {
  level: string;
  severity: Severity;
  value: number | null;
  limit: number | null;
  /** Detector-specific evidence; the series adds the common part. */
  evidence: Record<string, Scalar>;
}

export interface Transition {
  state: 'raised' | 'escalated' | 'cleared';
  family: Family;
  episode: EpisodeState;
  signal: Signal | null;
  /** Why a clear happened other than by returning to control (re-baseline, work order done). */
  reason: string | null;
}

export function newEpisode(): EpisodeState {
  return { open: false, severity: 'low', level: '', startMs: 0, startUnit: 0, okUnits: 0, signals: 0 };
}

/** A signal arrived: opens an episode, escalates it, or just keeps it open. */
export function onSignal(e: EpisodeState, family: Family, signal: Signal, atMs: number, unit: number): Transition | null {
  e.okUnits = 0;
  e.signals++;
  if (!e.open) {
    e.open = true;
    e.severity = signal.severity;
    e.level = signal.level;
    e.startMs = atMs;
    e.startUnit = unit;
    e.signals = 1;
    return { state: 'raised', family, episode: { ...e }, signal, reason: null };
  }
  if (SEVERITY_RANK[signal.severity] > SEVERITY_RANK[e.severity]) {
    e.severity = signal.severity;
    e.level = signal.level;
    return { state: 'escalated', family, episode: { ...e }, signal, reason: null };
  }
  return null;
}

/** `units` more units in control; clears the episode after `clearAfter` of them in a row. */
export function onInControl(e: EpisodeState, family: Family, units: number, clearAfter: number): Transition | null {
  if (!e.open) return null;
  e.okUnits += units;
  if (e.okUnits < clearAfter) return null;
  const closed = { ...e };
  e.open = false;
  e.okUnits = 0;
  return { state: 'cleared', family, episode: closed, signal: null, reason: null };
}

/** Ends an open episode for a reason outside the chart (new baseline, completed work order). */
export function forceClear(e: EpisodeState, family: Family, reason: string): Transition | null {
  if (!e.open) return null;
  const closed = { ...e };
  e.open = false;
  e.okUnits = 0;
  return { state: 'cleared', family, episode: closed, signal: null, reason };
}

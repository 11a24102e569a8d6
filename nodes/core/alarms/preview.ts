// "Preview" in mw-threshold's dialog: a short series played through the rules by the real engine
// (the one a deploy runs), on a simulated clock, so the editor shows where alarms would raise and
// clear, delays, deadband and rate of change included, without a second copy of the alarm logic.
import type { AssetReadings, MaintenanceEvent } from '../contracts';
import { AlarmEngine, type Clock } from './engine';
import type { RuleBook } from './rules';

/** A preview is for a short pasted series, not a replay of history. */
const MAX_PREVIEW_POINTS = 5000;
const START = Date.parse('2026-01-01T00:00:00.000Z');

interface PreviewPoint {
  /** Seconds from the start of the series. */
  at: number;
  value: number | string | boolean;
}

interface PreviewEvent {
  at: number;
  state: MaintenanceEvent['state'];
  level: string;
  ruleId: string;
  severity: string;
  value: MaintenanceEvent['value'];
  limit: MaintenanceEvent['limit'];
  summary: string;
}

interface PreviewAsset { id: string; siteId: string; class?: string }

/**
 * The series as pasted: one point a line, `value` (points `stepSeconds` apart) or `seconds,value`
 * (also `;` or tab). Numbers stay numbers; anything else is a reading the rules judge (bad-value).
 */
export function parseSeries(text: string, stepSeconds = 1): { ok: true; points: PreviewPoint[] } | { ok: false; errors: string[] } {
  const points: PreviewPoint[] = [];
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(/[,;\t]/).map((c) => c.trim());
    const num = (s: string): number | null => (s !== '' && Number.isFinite(Number(s)) ? Number(s) : null);
    let at: number | null;
    let raw: string;
    if (cells.length >= 2) {
      at = num(cells[0]);
      raw = cells[1];
      if (at === null || at < 0) { errors.push(`line ${i + 1}: "${cells[0].slice(0, 40)}" is not a time in seconds`); continue; }
    } else {
      at = n * stepSeconds;
      raw = cells[0];
    }
    const prev = points.at(-1);
    if (prev && at < prev.at) { errors.push(`line ${i + 1}: time ${at} s is before the line above (${prev.at} s)`); continue; }
    const v = num(raw);
    points.push({ at, value: v ?? (raw === 'true' ? true : raw === 'false' ? false : raw.slice(0, 100)) });
    n += 1;
    if (points.length > MAX_PREVIEW_POINTS) return { ok: false, errors: [`more than ${MAX_PREVIEW_POINTS} points: a preview is for a short series`] };
  }
  if (errors.length > 0) return { ok: false, errors };
  if (points.length === 0) return { ok: false, errors: ['no points: paste one value per line, or seconds,value'] };
  return { ok: true, points };
}

/** Plays `points` of one metric of one asset through `book`; `tailSeconds` more runs the timers after the last point. */
export function previewSeries(book: RuleBook, asset: PreviewAsset, metric: string, points: readonly PreviewPoint[], tailSeconds = 0): PreviewEvent[] {
  let mono = 0;
  const clock: Clock = { mono: () => mono, wall: () => START + mono };
  const engine = new AlarmEngine({ rules: book, clock });
  const out: PreviewEvent[] = [];
  const collect = (events: MaintenanceEvent[]): void => {
    for (const e of events) {
      out.push({ at: mono / 1000, state: e.state, level: e.level, ruleId: e.ruleId, severity: e.severity, value: e.value, limit: e.limit, summary: e.summary });
    }
    engine.takeWrites();
  };
  // Timers (on/off delays, stale) fire at their own instant, as they would between two readings.
  const runUntil = (t: number): void => {
    for (let wake = engine.nextWake(); wake <= t; wake = engine.nextWake()) {
      mono = Math.max(mono, wake);
      collect(engine.tick());
    }
    mono = Math.max(mono, t);
  };
  const a = { id: asset.id, siteId: asset.siteId, location: `${asset.siteId}/${asset.id}`, ...(asset.class ? { class: asset.class } : {}) };
  for (const p of points) {
    runUntil(p.at * 1000);
    const payload: AssetReadings = {
      asset: a,
      readings: [{ metric, value: p.value, quality: 'good', timestamp: new Date(clock.wall()).toISOString() }],
      source: { kind: 'other', ref: 'preview' },
    };
    collect(engine.ingest(payload));
    collect(engine.tick());
  }
  runUntil(mono + tailSeconds * 1000);
  return out;
}

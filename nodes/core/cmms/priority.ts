// The priority a work order gets, per CMMS. The event contract allows 0–1000 or a word, but each
// CMMS takes its own small set: stock Maximo 1–5 (anything else is refused with BMXAA4194E, issue 14's
// field report), MaintainX NONE/LOW/MEDIUM/HIGH (its OpenAPI enum), ServiceNow an impact and urgency
// of 1–3 each (priority itself is computed from them, and an explicit one is overwritten). So the
// node keeps a table per severity, checked at deploy against the connection's dialect, with a
// default for every empty cell: an out-of-range priority never reaches the CMMS.
import type { MaintenanceEvent, Severity } from '../contracts';
import type { DialectName } from './types';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

const MAXIMO_PRIORITY_MIN = 1;
const MAXIMO_PRIORITY_MAX = 5;
const MAINTAINX_PRIORITIES = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;

/** ServiceNow's pair, each 1 (high) … 3 (low). */
interface ImpactUrgency { impact: number; urgency: number }

/** What an empty cell means, per dialect. REST keeps the event's own priority. */
export const DEFAULT_PRIORITY: Record<Exclude<DialectName, 'rest'>, Record<Severity, number | string>> = {
  maximo: { critical: 1, high: 2, medium: 3, low: 4 },
  servicenow: { critical: '1/1', high: '2/1', medium: '2/2', low: '3/3' },
  maintainx: { critical: 'HIGH', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' },
};

/**
 * ServiceNow's default priority matrix read backwards: the impact/urgency pair that yields
 * priority 1 … 5, so a table that says "2" (as older flows did) still means priority 2.
 */
const SN_PAIR_FOR_PRIORITY: Record<number, ImpactUrgency> = {
  1: { impact: 1, urgency: 1 }, 2: { impact: 2, urgency: 1 }, 3: { impact: 2, urgency: 2 }, 4: { impact: 3, urgency: 2 }, 5: { impact: 3, urgency: 3 },
};

/** "impact/urgency" ("1/2"), or a priority 1–5 → the pair; null when it is neither. */
export function serviceNowPair(value: number | string): ImpactUrgency | null {
  const s = String(value).trim();
  const pair = /^([1-3])\s*\/\s*([1-3])$/.exec(s);
  if (pair) return { impact: Number(pair[1]), urgency: Number(pair[2]) };
  return /^[1-5]$/.test(s) ? SN_PAIR_FOR_PRIORITY[Number(s)] : null;
}

/**
 * MaintainX's word for a value: the four words in any case (CRITICAL and URGENT read as HIGH), or a number 1 (most urgent) … 5 as the
 * rules' default priorities use them; null otherwise.
 */
export function maintainxWord(value: number | string): string | null {
  const s = String(value).trim().toUpperCase();
  if ((MAINTAINX_PRIORITIES as readonly string[]).includes(s)) return s;
  if (s === 'CRITICAL' || s === 'URGENT') return 'HIGH';
  if (!/^[1-5]$/.test(s)) return null;
  const n = Number(s);
  return n <= 2 ? 'HIGH' : n === 3 ? 'MEDIUM' : n === 4 ? 'LOW' : 'NONE';
}

/** The value as the dialect takes it ("1/2" for ServiceNow), or null when the dialect cannot take it. */
export function normalisePriority(dialect: DialectName, value: number | string): number | string | null {
  switch (dialect) {
    case 'maximo': {
      const s = String(value).trim();
      if (!/^\d+$/.test(s)) return null;
      const n = Number(s);
      return n >= MAXIMO_PRIORITY_MIN && n <= MAXIMO_PRIORITY_MAX ? n : null;
    }
    case 'servicenow': {
      const p = serviceNowPair(value);
      return p ? `${p.impact}/${p.urgency}` : null;
    }
    case 'maintainx': return maintainxWord(value);
    case 'rest': return value;
  }
}

/** What a cell may hold, for error messages and the editor's hint. */
export function allowedPriorities(dialect: DialectName): string {
  switch (dialect) {
    case 'maximo': return `a whole number ${MAXIMO_PRIORITY_MIN}–${MAXIMO_PRIORITY_MAX}`;
    case 'servicenow': return 'impact/urgency such as 1/2 (each 1–3), or a priority 1–5';
    case 'maintainx': return `${MAINTAINX_PRIORITIES.join(', ')} (or 1–5)`;
    case 'rest': return 'any value';
  }
}

type PriorityTable = Partial<Record<Severity, number | string>>;

/** Deploy-time check of a table against the connection's dialect: one message per bad cell. */
export function checkPriorityTable(dialect: DialectName, table: PriorityTable | undefined): string[] {
  const errors: string[] = [];
  for (const severity of SEVERITIES) {
    const v = table?.[severity];
    if (v !== undefined && normalisePriority(dialect, v) === null) {
      errors.push(`priority "${String(v)}" for ${severity} is not a ${dialect} priority: use ${allowedPriorities(dialect)}`);
    }
  }
  return errors;
}

/**
 * The priority to send for an event: the table's cell for its severity; else, for Maximo and REST
 * (where the rules' numbers mean the CMMS's priority), the event's own when the CMMS takes it; else
 * the dialect's default for the severity. Always a value the dialect accepts.
 */
export function resolvePriority(dialect: DialectName, event: Pick<MaintenanceEvent, 'severity' | 'priority'>, table?: PriorityTable): number | string {
  const cell = table?.[event.severity];
  const fromCell = cell === undefined ? null : normalisePriority(dialect, cell);
  if (fromCell !== null) return fromCell;
  if (dialect === 'rest') return event.priority;
  if (dialect === 'maximo') {
    const own = normalisePriority(dialect, event.priority);
    if (own !== null) return own;
  }
  return DEFAULT_PRIORITY[dialect][event.severity];
}

// Work-order status machines, one per dialect, as the vendors enforce them (simplified where the
// real rules are site-configurable). Values are the wire values: Maximo and MaintainX codes,
// ServiceNow state numbers as strings, and the generic REST words.
import type { Dialect } from './types';

interface StateMachine {
  initial: string;
  all: readonly string[];
  /** Canonical wire value for user input (case, ServiceNow labels), or null when unknown. */
  normalize(input: string): string | null;
  allowed(from: string, to: string): boolean;
  label(status: string): string;
}

const MAXIMO_ORDER = ['WAPPR', 'APPR', 'INPRG', 'COMP', 'CLOSE'];
const MAXIMO_LABELS: Record<string, string> = {
  WAPPR: 'Waiting on Approval', APPR: 'Approved', INPRG: 'In Progress', COMP: 'Completed', CLOSE: 'Closed', CAN: 'Canceled',
};

const maximo: StateMachine = {
  initial: 'WAPPR',
  all: [...MAXIMO_ORDER, 'CAN'],
  normalize: (s) => (MAXIMO_LABELS[s.trim().toUpperCase()] ? s.trim().toUpperCase() : null),
  // Forward moves may skip steps (Maximo approves implicitly); CAN from anything not final.
  allowed(from, to) {
    if (from === 'CLOSE' || from === 'CAN') return false;
    if (to === 'CAN') return true;
    return MAXIMO_ORDER.indexOf(to) > MAXIMO_ORDER.indexOf(from);
  },
  label: (s) => MAXIMO_LABELS[s] ?? s,
};

const SN_LABELS: Record<string, string> = {
  '1': 'New', '2': 'In Progress', '3': 'On Hold', '6': 'Resolved', '7': 'Closed', '8': 'Canceled',
};
const SN_NEXT: Record<string, string[]> = {
  '1': ['2', '3', '6', '8'],
  '2': ['3', '6', '8'],
  '3': ['2', '6', '8'],
  '6': ['2', '7'],
  '7': [],
  '8': [],
};

const servicenow: StateMachine = {
  initial: '1',
  all: Object.keys(SN_LABELS),
  normalize(s) {
    const t = s.trim();
    if (SN_LABELS[t]) return t;
    const hit = Object.entries(SN_LABELS).find(([, label]) => label.toLowerCase() === t.toLowerCase());
    return hit ? hit[0] : null;
  },
  allowed: (from, to) => (SN_NEXT[from] ?? []).includes(to),
  label: (s) => SN_LABELS[s] ?? s,
};

const MX_NEXT: Record<string, string[]> = {
  OPEN: ['IN_PROGRESS', 'ON_HOLD', 'DONE', 'CANCELED'],
  IN_PROGRESS: ['OPEN', 'ON_HOLD', 'DONE', 'CANCELED'],
  ON_HOLD: ['OPEN', 'IN_PROGRESS', 'DONE', 'CANCELED'],
  // A finished work order can only be reopened.
  DONE: ['OPEN'],
  CANCELED: ['OPEN'],
};

const maintainx: StateMachine = {
  initial: 'OPEN',
  all: Object.keys(MX_NEXT),
  normalize: (s) => (MX_NEXT[s.trim().toUpperCase()] ? s.trim().toUpperCase() : null),
  allowed: (from, to) => (MX_NEXT[from] ?? []).includes(to),
  label: (s) => s,
};

const REST_NEXT: Record<string, string[]> = {
  open: ['in-progress', 'on-hold', 'done', 'cancelled'],
  'in-progress': ['on-hold', 'done', 'cancelled'],
  'on-hold': ['in-progress', 'done', 'cancelled'],
  done: [],
  cancelled: [],
};

const rest: StateMachine = {
  initial: 'open',
  all: Object.keys(REST_NEXT),
  normalize: (s) => (REST_NEXT[s.trim().toLowerCase()] ? s.trim().toLowerCase() : null),
  allowed: (from, to) => (REST_NEXT[from] ?? []).includes(to),
  label: (s) => s,
};

export const MACHINES: Record<Dialect, StateMachine> = { maximo, servicenow, maintainx, rest };

/** Statuses reachable from `from`, for the HTML page. */
export function nextStatuses(dialect: Dialect, from: string): string[] {
  const m = MACHINES[dialect];
  return m.all.filter((to) => m.allowed(from, to));
}

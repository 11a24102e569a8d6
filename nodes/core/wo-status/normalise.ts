// Status normalisation: each CMMS's own status values to the contract's states. One table per
// dialect (ServiceNow: one per table), stock values only; a site's custom statuses are added in the
// editor and win over the stock ones. A value no table knows becomes `unknown`, never a guess:
// treating an unknown status as "done" would re-arm an alarm while the pump is still being fixed.
import type { WorkOrderState } from '../contracts/work-order-status';

export type StatusDialect = 'maximo' | 'servicenow' | 'maintainx' | 'rest';

/** The states a table may map to (`unknown` is what no mapping gives, so it is not a target). */
export const MAPPABLE_STATES = ['open', 'approved', 'in-progress', 'waiting', 'done', 'closed', 'cancelled'] as const;
export type MappableState = (typeof MAPPABLE_STATES)[number];

type StatusTable = Readonly<Record<string, MappableState>>;

/**
 * Maximo WOSTATUS domain (IBM Docs, "Work order statuses"): WAPPR waiting on approval, APPR
 * approved, WSCH waiting to be scheduled, WMATL waiting on material, WPCOND waiting on plant
 * conditions, INPRG in progress, COMP completed, CLOSE closed (history), CAN cancelled.
 */
export const MAXIMO_TABLE: StatusTable = {
  WAPPR: 'open', APPR: 'approved', WSCH: 'waiting', WMATL: 'waiting', WPCOND: 'waiting',
  INPRG: 'in-progress', COMP: 'done', CLOSE: 'closed', CAN: 'cancelled',
};

/**
 * ServiceNow incident `state` choice values, and their labels for a business rule that sends
 * display values: 1 New, 2 In Progress, 3 On Hold, 4 Awaiting User Info and 5 Awaiting Evidence
 * (older releases), 6 Resolved, 7 Closed, 8 Canceled.
 */
const SERVICENOW_INCIDENT_TABLE: StatusTable = {
  1: 'open', 2: 'in-progress', 3: 'waiting', 4: 'waiting', 5: 'waiting', 6: 'done', 7: 'closed', 8: 'cancelled',
  New: 'open', 'In Progress': 'in-progress', 'On Hold': 'waiting', 'Awaiting User Info': 'waiting', 'Awaiting Evidence': 'waiting',
  Resolved: 'done', Closed: 'closed', Canceled: 'cancelled', Cancelled: 'cancelled',
};

/**
 * Field Service Management `wm_order` states by label (ServiceNow docs, "Work order states"). Their
 * choice values are instance data, not documented: send display values, or add the numbers here.
 */
const SERVICENOW_WM_ORDER_TABLE: StatusTable = {
  Draft: 'open', 'Awaiting Qualification': 'open', Qualified: 'approved', 'Ready for Dispatch': 'approved',
  'Pending Dispatch': 'approved', Scheduled: 'approved', Assigned: 'approved', Accepted: 'approved',
  'Work in Progress': 'in-progress', 'Closed Complete': 'closed', 'Closed Incomplete': 'closed', Canceled: 'cancelled', Cancelled: 'cancelled',
};

/** MaintainX work-order `status` (OpenAPI: OPEN, IN_PROGRESS, ON_HOLD, DONE, CANCELED). */
const MAINTAINX_TABLE: StatusTable = {
  OPEN: 'open', IN_PROGRESS: 'in-progress', ON_HOLD: 'waiting', DONE: 'done', CANCELED: 'cancelled',
};

/** Generic REST: the contract's own words, plus the usual spellings; anything else is configured. */
const REST_TABLE: StatusTable = {
  open: 'open', new: 'open', approved: 'approved', 'in-progress': 'in-progress', in_progress: 'in-progress',
  waiting: 'waiting', 'on-hold': 'waiting', on_hold: 'waiting', done: 'done', completed: 'done',
  closed: 'closed', cancelled: 'cancelled', canceled: 'cancelled',
};

/** The stock table for a dialect (ServiceNow: by the connection's table). */
export function stockTable(dialect: StatusDialect, servicenowTable?: string): StatusTable {
  switch (dialect) {
    case 'maximo': return MAXIMO_TABLE;
    case 'servicenow': return servicenowTable === 'wm_order' ? SERVICENOW_WM_ORDER_TABLE : SERVICENOW_INCIDENT_TABLE;
    case 'maintainx': return MAINTAINX_TABLE;
    case 'rest': return REST_TABLE;
  }
}

/** Case and surrounding space do not matter: "Work in progress", "INPRG " and "inprg" are one value. */
const keyOf = (raw: string): string => raw.trim().toLowerCase();

export interface Normaliser {
  (cmmsStatus: string): WorkOrderState;
  /** The effective table, stock values overridden by the user's, for the editor and the help. */
  readonly table: Readonly<Record<string, MappableState>>;
}

/** The stock table with the user's rows on top (a user row may also re-map a stock value). */
export function makeNormaliser(dialect: StatusDialect, overrides: ReadonlyArray<{ cmms: string; status: MappableState }> = [], servicenowTable?: string): Normaliser {
  const merged: Record<string, MappableState> = { ...stockTable(dialect, servicenowTable) };
  for (const o of overrides) merged[o.cmms.trim()] = o.status;
  const byKey = new Map<string, MappableState>();
  for (const [k, v] of Object.entries(merged)) byKey.set(keyOf(k), v);
  const fn = (cmmsStatus: string): WorkOrderState => byKey.get(keyOf(cmmsStatus)) ?? 'unknown';
  return Object.assign(fn, { table: Object.freeze(merged) });
}

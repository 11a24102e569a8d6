import { idString, isoTimestamp, safePropertyNames, SCHEMA_BASE, shortText, type Timestamp } from './common';

/**
 * Normalised work-order states. v1 had five (`open`, `in-progress`, `on-hold`, `done`,
 * `cancelled`); mw-wo-status adds `approved`, `waiting`, `closed` and `unknown` (a CMMS value no
 * table knows; `cmmsStatus` carries it). `on-hold` stays valid input and means the same as `waiting`.
 */
export type WorkOrderState = 'open' | 'approved' | 'in-progress' | 'waiting' | 'on-hold' | 'done' | 'closed' | 'cancelled' | 'unknown';

const WORK_ORDER_STATES: readonly WorkOrderState[] = ['open', 'approved', 'in-progress', 'waiting', 'on-hold', 'done', 'closed', 'cancelled', 'unknown'];

/** States in which the work is still to be done: an alarm that returns continues its episode. */
export const OPEN_WORK_ORDER_STATES: ReadonlySet<string> = new Set(['open', 'approved', 'in-progress', 'waiting', 'on-hold']);
/** States in which the work is over: the next problem is a new episode and a new work order. */
export const FINISHED_WORK_ORDER_STATES: ReadonlySet<string> = new Set(['done', 'closed', 'cancelled']);

/** mw-wo-status output, and a control input of mw-threshold and mw-vision-drift. */
export interface WorkOrderStatus {
  workOrderId: string;
  /** The first of `eventIds` (v1 field, kept for flows that read it). */
  eventId?: string;
  /** Every maintenance event this gateway turned into this work order; [] for one made elsewhere. */
  eventIds?: string[];
  /** Absent only for a work order made elsewhere whose asset the CMMS did not name. */
  assetId?: string;
  status: WorkOrderState;
  /** The CMMS's own status value (WAPPR, 2, IN_PROGRESS, …). */
  cmmsStatus: string;
  changedAt: Timestamp;
  /** Where the work order lives in the CMMS (API link), when known. */
  href?: string;
  /** The number people see when it differs from workOrderId (ServiceNow INC0010001). */
  displayId?: string;
  /** Who made the change, as the CMMS names them. */
  changedBy?: string;
  /** The connection's name. */
  cmms?: string;
  /** How the change arrived. */
  source?: 'webhook' | 'poll';
  /** The webhook's own id (Standard Webhooks webhook-id), when it had one. */
  webhookId?: string;
  receivedAt?: Timestamp;
}

export const workOrderStatusSchema = {
  $id: `${SCHEMA_BASE}work-order-status.json`,
  type: 'object',
  required: ['workOrderId', 'status', 'cmmsStatus', 'changedAt'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    workOrderId: idString,
    eventId: idString,
    eventIds: { type: 'array', maxItems: 100, items: idString },
    assetId: idString,
    status: { enum: [...WORK_ORDER_STATES] },
    cmmsStatus: { type: 'string', minLength: 1, maxLength: 100 },
    changedAt: isoTimestamp,
    href: { type: 'string', maxLength: 2000 },
    displayId: shortText,
    changedBy: shortText,
    cmms: shortText,
    source: { enum: ['webhook', 'poll'] },
    webhookId: shortText,
    receivedAt: isoTimestamp,
  },
} as const;

import { idString, isoTimestamp, safePropertyNames, SCHEMA_BASE, type Timestamp } from './common';

export type WorkOrderState = 'open' | 'in-progress' | 'on-hold' | 'done' | 'cancelled';

/** mw-wo-status output, and a control input of mw-threshold and mw-vision-drift. */
export interface WorkOrderStatus {
  workOrderId: string;
  eventId?: string;
  assetId: string;
  status: WorkOrderState;
  /** The CMMS's own status value (WAPPR, 2, IN_PROGRESS, …). */
  cmmsStatus: string;
  changedAt: Timestamp;
}

export const workOrderStatusSchema = {
  $id: `${SCHEMA_BASE}work-order-status.json`,
  type: 'object',
  required: ['workOrderId', 'assetId', 'status', 'cmmsStatus', 'changedAt'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    workOrderId: idString,
    eventId: idString,
    assetId: idString,
    status: { enum: ['open', 'in-progress', 'on-hold', 'done', 'cancelled'] },
    cmmsStatus: { type: 'string', minLength: 1, maxLength: 100 },
    changedAt: isoTimestamp,
  },
} as const;

import { idString, safePropertyNames, SCHEMA_BASE } from './common';

export type WorkOrderOutcome = 'created' | 'existing' | 'queued' | 'dead';

/** mw-work-order output 1 (and 2 for `dead`). */
export interface WorkOrderResult {
  eventId: string;
  /** Name (or id) of the mw-cmms connection that carried it. */
  cmms: string;
  workOrderId: string | null;
  href: string | null;
  outcome: WorkOrderOutcome;
  attempts: number;
  /** Event occurrence to creation in the CMMS; null until created. */
  latencyMs: number | null;
}

export const workOrderResultSchema = {
  $id: `${SCHEMA_BASE}work-order-result.json`,
  type: 'object',
  required: ['eventId', 'cmms', 'workOrderId', 'href', 'outcome', 'attempts', 'latencyMs'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    eventId: idString,
    cmms: idString,
    workOrderId: { type: ['string', 'null'], minLength: 1, maxLength: 200 },
    href: { type: ['string', 'null'], maxLength: 2000 },
    outcome: { enum: ['created', 'existing', 'queued', 'dead'] },
    attempts: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    latencyMs: { type: ['number', 'null'], minimum: 0 },
  },
} as const;

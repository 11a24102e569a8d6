import { assetSchema, type Asset } from './asset';
import { idString, isoTimestamp, safePropertyNames, scalarBag, SCHEMA_BASE, type Scalar, type Timestamp } from './common';

type EventKind = 'alarm' | 'drift';
export type EventState = 'raised' | 'escalated' | 'cleared' | 'sensor-fault';
export type Severity = 'critical' | 'high' | 'medium' | 'low';

/**
 * Output of mw-threshold and mw-vision-drift, input of mw-work-order. `eventId` is deterministic
 * (same site + asset + rule + episode ⇒ same id) and is the dedupe key all the way to the CMMS.
 */
export interface MaintenanceEvent {
  kind: EventKind;
  state: EventState;
  eventId: string;
  episodeId: string;
  ruleId: string;
  asset: Asset;
  metric: string;
  value: number | null;
  limit: number | null;
  /** HH/H/L/LL/ROC/STALE/BAD, or the SPC rule that fired. */
  level: string;
  severity: Severity;
  /** The CMMS's own priority value (Maximo 1–5, MaintainX HIGH, …). */
  priority: number | string;
  summary: string;
  details: Record<string, Scalar>;
  occurredAt: Timestamp;
}

export const maintenanceEventSchema = {
  $id: `${SCHEMA_BASE}maintenance-event.json`,
  type: 'object',
  required: ['kind', 'state', 'eventId', 'episodeId', 'ruleId', 'asset', 'metric', 'value', 'limit',
    'level', 'severity', 'priority', 'summary', 'details', 'occurredAt'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    kind: { enum: ['alarm', 'drift'] },
    state: { enum: ['raised', 'escalated', 'cleared', 'sensor-fault'] },
    eventId: { ...idString, pattern: '^[A-Za-z0-9._:~-]+$' },
    episodeId: idString,
    ruleId: idString,
    asset: assetSchema,
    metric: idString,
    value: { type: ['number', 'null'] },
    limit: { type: ['number', 'null'] },
    level: { type: 'string', minLength: 1, maxLength: 40 },
    severity: { enum: ['critical', 'high', 'medium', 'low'] },
    priority: { type: ['integer', 'string'], minimum: 0, maximum: 1000, minLength: 1, maxLength: 40 },
    summary: { type: 'string', minLength: 1, maxLength: 500 },
    details: scalarBag,
    occurredAt: isoTimestamp,
  },
} as const;

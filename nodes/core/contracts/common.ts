// Building blocks shared by the v1 message contracts. Every string has a length cap and every
// open object refuses prototype-polluting keys, because these schemas guard data that arrives from
// PLCs, cameras and other people's flows.

export const SCHEMA_BASE = 'https://millwright.dev/contracts/v1/';

/** Keys that would reach Object.prototype if a consumer merged the object naively. */
export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const FORBIDDEN_SET: ReadonlySet<string> = new Set(FORBIDDEN_KEYS);
/** A key that must never be copied onto an object: it would reach the prototype. */
export const isForbiddenKey = (k: string): boolean => FORBIDDEN_SET.has(k);

export const safePropertyNames = { not: { enum: [...FORBIDDEN_KEYS] } } as const;

export const idString = { type: 'string', minLength: 1, maxLength: 200 } as const;
export const shortText = { type: 'string', maxLength: 200 } as const;

/** ISO 8601 date-time with an explicit zone, e.g. 2026-03-01T10:15:00.123Z. */
export const isoTimestamp = {
  type: 'string',
  maxLength: 40,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$',
} as const;

/** A flat bag of scalar values (custom fields, evidence) that is safe to merge and to log. */
export const scalarBag = {
  type: 'object',
  maxProperties: 100,
  propertyNames: { ...safePropertyNames, maxLength: 100 },
  additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: 4000 },
} as const;

export type Scalar = string | number | boolean | null;
export type Timestamp = string;

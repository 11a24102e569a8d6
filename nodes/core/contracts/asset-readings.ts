import { assetSchema, type Asset } from './asset';
import { idString, isoTimestamp, safePropertyNames, SCHEMA_BASE, type Timestamp } from './common';

export type Quality = 'good' | 'uncertain' | 'bad';
export type SourceKind = 'modbus' | 'opcua' | 'mqtt' | 'vision' | 'other';

export interface Reading {
  metric: string;
  value: number | string | boolean;
  unit?: string;
  quality: Quality;
  timestamp: Timestamp;
}

/** `mw-asset-map` output: one message per asset per input message. */
export interface AssetReadings {
  asset: Asset;
  readings: Reading[];
  source: { kind: SourceKind; ref: string };
  /** Vision inspection records keep their record here. */
  inspection?: Record<string, unknown>;
}

export const assetReadingsSchema = {
  $id: `${SCHEMA_BASE}asset-readings.json`,
  type: 'object',
  required: ['asset', 'readings', 'source'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    asset: assetSchema,
    readings: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['metric', 'value', 'quality', 'timestamp'],
        additionalProperties: false,
        propertyNames: safePropertyNames,
        properties: {
          metric: idString,
          value: { type: ['number', 'string', 'boolean'], maxLength: 4000 },
          unit: { type: 'string', maxLength: 40 },
          quality: { enum: ['good', 'uncertain', 'bad'] },
          timestamp: isoTimestamp,
        },
      },
    },
    source: {
      type: 'object',
      required: ['kind', 'ref'],
      additionalProperties: false,
      properties: {
        kind: { enum: ['modbus', 'opcua', 'mqtt', 'vision', 'other'] },
        ref: { type: 'string', minLength: 1, maxLength: 1000 },
      },
    },
    inspection: { type: 'object', maxProperties: 200, propertyNames: safePropertyNames },
  },
} as const;

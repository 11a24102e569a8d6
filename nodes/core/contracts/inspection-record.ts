import { assetSchema, type Asset } from './asset';
import { idString, isoTimestamp, safePropertyNames, SCHEMA_BASE, shortText, type Timestamp } from './common';

type InspectionResult = 'pass' | 'fail' | 'inconclusive';

export interface Defect {
  /** The defect class the model reports: scratch, void, burr, … */
  type: string;
  /** The vision system's own grading: "minor"/"major", or a number. */
  severity?: string | number;
  /** Model confidence, 0–1. */
  confidence?: number;
}

/**
 * One unit seen by an AI-vision camera: the input of mw-vision-drift, raw or kept under
 * `payload.inspection` by mw-asset-map. A measurement is one value, or several points on the same
 * part (coating thickness across the surface) when spread within the part matters.
 */
export interface InspectionRecord {
  unitId: string;
  timestamp: Timestamp;
  station?: string;
  camera?: string;
  /** The spellings mw-asset-map also accepts for station and camera. */
  stationId?: string;
  cameraId?: string;
  /** The asset that made the unit: an id, or the resolved asset (mw-asset-map supplies it beside the record). */
  asset?: string | Asset;
  /** Product or SKU; spec limits are per product. */
  product?: string;
  batch?: string;
  /** Units in the batch, when known: lets a trend be judged against the rest of the batch. */
  batchSize?: number;
  modelVersion?: string;
  result: InspectionResult;
  defects?: Defect[];
  measurements?: Record<string, number | number[]>;
}

const MAX_MEASUREMENTS = 50;
const MAX_POINTS = 1000;
const MAX_DEFECTS = 200;

// Cameras add fields of their own (image URL, latency, bounding boxes); those are allowed and
// ignored, as long as the record stays a bounded, safe object. The fields named here are checked.
export const inspectionRecordSchema = {
  $id: `${SCHEMA_BASE}inspection-record.json`,
  type: 'object',
  required: ['unitId', 'timestamp', 'result'],
  maxProperties: 200,
  propertyNames: safePropertyNames,
  properties: {
    unitId: idString,
    timestamp: isoTimestamp,
    station: shortText,
    camera: shortText,
    stationId: shortText,
    cameraId: shortText,
    asset: { anyOf: [idString, assetSchema] },
    product: idString,
    batch: idString,
    batchSize: { type: 'integer', minimum: 1, maximum: 100_000_000 },
    modelVersion: { type: 'string', minLength: 1, maxLength: 100 },
    result: { enum: ['pass', 'fail', 'inconclusive'] },
    defects: {
      type: 'array',
      maxItems: MAX_DEFECTS,
      items: {
        type: 'object',
        required: ['type'],
        maxProperties: 50,
        propertyNames: safePropertyNames,
        properties: {
          type: { type: 'string', minLength: 1, maxLength: 100 },
          severity: { type: ['string', 'number'], maxLength: 40 },
          confidence: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    },
    measurements: {
      type: 'object',
      maxProperties: MAX_MEASUREMENTS,
      propertyNames: { ...safePropertyNames, minLength: 1, maxLength: 100 },
      additionalProperties: {
        anyOf: [
          { type: 'number' },
          { type: 'array', minItems: 1, maxItems: MAX_POINTS, items: { type: 'number' } },
        ],
      },
    },
  },
} as const;

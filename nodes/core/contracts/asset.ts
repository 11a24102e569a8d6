import { idString, safePropertyNames, scalarBag, shortText, type Scalar } from './common';

/** The CMMS asset a reading or event belongs to, as resolved by the asset registry. */
export interface Asset {
  id: string;
  siteId: string;
  /** ISA-95 path, SITE/AREA/LINE/UNIT[/COMPONENT]. */
  location: string;
  class?: string;
  criticality?: string | number;
  workGroup?: string;
  custom?: Record<string, Scalar>;
}

export const assetSchema = {
  type: 'object',
  required: ['id', 'siteId', 'location'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    id: idString,
    siteId: idString,
    location: { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^/]+(/[^/]+)*$' },
    class: shortText,
    criticality: { type: ['string', 'integer'], maxLength: 40, minimum: 0, maximum: 1000 },
    workGroup: shortText,
    custom: scalarBag,
  },
} as const;

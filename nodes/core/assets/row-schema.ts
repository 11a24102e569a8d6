// The JSON Schema of one mapping row, and the step that turns what a CSV cell or an editor input
// holds (always text) into the typed values the schema checks. Column names are matched loosely
// (case, spaces and underscores ignored, a few common aliases), because people write "Asset ID".
import { assetSchema } from '../contracts/asset';
import { idString, isForbiddenKey, safePropertyNames, scalarBag, shortText } from '../contracts/common';
import { compileValidator } from '../contracts/validate';
import { DATA_TYPES, MATCH_KINDS, type RawRow } from './types';

const ROW_FIELDS = [
  'kind', 'identifier', 'connection', 'unitId', 'table', 'address', 'addressEnd',
  'assetId', 'siteId', 'location', 'metric', 'field', 'unit', 'scale', 'offset',
  'dataType', 'wordOrder', 'bit', 'min', 'max', 'class', 'criticality', 'workGroup',
] as const;
type RowField = (typeof ROW_FIELDS)[number];

const NUMERIC: ReadonlySet<string> = new Set(['unitId', 'address', 'addressEnd', 'scale', 'offset', 'bit', 'min', 'max']);

const ALIASES: Record<string, RowField> = {
  match: 'kind', matchkind: 'kind', id: 'identifier', topic: 'identifier', nodeid: 'identifier', pattern: 'identifier',
  unit_id: 'unitId', slave: 'unitId', slaveid: 'unitId', register: 'table', registertype: 'table', fc: 'table', functioncode: 'table',
  start: 'address', end: 'addressEnd', asset: 'assetId', assetnum: 'assetId', site: 'siteId', path: 'location',
  engineeringunit: 'unit', units: 'unit', type: 'dataType', datatype: 'dataType', byteorder: 'wordOrder',
  low: 'min', high: 'max', assetclass: 'class', workgroup: 'workGroup',
};

const squash = (s: string): string => s.toLowerCase().replace(/[\s_\-.]/g, '');
const CANONICAL = new Map<string, RowField>(ROW_FIELDS.map((f) => [squash(f), f]));
for (const [alias, field] of Object.entries(ALIASES)) if (!CANONICAL.has(squash(alias))) CANONICAL.set(squash(alias), field);

export type Column = RowField | `custom.${string}` | null;
/** Headers seen before: a CSV file repeats the same few hundred thousand times. */
const columnCache = new Map<string, Column>();

/** A column header → the row field, `custom.<name>` for a custom field, or null when unknown. */
export function columnOf(header: string): Column {
  const hit = columnCache.get(header);
  if (hit !== undefined) return hit;
  const c = findColumn(header);
  if (columnCache.size < 1000) columnCache.set(header, c);
  return c;
}

function findColumn(header: string): Column {
  const h = header.trim();
  const custom = /^custom[.:_ ](.+)$/i.exec(h);
  if (custom) {
    const name = custom[1].trim();
    return name === '' || isForbiddenKey(name) ? null : `custom.${name}`;
  }
  return CANONICAL.get(squash(h)) ?? null;
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function typed(field: string, v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t === '') return undefined;
  if (NUMERIC.has(field) || field === 'table' || field === 'criticality') {
    if (NUMBER_TEXT.test(t)) return Number(t);
    // A table is also named (holding); a criticality also a word (A, high).
    return t;
  }
  return t;
}

type Coerced = { ok: true; row: RawRow } | { ok: false; errors: string[] };

/**
 * One source row (CSV record, JSON object, editor row) as a RawRow: columns matched to fields,
 * text turned into numbers where a number belongs, blank cells dropped. Unknown columns are errors,
 * because a misspelt "adress" would otherwise silently map every row to register 0.
 */
export function coerceRow(source: Record<string, unknown>): Coerced {
  const row: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (key === 'custom' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const k of Object.keys(value)) {
        if (isForbiddenKey(k)) errors.push(`custom field "${k}" is not allowed`);
        else custom[k] = (value as Record<string, unknown>)[k];
      }
      continue;
    }
    const field = columnOf(key);
    if (field === null) {
      errors.push(`unknown column "${key}"`);
      continue;
    }
    if (field.startsWith('custom.')) {
      const v = typeof value === 'string' ? value.trim() : value;
      if (v !== '' && v !== undefined) custom[field.slice(7)] = v;
      continue;
    }
    const v = typed(field, value);
    if (v !== undefined && v !== null) row[field] = v;
  }
  if (Object.keys(custom).length > 0) row.custom = custom;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, row: row as RawRow };
}

/**
 * A CSV record (cells in column order) as a RawRow, the header already matched to fields (see
 * checkHeader): the fast path for large files, with no object per record keyed by header text.
 */
export function coerceCells(columns: readonly Column[], cells: readonly string[]): RawRow {
  const row: Record<string, unknown> = {};
  let custom: Record<string, unknown> | null = null;
  for (let i = 0; i < columns.length && i < cells.length; i++) {
    const field = columns[i];
    const cell = cells[i];
    if (field === null || cell === '') continue;
    if (field.startsWith('custom.')) {
      custom ??= {};
      custom[field.slice(7)] = cell;
      continue;
    }
    const v = typed(field, cell);
    if (v !== undefined) row[field] = v;
  }
  if (custom) row.custom = custom;
  return row as RawRow;
}

const finite = { type: 'number', minimum: -1e15, maximum: 1e15 } as const;

const rowSchema = {
  type: 'object',
  required: ['kind', 'assetId', 'siteId', 'location', 'metric'],
  additionalProperties: false,
  propertyNames: safePropertyNames,
  properties: {
    kind: { enum: [...MATCH_KINDS] },
    identifier: { type: 'string', minLength: 1, maxLength: 1000 },
    connection: { type: 'string', maxLength: 200 },
    unitId: { type: 'integer', minimum: 0, maximum: 255 },
    table: { type: ['string', 'integer'], maxLength: 40, minimum: 1, maximum: 4 },
    address: { type: 'integer', minimum: 0, maximum: 65535 },
    addressEnd: { type: 'integer', minimum: 0, maximum: 65535 },
    assetId: idString,
    siteId: idString,
    location: assetSchema.properties.location,
    metric: idString,
    field: { type: 'string', minLength: 1, maxLength: 200 },
    unit: { type: 'string', maxLength: 40 },
    scale: finite,
    offset: finite,
    dataType: { enum: [...DATA_TYPES] },
    wordOrder: { type: 'string', maxLength: 20 },
    bit: { type: 'integer', minimum: 0, maximum: 15 },
    min: finite,
    max: finite,
    class: shortText,
    criticality: assetSchema.properties.criticality,
    workGroup: shortText,
    custom: scalarBag,
  },
} as const;

const validate = compileValidator<RawRow>(rowSchema, 'field');

/** Schema errors worded per field: `field "address": must be integer`. */
export function checkRowShape(row: RawRow): { ok: true; value: RawRow } | { ok: false; errors: string[] } {
  const r = validate(row);
  if (r.ok) return r;
  return {
    ok: false,
    errors: r.errors.map((e) => e
      .replace(/^field: missing required property "([^"]+)"$/, 'field "$1" is missing')
      // location is required, not derived: it is part of the asset's identity (asset + site + location),
      // verification compares it with the CMMS, and a made-up path would look real in every event.
      .replace(/^field "location" is missing$/, 'field "location" is missing (required: the asset\'s ISA-95 path, e.g. AREA1/LINE2/PUMP-101)')
      .replace(/^field: unexpected property "([^"]+)"$/, 'unknown column "$1"')
      .replace(/^field\.([A-Za-z]+)(\.[^:]*)?: /, (_m, f: string, sub?: string) => `field "${f}${sub ?? ''}": `)),
  };
}

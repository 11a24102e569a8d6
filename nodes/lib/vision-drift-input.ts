// What mw-vision-drift takes besides records: its control messages and their filter, and how a
// payload is told to be a record, mapped readings or a work-order message — by `in` tests alone, so
// a hostile payload is classified without being walked. Kept out of the adapter to keep it thin.
import { compileInputValidator, kindOf, validateAssetReadings, validateInspectionRecord, type Validator } from '../core/contracts';
import { isEmptyPayload } from './control';

export const CONTROLS = ['rebaseline', 'baselines'] as const;
/** The old topic form: only when the payload is not data (nothing, an inject timestamp, or a bare filter). */
export function legacyControlOk(p: unknown): boolean {
  if (isEmptyPayload(p)) return true;
  // kindOf reads nothing: a Proxy or a Buffer is not a filter (and its traps are never called).
  if (kindOf(p).type !== 'object') return false;
  // A filter names only these keys; anything else (unitId, readings, measurements…) is a record.
  return Object.keys(p as object).every((k) => FILTER_KEYS.includes(k));
}
const FILTER_KEYS = ['assetId', 'asset', 'product', 'characteristic'];
/**
 * The contract a plain-object payload that is not a control must meet, told by `in` tests alone
 * (as normalizeInput tells them apart); null for a work-order status or result (validated whole).
 */
export function contractOf(p: unknown): Validator<unknown> | null {
  if (kindOf(p).type !== 'object') return null;
  const o = p as Record<string, unknown>;
  if ('workOrderId' in o) return null;
  return 'inspection' in o && 'asset' in o ? validateAssetReadings : validateInspectionRecord;
}
export interface RebaselineFilter { assetId?: string; asset?: string; product?: string; characteristic?: string }
const filterText = { type: 'string', minLength: 1, maxLength: 200 } as const;
export const validateFilter = compileInputValidator<RebaselineFilter>({
  type: 'object', additionalProperties: false,
  properties: { assetId: filterText, asset: filterText, product: filterText, characteristic: filterText },
});

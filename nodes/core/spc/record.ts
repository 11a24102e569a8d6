// What arrives at mw-vision-drift: an inspection record on its own (straight from the camera's
// MQTT topic), or mw-asset-map's asset readings with the record under payload.inspection. Both
// become one shape here, with the asset the events will name.
import {
  validateAssetReadings, validateInspectionRecord, type Asset, type InspectionRecord,
} from '../contracts';

export interface InspectedUnit {
  record: InspectionRecord;
  asset: Asset;
  product: string;
  tMs: number;
}

type Normalized = { ok: true; value: InspectedUnit } | { ok: false; reason: 'invalid' | 'no-asset'; errors: string[] };

/** Products are optional on the record; a station making one product need not say so. */
const DEFAULT_PRODUCT = 'default';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Mapped by mw-asset-map: it carries the resolved asset and keeps the record under `inspection`. */
function isAssetReadings(payload: unknown): boolean {
  return isObject(payload) && 'inspection' in payload && 'asset' in payload;
}

function localAsset(id: string, site: string): Asset {
  const segment = (s: string): string => s.replace(/\//g, '_');
  return { id, siteId: site, location: `${segment(site)}/${segment(id)}` };
}

export function normalizeInput(payload: unknown, site: string): Normalized {
  let record: InspectionRecord;
  let asset: Asset | null = null;
  if (isAssetReadings(payload)) {
    const mapped = validateAssetReadings(payload);
    if (!mapped.ok) return { ok: false, reason: 'invalid', errors: mapped.errors };
    const inner = validateInspectionRecord(mapped.value.inspection);
    if (!inner.ok) return { ok: false, reason: 'invalid', errors: inner.errors.map((e) => e.replace(/^payload/, 'payload.inspection')) };
    record = inner.value;
    asset = mapped.value.asset;
  } else {
    const checked = validateInspectionRecord(payload);
    if (!checked.ok) return { ok: false, reason: 'invalid', errors: checked.errors };
    record = checked.value;
    if (isObject(record.asset)) asset = record.asset as Asset;
    else {
      // The station is the machine that made the part; the camera only looked at it.
      const id = typeof record.asset === 'string' ? record.asset : record.station || record.stationId || record.camera || record.cameraId;
      if (id) asset = localAsset(id, site);
    }
  }
  if (!asset) {
    return { ok: false, reason: 'no-asset', errors: ['payload: the record names no asset: give it "asset", "station" or "camera", or map it with mw-asset-map'] };
  }
  const tMs = Date.parse(record.timestamp);
  if (!Number.isFinite(tMs)) return { ok: false, reason: 'invalid', errors: [`payload.timestamp: "${record.timestamp}" is not a date`] };
  return { ok: true, value: { record, asset, product: record.product ?? DEFAULT_PRODUCT, tMs } };
}

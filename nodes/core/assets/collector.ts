// What mapping one message produces, gathered per asset and per reason: the readings of each asset
// become one asset-readings message, the problems one exception per reason.
import type { Asset } from '../contracts/asset';
import type { AssetReadings, Quality, Reading, SourceKind } from '../contracts/asset-readings';
import type { Registry } from './registry';
import type { Row } from './types';
import type { Converted } from './values';

export const SOURCE_SETTINGS = ['auto', 'mqtt', 'modbus', 'opcua', 'vision'] as const;
export type SourceSetting = (typeof SOURCE_SETTINGS)[number];
export type ExceptionReason = 'unmapped' | 'unverified' | 'decode-error' | 'out-of-range' | 'invalid';

/** Longest identifier looked up; longer ones are refused as invalid. */
export const MAX_IDENTIFIER = 1000;
/** Largest text payload parsed as JSON or a number. */
export const MAX_TEXT_PAYLOAD = 1024 * 1024;
export const MAX_BLOCK = 65536;
const MAX_ERRORS = 10;
const NO_EXCEPTIONS: readonly MapException[] = Object.freeze([]);

/** The CMMS's internal id goes in the custom field the work-order mapping reads for that CMMS. */
const CMMS_ID_FIELD: Record<string, string> = { servicenow: 'cmdbCi', maintainx: 'maintainxAssetId' };

export interface MapException {
  reason: ExceptionReason;
  identifier: string | null;
  source: { kind: SourceKind; ref: string };
  errors: string[];
  assets?: string[];
  metrics?: string[];
}

export interface MapResult {
  kind: SourceKind;
  identifier: string | null;
  readings: AssetReadings[];
  exceptions: readonly MapException[];
}

export interface MapContext {
  registry: Registry | null;
  /** Why there is no registry (still loading, first load failed). */
  noRegistry?: string;
  requireVerified: boolean;
  source: SourceSetting;
  now: number;
  /** Names the message's Modbus connection goes by (client node name, host:port, host, id). */
  connections: readonly string[];
  /** The dialect of the CMMS that verified the map, for carrying its internal asset ids. */
  cmmsDialect?: string | null;
}

/** ISO text of a time; messages arriving in the same millisecond share one string. */
let isoAt = Number.NaN;
let isoText = '';
export function iso(t: number): string {
  if (t !== isoAt) {
    isoText = new Date(t).toISOString();
    isoAt = t;
  }
  return isoText;
}

interface Group {
  /** The row's asset, or its target when the target alone is the asset. */
  key: object;
  row: Row;
  readings: Reading[];
}

/**
 * Collects readings per asset and exceptions per reason for one message. Plain arrays, not maps:
 * a message nearly always concerns one or two assets, and this runs for every message.
 */
export class Collector {
  private groups: Group[] | null = null;
  private failures: MapException[] | null = null;

  constructor(readonly kind: SourceKind, readonly identifier: string | null, readonly ref: string, private readonly ctx: MapContext) {}

  fail(reason: ExceptionReason, error: string, row?: Row): void {
    this.failures ??= [];
    let e = this.failures.find((f) => f.reason === reason);
    if (!e) {
      e = { reason, identifier: this.identifier, source: { kind: this.kind, ref: this.ref }, errors: [] };
      this.failures.push(e);
    }
    if (e.errors.length < MAX_ERRORS && !e.errors.includes(error)) e.errors.push(error);
    if (row) {
      if (!e.assets) e.assets = [];
      if (!e.metrics) e.metrics = [];
      if (!e.assets.includes(row.target.id)) e.assets.push(row.target.id);
      if (!e.metrics.includes(row.metric) && e.metrics.length < 100) e.metrics.push(row.metric);
    }
  }

  /** False when the row's asset is not verified and the registry requires it. */
  allowed(row: Row): boolean {
    if (!this.ctx.requireVerified || row.target.check.status === 'ok') return true;
    const t = row.target;
    this.fail('unverified', `${t.assetId} at ${t.siteId}: ${t.check.status === 'unchecked' ? 'not verified against the CMMS yet' : `verification found ${t.check.status}`}`, row);
    return false;
  }

  add(row: Row, metric: string, c: Converted, timestamp: string, quality: Quality): void {
    if (!c.ok) {
      this.fail('decode-error', `${metric}: ${c.error}`, row);
      return;
    }
    if (c.outOfRange) this.fail('out-of-range', `${metric}: ${c.outOfRange}`, row);
    const reading: Reading = { metric, value: c.value, quality: c.outOfRange ? 'bad' : quality, timestamp };
    if (row.unit) reading.unit = row.unit;
    const key = row.asset ?? row.target;
    this.groups ??= [];
    for (const g of this.groups) {
      if (g.key === key) {
        g.readings.push(reading);
        return;
      }
    }
    this.groups.push({ key, row, readings: [reading] });
  }

  result(extra?: (row: Row) => Record<string, unknown> | undefined): MapResult {
    const readings: AssetReadings[] = [];
    for (const { row, readings: list } of this.groups ?? []) {
      const out: AssetReadings = { asset: this.assetOf(row), readings: list, source: { kind: this.kind, ref: this.ref } };
      const more = extra?.(row);
      if (more) Object.assign(out, more);
      readings.push(out);
    }
    return { kind: this.kind, identifier: this.identifier, readings, exceptions: this.failures ?? NO_EXCEPTIONS };
  }

  /** A copy per message, so a flow that edits the asset never edits the registry. */
  private assetOf(row: Row): Asset {
    const a = row.asset;
    const copy: Asset = a ? { ...a } : row.target.plainAsset();
    const field = this.ctx.cmmsDialect ? CMMS_ID_FIELD[this.ctx.cmmsDialect] : undefined;
    const cmmsId = row.target.check.cmmsId;
    if (a?.custom || (field && cmmsId)) {
      copy.custom = { ...a?.custom };
      if (field && cmmsId && copy.custom[field] === undefined) copy.custom[field] = cmmsId;
    }
    return copy;
  }
}

// What mapping one message produces, gathered per asset and per reason: the readings of each asset
// become one asset-readings message, the problems one exception per reason.
import type { Asset } from '../contracts/asset';
import type { AssetReadings, Quality, Reading, SourceKind } from '../contracts/asset-readings';
import type { Registry } from './registry';
import type { Row, Target } from './types';
import type { Converted } from './values';

export const SOURCE_SETTINGS = ['auto', 'mqtt', 'modbus', 'opcua', 'vision'] as const;
export type SourceSetting = (typeof SOURCE_SETTINGS)[number];
export type ExceptionReason = 'unmapped' | 'unverified' | 'decode-error' | 'out-of-range' | 'invalid' | 'missing-field';

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
  /** Set for a protocol node's own message (a subscription id, a raw response): no reading, no exception. */
  housekeeping?: string;
  /** Set for a failed Modbus poll: the protocol node's error ("Timed out"); the readings are bad. */
  failure?: string;
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
  /**
   * The unit a Modbus request with an empty Unit-Id went to: the client node's unit_id, as
   * node-red-contrib-modbus uses it. Null or absent when the client is not known (the unit is then "any").
   */
  clientUnit?: number | null;
  /** For a Modbus failure message that lost its request ("Empty msg on fail"): the failed node's request. */
  failedRequest?: Record<string, unknown> | null;
  /** The dialect of the CMMS that verified the map, for carrying its internal asset ids. */
  cmmsDialect?: string | null;
}

/**
 * ISO text of a time. Two times are remembered: messages stamped with the arrival time and messages
 * carrying their own (an OPC UA source timestamp) arrive interleaved, and each kind repeats its time
 * from one message to the next, so each keeps its string instead of evicting the other's.
 */
let isoAt = Number.NaN;
let isoText = '';
let isoAt2 = Number.NaN;
let isoText2 = '';
export function iso(t: number): string {
  if (t === isoAt) return isoText;
  if (t === isoAt2) {
    // Swapped, so the time asked for most recently is the one kept longest.
    isoAt2 = isoAt;
    isoAt = t;
    const text = isoText2;
    isoText2 = isoText;
    isoText = text;
    return text;
  }
  isoAt2 = isoAt;
  isoText2 = isoText;
  isoAt = t;
  isoText = new Date(t).toISOString();
  return isoText;
}

interface Group {
  /** The asset (its target: asset id, site and location); one message per asset, whatever the row. */
  key: Target;
  row: Row;
  readings: Reading[];
}

/**
 * Collects readings per asset and exceptions per reason for one message. Nearly every message
 * concerns one asset, and this runs for every message: the first asset's readings are kept in
 * fields, arrays are made at their final size where it is known, and nothing is made for a message
 * that has no problem.
 */
export class Collector {
  private firstKey: Target | null = null;
  private firstRow: Row | null = null;
  private firstReadings: Reading[] | null = null;
  /** The second asset onwards (a Modbus block spanning several assets). */
  private others: Group[] | null = null;
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
    const q = c.outOfRange ? 'bad' : quality;
    // One literal per shape, so every reading of a kind is built the same way.
    const reading: Reading = row.unit ? { metric, value: c.value, quality: q, timestamp, unit: row.unit } : { metric, value: c.value, quality: q, timestamp };
    const key = row.target;
    if (this.firstKey === null) {
      this.firstKey = key;
      this.firstRow = row;
      this.firstReadings = [reading];
      return;
    }
    if (this.firstKey === key) {
      this.firstReadings!.push(reading);
      return;
    }
    if (this.others === null) {
      this.others = [{ key, row, readings: [reading] }];
      return;
    }
    for (const g of this.others) {
      if (g.key === key) {
        g.readings.push(reading);
        return;
      }
    }
    this.others.push({ key, row, readings: [reading] });
  }

  result(extra?: (row: Row) => Record<string, unknown> | undefined): MapResult {
    const exceptions = this.failures ?? NO_EXCEPTIONS;
    if (this.firstRow === null) return { kind: this.kind, identifier: this.identifier, readings: [], exceptions };
    const first = this.output(this.firstRow, this.firstReadings!, extra);
    if (this.others === null) return { kind: this.kind, identifier: this.identifier, readings: [first], exceptions };
    const readings: AssetReadings[] = [first];
    for (const g of this.others) readings.push(this.output(g.row, g.readings, extra));
    return { kind: this.kind, identifier: this.identifier, readings, exceptions };
  }

  private output(row: Row, readings: Reading[], extra: ((row: Row) => Record<string, unknown> | undefined) | undefined): AssetReadings {
    const out: AssetReadings = { asset: this.assetOf(row), readings, source: { kind: this.kind, ref: this.ref } };
    const more = extra?.(row);
    if (more) Object.assign(out, more);
    return out;
  }

  /**
   * A copy per message, so a flow that edits the asset never edits the registry. A shared, frozen
   * asset would save the copy, but a change node setting msg.payload.asset.x would then do nothing
   * without a word; sharing asset and source objects was measured in the 100k-row bench and made no
   * difference that stood out of the noise, so the copy stays.
   */
  private assetOf(row: Row): Asset {
    const a = row.target.asset;
    const copy: Asset = a ? { ...a } : row.target.plainAsset();
    const field = this.ctx.cmmsDialect ? CMMS_ID_FIELD[this.ctx.cmmsDialect] : undefined;
    // The check is only read when the CMMS has internal ids: one object fewer to fetch per message.
    const cmmsId = field ? row.target.check.cmmsId : undefined;
    if (a?.custom || (field && cmmsId)) {
      copy.custom = { ...a?.custom };
      if (field && cmmsId && copy.custom[field] === undefined) copy.custom[field] = cmmsId;
    }
    return copy;
  }
}

// The asset registry's vocabulary: a mapping row says which protocol identifier (an exact id, an MQTT
// topic filter, an OPC UA NodeId, a Modbus register block, a regular expression) belongs to which CMMS
// asset and metric, and how to turn the raw value into an engineering value.
import type { Asset } from '../contracts/asset';
import type { Scalar } from '../contracts/common';

export const MATCH_KINDS = ['exact', 'mqtt', 'opcua', 'modbus', 'regex'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export const MODBUS_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

export const DATA_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'bool'] as const;
export type DataType = (typeof DATA_TYPES)[number];

/** Byte order of a 32-bit value over two registers: ABCD is the Modbus default (high word first). */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/**
 * One row as a person writes it: in the editor's table, a CSV line or a JSON object. Every source is
 * turned into this flat shape first, so one JSON Schema checks them all.
 */
export interface RawRow {
  kind?: string;
  /** The exact identifier, MQTT topic filter, OPC UA NodeId or regular expression. */
  identifier?: string;
  connection?: string;
  unitId?: number;
  /** coil, discrete, holding or input; or the read function code 1–4. */
  table?: string | number;
  address?: number;
  /** Last address of a block of values of the same type (inclusive); a single value without it. */
  addressEnd?: number;
  assetId?: string;
  siteId?: string;
  location?: string;
  metric?: string;
  /** For a JSON object payload: the field holding the value (dots for nesting); default the metric. */
  field?: string;
  unit?: string;
  scale?: number;
  offset?: number;
  dataType?: string;
  wordOrder?: string;
  /** For a 16-bit register: the bit (0 = least significant) that carries a boolean. */
  bit?: number;
  min?: number;
  max?: number;
  class?: string;
  criticality?: string | number;
  workGroup?: string;
  custom?: Record<string, Scalar>;
}

/** Where a row came from, for error messages a plant engineer can act on. */
export interface RowOrigin {
  /** "editor", or the file's name. */
  source: string;
  /** Editor row, CSV line or JSON array position (1-based). */
  line: number;
  /** True when `line` counts rows (the editor, a JSON array), not lines of text. */
  byRow?: boolean;
}

interface ModbusMatch {
  /** Null matches any connection. */
  connection: string | null;
  /** Null matches any unit id. */
  unitId: number | null;
  table: ModbusTable;
  /** First and last register (or bit) the row reads, inclusive. */
  start: number;
  end: number;
  /** Registers per value: 1 for 16-bit types and bits, 2 for 32-bit types. */
  width: number;
}

export type VerificationStatus = 'unchecked' | 'ok' | 'missing' | 'wrong-site' | 'wrong-location' | 'inactive' | 'decommissioned';

export interface Suggestion {
  assetId: string;
  siteId: string | null;
  location: string | null;
  status: string;
  /** Why it is suggested: "other-site", "similar-id", "active-replacement". */
  why: string;
}

/** What the last verification found for one CMMS target (asset id + site + location). */
export interface TargetCheck {
  status: VerificationStatus;
  /** ISO time of the verification that produced this result; null when never checked. */
  checkedAt: string | null;
  /** The CMMS's own status word (OPERATING, 6, ONLINE…), when found. */
  cmmsStatus?: string;
  /** What the CMMS has where it differs from the row (site or location). */
  found?: string;
  /** The CMMS's internal id when it differs from the asset number (ServiceNow sys_id, MaintainX id). */
  cmmsId?: string;
  suggestions?: Suggestion[];
}

export function targetKey(assetId: string, siteId: string, location: string): string {
  return `${assetId}|${siteId}|${location}`;
}

/**
 * A CMMS target (asset id + site + location) shared by every row that points at it; verification
 * updates `check` in place, so every row sees it at once. A class, so the derived fields cost no
 * memory per target.
 */
export class Target {
  rowCount = 0;
  /** The first row pointing here, for reports a person can act on. */
  first: Row | null = null;
  /**
   * The contract's asset when some row gives class, criticality, work group or custom fields; null
   * when the target alone is the asset. Rows of one asset share it (merged while loading, see
   * RowBuilder.merge): one asset is one message with one description, whatever row a reading came from.
   */
  asset: Asset | null = null;
  /** Which row gave each attribute ("class", "custom.x"), to name both rows when another disagrees. */
  givenBy: Record<string, Row> | null = null;

  constructor(readonly id: string, readonly siteId: string, readonly location: string, public check: TargetCheck) {}

  get assetId(): string {
    return this.id;
  }

  /** assetId|siteId|location: what verification results are stored under. */
  get key(): string {
    return targetKey(this.id, this.siteId, this.location);
  }

  /** The contract's asset without the attributes (a new object each call). */
  plainAsset(): Asset {
    return { id: this.id, siteId: this.siteId, location: this.location };
  }

  /** Where the rows are: "pumps.csv line 17", "… and 2 more rows". */
  describeRows(): string {
    const where = this.first ? describeRow(this.first) : '';
    return this.rowCount > 1 ? `${where} and ${this.rowCount - 1} more row${this.rowCount > 2 ? 's' : ''}` : where;
  }
}

export interface Decode {
  scale: number;
  offset: number;
  dataType: DataType | null;
  byteOrder: ByteOrder;
  bit: number | null;
  min: number | null;
  max: number | null;
}

/** One source of rows ("editor", "pumps.csv"), shared by all its rows. */
export interface RowSource {
  name: string;
  /** True when rows are counted (the editor, a JSON array), not lines of text. */
  byRow: boolean;
}

/** A validated, normalised row; what the registry indexes and the map node reads. */
export interface Row {
  src: RowSource;
  line: number;
  /** The next row with the same identifier (another metric or asset), or null. */
  next: Row | null;
  kind: MatchKind;
  /** The normalised identifier (exact id, topic filter, canonical NodeId, regex source); '' for Modbus. */
  key: string;
  modbus: ModbusMatch | null;
  metric: string;
  /** Path into a JSON object payload; null means the metric name is the field. */
  field: string[] | null;
  unit: string | null;
  decode: Decode;
  /** The asset the row's readings belong to; its attributes are on `target.asset`. */
  target: Target;
}

export function describeOrigin(o: RowOrigin): string {
  return `${o.source} ${o.byRow ? 'row' : 'line'} ${o.line}`;
}

export function describeRow(r: Row): string {
  return `${r.src.name} ${r.src.byRow ? 'row' : 'line'} ${r.line}`;
}

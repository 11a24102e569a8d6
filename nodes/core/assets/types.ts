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

export interface ModbusMatch {
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

/** A CMMS target shared by every row that points at it; verification updates it in place. */
export interface Target {
  /** assetId|siteId|location, the key verification results are stored under. */
  key: string;
  assetId: string;
  siteId: string;
  location: string;
  check: TargetCheck;
  /** How many rows point here, and where the first few are (for reports a person can act on). */
  rowCount: number;
  origins: RowOrigin[];
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

/** A validated, normalised row; what the registry indexes and the map node reads. */
export interface Row {
  origin: RowOrigin;
  kind: MatchKind;
  /** The normalised identifier (exact id, topic filter, canonical NodeId, regex source); '' for Modbus. */
  key: string;
  modbus: ModbusMatch | null;
  regex: RegExp | null;
  metric: string;
  /** Path into a JSON object payload; null means the metric name is the field. */
  field: string[] | null;
  unit: string | null;
  decode: Decode;
  /** The contract's asset object, shared by rows with the same target and attributes. */
  asset: Asset;
  target: Target;
}

export function describeOrigin(o: RowOrigin): string {
  return `${o.source} ${o.byRow ? 'row' : 'line'} ${o.line}`;
}

// A checked RawRow becomes a Row: the identifier normalised for its match kind, the Modbus block
// worked out, the decode settings fixed, and the CMMS target and asset objects shared between rows
// (100 000 rows usually point at a few thousand assets; sharing keeps the registry small).
import type { Asset } from '../contracts/asset';
import { FORBIDDEN_KEYS, type Scalar } from '../contracts/common';
import { isBitTable, parseByteOrder, parseTable, widthOf } from './modbus';
import { checkTopicFilter, hasWildcard } from './mqtt';
import { normaliseNodeId, type NamespaceTable } from './opcua';
import { checkRowShape, coerceRow } from './row-schema';
import type { DataType, Decode, MatchKind, RawRow, Row, RowOrigin, Target, TargetCheck } from './types';

export type Built = { ok: true; row: Row } | { ok: false; errors: string[] };

/** Row positions remembered per target, for reports. */
const MAX_ORIGINS = 5;
const UNCHECKED: TargetCheck = Object.freeze({ status: 'unchecked', checkedAt: null });

export function targetKey(assetId: string, siteId: string, location: string): string {
  return `${assetId}|${siteId}|${location}`;
}

/** The ISA-95 path always starts with the site; a path written without it gets it in front. */
export function fullLocation(siteId: string, location: string): string {
  const first = location.split('/')[0];
  return first === siteId ? location : `${siteId}/${location}`;
}

function regexOf(source: string): RegExp | string {
  try {
    return new RegExp(source);
  } catch (e) {
    return `not a valid regular expression (${e instanceof Error ? e.message : String(e)})`;
  }
}

export class RowBuilder {
  private readonly assets = new Map<string, Asset>();
  private readonly targets = new Map<string, Target>();
  private readonly decodes = new Map<string, Decode>();
  private readonly sources = new Map<string, string>();

  /** `checks`: verification results kept from before, by target key. */
  constructor(private readonly namespaces: NamespaceTable, private readonly checks: ReadonlyMap<string, TargetCheck> = new Map()) {}

  get targetCount(): number {
    return this.targets.size;
  }

  allTargets(): IterableIterator<Target> {
    return this.targets.values();
  }

  /** From any source's record (CSV columns, JSON keys, editor cells) to a Row, or the reasons why not. */
  build(record: Record<string, unknown>, origin: RowOrigin): Built {
    const coerced = coerceRow(record);
    if (!coerced.ok) return coerced;
    const shape = checkRowShape(coerced.row);
    if (!shape.ok) return shape;
    return this.normalise(shape.value, origin);
  }

  private normalise(r: RawRow, origin: RowOrigin): Built {
    const errors: string[] = [];
    let kind = r.kind as MatchKind;
    let key = '';
    let regex: RegExp | null = null;
    let modbus: Row['modbus'] = null;
    let dataType: DataType | null = (r.dataType as DataType | undefined) ?? null;

    if (kind !== 'modbus' && r.identifier === undefined) errors.push(`field "identifier" is missing (a ${kind} row needs one)`);
    const id = r.identifier ?? '';
    if (kind === 'mqtt' && id) {
      const problem = checkTopicFilter(id);
      if (problem) errors.push(`field "identifier": ${problem}`);
      // A filter without wildcards names one topic: it is an exact identifier, so duplicates are caught.
      else if (!hasWildcard(id)) kind = 'exact';
      key = id;
    } else if (kind === 'opcua' && id) {
      const canonical = normaliseNodeId(id, this.namespaces);
      if (canonical === null) errors.push(`field "identifier": "${id}" is not an OPC UA NodeId (e.g. ns=2;s=Pump101.Vibration or ns=3;i=1001)`);
      else key = canonical;
    } else if (kind === 'regex' && id) {
      const re = regexOf(id);
      if (typeof re === 'string') errors.push(`field "identifier": ${re}`);
      else regex = re;
      key = id;
    } else {
      key = id;
    }

    if (kind === 'modbus') {
      const table = r.table === undefined ? 'holding' : parseTable(r.table);
      if (r.address === undefined) errors.push('field "address" is missing (a modbus row needs the register address)');
      if (table === null) errors.push(`field "table": "${String(r.table)}" is not coil, discrete, holding or input (or function code 1–4)`);
      if (table !== null && r.address !== undefined) {
        if (isBitTable(table)) {
          if (dataType !== null && dataType !== 'bool') errors.push(`field "dataType": a ${table} is a single bit; use bool or leave it empty`);
          dataType = 'bool';
        }
        const width = widthOf(dataType, table);
        const end = r.addressEnd ?? r.address + width - 1;
        if (end < r.address + width - 1) errors.push(`field "addressEnd": ${end} is before the end of the first value (${r.address + width - 1})`);
        else if ((end - r.address + 1) % width !== 0) errors.push(`field "addressEnd": ${r.address}–${end} is not a whole number of ${dataType} values (${width} registers each)`);
        else if (end > 65535) errors.push(`field "address": a ${dataType ?? 'uint16'} at ${r.address} runs past register 65535`);
        modbus = { connection: r.connection?.trim() || null, unitId: r.unitId ?? null, table, start: r.address, end, width };
      }
    }

    const byteOrder = parseByteOrder(r.wordOrder);
    if (byteOrder === null) errors.push(`field "wordOrder": "${r.wordOrder}" is not ABCD, CDAB, BADC or DCBA (big = ABCD, little = CDAB)`);
    if (r.bit !== undefined && (dataType === 'int32' || dataType === 'uint32' || dataType === 'float32')) {
      errors.push('field "bit": a bit is taken from a 16-bit register; use dataType uint16 or leave it empty');
    }
    if (r.scale === 0) errors.push('field "scale": 0 would turn every value into the offset');
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) errors.push(`field "min": ${r.min} is above max ${r.max}`);

    let field: string[] | null = null;
    if (r.field !== undefined) {
      field = r.field.split('.');
      if (field.some((p) => p === '' || (FORBIDDEN_KEYS as readonly string[]).includes(p))) errors.push(`field "field": "${r.field}" is not a usable field path`);
    }
    if (errors.length > 0) return { ok: false, errors };

    const location = fullLocation(r.siteId as string, r.location as string);
    if (location.length > 500) return { ok: false, errors: ['field "location": longer than 500 characters with the site in front'] };
    return {
      ok: true,
      row: {
        origin: origin.byRow ? { source: this.intern(origin.source), line: origin.line, byRow: true } : { source: this.intern(origin.source), line: origin.line },
        kind,
        key,
        modbus,
        regex,
        metric: r.metric as string,
        field,
        unit: r.unit?.trim() || null,
        decode: this.decode({
          scale: r.scale ?? 1, offset: r.offset ?? 0, dataType, byteOrder: byteOrder ?? 'ABCD',
          bit: r.bit ?? null, min: r.min ?? null, max: r.max ?? null,
        }),
        asset: this.asset(r, location),
        target: this.target(r.assetId as string, r.siteId as string, location, origin),
      },
    };
  }

  private intern(source: string): string {
    let s = this.sources.get(source);
    if (s === undefined) {
      s = source;
      this.sources.set(source, s);
    }
    return s;
  }

  private decode(d: Decode): Decode {
    const k = `${d.scale}|${d.offset}|${d.dataType}|${d.byteOrder}|${d.bit}|${d.min}|${d.max}`;
    let shared = this.decodes.get(k);
    if (!shared) {
      shared = Object.freeze(d);
      this.decodes.set(k, shared);
    }
    return shared;
  }

  private asset(r: RawRow, location: string): Asset {
    const a: Asset = { id: r.assetId as string, siteId: r.siteId as string, location };
    if (r.class !== undefined && r.class !== '') a.class = r.class;
    if (r.criticality !== undefined && r.criticality !== '') a.criticality = r.criticality;
    if (r.workGroup !== undefined && r.workGroup !== '') a.workGroup = r.workGroup;
    if (r.custom && Object.keys(r.custom).length > 0) a.custom = { ...r.custom } as Record<string, Scalar>;
    const k = JSON.stringify([a.id, a.siteId, a.location, a.class, a.criticality, a.workGroup, a.custom]);
    let shared = this.assets.get(k);
    if (!shared) {
      shared = a;
      this.assets.set(k, shared);
    }
    return shared;
  }

  private target(assetId: string, siteId: string, location: string, origin: RowOrigin): Target {
    const k = targetKey(assetId, siteId, location);
    let t = this.targets.get(k);
    if (!t) {
      t = { key: k, assetId, siteId, location, check: this.checks.get(k) ?? UNCHECKED, rowCount: 0, origins: [] };
      this.targets.set(k, t);
    }
    t.rowCount += 1;
    if (t.origins.length < MAX_ORIGINS) t.origins.push(origin);
    return t;
  }
}

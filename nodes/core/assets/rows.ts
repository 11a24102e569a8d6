// A checked RawRow becomes a Row: the identifier normalised for its match kind, the Modbus block
// worked out, the decode settings fixed, and the CMMS target (the asset, with its attributes merged
// from all its rows) shared between rows
// (100 000 rows usually point at a few thousand assets; sharing keeps the registry small).
import { isForbiddenKey, type Scalar } from '../contracts/common';
import { isBitTable, parseByteOrder, parseTable, widthOf } from './modbus';
import { checkTopicFilter, hasWildcard } from './mqtt';
import { normaliseNodeId, type NamespaceTable } from './opcua';
import { checkRowShape, coerceRow } from './row-schema';
import { describeRow, Target, targetKey, type DataType, type Decode, type MatchKind, type RawRow, type Row, type RowOrigin, type RowSource, type TargetCheck } from './types';
import { errorMessage } from '../error-message';

export type Built = { ok: true; row: Row } | { ok: false; errors: string[] };

const UNCHECKED: TargetCheck = Object.freeze({ status: 'unchecked', checkedAt: null });
/** The decode settings of most rows: the value as it comes. */
const PLAIN: Decode = Object.freeze({ scale: 1, offset: 0, dataType: null, byteOrder: 'ABCD', bit: null, min: null, max: null });

export { targetKey };

/** The ISA-95 path always starts with the site; a path written without it gets it in front. */
function fullLocation(siteId: string, location: string): string {
  const startsWithSite = location === siteId || (location.startsWith(siteId) && location.charCodeAt(siteId.length) === 47);
  // join() makes one flat string; a template literal would keep both pieces alive as long as the map.
  return startsWithSite ? location : [siteId, location].join('/');
}

/** The target key of a row as a person wrote it (editor cells, JSON): null when it names no full target. */
export function rowKey(record: unknown): string | null {
  if (typeof record !== 'object' || record === null) return null;
  const r = record as Record<string, unknown>;
  const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);
  const assetId = text(r.assetId);
  const siteId = text(r.siteId);
  const location = text(r.location);
  return assetId && siteId && location ? targetKey(assetId, siteId, fullLocation(siteId, location)) : null;
}

function regexOf(source: string): RegExp | string {
  try {
    return new RegExp(source);
  } catch (e) {
    return `not a valid regular expression (${errorMessage(e)})`;
  }
}

export class RowBuilder {
  /** Targets by asset id (then site and location): no key strings are built per row. */
  private readonly targets = new Map<string, Target | Target[]>();
  private readonly list: Target[] = [];
  private readonly decodes = new Map<string, Decode>();
  private readonly sources = new Map<string, RowSource>();
  /** One copy of each repeated text (site, metric, unit…): CSV cells are separate strings. */
  private readonly texts = new Map<string, string>();

  /** `checks`: verification results kept from before, by target key. */
  constructor(private readonly namespaces: NamespaceTable, private readonly checks: ReadonlyMap<string, TargetCheck> = new Map()) {}

  get targetCount(): number {
    return this.list.length;
  }

  allTargets(): Target[] {
    return this.list;
  }

  /** From any source's record (CSV columns, JSON keys, editor cells) to a Row, or the reasons why not. */
  build(record: Record<string, unknown>, origin: RowOrigin): Built {
    const coerced = coerceRow(record);
    if (!coerced.ok) return coerced;
    return this.buildRaw(coerced.row, origin);
  }

  /** From a row whose columns are already matched to fields (a CSV file). */
  buildRaw(raw: RawRow, origin: RowOrigin): Built {
    const shape = checkRowShape(raw);
    if (!shape.ok) return shape;
    return this.normalise(shape.value, origin);
  }

  private normalise(r: RawRow, origin: RowOrigin): Built {
    const errors: string[] = [];
    let kind = r.kind as MatchKind;
    let key = '';
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
      if (field.some((p) => p === '' || isForbiddenKey(p))) errors.push(`field "field": "${r.field}" is not a usable field path`);
    }
    if (errors.length > 0) return { ok: false, errors };

    const siteId = this.text(r.siteId as string);
    const location = fullLocation(siteId, r.location as string);
    if (location.length > 500) return { ok: false, errors: ['field "location": longer than 500 characters with the site in front'] };
    const target = this.target(r.assetId as string, siteId, location);
    const row: Row = {
      src: this.source(origin),
      line: origin.line,
      next: null,
      kind,
      key,
      modbus,
      metric: this.text(r.metric as string),
      field,
      unit: r.unit?.trim() ? this.text(r.unit.trim()) : null,
      decode: this.decode({
        scale: r.scale ?? 1, offset: r.offset ?? 0, dataType, byteOrder: byteOrder ?? 'ABCD',
        bit: r.bit ?? null, min: r.min ?? null, max: r.max ?? null,
      }),
      target,
    };
    const conflicts = this.merge(r, target, row);
    if (conflicts.length > 0) return { ok: false, errors: conflicts };
    target.rowCount += 1;
    target.first ??= row;
    return { ok: true, row };
  }

  private source(origin: RowOrigin): RowSource {
    let src = this.sources.get(origin.source);
    if (!src) {
      src = { name: origin.source, byRow: origin.byRow === true };
      this.sources.set(origin.source, src);
    }
    return src;
  }

  private text(s: string): string {
    let shared = this.texts.get(s);
    if (shared === undefined) {
      shared = s;
      this.texts.set(s, s);
    }
    return shared;
  }

  private decode(d: Decode): Decode {
    if (d.scale === 1 && d.offset === 0 && d.dataType === null && d.byteOrder === 'ABCD' && d.bit === null && d.min === null && d.max === null) return PLAIN;
    const k = `${d.scale}|${d.offset}|${d.dataType}|${d.byteOrder}|${d.bit}|${d.min}|${d.max}`;
    let shared = this.decodes.get(k);
    if (!shared) {
      shared = Object.freeze(d);
      this.decodes.set(k, shared);
    }
    return shared;
  }

  /**
   * Puts the row's class, criticality, work group and custom fields on its asset. The rule: an
   * attribute a row leaves empty is taken from the asset's other rows; two rows that give the same
   * attribute (or custom field) different values are an error naming both rows — one asset is one
   * message with one description, never split by whichever row a reading came from.
   */
  private merge(r: RawRow, target: Target, row: Row): string[] {
    const given: Array<[string, Scalar]> = [];
    if (r.class !== undefined && r.class !== '') given.push(['class', this.text(r.class)]);
    if (r.criticality !== undefined && r.criticality !== '') given.push(['criticality', r.criticality]);
    if (r.workGroup !== undefined && r.workGroup !== '') given.push(['workGroup', this.text(r.workGroup)]);
    if (r.custom !== undefined) for (const k of Object.keys(r.custom)) given.push([`custom.${k}`, r.custom[k]]);
    if (given.length === 0) return [];
    const a = target.asset;
    const errors: string[] = [];
    for (const [name, value] of given) {
      const had = a === null ? undefined : name.startsWith('custom.') ? a.custom?.[name.slice(7)] : a[name as 'class' | 'criticality' | 'workGroup'];
      if (had !== undefined && had !== value) {
        errors.push(`field "${name}": ${JSON.stringify(value)} differs from ${JSON.stringify(had)} given for asset ${target.id} (${target.siteId}) by ${describeRow(target.givenBy![name])}; `
          + 'one asset has one description: give the value once, or the same on every row of the asset');
      }
    }
    if (errors.length > 0) return errors;
    const asset = (target.asset ??= target.plainAsset());
    const by = (target.givenBy ??= {});
    for (const [name, value] of given) {
      if (by[name]) continue;
      by[name] = row;
      if (name.startsWith('custom.')) (asset.custom ??= {})[name.slice(7)] = value;
      else if (name === 'criticality') asset.criticality = value as string | number;
      else asset[name as 'class' | 'workGroup'] = value as string;
    }
    return [];
  }

  private target(assetId: string, siteId: string, location: string): Target {
    // Nearly every asset id has one target; an array only for the rare id at several sites or places.
    const found = this.targets.get(assetId);
    if (found instanceof Target) {
      if (found.siteId === siteId && found.location === location) return found;
    } else if (found) {
      for (const t of found) if (t.siteId === siteId && t.location === location) return t;
    }
    const t = new Target(assetId, siteId, location, this.checks.size > 0 ? this.checks.get(targetKey(assetId, siteId, location)) ?? UNCHECKED : UNCHECKED);
    if (!found) this.targets.set(assetId, t);
    else if (found instanceof Target) this.targets.set(assetId, [found, t]);
    else found.push(t);
    this.list.push(t);
    return t;
  }
}

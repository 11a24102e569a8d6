// One incoming protocol message → asset readings (one per asset) and exceptions. Understands the
// messages the usual protocol nodes send, as they send them: core MQTT in, node-red-contrib-modbus
// read/getter, node-red-contrib-opcua, and AI-vision inspection records.
import type { Quality, SourceKind } from '../contracts/asset-readings';
import { isForbiddenKey } from '../contracts/common';
import { Collector, iso, MAX_BLOCK, MAX_IDENTIFIER, MAX_TEXT_PAYLOAD, type MapContext, type MapResult } from './collector';
import { isBitTable, decodeRaw, tableOfFunctionCode } from './modbus';
import { housekeepingOf } from './housekeeping';
import { isRecord, mapBatch, mapObject, MAX_BATCH, own } from './json';
import { looksLikeNodeId } from './opcua';
import type { ModbusTable, Row } from './types';
import { cleanRecord, convert, describeValue, finish, qualityOf, timeOf, type Converted } from './values';

export * from './collector';

/** The message properties read here; anything else on the message is left alone. */
export interface InputMessage {
  topic?: unknown;
  payload?: unknown;
  input?: unknown;
  modbusRequest?: unknown;
  responseBuffer?: unknown;
  statusCode?: unknown;
  sourceTimestamp?: unknown;
  serverTimestamp?: unknown;
  timestamp?: unknown;
  values?: unknown;
  /** node-red-contrib-modbus failures: a Catch node's {message, source} or "Empty msg on fail"'s Error. */
  error?: unknown;
}


function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*\d{1,6}\s*$/.test(v)) return Number(v);
  return null;
}

/** A Modbus read's request as node-red-contrib-modbus builds it: {unitid, fc, address, quantity}. */
const isModbusRequest = (v: unknown): v is Record<string, unknown> => isRecord(v) && own(v, 'fc') !== undefined && own(v, 'address') !== undefined;

/**
 * A failed Modbus poll: a Catch node's message (msg.error, the request as payload) or the read or
 * getter node's "Empty msg on fail" (msg.error, payload "", the request found from the flow).
 */
function modbusFailure(msg: InputMessage, ctx: MapContext): Record<string, unknown> | null {
  if (msg.error === undefined || msg.error === null) return null;
  if (isModbusRequest(msg.payload)) return msg.payload;
  return msg.payload === '' && ctx.failedRequest ? ctx.failedRequest : null;
}

function detect(msg: InputMessage): SourceKind | 'invalid' {
  const p = msg.payload;
  if (Array.isArray(p) && (isRecord(msg.input) || isRecord(msg.modbusRequest))) return 'modbus';
  if (isRecord(p) && typeof own(p, 'result') === 'string' && (own(p, 'defects') !== undefined || own(p, 'measurements') !== undefined)) return 'vision';
  if (typeof msg.topic === 'string' && looksLikeNodeId(msg.topic)) return 'opcua';
  return 'mqtt';
}

function unmapped(c: Collector, ctx: MapContext, what: string, hint = ''): MapResult {
  c.fail('unmapped', ctx.registry ? `${what} is not in the asset registry${hint}` : `no asset map loaded${ctx.noRegistry ? `: ${ctx.noRegistry}` : ''}`);
  return c.result();
}

export function mapMessage(msg: InputMessage, ctx: MapContext): MapResult {
  const chore = housekeepingOf(msg);
  if (chore !== null) return { kind: chore.startsWith('opcua') ? 'opcua' : 'modbus', identifier: null, readings: [], exceptions: [], housekeeping: chore };
  if (ctx.source === 'auto' || ctx.source === 'modbus') {
    const failed = modbusFailure(msg, ctx);
    if (failed) return mapModbusFailure(msg, failed, ctx);
  }
  const kind = ctx.source === 'auto' ? detect(msg) : ctx.source;
  if (kind === 'invalid') return invalid('other', null, 'unrecognised message');
  switch (kind) {
    case 'modbus': return mapModbus(msg, ctx);
    case 'vision': return mapVision(msg, ctx);
    case 'opcua': return mapScalarSource(msg, ctx, 'opcua');
    default: return mapScalarSource(msg, ctx, 'mqtt');
  }
}

function invalid(kind: SourceKind, identifier: string | null, error: string): MapResult {
  const c = new Collector(kind, identifier, identifier ?? '', { registry: null, requireVerified: false, source: 'auto', now: 0, connections: [] });
  c.fail('invalid', error);
  return c.result();
}

function identifierOf(msg: InputMessage, kind: SourceKind): string | MapResult {
  const t = msg.topic;
  if (typeof t !== 'string' || t.trim() === '') return invalid(kind, null, `msg.topic is ${t === undefined ? 'missing' : describeValue(t)}; it must name the ${kind === 'opcua' ? 'NodeId' : 'topic or tag'}`);
  if (t.length > MAX_IDENTIFIER) return invalid(kind, t.slice(0, 100), `msg.topic is ${t.length} characters long (at most ${MAX_IDENTIFIER})`);
  return t;
}

/** Why a payload cannot be read; a class, so the usual case (a plain value) allocates nothing. */
class Unreadable {
  constructor(readonly error: string) {}
}

/** A payload as a value or a JSON object (text starting with "{" is parsed). */
function payloadValue(p: unknown): unknown {
  if (typeof p === 'number' || typeof p === 'boolean') return p;
  let v = p;
  if (Buffer.isBuffer(v)) {
    if (v.length > MAX_TEXT_PAYLOAD) return new Unreadable(`a payload of ${v.length} bytes is larger than ${MAX_TEXT_PAYLOAD}`);
    v = v.toString('utf8');
  }
  if (typeof v === 'string') {
    if (v.length > MAX_TEXT_PAYLOAD) return new Unreadable(`a payload of ${v.length} characters is larger than ${MAX_TEXT_PAYLOAD}`);
    const t = v.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return new Unreadable('the payload starts like JSON but is not valid JSON');
      }
    }
    return v;
  }
  if (v === undefined || v === null) return new Unreadable(`msg.payload is ${v === null ? 'null' : 'missing'}`);
  return v;
}

/** The protocol sent no value, only a Bad or Uncertain status. */
const NO_VALUE = Symbol('no value');

/**
 * A reading without a value: the contract has no null, so the value is empty text; the quality says
 * it is unusable (mw-threshold treats it as a sensor fault, never as a process value).
 */
function noValue(quality: Quality): Converted {
  return quality === 'good' ? { ok: false, error: 'no value' } : { ok: true, value: '', outOfRange: null };
}

function mapScalarSource(msg: InputMessage, ctx: MapContext, kind: 'mqtt' | 'opcua'): MapResult {
  const id = identifierOf(msg, kind);
  if (typeof id !== 'string') return id;
  const c = new Collector(kind, id, id, ctx);
  if (!ctx.registry) return unmapped(c, ctx, id);
  const rows = kind === 'opcua' ? ctx.registry.lookupNodeId(id) : ctx.registry.lookupId(id);
  if (!rows) {
    const unknown = kind === 'opcua' ? ctx.registry.unknownNamespaces : [];
    // Rows written with nsu=<uri> match ns=<index> topics only through the registry's namespace table.
    const hint = unknown.length > 0 ? `; rows written with nsu=${unknown[0]}${unknown.length > 1 ? ` (and ${unknown.length - 1} more URIs)` : ''} match ns= NodeIds only when the registry's OPC UA namespace table gives the URI its index` : '';
    return unmapped(c, ctx, `${kind === 'opcua' ? 'NodeId' : 'topic'} "${id}"`, hint);
  }
  let quality: Quality = kind === 'opcua' ? qualityOf(msg.statusCode) : 'good';
  // A lost link is a Bad status with no value (node-red-contrib-opcua sends payload null with
  // BadNoCommunication): a reading of that quality, so mw-threshold raises a sensor fault.
  let value = quality !== 'good' && (msg.payload === null || msg.payload === undefined) ? NO_VALUE : payloadValue(msg.payload);
  if (value instanceof Unreadable) {
    c.fail('invalid', value.error);
    return c.result();
  }
  let time = kind === 'opcua' ? timeOf(msg.sourceTimestamp) ?? timeOf(msg.serverTimestamp) : null;
  // Some OPC UA nodes wrap the DataValue: { value, statusCode, sourceTimestamp } (subscribe-multiple
  // sends node-opcua's DataValue itself, whose value is a Variant { dataType, value }).
  if (kind === 'opcua' && isRecord(value) && own(value, 'value') !== undefined) {
    if (own(value, 'statusCode') !== undefined) quality = qualityOf(own(value, 'statusCode'));
    time = timeOf(own(value, 'sourceTimestamp')) ?? time;
    value = own(value, 'value');
    if (isRecord(value) && own(value, 'dataType') !== undefined && 'value' in value) value = value.value;
    if ((value === null || value === undefined) && quality !== 'good') value = NO_VALUE;
  }
  const at = time ?? timeOf(msg.timestamp) ?? ctx.now;
  if (Array.isArray(value)) {
    if (kind !== 'mqtt' || value.length === 0 || value.length > MAX_BATCH || !value.every(isRecord)) {
      c.fail('invalid', `msg.payload is an array of ${value.length}; arrays are read as Modbus blocks (with msg.input or msg.modbusRequest) or MQTT batches of up to ${MAX_BATCH} readings [{metric, value, ts}]`);
      return c.result();
    }
    mapBatch(c, rows, value, at, quality);
    return c.result();
  }
  if (isRecord(value)) {
    mapObject(c, rows, value, at, quality);
    return c.result();
  }
  const timestamp = iso(at);
  for (let row: Row | null = rows; row; row = row.next) {
    if (row.field !== null) {
      c.fail('decode-error', `${row.metric}: the payload is a single value, the row reads field "${row.field.join('.')}" of a JSON object`, row);
      continue;
    }
    if (!c.allowed(row)) continue;
    c.add(row, row.metric, value === NO_VALUE ? noValue(quality) : convert(row, value), timestamp, quality);
  }
  return c.result();
}

interface Block {
  unitId: number | null;
  table: ModbusTable;
  start: number;
  count: number;
  words: unknown[];
}

function modbusBlock(msg: InputMessage, ctx: MapContext): Block | string {
  const req = isRecord(msg.input) && isRecord(msg.input.payload) ? msg.input.payload
    : isRecord(msg.modbusRequest) ? msg.modbusRequest : null;
  if (!req) return 'no Modbus request on the message (msg.input.payload from a read node, or msg.modbusRequest from a getter)';
  const words = msg.payload;
  if (!Array.isArray(words)) return `msg.payload is ${describeValue(words)}, not the array of values a Modbus read returns`;
  if (words.length > MAX_BLOCK) return `msg.payload has ${words.length} values; a Modbus block has at most ${MAX_BLOCK}`;
  return requestBlock(req, words, ctx);
}

function requestBlock(req: Record<string, unknown>, words: unknown[] | null, ctx: MapContext): Block | string {
  const fc = int(own(req, 'fc'));
  const table = fc === null ? (typeof words?.[0] === 'boolean' ? 'coil' : 'holding') : tableOfFunctionCode(fc);
  if (table === null) return `function code ${String(own(req, 'fc'))} is not a read (1–4)`;
  const start = int(own(req, 'address'));
  if (start === null || start > 65535) return `the request's address is ${describeValue(own(req, 'address'))}, not a register address 0–65535`;
  const rawUnit = own(req, 'unitid') ?? own(req, 'unitId');
  let unitId = rawUnit === undefined || rawUnit === '' ? null : int(rawUnit);
  if (unitId !== null && unitId > 255) return `unit id ${unitId} is above 255`;
  // node-red-contrib-modbus sends an empty (or 0) Unit-Id on the client's unit_id
  // (modbus-queue-core getUnitIdToQueue: parseInt(unitid) || parseInt(unit_id) || 0).
  if (!unitId && ctx.clientUnit !== undefined && ctx.clientUnit !== null) unitId = ctx.clientUnit;
  const q = int(own(req, 'quantity'));
  const count = q === null || q === 0 ? words?.length ?? 1 : q;
  return { unitId, table, start, count: Math.min(count, MAX_BLOCK), words: words ?? [] };
}

/** The collector and the registry rows of one block read, or the unmapped answer when none match. */
function blockRows(block: Block, msg: InputMessage, ctx: MapContext): { c: Collector; rows: readonly Row[]; timestamp: string } | { unmapped: MapResult } {
  const conn = ctx.connections[0] ?? '*';
  const ref = `${conn}/${block.unitId ?? '*'}/${block.table}/${block.start}-${block.start + block.count - 1}`;
  const c = new Collector('modbus', ref, ref, ctx);
  if (!ctx.registry) return { unmapped: unmapped(c, ctx, ref) };
  const rows = ctx.registry.lookupModbus(ctx.connections, block.unitId, block.table, block.start, block.count);
  if (rows.length === 0) return { unmapped: unmapped(c, ctx, `Modbus block ${ref}`) };
  return { c, rows, timestamp: iso(timeOf(msg.timestamp) ?? ctx.now) };
}

/**
 * A failed poll (timeout, connection lost, exception response): every reading the block would have
 * given, with quality bad and no value, so mw-threshold raises a sensor fault at once instead of
 * waiting for its stale timer.
 */
function mapModbusFailure(msg: InputMessage, req: Record<string, unknown>, ctx: MapContext): MapResult {
  const block = requestBlock(req, null, ctx);
  if (typeof block === 'string') return invalid('modbus', null, block);
  const found = blockRows(block, msg, ctx);
  if ('unmapped' in found) return found.unmapped;
  const { c, rows, timestamp } = found;
  const none: Converted = { ok: true, value: '', outOfRange: null };
  for (const row of rows) {
    if (!c.allowed(row)) continue;
    const m = row.modbus!;
    const n = (m.end - m.start + 1) / (isBitTable(block.table) ? 1 : m.width);
    for (let k = 0; k < n; k++) c.add(row, n > 1 ? `${row.metric}.${k + 1}` : row.metric, none, timestamp, 'bad');
  }
  const r = c.result();
  r.failure = errorText(msg.error);
  return r;
}

function errorText(e: unknown): string {
  if (typeof e === 'string') return e.slice(0, 500);
  const m = isRecord(e) || e instanceof Error ? (e as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m.slice(0, 500) : 'Modbus error';
}

function mapModbus(msg: InputMessage, ctx: MapContext): MapResult {
  const block = modbusBlock(msg, ctx);
  if (typeof block === 'string') return invalid('modbus', null, block);
  const found = blockRows(block, msg, ctx);
  if ('unmapped' in found) return found.unmapped;
  const { c, rows, timestamp } = found;
  for (const row of rows) {
    if (!c.allowed(row)) continue;
    const m = row.modbus!;
    const width = isBitTable(block.table) ? 1 : m.width;
    const n = (m.end - m.start + 1) / width;
    for (let k = 0; k < n; k++) {
      const d = decodeRaw(block.words, m.start - block.start + k * width, block.table, row.decode);
      const metric = n > 1 ? `${row.metric}.${k + 1}` : row.metric;
      c.add(row, metric, d.ok ? finish(row, d.value) : d, timestamp, 'good');
    }
  }
  return c.result();
}

const VISION_IDS = ['cameraId', 'camera', 'stationId', 'station'] as const;

function mapVision(msg: InputMessage, ctx: MapContext): MapResult {
  const record = msg.payload;
  if (!isRecord(record)) return invalid('vision', null, `an inspection record is a JSON object; msg.payload is ${describeValue(record)}`);
  let id: string | null = null;
  for (const k of VISION_IDS) {
    const v = own(record, k);
    if (typeof v === 'string' && v !== '' && v.length <= MAX_IDENTIFIER) {
      id = v;
      break;
    }
  }
  const topic = typeof msg.topic === 'string' && msg.topic !== '' && msg.topic.length <= MAX_IDENTIFIER ? msg.topic : null;
  if (id === null && topic === null) return invalid('vision', null, 'the record names no camera or station (cameraId, camera, stationId, station) and msg.topic is empty');
  const c = new Collector('vision', id ?? topic, id ?? topic ?? '', ctx);
  if (!ctx.registry) return unmapped(c, ctx, `camera/station "${id ?? topic}"`);
  const rows = (id !== null ? ctx.registry.lookupId(id) : undefined) ?? (topic !== null ? ctx.registry.lookupId(topic) : undefined);
  if (!rows) return unmapped(c, ctx, `camera/station "${id ?? topic}"`);
  if (Object.keys(record).length > 200) {
    c.fail('invalid', `the inspection record has ${Object.keys(record).length} fields (at most 200)`);
    return c.result();
  }
  const inspection = cleanRecord(record);
  if (inspection === null) {
    c.fail('invalid', 'the inspection record is too large or too deeply nested to carry (5 000 values, 8 levels)');
    return c.result();
  }
  const timestamp = iso(timeOf(own(record, 'timestamp')) ?? timeOf(msg.timestamp) ?? ctx.now);
  const result = own(record, 'result');
  const measurements = own(record, 'measurements');
  for (let row: Row | null = rows; row; row = row.next) {
    if (!c.allowed(row)) continue;
    const known = typeof result === 'string' && result !== '' && result.length <= 100;
    c.add(row, row.metric, { ok: true, value: known ? result : 'unknown', outOfRange: null }, timestamp, known ? 'good' : 'uncertain');
    if (isRecord(measurements)) {
      let n = 0;
      for (const k of Object.keys(measurements)) {
        const v = measurements[k];
        if (typeof v !== 'number' || !Number.isFinite(v) || k.length > 200 || k === row.metric) continue;
        if (isForbiddenKey(k) || ++n > 200) continue;
        c.add(row, k, { ok: true, value: v, outOfRange: null }, timestamp, 'good');
      }
    }
  }
  return c.result(() => ({ inspection: inspection as Record<string, unknown> }));
}

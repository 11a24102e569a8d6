// The two jobs the gateway-day benchmark compares, written into a Node-RED user directory:
//  - "mw": the reference flows (flows/gateway-*.json) as shipped, plus the bench's bulk-tag readers
//    (modbus-read nodes reading register blocks, one OPC UA subscribe-multiple) wired into the same
//    asset maps, with an assets.csv that also maps every bulk tag (Modbus, OPC UA, MQTT) and camera
//    station, so every tag goes through mw-asset-map → mw-threshold / mw-vision-drift;
//  - "core": the same protocol nodes (modbus-read, OPC UA client, mqtt in) wired to core nodes only:
//    function (map + limit) → rbe (alarm state per topic) → switch → function → http request
//    to the same CMMS simulator.
import fs from 'node:fs';
import path from 'node:path';

import { mergeFlows } from '../../sim/demo-flows';
import { REPO_ROOT } from '../../sim/runtime';
import { MODBUS_ORDER, SIGNALS } from '../../sim/plant';
import { bulkModbusBlocks, bulkModbusTag, bulkOpcuaNodeId } from '../../sim/plant/many';
import { ALARM_TAGS, bulkTopic, cameraId, stationId } from './load';

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  credentials?: Record<string, unknown>;
  [k: string]: unknown;
}

export type Variant = 'mw' | 'core';

function gatewayFiles(): string[] {
  const dir = path.join(REPO_ROOT, 'flows');
  return fs.readdirSync(dir).filter((f) => /^gateway-.*\.json$/.test(f)).sort().map((f) => path.join(dir, f));
}

/** How the bench's bulk tags and cameras are spread (the reference tags come on top). */
export interface BulkLayout {
  modbus: number;
  opcua: number;
  mqtt: number;
  cameras: number;
}

/**
 * `tags` at 1 Hz split about a third each over Modbus, OPC UA and MQTT; the reference flows' own tags
 * (4 Modbus, 6 OPC UA, the 2 MQTT alarm tags the load publishes) count in their protocol's third.
 */
export function tagLayout(tags: number, cameras: number): BulkLayout {
  const third = Math.round(tags / 3);
  const ref = { modbus: MODBUS_ORDER.length, opcua: SIGNALS.filter((s) => s.protocol === 'opcua').length, mqtt: ALARM_TAGS.length };
  return {
    modbus: Math.max(0, third - ref.modbus), opcua: Math.max(0, third - ref.opcua),
    mqtt: Math.max(0, tags - 2 * third - ref.mqtt), cameras,
  };
}

/** Reference tab and node ids the bulk readers join (flows/gateway-modbus.json, gateway-opcua.json). */
const REF = { modbusTab: 'mw-gw-modbus', modbusRead: 'mw-gw-modbus-read', modbusMap: 'mw-gw-modbus-map', opcuaTab: 'mw-gw-opcua', opcuaClient: 'mw-gw-opcua-client' } as const;

/**
 * flows/assets.csv plus one row per bulk tag — Modbus on PUMP-101's PLC, OPC UA on CMP-401, MQTT on
 * CONV-301, each a metric no rule watches — and one row per extra camera, each at its own press.
 */
export function benchAssetsCsv(layout: BulkLayout): string {
  const base = fs.readFileSync(path.join(REPO_ROOT, 'flows', 'assets.csv'), 'utf8').trimEnd();
  const rows: string[] = [];
  for (let j = 0; j < layout.modbus; j++) {
    const t = bulkModbusTag(j, layout.modbus);
    rows.push(`modbus,,PUMP-SKID-PLC,1,${t.table},${t.address},float32,${t.wordOrder},PUMP-101,BEDFORD,AREA1/LINE2/PUMP-101,PUMP,mb_${j},,°C,-40,200`);
  }
  for (let j = 0; j < layout.opcua; j++) rows.push(`opcua,${bulkOpcuaNodeId(j)},,,,,,,CMP-401,BEDFORD,AREA2/UTIL/CMP-401,COMPRESSOR,ua_${j},,°C,,`);
  for (let i = 0; i < layout.mqtt; i++) rows.push(`exact,${bulkTopic(i)},,,,,,,CONV-301,BEDFORD,AREA2/LINE1/CONV-301,CONVEYOR,tag_${i},,°C,-40,200`);
  // Camera 0 is CAM-901 at PRS-701, already in flows/assets.csv.
  for (let i = 1; i < layout.cameras; i++) rows.push(`exact,${cameraId(i)},,,,,,,${stationId(i)},BEDFORD,AREA2/LINE1/${stationId(i)},PRESS,inspection,,,,`);
  return `${base}\n${rows.join('\n')}\n`;
}

/**
 * The bulk readers, on the reference tabs and into the reference nodes, as a gateway engineer adds
 * tags: one modbus-read per register block (at most 120 registers, 1 Hz, the reference PLC client)
 * into the Modbus tab's asset map, and one message subscribing all bulk OPC UA variables at once
 * (node-red-contrib-opcua's subscribe with topic "multiple": one monitored-item group) into the
 * reference OPC UA client.
 */
export function bulkReaders(ref: FlowNode[], layout: BulkLayout): FlowNode[] {
  const out: FlowNode[] = [];
  const read = ref.find((n) => n.id === REF.modbusRead);
  if (layout.modbus > 0) {
    if (!read) throw new Error(`the reference flows have no ${REF.modbusRead} to copy`);
    bulkModbusBlocks(layout.modbus).forEach((b, k) => out.push({
      ...read, id: `bench-modbus-read-${k}`, z: REF.modbusTab, name: `bench ${b.table} ${b.address}–${b.address + b.quantity - 1}`,
      dataType: b.table === 'holding' ? 'HoldingRegister' : 'InputRegister', adr: String(b.address), quantity: String(b.quantity),
      x: Number(read.x), y: 400 + 40 * k, wires: [[REF.modbusMap], []],
    }));
  }
  if (layout.opcua > 0) {
    if (!ref.some((n) => n.id === REF.opcuaClient)) throw new Error(`the reference flows have no ${REF.opcuaClient}`);
    out.push({
      id: 'bench-opcua-multiple', type: 'inject', z: REF.opcuaTab, name: `bench: subscribe ${layout.opcua} BULK variables`,
      props: [{ p: 'topic', vt: 'str' }, { p: 'payload' }], repeat: '', crontab: '', once: true, onceDelay: '3',
      topic: 'multiple', payload: JSON.stringify(Array.from({ length: layout.opcua }, (_, j) => ({ nodeId: bulkOpcuaNodeId(j) }))), payloadType: 'json',
      x: 160, y: 480, wires: [[REF.opcuaClient]],
    });
  }
  return out;
}

const SENSOR_FN = `
// topic → [asset, site, metric, high limit]; every other topic gets the bulk tags' row.
const L = context.get('L') || (context.set('L', LIMITS), LIMITS);
function one(topic, value) {
  const row = L[topic] || ['CONV-301', 'BEDFORD', topic, 1e9];
  // JSON sensors carry the value in a field; OPC UA subscribe-multiple sends the DataValue itself.
  const v = typeof value === 'object' && value !== null
    ? Number(value.outlet_temp !== undefined ? value.outlet_temp : (value.value && typeof value.value === 'object' ? value.value.value : value.value))
    : Number(value);
  if (!Number.isFinite(v)) return null;
  return { topic, alarm: v > row[3], value: v, asset: row[0], site: row[1], metric: row[2] };
}
if (Array.isArray(msg.payload)) {
  // modbus-read: float32 pairs, ABCD in holding registers (FC3), CDAB in input registers (FC4)
  const req = (msg.input && msg.input.payload) || {};
  const swap = Number(req.fc) === 4;
  const base = Number(req.address) || 0;
  const out = [];
  for (let i = 0; i + 1 < msg.payload.length; i += 2) {
    const hi = msg.payload[swap ? i + 1 : i], lo = msg.payload[swap ? i : i + 1];
    const b = Buffer.alloc(4); b.writeUInt16BE(hi, 0); b.writeUInt16BE(lo, 2);
    const m = one('modbus/' + req.fc + '/' + (base + i), b.readFloatBE(0)); if (m) out.push(m);
  }
  return [out];
}
let p = msg.payload;
if (typeof p === 'string' && p.startsWith('{')) { try { p = JSON.parse(p); } catch (e) { return null; } }
return one(String(msg.topic), p);
`;

const VISION_FN = `
// EWMA (λ 0.05) of each record's mean coating thickness per station; alarm below 22 µm (spec 20-30).
const m = msg.payload && msg.payload.measurements;
const station = msg.payload && msg.payload.station;
if (!m || !Array.isArray(m.coating) || typeof station !== 'string') return null;
const mean = m.coating.reduce((a, b) => a + b, 0) / m.coating.length;
const ewmas = context.get('ewma') || {};
const ewma = ewmas[station] === undefined ? mean : 0.95 * ewmas[station] + 0.05 * mean;
ewmas[station] = ewma;
context.set('ewma', ewmas);
return { topic: station + '/coating', alarm: ewma < 22, value: ewma, asset: station, site: 'BEDFORD', metric: 'coating' };
`;

const BODY_FN = `
msg.url = env.get('CMMS_URL') + '/maximo/api/os/mxapiwodetail?lean=1';
msg.headers = { apikey: env.get('CMMS_APIKEY'), 'content-type': 'application/json' };
msg.payload = { siteid: msg.site, assetnum: msg.asset, worktype: 'CM',
  description: msg.metric + ' high on ' + msg.asset, externalrefid: String(Date.now() % 1e10) }; // Maximo's externalrefid holds 10 characters
return msg;
`;

const CHECK_FN = `
if (!(msg.statusCode >= 200 && msg.statusCode < 300)) node.warn('work order refused: ' + msg.statusCode + ' ' + String(msg.payload).slice(0, 300));
return null;
`;

function coreChain(tab: string, fnCode: string, x0: number, y: number): { entry: string; nodes: FlowNode[] } {
  const id = (s: string): string => `core-${tab}-${s}`;
  const at = (i: number): { x: number; y: number } => ({ x: x0 + 180 * i, y });
  return {
    entry: id('fn'),
    nodes: [
      { id: id('fn'), type: 'function', z: tab, name: 'map + limit', func: fnCode, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], ...at(0), wires: [[id('rbe')]] },
      { id: id('rbe'), type: 'rbe', z: tab, name: '', func: 'rbe', gap: '', start: '', inout: 'out', septopics: true, property: 'alarm', topi: 'topic', ...at(1), wires: [[id('sw')]] },
      { id: id('sw'), type: 'switch', z: tab, name: 'raised', property: 'alarm', propertyType: 'msg', rules: [{ t: 'true' }], checkall: 'true', repair: false, outputs: 1, ...at(2), wires: [[id('body')]] },
      { id: id('body'), type: 'function', z: tab, name: 'work order body', func: BODY_FN, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], ...at(3), wires: [[id('http')]] },
      { id: id('http'), type: 'http request', z: tab, name: 'POST work order', method: 'POST', ret: 'txt', paytoqs: 'ignore', url: '', tls: '', persist: true, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], ...at(4), wires: [[id('check')]] },
      { id: id('check'), type: 'function', z: tab, name: 'say refusals', func: CHECK_FN, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], ...at(5), wires: [[]] },
    ],
  };
}

const KEEP_IN_CORE = new Set(['tab', 'comment', 'modbus-client', 'modbus-read', 'OpcUa-Endpoint', 'OpcUa-Client', 'switch', 'inject', 'mqtt-broker', 'mqtt in']);

/** The core-nodes job: the reference flows' protocol nodes, their mw-asset-map targets replaced by a core chain. */
export function coreFlows(ref: FlowNode[]): FlowNode[] {
  const limits: Record<string, [string, string, string, number]> = {};
  for (const t of ALARM_TAGS) limits[t.topic] = [t.assetId, 'BEDFORD', t.metric, t.high];
  const sensorFn = `const LIMITS = ${JSON.stringify(limits)};\n${SENSOR_FN}`;
  const mapToChain = new Map<string, string>();
  const out: FlowNode[] = [];
  for (const n of ref) {
    if (n.type !== 'mw-asset-map' || !n.z) continue;
    const chain = coreChain(n.z, n.z.includes('vision') ? VISION_FN : sensorFn, Number(n.x), Number(n.y) + 120);
    mapToChain.set(n.id, chain.entry);
    out.push(...chain.nodes);
  }
  const kept = ref.filter((n) => KEEP_IN_CORE.has(n.type)).map((n) => ({
    ...n,
    ...(n.wires ? { wires: n.wires.map((port) => port.filter((t) => mapToChain.has(t) || ref.some((r) => r.id === t && KEEP_IN_CORE.has(r.type))).map((t) => mapToChain.get(t) ?? t)) } : {}),
  }));
  return [...kept, ...out];
}

/**
 * Writes flows.json (for the child), flows_cred.json and assets.csv into `userDir`; returns the
 * flows file, the ids of the mw-threshold nodes (for the fsync-floor latency) and of the alarm/SPC
 * stage (mw-threshold + mw-vision-drift, or the core job's rbe nodes), whose inputs are counted.
 */
export function writeVariant(userDir: string, variant: Variant, layout: BulkLayout): { flowsFile: string; thresholdIds: string[]; stageIds: string[]; sources: Record<string, string[]> } {
  const shipped = mergeFlows(gatewayFiles()) as FlowNode[];
  const ref = [...shipped, ...bulkReaders(shipped, layout)];
  const flows = variant === 'mw' ? ref : coreFlows(ref);
  const credentials: Record<string, unknown> = {};
  for (const n of flows) {
    if (n.credentials) credentials[n.id] = n.credentials;
    delete n.credentials;
  }
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  fs.writeFileSync(path.join(userDir, 'assets.csv'), benchAssetsCsv(layout));
  const flowsFile = path.join(userDir, 'bench-flows.json');
  fs.writeFileSync(flowsFile, JSON.stringify(flows));
  const ids = (types: string[]): string[] => flows.filter((n) => types.includes(n.type)).map((n) => n.id);
  const mqttIn = flows.filter((n) => n.type === 'mqtt in');
  const sources = {
    modbus: ids(['modbus-read']), opcua: ids(['OpcUa-Client']),
    mqtt: mqttIn.filter((n) => n.z !== 'mw-gw-vision').map((n) => n.id), vision: mqttIn.filter((n) => n.z === 'mw-gw-vision').map((n) => n.id),
  };
  return { flowsFile, thresholdIds: ids(['mw-threshold']), stageIds: ids(variant === 'mw' ? ['mw-threshold', 'mw-vision-drift'] : ['rbe']), sources };
}

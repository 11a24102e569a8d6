// The two jobs the gateway-day benchmark compares, written into a Node-RED user directory:
//  - "mw": the reference flows (flows/gateway-*.json) as shipped, with an assets.csv that also maps
//    the bulk MQTT tags, so every tag goes through mw-asset-map → mw-threshold;
//  - "core": the same protocol nodes (modbus-read, OPC UA client, mqtt in) wired to core nodes only:
//    function (map + limit) → rbe (alarm state per topic) → switch → function → http request
//    to the same CMMS simulator.
import fs from 'node:fs';
import path from 'node:path';

import { mergeFlows } from '../../sim/demo-flows';
import { REPO_ROOT } from '../../sim/runtime';
import { ALARM_TAGS, bulkTopic } from './load';

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

/** flows/assets.csv plus one row per bulk tag (all on CONV-301, a metric no rule watches). */
export function benchAssetsCsv(bulkTags: number): string {
  const base = fs.readFileSync(path.join(REPO_ROOT, 'flows', 'assets.csv'), 'utf8').trimEnd();
  const rows = Array.from({ length: bulkTags }, (_, i) =>
    `exact,${bulkTopic(i)},,,,,,,CONV-301,BEDFORD,AREA2/LINE1/CONV-301,CONVEYOR,tag_${i},,°C,-40,200`);
  return `${base}\n${rows.join('\n')}\n`;
}

const SENSOR_FN = `
// topic → [asset, site, metric, high limit]; every other topic gets the bulk tags' row.
const L = context.get('L') || (context.set('L', LIMITS), LIMITS);
function one(topic, value) {
  const row = L[topic] || ['CONV-301', 'BEDFORD', topic, 1e9];
  const v = typeof value === 'object' && value !== null ? Number(value.outlet_temp) : Number(value);
  if (!Number.isFinite(v)) return null;
  return { topic, alarm: v > row[3], value: v, asset: row[0], site: row[1], metric: row[2] };
}
if (Array.isArray(msg.payload)) {
  // modbus-read: float32 ABCD pairs of holding registers
  const out = [];
  for (let i = 0; i + 1 < msg.payload.length; i += 2) {
    const b = Buffer.alloc(4); b.writeUInt16BE(msg.payload[i], 0); b.writeUInt16BE(msg.payload[i + 1], 2);
    const m = one('modbus/' + i, b.readFloatBE(0)); if (m) out.push(m);
  }
  return [out];
}
let p = msg.payload;
if (typeof p === 'string' && p.startsWith('{')) { try { p = JSON.parse(p); } catch (e) { return null; } }
return one(String(msg.topic), p);
`;

const VISION_FN = `
// EWMA (λ 0.05) of each record's mean coating thickness; alarm below 22 µm (spec 20-30).
const m = msg.payload && msg.payload.measurements;
if (!m || !Array.isArray(m.coating)) return null;
const mean = m.coating.reduce((a, b) => a + b, 0) / m.coating.length;
const prev = context.get('ewma');
const ewma = prev === undefined ? mean : 0.95 * prev + 0.05 * mean;
context.set('ewma', ewma);
return { topic: 'PRS-701/coating', alarm: ewma < 22, value: ewma, asset: 'PRS-701', site: 'BEDFORD', metric: 'coating' };
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
export function writeVariant(userDir: string, variant: Variant, bulkTags: number): { flowsFile: string; thresholdIds: string[]; stageIds: string[] } {
  const ref = mergeFlows(gatewayFiles()) as FlowNode[];
  const flows = variant === 'mw' ? ref : coreFlows(ref);
  const credentials: Record<string, unknown> = {};
  for (const n of flows) {
    if (n.credentials) credentials[n.id] = n.credentials;
    delete n.credentials;
  }
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  fs.writeFileSync(path.join(userDir, 'assets.csv'), benchAssetsCsv(bulkTags));
  const flowsFile = path.join(userDir, 'bench-flows.json');
  fs.writeFileSync(flowsFile, JSON.stringify(flows));
  const ids = (types: string[]): string[] => flows.filter((n) => types.includes(n.type)).map((n) => n.id);
  return { flowsFile, thresholdIds: ids(['mw-threshold']), stageIds: ids(variant === 'mw' ? ['mw-threshold', 'mw-vision-drift'] : ['rbe']) };
}

// The plant simulator: one model, served over Modbus TCP, OPC UA and MQTT, with a page to start
// scenarios. Used by `npm start` (sim/demo.ts), `npm run sim:plant` (cli.ts) and the tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startHttp } from './http';
import { checkManyTags, type ManyTags } from './many';
import { PlantModel, type ScenarioId } from './model';
import { MODBUS_UNIT_ID, startModbus } from './modbus';
import { startMqtt, MQTT_TOPICS } from './mqtt';
import { startOpcua } from './opcua';

export { PLANT_ASSETS, SCENARIOS, SIGNALS, DEFAULT_FACTOR, PlantModel, type ScenarioId } from './model';
export { MQTT_TOPICS } from './mqtt';
export { MODBUS_ORDER, MODBUS_UNIT_ID, floatWords } from './modbus';
export { opcuaNodeId } from './opcua';
export * from './many';

interface PlantSimOptions {
  host?: string;
  /** Each 0 (the default) picks a free port. */
  httpPort?: number;
  modbusPort?: number;
  opcuaPort?: number;
  mqttPort?: number;
  /** An existing MQTT broker instead of the embedded one. */
  mqttUrl?: string;
  /** Where node-opcua keeps its certificates; a temporary folder by default. */
  dataDir?: string;
  seed?: number;
  cameraRate?: number;
  sensorIntervalMs?: number;
  /** Scenarios to start right away, e.g. the demo's bearing wear. */
  autoStart?: Array<{ id: ScenarioId; factor?: number }>;
  /** Which protocol servers to start; all by default. */
  protocols?: Array<'modbus' | 'opcua' | 'mqtt'>;
  /** The many-tags mode (many.ts): bulk tags on the Modbus PLC and the OPC UA server; off by default. */
  manyTags?: ManyTags;
}

interface PlantEndpoints {
  page: string;
  modbus: { host: string; port: number; unitId: number } | null;
  opcua: { url: string; namespaceUri: string } | null;
  mqtt: { url: string; topics: typeof MQTT_TOPICS } | null;
}

export interface PlantSim {
  url: string;
  endpoints: PlantEndpoints;
  model: PlantModel;
  stop(): Promise<void>;
}

export async function startPlantSim(opts: PlantSimOptions = {}): Promise<PlantSim> {
  const host = opts.host ?? '127.0.0.1';
  if (opts.manyTags) checkManyTags(opts.manyTags);
  const model = new PlantModel(opts.seed);
  const want = new Set(opts.protocols ?? ['modbus', 'opcua', 'mqtt']);
  const stops: Array<() => Promise<void>> = [];
  const tempDir = opts.dataDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'mw-plant-'));
  const dataDir = opts.dataDir ?? (tempDir as string);
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    const endpoints: PlantEndpoints = { page: '', modbus: null, opcua: null, mqtt: null };
    if (want.has('modbus')) {
      const mb = await startModbus(model, { host, port: opts.modbusPort ?? 0, bulkTags: opts.manyTags?.modbus });
      stops.push(mb.stop);
      endpoints.modbus = { host, port: mb.port, unitId: MODBUS_UNIT_ID };
    }
    if (want.has('opcua')) {
      const ua = await startOpcua(model, { host, port: opts.opcuaPort ?? 0, pkiDir: dataDir, bulkTags: opts.manyTags?.opcua });
      stops.push(ua.stop);
      endpoints.opcua = { url: ua.url, namespaceUri: ua.namespaceUri };
    }
    if (want.has('mqtt')) {
      const mq = await startMqtt(model, { host, port: opts.mqttPort ?? 0, url: opts.mqttUrl, cameraRate: opts.cameraRate, sensorIntervalMs: opts.sensorIntervalMs });
      stops.push(mq.stop);
      endpoints.mqtt = { url: mq.url, topics: MQTT_TOPICS };
    }
    const web = await startHttp(model, { host, port: opts.httpPort ?? 0, endpoints: () => endpoints });
    stops.push(web.stop);
    endpoints.page = `${web.url}/`;
    for (const s of opts.autoStart ?? []) model.start(s.id, s.factor);
    return { url: web.url, endpoints, model, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

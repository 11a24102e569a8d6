// The gateway-day load, generated outside the Node-RED process: an MQTT broker (aedes) and one
// publishing client carrying the bulk tags (1 Hz each, spread over the second as field devices
// publish), the two alarm tags of the reference MQTT flow with alarm episodes, and the cameras
// (inspection records from the plant model, one model per camera, each camera at its own press
// station) with coating-drift episodes, one station at a time.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import type { SimAsset } from '../../sim/cmms';
import { PlantModel } from '../../sim/plant';

/** The reference MQTT flow's alarm tags (flows/assets.csv rows, limits from flows/rules.json). */
export const ALARM_TAGS = [
  { topic: 'plant/bedford/area2/conv-301/motor_temp', assetId: 'CONV-301', metric: 'motor_temp', normal: 55, high: 80, json: false },
  { topic: 'plant/bedford/area2/hx-601/status', assetId: 'HX-601', metric: 'outlet_temp', normal: 28, high: 40, json: true },
] as const;
/** mw-threshold raises on the 3rd sample over the limit (onDelay 3 samples); the core job on the 1st. */
export const ON_DELAY_SAMPLES = { mw: 3, core: 1 } as const;
/** Long enough past the 30 s offDelay that each episode is a new alarm. */
const EPISODE_HIGH_S = 8;

export const bulkTopic = (i: number): string => `plant/bedford/bench/t${String(i).padStart(4, '0')}`;

/** Camera i (0-based): CAM-901 … CAM-910, each inspecting the parts of its own press PRS-701 … PRS-710. */
export const cameraId = (i: number): string => `CAM-${901 + i}`;
export const stationId = (i: number): string => `PRS-${701 + i}`;

/**
 * The bench plant's extra stations in the CMMS simulator's asset master (camera 0's CAM-901 and
 * PRS-701 are in the default one), entered as a Maximo administrator would enter new assets.
 */
export function stationAssets(cameras: number): SimAsset[] {
  const out: SimAsset[] = [];
  for (let i = 1; i < cameras; i++) {
    for (const [assetnum, description, assetClass] of [[stationId(i), `Hydraulic press ${i + 1} (bench)`, 'PRESS'], [cameraId(i), `Vision inspection station, press ${i + 1} outfeed (bench)`, 'VISION']]) {
      out.push({ assetnum, siteid: 'BEDFORD', orgid: 'EAGLENA', location: `BEDFORD/AREA2/LINE1/${assetnum}`, description, status: 'OPERATING', assetClass });
    }
  }
  return out;
}

interface LoadOptions {
  bulkTags: number;
  cameras: number;
  unitsPerSecond: number;
  /** Seconds between alarm episodes (alternating over ALARM_TAGS); each tag needs > 38 s between its own. */
  episodeEverySec: number;
  /** Seconds between coating-drift episodes (one station at a time, in turn). */
  driftEverySec: number;
  onDelaySamples: number;
}

export interface Load {
  url: string;
  host: string;
  port: number;
  /** Publish time (ms epoch) of the sample that should raise each episode, by asset id, in order. */
  raisedAt: Map<string, number[]>;
  published(): { tags: number; records: number };
  stop(): Promise<void>;
}

export async function startLoad(opts: LoadOptions): Promise<Load> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
  const port = (server.address() as AddressInfo).port;
  const url = `mqtt://127.0.0.1:${port}`;
  const mqtt = await import('mqtt');
  const client = await mqtt.connectAsync(url, { clientId: `mw-bench-load-${process.pid}` });
  const counts = { tags: 0, records: 0 };
  const raisedAt = new Map<string, number[]>(ALARM_TAGS.map((t) => [t.assetId, []]));
  const pub = (topic: string, payload: string): void => { client.publish(topic, payload, { qos: 0 }); };

  // Bulk tags: a tenth of them every 100 ms, so each one publishes once a second.
  let slice = 0;
  const bulkTimer = setInterval(() => {
    for (let i = slice; i < opts.bulkTags; i += 10) pub(bulkTopic(i), (20 + (i % 50) + Math.random()).toFixed(2));
    counts.tags += Math.ceil((opts.bulkTags - slice) / 10);
    slice = (slice + 1) % 10;
  }, 100);

  // Alarm tags at 1 Hz; an episode holds one tag above its limit for EPISODE_HIGH_S samples.
  const started = Date.now();
  const highLeft = new Map<string, number>();
  const sample = (i: number): void => {
    const tag = ALARM_TAGS[i];
    const left = highLeft.get(tag.assetId) ?? 0;
    const value = left > 0 ? tag.high + 5 + Math.random() : tag.normal + Math.random();
    if (left > 0) {
      if (EPISODE_HIGH_S - left + 1 === opts.onDelaySamples) raisedAt.get(tag.assetId)?.push(Date.now());
      highLeft.set(tag.assetId, left - 1);
    }
    pub(tag.topic, tag.json ? JSON.stringify({ outlet_temp: Number(value.toFixed(1)), ts: new Date().toISOString() }) : value.toFixed(1));
    counts.tags += 1;
  };
  let next = 0;
  const alarmTimer = setInterval(() => {
    ALARM_TAGS.forEach((_, i) => sample(i));
    const elapsedS = Math.round((Date.now() - started) / 1000);
    if (elapsedS >= opts.episodeEverySec * (next + 1)) {
      highLeft.set(ALARM_TAGS[next % ALARM_TAGS.length].assetId, EPISODE_HIGH_S);
      next += 1;
    }
  }, 1000);

  // Cameras: one plant model each (CAM-901's record format, with its own camera and station), in 100 ms batches.
  const cams = Array.from({ length: opts.cameras }, (_, i) => new PlantModel(1000 + i));
  const topics = cams.map((_, i) => `vision/bedford/${cameraId(i).toLowerCase()}/inspection`);
  let owed = 0;
  const camTimer = setInterval(() => {
    owed += opts.unitsPerSecond / 10;
    for (; owed >= 1; owed -= 1) {
      cams.forEach((m, i) => pub(topics[i], JSON.stringify({ ...m.inspect(), cameraId: cameraId(i), station: stationId(i) })));
      counts.records += cams.length;
    }
  }, 100);
  // Coating drift at one station at a time, in turn: develops over about a minute of wall time, then the coater is fixed.
  let drifting = 0;
  const driftTimer = setInterval(() => {
    const m = cams[drifting++ % cams.length];
    if (!m) return;
    m.stop('coating-drift');
    m.start('coating-drift', 6 * 60);
    setTimeout(() => m.stop('coating-drift'), 90_000).unref();
  }, opts.driftEverySec * 1000);

  return {
    url, host: '127.0.0.1', port, raisedAt,
    published: () => ({ ...counts }),
    stop: async () => {
      for (const t of [bulkTimer, alarmTimer, camTimer, driftTimer]) clearInterval(t);
      await client.endAsync(true);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

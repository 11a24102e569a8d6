// MQTT side of the plant: an embedded broker (aedes) unless MQTT_URL names an existing one, plus
// the publishers: plain sensor topics once a second (a number per topic, or a JSON object, as
// field gateways publish them) and the AI-vision camera CAM-901 at press PRS-701, one inspection
// record per part. Both publish through an ordinary MQTT client, as a real device would.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import type { PlantModel } from './model';

export const MQTT_TOPICS = {
  conveyorMotorTemp: 'plant/bedford/area2/conv-301/motor_temp',
  conveyorBeltSpeed: 'plant/bedford/area2/conv-301/belt_speed',
  exchangerStatus: 'plant/bedford/area2/hx-601/status',
  camera: 'vision/bedford/cam-901/inspection',
} as const;

interface PlantMqtt {
  url: string;
  /** Set only when the broker is embedded. */
  port: number | null;
  published(): { sensors: number; records: number };
  stop(): Promise<void>;
}

interface MqttOptions {
  host: string;
  port: number;
  /** An existing broker instead of the embedded one. */
  url?: string;
  sensorIntervalMs?: number;
  /** Inspected parts per second. */
  cameraRate?: number;
}

export async function startMqtt(model: PlantModel, opts: MqttOptions): Promise<PlantMqtt> {
  let closeBroker: (() => Promise<void>) | null = null;
  let url = opts.url;
  let port: number | null = null;
  if (!url) {
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    url = `mqtt://${opts.host}:${port}`;
    closeBroker = async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  }
  const mqtt = await import('mqtt');
  const client = await mqtt.connectAsync(url, { clientId: `millwright-plant-sim-${process.pid}`, reconnectPeriod: 1000 });
  const counts = { sensors: 0, records: 0 };
  const publish = (topic: string, payload: string): void => {
    if (client.connected) client.publish(topic, payload, { qos: 0 });
  };
  const sensorTimer = setInterval(() => {
    const byKey = new Map(model.sample().map((s) => [s.key, s]));
    publish(MQTT_TOPICS.conveyorMotorTemp, String(byKey.get('motor_temp')?.value));
    publish(MQTT_TOPICS.conveyorBeltSpeed, String(byKey.get('belt_speed')?.value));
    const hx = byKey.get('outlet_temp');
    publish(MQTT_TOPICS.exchangerStatus, JSON.stringify({ outlet_temp: hx?.value, ts: new Date(hx?.sourceTime ?? Date.now()).toISOString() }));
    counts.sensors += 3;
  }, opts.sensorIntervalMs ?? 1000);
  // A camera publishes each part as it is inspected; batching per tick keeps the timer count low.
  const rate = opts.cameraRate ?? 20;
  const tickMs = 100;
  let owed = 0;
  const cameraTimer = rate > 0 ? setInterval(() => {
    owed += (rate * tickMs) / 1000;
    for (; owed >= 1; owed -= 1) {
      publish(MQTT_TOPICS.camera, JSON.stringify(model.inspect()));
      counts.records += 1;
    }
  }, tickMs) : null;
  return {
    url, port,
    published: () => ({ ...counts }),
    stop: async () => {
      clearInterval(sensorTimer);
      if (cameraTimer) clearInterval(cameraTimer);
      await client.endAsync(true);
      if (closeBroker) await closeBroker();
    },
  };
}

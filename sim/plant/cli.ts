// `npm run sim:plant`: the plant simulator on its own, until Ctrl-C.
// PLANT_PORT (page, default 8091), MODBUS_PORT (default 5020), OPCUA_PORT (default 4840),
// MQTT_PORT (default 1883) or MQTT_URL (an existing broker); 0 picks a free port.
// `npm run sim:plant -- bearing-wear` starts a scenario right away.
import { SCENARIOS, startPlantSim, type ScenarioId } from './index';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`${name}=${raw} is not a port number (0-65535)`);
  return v;
}

async function main(): Promise<void> {
  const auto = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  for (const id of auto) if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`unknown scenario "${id}": one of ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const sim = await startPlantSim({
    httpPort: port('PLANT_PORT', 8091), modbusPort: port('MODBUS_PORT', 5020), opcuaPort: port('OPCUA_PORT', 4840), mqttPort: port('MQTT_PORT', 1883),
    mqttUrl: process.env.MQTT_URL || undefined, autoStart: auto.map((id) => ({ id: id as ScenarioId })),
  });
  const e = sim.endpoints;
  console.log(`[plant] page and API: ${e.page}`);
  if (e.modbus) console.log(`[plant] Modbus TCP: ${e.modbus.host}:${e.modbus.port} unit ${e.modbus.unitId}`);
  if (e.opcua) console.log(`[plant] OPC UA: ${e.opcua.url}`);
  if (e.mqtt) console.log(`[plant] MQTT: ${e.mqtt.url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`[plant] ${signal}: stopping`);
    sim.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(`[plant] stop failed: ${(err as Error).message}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`[plant] could not start: ${(err as Error).message}`);
  process.exit(1);
});

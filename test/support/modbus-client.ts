// A Modbus TCP client as the tests use it against the plant simulator: unit 1, a 2 s answer timeout.
import ModbusRTU from 'modbus-serial';

import type { PlantSim } from '../../sim/plant';

export async function modbusClientFor(sim: PlantSim): Promise<ModbusRTU> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port: sim.endpoints.modbus?.port as number });
  client.setID(1);
  client.setTimeout(2000);
  return client;
}

export function closeModbusClient(client: ModbusRTU): Promise<void> {
  return new Promise<void>((resolve) => client.close(() => resolve()));
}

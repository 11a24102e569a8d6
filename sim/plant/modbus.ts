// The pump skid's PLC as a Modbus TCP server (modbus-serial's ServerTCP). The same four values are
// in two tables with the two word orders found in the field, so a flow can be tried on either:
//   holding registers 0–7 (FC3): float32, high word first (ABCD, "big-endian", e.g. Siemens);
//   input registers   0–7 (FC4): float32, low word first  (CDAB, "word-swapped", e.g. Schneider).
// Register n*2 holds signal n: 0 vibration mm/s, 2 bearing temperature °C, 4 discharge pressure bar,
// 6 motor current A. Like a real PLC it answers exception 02 (Illegal Data Address) for registers
// outside its map (Modbus Application Protocol V1.1b3, §7), and only unit id 1 answers.
// In the many-tags mode (sim/plant/many.ts) both tables also hold bulk tags from register 100.
import net from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { ServerTCP } from 'modbus-serial';

import { bulkModbusIndex, bulkModbusSplit, bulkValue, BULK_MODBUS_BASE, type BulkTable } from './many';
import type { PlantModel } from './model';

export const MODBUS_UNIT_ID = 1;
export const MODBUS_ORDER = ['vibration', 'bearing_temp', 'discharge_pressure', 'motor_current'] as const;
const REGISTERS = MODBUS_ORDER.length * 2;

/** The two 16-bit words of a float32, high word first. */
export function floatWords(value: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(value, 0);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface PlantModbus {
  port: number;
  stop(): Promise<void>;
}

export async function startModbus(model: PlantModel, opts: { host: string; port: number; bulkTags?: number }): Promise<PlantModbus> {
  const bulkTags = opts.bulkTags ?? 0;
  const words = (swap: boolean): number[] => {
    const byKey = new Map(model.sample().map((s) => [s.key, s]));
    const out: number[] = [];
    for (const key of MODBUS_ORDER) {
      const [hi, lo] = floatWords(byKey.get(key)?.value ?? Number.NaN);
      out.push(...(swap ? [lo, hi] : [hi, lo]));
    }
    return out;
  };
  // One read is either inside the reference map or inside the bulk range, as a PLC's data blocks are.
  const bulkWords = (table: BulkTable, addr: number, length: number): number[] => {
    const t = Date.now();
    const out: number[] = [];
    for (let r = addr; r < addr + length; r++) {
      const j = bulkModbusIndex(table, r, bulkTags) as number;
      const [hi, lo] = floatWords(bulkValue('modbus', j, t));
      const first = (r - BULK_MODBUS_BASE) % 2 === 0;
      out.push(table === 'input' ? (first ? lo : hi) : (first ? hi : lo));
    }
    return out;
  };
  const block = (table: BulkTable) => (addr: number, length: number): number[] => {
    if (length >= 1 && addr >= 0 && addr + length <= REGISTERS) return words(table === 'input').slice(addr, addr + length);
    const bulkEnd = BULK_MODBUS_BASE + 2 * bulkModbusSplit(bulkTags)[table];
    if (length >= 1 && addr >= BULK_MODBUS_BASE && addr + length <= bulkEnd) return bulkWords(table, addr, length);
    throw Object.assign(new Error('illegal data address'), { modbusErrorCode: 0x02 });
  };
  const holding = block('holding');
  const input = block('input');
  const vector = {
    getMultipleHoldingRegisters: (addr: number, length: number): number[] => holding(addr, length),
    getMultipleInputRegisters: (addr: number, length: number): number[] => input(addr, length),
    getHoldingRegister: (addr: number): number => holding(addr, 1)[0],
    getInputRegister: (addr: number): number => input(addr, 1)[0],
    // The skid is read-only: writes are refused as a PLC with a protected map does (exception 01).
    setRegister: (): void => { throw Object.assign(new Error('read only'), { modbusErrorCode: 0x01 }); },
  };
  // ServerTCP reads port 0 as "the default 502", so a free port is found first.
  const port = opts.port === 0 ? await freePort(opts.host) : opts.port;
  const server = new ServerTCP(vector, { host: opts.host, port, unitID: MODBUS_UNIT_ID });
  // Requests for another unit id get no answer at all, as from a device that is not there.
  // modbus-serial keeps its net.Server on `_server` (not in its typings); the bound port is read from it.
  const listener = (server as unknown as { _server: Server })._server;
  await new Promise<void>((resolve, reject) => {
    if (listener.listening) return resolve();
    server.on('initialized', () => resolve());
    server.on('serverError', reject);
  });
  server.on('socketError', () => undefined);
  return {
    port: (listener.address() as AddressInfo).port,
    // close() also destroys the open client sockets.
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

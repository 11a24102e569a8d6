// The plant's "many tags" mode, for the gateway-day benchmark (bench/gateway): hundreds of extra
// tags on the same PLC and OPC UA server, so a gateway reads a realistic share of its 2,000 tags
// over Modbus and OPC UA and not only over MQTT. Off unless `startPlantSim({ manyTags })` asks for
// it: `npm start` and `npm run sim:plant` never start it.
//
// Modbus (unit 1, the pump skid's PLC): the first half of the bulk tags are float32 ABCD in holding
// registers from BULK_MODBUS_BASE, the second half float32 CDAB in input registers from the same
// address (the two word orders of the reference map). A gateway reads them in blocks of at most
// BULK_BLOCK_REGISTERS (a read of holding/input registers carries 1–125 registers: Modbus
// Application Protocol V1.1b3 §6.3/§6.4). Registers between the reference map (0–7) and the bulk
// range still answer exception 02.
//
// OPC UA: variables `ns=1;s=BULK.T0000`… (Double, with a source timestamp, status Good) under
// Objects/BULK.
//
// Every bulk value moves a little every second (a slow sine, different per tag) so that an OPC UA
// subscription reports each tag once a second, as a live process value would.

export interface ManyTags {
  /** Bulk tags on the Modbus PLC (holding + input registers). */
  modbus: number;
  /** Bulk variables on the OPC UA server. */
  opcua: number;
}

/** First register of the bulk tags in both the holding and the input table. */
export const BULK_MODBUS_BASE = 100;
/** Registers per block read: 60 float32 tags, under the 125-register limit of FC3/FC4. */
export const BULK_BLOCK_REGISTERS = 120;
/** Most bulk tags a table can hold (addresses up to 65535). */
const MAX_BULK_PER_TABLE = Math.floor((65536 - BULK_MODBUS_BASE) / 2);

export type BulkTable = 'holding' | 'input';

interface BulkModbusTag {
  table: BulkTable;
  /** First of the tag's two registers. */
  address: number;
  wordOrder: 'ABCD' | 'CDAB';
}

/** How many bulk tags each table holds: the first half (rounded up) holding, the rest input. */
export function bulkModbusSplit(count: number): Record<BulkTable, number> {
  const holding = Math.ceil(count / 2);
  return { holding, input: count - holding };
}

/** Where bulk Modbus tag `j` (0 … count-1) lives. */
export function bulkModbusTag(j: number, count: number): BulkModbusTag {
  const { holding } = bulkModbusSplit(count);
  return j < holding
    ? { table: 'holding', address: BULK_MODBUS_BASE + 2 * j, wordOrder: 'ABCD' }
    : { table: 'input', address: BULK_MODBUS_BASE + 2 * (j - holding), wordOrder: 'CDAB' };
}

/** The bulk tag index at register `address` of `table`, or null outside the bulk range. */
export function bulkModbusIndex(table: BulkTable, address: number, count: number): number | null {
  const split = bulkModbusSplit(count);
  const k = Math.floor((address - BULK_MODBUS_BASE) / 2);
  if (address < BULK_MODBUS_BASE || k >= split[table]) return null;
  return table === 'holding' ? k : split.holding + k;
}

/** The register blocks a gateway reads to cover every bulk tag of a table. */
export function bulkModbusBlocks(count: number): Array<{ table: BulkTable; address: number; quantity: number }> {
  const out: Array<{ table: BulkTable; address: number; quantity: number }> = [];
  const split = bulkModbusSplit(count);
  for (const table of ['holding', 'input'] as const) {
    const registers = 2 * split[table];
    for (let r = 0; r < registers; r += BULK_BLOCK_REGISTERS) {
      out.push({ table, address: BULK_MODBUS_BASE + r, quantity: Math.min(BULK_BLOCK_REGISTERS, registers - r) });
    }
  }
  return out;
}

/** The OPC UA node id of bulk variable `j`. */
export function bulkOpcuaNodeId(j: number): string {
  return `ns=1;s=BULK.T${String(j).padStart(4, '0')}`;
}

/** A bulk tag's value at time `t` (ms): 20–70 by tag, ±2 over a minute, 3 decimals. */
export function bulkValue(protocol: 'modbus' | 'opcua', j: number, t: number): number {
  const phase = (protocol === 'modbus' ? 0 : 0.5) + j;
  return Math.round((20 + (j % 50) + 2 * Math.sin((2 * Math.PI * t) / 60_000 + phase)) * 1000) / 1000;
}

/** Rejects counts the servers cannot hold, with the reason. */
export function checkManyTags(m: ManyTags): void {
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`manyTags.${k} must be a whole number ≥ 0, got ${String(v)}`);
  }
  if (bulkModbusSplit(m.modbus).holding > MAX_BULK_PER_TABLE) throw new Error(`manyTags.modbus: at most ${2 * MAX_BULK_PER_TABLE} tags fit in the register tables`);
}

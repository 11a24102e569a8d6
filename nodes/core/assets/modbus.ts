// Modbus register tables and the decoding of values from 16-bit registers. node-red-contrib-modbus
// hands over registers as unsigned 16-bit numbers (and coils as booleans); a PLC's 32-bit values span
// two registers in one of four byte orders, which is the usual source of "the pressure reads 1.4e-38".
import type { ByteOrder, DataType, Decode, ModbusTable } from './types';

const TABLE_NAMES: Record<string, ModbusTable> = {
  coil: 'coil', coils: 'coil', '1': 'coil', fc1: 'coil',
  discrete: 'discrete', 'discrete input': 'discrete', 'discrete inputs': 'discrete', '2': 'discrete', fc2: 'discrete',
  holding: 'holding', 'holding register': 'holding', 'holding registers': 'holding', '3': 'holding', fc3: 'holding',
  input: 'input', 'input register': 'input', 'input registers': 'input', '4': 'input', fc4: 'input',
};

/** A table name or read function code as people write it ("holding", 3, "fc3"); null if unknown. */
export function parseTable(v: string | number | undefined): ModbusTable | null {
  if (v === undefined) return null;
  return TABLE_NAMES[String(v).trim().toLowerCase()] ?? null;
}

/** The table a read function code reads; null for anything else (writes, diagnostics). */
export function tableOfFunctionCode(fc: number): ModbusTable | null {
  switch (fc) {
    case 1: return 'coil';
    case 2: return 'discrete';
    case 3: return 'holding';
    case 4: return 'input';
    default: return null;
  }
}

export const isBitTable = (t: ModbusTable): boolean => t === 'coil' || t === 'discrete';

const ORDER_NAMES: Record<string, ByteOrder> = {
  abcd: 'ABCD', big: 'ABCD', 'big-endian': 'ABCD', 'high-first': 'ABCD',
  cdab: 'CDAB', little: 'CDAB', 'word-swap': 'CDAB', swap: 'CDAB', 'low-first': 'CDAB',
  badc: 'BADC', 'byte-swap': 'BADC',
  dcba: 'DCBA', 'little-endian': 'DCBA',
};

export function parseByteOrder(v: string | undefined): ByteOrder | null {
  if (v === undefined || v.trim() === '') return 'ABCD';
  return ORDER_NAMES[v.trim().toLowerCase()] ?? null;
}

/** Registers one value occupies. */
export function widthOf(dataType: DataType | null, table: ModbusTable): number {
  if (isBitTable(table)) return 1;
  return dataType === 'int32' || dataType === 'uint32' || dataType === 'float32' ? 2 : 1;
}

export type Decoded = { ok: true; value: number | boolean } | { ok: false; error: string };

const scratch = new DataView(new ArrayBuffer(4));

/** A register as delivered: an integer 0..65535 (a signed -32768..-1 is taken as its bit pattern). */
function register(words: ArrayLike<unknown>, i: number): number | string {
  if (i >= words.length) return `register ${i + 1} is missing (the block has ${words.length})`;
  const v = words[i];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -32768 || v > 65535) {
    return `register ${i + 1} is ${typeof v === 'number' ? String(v) : typeof v}, not a 16-bit register value`;
  }
  return v & 0xffff;
}

function bitValue(words: ArrayLike<unknown>, i: number): boolean | string {
  if (i >= words.length) return `bit ${i + 1} is missing (the block has ${words.length})`;
  const v = words[i];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  return `bit ${i + 1} is ${typeof v === 'number' ? String(v) : typeof v}, not a coil value`;
}

function put4(order: ByteOrder, r0: number, r1: number): void {
  const hi0 = r0 >>> 8;
  const lo0 = r0 & 0xff;
  const hi1 = r1 >>> 8;
  const lo1 = r1 & 0xff;
  // Bytes A B C D of the big-endian value, as each order lays them over the two registers.
  switch (order) {
    case 'ABCD': scratch.setUint8(0, hi0); scratch.setUint8(1, lo0); scratch.setUint8(2, hi1); scratch.setUint8(3, lo1); break;
    case 'CDAB': scratch.setUint8(0, hi1); scratch.setUint8(1, lo1); scratch.setUint8(2, hi0); scratch.setUint8(3, lo0); break;
    case 'BADC': scratch.setUint8(0, lo0); scratch.setUint8(1, hi0); scratch.setUint8(2, lo1); scratch.setUint8(3, hi1); break;
    case 'DCBA': scratch.setUint8(0, lo1); scratch.setUint8(1, hi1); scratch.setUint8(2, lo0); scratch.setUint8(3, hi0); break;
  }
}

const swapBytes = (r: number): number => ((r & 0xff) << 8) | (r >>> 8);

/** The raw (unscaled) value at `index` of a block read from `table`. */
export function decodeRaw(words: ArrayLike<unknown>, index: number, table: ModbusTable, d: Decode): Decoded {
  if (isBitTable(table)) {
    const b = bitValue(words, index);
    return typeof b === 'string' ? { ok: false, error: b } : { ok: true, value: b };
  }
  const r0 = register(words, index);
  if (typeof r0 === 'string') return { ok: false, error: r0 };
  const type = d.dataType ?? 'uint16';
  const byteSwapped = d.byteOrder === 'BADC' || d.byteOrder === 'DCBA';
  if (type === 'bool' || d.bit !== null) {
    const word = byteSwapped ? swapBytes(r0) : r0;
    return { ok: true, value: d.bit !== null ? ((word >>> d.bit) & 1) === 1 : word !== 0 };
  }
  if (type === 'uint16' || type === 'int16') {
    const word = byteSwapped ? swapBytes(r0) : r0;
    return { ok: true, value: type === 'int16' && word > 0x7fff ? word - 0x10000 : word };
  }
  const r1 = register(words, index + 1);
  if (typeof r1 === 'string') return { ok: false, error: r1 };
  put4(d.byteOrder, r0, r1);
  if (type === 'float32') {
    const f = scratch.getFloat32(0, false);
    if (!Number.isFinite(f)) return { ok: false, error: `registers ${index + 1}-${index + 2} hold ${String(f)} as float32` };
    // A float32 carries about 7 significant digits; the rest is binary noise (0.1 → 0.10000000149).
    return { ok: true, value: Number(f.toPrecision(7)) };
  }
  return { ok: true, value: type === 'int32' ? scratch.getInt32(0, false) : scratch.getUint32(0, false) };
}

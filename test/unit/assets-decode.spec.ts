import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeRaw, parseByteOrder, parseTable, tableOfFunctionCode, widthOf } from '../../nodes/core/assets/modbus';
import type { ByteOrder, DataType, Decode } from '../../nodes/core/assets/types';

const d = (over: Partial<Decode> = {}): Decode => ({ scale: 1, offset: 0, dataType: 'uint16', byteOrder: 'ABCD', bit: null, min: null, max: null, ...over });

/** The two registers a PLC sends for a 32-bit value written big-endian, then laid out in `order`. */
function registersFor(bytes: number[], order: ByteOrder): [number, number] {
  const [A, B, C, D] = bytes;
  switch (order) {
    case 'ABCD': return [(A << 8) | B, (C << 8) | D];
    case 'CDAB': return [(C << 8) | D, (A << 8) | B];
    case 'BADC': return [(B << 8) | A, (D << 8) | C];
    case 'DCBA': return [(D << 8) | C, (B << 8) | A];
  }
}

function bytesOf(kind: 'f32' | 'i32' | 'u32', v: number): number[] {
  const view = new DataView(new ArrayBuffer(4));
  if (kind === 'f32') view.setFloat32(0, v);
  else if (kind === 'i32') view.setInt32(0, v);
  else view.setUint32(0, v);
  return [0, 1, 2, 3].map((i) => view.getUint8(i));
}

describe('assets: Modbus decoding', () => {
  it('reads 16-bit values as unsigned or signed', () => {
    assert.deepEqual(decodeRaw([0xfff6], 0, 'holding', d({ dataType: 'uint16' })), { ok: true, value: 65526 });
    assert.deepEqual(decodeRaw([0xfff6], 0, 'holding', d({ dataType: 'int16' })), { ok: true, value: -10 });
    assert.deepEqual(decodeRaw([0x7fff], 0, 'holding', d({ dataType: 'int16' })), { ok: true, value: 32767 });
    assert.deepEqual(decodeRaw([0x8000], 0, 'holding', d({ dataType: 'int16' })), { ok: true, value: -32768 });
    // Some drivers already hand over signed values: the bit pattern is what counts.
    assert.deepEqual(decodeRaw([-10], 0, 'holding', d({ dataType: 'uint16' })), { ok: true, value: 65526 });
  });

  it('swaps the bytes of a 16-bit value for BADC and DCBA', () => {
    assert.deepEqual(decodeRaw([0x0201], 0, 'input', d({ dataType: 'uint16', byteOrder: 'BADC' })), { ok: true, value: 0x0102 });
    assert.deepEqual(decodeRaw([0x0201], 0, 'input', d({ dataType: 'uint16', byteOrder: 'CDAB' })), { ok: true, value: 0x0201 });
  });

  for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
    it(`decodes float32, int32 and uint32 in ${order} order`, () => {
      const cases: Array<[DataType, 'f32' | 'i32' | 'u32', number]> = [
        ['float32', 'f32', 12.5], ['float32', 'f32', -0.15625], ['int32', 'i32', -123456789], ['int32', 'i32', 2147483647],
        ['uint32', 'u32', 4000000000], ['uint32', 'u32', 65536],
      ];
      for (const [type, kind, value] of cases) {
        const regs = registersFor(bytesOf(kind, value), order);
        assert.deepEqual(decodeRaw([7, ...regs], 1, 'holding', d({ dataType: type, byteOrder: order })), { ok: true, value }, `${type} ${value}`);
      }
    });
  }

  it('gives float32 with the precision a float32 has, not binary noise', () => {
    const regs = registersFor(bytesOf('f32', 0.1), 'ABCD');
    assert.deepEqual(decodeRaw(regs, 0, 'holding', d({ dataType: 'float32' })), { ok: true, value: 0.1 });
  });

  it('round-trips any float32 whose 7 significant digits identify it', () => {
    fc.assert(fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom<ByteOrder>('ABCD', 'CDAB', 'BADC', 'DCBA'), (f, order) => {
      const r = decodeRaw(registersFor(bytesOf('f32', f), order), 0, 'holding', d({ dataType: 'float32', byteOrder: order }));
      assert.ok(r.ok);
      assert.equal(r.value, Number(Math.fround(f).toPrecision(7)));
    }));
  });

  it('reads bits of a status word and coils as booleans', () => {
    assert.deepEqual(decodeRaw([0b1010], 0, 'holding', d({ bit: 1 })), { ok: true, value: true });
    assert.deepEqual(decodeRaw([0b1010], 0, 'holding', d({ bit: 2 })), { ok: true, value: false });
    assert.deepEqual(decodeRaw([0, 3], 1, 'holding', d({ dataType: 'bool' })), { ok: true, value: true });
    assert.deepEqual(decodeRaw([true, false, 1], 2, 'coil', d({ dataType: 'bool' })), { ok: true, value: true });
    assert.deepEqual(decodeRaw([true, false], 1, 'discrete', d({ dataType: 'bool' })), { ok: true, value: false });
  });

  it('refuses missing registers, NaN, text and out-of-range values with the position', () => {
    const no = (r: ReturnType<typeof decodeRaw>): string => (r.ok ? 'ok' : r.error);
    assert.match(no(decodeRaw([1], 0, 'holding', d({ dataType: 'float32' }))), /register 2 is missing \(the block has 1\)/);
    assert.match(no(decodeRaw([1, Number.NaN], 0, 'holding', d({ dataType: 'int32' }))), /register 2 is NaN/);
    assert.match(no(decodeRaw(['12'], 0, 'holding', d())), /register 1 is string/);
    assert.match(no(decodeRaw([70000], 0, 'holding', d())), /register 1 is 70000/);
    assert.match(no(decodeRaw([1.5], 0, 'holding', d())), /register 1 is 1.5/);
    assert.match(no(decodeRaw(['x'], 0, 'coil', d({ dataType: 'bool' }))), /bit 1 is string/);
    const nan = registersFor([0x7f, 0xc0, 0, 0], 'ABCD');
    assert.match(no(decodeRaw(nan, 0, 'holding', d({ dataType: 'float32' }))), /hold NaN as float32/);
  });

  it('knows tables by name or function code, and byte orders by their usual names', () => {
    assert.equal(parseTable('Holding Registers'), 'holding');
    assert.equal(parseTable(3), 'holding');
    assert.equal(parseTable('fc4'), 'input');
    assert.equal(parseTable('coils'), 'coil');
    assert.equal(parseTable(2), 'discrete');
    assert.equal(parseTable('registers'), null);
    assert.equal(tableOfFunctionCode(16), null);
    assert.equal(parseByteOrder('little'), 'CDAB');
    assert.equal(parseByteOrder('big'), 'ABCD');
    assert.equal(parseByteOrder(''), 'ABCD');
    assert.equal(parseByteOrder('dcba'), 'DCBA');
    assert.equal(parseByteOrder('middle'), null);
    assert.equal(widthOf('float32', 'holding'), 2);
    assert.equal(widthOf('float32', 'coil'), 1);
    assert.equal(widthOf(null, 'input'), 1);
  });
});

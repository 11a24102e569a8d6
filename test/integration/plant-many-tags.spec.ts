// The plant simulator's many-tags mode (sim/plant/many.ts), read as a gateway reads it: Modbus
// register blocks with a real Modbus TCP client, bulk OPC UA variables with a real OPC UA client.
// And the default (the demo's) has none of it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type ModbusRTU from 'modbus-serial';

import { BULK_BLOCK_REGISTERS, BULK_MODBUS_BASE, bulkModbusBlocks, bulkModbusTag, bulkOpcuaNodeId, bulkValue, startPlantSim, type PlantSim } from '../../sim/plant';
import { closeModbusClient, modbusClientFor } from '../support/modbus-client';

const fromOpcua = createRequire(require.resolve('node-red-contrib-opcua/package.json'));
// node-opcua is untyped here on purpose: only the few client calls below are used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const opcua = fromOpcua('node-opcua') as any;

/** Values move ±2 over a minute (at most ~0.21 per second): a read is compared with the value around its time. */
const TOLERANCE = 0.5;

function decode(words: number[], at: number, order: 'ABCD' | 'CDAB'): number {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(order === 'ABCD' ? words[at] : words[at + 1], 0);
  b.writeUInt16BE(order === 'ABCD' ? words[at + 1] : words[at], 2);
  return b.readFloatBE(0);
}

describe('plant simulator: many-tags mode', function () {
  this.timeout(60_000);
  const COUNT = 125; // 63 holding + 62 input tags: three blocks, the last ones short
  let sim: PlantSim;
  let client: ModbusRTU;
  let dataDir: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-many-'));
    sim = await startPlantSim({ protocols: ['modbus', 'opcua'], dataDir, manyTags: { modbus: COUNT, opcua: 5 } });
    client = await modbusClientFor(sim);
  });
  after(async () => {
    await closeModbusClient(client);
    await sim.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('blocks cover every bulk tag once, none over the 125-register limit of a read', function () {
    const blocks = bulkModbusBlocks(COUNT);
    assert.ok(blocks.every((b) => b.quantity <= BULK_BLOCK_REGISTERS && b.quantity <= 125 && b.quantity % 2 === 0));
    const covered = new Set<string>();
    for (const b of blocks) for (let r = b.address; r < b.address + b.quantity; r += 2) covered.add(`${b.table}/${r}`);
    const tags = Array.from({ length: COUNT }, (_, j) => bulkModbusTag(j, COUNT));
    assert.equal(covered.size, COUNT);
    for (const t of tags) assert.ok(covered.has(`${t.table}/${t.address}`), `${t.table} ${t.address}`);
    assert.equal(tags.filter((t) => t.table === 'holding').length, 63);
  });

  it('serves every bulk tag as float32 in its block, holding ABCD and input CDAB, the reference map unchanged', async () => {
    for (const b of bulkModbusBlocks(COUNT)) {
      const t = Date.now();
      const words = (b.table === 'holding' ? await client.readHoldingRegisters(b.address, b.quantity) : await client.readInputRegisters(b.address, b.quantity)).data;
      assert.equal(words.length, b.quantity);
      for (let j = 0; j < COUNT; j++) {
        const tag = bulkModbusTag(j, COUNT);
        if (tag.table !== b.table || tag.address < b.address || tag.address >= b.address + b.quantity) continue;
        const v = decode(words, tag.address - b.address, tag.wordOrder);
        assert.ok(Math.abs(v - bulkValue('modbus', j, t)) < TOLERANCE, `tag ${j} (${tag.table} ${tag.address}): ${v} vs ${bulkValue('modbus', j, t)}`);
      }
    }
    const ref = (await client.readHoldingRegisters(0, 8)).data;
    assert.ok(Math.abs(decode(ref, 0, 'ABCD') - 2.8) < 0.5, 'vibration still at holding 0');
  });

  it('answers exception 02 between the maps, past the bulk range and for a read across both', async () => {
    const illegal = (e: { modbusCode?: number }): boolean => e.modbusCode === 2;
    await assert.rejects(client.readHoldingRegisters(8, 2), illegal);
    await assert.rejects(client.readHoldingRegisters(BULK_MODBUS_BASE - 2, 4), illegal);
    await assert.rejects(client.readHoldingRegisters(BULK_MODBUS_BASE + 2 * 63 - 2, 4), illegal);
    await assert.rejects(client.readInputRegisters(BULK_MODBUS_BASE + 2 * 62, 2), illegal);
  });

  it('serves the bulk OPC UA variables with status Good and a moving value', async () => {
    const ua = opcua.OPCUAClient.create({
      endpointMustExist: false, connectionStrategy: { maxRetry: 1 },
      // Its own certificate store in the temp folder, not the user's home.
      clientCertificateManager: new opcua.OPCUACertificateManager({ rootFolder: path.join(dataDir, 'client-pki'), automaticallyAcceptUnknownCertificate: true }),
    });
    await ua.connect(sim.endpoints.opcua?.url);
    try {
      const session = await ua.createSession();
      const t = Date.now();
      const dv = await session.read({ nodeId: bulkOpcuaNodeId(4), attributeId: opcua.AttributeIds.Value });
      assert.equal(dv.statusCode.name, 'Good');
      assert.ok(Math.abs(dv.value.value - bulkValue('opcua', 4, t)) < TOLERANCE, `${dv.value.value} vs ${bulkValue('opcua', 4, t)}`);
      const missing = await session.read({ nodeId: bulkOpcuaNodeId(5), attributeId: opcua.AttributeIds.Value });
      assert.equal(missing.statusCode.name, 'BadNodeIdUnknown');
      await session.close();
    } finally {
      await ua.disconnect();
    }
  });

  it('is off by default: the demo plant answers exception 02 at register 100', async () => {
    const plain = await startPlantSim({ protocols: ['modbus'] });
    try {
      const c = await modbusClientFor(plain);
      try {
        await assert.rejects(c.readHoldingRegisters(BULK_MODBUS_BASE, 2), (e: { modbusCode?: number }) => e.modbusCode === 2);
      } finally {
        await closeModbusClient(c);
      }
    } finally {
      await plain.stop();
    }
  });

  it('refuses a count it cannot hold', async () => {
    await assert.rejects(startPlantSim({ protocols: ['modbus'], manyTags: { modbus: -1, opcua: 0 } }), /manyTags.modbus must be a whole number/);
    await assert.rejects(startPlantSim({ protocols: ['modbus'], manyTags: { modbus: 70_000, opcua: 0 } }), /at most/);
  });
});

import assert from 'node:assert/strict';
import http from 'node:http';
import type ModbusRTU from 'modbus-serial';

import { floatWords, PlantModel, SCENARIOS, startPlantSim, type PlantSim } from '../../sim/plant';
import { closeModbusClient, modbusClientFor } from '../support/modbus-client';

function request(method: string, url: string, body?: object): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('plant simulator: model', function () {
  it('scenarios bend only their own signals, over plant time shortened by the factor', function () {
    let now = 0;
    const model = new PlantModel(1, () => now);
    const value = (key: string): number => model.sample().find((s) => s.key === key)?.value as number;
    assert.ok(Math.abs(value('vibration') - 2.8) < 0.5);
    model.start('bearing-wear', 3600);
    now = 8_000; // 8 s × 3600 = the scenario's 8 plant hours
    assert.equal(model.progress('bearing-wear'), 1);
    assert.ok(value('vibration') > 11, String(value('vibration')));
    assert.ok(value('bearing_temp') > 95);
    assert.ok(Math.abs(value('DischargeTemperature') - 82) < 2, 'the compressor is not part of bearing wear');
    model.reset();
    assert.ok(value('vibration') < 4);
  });

  it('a frozen sensor keeps value and source time with status good; a failed one says bad', function () {
    let now = 1_000;
    const model = new PlantModel(1, () => now);
    model.start('sensor-freeze');
    const first = model.sample().find((s) => s.key === 'WindingTemperature');
    now = 60_000;
    const later = model.sample().find((s) => s.key === 'WindingTemperature');
    assert.deepEqual(later, first);
    assert.equal(later?.quality, 'good');
    model.start('bad-quality');
    assert.equal(model.sample().find((s) => s.key === 'Current')?.quality, 'bad');
  });

  it('refuses an unknown scenario and a nonsense factor, naming the valid ones', function () {
    const model = new PlantModel();
    assert.throws(() => model.start('meltdown'), new RegExp(SCENARIOS.map((s) => s.id).join(', ')));
    assert.throws(() => model.start('bearing-wear', 0), /factor/);
  });

  it('the camera reports the press and its hole growing with tool wear', function () {
    let now = 0;
    const model = new PlantModel(7, () => now);
    const mean = (n: number): number => { let s = 0; for (let i = 0; i < n; i++) s += model.inspect().measurements.bore; return s / n; };
    const healthy = mean(200);
    model.start('tool-wear', 3600);
    now = 6_000;
    const worn = mean(200);
    assert.ok(worn - healthy > 0.015, `${healthy} → ${worn}`);
    const r = model.inspect();
    assert.equal(r.cameraId, 'CAM-901');
    assert.equal(r.station, 'PRS-701');
    assert.equal(r.measurements.coating.length, 5);
  });
});

describe('plant simulator: Modbus server and HTTP API', function () {
  this.timeout(20_000);
  let sim: PlantSim;
  let client: ModbusRTU;

  before(async () => {
    sim = await startPlantSim({ protocols: ['modbus'] });
    client = await modbusClientFor(sim);
  });
  after(async () => {
    await closeModbusClient(client);
    await sim.stop();
  });

  const floats = (words: number[], swap: boolean): number[] => {
    const out: number[] = [];
    for (let i = 0; i < words.length; i += 2) {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(swap ? words[i + 1] : words[i], 0);
      b.writeUInt16BE(swap ? words[i] : words[i + 1], 2);
      out.push(b.readFloatBE(0));
    }
    return out;
  };

  it('serves the pump skid as float32: holding registers high word first, input registers low word first', async () => {
    const holding = floats((await client.readHoldingRegisters(0, 8)).data, false);
    const input = floats((await client.readInputRegisters(0, 8)).data, true);
    for (const [values, name] of [[holding, 'holding'], [input, 'input']] as const) {
      assert.ok(Math.abs(values[0] - 2.8) < 0.5, `${name} vibration ${values[0]}`);
      assert.ok(Math.abs(values[1] - 62) < 2, `${name} bearing ${values[1]}`);
      assert.ok(Math.abs(values[2] - 4.2) < 0.3, `${name} pressure ${values[2]}`);
      assert.ok(Math.abs(values[3] - 118) < 3, `${name} current ${values[3]}`);
    }
    assert.deepEqual(floatWords(1), [0x3f80, 0x0000]);
  });

  it('answers exception 02 (Illegal Data Address) outside its map, as a PLC does', async () => {
    await assert.rejects(client.readHoldingRegisters(6, 4), (e: { modbusCode?: number }) => e.modbusCode === 2);
  });

  it('starts and stops a scenario over HTTP, and says what is wrong with a bad request', async () => {
    const started = await request('POST', `${sim.url}/api/scenarios/bearing-wear/start`, { factor: 500 });
    assert.equal(started.status, 200);
    const state = await request('GET', `${sim.url}/api/state`);
    const scenarios = state.json.scenarios as Array<{ id: string; running: boolean; factor: number | null }>;
    const wear = scenarios.find((s) => s.id === 'bearing-wear');
    assert.equal(wear?.running, true);
    assert.equal(wear?.factor, 500);
    assert.ok(Array.isArray(state.json.signals));
    const bad = await request('POST', `${sim.url}/api/scenarios/meltdown/start`);
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /unknown scenario "meltdown"/);
    assert.equal((await request('POST', `${sim.url}/api/scenarios/bearing-wear/stop`)).status, 200);
    const after = (await request('GET', `${sim.url}/api/state`)).json.scenarios as Array<{ id: string; running: boolean }>;
    assert.equal(after.find((s) => s.id === 'bearing-wear')?.running, false);
  });
});

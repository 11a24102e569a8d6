import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { validateAssetReadings, type AssetReadings } from '../../nodes/core/contracts';
import type { RegistryHandle } from '../../nodes/core/assets/handle';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, REPO_ROOT, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type FlowNode = { id: string; type: string; wires?: string[][]; [k: string]: unknown };
type Msg = { topic?: string; payload: unknown; reason?: string };

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'Asset map from MQTT, Modbus, OPC UA and vision.json');

describe('mw-asset-map: the example flow does what its comment says', function () {
  this.timeout(20000);
  withUserDir('mw-map-ex-');

  it('each button gives the readings or exception it promises', async () => {
    const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    // The debug nodes become test sinks; everything else is loaded as exported.
    // Import puts flow nodes (those with a position) on the current tab; config nodes stay global.
    const flow: FlowNode[] = [{ id: 'tab', type: 'tab' }, ...example.filter((n) => n.type !== 'debug' && n.type !== 'comment')
      .map((n) => ('x' in n ? { ...n, z: 'tab' } : n))];
    flow.push({ id: 'ex-am-readings', type: 'helper', z: 'tab' }, { id: 'ex-am-exceptions', type: 'helper', z: 'tab' });
    // Core nodes, loaded as the runtime loads them (CommonJS).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = (f: string): NodeModule => require(require.resolve(`@node-red/nodes/core/common/${f}`)) as NodeModule;
    await helper.load([...['mw-cmms', 'mw-asset-registry', 'mw-asset-map'].map((n) => nodeModule(n) as NodeModule), core('20-inject.js')], flow);
    await (helper.getNode('ex-am-registry') as unknown as RegistryHandle).service?.whenSettled();
    const readings: Msg[] = [];
    const exceptions: Msg[] = [];
    (helper.getNode('ex-am-readings') as unknown as EventEmitter).on('input', (m: Msg) => readings.push(m));
    (helper.getNode('ex-am-exceptions') as unknown as EventEmitter).on('input', (m: Msg) => exceptions.push(m));
    const press = async (id: string): Promise<void> => {
      (helper.getNode(id) as Node).receive({} as never);
      await new Promise((r) => setTimeout(r, 100));
    };
    for (const id of ['ex-am-mqtt', 'ex-am-json', 'ex-am-opcua', 'ex-am-modbus', 'ex-am-vision', 'ex-am-range', 'ex-am-unmapped', 'ex-am-list']) await press(id);
    for (const m of readings) assert.deepEqual(validateAssetReadings(m.payload), { ok: true, value: m.payload });
    const summary = readings.map((m) => {
      const p = m.payload as AssetReadings;
      return `${p.asset.id} ${p.readings.map((r) => `${r.metric}=${String(r.value)}${r.quality === 'good' ? '' : `(${r.quality})`}`).join(' ')}`;
    });
    assert.deepEqual(summary, [
      'PUMP-101 vibration=4.2',
      'PUMP-102 vibration=3.1 temp=61.5',
      'PUMP-101 pressure=3.25',
      'PUMP-101 flow=12.5',
      'PUMP-102 flow=-2.5',
      'CAM-901 inspection=fail width=12.02',
      'PUMP-101 vibration=60(bad)',
    ]);
    assert.deepEqual(exceptions.map((m) => m.reason ?? m.topic), ['out-of-range', 'unmapped', 'unmapped']);
    assert.deepEqual((exceptions[2].payload as Array<{ identifier: string }>).map((u) => u.identifier), ['plant/line9/p999/vib']);
  });
});

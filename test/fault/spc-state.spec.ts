// The drift node's state file under damage: a corrupt file is moved aside and learning starts
// again; a state directory that cannot be written leaves the node monitoring (in memory) with a
// red status and an error in the log, never a crash.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { MaintenanceEvent } from '../../nodes/core/contracts';
import { PartStream, partSpecRows } from '../support/spc-parts';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Spied = Node & { warn: { args: unknown[][] }; error: { args: unknown[][] }; status: { args: unknown[][] } };

const flow = (): Array<{ id: string; type: string } & Record<string, unknown>> => [
  {
    id: 'vd1', type: 'mw-vision-drift', site: 'BEDFORD', specs: partSpecRows(), phase1Units: '200', phase1Subgroups: '3', defectSubgroupSize: '100',
    trendWindow: '400', capabilityWindow: '200', clearAfter: '200', arl0: '1000000', checkpointSeconds: '0', wires: [['events'], ['records'], ['rejected']],
  },
  { id: 'events', type: 'helper' }, { id: 'records', type: 'helper' }, { id: 'rejected', type: 'helper' },
];

async function feed(n: number, shift: number, stream: PartStream, records: unknown[]): Promise<void> {
  const node = helper.getNode('vd1') as Node;
  const target = records.length + n;
  for (let i = 0; i < n; i++) {
    const u = stream.next();
    (u.record.measurements as { bore: number }).bore += shift;
    node.receive({ payload: u.record } as never);
  }
  for (let t = 0; records.length < target && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(records.length, target);
}

describe('mw-vision-drift state under faults', function () {
  this.timeout(30000);

  const userDirOf = withUserDir('mw-vd-fault-');

  it('moves a corrupt state file aside, says so, and learns again', async () => {
    const dir = path.join(userDirOf(), 'millwright');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mw-vision-drift-vd1.db'), Buffer.alloc(8192, 0x5a));
    await helper.load([nodeModule('mw-vision-drift') as NodeModule], flow());
    const node = helper.getNode('vd1') as Spied;
    assert.ok(node.warn.args.some((a) => /mw-vision-drift\.errors\.state-moved/.test(String(a[0]))), JSON.stringify(node.warn.args));
    assert.ok(fs.readdirSync(dir).some((f) => f.startsWith('mw-vision-drift-vd1.db.corrupt-')));
    const records: unknown[] = [];
    const events: MaintenanceEvent[] = [];
    (helper.getNode('records') as unknown as EventEmitter).on('input', (m: unknown) => records.push(m));
    (helper.getNode('events') as unknown as EventEmitter).on('input', (m: { payload: MaintenanceEvent }) => events.push(m.payload));
    const stream = new PartStream({ seed: 31 });
    await feed(300, 0, stream, records);
    await feed(300, 0.012, stream, records);
    assert.ok(events.some((e) => e.state === 'raised' && e.details.family === 'mean'));
  });

  it('keeps monitoring in memory, with a red status and an error, when the state cannot be stored', async () => {
    // A file where the state directory should be: nothing can be created under it.
    fs.writeFileSync(path.join(userDirOf(), 'millwright'), 'not a directory');
    await helper.load([nodeModule('mw-vision-drift') as NodeModule], flow());
    const node = helper.getNode('vd1') as Spied;
    assert.ok(node.error.args.some((a) => /mw-vision-drift\.errors\.state/.test(String(a[0]))));
    const records: unknown[] = [];
    const events: MaintenanceEvent[] = [];
    (helper.getNode('records') as unknown as EventEmitter).on('input', (m: unknown) => records.push(m));
    (helper.getNode('events') as unknown as EventEmitter).on('input', (m: { payload: MaintenanceEvent }) => events.push(m.payload));
    const stream = new PartStream({ seed: 32 });
    await feed(300, 0, stream, records);
    await feed(300, 0.012, stream, records);
    assert.ok(events.some((e) => e.state === 'raised'));
    await new Promise((r) => setTimeout(r, 1200));
    const last = node.status.args[node.status.args.length - 1][0] as { fill: string; text: string };
    assert.equal(last.fill, 'red');
    assert.match(last.text, /mw-vision-drift\.status\.storage/);
  });
});

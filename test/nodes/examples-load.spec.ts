// Every example loads in the Node-RED under test (node-red 4.1 here, node-red 5 in the compat run,
// which runs this tier on Node 24): no unknown type, every node constructed, no connection invalid.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, REPO_ROOT, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type FlowNode = { id: string; type: string; z?: string; [k: string]: unknown };

const OURS = ['mw-cmms', 'mw-asset-registry', 'mw-asset-map', 'mw-threshold', 'mw-vision-drift', 'mw-work-order', 'mw-wo-status'];
// Core nodes, loaded as the runtime loads them (CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const core = (f: string): NodeModule => require(require.resolve(`@node-red/nodes/core/${f}`)) as NodeModule;
const CORE = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js', 'function/10-function.js'];

const dir = path.join(REPO_ROOT, 'examples');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('examples load in the Node-RED under test (issue 17)', function () {
  this.timeout(30000);
  withUserDir('mw-examples-load-');

  it('there are examples to check', () => assert.ok(files.length >= 5, `examples: ${files.join(', ')}`));

  for (const file of files) {
    it(`${file}: every node is created and no connection is invalid`, async () => {
      const example = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[];
      // Import puts flow nodes on one tab; the example's own tab node is kept if it has one.
      const tab = example.find((n) => n.type === 'tab')?.id ?? 'ex-load-tab';
      const flow: FlowNode[] = example.some((n) => n.type === 'tab') ? example : [{ id: tab, type: 'tab' }, ...example.map((n) => ('x' in n ? { ...n, z: tab } : n))];
      await helper.load([...OURS.map((n) => nodeModule(n) as NodeModule), ...CORE.map(core)], flow);
      const missing = flow.filter((n) => n.type !== 'tab' && helper.getNode(n.id) === null).map((n) => `${n.id} (${n.type})`);
      assert.deepEqual(missing, [], 'nodes not created (unknown type or failed constructor)');
      const invalid = flow.filter((n) => n.type === 'mw-cmms')
        .map((n) => ({ id: n.id, errors: (helper.getNode(n.id) as unknown as { configErrors: string[] }).configErrors }))
        .filter((c) => c.errors.length > 0);
      assert.deepEqual(invalid, [], 'mw-cmms connections invalid on import');
      await helper.unload();
    });
  }
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { helper, nodeRedDir } from '../support/node-red';

// The compat run points the node-level tests at node-red 5; this proves they really get it, and
// only it (the helper would otherwise also load the node-red 4 devDependency on its own).
describe('package: node-red-node-test-helper runs the Node-RED under test', function () {
  const expected = (JSON.parse(fs.readFileSync(path.join(nodeRedDir(), 'package.json'), 'utf8')) as { version: string }).version;

  it(`the helper's runtime is node-red ${expected} from ${path.relative(process.cwd(), nodeRedDir()) || '.'}`, function () {
    const red = (helper as unknown as { _RED: { version(): string } })._RED;
    assert.equal(red.version().replace(/-git$/, ''), expected);
  });

  it('no other copy of the Node-RED runtime is loaded', function () {
    const runtimes = Object.keys(require.cache).filter((f) => f.endsWith(path.join('@node-red', 'runtime', 'lib', 'index.js')));
    assert.equal(runtimes.length, 1, runtimes.join('\n'));
    const root = path.dirname(path.dirname(nodeRedDir()));
    assert.ok(runtimes[0].startsWith(root), `${runtimes[0]} is not beside ${nodeRedDir()}`);
  });
});

// One place that decides which Node-RED the node-level tests run on, so the compat run
// (node-red 5 on Node 24) exercises exactly the same test files.
import type NodeTestHelper from 'node-red-node-test-helper';
import Module from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD_ROOT, findRepoRoot, nodeRedDir, nodeRedMain } from '../../sim/paths';

/**
 * The helper's constructor already loads whatever `require.resolve('node-red')` finds (our
 * devDependency, 4.1) before init() can point it elsewhere, so the compat run would hold node-red 4
 * and 5 in one process. While the helper loads, that one name resolves to the Node-RED under test.
 */
function loadHelper(): typeof NodeTestHelper {
  const main = nodeRedMain();
  // _resolveFilename is Node's internal resolver hook; it is not in the public typings.
  const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request: string, ...rest: unknown[]): string {
    return request === 'node-red' ? main : resolve.call(this, request, ...rest);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-red-node-test-helper') as typeof NodeTestHelper;
  } finally {
    loader._resolveFilename = resolve;
  }
}

const helper = loadHelper();
helper.init(nodeRedMain());

export { helper, nodeRedDir };
export const REPO_ROOT = findRepoRoot();
/** Compiled node files: <build>/nodes/mw-*.js. */
const NODES_DIR = path.join(BUILD_ROOT, 'nodes');

/** Loads a compiled node module by file name, e.g. `nodeModule('mw-cmms')`. */
export function nodeModule(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(NODES_DIR, `${name}.js`));
}

/**
 * Runs the test helper's server around each test with a fresh Node-RED user directory (where our
 * nodes keep their SQLite files), and removes it afterwards. `beforeEachTest` runs first, e.g. to
 * reset a simulator. Returns a getter for the current directory.
 */
export function withUserDir(prefix: string, beforeEachTest?: () => void): () => string {
  let dir = '';
  beforeEach((done) => {
    beforeEachTest?.();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    helper.settings({ userDir: dir });
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    helper.settings({});
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

// One place that decides which Node-RED the node-level tests run on, so the compat run
// (node-red 5 on Node 24) exercises exactly the same test files.
import helper from 'node-red-node-test-helper';
import path from 'node:path';
import { BUILD_ROOT, findRepoRoot, nodeRedDir, nodeRedMain } from '../../sim/paths';

helper.init(nodeRedMain());

export { helper, nodeRedDir };
export const REPO_ROOT = findRepoRoot();
/** Compiled node files: <build>/nodes/mw-*.js. */
export const NODES_DIR = path.join(BUILD_ROOT, 'nodes');

/** Loads a compiled node module by file name, e.g. `nodeModule('mw-cmms')`. */
export function nodeModule(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(NODES_DIR, `${name}.js`));
}

import fs from 'node:fs';
import path from 'node:path';

export const PACKAGE_NAME = '@millwright/node-red-maintenance';

function isOurPackage(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
    return pkg.name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The repository root. Compiled code normally sits in <root>/dist, but a private build
 * (MW_OUT=/tmp/…) lives elsewhere, so fall back to the working directory.
 */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isOurPackage(dir)) return dir;
    if (path.dirname(dir) === dir) break;
  }
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (isOurPackage(dir)) return dir;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} repository above ${start} or ${process.cwd()}`);
}

/** Folder holding the compiled output that this file belongs to (dist/, or the MW_OUT folder). */
export const BUILD_ROOT = path.resolve(__dirname, '..');

/**
 * Which Node-RED to run: the devDependency (4.1 on Node 20), or the one named by MW_NODE_RED_DIR,
 * which `npm run test:compat` points at a node-red 5 install for Node 24.
 */
export function nodeRedDir(): string {
  const fromEnv = process.env.MW_NODE_RED_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  return path.dirname(require.resolve('node-red/package.json'));
}

/** The node-red module's entry point (what `require('node-red')` loads). */
export function nodeRedMain(): string {
  return require.resolve(nodeRedDir());
}

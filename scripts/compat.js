#!/usr/bin/env node
'use strict';
// `npm run test:compat`: the node-level and package tests again on the newest supported pair,
// Node 24 + Node-RED 5 (the everyday run is Node 20 + Node-RED 4.1). Both come from the npm
// registry into .compat/ (gitignored) and are installed only once.
//
//   node scripts/compat.js [--no-build]     MW_OUT=<dir> runs a private build instead of dist/
//
// Native runtime dependencies (better-sqlite3) in node_modules are built for the Node that ran
// `npm install`, so Node 24 gets its own build in .compat/native24; this file, loaded into the
// mocha process (`mocha --require scripts/compat.js`), points `require('<that dependency>')` at it.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const compat = path.join(root, '.compat');
const dist = path.resolve(root, process.env.MW_OUT || 'dist');
const platform = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const nodePackage = `node-${platform}`;
const nodePrefix = path.join(compat, 'node24', 'node_modules', nodePackage);
const nodeBin = path.join(nodePrefix, 'bin', 'node');
const nodeRedDir = path.join(compat, 'nr5', 'node_modules', 'node-red');
const nativeDir = path.join(compat, 'native24');

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** npm itself, run by the given Node so installs and native builds target that Node. */
function npm(args, node = process.execPath) {
  const onPath = (process.env.PATH || '').split(path.delimiter).map((d) => path.join(d, 'npm')).find((f) => fs.existsSync(f));
  if (!onPath) throw new Error('npm is not on PATH');
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH || ''}` };
  const prefix = path.dirname(path.dirname(fs.realpathSync(node)));
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_version.h'))) env.npm_config_nodedir = prefix;
  execFileSync(node, [fs.realpathSync(onPath), ...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit', env });
}

function nodeVersion() {
  if (!fs.existsSync(nodeBin)) return undefined;
  try {
    return execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

/**
 * Runtime dependencies with a native addon, with the range package.json declares. Node 24 gets what
 * npm picks for that range on Node 24 — not the Node 20 lockfile's version: npm prefers versions whose
 * engines fit, which is how a gateway on Node 24 gets better-sqlite3 13 (12 aborts there).
 */
function nativeDependencies() {
  const declared = readJson(path.join(root, 'package.json')).dependencies || {};
  return Object.keys(declared)
    .filter((d) => fs.existsSync(path.join(root, 'node_modules', d, 'binding.gyp')))
    .map((name) => ({ name, range: declared[name] }));
}

const specMarker = path.join(nativeDir, '.installed-specs.json');

/** Installed for the declared range, and its addon loads in Node 24 (built, or a shipped prebuild). */
function hasNativeBuild(dep) {
  const dir = path.join(nativeDir, 'node_modules', dep.name);
  const specs = readJson(specMarker) || {};
  if (specs[dep.name] !== dep.range || !fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(nodeBin)) return false;
  const probe = spawnSync(nodeBin, ['-e', `require(${JSON.stringify(dir)})`], { stdio: 'ignore', timeout: 30_000 });
  return probe.status === 0;
}

/** Spec files exist under <dist>/test/<tier>? (mocha fails on a pattern that matches nothing.) */
function hasSpecs(tier) {
  const dir = path.join(dist, 'test', tier);
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.spec.js'));
}

function setUp() {
  if (!nodeVersion()?.startsWith('24.')) {
    console.log(`compat: installing Node 24 (${nodePackage}@24) into .compat/node24`);
    npm(['install', '--prefix', path.join(compat, 'node24'), `${nodePackage}@24`]);
  }
  if (!readJson(path.join(nodeRedDir, 'package.json'))?.version.startsWith('5.')) {
    console.log('compat: installing node-red@5 into .compat/nr5');
    npm(['install', '--prefix', path.join(compat, 'nr5'), 'node-red@5', '--omit=dev']);
  }
  const missing = nativeDependencies().filter((d) => !hasNativeBuild(d));
  if (missing.length > 0 && fs.existsSync(nodeBin)) {
    const specs = missing.map((d) => `${d.name}@${d.range}`);
    console.log(`compat: installing ${specs.join(', ')} for Node 24 into .compat/native24 (once)`);
    npm(['install', '--prefix', nativeDir, '--omit=dev', ...specs], nodeBin);
    const marker = readJson(specMarker) || {};
    for (const d of missing) marker[d.name] = d.range;
    fs.writeFileSync(specMarker, JSON.stringify(marker, null, 2));
  }
}

function main() {
  const started = Date.now();
  setUp();
  const node = nodeVersion();
  const nodeRed = readJson(path.join(nodeRedDir, 'package.json'))?.version;
  const unbuilt = nativeDependencies().filter((d) => !hasNativeBuild(d)).map((d) => d.name);
  if (!node?.startsWith('24.') || !nodeRed?.startsWith('5.') || unbuilt.length > 0) {
    console.error(`compat: could not set up Node 24 (${node || 'missing'}), node-red 5 (${nodeRed || 'missing'})`
      + `${unbuilt.length ? ` and a Node 24 build of ${unbuilt.join(', ')}` : ''} in .compat/`);
    return 2;
  }

  if (!process.argv.includes('--no-build')) {
    const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) {
      console.error('compat: the build failed (see above)');
      return 2;
    }
  }
  const tiers = ['nodes', 'package'].filter(hasSpecs);
  if (tiers.length === 0) {
    console.error(`compat: no spec files under ${path.relative(root, dist) || dist}/test/{nodes,package}; build first`);
    return 2;
  }

  console.log(`\ncompat: Node ${node}, node-red ${nodeRed} (tiers: ${tiers.join(', ')})\n`);
  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const specs = tiers.map((t) => path.join(dist, 'test', t, '**', '*.spec.js'));
  // mocha's --require, not node's -r: mocha re-spawns itself for node flags and would drop a -r.
  const result = spawnSync(nodeBin, [mocha, '--no-config', '--require', __filename, '--enable-source-maps', '--timeout', '60000', ...specs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MW_NODE_RED_DIR: nodeRedDir, MW_COMPAT_NATIVE: nativeDependencies().map((d) => d.name).join(',') },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.error) {
    console.error(`compat: could not run mocha: ${result.error.message}`);
    return 2;
  }
  const code = result.status ?? 1;
  console.log(`compat: Node ${node}, node-red ${nodeRed}: ${code === 0 ? 'passed' : `failed (mocha exit ${code})`} in ${seconds} s`);
  return code;
}

/** Preloaded into the Node 24 mocha process: native dependencies resolve to their Node 24 build. */
function redirectNativeDependencies() {
  const names = new Set((process.env.MW_COMPAT_NATIVE || '').split(',').filter(Boolean));
  if (names.size === 0) return;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    const name = request.split('/')[0];
    if (names.has(name)) return require.resolve(path.join(nativeDir, 'node_modules', request));
    return resolve.call(this, request, ...rest);
  };
}

if (require.main !== module) {
  redirectNativeDependencies();
} else {
  try {
    process.exitCode = main();
  } catch (e) {
    console.error(`compat: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  }
}

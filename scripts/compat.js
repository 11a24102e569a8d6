#!/usr/bin/env node
'use strict';
// `npm run test:compat`: the node-level and package tests again on the newest supported pair,
// Node 24 + Node-RED 5 (the everyday run is Node 20 + Node-RED 4.1). Both come from the npm
// registry into .compat/ (gitignored) and are installed only once.
//
//   node scripts/compat.js [--no-build]     MW_OUT=<dir> runs a private build instead of dist/
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const compat = path.join(root, '.compat');
const dist = path.resolve(root, process.env.MW_OUT || 'dist');
const platform = `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
const nodePackage = `node-${platform}`;
const nodeBin = path.join(compat, 'node24', 'node_modules', nodePackage, 'bin', 'node');
const nodeRedDir = path.join(compat, 'nr5', 'node_modules', 'node-red');

function npm(args) {
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
}

function nodeVersion() {
  if (!fs.existsSync(nodeBin)) return undefined;
  try {
    return execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  } catch {
    return undefined;
  }
}

function nodeRedVersion() {
  try {
    return JSON.parse(fs.readFileSync(path.join(nodeRedDir, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Spec files exist under <dist>/test/<tier>? (mocha fails on a pattern that matches nothing.) */
function hasSpecs(tier) {
  const dir = path.join(dist, 'test', tier);
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.spec.js'));
}

function main() {
  const started = Date.now();
  if (!nodeVersion()?.startsWith('24.')) {
    console.log(`compat: installing Node 24 (${nodePackage}@24) into .compat/node24`);
    npm(['install', '--prefix', path.join(compat, 'node24'), `${nodePackage}@24`]);
  }
  if (!nodeRedVersion()?.startsWith('5.')) {
    console.log('compat: installing node-red@5 into .compat/nr5');
    npm(['install', '--prefix', path.join(compat, 'nr5'), 'node-red@5', '--omit=dev']);
  }
  const node = nodeVersion();
  const nodeRed = nodeRedVersion();
  if (!node?.startsWith('24.') || !nodeRed?.startsWith('5.')) {
    console.error(`compat: could not set up Node 24 (${node ?? 'missing'}) and node-red 5 (${nodeRed ?? 'missing'}) in .compat/`);
    return 2;
  }

  if (!process.argv.includes('--no-build')) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  }
  const tiers = ['nodes', 'package'].filter(hasSpecs);
  if (tiers.length === 0) {
    console.error(`compat: no spec files under ${path.relative(root, dist) || dist}/test/{nodes,package}; build first`);
    return 2;
  }

  console.log(`\ncompat: Node ${node}, node-red ${nodeRed} (tiers: ${tiers.join(', ')})\n`);
  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const specs = tiers.map((t) => path.join(dist, 'test', t, '**', '*.spec.js'));
  const result = spawnSync(nodeBin, [mocha, '--no-config', '--enable-source-maps', '--timeout', '60000', ...specs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MW_NODE_RED_DIR: nodeRedDir },
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

process.exitCode = main();

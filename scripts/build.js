#!/usr/bin/env node
'use strict';
// Compiles TypeScript, then puts the files Node-RED's loader expects beside each compiled node:
// the editor .html (found by renaming .js), icons/ and locales/ (looked up next to the node file).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// MW_OUT lets parallel work build into a private folder; the package itself always uses dist/.
const dist = path.resolve(root, process.env.MW_OUT || 'dist');
const out = path.join(dist, 'nodes');

fs.rmSync(dist, { recursive: true, force: true });
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', dist], { stdio: 'inherit' });

fs.mkdirSync(out, { recursive: true });
for (const f of fs.readdirSync(path.join(root, 'nodes'))) {
  if (f.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', f), path.join(out, f));
}
for (const dir of ['icons', 'locales']) {
  fs.cpSync(path.join(root, dir), path.join(out, dir), { recursive: true });
}
// The sidebar's chart library, served by Node-RED from the package's resources/ folder (offline,
// no CDN). Build output like dist/: not committed, shipped through package.json "files".
const resources = path.join(root, 'resources');
const uplot = path.dirname(require.resolve('uplot/package.json'));
fs.mkdirSync(resources, { recursive: true });
for (const [from, to] of [['dist/uPlot.iife.min.js', 'uPlot.iife.min.js'], ['dist/uPlot.min.css', 'uPlot.min.css'], ['LICENSE', 'uPlot.LICENSE']]) {
  fs.copyFileSync(path.join(uplot, from), path.join(resources, to));
}
// The editor's own scripts (committed in editor/), served the same way.
for (const f of fs.readdirSync(path.join(root, 'editor'))) fs.copyFileSync(path.join(root, 'editor', f), path.join(resources, f));
console.log(`build: ${path.relative(root, dist) || dist} ready`);

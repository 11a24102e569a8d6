// The sidebar plugin as Node-RED loads it: listed under node-red.plugins with its editor file and
// catalogue beside the compiled file, every text key it uses (literal and per state) in the
// en-US catalogue, and its chart library loaded from the package's own resources/ (no CDN).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import type { DeadReason } from '../../nodes/core/outbox';
import { builtFile, lookupKey, readPackageJson, REPO_ROOT } from '../support/package';

const HEALTH_WORDS = ['ok', 'sending', 'slow', 'dead', 'busy', 'refused', 'unreachable', 'error', 'checking', 'invalid'];
const DEAD_REASONS: DeadReason[] = ['permanent', 'auth', 'expired', 'no-work-order'];
const VERIFY = ['unchecked', 'ok', 'missing', 'wrong-site', 'wrong-location', 'inactive', 'decommissioned'];
const PANES = ['connections', 'workOrders', 'dead', 'audit', 'assets', 'spc'];

describe('package: the Millwright sidebar plugin', function () {
  const pkg = readPackageJson();
  const rel = pkg['node-red']?.plugins?.['mw-sidebar'];
  const js = rel ? builtFile(rel) : '';
  const html = js.replace(/\.c?js$/, '.html');
  const catalogueFile = path.join(path.dirname(js), 'locales', 'en-US', 'mw-sidebar.json');

  it('is listed under node-red.plugins, exports function (RED), with its .html and catalogue beside it', function () {
    assert.ok(rel, 'package.json node-red.plugins.mw-sidebar');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal(typeof require(js), 'function');
    assert.ok(fs.existsSync(html), html);
    assert.ok(fs.existsSync(catalogueFile), catalogueFile);
  });

  it('every key the editor file uses is in locales/en-US/mw-sidebar.json, the per-state ones for every state', function () {
    const text = fs.readFileSync(html, 'utf8');
    const catalogue = JSON.parse(fs.readFileSync(catalogueFile, 'utf8')) as unknown;
    const literal = [...text.matchAll(/\bt\('([A-Za-z0-9_.-]+)'[,)]/g)].map((m) => m[1]);
    assert.ok(literal.length > 30, `found only ${literal.length} keys: the pattern no longer matches the file`);
    const dynamic = [...HEALTH_WORDS.map((w) => `health.${w}`), ...DEAD_REASONS.map((r) => `reason.${r}`), 'reason.null',
      ...VERIFY.map((v) => `verify.${v}`), ...PANES.map((p) => `pane.${p}`), 'outcome.all', 'outcome.ok', 'outcome.failed', 'done.replay', 'done.discard'];
    const missing = [...new Set([...literal, ...dynamic])].filter((k) => lookupKey(catalogue, k) === undefined);
    assert.deepEqual(missing, []);
    // The dynamic families the file builds are the ones checked above.
    for (const family of ['health', 'reason', 'verify', 'pane', 'outcome', 'done']) assert.match(text, new RegExp(`t\\('${family}\\.' \\+`), family);
  });

  it('loads uPlot and the shared error helper from the package (resources/<module>/…, relative), never from the network', function () {
    const text = fs.readFileSync(html, 'utf8');
    const refs = [...text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(refs, [`resources/${pkg.name}/uPlot.min.css`, `resources/${pkg.name}/uPlot.iife.min.js`, `resources/${pkg.name}/mw-admin-error.js`]);
    assert.doesNotMatch(text, /https?:\/\/(?!127\.0\.0\.1)/);
    for (const f of ['uPlot.min.css', 'uPlot.iife.min.js', 'mw-admin-error.js']) assert.ok(fs.existsSync(path.join(REPO_ROOT, 'resources', f)), `resources/${f}: run npm run build`);
    assert.ok((pkg.files ?? []).includes('resources'), 'package.json "files" ships resources/');
  });
});

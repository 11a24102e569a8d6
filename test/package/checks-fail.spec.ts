import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { checkExamples, checkI18n, checkNodeSet, checkPackageJson, unlistedNodeFiles } from '../support/package-checks';
import { nodeSets, readPackageJson } from '../support/package';

// The package checks pass on a good package only if they can fail: a small fixture package with one
// sound node file and one with the mistakes the checks exist for.
const GOOD_HTML = `<script type="text/javascript">
  RED.nodes.registerType('mw-good', { category: 'maintenance', color: '#a6bbcf', defaults: { name: { value: '' } },
    inputs: 1, outputs: 1, icon: 'mw-good.svg', label: function () { return this.name || this._('mw-good.label'); } });
  RED.nodes.registerType('mw-good-config', { category: 'config', defaults: { name: { value: '' } } });
</script>
<script type="text/html" data-template-name="mw-good"><label data-i18n="[html]mw-good.label;[placeholder]node-red:common.label.name"></label></script>`;

const BAD_HTML = `<script type="text/javascript">
  const COLOR = '#fff';
  RED.nodes.registerType('bad', { category: RED._('x'), color: COLOR, defaults: { }, inputs: 1, outputs: 1, icon: 'nope.svg' });
  RED.nodes.registerType('mw-bad', { category: 'plant', color: '#fff', defaults: { }, inputs: '1', outputs: 1, icon: 'font-awesome/fa-cog' });
</script>
<script type="text/html" data-template-name="mw-bad"><span data-i18n="mw-bad.label.missing"></span></script>`;

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

describe('package: the checks catch a broken package', function () {
  let root: string;

  before(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-fixture-'));
    write(root, 'package.json', JSON.stringify({
      name: 'fixture', version: '1.0.0', license: 'MIT', type: 'module', engines: { node: '>=18' },
      'node-red': { version: '>=3.0.0', nodes: { 'mw-good': 'dist/nodes/mw-good.js', 'mw-bad': 'dist/nodes/mw-bad.js' } },
      files: ['dist/nodes/mw-good.js'], scripts: { postinstall: 'tsc' },
      dependencies: { 'node-red': '^4.0.0', a: '1', b: '1', c: '1', d: '1', e: '1', f: '1' },
    }));
    // The fixture's "type": "module" is there for the package.json check; its node files stay loadable.
    write(root, 'dist/package.json', JSON.stringify({ type: 'commonjs' }));
    write(root, 'dist/nodes/mw-good.js', 'module.exports = function (RED) { RED.nodes.registerType("mw-good", function () {}); };\n');
    write(root, 'dist/nodes/mw-good.html', GOOD_HTML);
    write(root, 'dist/nodes/icons/mw-good.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
    write(root, 'dist/nodes/locales/en-US/mw-good.json', JSON.stringify({ 'mw-good': { label: 'Good', status: { ok: 'ok' } } }));
    write(root, 'dist/nodes/locales/en-US/mw-good.html', '<script type="text/html" data-help-name="mw-good"></script>'
      + '<script type="text/html" data-help-name="mw-good-config"></script>');
    write(root, 'nodes/mw-good.html', GOOD_HTML);
    write(root, 'nodes/mw-good.ts', "ok('mw-good.status.ok'); RED._('node-red:common.label.name'); failed('mw-good.status.gone');\n");
    write(root, 'dist/nodes/mw-bad.js', 'exports.__esModule = true; exports.default = function (RED) {};\n');
    write(root, 'dist/nodes/mw-bad.html', BAD_HTML);
    write(root, 'dist/nodes/locales/en-US/mw-bad.json', '{ "mw-bad": ');
    write(root, 'nodes/lib/shared.ts', "showStatus(RED, node, { fill: 'red', shape: 'ring', key: 'common.nowhere' });\n");
    write(root, 'nodes/mw-unlisted.html', '<script type="text/javascript"></script>');
    write(root, 'nodes/mw-unlisted.ts', "ok('mw-unlisted.status.whatever');\n");
    write(root, 'examples/demo.json', JSON.stringify([{ id: '1', type: 'mw-typo' }]));
  });

  after(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const sets = (): ReturnType<typeof nodeSets> => nodeSets(root, path.join(root, 'dist'));
  const has = (problems: string[], pattern: RegExp): void => {
    assert.ok(problems.some((p) => pattern.test(p)), `no problem matching ${pattern} in:\n${problems.join('\n')}`);
  };

  it('package.json: license, engines, ESM, dependencies, files and install scripts', function () {
    const problems = checkPackageJson(readPackageJson(root), root);
    for (const p of [/^name/, /keywords/, /license is MIT/, /LICENSE file/, /repository/, /bugs/, /engines\.node/, /node-red\.version/,
      /type.*module/, /7 runtime dependencies/, /node-red is in dependencies/, /devDependencies/, /does not ship dist\/nodes\/mw-bad\.js/,
      /ship examples/, /prepack/, /postinstall/]) has(problems, p);
  });

  it('a sound node file passes', function () {
    assert.deepEqual(checkNodeSet(sets()[0]), []);
  });

  it('a broken node file: export default, non-literal or wrong definitions, missing icon, catalogue and help', function () {
    const problems = checkNodeSet(sets()[1]);
    for (const p of [/transpiled `export default`/, /^bad: type names are global/, /^bad: category is not an inline literal/,
      /^bad: color is not an inline literal/, /^bad: icon nope\.svg is not in/, /^mw-bad: palette category is "plant"/,
      /^mw-bad: inputs is a string/, /catalogue is not JSON/, /help file .* is missing/]) has(problems, p);
  });

  it('i18n: missing keys in code, in shared code and in the editor file; core namespaces skipped', function () {
    const problems = checkI18n(root, sets());
    has(problems, /nodes\/mw-good\.ts:1: "mw-good\.status\.gone" is not in locales\/en-US\/mw-good\.json/);
    has(problems, /nodes\/lib\/shared\.ts:1: "common\.nowhere" is not in locales\/en-US\/mw-good\.json/);
    has(problems, /nodes\/mw-bad\.html:\d+: "mw-bad\.label\.missing"/);
    assert.ok(!problems.some((p) => /node-red:|mw-good\.status\.ok|"mw-good\.label"|mw-unlisted/.test(p)), problems.join('\n'));
  });

  it('a node source and editor file in nodes/ that package.json does not list', function () {
    assert.deepEqual(unlistedNodeFiles(root, sets()).map((p) => p.split(':')[0]), ['nodes/mw-unlisted.html', 'nodes/mw-unlisted.ts']);
  });

  it('examples: unknown types and node types without an example; config nodes exempt', function () {
    const problems = checkExamples(root, sets());
    has(problems, /uses mw-typo/);
    has(problems, /^mw-good: no flow in examples/);
    assert.ok(!problems.some((p) => p.startsWith('mw-good-config')), problems.join('\n'));
  });
});

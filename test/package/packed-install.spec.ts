import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { editorTypes } from '../support/package-checks';
import { listFiles, nodeSets, readPackageJson } from '../support/package';
import {
  httpGet, packedInstall, registeredSets, startNodeRed, type NodeRedChild, type PackedInstall,
} from '../support/package-runtime';
import { nodeRedDir } from '../../sim/paths';

// What a plant engineer gets: the tarball, installed with the palette manager's flags into a fresh
// user directory, loaded by a real Node-RED process (4.1 here, 5 on Node 24 in `npm run test:compat`).
describe('package: packed tarball installed into a real Node-RED', function () {
  this.timeout(300_000);
  const pkg = readPackageJson();
  const nodes = pkg['node-red']?.nodes ?? {};
  const plugins = pkg['node-red']?.plugins ?? {};
  const types = editorTypes(nodeSets());
  let packed: PackedInstall;

  before(async function () {
    packed = await packedInstall();
  });

  describe('install with --omit=dev --engine-strict', function () {
    it('installs the module and its runtime dependencies, but not node-red or the build tools', function () {
      const has = (name: string): boolean => fs.existsSync(path.join(packed.userDir, 'node_modules', name, 'package.json'));
      assert.ok(has(pkg.name));
      for (const dep of Object.keys(pkg.dependencies ?? {})) assert.ok(has(dep), `${dep} not installed`);
      for (const dev of ['node-red', '@node-red/runtime', 'typescript', 'mocha']) assert.ok(!has(dev), `${dev} was installed`);
    });

    it('has no known-bad package in the tree (Flow Library check D02: agent-base < 6)', function () {
      const bad = listFiles(path.join(packed.userDir, 'node_modules'), (f) => f.endsWith(`${path.sep}agent-base${path.sep}package.json`))
        .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as { version: string })
        .filter((p) => Number(p.version.split('.')[0]) < 6);
      assert.deepEqual(bad, []);
    });
  });

  describe('tarball contents', function () {
    it('holds no tests, simulators, benchmarks or TypeScript sources', function () {
      const unwanted = packed.files.filter((f) => /(^|\/)(test|sim|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
      assert.deepEqual(unwanted, []);
      // Fixtures that once sat among the node sources (issue 11): the seeded camera is a test's.
      assert.deepEqual(packed.files.filter((f) => /\/core\/spc\/simulate\.js$/.test(f)), []);
    });

    it('holds every node file with its .html, and icons, locales, examples, LICENSE, README.md', function () {
      const missing: string[] = [];
      const need = (file: string): void => { if (!packed.files.includes(file)) missing.push(file); };
      for (const rel of Object.values(nodes)) {
        need(rel.replace(/^\.\//, ''));
        need(rel.replace(/^\.\//, '').replace(/\.c?js$/, '.html'));
      }
      for (const t of types) {
        const icon = t.def.props.get('icon');
        if (icon?.kind === 'string' && !icon.value.startsWith('font-awesome/')) need(`dist/nodes/icons/${icon.value}`);
        need(`dist/nodes/locales/en-US/${t.set.file}.json`);
        need(`dist/nodes/locales/en-US/${t.set.file}.html`);
      }
      // The sidebar plugin, its catalogue, and its chart library served from resources/ (offline).
      for (const rel of Object.values(plugins)) {
        need(rel.replace(/^\.\//, ''));
        need(rel.replace(/^\.\//, '').replace(/\.c?js$/, '.html'));
        need(`dist/nodes/locales/en-US/${path.basename(rel).replace(/\.c?js$/, '.json')}`);
      }
      // ... and mw-threshold's rule table script (editor/, copied by the build).
      for (const f of ['uPlot.iife.min.js', 'uPlot.min.css', 'uPlot.LICENSE', 'mw-threshold-form.js', 'mw-admin-error.js']) need(`resources/${f}`);
      need('LICENSE');
      need('README.md');
      for (const example of listFiles(path.join(packed.stage, 'examples'), (f) => f.endsWith('.json'))) {
        need(path.relative(packed.stage, example).split(path.sep).join('/'));
      }
      assert.deepEqual(missing, []);
    });
  });

  const nodeRedVersion = (JSON.parse(fs.readFileSync(path.join(nodeRedDir(), 'package.json'), 'utf8')) as { version: string }).version;

  describe(`Node-RED ${nodeRedVersion} on Node ${process.versions.node}`, function () {
    let red: NodeRedChild | undefined;

    before(async function () {
      red = await startNodeRed(packed.userDir);
    });

    after(async function () {
      await red?.stop('SIGINT', 15_000);
    });

    it('registers every node set of package.json, enabled and without error', async function () {
      const sets = (await registeredSets(red!.url)).filter((s) => s.module === pkg.name);
      const byId = new Map(sets.map((s) => [s.id, s]));
      for (const key of Object.keys(nodes)) {
        const set = byId.get(`${pkg.name}/${key}`);
        assert.ok(set, `${key} not registered; log:\n${red!.log()}`);
        assert.equal(set.err, undefined, `${key}: ${JSON.stringify(set.err)}`);
        assert.equal(set.enabled, true, `${key} is disabled`);
        assert.equal(set.version, pkg.version);
      }
      assert.equal(sets.length, Object.keys(nodes).length);
    });

    it('registers at runtime exactly the types the editor files define', async function () {
      const registered = (await registeredSets(red!.url)).filter((s) => s.module === pkg.name).flatMap((s) => s.types).sort();
      assert.deepEqual(registered, types.map((t) => t.type).sort());
    });

    it('serves the module at /nodes/<module>', async function () {
      const res = await fetchJson(`${red!.url}/nodes/${pkg.name}`);
      assert.equal(res.name, pkg.name);
      assert.equal(res.version, pkg.version);
      assert.equal(res.nodes.length, Object.keys(nodes).length);
      for (const set of res.nodes) assert.equal(set.err, undefined, `${set.id}: ${JSON.stringify(set.err)}`);
    });

    it('loads the sidebar plugin with its catalogue, and serves its chart library from the package', async function () {
      const list = JSON.parse((await httpGet(`${red!.url}/plugins`, { Accept: 'application/json' })).body) as Array<{ id: string; enabled: boolean; err?: unknown }>;
      for (const key of Object.keys(plugins)) {
        const p = list.find((x) => x.id === `${pkg.name}/${key}`);
        assert.ok(p, `plugin ${key} not loaded: ${JSON.stringify(list)}`);
        assert.equal(p.err, undefined);
        assert.equal(p.enabled, true);
      }
      const messages = JSON.parse((await httpGet(`${red!.url}/plugins/messages?lng=en-US`)).body) as Record<string, { label?: { tab?: string } }>;
      assert.equal(messages[`${pkg.name}/mw-sidebar`]?.label?.tab, 'Millwright');
      const lib = await httpGet(`${red!.url}/resources/${pkg.name}/uPlot.iife.min.js`);
      assert.equal(lib.status, 200);
      assert.match(lib.body, /uPlot/);
    });

    it('logs no error or load warning about the module', function () {
      const names = [pkg.name, ...types.map((t) => t.type)];
      // A node file that fails to load is logged as "[warn] [<module>/<set>] Error: …".
      const bad = red!.log().split('\n').filter((line) => (/\[error\]/.test(line) && names.some((n) => line.includes(n)))
        || line.includes(`[${pkg.name}/`) || /Failed to register/i.test(line));
      assert.deepEqual(bad, []);
    });
  });
});

interface ModuleInfo {
  name: string;
  version: string;
  nodes: Array<{ id: string; err?: unknown }>;
}

async function fetchJson(url: string): Promise<ModuleInfo> {
  const reply = await httpGet(url, { Accept: 'application/json' });
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as ModuleInfo;
}

// The package checks as functions that return problems (empty = fine), so the same code runs on
// the real package and on a deliberately broken fixture that proves each check can fail.
import fs from 'node:fs';
import path from 'node:path';

import {
  keysInCode, keysInHtml, keyTarget, listFiles, lookupKey, parseEditorHtml, readPackageJson,
  type EditorType, type KeyUse, type NodeSet, type PackageJson, type PropValue,
} from './package';

const PALETTE_CATEGORY = 'maintenance';
const TYPE_PREFIX = 'mw-';

/** The smallest major version a range like ">=20" or ">=4.0.0" admits; undefined for other shapes. */
function floorMajor(range: string | undefined): number | undefined {
  const m = /^\s*>=\s*v?(\d+)(?:\.\d+){0,2}\s*$/.exec(range ?? '');
  return m ? Number(m[1]) : undefined;
}

function urlOf(field: PackageJson['repository'] | PackageJson['bugs']): string | undefined {
  if (typeof field === 'string') return field;
  if (!field) return undefined;
  return 'url' in field ? field.url : undefined;
}

export function checkPackageJson(pkg: PackageJson, root: string): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => { if (!ok) problems.push(what); };
  need(pkg.name === '@millwright/node-red-maintenance', `name is ${pkg.name}`);
  need(pkg.license === 'Apache-2.0', `license is ${pkg.license}, not Apache-2.0`);
  const license = path.join(root, 'LICENSE');
  need(fs.existsSync(license) && /Apache License/.test(fs.readFileSync(license, 'utf8')), 'LICENSE file with the Apache License text is missing');
  need((pkg.keywords ?? []).includes('node-red'), 'keywords lack "node-red" (Flow Library check P05)');
  need(Boolean(urlOf(pkg.repository)), 'repository URL missing');
  need(Boolean(urlOf(pkg.bugs) ?? (typeof pkg.bugs === 'object' ? pkg.bugs.email : undefined)), 'bugs URL missing');
  need(floorMajor(pkg.engines?.node) === 20, `engines.node is ${pkg.engines?.node}, expected ">=20"`);
  need(floorMajor(pkg['node-red']?.version) === 4, `node-red.version is ${pkg['node-red']?.version}, expected ">=4.0.0"`);
  need(pkg.type !== 'module', '"type": "module" makes the node files ESM, which Node-RED 4 cannot require');
  const deps = Object.keys(pkg.dependencies ?? {});
  need(deps.length <= 6, `${deps.length} runtime dependencies (${deps.join(', ')}); the Flow Library warns above 6`);
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
    need(!pkg[field]?.['node-red'], `node-red is in ${field}; it belongs in devDependencies only`);
  }
  need(Boolean(pkg.devDependencies?.['node-red']), 'node-red missing from devDependencies');
  const files = pkg.files ?? [];
  const covered = (rel: string): boolean => files.some((f) => {
    const entry = f.replace(/^\.\//, '').replace(/\/+$/, '');
    return rel === entry || rel.startsWith(`${entry}/`);
  });
  for (const rel of Object.values(pkg['node-red']?.nodes ?? {})) need(covered(rel.replace(/^\.\//, '')), `files does not ship ${rel}`);
  need(covered('examples'), 'files does not ship examples/');
  need(/\bbuild\b/.test(pkg.scripts?.prepack ?? ''), 'prepack does not build, so a packed tarball could lack dist/');
  for (const hook of ['preinstall', 'install', 'postinstall']) {
    need(!pkg.scripts?.[hook], `scripts.${hook} runs on every gateway install (devDependencies are not there); build in prepack`);
  }
  need(Object.keys(pkg['node-red']?.nodes ?? {}).length > 0, 'node-red.nodes is empty');
  return problems;
}

interface TypeInfo {
  type: string;
  set: NodeSet;
  isConfig: boolean;
  def: EditorType;
}

/** Every node type the editor files define, by node set. Unreadable files give no types here. */
export function editorTypes(sets: NodeSet[]): TypeInfo[] {
  const out: TypeInfo[] = [];
  for (const set of sets) {
    if (!fs.existsSync(set.html)) continue;
    for (const def of parseEditorHtml(fs.readFileSync(set.html, 'utf8')).types) {
      const category = def.props.get('category');
      out.push({ type: def.type, set, isConfig: category?.kind === 'string' && category.value === 'config', def });
    }
  }
  return out;
}

function isLiteral(v: PropValue, kind: 'string' | 'number' | 'object'): boolean {
  return v.kind === kind;
}

function shown(v: PropValue | undefined): string {
  if (!v) return 'missing';
  return v.kind === 'other' ? `not an inline literal (${v.text.slice(0, 40)})` : `a ${v.kind}`;
}

/** The loader's and the Flow Library's view of one node file: .js, .html, icons, catalogue, help. */
export function checkNodeSet(set: NodeSet): string[] {
  const problems: string[] = [];
  if (!fs.existsSync(set.js)) return [`${set.key}: compiled file ${set.js} is missing (build first)`];
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(set.js) as unknown;
  } catch (e) {
    return [`${set.key}: require() of the node file fails, as it would in Node-RED: ${(e as Error).message.split('\n')[0]}`];
  }
  if (typeof exported !== 'function') {
    const esm = typeof exported === 'object' && exported !== null && 'default' in exported;
    problems.push(`${set.key}: the node file exports ${esm ? 'a transpiled `export default`' : typeof exported}; write \`export = function (RED) {…}\``);
  } else if (exported.length !== 1) {
    problems.push(`${set.key}: the exported function takes ${exported.length} parameters, expected 1 (RED)`);
  }
  if (!fs.existsSync(set.html)) return [...problems, `${set.key}: editor file ${path.basename(set.html)} is not beside the .js`];
  const html = parseEditorHtml(fs.readFileSync(set.html, 'utf8'));
  if (html.scripts === 0) problems.push(`${set.key}: no <script type="text/javascript"> block in the .html`);
  problems.push(...html.problems.map((p) => `${set.key}: ${p}`));
  if (html.types.length === 0) problems.push(`${set.key}: no RED.nodes.registerType('<type>', {…}) found in the .html`);
  const help = fs.existsSync(set.help) ? fs.readFileSync(set.help, 'utf8') : undefined;
  if (help === undefined) problems.push(`${set.key}: help file locales/en-US/${set.file}.html is missing`);
  if (!fs.existsSync(set.catalogue)) {
    problems.push(`${set.key}: message catalogue locales/en-US/${set.file}.json is missing`);
  } else {
    try {
      JSON.parse(fs.readFileSync(set.catalogue, 'utf8'));
    } catch (e) {
      problems.push(`${set.key}: message catalogue is not JSON: ${(e as Error).message}`);
    }
  }
  for (const def of html.types) problems.push(...checkType(set, def, help));
  return problems;
}

function checkType(set: NodeSet, def: EditorType, help: string | undefined): string[] {
  const problems: string[] = [];
  const say = (what: string): void => { problems.push(`${def.type}: ${what}`); };
  if (!def.type.startsWith(TYPE_PREFIX)) say(`type names are global; prefix it "${TYPE_PREFIX}"`);
  const category = def.props.get('category');
  if (!category || !isLiteral(category, 'string')) say(`category is ${shown(category)}; it must be a string literal`);
  const isConfig = category?.kind === 'string' && category.value === 'config';
  if (category?.kind === 'string' && !isConfig && category.value !== PALETTE_CATEGORY) {
    say(`palette category is "${category.value}", expected "${PALETTE_CATEGORY}" (or "config" for a config node)`);
  }
  const defaults = def.props.get('defaults');
  if (!defaults || !isLiteral(defaults, 'object')) say(`defaults is ${shown(defaults)}; it must be an object literal`);
  const credentials = def.props.get('credentials');
  if (credentials && !isLiteral(credentials, 'object')) say(`credentials is ${shown(credentials)}; it must be an object literal`);
  const expected: Array<[string, 'string' | 'number']> = [['color', 'string'], ['icon', 'string'], ['inputs', 'number'], ['outputs', 'number']];
  for (const [prop, kind] of expected) {
    const v = def.props.get(prop);
    // A config node has no palette entry or ports, so these may be absent; present, they must be literal.
    if ((v || !isConfig) && !(v && isLiteral(v, kind))) say(`${prop} is ${shown(v)}; it must be a ${kind} literal`);
  }
  const icon = def.props.get('icon');
  if (icon?.kind === 'string' && !icon.value.startsWith('font-awesome/')) {
    if (!fs.existsSync(path.join(set.iconsDir, icon.value))) say(`icon ${icon.value} is not in ${path.basename(path.dirname(set.iconsDir))}/icons/`);
    if (!icon.value.startsWith(TYPE_PREFIX)) say(`icon file names share one global search path; prefix ${icon.value} with "${TYPE_PREFIX}"`);
  }
  if (help !== undefined && !new RegExp(`data-help-name\\s*=\\s*["']${def.type}["']`).test(help)) {
    say(`help file locales/en-US/${set.file}.html has no data-help-name="${def.type}"`);
  }
  return problems;
}

/**
 * Every literal i18n key in the node sources, shared adapter code and editor files resolves to a
 * string in the right en-US catalogue. A key in shared code (not a node file) belongs to whichever
 * node calls it, so it must carry a node type prefix, a full namespace, or exist in every catalogue.
 */
export function checkI18n(root: string, sets: NodeSet[]): string[] {
  const moduleName = readPackageJson(root).name;
  const types = editorTypes(sets);
  const catalogues = new Map<NodeSet, unknown>();
  const catalogueOf = (set: NodeSet): unknown => {
    if (!catalogues.has(set)) {
      let catalogue: unknown = {};
      try {
        catalogue = JSON.parse(fs.readFileSync(set.catalogue, 'utf8'));
      } catch {
        // Missing or broken: checkNodeSet reports that; here every key in it counts as missing.
      }
      catalogues.set(set, catalogue);
    }
    return catalogues.get(set);
  };
  const problems: string[] = [];
  const checkUse = (use: KeyUse, own: NodeSet | undefined): void => {
    const target = keyTarget(use.key, own, sets, moduleName);
    if (target.skip) return;
    let candidates: NodeSet[];
    if (target.set) candidates = [target.set];
    else if (use.key.includes(':')) candidates = [];
    else {
      const owner = types.find((t) => target.key.startsWith(`${t.type}.`));
      candidates = owner ? [owner.set] : sets;
    }
    if (candidates.length === 0) problems.push(`${use.where}: "${use.key}" names a node set that package.json does not list`);
    for (const set of candidates) {
      if (lookupKey(catalogueOf(set), target.key) === undefined) {
        problems.push(`${use.where}: "${use.key}" is not in locales/en-US/${set.file}.json`);
      }
    }
  };
  const rel = (file: string): string => path.relative(root, file);
  const nodeSources = new Set(sets.map((s) => s.source));
  for (const set of sets) {
    if (fs.existsSync(set.source)) {
      for (const use of keysInCode(fs.readFileSync(set.source, 'utf8'), rel(set.source))) checkUse(use, set);
    }
    if (fs.existsSync(set.html)) {
      for (const use of keysInHtml(fs.readFileSync(set.html, 'utf8'), `nodes/${set.file}.html`)) checkUse(use, set);
    }
  }
  const core = path.join(root, 'nodes', 'core');
  // By the layout, nodes/*.ts are node files (helpers live in nodes/lib); one not (yet) in
  // package.json is reported by unlistedNodeFiles, not checked as shared code.
  const isNodeFile = (f: string): boolean => path.dirname(f) === path.join(root, 'nodes');
  const shared = listFiles(path.join(root, 'nodes'),
    (f) => f.endsWith('.ts') && !f.startsWith(`${core}${path.sep}`) && !nodeSources.has(f) && !isNodeFile(f));
  for (const file of shared) {
    for (const use of keysInCode(fs.readFileSync(file, 'utf8'), rel(file))) checkUse(use, undefined);
  }
  return problems;
}

/** Node sources and editor files in nodes/ that package.json does not list: Node-RED would never load them. */
export function unlistedNodeFiles(root: string, sets: NodeSet[]): string[] {
  const listed = new Set(sets.map((s) => s.file));
  // Editor plugins (the sidebar) are listed under node-red.plugins, and load the same way.
  for (const rel of Object.values(readPackageJson(root)['node-red']?.plugins ?? {})) listed.add(path.basename(rel).replace(/\.c?js$/, ''));
  const dir = path.join(root, 'nodes');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /\.(ts|html)$/.test(f) && !f.endsWith('.d.ts') && !listed.has(f.replace(/\.(ts|html)$/, '')))
    .map((f) => `nodes/${f}: package.json's node-red.nodes (or .plugins) does not list its file, so Node-RED never loads it`);
}

/** Every non-config node type is used in some examples/**.json flow, and the flows are valid. */
export function checkExamples(root: string, sets: NodeSet[]): string[] {
  const problems: string[] = [];
  const types = editorTypes(sets);
  const known = new Set(types.map((t) => t.type));
  const used = new Set<string>();
  for (const file of listFiles(path.join(root, 'examples'), (f) => f.endsWith('.json'))) {
    const name = path.relative(root, file);
    let flow: unknown;
    try {
      flow = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`${name}: not JSON (${(e as Error).message})`);
      continue;
    }
    if (!Array.isArray(flow) || flow.some((n) => typeof n !== 'object' || n === null || typeof (n as { type?: unknown }).type !== 'string')) {
      problems.push(`${name}: an example must be an array of nodes, each with a string "type"`);
      continue;
    }
    for (const n of flow as Array<{ type: string }>) {
      used.add(n.type);
      if (n.type.startsWith(TYPE_PREFIX) && !known.has(n.type)) problems.push(`${name}: uses ${n.type}, which no node file of this package defines`);
    }
  }
  for (const t of types) {
    if (!t.isConfig && !used.has(t.type)) problems.push(`${t.type}: no flow in examples/ uses it (Flow Library check N02)`);
  }
  return problems;
}

// ---- translations ----------------------------------------------------------------------------

/** Every leaf of a catalogue as "a.b.c" → text. */
function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, String(value));
  }
  return out;
}

const placeholders = (text: string): string => [...new Set(text.match(/__[A-Za-z0-9]+__/g) ?? [])].sort().join(',');
const helpNames = (html: string): string => [...html.matchAll(/data-help-name="([^"]+)"/g)].map((m) => m[1]).sort().join(',');

/**
 * The `lang` translation matches en-US (the language Node-RED falls back to): the same catalogue
 * files with the same keys both ways, the same __placeholders__ per key (a lost one would show an
 * empty hole), no value left empty, and the same help pages with the same node types.
 */
export function checkTranslation(localesDir: string, lang: string): string[] {
  const problems: string[] = [];
  const base = path.join(localesDir, 'en-US');
  const other = path.join(localesDir, lang);
  const files = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(json|html)$/.test(f)).sort() : []);
  const enFiles = files(base);
  const langFiles = files(other);
  for (const f of enFiles) if (!langFiles.includes(f)) problems.push(`${lang}/${f} is missing`);
  for (const f of langFiles) if (!enFiles.includes(f)) problems.push(`${lang}/${f} has no en-US original`);
  for (const f of enFiles.filter((x) => langFiles.includes(x))) {
    const en = fs.readFileSync(path.join(base, f), 'utf8');
    const tr = fs.readFileSync(path.join(other, f), 'utf8');
    if (f.endsWith('.html')) {
      if (helpNames(en) !== helpNames(tr)) problems.push(`${lang}/${f}: help for [${helpNames(tr)}], en-US has [${helpNames(en)}]`);
      continue;
    }
    let enKeys: Map<string, string>;
    let trKeys: Map<string, string>;
    try {
      enKeys = flatten(JSON.parse(en));
      trKeys = flatten(JSON.parse(tr));
    } catch (e) {
      problems.push(`${lang}/${f}: ${(e as Error).message}`);
      continue;
    }
    for (const [k, v] of enKeys) {
      const t = trKeys.get(k);
      if (t === undefined) problems.push(`${lang}/${f}: "${k}" is missing`);
      else if (t.trim() === '' && v.trim() !== '') problems.push(`${lang}/${f}: "${k}" is empty`);
      else if (placeholders(t) !== placeholders(v)) problems.push(`${lang}/${f}: "${k}" has placeholders [${placeholders(t)}], en-US [${placeholders(v)}]`);
    }
    for (const k of trKeys.keys()) if (!enKeys.has(k)) problems.push(`${lang}/${f}: "${k}" is not in en-US`);
  }
  return problems;
}

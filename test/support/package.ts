// What Node-RED's loader and the Flow Library see of this package, read generically from
// package.json's `node-red.nodes` map, so the package checks grow with the package instead of
// listing node types by hand. Everything takes the roots as parameters so the checks can also be
// pointed at a small broken fixture to prove they fail.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

import { BUILD_ROOT, findRepoRoot } from '../../sim/paths';

export const REPO_ROOT = findRepoRoot();
export { BUILD_ROOT };

export interface PackageJson {
  name: string;
  version: string;
  type?: string;
  license?: string;
  keywords?: string[];
  repository?: string | { type?: string; url?: string; directory?: string };
  bugs?: string | { url?: string; email?: string };
  engines?: Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string>; plugins?: Record<string, string> };
}

export function readPackageJson(root: string = REPO_ROOT): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
}

/** Where a file named in package.json lives in the build under test (dist/, or a private MW_OUT build). */
export function builtFile(rel: string, root: string = REPO_ROOT, buildRoot: string = BUILD_ROOT): string {
  const clean = rel.replace(/^\.\//, '');
  return clean.startsWith('dist/') ? path.join(buildRoot, clean.slice('dist/'.length)) : path.join(root, clean);
}

/** A property of a registerType definition, as far as a static reader can tell. */
export type PropValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'object'; keys: string[] }
  | { kind: 'function' }
  | { kind: 'other'; text: string };

export interface EditorType {
  type: string;
  props: Map<string, PropValue>;
}

interface EditorHtml {
  /** Number of `<script type="text/javascript">` blocks. */
  scripts: number;
  types: EditorType[];
  /** registerType calls a static reader (and so `node-red-dev validate`) cannot understand. */
  problems: string[];
}

function propValue(e: ts.Expression): PropValue {
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { kind: 'string', value: e.text };
  if (ts.isNumericLiteral(e)) return { kind: 'number', value: Number(e.text) };
  if (e.kind === ts.SyntaxKind.TrueKeyword || e.kind === ts.SyntaxKind.FalseKeyword) {
    return { kind: 'boolean', value: e.kind === ts.SyntaxKind.TrueKeyword };
  }
  if (ts.isObjectLiteralExpression(e)) {
    if (e.properties.some((p) => !ts.isPropertyAssignment(p))) return { kind: 'other', text: e.getText() };
    return { kind: 'object', keys: e.properties.map((p) => (p.name ? propName(p.name) : '')) };
  }
  if (ts.isFunctionExpression(e) || ts.isArrowFunction(e)) return { kind: 'function' };
  return { kind: 'other', text: e.getText() };
}

function propName(n: ts.PropertyName): string {
  return ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) ? n.text : n.getText();
}

/** The same blocks `node-red-dev validate` reads: only scripts that say type="text/javascript". */
function editorScripts(html: string): string[] {
  const blocks: string[] = [];
  const re = /<script\s[^>]*?type=['"]text\/javascript['"][^>]*>([\s\S]*?)<\/script>/gi;
  for (let m = re.exec(html); m; m = re.exec(html)) blocks.push(m[1]);
  return blocks;
}

export function parseEditorHtml(html: string): EditorHtml {
  const scripts = editorScripts(html);
  const types: EditorType[] = [];
  const problems: string[] = [];
  for (const code of scripts) {
    const sf = ts.createSourceFile('editor.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'registerType'
        && n.expression.expression.getText(sf).replace(/\s/g, '') === 'RED.nodes') {
        const [typeArg, defArg] = n.arguments;
        if (!typeArg || !(ts.isStringLiteral(typeArg) || ts.isNoSubstitutionTemplateLiteral(typeArg))) {
          problems.push(`registerType with a non-literal type: ${n.getText(sf).slice(0, 80)}`);
        } else if (!defArg || !ts.isObjectLiteralExpression(defArg)) {
          problems.push(`registerType('${typeArg.text}') without an object literal definition`);
        } else {
          const props = new Map<string, PropValue>();
          for (const p of defArg.properties) {
            if (ts.isPropertyAssignment(p)) props.set(propName(p.name), propValue(p.initializer));
            else if (ts.isMethodDeclaration(p)) props.set(propName(p.name), { kind: 'function' });
            else if (ts.isShorthandPropertyAssignment(p)) props.set(p.name.text, { kind: 'other', text: p.name.text });
            else problems.push(`registerType('${typeArg.text}') definition uses a spread or accessor`);
          }
          types.push({ type: typeArg.text, props });
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    const diagnostics = (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
    for (const d of diagnostics) problems.push(`syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
  }
  return { scripts: scripts.length, types, problems };
}

export interface NodeSet {
  /** Key in package.json's node-red.nodes map; also the i18n namespace suffix. */
  key: string;
  /** Basename of the node file; names its .html, catalogue and help. */
  file: string;
  js: string;
  html: string;
  /** TypeScript source, by the layout rule nodes/<file>.ts → dist/nodes/<file>.js. */
  source: string;
  catalogue: string;
  help: string;
  iconsDir: string;
}

export function nodeSets(root: string = REPO_ROOT, buildRoot: string = BUILD_ROOT): NodeSet[] {
  const nodes = readPackageJson(root)['node-red']?.nodes ?? {};
  return Object.entries(nodes).map(([key, rel]) => {
    const js = builtFile(rel, root, buildRoot);
    const dir = path.dirname(js);
    const file = path.basename(js).replace(/\.c?js$/, '');
    const srcRel = rel.replace(/^\.\//, '').replace(/^dist\//, '').replace(/\.c?js$/, '.ts');
    return {
      key,
      file,
      js,
      html: js.replace(/\.c?js$/, '.html'),
      source: path.join(root, srcRel),
      catalogue: path.join(dir, 'locales', 'en-US', `${file}.json`),
      help: path.join(dir, 'locales', 'en-US', `${file}.html`),
      iconsDir: path.join(dir, 'icons'),
    };
  });
}

// ---- i18n ------------------------------------------------------------------------------------

export interface KeyUse {
  key: string;
  where: string;
}

const STATUS_HELPERS = new Set(['ok', 'busy', 'warning', 'failed', 'idle']);

function literalText(e: ts.Expression | undefined): string | undefined {
  return e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined;
}

/**
 * i18n keys written as literals in code: `X._('key')` (RED._, node._, this._), the status helpers of
 * nodes/lib/status.ts (`ok('key')`, …) and `showStatus(RED, node, { key: 'key' })`. Keys built at
 * run time cannot be checked statically and are not returned.
 */
export function keysInCode(code: string, fileName: string): KeyUse[] {
  const kind = fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, kind);
  const uses: KeyUse[] = [];
  const add = (key: string | undefined, n: ts.Node): void => {
    if (key === undefined) return;
    const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    uses.push({ key, where: `${fileName}:${line + 1}` });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === '_') add(literalText(n.arguments[0]), n);
      if (ts.isIdentifier(callee) && STATUS_HELPERS.has(callee.text)) add(literalText(n.arguments[0]), n);
      if (ts.isIdentifier(callee) && callee.text === 'showStatus') {
        const spec = n.arguments[2];
        if (spec && ts.isObjectLiteralExpression(spec)) {
          for (const p of spec.properties) {
            if (ts.isPropertyAssignment(p) && propName(p.name) === 'key') add(literalText(p.initializer), p);
          }
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return uses;
}

/** Keys in an editor .html: data-i18n attributes (`[attr]key;key2`) and `_('…')` calls in its scripts. */
export function keysInHtml(html: string, fileName: string): KeyUse[] {
  const uses: KeyUse[] = [];
  const lineOf = (index: number): number => html.slice(0, index).split('\n').length;
  const attr = /data-i18n\s*=\s*(["'])(.*?)\1/g;
  for (let m = attr.exec(html); m; m = attr.exec(html)) {
    for (const part of m[2].split(';')) {
      const key = part.replace(/^\s*\[[^\]]*\]/, '').trim();
      if (key) uses.push({ key, where: `${fileName}:${lineOf(m.index)}` });
    }
  }
  const scriptRe = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;
  for (let m = scriptRe.exec(html); m; m = scriptRe.exec(html)) {
    // Templates (type="text/html") are covered by their data-i18n attributes.
    const type = /type\s*=\s*["']([^"']+)["']/i.exec(m[1])?.[1];
    if (type && !/javascript/i.test(type)) continue;
    const offset = lineOf(m.index + m[0].indexOf(m[2])) - 1;
    for (const use of keysInCode(m[2], fileName)) {
      const line = Number(use.where.slice(use.where.lastIndexOf(':') + 1)) + offset;
      uses.push({ key: use.key, where: `${fileName}:${line}` });
    }
  }
  return uses;
}

/** Follows a dotted key through a nested catalogue, as i18next does; a key must end on a string. */
export function lookupKey(catalogue: unknown, key: string): string | undefined {
  let at: unknown = catalogue;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object' || !(part in at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' ? at : undefined;
}

type KeyTarget = { skip: true; reason: string } | { skip: false; set: NodeSet | undefined; key: string };

/**
 * Which catalogue a key resolves in. Node-RED gives each node set the namespace `<module>/<set key>`
 * and prefixes a node's RED._ with it; `node-red:` and other foreign namespaces are not ours.
 */
export function keyTarget(key: string, own: NodeSet | undefined, sets: NodeSet[], moduleName: string): KeyTarget {
  const colon = key.indexOf(':');
  if (colon > 0 && !key.slice(0, colon).includes('.')) {
    const ns = key.slice(0, colon);
    const rest = key.slice(colon + 1);
    if (!ns.startsWith(`${moduleName}/`)) return { skip: true, reason: `namespace ${ns}` };
    const setKey = ns.slice(moduleName.length + 1);
    return { skip: false, set: sets.find((s) => s.key === setKey), key: rest };
  }
  return { skip: false, set: own, key };
}

export function listFiles(dir: string, accept: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, accept));
    else if (accept(full)) out.push(full);
  }
  return out.sort();
}

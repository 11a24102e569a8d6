// The rule set a node runs: the rules file (if any), with the editor's rules on top. Read once at
// deploy; a relative file name is taken from the Node-RED user directory, where flows live.
import path from 'node:path';
import { readConfinedSync, withoutQuotedContent, type FileAccess } from '../storage/confined-file';
import { RuleBook } from './rules';
import { mergeRuleSets, parseRuleSet } from './schema';
import type { RuleSet } from './types';

export type LoadedRules = { ok: true; set: RuleSet; book: RuleBook; warnings: string[] } | { ok: false; errors: string[] };

export function resolveRulesFile(file: string, userDir: string): string {
  return path.isAbsolute(file) ? file : path.join(userDir, file);
}

/**
 * `access`: the user directory (a string) or the full file access (allowed directories, size cap).
 * The file is confined to those directories (see storage/confined-file.ts); `fileText`, when given,
 * is the file's content already read (the admin route reads it asynchronously).
 */
export function loadRules(editorText: string, file: string, access: string | FileAccess, fileText?: string): LoadedRules {
  let base: RuleSet = {};
  if (file !== '') {
    let text = fileText;
    if (text === undefined) {
      const read = readConfinedSync(file, typeof access === 'string' ? { userDir: access } : access);
      if (!read.ok) return { ok: false, errors: [`rules file ${read.error}`] };
      text = read.text;
    }
    const fromFile = parseRuleSet(text, `rules file ${file}`);
    // Never quote the file's content back (its first characters could be a secret of another file).
    if (!fromFile.ok) return { ok: false, errors: fromFile.errors.map(withoutQuotedContent) };
    base = fromFile.value;
  }
  const fromEditor = parseRuleSet(editorText, 'rules');
  if (!fromEditor.ok) return fromEditor;
  const set = mergeRuleSets(base, fromEditor.value);
  const book = new RuleBook(set);
  // Overrides of assets with a fixed class can be checked now; the rest when their assets appear.
  for (const [key, a] of Object.entries(set.assets ?? {})) {
    if (a.class === undefined) continue;
    const slash = key.indexOf('/');
    book.rulesFor({ id: slash >= 0 ? key.slice(slash + 1) : key, siteId: slash >= 0 ? key.slice(0, slash) : '', class: a.class });
  }
  if (book.problems.length > 0) return { ok: false, errors: [...book.problems] };
  const empty = Object.values(set.classes ?? {}).every((r) => r.length === 0) && Object.values(set.assets ?? {}).every((a) => (a.rules ?? []).length === 0);
  return { ok: true, set, book, warnings: empty ? ['no rules'] : [] };
}

// The rule set a node runs: the rules file (if any), with the editor's rules on top. The file is
// read once at deploy, asynchronously (loadRulesFile); a relative file name is taken from the
// Node-RED user directory, where flows live.
import { readConfined, withoutQuotedContent, type FileAccess } from '../storage/confined-file';
import { RuleBook } from './rules';
import { mergeRuleSets, parseRuleSet } from './schema';
import { LIMIT_NAMES, type RuleSet, type RuleSpec } from './types';

/** `chatterRisks`: limits with deadband 0 and no delay, named (warned in the editor and at deploy). */
export type LoadedRules = { ok: true; set: RuleSet; book: RuleBook; warnings: string[]; chatterRisks: string[] } | { ok: false; errors: string[] };

const noDelay = (d: RuleSpec['onDelay']): boolean => d === undefined || ((d.seconds ?? 0) === 0 && (d.samples ?? 1) <= 1);

/**
 * Limits that will chatter on a value hovering at them: no deadband and neither an on- nor an
 * off-delay (ISA-18.2 TR2 suggests a deadband of about 1–5 % of the span, or a delay).
 */
export function chatterRisks(set: RuleSet): string[] {
  const out: string[] = [];
  const check = (where: string, r: Partial<RuleSpec>): void => {
    if (!r.limits || !noDelay(r.onDelay) || !noDelay(r.offDelay)) return;
    for (const n of LIMIT_NAMES) {
      const l = r.limits[n];
      if (!l) continue;
      const db = l.deadband ?? r.deadband;
      if (db === undefined || db === 0 || (typeof db === 'string' && Number.parseFloat(db) === 0)) {
        if (out.length < 100) out.push(`${where}, limit ${n}: deadband 0 and no on- or off-delay — a value hovering at the limit raises and clears on every reading (ISA-18.2 TR2: a deadband of about 1–5 % of the span, or a delay)`);
      }
    }
  };
  for (const [cls, rules] of Object.entries(set.classes ?? {})) for (const r of rules) check(`class "${cls}", rule "${r.id}"`, r);
  for (const [key, a] of Object.entries(set.assets ?? {})) for (const r of a.rules ?? []) if (r.metric !== undefined) check(`asset "${key}", rule "${r.id}"`, r);
  return out;
}

/**
 * Reads the rules file (if any) without blocking the event loop, confined to the user directory or
 * an allowed directory (see storage/confined-file.ts), then checks it with the editor's rules.
 * `access`: the user directory (a string) or the full file access (allowed directories, size cap).
 */
export async function loadRulesFile(editorText: string, file: string, access: string | FileAccess): Promise<LoadedRules> {
  if (file === '') return loadRules(editorText, '', undefined);
  const read = await readConfined(file, typeof access === 'string' ? { userDir: access } : access);
  if (!read.ok) return { ok: false, errors: [`rules file ${read.error}`] };
  return loadRules(editorText, file, read.text);
}

/**
 * The rule set from the editor's rules and the rules file's text (`fileText`, already read by
 * loadRulesFile; nothing is read here). `file` names the file in errors; '' for none.
 */
export function loadRules(editorText: string, file: string, fileText: string | undefined): LoadedRules {
  let base: RuleSet = {};
  if (file !== '') {
    if (fileText === undefined) return { ok: false, errors: [`rules file ${file}: not read`] };
    const fromFile = parseRuleSet(fileText, `rules file ${file}`);
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
  return { ok: true, set, book, warnings: empty ? ['no rules'] : [], chatterRisks: chatterRisks(set) };
}

// The rule set's JSON Schema and its checks. Errors name the class, the rule id and the field, so a
// plant engineer can find the mistake in a rule file of a few hundred rules.
import type { ErrorObject } from 'ajv';
import Ajv from 'ajv';
import { safePropertyNames } from '../contracts/common';
import { LIMIT_NAMES, type LimitName, type RuleOverride, type RuleSet, type RuleSpec } from './types';
import { errorMessage } from '../error-message';

const severity = { enum: ['critical', 'high', 'medium', 'low'] } as const;
const priority = { type: ['integer', 'string'], minimum: 0, maximum: 1000, minLength: 1, maxLength: 40 } as const;
const deadband = {
  oneOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', pattern: '^\\d+(\\.\\d+)?%$', maxLength: 12 },
  ],
} as const;
const ruleId = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' } as const;
const seconds = { type: 'number', minimum: 0, maximum: 31_536_000 } as const;
const delay = {
  type: 'object',
  additionalProperties: false,
  properties: { seconds, samples: { type: 'integer', minimum: 1, maximum: 100_000 } },
} as const;
const limit = {
  type: 'object',
  additionalProperties: false,
  required: ['severity'],
  properties: {
    value: { type: 'number' },
    fromCustom: { type: 'string', minLength: 1, maxLength: 100 },
    severity,
    priority,
    deadband,
  },
} as const;

function ruleProperties() {
  return {
    id: ruleId,
    metric: { type: 'string', minLength: 1, maxLength: 200 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: { HH: limit, H: limit, L: limit, LL: limit },
    },
    deadband,
    onDelay: delay,
    offDelay: delay,
    rateOfChange: {
      type: 'object',
      additionalProperties: false,
      required: ['limit', 'per', 'windowSeconds', 'severity'],
      properties: {
        limit: { type: 'number', exclusiveMinimum: 0 },
        per: { enum: ['second', 'minute'] },
        windowSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
        direction: { enum: ['rise', 'fall', 'both'] },
        severity,
        priority,
        deadband: { type: 'number', minimum: 0 },
      },
    },
    staleAfterSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 31_536_000 },
    validRange: {
      type: 'object',
      additionalProperties: false,
      properties: { min: { type: 'number' }, max: { type: 'number' } },
    },
    uncertainQuality: { enum: ['evaluate', 'hold', 'fault'] },
    reAlarm: {
      type: 'object',
      additionalProperties: false,
      required: ['seconds'],
      properties: { seconds: { type: 'number', minimum: 1, maximum: 31_536_000 }, maxCount: { type: 'integer', minimum: 1, maximum: 10_000 } },
    },
    sensorFault: { type: 'object', additionalProperties: false, required: ['severity'], properties: { severity, priority } },
  };
}

const rule = { type: 'object', additionalProperties: false, required: ['id', 'metric'], properties: ruleProperties() } as const;
const override = { type: 'object', additionalProperties: false, required: ['id'], properties: ruleProperties() } as const;

/** The schema of one class rule: the editor's rule table checks each field against it (GET mw-threshold/rule-schema). */
export const RULE_SCHEMA = rule;

const ruleSetSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    classes: {
      type: 'object',
      maxProperties: 1000,
      propertyNames: { ...safePropertyNames, minLength: 1, maxLength: 200 },
      additionalProperties: { type: 'array', maxItems: 1000, items: rule },
    },
    assets: {
      type: 'object',
      maxProperties: 100_000,
      propertyNames: { ...safePropertyNames, minLength: 1, maxLength: 401 },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          class: { type: 'string', minLength: 1, maxLength: 200 },
          rules: { type: 'array', maxItems: 1000, items: override },
          disable: { type: 'array', maxItems: 1000, items: ruleId },
        },
      },
    },
  },
} as const;

// A separate instance: rule files are checked at deploy, and their errors need the data to name rules.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateShape = ajv.compile(ruleSetSchema);

/** Where an error is, in plant terms: `class "pump", rule "bearing-temp": limits.H.value`. */
function locate(data: RuleSet, pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'classes' && parts.length >= 2) {
    const cls = parts[1];
    if (parts.length === 2) return `class "${cls}"`;
    const index = Number(parts[2]);
    const id = data.classes?.[cls]?.[index]?.id;
    const who = typeof id === 'string' ? `rule "${id}"` : `rule #${index + 1}`;
    const field = parts.slice(3).join('.');
    return `class "${cls}", ${who}${field ? `: ${field}` : ''}`;
  }
  if (parts[0] === 'assets' && parts.length >= 2) {
    const asset = parts[1];
    if (parts[2] === 'rules' && parts.length >= 4) {
      const index = Number(parts[3]);
      const id = data.assets?.[asset]?.rules?.[index]?.id;
      const who = typeof id === 'string' ? `rule "${id}"` : `rule #${index + 1}`;
      const field = parts.slice(4).join('.');
      return `asset "${asset}", ${who}${field ? `: ${field}` : ''}`;
    }
    const field = parts.slice(2).join('.');
    return `asset "${asset}"${field ? `: ${field}` : ''}`;
  }
  return parts.join('.') || 'rule set';
}

function describe(e: ErrorObject, data: RuleSet): string {
  const where = locate(data, e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown field "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${where}: missing "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'oneOf':
      return `${where}: must be a number ≥ 0 or a percentage like "2%"`;
    case 'propertyNames':
      return `${where}: name "${String(e.params.propertyName)}" is not allowed`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

const MAX_ERRORS = 20;

function limitValue(rule: RuleOverride, name: LimitName): number | undefined {
  const l = rule.limits?.[name];
  return l && l.fromCustom === undefined ? l.value : undefined;
}

/** Limit order and range problems of one rule (also run on a rule merged with an asset's override). */
export function ruleProblems(where: string, r: RuleOverride): string[] {
  const errors: string[] = [];
  const [hh, h, l, ll] = LIMIT_NAMES.map((n) => limitValue(r, n));
  const order: Array<[number | undefined, number | undefined, string]> = [
    [hh, h, 'HH must be above H'], [h, l, 'H must be above L'], [l, ll, 'L must be above LL'],
    [hh, l, 'HH must be above L'], [h, ll, 'H must be above LL'], [hh, ll, 'HH must be above LL'],
  ];
  for (const [a, b, msg] of order) if (a !== undefined && b !== undefined && !(a > b)) errors.push(`${where}: limits: ${msg}`);
  for (const n of LIMIT_NAMES) {
    const l = r.limits?.[n];
    if (l && l.value === undefined && l.fromCustom === undefined) errors.push(`${where}: limits.${n}: needs "value" or "fromCustom"`);
  }
  const range = r.validRange;
  if (range?.min !== undefined && range.max !== undefined && !(range.max > range.min)) errors.push(`${where}: validRange: max must be above min`);
  return errors;
}

/** Checks a JSON Schema cannot express: limit order, unique ids, usable rules. */
function semanticErrors(set: RuleSet): string[] {
  const errors: string[] = [];
  const checkRule = (where: string, r: RuleOverride, complete: boolean): void => {
    errors.push(...ruleProblems(where, r));
    if (complete) {
      const hasLimit = r.limits && Object.keys(r.limits).length > 0;
      if (!hasLimit && !r.rateOfChange && r.staleAfterSeconds === undefined && !r.validRange) {
        errors.push(`${where}: has nothing to check (give limits, rateOfChange, staleAfterSeconds or validRange)`);
      }
    }
  };
  for (const [cls, rules] of Object.entries(set.classes ?? {})) {
    const seen = new Set<string>();
    rules.forEach((r: RuleSpec) => {
      const where = `class "${cls}", rule "${r.id}"`;
      if (seen.has(r.id)) errors.push(`${where}: the id is used twice in this class`);
      seen.add(r.id);
      checkRule(where, r, true);
    });
  }
  for (const [asset, a] of Object.entries(set.assets ?? {})) {
    const cls = a.class;
    if (cls !== undefined && set.classes?.[cls] === undefined && cls !== '*') errors.push(`asset "${asset}": class "${cls}" has no rules`);
    for (const r of a.rules ?? []) checkRule(`asset "${asset}", rule "${r.id}"`, r, false);
  }
  return errors;
}

type RuleSetCheck = { ok: true; value: RuleSet } | { ok: false; errors: string[] };

export function checkRuleSet(data: unknown): RuleSetCheck {
  if (!validateShape(data)) {
    const all = (validateShape.errors ?? []).filter((e) => e.keyword !== 'if' && !(e.keyword === 'not' && e.instancePath.endsWith('/propertyName')));
    // oneOf/anyOf report every branch's failure too; keep the summary line.
    const branchy = new Set(all.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
    const useful = all.filter((e) => e.keyword === 'oneOf' || !branchy.has(e.instancePath));
    const messages = [...new Set(useful.map((e) => describe(e, data as RuleSet)))];
    return { ok: false, errors: messages.slice(0, MAX_ERRORS) };
  }
  const set = data as RuleSet;
  const errors = semanticErrors(set);
  return errors.length > 0 ? { ok: false, errors: errors.slice(0, MAX_ERRORS) } : { ok: true, value: set };
}

/** Parses rule-set text (editor or file); `source` names it in errors ("rules file /data/x.json"). */
export function parseRuleSet(text: string, source: string): RuleSetCheck {
  if (text.trim() === '') return { ok: true, value: {} };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`${source}: not JSON (${errorMessage(e)})`] };
  }
  const checked = checkRuleSet(data);
  return checked.ok ? checked : { ok: false, errors: checked.errors.map((m) => `${source}: ${m}`) };
}

/**
 * Merges a rules file with the editor's rules: the editor wins. Class rules with the same id are
 * replaced, other rules added; per-asset settings are replaced asset by asset.
 */
export function mergeRuleSets(base: RuleSet, top: RuleSet): RuleSet {
  const classes: Record<string, RuleSpec[]> = { ...(base.classes ?? {}) };
  for (const [cls, rules] of Object.entries(top.classes ?? {})) {
    const kept = (classes[cls] ?? []).filter((r) => !rules.some((t) => t.id === r.id));
    classes[cls] = [...kept, ...rules];
  }
  return { classes, assets: { ...(base.assets ?? {}), ...(top.assets ?? {}) } };
}

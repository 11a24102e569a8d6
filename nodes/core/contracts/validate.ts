import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { inputProblem, inspectInput, INPUT_LIMITS, foreignKeys, missingLines, type InputLimits } from './bounds';

type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export interface Validator<T> {
  (data: unknown): Validation<T>;
  /** The schema, for help text and for other packages that want to check the same shape. */
  readonly schema: object;
  /** The schema's top-level required properties: an object with none of them is refused by name lookups alone (bounds.ts foreignKeys). */
  readonly required: readonly string[];
}

function requiredOf(schema: object): readonly string[] {
  const r = (schema as { required?: unknown }).required;
  return Object.freeze(Array.isArray(r) ? r.filter((k): k is string => typeof k === 'string') : []);
}

// One Ajv instance for the process: compiling is the expensive part and happens once per schema,
// at module load, never on the message path.
// `allErrors` lists every problem, which is what a configuration dialog wants; it is used only for
// settings (small, written by an admin). Messages are untrusted: their validators stop at the
// first error, so a ten-million-element array costs one error, not ten million (see bounds.ts).
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const ajvFirst = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

/** At most this many problems are reported; a 10 000-row garbage payload should not make a 10 000-line error. */
export const MAX_REPORTED_ERRORS = 10;

function describe(e: ErrorObject, root: string): string {
  const where = root + e.instancePath.replace(/\//g, '.');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unexpected property "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${where}: missing required property "${String(e.params.missingProperty)}"`;
    case 'propertyNames':
      return `${where}: property name "${String(e.params.propertyName)}" is not allowed`;
    case 'enum':
      return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

function formatErrors(errors: ErrorObject[] | null | undefined, root = 'payload'): string[] {
  if (!errors || errors.length === 0) return [`${root}: invalid`];
  // propertyNames failures come in pairs (the name and its `not`); keep the readable one.
  let useful = errors.filter((e) => e.keyword !== 'not' || !e.instancePath.endsWith('/propertyName'));
  // An `anyOf` failure lists every branch's complaint ("must be string", "must be <= 100"…); one
  // value, one message: keep the most telling branch error (a range beats a type).
  const anyOfPaths = new Set(useful.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  if (anyOfPaths.size > 0) {
    const rank = (e: ErrorObject): number => (e.keyword === 'anyOf' ? 3 : e.keyword === 'type' ? 2 : e.keyword === 'pattern' ? 1 : 0);
    const best = new Map<string, ErrorObject>();
    for (const e of useful) {
      if (!anyOfPaths.has(e.instancePath)) continue;
      const cur = best.get(e.instancePath);
      if (!cur || rank(e) < rank(cur)) best.set(e.instancePath, e);
    }
    useful = useful.filter((e) => !anyOfPaths.has(e.instancePath) || best.get(e.instancePath) === e);
  }
  const out = [...new Set(useful.map((e) => describe(e, root)))];
  if (out.length > MAX_REPORTED_ERRORS) {
    const more = out.length - MAX_REPORTED_ERRORS;
    return [...out.slice(0, MAX_REPORTED_ERRORS), `… and ${more} more`];
  }
  return out;
}

/** For settings (trusted, small): every problem is reported, up to MAX_REPORTED_ERRORS. */
export function compileValidator<T>(schema: object, root = 'payload'): Validator<T> {
  const fn: ValidateFunction = ajv.compile(schema);
  const validator = (data: unknown): Validation<T> => {
    // Even settings are never handed to ajv as a Buffer, Proxy or class instance.
    const shape = inputProblem(data, root, SETTINGS_LIMITS);
    if (shape) return { ok: false, errors: [shape.error] };
    return fn(data) ? { ok: true, value: data as T } : { ok: false, errors: formatErrors(fn.errors, root) };
  };
  return Object.assign(validator, { schema, required: requiredOf(schema) });
}

/** Inputs up to this many values get every problem listed; larger ones the first. */
const FULL_REPORT_MAX_VALUES = 2000;

const SETTINGS_LIMITS: InputLimits = { ...INPUT_LIMITS, maxNodes: 50_000 };

/**
 * For messages (untrusted): a plain object with none of the schema's required properties is refused
 * by name lookups alone (its size is never examined: a million-key object costs microseconds, not
 * the half second of listing its keys); otherwise the value's size and shape are bounded first
 * (bounds.ts), then ajv stops at the first error. The cost is bounded by the input's size, never by
 * its error count.
 */
export function compileInputValidator<T>(schema: object, root = 'payload', limits: InputLimits = INPUT_LIMITS): Validator<T> {
  const fn: ValidateFunction = ajvFirst.compile(schema);
  let all: ValidateFunction | null = null;
  const required = requiredOf(schema);
  const validator = (data: unknown): Validation<T> => {
    const foreign = foreignKeys(data, required);
    if (foreign) return { ok: false, errors: missingLines(foreign, root) };
    const seen = inspectInput(data, root, limits);
    if (seen.problem) return { ok: false, errors: [seen.problem.error] };
    if (fn(data)) return { ok: true, value: data as T };
    // A small input (its size is known from the walk) gets the full list, which is cheap for it.
    if (seen.nodes > FULL_REPORT_MAX_VALUES) return { ok: false, errors: formatErrors(fn.errors, root) };
    all ??= ajv.compile(schema);
    all(data);
    return { ok: false, errors: formatErrors(all.errors ?? fn.errors, root) };
  };
  return Object.assign(validator, { schema, required });
}

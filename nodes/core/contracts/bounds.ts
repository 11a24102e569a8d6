// Untrusted input is bounded before it is validated. A message payload comes from whatever is wired
// in front of a node (an MQTT topic, an HTTP endpoint, a camera's image Buffer by mistake), so its
// size and shape are checked first, with a budget, and only a small plain value reaches ajv.
// Why: ajv walks what the schema names, but a Buffer or a ten-million-element array where an object
// belongs, a Proxy whose traps throw, or a 10 000-deep object that Node-RED's own clone cannot copy
// would each cost seconds, gigabytes or a stack overflow somewhere downstream.
import { types } from 'node:util';

export interface InputLimits {
  /** Nesting depth of objects and arrays (the contracts need 4; camera records add a few). */
  maxDepth: number;
  /** Objects, arrays and values visited in all. */
  maxNodes: number;
  /** Elements of one array, properties of one object. */
  maxArrayLength: number;
  /** Characters of one string. */
  maxStringLength: number;
  /** Characters of all strings together. */
  maxTotalChars: number;
}

export const INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxDepth: 32,
  maxNodes: 200_000,
  maxArrayLength: 20_000,
  maxStringLength: 1_000_000,
  maxTotalChars: 8_000_000,
});

/** What was wrong, in one short sentence, and a small flat stand-in for the value (safe to clone and log). */
export interface InputProblem {
  error: string;
  summary: { rejected: string; type: string; size?: number };
}

/** A short name for what a value is, without reading it (no getters, no traps). */
export function kindOf(v: unknown): { type: string; size?: number } {
  if (v === null) return { type: 'null' };
  if (typeof v !== 'object') return typeof v === 'string' ? { type: 'string', size: v.length } : { type: typeof v };
  if (types.isProxy(v)) return { type: 'Proxy' };
  if (Buffer.isBuffer(v)) return { type: 'Buffer', size: v.length };
  if (ArrayBuffer.isView(v)) return { type: 'typed array', size: v.byteLength };
  if (types.isAnyArrayBuffer(v)) return { type: 'ArrayBuffer', size: v.byteLength };
  if (Array.isArray(v)) return { type: 'array', size: v.length };
  return { type: isPlain(v) ? 'object' : 'non-plain object' };
}

/**
 * A plain object: made by `{}` / JSON.parse / Object.create(null) in any realm (Node-RED's function
 * node runs in its own vm context, so its Object.prototype is not ours; its prototype's prototype
 * is null all the same).
 */
function isPlain(o: object): boolean {
  const proto: unknown = Object.getPrototypeOf(o);
  if (proto === null || Object.getPrototypeOf(proto) === null) return true;
  // An object made with Object.create({...}) (or `x.__proto__ = {...}`) is still data; a class
  // instance, Date or Map has a prototype with its own constructor.
  if (types.isProxy(proto)) return false;
  return !Object.prototype.hasOwnProperty.call(proto, 'constructor');
}

/** A value still to visit; its path is worked out only when it is reported. */
interface Frame {
  v: unknown;
  depth: number;
  at: string | null;
  up: Frame | null;
  key: string | number;
}

function pathOf(f: Frame): string {
  if (f.at !== null) return f.at;
  const parts: string[] = [];
  for (let g: Frame | null = f; g && g.at === null; g = g.up) {
    const k = g.key;
    parts.push(typeof k === 'number' ? `[${k}]` : `.${k.length > 40 ? `${k.slice(0, 40)}…` : k}`);
    if (parts.length > 8) { parts.push('…'); break; }
  }
  let top: Frame | null = f;
  while (top && top.at === null) top = top.up;
  return `${top?.at ?? ''}${parts.reverse().join('')}`;
}

function describeProblem(where: string, error: string, root: unknown): InputProblem {
  const k = kindOf(root);
  return { error: `${where}: ${error}`, summary: { rejected: error, type: k.type, ...(k.size !== undefined ? { size: k.size } : {}) } };
}

/**
 * Null when `value` is a plain, bounded JSON-like value; otherwise the first problem. Never calls
 * a Proxy trap; a getter that throws makes the value "unreadable". Cost is bounded by the limits
 * (and, for one object with very many keys, by enumerating its keys once).
 */
export function inputProblem(value: unknown, root = 'payload', limits: InputLimits = INPUT_LIMITS): InputProblem | null {
  return inspectInput(value, root, limits).problem;
}

/**
 * The `required` names of a plain object when it has none of them (it is not this kind of message
 * at all), read by name only: a hash lookup each, no key enumerated, no getter run, no trap called.
 * Null when `value` is not a plain object or has at least one of them.
 * Why: V8 lists every key of an object before the first step of any enumeration (for-in and
 * Object.keys alike sort a large object's keys), so one object of a million keys costs ~0.5 s
 * before a size check can count past its cap. An object that is none of what a node takes is
 * refused here, without the enumeration. One that has some of its contract's required properties
 * is a malformed message of that kind: it is walked and validated whole, so its errors are listed
 * in full and a small one is passed on unchanged.
 */
export function foreignKeys(value: unknown, required: readonly string[]): readonly string[] | null {
  if (required.length === 0 || kindOf(value).type !== 'object') return null;
  const has = Object.prototype.hasOwnProperty;
  return required.some((k) => has.call(value, k)) ? null : required;
}

/** One line per missing property, in ajv's words (the texts a full validation gives). */
export function missingLines(missing: readonly string[], root = 'payload'): string[] {
  return missing.map((k) => `${root}: missing required property "${k}"`);
}

/** The problem of a plain object that has none of `required`, or null. Its size stays unexamined. */
export function foreignProblem(value: unknown, required: readonly string[], root = 'payload'): InputProblem | null {
  const missing = foreignKeys(value, required);
  if (!missing) return null;
  if (missing.length === 1) return { error: missingLines(missing, root)[0], summary: { rejected: `missing required property "${missing[0]}"`, type: 'object' } };
  // Several in one line (an event requires 14): the same words, shorter than one line each.
  const rejected = `missing required properties ${missing.map((k) => `"${k}"`).join(', ')}`;
  return { error: `${root}: ${rejected}`, summary: { rejected, type: 'object' } };
}

/** inputProblem, and how many values the walk visited (the input's size, when it is fine). */
export function inspectInput(value: unknown, root = 'payload', limits: InputLimits = INPUT_LIMITS): { problem: InputProblem | null; nodes: number } {
  const problem = (where: string, error: string, v: unknown): { problem: InputProblem; nodes: number } => ({ problem: describeProblem(where, error, v), nodes });
  let nodes = 0;
  let chars = 0;
  const stack: Frame[] = [{ v: value, depth: 0, at: root, up: null, key: '' }];
  try {
    while (stack.length > 0) {
      const frame = stack.pop() as Frame;
      const { v, depth } = frame;
      if (++nodes > limits.maxNodes) return problem(root, `more than ${limits.maxNodes} values in all`, value);
      if (typeof v === 'string') {
        if (v.length > limits.maxStringLength) return problem(pathOf(frame), `a string of ${v.length} characters (at most ${limits.maxStringLength})`, value);
        chars += v.length;
        if (chars > limits.maxTotalChars) return problem(root, `more than ${limits.maxTotalChars} characters of text in all`, value);
        continue;
      }
      if (typeof v === 'function' || typeof v === 'symbol') return problem(pathOf(frame), `a ${typeof v} is not data`, value);
      if (v === null || typeof v !== 'object') continue;
      const k = kindOf(v);
      if (k.type !== 'object' && k.type !== 'array') {
        const size = k.size !== undefined ? ` of ${k.size} ${k.type === 'array' ? 'elements' : 'bytes'}` : '';
        return problem(pathOf(frame), `${k.type}${size} where JSON data belongs`, value);
      }
      if (depth >= limits.maxDepth) return problem(pathOf(frame), `nested deeper than ${limits.maxDepth} levels`, value);
      if (Array.isArray(v)) {
        if (v.length > limits.maxArrayLength) return problem(pathOf(frame), `an array of ${v.length} elements (at most ${limits.maxArrayLength})`, value);
        if (nodes + v.length > limits.maxNodes) return problem(root, `more than ${limits.maxNodes} values in all`, value);
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i] as unknown, depth: depth + 1, at: null, up: frame, key: i });
        continue;
      }
      // One pass, stopping at the cap: a million-key object costs one key enumeration (V8 collects
      // and sorts the keys before the first step, ~0.5 s for a million: see foreignKeys for how the
      // nodes avoid it), never a million stack entries.
      let keys = 0;
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        if (++keys > limits.maxArrayLength) return problem(pathOf(frame), `an object with more than ${limits.maxArrayLength} properties`, value);
        if (keys + nodes > limits.maxNodes) return problem(root, `more than ${limits.maxNodes} values in all`, value);
        stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, at: null, up: frame, key });
      }
    }
  } catch (e) {
    // A getter that throws (or anything else that cannot be read): the value is not data.
    const why = e instanceof Error ? e.message : 'it threw';
    return problem(root, `cannot be read (${why.slice(0, 100)})`, value);
  }
  return { problem: null, nodes };
}

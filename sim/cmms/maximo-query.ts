// The subset of Maximo's OSLC query language the simulator understands: oslc.where with =, !=,
// <, <=, >, >=, `in [..]` and `and`; quoted strings and ISO dates; % as LIKE; "*" as not-null.
// oslc.select, oslc.orderBy and paging with responseInfo.nextPage.

export type Literal = string | number;
export interface Condition {
  attr: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in';
  values: Literal[];
}

export class QueryError extends Error {}

type Token = { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'op'; v: string } | { t: 'punct'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      let v = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        v += src[i++];
      }
      if (src[i] !== '"') throw new QueryError('unterminated string in oslc.where');
      i++;
      out.push({ t: 'str', v });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '>=' || two === '<=' || two === '!=') { out.push({ t: 'op', v: two }); i += 2; continue; }
    if (c === '=' || c === '<' || c === '>') { out.push({ t: 'op', v: c }); i++; continue; }
    if (c === '[' || c === ']' || c === ',') { out.push({ t: 'punct', v: c }); i++; continue; }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: Number(num[0]) }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][\w.]*/.exec(src.slice(i));
    if (id) { out.push({ t: 'id', v: id[0] }); i += id[0].length; continue; }
    throw new QueryError(`unexpected character '${c}' in oslc.where`);
  }
  return out;
}

export function parseWhere(src: string): Condition[] {
  const tokens = tokenize(src);
  const conds: Condition[] = [];
  let i = 0;
  const literal = (): Literal => {
    const tok = tokens[i++];
    if (tok && (tok.t === 'str' || tok.t === 'num')) return tok.v;
    throw new QueryError('expected a quoted string or a number in oslc.where');
  };
  while (i < tokens.length) {
    const attr = tokens[i++];
    if (attr.t !== 'id') throw new QueryError('expected an attribute name in oslc.where');
    const op = tokens[i++];
    if (op?.t === 'id' && op.v.toLowerCase() === 'in') {
      if (tokens[i++]?.v !== '[') throw new QueryError('expected [ after in');
      const values: Literal[] = [literal()];
      while (tokens[i]?.v === ',') { i++; values.push(literal()); }
      if (tokens[i++]?.v !== ']') throw new QueryError('expected ] to close in [..]');
      conds.push({ attr: attr.v.toLowerCase(), op: 'in', values });
    } else if (op?.t === 'op') {
      conds.push({ attr: attr.v.toLowerCase(), op: op.v as Condition['op'], values: [literal()] });
    } else {
      throw new QueryError(`expected an operator after ${attr.v}`);
    }
    if (i < tokens.length) {
      const join = tokens[i++];
      if (join.t !== 'id' || join.v.toLowerCase() !== 'and') {
        throw new QueryError(`only "and" joins conditions in this simulator (got ${String(join.v)})`);
      }
    }
  }
  return conds;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T|$)/;

function compare(a: unknown, b: Literal): number | null {
  if (a === null || a === undefined) return null;
  if (typeof a === 'number' || (typeof b === 'number' && /^-?\d+(\.\d+)?$/.test(String(a)))) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return null;
    return x - y;
  }
  const sa = String(a);
  const sb = String(b);
  if (ISO_DATE.test(sa) && ISO_DATE.test(sb)) {
    const x = Date.parse(sa);
    const y = Date.parse(sb);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  }
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function equals(a: unknown, b: Literal): boolean {
  if (b === '*') return a !== null && a !== undefined && a !== '';
  if (typeof b === 'string' && b.includes('%')) {
    const re = new RegExp(`^${b.split('%').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
    return a !== null && a !== undefined && re.test(String(a));
  }
  return compare(a, b) === 0;
}

export function matches(record: Record<string, unknown>, conds: Condition[]): boolean {
  return conds.every((c) => {
    const v = record[c.attr];
    switch (c.op) {
      case '=': return equals(v, c.values[0]);
      case '!=': return c.values[0] === '*' ? (v === null || v === undefined || v === '') : !equals(v, c.values[0]);
      case 'in': return c.values.some((x) => equals(v, x));
      default: {
        const d = compare(v, c.values[0]);
        if (d === null) return false;
        return c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : d >= 0;
      }
    }
  });
}

/** `-changedate,+wonum` (a '+' sent unencoded arrives as a space and still means ascending). */
export function sortBy(rows: Record<string, unknown>[], orderBy: string | null): Record<string, unknown>[] {
  if (!orderBy) return rows;
  const keys = orderBy.split(',').map((k) => k.trim()).filter(Boolean).map((k) => {
    const desc = k.startsWith('-');
    return { attr: k.replace(/^[-+]/, '').toLowerCase(), desc };
  });
  return [...rows].sort((a, b) => {
    for (const k of keys) {
      const d = compare(a[k.attr], (b[k.attr] ?? '') as Literal) ?? 0;
      if (d !== 0) return k.desc ? -d : d;
    }
    return 0;
  });
}

/** Attributes named by oslc.select; null means "all". Dot notation and child selects are ignored. */
export function parseSelect(select: string | null): string[] | null {
  if (select === null) return [];
  if (select.trim() === '*') return null;
  // A child object is selected as `worklog{description,...}` (IBM's JSON API guide, nested
  // oslc.select); the simulator answers the child's rows whole. Commas inside braces do not split.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of select) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (ch === ',' && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  parts.push(cur);
  return parts.map((s) => s.trim().toLowerCase().replace(/\{.*\}$/, '')).filter((s) => s && /^[\w]+$/.test(s));
}

export function project(record: Record<string, unknown>, attrs: string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    // Lean JSON drops null attributes (unless _dropnulls=0, which the simulator does not model).
    if (v === null || v === undefined) continue;
    if (attrs === null || attrs.includes(k) || k === 'href') out[k] = v;
  }
  return out;
}

/** Without lean=1 Maximo answers in OSLC namespaced JSON; clients that forget lean=1 see this. */
export function namespaced(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(namespaced);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'href') out['rdf:about'] = v;
    else if (k === 'member') out['rdfs:member'] = namespaced(v);
    else if (k === 'responseInfo') out['oslc:responseInfo'] = namespaced(v);
    else out[`spi:${k}`] = namespaced(v);
  }
  return out;
}

// The subset of ServiceNow encoded queries the simulator understands: conditions joined by ^
// (AND) and ^OR, the usual operators, ORDERBY/ORDERBYDESC. Like a default instance, a condition
// on a field the table does not have is silently ignored — so a misspelt field matches everything.

type Op = '=' | '!=' | '>=' | '<=' | '>' | '<' | 'LIKE' | 'NOT LIKE' | 'STARTSWITH' | 'ENDSWITH' | 'IN' | 'NOT IN' | 'ISEMPTY' | 'ISNOTEMPTY';
interface Cond { field: string; op: Op; value: string }
interface EncodedQuery {
  /** AND of ORs. */
  groups: Cond[][];
  order: { field: string; desc: boolean }[];
}

const COND = /^([a-z0-9_.]+?)(!=|>=|<=|=|>|<|NOT LIKE|LIKE|STARTSWITH|ENDSWITH|NOT IN|IN|ISNOTEMPTY|ISEMPTY)(.*)$/;

/**
 * `javascript:gs.dateGenerate('2025-01-01','00:00:00')` → `2025-01-01 00:00:00`;
 * `javascript:gs.getUserID()` → the caller's sys_user sys_id (GlideSystem, documented).
 */
function literal(value: string, userId: string): string {
  if (value.trim() === 'javascript:gs.getUserID()') return userId;
  const m = /^javascript:gs\.dateGenerate\('([\d-]+)',\s*'([\d:]+)'\)$/.exec(value.trim());
  return m ? `${m[1]} ${m[2]}` : value;
}

export function parseEncodedQuery(q: string, fields: ReadonlySet<string>, userId = ''): EncodedQuery {
  const out: EncodedQuery = { groups: [], order: [] };
  if (!q) return out;
  for (const raw of q.split('^')) {
    const term = raw.trim();
    if (!term || term === 'EQ') continue;
    const order = /^ORDERBY(DESC)?(.+)$/.exec(term);
    if (order) {
      if (fields.has(order[2])) out.order.push({ field: order[2], desc: order[1] === 'DESC' });
      continue;
    }
    const isOr = term.startsWith('OR') && out.groups.length > 0;
    const m = COND.exec(isOr ? term.slice(2) : term);
    if (!m || !fields.has(m[1])) continue;
    const cond: Cond = { field: m[1], op: m[2] as Op, value: literal(m[3], userId) };
    if (isOr) out.groups[out.groups.length - 1].push(cond);
    else out.groups.push([cond]);
  }
  return out;
}

function cmp(a: string, b: string): number {
  if (/^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function test(v: string, c: Cond): boolean {
  const x = c.value;
  switch (c.op) {
    case '=': return v === x;
    case '!=': return v !== x;
    case '>': return cmp(v, x) > 0;
    case '>=': return cmp(v, x) >= 0;
    case '<': return cmp(v, x) < 0;
    case '<=': return cmp(v, x) <= 0;
    case 'LIKE': return v.toLowerCase().includes(x.toLowerCase());
    case 'NOT LIKE': return !v.toLowerCase().includes(x.toLowerCase());
    case 'STARTSWITH': return v.toLowerCase().startsWith(x.toLowerCase());
    case 'ENDSWITH': return v.toLowerCase().endsWith(x.toLowerCase());
    case 'IN': return x.split(',').includes(v);
    case 'NOT IN': return !x.split(',').includes(v);
    case 'ISEMPTY': return v === '';
    case 'ISNOTEMPTY': return v !== '';
  }
}

export function runQuery(rows: Record<string, string>[], q: EncodedQuery): Record<string, string>[] {
  const hits = rows.filter((r) => q.groups.every((g) => g.some((c) => test(r[c.field] ?? '', c))));
  if (q.order.length === 0) return hits;
  return [...hits].sort((a, b) => {
    for (const o of q.order) {
      const d = cmp(a[o.field] ?? '', b[o.field] ?? '');
      if (d !== 0) return o.desc ? -d : d;
    }
    return 0;
  });
}

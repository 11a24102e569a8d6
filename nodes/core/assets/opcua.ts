// OPC UA NodeIds in one canonical spelling, so that `i=85`, `ns=0;i=0085` and
// `nsu=http://opcfoundation.org/UA/;i=85` are the same key, and a GUID matches whatever its case.
// node-red-contrib-opcua puts the NodeId in msg.topic, sometimes with a `;datatype=Double` suffix.

const OPC_UA_NAMESPACE = 'http://opcfoundation.org/UA/';

/** Namespace index ↔ URI, as the server's NamespaceArray has them (index 0 is always the OPC UA one). */
export interface NamespaceTable {
  uriByIndex: Map<number, string>;
  indexByUri: Map<string, number>;
}

export function emptyNamespaces(): NamespaceTable {
  return { uriByIndex: new Map([[0, OPC_UA_NAMESPACE]]), indexByUri: new Map([[OPC_UA_NAMESPACE, 0]]) };
}

/** Lines of `index = uri` (blank lines and # comments ignored). */
export function parseNamespaces(text: string): { ok: true; value: NamespaceTable } | { ok: false; errors: string[] } {
  const table = emptyNamespaces();
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(\d{1,5})\s*=\s*(\S+)$/.exec(line);
    if (!m || Number(m[1]) > 65535) {
      errors.push(`OPC UA namespaces line ${i + 1}: write "index = namespace URI", e.g. "2 = urn:plant:plc3"`);
      return;
    }
    const index = Number(m[1]);
    if (index === 0 && m[2] !== OPC_UA_NAMESPACE) {
      errors.push(`OPC UA namespaces line ${i + 1}: index 0 is always ${OPC_UA_NAMESPACE}`);
      return;
    }
    table.uriByIndex.set(index, m[2]);
    table.indexByUri.set(m[2], index);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: table };
}

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DATATYPE_SUFFIX = /;datatype=[A-Za-z0-9 ]+$/i;

/** ExpandedNodeId strings escape ';' and '%' in the URI; a stray '%' is kept as written. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Cheap pre-check: could this string be a NodeId at all? */
export function looksLikeNodeId(s: string): boolean {
  // Asked of every topic: most are MQTT topics, and a NodeId has '=' as its second character or
  // starts with ns/nsu/svr, so the regular expression runs only for those.
  if (s.charCodeAt(1) !== 61 /* = */) {
    const c0 = s.charCodeAt(0) | 0x20;
    const c1 = s.charCodeAt(1) | 0x20;
    if (!((c0 === 110 /* n */ && c1 === 115 /* s */) || (c0 === 115 /* s */ && c1 === 118 /* v */))) return false;
  }
  return /^(?:svr=\d+;)?(?:nsu?=[^;]+;)?[isgb]=/i.test(s);
}

/**
 * The canonical form (`ns=<index>;<type>=<value>`, or `nsu=<uri>;…` for a namespace URI the table
 * does not know), or null when `raw` is not a NodeId.
 */
// Built with join(), which makes one flat string: a registry keeps tens of thousands of these, and
// a template literal would keep the pieces (and the original text they were cut from) alive.
export function normaliseNodeId(raw: string, namespaces: NamespaceTable = emptyNamespaces()): string | null {
  let rest = raw.trim().replace(DATATYPE_SUFFIX, '');
  const server = /^svr=(\d+);/i.exec(rest);
  if (server) {
    // Only nodes on this server (index 0) are read by the protocol nodes upstream.
    if (Number(server[1]) !== 0) return null;
    rest = rest.slice(server[0].length);
  }
  let ns: string = 'ns=0';
  const index = /^ns=(\d{1,5});/i.exec(rest);
  const uri = index ? null : /^nsu=([^;]+);/i.exec(rest);
  if (index) {
    const n = Number(index[1]);
    if (n > 65535) return null;
    ns = `ns=${n}`;
    rest = rest.slice(index[0].length);
  } else if (uri) {
    const u = safeDecode(uri[1].trim());
    const known = namespaces.indexByUri.get(u);
    ns = known !== undefined ? `ns=${known}` : `nsu=${u}`;
    rest = rest.slice(uri[0].length);
  }
  const m = /^([isgb])=(.*)$/is.exec(rest);
  if (!m) return null;
  const type = m[1].toLowerCase();
  const value = m[2];
  switch (type) {
    case 'i': {
      const v = value.trim();
      if (!/^\d{1,10}$/.test(v) || Number(v) > 4294967295) return null;
      return [ns, ';i=', String(Number(v))].join('');
    }
    case 's':
      return value.length > 0 ? [ns, ';s=', value].join('') : null;
    case 'g': {
      const g = GUID.exec(value.trim());
      return g ? [ns, ';g=', g[1].toLowerCase()].join('') : null;
    }
    default: {
      const v = value.trim();
      return v.length > 0 && BASE64.test(v) ? [ns, ';b=', v].join('') : null;
    }
  }
}

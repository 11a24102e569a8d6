// The protocol nodes send a few messages of their own that carry no reading: node-red-contrib-opcua's
// subscribe action answers its first message with the new subscription's id, and the Modbus read and
// getter nodes' second output repeats output 1's values with the raw response. Users wire these
// straight into the map; they pass quietly (counted, never on output 2 or the unmapped list).

/** The server's NamespaceArray (ns=0;i=2255, Server_NamespaceArray) in the spellings a topic may use. */
const NAMESPACE_ARRAY = /^\s*(?:ns=0;)?i=2255(?:;datatype=[^;]*)?\s*$/i;

/** The namespace URIs of a read of the server's NamespaceArray (index = position), or null. */
export function namespaceArrayOf(msg: { topic?: unknown; payload?: unknown }): string[] | null {
  const p = msg.payload;
  if (typeof msg.topic !== 'string' || !NAMESPACE_ARRAY.test(msg.topic) || !Array.isArray(p) || p.length > 1000) return null;
  return p.every((u) => typeof u === 'string' && u.length > 0 && u.length <= 1000) ? (p as string[]) : null;
}

/** What a message is, when it is one of the protocol nodes' own; null for anything else. */
export function housekeepingOf(msg: { topic?: unknown; payload?: unknown; values?: unknown }): string | null {
  const p = msg.payload;
  // The OPC UA client reading the server's namespace table: the registry learns it (see RegistryService.learnNamespaces).
  if (namespaceArrayOf(msg) !== null) return 'opcua-namespace-array';
  // node-red-contrib-opcua 102-opcuaclient.js, subscribe_action_input: {topic: "subscriptionId", payload: <id>}.
  if (msg.topic === 'subscriptionId' && (typeof p === 'number' || typeof p === 'string')) return 'opcua-subscription-id';
  // node-red-contrib-modbus read / getter output 2: {payload: {data, buffer}, values, input | modbusRequest}.
  if (typeof p === 'object' && p !== null && !Array.isArray(p) && Array.isArray(msg.values)) {
    const r = p as Record<string, unknown>;
    if (Array.isArray(r.data) && Buffer.isBuffer(r.buffer)) return 'modbus-response-buffer';
  }
  return null;
}

// The protocol nodes send a few messages of their own that carry no reading: node-red-contrib-opcua's
// subscribe action answers its first message with the new subscription's id, and the Modbus read and
// getter nodes' second output repeats output 1's values with the raw response. Users wire these
// straight into the map; they pass quietly (counted, never on output 2 or the unmapped list).

/** What a message is, when it is one of the protocol nodes' own; null for anything else. */
export function housekeepingOf(msg: { topic?: unknown; payload?: unknown; values?: unknown }): string | null {
  const p = msg.payload;
  // node-red-contrib-opcua 102-opcuaclient.js, subscribe_action_input: {topic: "subscriptionId", payload: <id>}.
  if (msg.topic === 'subscriptionId' && (typeof p === 'number' || typeof p === 'string')) return 'opcua-subscription-id';
  // node-red-contrib-modbus read / getter output 2: {payload: {data, buffer}, values, input | modbusRequest}.
  if (typeof p === 'object' && p !== null && !Array.isArray(p) && Array.isArray(msg.values)) {
    const r = p as Record<string, unknown>;
    if (Array.isArray(r.data) && Buffer.isBuffer(r.buffer)) return 'modbus-response-buffer';
  }
  return null;
}

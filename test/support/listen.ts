// What reached some nodes of a running flow, by node id: a one-argument 'input' listener beside each
// (it takes no part in Node-RED's done tracking). Flows start after RED.start() resolves, so this
// waits for the nodes first.
import type { EventEmitter } from 'node:events';

interface NodeLookup { nodes: { getNode(id: string): unknown } }

export async function listenTo<M>(red: NodeLookup, ids: readonly string[], waitMs = 10_000): Promise<Record<string, M[]>> {
  const end = Date.now() + waitMs;
  while (ids.some((id) => !red.nodes.getNode(id)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const seen: Record<string, M[]> = {};
  for (const id of ids) {
    const node = red.nodes.getNode(id) as EventEmitter | null;
    if (!node) throw new Error(`node ${id} did not start`);
    seen[id] = [];
    node.on('input', (m: M) => seen[id].push(m));
  }
  return seen;
}

// Control messages are recognised by a property of their own, `msg.control`, never by `msg.topic`
// alone: an MQTT topic or an upstream node decides msg.topic, and an event that happened to arrive
// on a topic called "discard" once deleted dead letters (issue 12, item 10).
// The old topic form still works where it cannot swallow an event: only when the payload is not
// data (no object payload; see each node's `legacyOk`), and the node warns once that it is deprecated.
import type { Node, NodeAPI, NodeMessageInFlow } from './red';

type ControlOf<T extends string> =
  | { name: T; legacy: boolean }
  | { invalid: string }
  | null;

/**
 * Which control command `msg` is: `msg.control` (always, when present; an unknown name is an error,
 * never data), or a control `msg.topic` when `legacyOk(payload)` says the payload is not data.
 */
export function controlOf<T extends string>(msg: NodeMessageInFlow, names: readonly T[], legacyOk: (payload: unknown, name: T) => boolean): ControlOf<T> {
  const m = msg as unknown as { control?: unknown; topic?: unknown; payload?: unknown };
  if (m.control !== undefined) {
    if (typeof m.control === 'string' && (names as readonly string[]).includes(m.control)) return { name: m.control as T, legacy: false };
    const shown = typeof m.control === 'string' ? `"${m.control.slice(0, 40)}"` : typeof m.control;
    return { invalid: `msg.control ${shown} is not one of ${names.join(', ')}` };
  }
  if (typeof m.topic === 'string' && (names as readonly string[]).includes(m.topic) && legacyOk(m.payload, m.topic as T)) {
    return { name: m.topic as T, legacy: true };
  }
  return null;
}

/** A payload that is certainly not data: nothing, an empty string, or an inject node's timestamp. */
export function isEmptyPayload(p: unknown): boolean {
  return p === undefined || p === null || p === '' || typeof p === 'number' || typeof p === 'boolean';
}

const warned = new WeakSet<Node>();

/** Once per node: the topic form of control messages is deprecated (it could swallow events). */
export function warnLegacyControl(RED: NodeAPI, node: Node, name: string): void {
  if (warned.has(node)) return;
  warned.add(node);
  // Each node type has the key in its own catalogue: mw-threshold.errors.legacy-control, …
  node.warn(RED._(`${node.type}.errors.legacy-control`, { name }));
}

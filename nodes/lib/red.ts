// The slice of Node-RED's runtime API that our adapters use. @types/node-red lags the runtime
// (see the README), so the few members it lacks are declared here instead of cast to `any`.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';

export type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus };

/** The `send` function Node-RED passes to a 3-argument input handler. */
export type SendFn = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
/** The `done` function Node-RED passes to a 3-argument input handler. */
export type DoneFn = (err?: Error) => void;

/**
 * Registers a node type whose constructor takes its own node shape (`this`) and saved settings
 * (`def`). Node-RED calls it with the runtime node and the flow's settings object; our shapes only
 * add the members the constructor sets or reads, so the one cast lives here, not in six adapters.
 */
export function registerNode<N extends Node, D extends NodeDef>(
  RED: NodeAPI,
  type: string,
  ctor: (this: N, def: D) => void,
  opts?: { credentials?: Record<string, { type: 'text' | 'password' }> },
): void {
  RED.nodes.registerType(type, ctor as unknown as (this: Node, def: NodeDef) => void, opts);
}

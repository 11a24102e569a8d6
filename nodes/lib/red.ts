// The slice of Node-RED's runtime API that our adapters use. @types/node-red lags the runtime
// (see the README), so the few members it lacks are declared here instead of cast to `any`.
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';

export type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus };

/** The `send` function Node-RED passes to a 3-argument input handler. */
export type SendFn = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
/** The `done` function Node-RED passes to a 3-argument input handler. */
export type DoneFn = (err?: Error) => void;

import type { Node, NodeAPI, NodeStatus } from './red';

export type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
export type StatusShape = 'ring' | 'dot';

export interface StatusSpec {
  fill: StatusFill;
  shape: StatusShape;
  /** An i18n key; without a namespace it resolves in the calling node's own catalogue. */
  key: string;
  params?: Record<string, string | number>;
}

/**
 * Shows a status whose text comes from the message catalogue. The text is translated in the runtime
 * (RED._) because most of our statuses carry counts; the test helper's RED._ returns the key itself.
 */
export function showStatus(RED: NodeAPI, node: Node, spec: StatusSpec): void {
  node.status(renderStatus(RED, spec));
}

/** The status object for `spec`, translated in the catalogue of the module that owns `RED`. */
export function renderStatus(RED: NodeAPI, spec: StatusSpec): NodeStatus {
  const translate = RED._ as (key: string, params?: Record<string, string | number>) => string;
  return { fill: spec.fill, shape: spec.shape, text: translate(spec.key, spec.params) };
}

export const ok = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'green', shape: 'dot', key, params });
export const busy = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'blue', shape: 'dot', key, params });
export const warning = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'yellow', shape: 'ring', key, params });
export const failed = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'red', shape: 'ring', key, params });
export const idle = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'grey', shape: 'ring', key, params });

export function clearStatus(node: Node): void {
  node.status({});
}

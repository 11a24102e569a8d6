import type { Node, NodeAPI, NodeStatus } from './red';

type StatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
type StatusShape = 'ring' | 'dot';

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

/**
 * A status is one line under the node, and flows place the next node about 200 px to the right: a
 * longer line runs into it. Whole reasons go to the log and the outputs; the status keeps the start.
 */
export const STATUS_MAX_CHARS = 32;

/** `text` cut to `max` characters (code points, so never half a surrogate pair) with a trailing "…". */
export function fitStatus(text: string, max = STATUS_MAX_CHARS): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** The status object for `spec`, translated in the catalogue of the module that owns `RED`. */
export function renderStatus(RED: NodeAPI, spec: StatusSpec): NodeStatus {
  const translate = RED._ as (key: string, params?: Record<string, string | number>) => string;
  const text = translate(spec.key, spec.params);
  // A key with no translation comes back as the key itself: shown whole, so it can be looked up.
  return { fill: spec.fill, shape: spec.shape, text: text === spec.key ? text : fitStatus(text) };
}

export const ok = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'green', shape: 'dot', key, params });
export const busy = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'blue', shape: 'dot', key, params });
export const warning = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'yellow', shape: 'ring', key, params });
export const failed = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'red', shape: 'ring', key, params });
export const idle = (key: string, params?: StatusSpec['params']): StatusSpec => ({ fill: 'grey', shape: 'ring', key, params });

interface ThrottledStatus {
  /** Asks for a refresh within the interval; calls in between are folded into that one. */
  schedule(): void;
  /** Cancels a pending refresh for good (on close): schedule() does nothing after it. */
  stop(): void;
}

/**
 * A status refreshed at most once per `intervalMs`: counts change per message, and a status per
 * message would flood the editor's comms channel.
 */
export function throttledStatus(intervalMs: number, refresh: () => void): ThrottledStatus {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  return {
    schedule(): void {
      if (timer !== null || stopped) return;
      timer = setTimeout(() => {
        timer = null;
        refresh();
      }, intervalMs);
    },
    stop(): void {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

/**
 * One counted part of a status text, e.g. "2 unmapped ids", or '' when the count is 0: a status
 * lists only what is there, so it stays short enough not to run into the next node. The key has a
 * singular and a `_plural` form in the catalogue (i18next picks one by `count`).
 */
export function countPart(RED: NodeAPI, key: string, count: number): string {
  if (!count) return '';
  const translate = RED._ as (key: string, params?: Record<string, string | number>) => string;
  return translate(key, { count });
}

/** The non-empty parts of a status text, joined the same way on every node. */
export function joinParts(...parts: string[]): string {
  return parts.filter((p) => p !== '').join(' · ');
}

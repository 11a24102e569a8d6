import type { Node, NodeAPI } from './red';
import { errorMessage } from '../core/error-message';

/** Node-RED waits 15 s for a close handler before it logs an error and moves on; we finish well
 * inside that, so a slow socket never turns a redeploy into an error. */
const CLOSE_BUDGET_MS = 10_000;

type CloseHandler = (removed: boolean) => void | Promise<void>;

/** Shared by every node; kept in mw-cmms's catalogue and named with its namespace so any node's RED._ finds it. */
const CLOSE_TIMEOUT_KEY = '@millwright/node-red-maintenance/mw-cmms:mw-cmms.common.close-timeout';

/**
 * Registers a close handler that Node-RED calls as `(removed, done)`.
 *
 * Node-RED picks the calling convention from the handler's declared arity: an `async` function or
 * one with a default parameter has length 0 and its promise is ignored, so a redeploy would race our
 * cleanup. The wrapper is always arity 2, always calls `done` exactly once, and never waits longer
 * than `budgetMs` for the handler.
 */
export function onClose(RED: Pick<NodeAPI, '_'>, node: Node, handler: CloseHandler, budgetMs: number = CLOSE_BUDGET_MS): void {
  node.on('close', function mwClose(removed: boolean, done: () => void) {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      node.warn((RED._ as (key: string, params?: Record<string, number>) => string)(CLOSE_TIMEOUT_KEY, { ms: budgetMs }));
      finish();
    }, budgetMs);
    let result: void | Promise<void>;
    try {
      result = handler(removed === true);
    } catch (e) {
      node.error(errorMessage(e));
      finish();
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(finish, (e: unknown) => {
        node.error(errorMessage(e));
        finish();
      });
    } else {
      finish();
    }
  });
}

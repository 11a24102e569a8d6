import type { DoneFn, Node, NodeMessageInFlow, SendFn } from './red';

/** What an input handler may return: nothing, or a promise that settles when the message is finished. */
export type InputHandler = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => void | Promise<void>;

function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e) ?? String(e));
}

/**
 * Registers an input handler so that Node-RED always learns how the message ended.
 *
 * Node-RED tracks completion only for handlers declared with exactly three parameters, catches a
 * synchronous throw but not a rejected promise (an unhandled rejection can stop the runtime). So the
 * handler is wrapped in a plain three-parameter function, and every throw or rejection becomes
 * `done(err)`. `done` is guarded so a handler that both calls it and then throws reports once.
 */
export function onInput(node: Node, handler: InputHandler): void {
  node.on('input', function mwInput(msg: NodeMessageInFlow, send: SendFn, done: DoneFn) {
    let finished = false;
    const once: DoneFn = (err?: Error) => {
      if (finished) return;
      finished = true;
      if (err) done(asError(err));
      else done();
    };
    let result: void | Promise<void>;
    try {
      result = handler(msg, send, once);
    } catch (e) {
      once(asError(e));
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => once(),
        (e: unknown) => once(asError(e)),
      );
    }
  });
}

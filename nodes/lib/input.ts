import { inputProblem, kindOf, foreignProblem, type InputProblem } from '../core/contracts/bounds';
import type { DoneFn, Node, NodeMessageInFlow, SendFn } from './red';

/** What an input handler may return: nothing, or a promise that settles when the message is finished. */
type InputHandler = (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => void | Promise<void>;

/** An Error for anything thrown; never throws itself (JSON.stringify of a hostile value can). */
function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new Error(e);
  try {
    return new Error(JSON.stringify(e) ?? String(e));
  } catch {
    return new Error(`non-error value thrown (${kindOf(e).type})`);
  }
}

/** The error's text, read defensively (a hostile `message` getter must not escape either). */
function messageOf(err: Error | undefined): string {
  try {
    return String(err?.message ?? err).slice(0, 1000);
  } catch {
    return 'error';
  }
}

/**
 * A small flat copy of `msg` that Node-RED can clone for Catch nodes: `_msgid` and short primitive
 * properties kept, every object, getter or Proxy replaced by a one-line description. Reads no getter
 * and calls no trap; used only when Node-RED could not copy the message itself.
 */
function flatCopy(msg: NodeMessageInFlow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  try {
    const m = msg as unknown as Record<string, unknown>;
    if (kindOf(m).type !== 'object') return { rejected: 'the message could not be copied', ...kindOf(m) };
    for (const key of Object.keys(m).slice(0, 50)) {
      const d = Object.getOwnPropertyDescriptor(m, key);
      if (!d) continue;
      if (d.get || d.set) out[key] = { rejected: 'could not be copied', type: 'getter' };
      else if (typeof d.value === 'string') out[key] = d.value.slice(0, 1000);
      else if (d.value === null || typeof d.value === 'number' || typeof d.value === 'boolean') out[key] = d.value;
      else if (d.value !== undefined) out[key] = { rejected: 'could not be copied', ...kindOf(d.value) };
    }
  } catch {
    // A Proxy message (its traps throw): keep what was copied.
  }
  return out;
}

/**
 * For a message that is about to be rejected: when its payload is not small plain data (a Buffer,
 * a huge array, 10 000-deep nesting, a Proxy, a getter that throws), the payload is replaced by a
 * small flat description, so the exception output and Catch nodes get something Node-RED can copy
 * cheaply. Returns the problem, or null when the payload is fine as it is.
 *
 * `expect` is the contract a plain-object payload must meet here (its validator): an object with
 * none of the contract's required properties is refused by name lookups alone, before any walk,
 * and replaced by a stand-in because its size is unknown. Listing the keys of one object of a
 * million keys costs V8 about half a second, which no walk that enumerates can avoid (bounds.ts).
 */
export function containPayload(msg: NodeMessageInFlow, expect?: { readonly required: readonly string[] } | null): InputProblem | null {
  let problem: InputProblem | null;
  try {
    const payload = (msg as { payload?: unknown }).payload;
    problem = (expect ? foreignProblem(payload, expect.required) : null) ?? inputProblem(payload);
  } catch {
    problem = { error: 'payload: cannot be read', summary: { rejected: 'cannot be read', type: 'unknown' } };
  }
  if (problem) replacePayload(msg, problem.summary);
  return problem;
}

/**
 * For a message rejected without its payload being examined (it is none of what the node takes):
 * the payload is replaced by a small stand-in saying why, because its size is unknown and Node-RED
 * copies the message for Catch nodes and for every extra wire.
 */
export function standIn(msg: NodeMessageInFlow, rejected: string): void {
  let type = 'unknown';
  try {
    type = kindOf((msg as { payload?: unknown }).payload).type;
  } catch {
    // A getter on the message that throws: "unknown" it is.
  }
  replacePayload(msg, { rejected, type });
}

function replacePayload(msg: NodeMessageInFlow, summary: InputProblem['summary']): void {
  try {
    (msg as { payload?: unknown }).payload = summary;
  } catch {
    // A read-only payload: onInput's fallback reports the error with a flat copy instead.
  }
}

/**
 * Registers an input handler so that Node-RED always learns how the message ended.
 *
 * Node-RED tracks completion only for handlers declared with exactly three parameters, catches a
 * synchronous throw but not a rejected promise (an unhandled rejection can stop the runtime). So the
 * handler is wrapped in a plain three-parameter function, and every throw or rejection becomes
 * `done(err)`. `done` is guarded so a handler that both calls it and then throws reports once.
 * `done(err)` itself can throw (Node-RED copies the message for Catch nodes, and a hostile message
 * cannot be copied): then the error is reported with a flat copy; nothing leaves the wrapper.
 */
export function onInput(node: Node, handler: InputHandler): void {
  node.on('input', function mwInput(msg: NodeMessageInFlow, send: SendFn, done: DoneFn) {
    let finished = false;
    const once: DoneFn = (err?: Error) => {
      if (finished) return;
      finished = true;
      try {
        if (err) done(asError(err));
        else done();
        return;
      } catch (thrown) {
        // Node-RED copies the message for Catch (and Complete) nodes and that copy threw: report the
        // error with a flat copy of the message instead, so a Catch node still sees it.
        const report = err ? asError(err) : new Error(`the message could not be copied: ${messageOf(asError(thrown))}`);
        try {
          node.error(new Error(messageOf(report)), flatCopy(msg) as unknown as NodeMessageInFlow);
          return;
        } catch {
          // Even the flat copy failed: log without the message rather than let it escape.
        }
        try {
          node.error(messageOf(report));
        } catch {
          // Nothing more can be done; the message is over.
        }
      }
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
      ).catch(() => undefined);
    }
  });
}

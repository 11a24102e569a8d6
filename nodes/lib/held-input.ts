// Messages that arrive while a node still reads its file at deploy (mw-threshold's rules file,
// mw-vision-drift's spec file). The read is asynchronous so a slow or stuck file never stops the
// runtime; the node cannot answer before it knows its rules, so such messages wait here, oldest
// first, and are handled in order once the file is loaded. Why bounded: a fast source during a
// stuck read must not grow memory without end — past the bound a message is rejected (done(err) and
// the reject output), never dropped without a word.
import type { DoneFn, NodeMessageInFlow, SendFn } from './red';

/** Messages held while a node's file loads (a read takes milliseconds; the bound is for stuck ones). */
export const MAX_HELD_WHILE_LOADING = 1000;

interface HeldMessage {
  msg: NodeMessageInFlow;
  send: SendFn;
  done: DoneFn;
}

type GateState = 'loading' | 'ready' | 'failed' | 'closed';

/** Each message's handling, called once per held message; a throw ends that message with done(err). */
type HeldHandler = (h: HeldMessage) => void;

export class LoadingGate {
  private held: HeldMessage[] = [];
  private current: GateState = 'loading';

  constructor(private readonly capacity: number = MAX_HELD_WHILE_LOADING) {}

  get state(): GateState {
    return this.current;
  }

  get waiting(): number {
    return this.held.length;
  }

  /** While loading: keeps the message and returns 'held', or 'full' when the bound is reached (the caller rejects it). */
  hold(h: HeldMessage): 'held' | 'full' {
    if (this.held.length >= this.capacity) return 'full';
    this.held.push(h);
    return 'held';
  }

  /** The file is loaded: every held message goes through `handle`, oldest first. */
  open(handle: HeldHandler): void {
    this.finish('ready', handle);
  }

  /** The load failed: every held message goes to `reject` (which calls its done(err)). */
  fail(reject: HeldHandler): void {
    this.finish('failed', reject);
  }

  /** The node closes while loading: held messages end with `reject`; a later open or fail does nothing. */
  close(reject: HeldHandler): void {
    this.finish('closed', reject);
  }

  private finish(state: GateState, each: HeldHandler): void {
    if (this.current !== 'loading') return;
    this.current = state;
    const waiting = this.held;
    this.held = [];
    for (const h of waiting) {
      try {
        each(h);
      } catch (e) {
        h.done(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }
}

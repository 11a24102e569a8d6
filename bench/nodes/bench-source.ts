// Benchmark source: has no input; the driver starts it through bench/registry. Kept deliberately
// plain (no wrappers, no status updates) so that its own cost per message stays small and constant.
import type { Node, NodeAPI, NodeDef } from 'node-red';

import {
  type BenchMessage,
  type BenchSource,
  type BurstOptions,
  type PacedOptions,
  type SourceReport,
  nowNs,
  sources,
  unregister,
} from '../registry';

export = function (RED: NodeAPI): void {
  function BenchSourceNode(this: Node, config: NodeDef): void {
    RED.nodes.createNode(this, config);
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let busy = false;
    // Set by close: a run in progress ends early and resolves with what it has sent.
    let finishEarly: (() => void) | undefined;

    // Arrow functions throughout, so `this` is the node without aliasing it.
    const emit = (make: BurstOptions['make'], seq: number, phase: number): void => {
      const msg = make(seq) as BenchMessage;
      msg.benchPhase = phase;
      msg.benchT0 = nowNs();
      this.send(msg);
    };

    const begin = (): void => {
      if (busy) throw new Error('bench-source: a run is already in progress');
      busy = true;
    };

    const source: BenchSource = {
      // Timers fire at best every millisecond, so each tick sends every message that is due by
      // now: at 5 000 msg/s that is about five messages a tick, each stamped when it is sent.
      start(opts: PacedOptions): Promise<SourceReport> {
        begin();
        const total = Math.round((opts.rate * opts.durationMs) / 1000);
        const nsPerMsg = 1e9 / opts.rate;
        const startNs = nowNs();
        let sent = 0;
        return new Promise<SourceReport>((resolve) => {
          const finish = (): void => {
            clearTimeout(timer);
            timer = undefined;
            busy = false;
            finishEarly = undefined;
            resolve({ sent, startNs, endNs: nowNs() });
          };
          finishEarly = finish;
          const tick = (): void => {
            const due = Math.min(total, Math.floor((nowNs() - startNs) / nsPerMsg) + 1);
            while (sent < due) emit(opts.make, sent++, opts.phase);
            if (sent < total) timer = setTimeout(tick, 1);
            else finish();
          };
          tick();
        });
      },

      // Chunks with a yield between them: the rest of the flow gets to run while the burst is
      // being produced, as it would behind a fast protocol node, instead of queueing all N first.
      burst(opts: BurstOptions): Promise<SourceReport> {
        begin();
        const startNs = nowNs();
        let sent = 0;
        return new Promise<SourceReport>((resolve) => {
          const finish = (): void => {
            clearImmediate(immediate);
            immediate = undefined;
            busy = false;
            finishEarly = undefined;
            resolve({ sent, startNs, endNs: nowNs() });
          };
          finishEarly = finish;
          const next = (): void => {
            const end = Math.min(opts.count, sent + opts.chunk);
            while (sent < end) emit(opts.make, sent++, opts.phase);
            if (sent < opts.count) immediate = setImmediate(next);
            else finish();
          };
          next();
        });
      },
    };

    sources.set(this.id, source);

    // Two parameters, so Node-RED passes done (it dispatches on the handler's arity).
    this.on('close', (_removed: boolean, done: () => void) => {
      finishEarly?.();
      unregister(sources, this.id, source);
      done();
    });
  }

  RED.nodes.registerType('bench-source', BenchSourceNode);
};

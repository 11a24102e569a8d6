// Benchmark sink: counts the messages of the current phase and records each one's latency into a
// preallocated array, so the receiving side allocates nothing per message.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';

import { type BenchSink, type SinkReport, nowNs, sinks, unregister } from '../registry';

export = function (RED: NodeAPI): void {
  function BenchSinkNode(this: Node, config: NodeDef): void {
    RED.nodes.createNode(this, config);
    let phase = -1;
    let expected = 0;
    let received = 0;
    let stray = 0;
    let unstamped = 0;
    let samples = 0;
    let firstAtNs = 0;
    let lastAtNs = 0;
    let latenciesNs = new Float64Array(0);
    let complete: (() => void) | undefined;

    const sink: BenchSink = {
      arm(nextPhase: number, count: number): Promise<void> {
        phase = nextPhase;
        expected = count;
        received = 0;
        stray = 0;
        unstamped = 0;
        samples = 0;
        firstAtNs = 0;
        lastAtNs = 0;
        if (latenciesNs.length < count) latenciesNs = new Float64Array(count);
        return new Promise<void>((resolve) => {
          complete = resolve;
        });
      },
      report(): SinkReport {
        return { phase, expected, received, stray, firstAtNs, lastAtNs, latenciesNs: latenciesNs.subarray(0, samples), unstamped };
      },
    };
    sinks.set(this.id, sink);

    // Three parameters, so Node-RED tracks completion as it does for real nodes.
    this.on('input', (msg: NodeMessageInFlow, _send: unknown, done: () => void) => {
      const at = nowNs();
      if (msg.benchPhase !== phase) {
        stray++;
        done();
        return;
      }
      const t0 = msg.benchT0;
      if (typeof t0 === 'number') {
        if (samples < latenciesNs.length) latenciesNs[samples++] = at - t0;
      } else {
        unstamped++;
      }
      if (received === 0) firstAtNs = at;
      lastAtNs = at;
      received++;
      if (received === expected && complete) {
        const resolve = complete;
        complete = undefined;
        resolve();
      }
      done();
    });

    this.on('close', (_removed: boolean, done: () => void) => {
      unregister(sinks, this.id, sink);
      complete = undefined;
      done();
    });
  }

  RED.nodes.registerType('bench-sink', BenchSinkNode);
};

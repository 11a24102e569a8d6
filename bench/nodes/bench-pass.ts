// Benchmark pass-through: sends each message on unchanged and does nothing else. Placed between the
// source and the sink it measures the hop any node sits on (Node-RED's delivery, hooks and
// completion tracking for one more node), the fair yardstick for a single node's throughput.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';

export = function (RED: NodeAPI): void {
  function BenchPassNode(this: Node, config: NodeDef & { wires?: string[][] }): void {
    RED.nodes.createNode(this, config);
    // Three parameters, as every node of ours has, so completion is tracked the same way.
    // With more than one output (as a node with an exception output has), Node-RED skips the
    // single-wire shortcut in Node.send; the pass-hop-2 baseline measures what that costs.
    const outputs = config.wires?.length ?? 1;
    this.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessageInFlow | Array<NodeMessageInFlow | null>) => void, done: () => void) => {
      send(outputs > 1 ? [msg, null] : msg);
      done();
    });
  }

  RED.nodes.registerType('bench-pass', BenchPassNode);
};

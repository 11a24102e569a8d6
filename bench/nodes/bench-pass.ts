// Benchmark pass-through: sends each message on unchanged and does nothing else. Placed between the
// source and the sink it measures the hop any node sits on (Node-RED's delivery, hooks and
// completion tracking for one more node), the fair yardstick for a single node's throughput.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';

export = function (RED: NodeAPI): void {
  function BenchPassNode(this: Node, config: NodeDef): void {
    RED.nodes.createNode(this, config);
    // Three parameters, as every node of ours has, so completion is tracked the same way.
    this.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessageInFlow) => void, done: () => void) => {
      send(msg);
      done();
    });
  }

  RED.nodes.registerType('bench-pass', BenchPassNode);
};

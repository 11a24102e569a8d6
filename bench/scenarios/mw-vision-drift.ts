// mw-vision-drift beside a pass-through function node, on the same stream: 20 cameras' inspection
// records (a bore diameter and five coating points per part, pass/fail, the odd defect), in turn.
// The chain continues from output 2 (the records), so every message reaches the sink.
import type { NodeMessage } from 'node-red';
import { PartStream, partSpecRows } from '../../test/support/spc-parts';
import type { Scenario } from '../scenarios';

const CAMERAS = 20;

/** One simulated camera per key; records are built before the clock starts for each message alike. */
function cameraRecords(): (seq: number, key: number) => NodeMessage {
  const streams = Array.from({ length: CAMERAS }, (_, i) => new PartStream({ seed: 100 + i, asset: `CNC-${String(i + 1).padStart(2, '0')}` }));
  return (_seq, key) => ({ topic: `camera-${key}`, payload: streams[key].next().record } as NodeMessage);
}

export const scenarios: Scenario[] = [
  {
    name: 'vision-passthrough',
    description: 'the same inspection records through a function node that returns msg: the yardstick the issue names',
    role: 'node',
    compareTo: 'bare-hop',
    keys: CAMERAS,
    chain: [{ type: 'function', func: 'return msg;', outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [] }],
    message: cameraRecords(),
  },
  {
    name: 'mw-vision-drift',
    description: '20 cameras × (bore + 5-point coating + defects), every detector on, chart values added to each record',
    role: 'node',
    compareTo: 'vision-passthrough',
    keys: CAMERAS,
    chain: [{
      type: 'mw-vision-drift', site: 'BENCH', specs: partSpecRows(), phase1Units: '200', phase1Subgroups: '4', defectSubgroupSize: '100',
      checkpointSeconds: '60', annotate: true, benchOutput: 1,
    }],
    message: cameraRecords(),
  },
];

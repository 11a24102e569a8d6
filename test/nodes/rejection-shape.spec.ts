// Issue 11, "one rejection shape": every node's reject output carries msg.error = {code, message,
// details} — the same keys and types on all four flow nodes, code equal to the node's own msg.reason.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
interface Rejected { reason?: string; error?: { code?: unknown; message?: unknown; details?: unknown } }

const modules = (): NodeModule[] =>
  ['mw-cmms', 'mw-asset-registry', 'mw-asset-map', 'mw-threshold', 'mw-vision-drift', 'mw-work-order'].map((n) => nodeModule(n) as NodeModule);
const RULES = JSON.stringify({ classes: { pump: [{ id: 'temp-h', metric: 'temp', limits: { H: { value: 85, severity: 'high' } } }] } });

function flow(): Array<{ id: string; type: string } & Record<string, unknown>> {
  const z = 'rs-tab';
  return [
    { id: z, type: 'tab' },
    // Nothing valid is sent: no CMMS needs to listen.
    { id: 'rs-conn', type: 'mw-cmms', name: 'none', dialect: 'rest', baseUrl: 'http://127.0.0.1:9', authType: 'none' },
    { id: 'rs-reg', type: 'mw-asset-registry', rows: [{ kind: 'exact', identifier: 'p/vib', assetId: 'P1', siteId: 'S1', location: 'A', metric: 'vibration' }] },
    { id: 'rs-map', type: 'mw-asset-map', z, registry: 'rs-reg', wires: [[], ['rs-out-map']] },
    { id: 'rs-thr', type: 'mw-threshold', z, rules: RULES, wires: [[], [], ['rs-out-thr']] },
    { id: 'rs-vd', type: 'mw-vision-drift', z, site: 'S1', checkpointSeconds: '0', wires: [[], [], ['rs-out-vd']] },
    { id: 'rs-wo', type: 'mw-work-order', z, cmms: 'rs-conn', wires: [[], ['rs-out-wo']] },
    { id: 'rs-out-map', type: 'helper', z },
    { id: 'rs-out-thr', type: 'helper', z },
    { id: 'rs-out-vd', type: 'helper', z },
    { id: 'rs-out-wo', type: 'helper', z },
  ];
}

function next(out: string): Promise<Rejected> {
  return new Promise((resolve, reject) => {
    const n = helper.getNode(out) as unknown as EventEmitter;
    const t = setTimeout(() => reject(new Error(`nothing on ${out} within 10 s`)), 10_000);
    n.once('input', (m: Rejected) => { clearTimeout(t); resolve(m); });
  });
}

describe('one rejection shape on every reject output (issue 11)', function () {
  this.timeout(30_000);
  withUserDir('mw-rejection-');

  const cases: Array<{ node: string; out: string; msg: object; code: string }> = [
    { node: 'rs-map', out: 'rs-out-map', msg: { topic: 'p/unknown', payload: 3.2 }, code: 'unmapped' },
    { node: 'rs-thr', out: 'rs-out-thr', msg: { payload: { asset: { id: 'P1' }, readings: 'many' } }, code: 'invalid' },
    { node: 'rs-vd', out: 'rs-out-vd', msg: { payload: { unitId: 7, result: 'maybe' } }, code: 'invalid' },
    { node: 'rs-wo', out: 'rs-out-wo', msg: { payload: { eventId: 42 } }, code: 'invalid' },
  ];

  it('msg.error is {code, message, details} with code = msg.reason, a message to read and every problem listed', async () => {
    await helper.load(modules(), flow());
    for (const c of cases) {
      const got = next(c.out);
      (helper.getNode(c.node) as Node).receive(c.msg as never);
      const m = await got;
      assert.ok(m.error && typeof m.error === 'object', `${c.node}: no msg.error object: ${JSON.stringify(m.error)}`);
      assert.deepEqual(Object.keys(m.error).sort(), ['code', 'details', 'message'], c.node);
      assert.equal(m.error.code, c.code, c.node);
      assert.equal(m.error.code, m.reason, `${c.node}: code and the older msg.reason agree`);
      assert.equal(typeof m.error.message, 'string', c.node);
      assert.ok((m.error.message as string).length > 0, c.node);
      assert.ok(Array.isArray(m.error.details) && (m.error.details as unknown[]).every((d) => typeof d === 'string'), `${c.node}: ${JSON.stringify(m.error.details)}`);
      if (c.code === 'invalid') assert.ok((m.error.details as string[]).length > 0, `${c.node}: an invalid message lists its problems`);
    }
  });
});

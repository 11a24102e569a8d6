// Issue 12, items 1–3: one hostile message (a 10 MB Buffer, a 10-million-element array, a
// million-key object, 10 000-deep nesting, a Proxy, a throwing getter) into each flow node ends in
// a clear, small error that a Catch node sees, within a bounded cost, and nothing escapes.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { RegistryHandle } from '../../nodes/core/assets/handle';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

type NodeModule = (RED: NodeAPI) => void;
type Caught = { payload?: unknown; error?: { message?: string; source?: { id?: string } } };

// The catch node is not listed: the helper loads it itself from the Node-RED under test (a copy
// from node-red 4 would be registered twice in the node-red 5 compat run).
const modules = (): NodeModule[] =>
  ['mw-cmms', 'mw-asset-registry', 'mw-asset-map', 'mw-threshold', 'mw-vision-drift', 'mw-work-order'].map((n) => nodeModule(n) as NodeModule);
const RULES = JSON.stringify({ classes: { pump: [{ id: 'temp-h', metric: 'temp', limits: { H: { value: 85, severity: 'high', priority: 2 } } }] } });
const FLOW_NODES = ['map1', 'thr1', 'vd1', 'wo1'] as const;

function flow(): object[] {
  const z = 't1';
  return [
    { id: z, type: 'tab' },
    // No CMMS listens here: nothing valid is sent in these tests, and nothing may be delivered.
    { id: 'conn1', type: 'mw-cmms', name: 'none', dialect: 'rest', baseUrl: 'http://127.0.0.1:9', authType: 'none' },
    { id: 'reg1', type: 'mw-asset-registry', rows: [{ kind: 'exact', identifier: 'p/vib', assetId: 'P1', siteId: 'S1', location: 'A', metric: 'vibration' }] },
    { id: 'map1', type: 'mw-asset-map', z, registry: 'reg1', wires: [['sink'], ['mapExc']] },
    { id: 'thr1', type: 'mw-threshold', z, rules: RULES, wires: [['sink'], ['sink'], ['sink']] },
    { id: 'vd1', type: 'mw-vision-drift', z, site: 'S1', checkpointSeconds: '0', wires: [['sink'], ['sink'], ['sink']] },
    { id: 'wo1', type: 'mw-work-order', z, cmms: 'conn1', wires: [['sink'], ['sink']] },
    { id: 'cat', type: 'catch', z, scope: null, uncaught: false, wires: [['caught']] },
    { id: 'sink', type: 'helper', z },
    { id: 'caught', type: 'helper', z },
    { id: 'mapExc', type: 'helper', z },
  ];
}

/**
 * Sends one message and waits for the Catch node (or, for mw-asset-map, whose unmappable input is
 * not an error but an exception-output message, for that); returns what it saw, the event-loop
 * time and the memory grown.
 */
async function oneCaught(target: string, msg: Record<string, unknown>): Promise<{ caught: Caught; loopMs: number; grownMb: number }> {
  const caughtNode = helper.getNode('caught') as unknown as EventEmitter;
  const exc = helper.getNode('mapExc') as unknown as EventEmitter;
  const got = new Promise<Caught>((resolve, reject) => {
    const seen: Caught[] = [];
    const finish = (m: Caught): void => {
      clearTimeout(t);
      caughtNode.off('input', onCatch);
      exc.off('input', onExc);
      resolve(m);
    };
    const t = setTimeout(() => {
      caughtNode.off('input', onCatch);
      exc.off('input', onExc);
      reject(new Error(`no Catch message from ${target} within 15 s; others: ${JSON.stringify(seen.map((c) => c.error)).slice(0, 500)}`));
    }, 15_000);
    const onExc = (m: { payload?: { errors?: string[] }; reason?: string }): void => {
      if (target === 'map1') finish({ payload: m.payload, error: { message: `${m.reason}: ${(m.payload?.errors ?? []).join('; ')}`, source: { id: 'map1' } } });
    };
    // A Catch message from another node (a late one from an earlier case) is not this case's answer.
    const onCatch = (m: Caught): void => (m.error?.source?.id === target ? finish(m) : void seen.push(m));
    caughtNode.on('input', onCatch);
    exc.on('input', onExc);
  });
  const mem = (): number => { const u = process.memoryUsage(); return u.heapUsed + u.arrayBuffers; };
  const before = mem();
  const elu = performance.eventLoopUtilization();
  (helper.getNode(target) as Node).receive(msg as never);
  const caught = await got;
  const used = performance.eventLoopUtilization(elu);
  return { caught, loopMs: used.active, grownMb: (mem() - before) / 1e6 };
}

describe('hostile input into the four flow nodes (issue 12, items 1–3)', function () {
  this.timeout(120_000);
  withUserDir('mw-harden-');

  beforeEach(async () => {
    await helper.load(modules(), flow() as Parameters<typeof helper.load>[1], { conn1: {} });
    await (helper.getNode('reg1') as unknown as RegistryHandle).service?.whenSettled();
  });

  // Built once: building them is the test's cost, not the node's.
  const tenMbBuffer = Buffer.alloc(10 * 1024 * 1024, 7);
  const tenMbArray = new Array<number>(10 * 1024 * 1024).fill(1);
  const millionKeys: Record<string, number> = {};
  for (let i = 0; i < 1_000_000; i++) millionKeys[`k${i}`] = i;
  const big: Array<[string, unknown]> = [['10 MB Buffer', tenMbBuffer], ['10 M-element array', tenMbArray], ['1 M-key object', millionKeys]];
  const figures: string[] = [];
  after(() => { if (figures.length > 0) console.log(`      event-loop ms / memory MB per case:\n        ${figures.join('\n        ')}`); });

  for (const target of FLOW_NODES) {
    for (const [name, payload] of big) {
      it(`${target}: a ${name} ends in a short error a Catch node sees, with bounded cost`, async () => {
        // mw-threshold looks at objects with a `readings` key: the Buffer and the array go there too.
        const wrapped = target === 'thr1' && name !== '1 M-key object' ? { readings: payload, asset: {}, source: {} } : payload;
        const r = await oneCaught(target, { topic: 'p/vib', payload: wrapped });
        figures.push(`${target} ${name}: ${r.loopMs.toFixed(1)} ms, +${r.grownMb.toFixed(1)} MB`);
        assert.equal(r.caught.error?.source?.id, target);
        const text = String(r.caught.error?.message);
        assert.ok(text.length < 600, `short error text: ${text.slice(0, 700)}`);
        // The Catch node's copy is small: the payload was replaced by a flat description.
        assert.ok(JSON.stringify(r.caught.payload ?? null).length < 2000, 'the Catch message is small');
        // The target is 50 ms of event-loop time; test/fuzz/big-object.spec.ts measures it in a
        // real Node-RED child (a million-key object is refused by name lookups, never enumerated).
        // Here, through the test helper's spies on a shared machine, the bound is loose; memory and
        // the small Catch copy are the real checks.
        assert.ok(r.loopMs < 10_000, `event loop busy ${r.loopMs.toFixed(0)} ms`);
        assert.ok(r.grownMb < 50, `memory grew ${r.grownMb.toFixed(1)} MB`);
      });
    }
  }

  it('10 000-deep nesting is rejected with a flat message the Catch node receives, from every node', async () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    for (const target of FLOW_NODES) {
      const payload = target === 'thr1' ? { readings: [deep], asset: {}, source: {} } : target === 'map1' ? { ...deep } : deep;
      const r = await oneCaught(target, { topic: 'p/vib', payload });
      assert.equal(r.caught.error?.source?.id, target);
      assert.ok(JSON.stringify(r.caught.payload ?? null).length < 2000, `${target}: flat payload for Catch`);
      assert.ok(String(r.caught.error?.message).length < 600);
    }
  });

  it('a Proxy payload and a throwing getter on the message end in done(err), and nothing escapes', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => { unhandled.push(e); };
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const target of FLOW_NODES) {
        const proxy = new Proxy({}, { get() { throw new Error('trap'); }, has() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
        let r = await oneCaught(target, { topic: 'p/vib', payload: proxy }).catch((e: Error) => { throw new Error(`proxy: ${e.message}`); });
        assert.equal(r.caught.error?.source?.id, target);
        const getter: Record<string, unknown> = { topic: 'p/vib' };
        Object.defineProperty(getter, 'payload', { enumerable: true, get() { throw new Error('getter'); } });
        r = await oneCaught(target, getter).catch((e: Error) => { throw new Error(`getter: ${e.message}`); });
        assert.equal(r.caught.error?.source?.id, target);
      }
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('after all that, each node still handles an ordinary bad message', async () => {
    for (const target of FLOW_NODES) {
      const r = await oneCaught(target, { topic: 'p/vib', payload: { not: 'valid' } });
      assert.equal(r.caught.error?.source?.id, target);
    }
  });
});

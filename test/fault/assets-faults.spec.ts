import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { RegistryOptions } from '../../nodes/core/assets/settings';
import type { RegistryHandle } from '../../nodes/core/assets/handle';
import { emptyNamespaces } from '../../nodes/core/assets/opcua';
import { CLOSE_WAIT_MS, RegistryService, type LoadReport, type VerifyingClient } from '../../nodes/core/assets/service';
import type { CmmsAsset, Page } from '../../nodes/core/cmms/types';
import type { Node, NodeAPI } from '../../nodes/lib/red';
import { helper, nodeModule, withUserDir } from '../support/node-red';

const HEADER = 'kind,identifier,assetId,siteId,location,metric\n';
const options = (over: Partial<RegistryOptions> = {}): RegistryOptions =>
  ({ cmms: 'conn1', rows: [], file: null, requireVerified: false, namespaces: emptyNamespaces(), autoVerifyMs: 0, ...over });

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

describe('assets: faults', function () {
  this.timeout(30000);
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-assets-fault-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('a corrupt verification file is moved aside; the map loads and verification still works', async () => {
    const stateFile = path.join(dir, 'state.db');
    fs.writeFileSync(stateFile, 'power cut in the middle of a write '.repeat(500));
    const assets: CmmsAsset[] = [{ id: 'P1', siteId: 'S1', location: 'S1/A', status: 'active', cmmsStatus: 'OPERATING' }];
    const client: VerifyingClient = { id: 'conn1', dialect: 'maximo', client: { listAssets: async () => ({ items: assets, next: null }) } };
    const s = new RegistryService(options({ rows: [{ kind: 'exact', identifier: 'a', assetId: 'P1', siteId: 'S1', location: 'A', metric: 'm' }] }), { stateFile, cmms: () => client });
    try {
      s.start();
      const r = await s.whenSettled();
      assert.equal(r.ok, true);
      assert.ok(fs.readdirSync(dir).some((f) => f.startsWith('state.db.corrupt-')), 'the damaged file is kept aside for a look');
      assert.equal((await s.verify()).counts.ok, 1);
    } finally {
      await s.close();
    }
  });

  it('the mapping file disappears: the last good map stays and the error names the file', async () => {
    const file = path.join(dir, 'map.csv');
    fs.writeFileSync(file, `${HEADER}exact,a,P1,S1,A,m\n`);
    const s = new RegistryService(options({ file: { path: file, format: 'csv', watch: true } }), { stateFile: null, cmms: () => 'none' });
    try {
      s.start();
      await s.whenSettled();
      const failed = once(s, 'load-failed') as Promise<[LoadReport]>;
      fs.rmSync(file);
      const [r] = await withTimeout(failed, 15000, 'a failed reload');
      assert.match(r.errors[0], /^map\.csv: cannot read .*map\.csv/);
      assert.equal(s.registry?.lookupId('a')?.target.id, 'P1');
      const back = once(s, 'loaded');
      fs.writeFileSync(file, `${HEADER}exact,a,P2,S1,A,m\n`);
      await withTimeout(back, 15000, 'the reload once the file is back');
      assert.equal(s.registry?.lookupId('a')?.target.id, 'P2');
    } finally {
      await s.close();
    }
  });

  it('closing while the CMMS never answers a verification finishes within the close budget', async () => {
    let release: (() => void) | undefined;
    const hanging: VerifyingClient = { id: 'conn1', dialect: 'rest', client: { listAssets: () => new Promise<Page<CmmsAsset>>((resolve) => { release = () => resolve({ items: [], next: null }); }) } };
    const s = new RegistryService(options(), { stateFile: path.join(dir, 'state.db'), cmms: () => hanging });
    s.start();
    await s.whenSettled();
    const verifying = s.verify().catch((e: Error) => e);
    const started = Date.now();
    await s.close();
    assert.ok(Date.now() - started < CLOSE_WAIT_MS + 1000, 'close did not wait for the CMMS');
    release?.();
    const outcome = await verifying;
    assert.ok(outcome instanceof Error && /stopped/.test(outcome.message), String(outcome));
  });

  it('closing during a large load stops reading the file at once', async () => {
    const lines = [HEADER.trim()];
    for (let i = 0; i < 60000; i++) lines.push(`exact,id/${i},P${i},S1,A,m`);
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const s = new RegistryService(options({ file: { path: file, format: 'csv', watch: false } }), { stateFile: null, cmms: () => 'none' });
    s.start();
    await new Promise((r) => setTimeout(r, 30));
    const started = Date.now();
    await s.close();
    assert.ok(Date.now() - started < 1000);
    assert.equal(s.registry, null, 'a half-read file never becomes the map');
  });
});

describe('mw-asset-map: faults in a running flow', function () {
  this.timeout(30000);
  type NodeModule = (RED: NodeAPI) => void;
  const modules = (): NodeModule[] => ['mw-cmms', 'mw-asset-registry', 'mw-asset-map'].map((n) => nodeModule(n) as NodeModule);
  const userDirOf = withUserDir('mw-map-fault-');

  const flow = [
    { id: 'reg1', type: 'mw-asset-registry', rows: [{ kind: 'exact', identifier: 'p/vib', assetId: 'P1', siteId: 'S1', location: 'A', metric: 'vibration', max: 10 }] },
    { id: 'map1', type: 'mw-asset-map', registry: 'reg1', wires: [['ok'], ['bad']] },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ];

  it('a user directory it cannot write to costs the verification file, not the map', async () => {
    fs.writeFileSync(path.join(userDirOf(), 'millwright'), 'a file where the folder should be');
    await helper.load(modules(), flow);
    const reg = helper.getNode('reg1') as Node & RegistryHandle & { warn: { args: unknown[][] } };
    assert.ok(reg.service, 'the registry still runs');
    assert.match(String(reg.warn.args[0]?.[0]), /mw-asset-registry\.errors\.state-file/);
    await reg.service.whenSettled();
    const got = new Promise<unknown>((resolve) => (helper.getNode('ok') as unknown as NodeJS.EventEmitter).once('input', resolve));
    (helper.getNode('map1') as Node).receive({ topic: 'p/vib', payload: 3 } as never);
    assert.ok(await got);
  });

  it('survives a stream of random messages: every one ends (Complete or Catch), nothing escapes to the process', async () => {
    // Core nodes, loaded as the runtime loads them (CommonJS).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = (f: string): NodeModule => require(require.resolve(`@node-red/nodes/core/common/${f}`)) as NodeModule;
    const tab = { id: 't1', type: 'tab' };
    const onTab = flow.map((n) => ({ ...n, z: 't1' }));
    const nodes: object[] = [tab, ...onTab,
      { id: 'cmp', type: 'complete', z: 't1', scope: ['map1'], uncaught: false, wires: [['completed']] },
      { id: 'cat', type: 'catch', z: 't1', scope: ['map1'], uncaught: false, wires: [['caught']] },
      { id: 'completed', type: 'helper', z: 't1' }, { id: 'caught', type: 'helper', z: 't1' }];
    await helper.load([...modules(), core('24-complete.js'), core('25-catch.js')], nodes as Parameters<typeof helper.load>[1]);
    await (helper.getNode('reg1') as unknown as RegistryHandle).service?.whenSettled();
    const map = helper.getNode('map1') as Node;
    let ended = 0;
    (helper.getNode('completed') as unknown as NodeJS.EventEmitter).on('input', () => { ended += 1; });
    (helper.getNode('caught') as unknown as NodeJS.EventEmitter).on('input', () => { ended += 1; });
    // Values Node-RED itself can clone for Complete and Catch nodes (a BigInt, say, it cannot; the
    // unit property test covers those against the mapping itself).
    const nasty = fc.constantFrom(Number.NaN, Infinity, -0, '', ' 12 ', '{"vib":', JSON.parse('{"__proto__":{"x":1},"vibration":5}') as unknown, 'x'.repeat(2_000_000), [1, 2, 3]);
    const samples = fc.sample(fc.record({
      topic: fc.oneof(fc.constant('p/vib'), fc.constant('ns=2;i=5'), fc.string(), fc.jsonValue()),
      payload: fc.oneof(fc.jsonValue(), nasty),
      input: fc.option(fc.record({ payload: fc.oneof(fc.jsonValue(), fc.record({ fc: fc.jsonValue(), address: fc.jsonValue(), unitid: fc.jsonValue(), quantity: fc.jsonValue() })) })),
      // Node-RED itself assumes a message has Object's prototype (handleError calls msg.hasOwnProperty).
    }, { requiredKeys: [], noNullPrototype: true }), 300);
    const before = process.listenerCount('uncaughtException');
    for (const m of samples) map.receive(m as never);
    for (let i = 0; i < 50 && ended < 300; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ended, 300, 'each message reaches a Complete node or, if bad, a Catch node');
    assert.equal(process.listenerCount('uncaughtException'), before);
    // The node still works afterwards.
    const got = new Promise<unknown>((resolve) => (helper.getNode('ok') as unknown as NodeJS.EventEmitter).once('input', resolve));
    map.receive({ topic: 'p/vib', payload: 4 } as never);
    assert.ok(await got);
  });
});

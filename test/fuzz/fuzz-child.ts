// The fuzz tier's Node-RED: a real runtime (sim/runtime.ts) with the package installed and the four
// flow nodes deployed, fed in-process (a Proxy or a throwing getter cannot cross a process
// boundary) with seeded fast-check values. Reports to the parent how many messages ended, and how.
import fc from 'fast-check';
import { startRuntime } from '../../sim/runtime';

type Sink = { on(event: 'input', cb: (msg: unknown, send: unknown, done: () => void) => void): void };
type Receiver = { receive(msg: unknown): void };

const userDir = process.argv[2];
const seed = Number(process.argv[3]);
const runs = Number(process.argv[4]);
const TARGETS = ['map1', 'thr1', 'vd1', 'wo1'] as const;
const RULES = JSON.stringify({ classes: { pump: [{ id: 'temp-h', metric: 'temp', limits: { H: { value: 85, severity: 'high', priority: 2 } } }] } });

const z = 'fz';
const flows = [
  { id: z, type: 'tab', label: 'fuzz' },
  { id: 'conn1', type: 'mw-cmms', name: 'none', dialect: 'rest', baseUrl: 'http://127.0.0.1:9', authType: 'none' },
  { id: 'reg1', type: 'mw-asset-registry', rows: [{ kind: 'exact', identifier: 'p/vib', assetId: 'P1', siteId: 'S1', location: 'A', metric: 'vibration' }] },
  { id: 'map1', type: 'mw-asset-map', z, registry: 'reg1', wires: [[], []] },
  { id: 'thr1', type: 'mw-threshold', z, rules: RULES, wires: [[], [], []] },
  { id: 'vd1', type: 'mw-vision-drift', z, site: 'S1', checkpointSeconds: '1', wires: [[], [], []] },
  { id: 'wo1', type: 'mw-work-order', z, cmms: 'conn1', wires: [[], []] },
  { id: 'cat', type: 'catch', z, scope: [...TARGETS], uncaught: false, wires: [['caught']] },
  { id: 'cmp', type: 'complete', z, scope: [...TARGETS], uncaught: false, wires: [['completed']] },
  { id: 'caught', type: 'junction', z, wires: [] },
  { id: 'completed', type: 'junction', z, wires: [] },
];

// Hostile values, each built once (10 MB is the test's cost, not the node's).
let deep: Record<string, unknown> = { end: 1 };
for (let i = 0; i < 10_000; i++) deep = { a: deep };
const getter = (): object => Object.defineProperty({}, 'eventId', { enumerable: true, get() { throw new Error('getter'); } });
const proxy = (): object => new Proxy({}, { get() { throw new Error('trap'); }, has() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
const nasty = fc.oneof(
  fc.constantFrom<unknown>(Number.NaN, Infinity, -Infinity, -0, '', '\uD800', 'a\uDFFFb', null, undefined,
    JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}'), { constructor: 'x', __proto__: null } as unknown,
    'x'.repeat(10 * 1024 * 1024), Buffer.alloc(10 * 1024 * 1024, 1), new Float64Array(1000), deep, new Date(), new Map([[1, 2]])),
  // Built at send time (fast-check itself would trip over a Proxy's traps while generating).
  fc.constantFrom('§getter', '§proxy'),
);

/** Puts the real getter objects and Proxies where the markers are (a few levels deep). */
function arm(v: unknown, depth = 0): unknown {
  if (v === '§getter') return getter();
  if (v === '§proxy') return proxy();
  if (depth > 3 || v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v === deep) return v;
  if (Array.isArray(v)) return v.map((x) => arm(x, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
  for (const k of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k);
    if (d && 'value' in d) (v as Record<string, unknown>)[k] = arm(d.value, depth + 1);
  }
  return v;
}
const payload = fc.oneof({ weight: 4, arbitrary: fc.jsonValue() }, { weight: 2, arbitrary: fc.anything({ withBigInt: false, withTypedArray: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true }) }, { weight: 2, arbitrary: nasty },
  fc.record({ readings: fc.oneof(fc.jsonValue(), nasty), asset: fc.jsonValue(), source: fc.jsonValue() }),
  fc.record({ unitId: fc.string(), timestamp: fc.string(), result: fc.constantFrom('pass', 'fail'), measurements: fc.oneof(fc.jsonValue(), nasty) }),
  fc.record({ kind: fc.constantFrom('alarm', 'drift'), state: fc.constant('raised'), eventId: fc.string(), details: fc.oneof(fc.jsonValue(), nasty) }));
const message = fc.record({
  topic: fc.oneof(fc.constantFrom('p/vib', 'metrics', 'discard', 'replay', 'rebaseline', 'shelve', 'health', 'ns=2;i=5'), fc.string(), fc.jsonValue()),
  payload,
  control: fc.option(fc.oneof(fc.constantFrom('metrics', 'rebaseline', 'health', 'discard', 'baselines'), fc.jsonValue()), { nil: undefined }),
}, { requiredKeys: ['payload'] });

async function main(): Promise<void> {
  const rt = await startRuntime({ userDir, flows, installPackage: true, logLevel: 'fatal' });
  await new Promise((r) => setTimeout(r, 1500));
  let ended = 0;
  (rt.RED.nodes.getNode('caught') as Sink).on('input', (_m, _s, done) => { ended++; done(); });
  (rt.RED.nodes.getNode('completed') as Sink).on('input', (_m, _s, done) => { ended++; done(); });
  const samples = fc.sample(fc.tuple(fc.constantFrom(...TARGETS), message), { seed, numRuns: runs });
  let sent = 0;
  const started = Date.now();
  for (const [target, msg] of samples) {
    const m = arm(msg) as Record<string, unknown>;
    if (m.control === undefined) delete m.control;
    (rt.RED.nodes.getNode(target) as Receiver).receive(m);
    sent++;
    // Let the runtime breathe: Node-RED delivers asynchronously.
    if (sent % 20 === 0) await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 300 && ended < sent; i++) await new Promise((r) => setTimeout(r, 100));
  const ms = Date.now() - started;
  await rt.stop();
  process.send?.({ sent, ended, ms });
}

process.on('unhandledRejection', (e) => { process.send?.({ crash: `unhandledRejection: ${String(e)}` }); process.exit(70); });
process.on('uncaughtException', (e) => { process.send?.({ crash: `uncaughtException: ${String(e)}` }); process.exit(71); });
main().then(() => process.exit(0), (e: unknown) => { process.send?.({ crash: e instanceof Error ? String(e.stack) : String(e) }); process.exit(72); });

// A real Node-RED (sim/runtime.ts, the package installed as a user installs it) with the four flow
// nodes deployed and nothing else running: one plain object of a million keys, and a 10 MB Buffer
// and a 10-million-element array for comparison, go into each node, and the event-loop time from
// receive() to the rejection reaching the next node is measured (Node-RED's own delivery included).
// Reports the figures to the parent (big-object.spec.ts), which asserts the bounds.
import { performance } from 'node:perf_hooks';
import { startRuntime } from '../../sim/runtime';

type Sink = { on(event: 'input', cb: (msg: Record<string, unknown>, send: unknown, done: () => void) => void): void };
type Receiver = { receive(msg: unknown): void };
export interface Figure { target: string; input: string; loopMs: number[]; grownMb: number[]; text: string; payload: string }

const userDir = process.argv[2];
const TARGETS = ['map1', 'thr1', 'vd1', 'wo1'] as const;
const REPEAT = 3;
const RULES = JSON.stringify({ classes: { pump: [{ id: 'temp-h', metric: 'temp', limits: { H: { value: 85, severity: 'high', priority: 2 } } }] } });
const z = 'bo';
const flows = [
  { id: z, type: 'tab', label: 'big objects' },
  // No CMMS listens: nothing valid is sent, nothing may be delivered.
  { id: 'conn1', type: 'mw-cmms', name: 'none', dialect: 'rest', baseUrl: 'http://127.0.0.1:9', authType: 'none' },
  { id: 'reg1', type: 'mw-asset-registry', rows: [{ kind: 'exact', identifier: 'p/vib', assetId: 'P1', siteId: 'S1', location: 'A', metric: 'vibration' }] },
  // mw-asset-map's unmappable input is an exception-output message, not an error: its second output is watched.
  { id: 'map1', type: 'mw-asset-map', z, registry: 'reg1', wires: [[], ['mapExc']] },
  { id: 'thr1', type: 'mw-threshold', z, rules: RULES, wires: [[], [], []] },
  { id: 'vd1', type: 'mw-vision-drift', z, site: 'S1', checkpointSeconds: '0', wires: [[], [], []] },
  { id: 'wo1', type: 'mw-work-order', z, cmms: 'conn1', wires: [[], []] },
  { id: 'cat', type: 'catch', z, scope: ['thr1', 'vd1', 'wo1'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'junction', z, wires: [] },
  { id: 'mapExc', type: 'junction', z, wires: [] },
];

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const mem = (): number => { const u = process.memoryUsage(); return u.heapUsed + u.arrayBuffers; };

async function main(): Promise<void> {
  const rt = await startRuntime({ userDir, flows, installPackage: true, logLevel: 'fatal' });
  await new Promise((r) => setTimeout(r, 1000));
  // Built once, before any measurement: building them is the test's cost, not the nodes'.
  const millionKeys: Record<string, number> = {};
  for (let i = 0; i < 1_000_000; i++) millionKeys[`k${i}`] = i;
  const inputs: Array<[string, unknown]> = [
    ['1 M-key object', millionKeys],
    ['10 MB Buffer', Buffer.alloc(10 * 1024 * 1024, 7)],
    ['10 M-element array', new Array<number>(10 * 1024 * 1024).fill(1)],
  ];
  let arrived: ((m: Record<string, unknown>, fromCatch: boolean) => void) | null = null;
  const deliver = (m: Record<string, unknown>, fromCatch: boolean): void => { const a = arrived; arrived = null; a?.(m, fromCatch); };
  (rt.RED.nodes.getNode('caught') as Sink).on('input', (m, _s, done) => { done(); deliver(m, true); });
  (rt.RED.nodes.getNode('mapExc') as Sink).on('input', (m, _s, done) => { done(); deliver(m, false); });
  const figures: Figure[] = [];
  for (const target of TARGETS) {
    for (const [input, payload] of inputs) {
      const f: Figure = { target, input, loopMs: [], grownMb: [], text: '', payload: '' };
      for (let i = 0; i < REPEAT; i++) {
        // A full collection first, so a collection of the test's own garbage is not the node's time.
        gc();
        await new Promise((r) => setTimeout(r, 20));
        const got = new Promise<{ m: Record<string, unknown>; fromCatch: boolean }>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${target} ${input}: no rejection within 20 s`)), 20_000);
          arrived = (m, fromCatch) => { clearTimeout(t); resolve({ m, fromCatch }); };
        });
        const before = mem();
        const elu = performance.eventLoopUtilization();
        (rt.RED.nodes.getNode(target) as Receiver).receive({ topic: 'p/vib', payload });
        const { m, fromCatch } = await got;
        f.loopMs.push(performance.eventLoopUtilization(elu).active);
        f.grownMb.push((mem() - before) / 1e6);
        const error = m.error as { message?: unknown; source?: { id?: unknown } } | undefined;
        f.text = fromCatch ? `${String(error?.source?.id)}: ${String(error?.message)}` : `map1 exception: ${String(m.reason)}: ${JSON.stringify(m.payload).slice(0, 400)}`;
        f.payload = JSON.stringify(m.payload ?? null).slice(0, 3000);
      }
      figures.push(f);
    }
  }
  await rt.stop();
  process.send?.({ figures });
}

process.on('unhandledRejection', (e) => { process.send?.({ crash: `unhandledRejection: ${String(e)}` }); process.exit(70); });
process.on('uncaughtException', (e) => { process.send?.({ crash: `uncaughtException: ${String(e)}` }); process.exit(71); });
main().then(() => process.exit(0), (e: unknown) => { process.send?.({ crash: e instanceof Error ? String(e.stack) : String(e) }); process.exit(72); });

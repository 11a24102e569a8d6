// Runs in its own process (see reference-flows.spec.ts): the four reference gateway flows exactly
// as shipped in flows/gateway-*.json, in a real Node-RED with the real protocol nodes, against the
// plant simulator and the CMMS simulator. Starts every scenario with a high time acceleration and
// writes result.json (and prints `MWRESULT {json}`): the work orders the CMMS received and what reached the nodes.
import fs from 'node:fs';
import path from 'node:path';

import { startCmmsSim } from '../../sim/cmms';
import { mergeFlows } from '../../sim/demo-flows';
import { startPlantSim } from '../../sim/plant';
import { REPO_ROOT, startRuntime } from '../../sim/runtime';

const userDir = process.argv[2];
if (!userDir) throw new Error('usage: reference-flows-child <userDir>');
process.env.XDG_CONFIG_HOME = path.join(userDir, 'xdg');

type Msg = { payload?: { asset?: { id?: string }; readings?: unknown[] }; reason?: string; topic?: string };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const deadline = setTimeout(() => { console.log('MWTIMEOUT'); process.exit(2); }, 150_000);
  fs.mkdirSync(userDir, { recursive: true });
  const cmms = await startCmmsSim({ port: 0 });
  const plant = await startPlantSim({ dataDir: path.join(userDir, 'plant'), cameraRate: 50 });
  const e = plant.endpoints;
  Object.assign(process.env, {
    MODBUS_HOST: e.modbus?.host, MODBUS_PORT: String(e.modbus?.port), OPCUA_URL: e.opcua?.url,
    MQTT_HOST: '127.0.0.1', MQTT_PORT: new URL(e.mqtt?.url ?? 'mqtt://x:1883').port, CMMS_URL: cmms.url,
  });
  const files = fs.readdirSync(path.join(REPO_ROOT, 'flows')).filter((f) => /^gateway-.*\.json$/.test(f)).sort().map((f) => path.join(REPO_ROOT, 'flows', f));
  const flows = mergeFlows(files) as Array<{ id: string; credentials?: Record<string, unknown> }>;
  const creds: Record<string, unknown> = {};
  for (const n of flows) if (n.credentials) { creds[n.id] = n.credentials; delete n.credentials; }
  fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(creds));
  fs.copyFileSync(path.join(REPO_ROOT, 'flows', 'assets.csv'), path.join(userDir, 'assets.csv'));
  const runtime = await startRuntime({ userDir, port: 0, flows, installPackage: true, logLevel: 'warn' });

  // Flows start after RED.start() resolves.
  for (let i = 0; i < 200 && !runtime.RED.nodes.getNode('mw-gw-vision-unmapped'); i++) await sleep(50);
  // What reached the nodes, counted by listening beside them (a one-argument listener takes no part in done tracking).
  const seen: Record<string, number> = {};
  const unmapped: string[] = [];
  const count = (key: string): void => { seen[key] = (seen[key] ?? 0) + 1; };
  type Listenable = { on(ev: 'input', cb: (msg: Msg) => void): void };
  const node = (id: string): Listenable => {
    const n = runtime.RED.nodes.getNode(id) as Listenable | null;
    if (!n) throw new Error(`node ${id} is not running`);
    return n;
  };
  for (const p of ['modbus', 'opcua', 'mqtt']) {
    // Readings only: the work-order results wired back into the rules carry no asset.
    node(`mw-gw-${p}-alarms`).on('input', (msg) => { if (msg.payload?.asset?.id) count(`${p}:${msg.payload.asset.id}`); });
    node(`mw-gw-${p}-unmapped`).on('input', (msg) => { if (unmapped.length < 5) unmapped.push(`${p}: ${msg.reason ?? ''} ${msg.topic ?? ''}`); count(`${p}:unmapped`); });
  }
  node('mw-gw-vision-drift').on('input', (msg) => count(`vision:${msg.payload?.asset?.id ?? '?'}`));
  // What mw-wo-status sent into the rules and the chart (the CMMS's status changes, polled).
  const statusIn: Array<{ into: string; workOrderId?: string; status?: string }> = [];
  type StatusMsg = Msg & { payload?: { workOrderId?: string; status?: string } };
  for (const id of ['mw-gw-modbus-alarms', 'mw-gw-vision-drift']) {
    node(id).on('input', (msg: StatusMsg) => {
      if (msg.topic === 'work-order-status') statusIn.push({ into: id, workOrderId: msg.payload?.workOrderId, status: msg.payload?.status });
    });
  }
  node('mw-gw-vision-unmapped').on('input', (msg) => { if (unmapped.length < 5) unmapped.push(`vision: ${msg.reason ?? ''}`); count('vision:unmapped'); });

  // Healthy first: nothing may trip while the plant is well (5 s of every signal).
  await sleep(5000);
  const healthy = cmms.workOrders('maximo').length;
  // Alarm scenarios at once (different assets); 8 plant hours of bearing wear take 8 s at ×3600.
  for (const id of ['bearing-wear', 'cooling-fault', 'sensor-freeze', 'bad-quality'] as const) plant.model.start(id, 3600);
  // The SPC baseline is 400 parts (8 s at 50 parts/s) from the start; tool wear begins once it is learned.
  await sleep(5000);
  plant.model.start('tool-wear', 1200);
  // Sensor freeze needs the rule's 20 s stale time (from 10 s ago); then a few seconds more to see that nothing is doubled.
  await sleep(22_000);
  const snapshot = (): Array<{ id: string; ref: string | null; title: string }> =>
    // `ref`: the event id the work order was made for, from its long description (the CMMS reference
    // itself is a short digest of it, see nodes/core/cmms/reference.ts).
    cmms.workOrders('maximo').map((w) => ({ id: w.id, ref: eventIdOf(w.fields), title: String(w.fields.description ?? '') }));
  const workOrders = snapshot();

  // Closing the loop: a technician completes the vibration work order in the CMMS (the simulator's
  // admin status API, as its page's Move button does) and the drift work order on the press. mw-wo-status
  // polls (every 15 s in the shipped flows), the rules re-arm, and vibration — still high — makes a NEW work order.
  const vibration = (ws: typeof workOrders) => ws.filter((w) => /^BEDFORD\.PUMP-101\.vibration\.limit\./.test(w.ref ?? ''));
  const completed: string[] = [];
  for (const w of [vibration(workOrders)[0], workOrders.find((x) => /^BEDFORD\.PRS-701\./.test(x.ref ?? ''))]) {
    if (!w) continue;
    const res = await fetch(`${cmms.url}/__sim/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dialect: 'maximo', id: w.id, status: 'COMP' }) });
    if (!res.ok) throw new Error(`completing ${w.id}: ${res.status} ${await res.text()}`);
    completed.push(w.id);
  }
  let after = snapshot();
  for (let i = 0; i < 90 && (vibration(after).length < 2 || !statusIn.some((s) => s.into === 'mw-gw-vision-drift' && (s.status === 'done' || s.status === 'closed'))); i++) {
    await sleep(500);
    after = snapshot();
  }
  await sleep(3000); // a few seconds more to see that nothing is doubled
  const result = {
    healthy, workOrders, seen, unmapped,
    loop: { completed, statusIn: statusIn.filter((s) => (s.status === 'done' || s.status === 'closed')), vibrationAfter: vibration(snapshot()) },
  };
  // The file is what the spec reads (written whole, then renamed); the line is for a person reading the log,
  // where node-opcua's stderr may land in the middle of it.
  fs.writeFileSync(path.join(userDir, 'result.json.tmp'), JSON.stringify(result));
  fs.renameSync(path.join(userDir, 'result.json.tmp'), path.join(userDir, 'result.json'));
  console.log(`MWRESULT ${JSON.stringify(result)}`);
  clearTimeout(deadline);
  await runtime.stop();
  await plant.stop();
  await cmms.stop();
  // node-opcua's certificate managers keep file watchers; the process is done either way.
  process.exit(0);
}

main().catch((err: unknown) => {
  console.log(`MWFAILED ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});

function eventIdOf(fields: Record<string, unknown>): string | null {
  return /Millwright event (\S+)/.exec(String(fields.description_longdescription ?? ''))?.[1] ?? null;
}

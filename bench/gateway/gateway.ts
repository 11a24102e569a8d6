// `npm run bench -- --gateway [--quick] [--minutes n]`: one gateway's day, compressed. The reference
// flows (flows/gateway-*.json) in a Node-RED child process against the plant simulator (Modbus,
// OPC UA), a bulk MQTT load (ALARM_TAGS + bulk tags, cameras) and the CMMS simulator; then the same
// job built from core nodes, in the same run and under the same load; printed side by side.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEFAULT_ASSETS, startCmmsSim, SIM_CREDENTIALS, type CmmsSim } from '../../sim/cmms';
import { startPlantSim, type PlantSim } from '../../sim/plant';
import { round3 } from '../stats';
import type { ChildConfig, ChildFigures } from './child';
import { type BulkLayout, tagLayout, type Variant, writeVariant } from './flows';
import { ALARM_TAGS, ON_DELAY_SAMPLES, startLoad, stationAssets } from './load';
import { startTechnician, type Technician } from './technician';
import { FIGURE_LABELS, type VariantFigures, cpuPercentOfCore, p99, perHour, ratios } from './metrics';

interface GatewayOptions {
  minutes: number;
  quick: boolean;
  out: string;
  /** Tags in all, about a third each on Modbus, OPC UA and MQTT (reference tags included): tagLayout(). */
  tags: number;
  cameras: number;
  unitsPerSecond: number;
}

interface VariantResult {
  variant: Variant;
  figures: VariantFigures;
  child: ChildFigures;
  workOrders: { alarm: number; other: number; episodes: number; completed: number };
  eventToWoMs: number[];
  published: { tags: number; records: number };
}

function log(text: string): void {
  process.stderr.write(`${text}\n`);
}

function waitFor<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`Node-RED child: no "${type}" within ${timeoutMs} ms`)); }, timeoutMs);
    const onMsg = (m: { type?: string }): void => { if (m.type === type) { cleanup(); resolve(m as T); } };
    const onExit = (code: number | null): void => { cleanup(); reject(new Error(`Node-RED child exited (${code}) before "${type}"`)); };
    function cleanup(): void { clearTimeout(timer); child.off('message', onMsg); child.off('exit', onExit); }
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runVariant(variant: Variant, opts: GatewayOptions, layout: BulkLayout, cmms: CmmsSim, plant: PlantSim, technician: Technician): Promise<VariantResult> {
  const load = await startLoad({
    bulkTags: layout.mqtt, cameras: opts.cameras, unitsPerSecond: opts.unitsPerSecond,
    episodeEverySec: 30, driftEverySec: opts.quick ? 60 : 300, onDelaySamples: ON_DELAY_SAMPLES[variant],
  });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `mw-gateway-${variant}-`));
  let child: ChildProcess | undefined;
  try {
    const { flowsFile, thresholdIds, stageIds, sources } = writeVariant(userDir, variant, layout);
    const cfg: ChildConfig = { userDir, flowsFile, thresholdIds, stageIds, sources, probeCommits: 50, probeGapMs: 100 };
    const cfgFile = path.join(userDir, 'bench-child.json');
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    const mb = plant.endpoints.modbus;
    const env = {
      ...process.env,
      MODBUS_HOST: mb?.host ?? '127.0.0.1', MODBUS_PORT: String(mb?.port ?? 0), OPCUA_URL: plant.endpoints.opcua?.url ?? '',
      MQTT_HOST: load.host, MQTT_PORT: String(load.port), CMMS_URL: cmms.url, CMMS_APIKEY: SIM_CREDENTIALS.maximo.apiKey,
      XDG_CONFIG_HOME: path.join(userDir, 'xdg'),
    };
    child = fork(path.join(__dirname, 'child.js'), [cfgFile], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await waitFor(child, 'ready', 120_000);
    // Let subscriptions settle, the registry load and V8 optimise before anything is counted.
    const warmMs = opts.quick ? 10_000 : 30_000;
    log(`gateway ${variant}: Node-RED up, warming up ${warmMs / 1000} s`);
    await sleep(warmMs);
    const known = new Set(cmms.workOrders('maximo').map((w) => w.id));
    const raisedBefore = new Map([...load.raisedAt].map(([a, ts]) => [a, ts.length]));
    const pub0 = load.published();
    child.send({ type: 'start' });
    const windowMs = opts.minutes * 60_000;
    log(`gateway ${variant}: measuring for ${opts.minutes} min`);
    await sleep(windowMs);
    child.send({ type: 'stop', probe: variant === 'mw' });
    const pub1 = load.published();
    // Work orders for episodes raised inside the window may land a little after it closes.
    const figuresP = waitFor<ChildFigures>(child, 'figures', 120_000);
    await sleep(5_000);
    const childFigures = await figuresP;
    const alarmAssets = new Set<string>(ALARM_TAGS.map((t) => t.assetId));
    const fresh = cmms.workOrders('maximo').filter((w) => !known.has(w.id));
    const eventToWoMs: number[] = [];
    let episodes = 0;
    for (const asset of alarmAssets) {
      const raised = (load.raisedAt.get(asset) ?? []).slice(raisedBefore.get(asset) ?? 0);
      episodes += raised.length;
      const wos = fresh.filter((w) => w.fields.assetnum === asset).sort((a, b) => a.createdAt - b.createdAt);
      // Each work order belongs to the latest episode raised before it that has none yet.
      const used = new Set<number>();
      for (const wo of wos) {
        let k = -1;
        raised.forEach((t, i) => { if (t <= wo.createdAt && !used.has(i)) k = i; });
        if (k >= 0) { used.add(k); eventToWoMs.push(wo.createdAt - raised[k]); }
      }
    }
    const alarm = fresh.filter((w) => alarmAssets.has(String(w.fields.assetnum))).length;
    const completed = fresh.filter((w) => technician.completed.has(w.id)).length;
    const figures: VariantFigures = {
      cpuPercent: cpuPercentOfCore(childFigures.cpuUs, childFigures.elapsedMs),
      rssMaxMb: childFigures.rssMaxBytes / 2 ** 20,
      loopP99Ms: childFigures.loopP99Ms,
      eventToWoP99Ms: p99(eventToWoMs),
      diskBytesPerHour: perHour(childFigures.writeBytes, childFigures.elapsedMs),
    };
    return {
      variant, figures, child: childFigures, eventToWoMs,
      workOrders: { alarm, other: fresh.length - alarm, episodes, completed },
      published: { tags: pub1.tags - pub0.tags, records: pub1.records - pub0.records },
    };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child?.once('exit', () => r()));
      child.send({ type: 'exit' });
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await load.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 1e6 ? v.toExponential(2) : String(round3(v));
}

function renderGateway(mw: VariantResult, core: VariantResult, floor: { thresholdP99Ms: number; commitP99Ms: number }): string {
  const r = ratios(mw.figures, core.figures);
  const lines = ['| figure | mw (reference flows) | core nodes | mw ÷ core |', '|---|---|---|---|'];
  for (const k of Object.keys(FIGURE_LABELS) as Array<keyof VariantFigures>) {
    lines.push(`| ${FIGURE_LABELS[k]} | ${fmt(mw.figures[k])} | ${fmt(core.figures[k])} | ${fmt(r[k])}× |`);
  }
  for (const v of [mw, core]) {
    const r = v.child.sourceReadings;
    const n = (k: string): number => Math.round(r[k] ?? 0);
    lines.push('', `${v.variant}: readings out of the protocol nodes in the window: Modbus ${n('modbus')}, OPC UA ${n('opcua')}, MQTT ${n('mqtt')} ` +
      `(MQTT published ${v.published.tags}), inspection records ${n('vision')} (published ${v.published.records}); ` +
      `${v.child.stageInputs} messages reached the alarm/SPC stage; ` +
      `${v.workOrders.episodes} alarm episodes → ${v.workOrders.alarm} alarm work orders (${v.eventToWoMs.length} matched to an episode, ` +
      `${v.workOrders.completed} completed by the technician), ${v.workOrders.other} other work orders`);
  }
  lines.push('', `fsync floor: mw-threshold reading → committed event p99 ${fmt(floor.thresholdP99Ms)} ms (n=${mw.child.thresholdLatenciesMs.length}) ÷ ` +
    `one durable commit p99 ${fmt(floor.commitP99Ms)} ms (n=${mw.child.commitMs.length}) = ${fmt(floor.thresholdP99Ms / floor.commitP99Ms)}×`);
  return lines.join('\n');
}

export async function runGateway(opts: GatewayOptions): Promise<void> {
  const layout = tagLayout(opts.tags, opts.cameras);
  log(`gateway: ${opts.tags} tags at 1 Hz (bulk: Modbus ${layout.modbus}, OPC UA ${layout.opcua}, MQTT ${layout.mqtt}, plus the reference tags), ` +
    `${opts.cameras} cameras × ${opts.unitsPerSecond} units/s, ${opts.minutes} min per job (mw, then core)`);
  const cmms = await startCmmsSim({ port: 0, assets: [...DEFAULT_ASSETS, ...stationAssets(opts.cameras)] });
  const plant = await startPlantSim({ protocols: ['modbus', 'opcua'], cameraRate: 0, manyTags: { modbus: layout.modbus, opcua: layout.opcua } });
  // The technician completes each alarm work order some seconds after it appears, after the episode's
  // high samples have passed, so mw-wo-status re-arms the rule and the next episode makes a new one.
  const technician = startTechnician(cmms, { assets: ALARM_TAGS.map((t) => t.assetId), afterMs: 10_000, log });
  try {
    const mw = await runVariant('mw', opts, layout, cmms, plant, technician);
    const core = await runVariant('core', opts, layout, cmms, plant, technician);
    const floor = { thresholdP99Ms: p99(mw.child.thresholdLatenciesMs), commitP99Ms: p99(mw.child.commitMs) };
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`\ngateway day: ${opts.minutes} min per job, load average ${load}, ${os.cpus().length} CPUs\n`);
    console.log(renderGateway(mw, core, floor));
    const strip = (v: VariantResult): object => ({ ...v, child: { ...v.child, thresholdLatenciesMs: undefined, commitMs: undefined } });
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, `${JSON.stringify({ settings: opts, layout, loadAverage: os.loadavg(), date: new Date().toISOString(), mw: strip(mw), core: strip(core), ratios: ratios(mw.figures, core.figures), fsyncFloor: { ...floor, ratio: floor.thresholdP99Ms / floor.commitP99Ms } }, null, 2)}\n`);
    console.log(`\nwritten: ${opts.out}`);
  } finally {
    await technician.stop();
    await plant.stop();
    await cmms.stop();
  }
}

// The Node-RED process of the gateway-day benchmark: a real runtime with the flows the parent
// wrote, in a process of its own so its CPU, RSS and disk writes (/proc/self/io) are its own and
// not the load generator's. Talks to the parent over IPC:
//   child → { type: 'ready' }            runtime started, flows deployed
//   parent → { type: 'start' }           measurement window opens
//   parent → { type: 'stop', probe }     window closes; with probe, time durable commits too
//   child → { type: 'figures', ... }     then the parent sends { type: 'exit' }
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { openCommitProbe } from '../fsync-probe';
import { startRuntime, type RunningRuntime } from '../../sim/runtime';
import { parseWriteBytes } from './metrics';

export interface ChildConfig {
  userDir: string;
  flowsFile: string;
  /** mw-threshold node ids whose input → event latency is recorded (Node-RED message hooks). */
  thresholdIds: string[];
  /** Nodes of the alarm/SPC stage: messages delivered to them are counted (proof the load got through). */
  stageIds: string[];
  probeCommits: number;
  probeGapMs: number;
  /** Protocol input nodes by label (modbus, opcua, mqtt, vision): readings they send are counted. */
  sources: Record<string, string[]>;
}

export interface ChildFigures {
  type: 'figures';
  elapsedMs: number;
  cpuUs: number;
  rssMaxBytes: number;
  loopP99Ms: number;
  writeBytes: number;
  thresholdLatenciesMs: number[];
  commitMs: number[];
  stageInputs: number;
  /** Readings the protocol nodes sent in the window, by label (Modbus: float32 values, 2 registers each). */
  sourceReadings: Record<string, number>;
}

interface HookEvent {
  msg: { _msgid?: string; payload?: unknown };
  source?: { id: string; port?: number };
  destination?: { id: string };
}
interface Hooks { add(name: string, fn: (ev: HookEvent | HookEvent[]) => void): void }

const send = (m: object): void => { process.send?.(m); };
const writeBytes = (): number => parseWriteBytes(fs.readFileSync('/proc/self/io', 'utf8'));

interface Counts { stage: { ids: Set<string>; count: number }; labelOf: Map<string, string>; readings: Record<string, number> }

function recordThresholdLatency(hooks: Hooks, ids: Set<string>, out: number[], active: () => boolean, counts: Counts): void {
  const { stage } = counts;
  const received = new Map<string, bigint>();
  hooks.add('onReceive', (ev) => {
    const e = ev as HookEvent;
    if (!active() || !e.destination) return;
    if (stage.ids.has(e.destination.id)) stage.count += 1;
    if (!ids.has(e.destination.id) || !e.msg._msgid) return;
    received.set(e.msg._msgid, process.hrtime.bigint());
    // Readings that raise nothing are never looked up again: keep the map bounded.
    if (received.size > 20_000) for (const k of [...received.keys()].slice(0, 10_000)) received.delete(k);
  });
  hooks.add('onSend', (evs) => {
    for (const e of evs as HookEvent[]) {
      const label = e.source && active() && (e.source.port ?? 0) === 0 ? counts.labelOf.get(e.source.id) : undefined;
      if (label !== undefined) {
        // A modbus-read block is one message of registers; a float32 reading takes two of them.
        const n = label === 'modbus' && Array.isArray(e.msg.payload) ? e.msg.payload.length / 2 : 1;
        counts.readings[label] = (counts.readings[label] ?? 0) + n;
      }
      if (!e.source || !ids.has(e.source.id) || (e.source.port ?? 0) !== 0 || !e.msg._msgid) continue;
      const t = received.get(e.msg._msgid);
      if (t === undefined) continue;
      // An event caused by a reading keeps its _msgid: reading in → committed event out.
      out.push(Number(process.hrtime.bigint() - t) / 1e6);
      received.delete(e.msg._msgid);
    }
  });
}

async function main(): Promise<void> {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as ChildConfig;
  const flows = JSON.parse(fs.readFileSync(cfg.flowsFile, 'utf8')) as object[];
  const thresholdMs: number[] = [];
  let measuring = false;
  const stage = { ids: new Set(cfg.stageIds), count: 0 };
  const counts: Counts = { stage, labelOf: new Map(Object.entries(cfg.sources).flatMap(([label, ids]) => ids.map((id): [string, string] => [id, label]))), readings: {} };
  const runtime: RunningRuntime = await startRuntime({
    userDir: cfg.userDir, port: 0, flows, installPackage: true, logLevel: 'warn',
    beforeStart: (RED) => recordThresholdLatency((RED as unknown as { hooks: Hooks }).hooks, new Set(cfg.thresholdIds), thresholdMs, () => measuring, counts),
  });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  let rssMax = 0;
  let cpu0 = process.cpuUsage();
  let t0 = Date.now();
  let w0 = 0;
  const rssTimer = setInterval(() => { if (measuring) rssMax = Math.max(rssMax, process.memoryUsage.rss()); }, 1000);
  process.on('message', (m: { type: string; probe?: boolean }) => {
    if (m.type === 'start') {
      measuring = true;
      thresholdMs.length = 0;
      stage.count = 0;
      counts.readings = {};
      rssMax = process.memoryUsage.rss();
      loop.reset();
      loop.enable();
      cpu0 = process.cpuUsage();
      t0 = Date.now();
      w0 = writeBytes();
    } else if (m.type === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      const figures: ChildFigures = {
        type: 'figures', elapsedMs: Date.now() - t0, cpuUs: cpu.user + cpu.system, rssMaxBytes: rssMax,
        // Less the sampling resolution, as bench/harness.ts does: the delay beyond the timer's own.
        loopP99Ms: Math.max(0, loop.percentile(99) / 1e6 - 10), writeBytes: writeBytes() - w0,
        thresholdLatenciesMs: [...thresholdMs], commitMs: [], stageInputs: stage.count, sourceReadings: { ...counts.readings },
      };
      measuring = false;
      loop.disable();
      const finish = async (): Promise<void> => {
        if (m.probe) {
          // After the window, under the same load, on the same disk as the nodes' state files.
          const probe = openCommitProbe(cfg.userDir);
          try { figures.commitMs = await probe.run(cfg.probeCommits, cfg.probeGapMs); } finally { probe.close(); }
        }
        send(figures);
      };
      finish().catch((e: unknown) => { console.error(e); process.exit(1); });
    } else if (m.type === 'exit') {
      clearInterval(rssTimer);
      runtime.stop().finally(() => process.exit(0));
    }
  });
  send({ type: 'ready' });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

// Deploys one scenario into the running Node-RED and measures it. The flows are deployed through
// the runtime API (`RED.runtime.flows.setFlows`), the same call the editor's Deploy button reaches
// through POST /flows, minus the HTTP round trip.
import type { EventEmitter } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { BenchSink, BenchSource, MessageFactory } from './registry';
import { sinks, sources } from './registry';
import type { Scenario } from './scenarios';
import { latencyMs } from './stats';

const TAB_ID = 'bench-tab';
export const SOURCE_ID = 'bench-source';
const SINK_ID = 'bench-sink';

/** The parts of the node-red module used here that sim/runtime's interface does not declare. */
export interface RedInternals {
  runtime: {
    flows: {
      setFlows(opts: { flows: { flows: object[] }; deploymentType: 'full' }): Promise<{ rev: string }>;
    };
  };
  events: EventEmitter;
  nodes: { getNode(id: string): unknown };
}

interface RuntimeEvent {
  id?: string;
  payload?: { revision?: string; error?: string; types?: string[] };
}

/**
 * flows.json for a scenario: one tab, source → chain → sink. Flow nodes need x and y: Node-RED
 * takes a node without a position for a config node.
 */
export function buildFlow(s: Scenario): object[] {
  const ids = s.chain.map((_, i) => `bench-n${i + 1}`);
  const targets = [...ids, SINK_ID];
  const at = (column: number): { x: number; y: number } => ({ x: 120 + 180 * column, y: 80 });
  const flow: object[] = [
    { id: TAB_ID, type: 'tab', label: `bench: ${s.name}` },
    { id: SOURCE_ID, type: 'bench-source', z: TAB_ID, name: '', ...at(0), wires: [[targets[0]]] },
  ];
  s.chain.forEach((node, i) => {
    const { benchOutput = 0, benchOutputs = 1, ...config } = node;
    const wires: string[][] = Array.from({ length: Math.max(benchOutput + 1, benchOutputs) }, () => []);
    wires[benchOutput] = [targets[i + 1]];
    flow.push({ name: '', ...config, id: ids[i], z: TAB_ID, ...at(i + 1), wires });
  });
  // Config nodes stay without x/y, which is what makes Node-RED treat them as config nodes.
  for (const config of s.configNodes ?? []) flow.push({ ...config, z: TAB_ID });
  flow.push({ id: SINK_ID, type: 'bench-sink', z: TAB_ID, name: '', ...at(s.chain.length + 1), wires: [] });
  return flow;
}

/**
 * Replaces every flow with `flows` and waits until Node-RED has started them. setFlows resolves
 * before the new nodes exist, so completion is the runtime-deploy event carrying the new revision.
 */
export async function deploy(red: RedInternals, flows: object[], timeoutMs = 15_000): Promise<{ source: BenchSource; sink: BenchSink }> {
  const started = new Set<string>();
  let missing: string[] | undefined;
  let wake: (() => void) | undefined;
  const listener = (ev: RuntimeEvent): void => {
    if (ev.id === 'runtime-deploy' && ev.payload?.revision) started.add(ev.payload.revision);
    if (ev.id === 'runtime-state' && ev.payload?.error === 'missing-types') missing = ev.payload.types ?? [];
    wake?.();
  };
  red.events.on('runtime-event', listener);
  let timer: NodeJS.Timeout | undefined;
  try {
    const { rev } = await red.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (missing) reject(new Error(`flow not started, node types not installed: ${missing.join(', ')}`));
        else if (started.has(rev)) resolve();
      };
      wake = check;
      timer = setTimeout(() => reject(new Error(`flow not started within ${timeoutMs} ms`)), timeoutMs);
      check();
    });
  } finally {
    clearTimeout(timer);
    red.events.off('runtime-event', listener);
  }
  const absent = flows
    .map((n) => n as { id: string; type: string })
    .filter((n) => n.type !== 'tab' && !red.nodes.getNode(n.id))
    .map((n) => `${n.id} (${n.type})`);
  if (absent.length > 0) throw new Error(`nodes missing after deploy: ${absent.join(', ')}`);
  const source = sources.get(SOURCE_ID);
  const sink = sinks.get(SINK_ID);
  if (!source || !sink) throw new Error('bench-source or bench-sink did not register');
  return { source, sink };
}

export interface PacedResult {
  sent: number;
  received: number;
  lost: number;
  /** process.cpuUsage (user + system) from the first message until the sink drained, per sent message. */
  cpuUsPerMsg: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  eventLoopDelayP99Ms: number;
}

export interface BurstResult {
  sent: number;
  received: number;
  lost: number;
  /** From the first message sent until the last one arrived at the sink. */
  drainMs: number;
  msgPerSec: number;
  cpuUsPerMsg: number;
}

interface Drive {
  source: BenchSource;
  sink: BenchSink;
  make: MessageFactory;
  expected: (sent: number) => number;
  /** Give up waiting when the sink has seen no new message for this long. */
  stallMs: number;
}

let phaseCounter = 0;

/** Event-loop sampling interval: ~1 000 samples in a 5 s run, enough for a p99, at negligible cost. */
const LOOP_RESOLUTION_MS = 5;

/** Resolves when `complete` does, or when the sink has made no progress for a whole `stallMs`. */
function drained(sink: BenchSink, complete: Promise<void>, stallMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let last = -1;
    const timer = setInterval(() => {
      const now = sink.report().received;
      if (now === last) finish();
      last = now;
    }, stallMs);
    function finish(): void {
      clearInterval(timer);
      resolve();
    }
    complete.then(finish);
  });
}

function cpuUsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

export async function runPaced(d: Drive, rate: number, durationMs: number): Promise<PacedResult> {
  const phase = ++phaseCounter;
  const total = Math.round((rate * durationMs) / 1000);
  const complete = d.sink.arm(phase, d.expected(total));
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const { sent } = await d.source.start({ rate, durationMs, phase, make: d.make });
  await drained(d.sink, complete, d.stallMs);
  const cpuUs = cpuUsSince(cpu0);
  loop.disable();
  const report = d.sink.report();
  const latency = latencyMs(report.latenciesNs);
  return {
    sent,
    received: report.received,
    lost: d.expected(sent) - report.received,
    cpuUsPerMsg: cpuUs / sent,
    latencyP50Ms: latency.p50,
    latencyP99Ms: latency.p99,
    // The histogram records the whole interval between its timer's runs, so the delay is what
    // exceeds the sampling interval (libuv's millisecond timers leave a floor of about 1 ms).
    eventLoopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
  };
}

export async function runBurst(d: Drive, count: number, chunk = 500): Promise<BurstResult> {
  const phase = ++phaseCounter;
  const complete = d.sink.arm(phase, d.expected(count));
  const cpu0 = process.cpuUsage();
  const { sent, startNs } = await d.source.burst({ count, chunk, phase, make: d.make });
  await drained(d.sink, complete, d.stallMs);
  const cpuUs = cpuUsSince(cpu0);
  const report = d.sink.report();
  const drainMs = report.received > 0 ? (report.lastAtNs - startNs) / 1e6 : Number.NaN;
  return {
    sent,
    received: report.received,
    lost: d.expected(sent) - report.received,
    drainMs,
    msgPerSec: report.received / (drainMs / 1000),
    cpuUsPerMsg: cpuUs / sent,
  };
}

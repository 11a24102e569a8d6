// The meeting point between the benchmark driver (run.ts) and the two benchmark nodes that Node-RED
// loads from dist/bench/nodes/. Both sides require this same compiled module, so they share one
// instance: a node registers itself here when Node-RED constructs it, and the driver calls it
// directly, in the same process, without going through HTTP or any test double.
import type { NodeMessage } from 'node-red';

/** Set once per process; timestamps are nanoseconds since then, kept as plain numbers. */
const EPOCH_NS = process.hrtime.bigint();

/**
 * Nanoseconds since the process's benchmark epoch. A plain number rather than a bigint, because
 * a node under test may JSON-serialise the whole message (JSON.stringify throws on a bigint);
 * 2^53 ns is about 104 days, far longer than any run.
 */
export function nowNs(): number {
  return Number(process.hrtime.bigint() - EPOCH_NS);
}

/** What the source stamps on every message it sends. */
export interface BenchMessage extends NodeMessage {
  /** Which measurement the message belongs to, so a late message from an earlier one is not counted. */
  benchPhase: number;
  /** When the source sent the message, from nowNs(). */
  benchT0: number;
}

/** Builds the message body for sequence number `seq`; the source adds the bench fields. */
export type MessageFactory = (seq: number) => NodeMessage;

export interface PacedOptions {
  /** Messages per second. */
  rate: number;
  durationMs: number;
  phase: number;
  make: MessageFactory;
}

export interface BurstOptions {
  count: number;
  /** Messages sent between two yields to the event loop. */
  chunk: number;
  phase: number;
  make: MessageFactory;
}

export interface SourceReport {
  sent: number;
  startNs: number;
  endNs: number;
}

export interface BenchSource {
  start(opts: PacedOptions): Promise<SourceReport>;
  burst(opts: BurstOptions): Promise<SourceReport>;
}

export interface SinkReport {
  phase: number;
  expected: number;
  received: number;
  /** Messages of another phase that arrived during this one. */
  stray: number;
  /** When the first and the last message of the phase arrived (nowNs), 0 if none did. */
  firstAtNs: number;
  lastAtNs: number;
  /** Source-to-sink latency of each timestamped message received, in ns (a view, copy before keeping). */
  latenciesNs: Float64Array;
  /** Messages that carried no source timestamp (a node under test built a new message). */
  unstamped: number;
}

export interface BenchSink {
  /** Starts counting messages of `phase`; resolves when `expected` of them have arrived. */
  arm(phase: number, expected: number): Promise<void>;
  /** The counts so far; valid while and after the phase runs. */
  report(): SinkReport;
}

/** Registered nodes by node id. */
export const sources = new Map<string, BenchSource>();
export const sinks = new Map<string, BenchSink>();

/** Removes an entry only if it is still the one the closing node registered (a redeploy may have replaced it). */
export function unregister<T>(map: Map<string, T>, id: string, entry: T): void {
  if (map.get(id) === entry) map.delete(id);
}

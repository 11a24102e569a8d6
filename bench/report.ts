// Turns the per-round measurements into the figures we publish: medians per scenario, ratios to
// the scenario's baseline, a table for the terminal and the object written to results.json.
import type { BurstResult, PacedResult } from './harness';
import type { Scenario } from './scenarios';
import { median, ratio, round3 } from './stats';

export interface Measured {
  scenario: Scenario;
  paced: PacedResult[];
  burst: BurstResult[];
}

/** Counts are totals over all rounds (a message lost in any round matters); figures are medians. */
interface ScenarioSummary {
  name: string;
  description: string;
  role: Scenario['role'];
  compareTo: string;
  rounds: number;
  paced: {
    sent: number;
    received: number;
    lost: number;
    cpuUsPerMsg: number;
    latencyP50Ms: number;
    latencyP99Ms: number;
    eventLoopDelayP99Ms: number;
  };
  burst: { sent: number; received: number; lost: number; drainMs: number; msgPerSec: number; cpuUsPerMsg: number };
  /** This scenario ÷ the compareTo scenario: above 1 costs more / is slower, except burstRate (below 1 = slower). */
  ratios: {
    baseline: string;
    cpuPerMsg: number;
    latencyP50: number;
    latencyP99: number;
    eventLoopDelayP99: number;
    burstRate: number;
    /** CPU µs per message this scenario adds on top of its baseline. */
    cpuUsPerMsgAdded: number;
  };
  perRound: { paced: PacedResult[]; burst: BurstResult[] };
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
/** Per-round figures at the same precision as the medians. */
function rounded<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? round3(v) : v])) as T;
}
const med = <T>(rows: T[], pick: (r: T) => number): number => round3(median(rows.map(pick)));

export function summarize(measured: readonly Measured[]): ScenarioSummary[] {
  const partial = measured.map((m) => ({
    name: m.scenario.name,
    description: m.scenario.description,
    role: m.scenario.role,
    compareTo: m.scenario.compareTo,
    rounds: m.paced.length,
    paced: {
      sent: sum(m.paced.map((r) => r.sent)),
      received: sum(m.paced.map((r) => r.received)),
      lost: sum(m.paced.map((r) => r.lost)),
      cpuUsPerMsg: med(m.paced, (r) => r.cpuUsPerMsg),
      latencyP50Ms: med(m.paced, (r) => r.latencyP50Ms),
      latencyP99Ms: med(m.paced, (r) => r.latencyP99Ms),
      eventLoopDelayP99Ms: med(m.paced, (r) => r.eventLoopDelayP99Ms),
    },
    burst: {
      sent: sum(m.burst.map((r) => r.sent)),
      received: sum(m.burst.map((r) => r.received)),
      lost: sum(m.burst.map((r) => r.lost)),
      drainMs: med(m.burst, (r) => r.drainMs),
      msgPerSec: med(m.burst, (r) => r.msgPerSec),
      cpuUsPerMsg: med(m.burst, (r) => r.cpuUsPerMsg),
    },
    perRound: { paced: m.paced.map(rounded), burst: m.burst.map(rounded) },
  }));
  const byName = new Map(partial.map((s) => [s.name, s]));
  return partial.map((s) => {
    const b = byName.get(s.compareTo);
    if (!b) throw new Error(`scenario "${s.name}" compares to "${s.compareTo}", which did not run`);
    return {
      ...s,
      ratios: {
        baseline: b.name,
        cpuPerMsg: round3(ratio(s.paced.cpuUsPerMsg, b.paced.cpuUsPerMsg)),
        latencyP50: round3(ratio(s.paced.latencyP50Ms, b.paced.latencyP50Ms)),
        latencyP99: round3(ratio(s.paced.latencyP99Ms, b.paced.latencyP99Ms)),
        eventLoopDelayP99: round3(ratio(s.paced.eventLoopDelayP99Ms, b.paced.eventLoopDelayP99Ms)),
        burstRate: round3(ratio(s.burst.msgPerSec, b.burst.msgPerSec)),
        cpuUsPerMsgAdded: round3(s.paced.cpuUsPerMsg - b.paced.cpuUsPerMsg),
      },
    };
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(v) : '–');
const times = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');

export function renderTables(summaries: readonly ScenarioSummary[]): string {
  const figures = table(
    ['scenario', 'cpu µs/msg', 'p50 ms', 'p99 ms', 'loop p99 ms', 'lost', 'burst msg/s', 'burst µs/msg', 'burst lost'],
    summaries.map((s) => [
      s.name,
      fmt(s.paced.cpuUsPerMsg),
      fmt(s.paced.latencyP50Ms),
      fmt(s.paced.latencyP99Ms),
      fmt(s.paced.eventLoopDelayP99Ms),
      String(s.paced.lost),
      fmt(s.burst.msgPerSec),
      fmt(s.burst.cpuUsPerMsg),
      String(s.burst.lost),
    ]),
  );
  const ratios = table(
    ['scenario', 'vs', 'cpu/msg', '+cpu µs/msg', 'p50', 'p99', 'loop p99', 'burst rate'],
    summaries.map((s) => [
      s.name,
      s.ratios.baseline,
      times(s.ratios.cpuPerMsg),
      fmt(s.ratios.cpuUsPerMsgAdded),
      times(s.ratios.latencyP50),
      times(s.ratios.latencyP99),
      times(s.ratios.eventLoopDelayP99),
      times(s.ratios.burstRate),
    ]),
  );
  return `${figures}\n\nratios to the baseline (burst rate below 1× is slower; the rest above 1× costs more)\n${ratios}`;
}

// Pure arithmetic of the gateway-day benchmark: reading /proc/<pid>/io, per-hour scaling, the
// side-by-side ratios. Nothing here knows about Node-RED, so test/unit can check it.
import { percentile, ratio } from '../stats';

/**
 * `write_bytes` of a /proc/<pid>/io text: the bytes this process caused to be sent to the storage
 * layer (proc(5)), i.e. what wears an SD card, unlike `wchar`, which counts writes to sockets too.
 */
export function parseWriteBytes(procIo: string): number {
  const m = /^write_bytes:\s*(\d+)\s*$/m.exec(procIo);
  if (!m) throw new Error('no write_bytes line in /proc/<pid>/io (kernel without task I/O accounting?)');
  return Number(m[1]);
}

/** A count over `elapsedMs` scaled to one hour. */
export function perHour(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 3_600_000) / elapsedMs : Number.NaN;
}

/** CPU time (µs, user + system) over wall time (ms), as a percentage of one core. */
export function cpuPercentOfCore(cpuUs: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (cpuUs / 1000 / elapsedMs) * 100 : Number.NaN;
}

/** p99 of unsorted samples; NaN when there are none. */
export function p99(samples: readonly number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 99);
}

export interface VariantFigures {
  cpuPercent: number;
  rssMaxMb: number;
  loopP99Ms: number;
  eventToWoP99Ms: number;
  diskBytesPerHour: number;
}

export const FIGURE_LABELS: Record<keyof VariantFigures, string> = {
  cpuPercent: 'CPU % of one core',
  rssMaxMb: 'RSS max MB',
  loopP99Ms: 'event-loop p99 ms',
  eventToWoP99Ms: 'event → work order p99 ms',
  diskBytesPerHour: 'disk bytes written / h',
};

/** Each figure of `mw` divided by the same figure of `core` (NaN where one is missing or 0). */
export function ratios(mw: VariantFigures, core: VariantFigures): VariantFigures {
  const out = {} as VariantFigures;
  for (const k of Object.keys(FIGURE_LABELS) as Array<keyof VariantFigures>) out[k] = ratio(mw[k], core[k]);
  return out;
}

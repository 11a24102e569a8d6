// Small order statistics; nothing here knows about Node-RED.

/** The p-th percentile (0–100) of ascending `sorted`, nearest-rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

/** p50 and p99 of a set of nanosecond samples, in milliseconds. The input is not modified. */
export function latencyMs(samplesNs: Float64Array): { p50: number; p99: number } {
  const sorted = Float64Array.from(samplesNs).sort();
  return { p50: percentile(sorted, 50) / 1e6, p99: percentile(sorted, 99) / 1e6 };
}

/** a / b, or NaN when either is missing or b is zero, so a ratio never pretends to be 0 or Infinity. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/** Rounds for display and for the JSON file: 3 significant digits is as much as these runs can tell. */
export function round3(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(3)) : Number.NaN;
}

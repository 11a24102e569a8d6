// Average run lengths by Markov chain (Brook & Evans 1972; Lucas & Saccucci 1990 for the EWMA),
// for normal data with known σ, and the inverse: the chart parameter that gives a target
// in-control run length. This is how the node turns "one false alarm per N units" into h and L.
import { normalCdf } from './stats';

/** Solves (I − R)·x = 1 for x by Gaussian elimination with partial pivoting; R is n×n, row-major. */
function solveRunLengths(R: Float64Array, n: number): Float64Array {
  const A = new Float64Array(n * n);
  const b = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * n + j] = (i === j ? 1 : 0) - R[i * n + j];
  }
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r * n + col]) > Math.abs(A[pivot * n + col])) pivot = r;
    if (pivot !== col) {
      for (let j = col; j < n; j++) {
        const t = A[col * n + j];
        A[col * n + j] = A[pivot * n + j];
        A[pivot * n + j] = t;
      }
      const t = b[col];
      b[col] = b[pivot];
      b[pivot] = t;
    }
    const d = A[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = A[r * n + col] / d;
      if (f === 0) continue;
      for (let j = col; j < n; j++) A[r * n + j] -= f * A[col * n + j];
      b[r] -= f * b[col];
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i * n + j] * x[j];
    x[i] = s / A[i * n + i];
  }
  return x;
}

/**
 * Run length of a sum that restarts at a reflecting barrier at 0 and signals above `limit`:
 * new = max(0, a·old + b·X − c) with X ~ N(shift, 1). CUSUM: a = 1, b = 1, c = k. Reflected EWMA:
 * a = 1 − λ, b = λ, c = 0. `start` is the initial value.
 */
function reflectedArl(a: number, b: number, c: number, limit: number, shift: number, start: number, states: number): number {
  const m = states;
  const w = (2 * limit) / (2 * m - 1);
  const R = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const from = a * i * w - c;
    // P(new value lands in cell j) = P(b·X ∈ [(j − ½)w − from, (j + ½)w − from)).
    let prev = normalCdf((0.5 * w - from) / b - shift);
    R[i * m] = prev;
    for (let j = 1; j < m; j++) {
      const upper = normalCdf(((j + 0.5) * w - from) / b - shift);
      R[i * m + j] = upper - prev;
      prev = upper;
    }
  }
  const arl = solveRunLengths(R, m);
  return arl[Math.min(m - 1, Math.round(start / w))];
}

interface CusumDesign {
  k: number;
  h: number;
  fir: boolean;
}

/** One-sided CUSUM ARL for a shift of `shift` σ towards that side. */
function cusumArlOneSided(k: number, h: number, shift: number, fir = false, states = 120): number {
  return reflectedArl(1, 1, k, h, shift, fir ? h / 2 : 0, states);
}

/** Two-sided tabular CUSUM: 1/ARL = 1/ARL⁺ + 1/ARL⁻ (Lucas & Crosier's combination). */
export function cusumArl(d: CusumDesign, shift: number, states = 120): number {
  const up = cusumArlOneSided(d.k, d.h, shift, d.fir, states);
  const down = cusumArlOneSided(d.k, d.h, -shift, d.fir, states);
  return 1 / (1 / up + 1 / down);
}

/** Two-sided EWMA with the asymptotic limits ±L·√(λ/(2 − λ)), started at the centre. */
export function ewmaArl(lambda: number, L: number, shift: number, half = 60): number {
  const u = L * Math.sqrt(lambda / (2 - lambda));
  const n = 2 * half + 1;
  const w = (2 * u) / n;
  const keep = 1 - lambda;
  const R = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const from = keep * (-u + (i + 0.5) * w);
    let prev = normalCdf((-u - from) / lambda - shift);
    for (let j = 0; j < n; j++) {
      const upper = normalCdf((-u + (j + 1) * w - from) / lambda - shift);
      R[i * n + j] = upper - prev;
      prev = upper;
    }
  }
  return solveRunLengths(R, n)[half];
}

/** One-sided EWMA reflected at zero (upward shifts), started at zero. */
export function reflectedEwmaArl(lambda: number, L: number, shift: number, states = 120): number {
  return reflectedArl(1 - lambda, lambda, 0, L * Math.sqrt(lambda / (2 - lambda)), shift, 0, states);
}

/** The parameter in [lo, hi] at which the increasing `arl` reaches `target`, by bisection on log ARL. */
function solveFor(arl: (p: number) => number, target: number, lo: number, hi: number): number {
  const goal = Math.log(target);
  for (let i = 0; i < 50 && hi - lo > 1e-4; i++) {
    const mid = (lo + hi) / 2;
    if (Math.log(arl(mid)) < goal) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const cache = new Map<string, number>();
const CACHE_LIMIT = 200;

function cached(key: string, compute: () => number): number {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const v = compute();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, v);
  return v;
}

/** h for a two-sided CUSUM with reference k whose in-control ARL is `target`. */
export function designCusumH(k: number, target: number, fir: boolean): number {
  return cached(`cusum:${k}:${target}:${fir}`, () => solveFor((h) => cusumArl({ k, h, fir }, 0, 80), target, 0.2, 60));
}

/** L for a two-sided EWMA with weight λ whose in-control ARL is `target`. */
export function designEwmaL(lambda: number, target: number): number {
  return cached(`ewma:${lambda}:${target}`, () => solveFor((L) => ewmaArl(lambda, L, 0, 40), target, 0.5, 8));
}

/** L for a one-sided reflected EWMA whose in-control ARL is `target`. */
export function designReflectedEwmaL(lambda: number, target: number): number {
  return cached(`rewma:${lambda}:${target}`, () => solveFor((L) => reflectedEwmaArl(lambda, L, 0, 80), target, 0.2, 8));
}

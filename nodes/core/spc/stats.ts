// Numerical building blocks for the charts. Written out here (rather than taken from a library)
// because the detectors need tail probabilities far out — a false-alarm rate of one in ten million
// units is a normal setting — where a 1e-7 absolute accuracy, enough for most uses, is useless.

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);

/** erfc(z) for z ≥ 0 with full relative accuracy, also deep in the tail. */
function erfcPositive(z: number): number {
  if (z < 2.5) {
    // erf(z) = 2/√π · e^(−z²) · Σ 2ⁿ z^(2n+1) / (1·3·…·(2n+1)): all terms positive, no cancellation.
    let term = z;
    let sum = z;
    for (let n = 0; n < 200 && term > sum * 1e-17; n++) {
      term *= (2 * z * z) / (2 * n + 3);
      sum += term;
    }
    return 1 - (2 / SQRT_PI) * Math.exp(-z * z) * sum;
  }
  // Continued fraction erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3⁄2/(z + …)))), evaluated backwards.
  let f = z;
  for (let n = 60; n >= 1; n--) f = z + n / 2 / f;
  return Math.exp(-z * z) / SQRT_PI / f;
}

function erfc(x: number): number {
  return x >= 0 ? erfcPositive(x) : 2 - erfcPositive(-x);
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / SQRT2);
}

/** Upper tail 1 − Φ(x), accurate when it is tiny. */
export function normalUpper(x: number): number {
  return 0.5 * erfc(x / SQRT2);
}

/** Φ⁻¹(p): Acklam's rational approximation, polished with one Halley step on the exact CDF. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return Number.NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Refine against the tail that is small, so that p = 1e-12 is as exact as p = 0.3.
  const e = p < 0.5 ? normalCdf(x) - p : (1 - p) - normalUpper(x);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let s = LANCZOS[0];
  for (let i = 1; i < 9; i++) s += LANCZOS[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularised lower incomplete gamma P(a, x) and its complement Q, each accurate where it is small. */
export function gammaPQ(a: number, x: number): { p: number; q: number } {
  if (x <= 0) return { p: 0, q: 1 };
  const lead = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
      term *= x / (a + n);
      sum += term;
    }
    const p = sum * Math.exp(lead);
    return { p, q: 1 - p };
  }
  // Lentz's continued fraction for Q.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const q = Math.exp(lead) * h;
  return { p: 1 - q, q };
}

/** The x with P(χ²_df > x) = alpha (upper quantile), by bisection on the exact tail. */
export function chiSquareUpperQuantile(df: number, alpha: number): number {
  let lo = 0;
  let hi = Math.max(1, df);
  while (gammaPQ(df / 2, hi / 2).q > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (gammaPQ(df / 2, mid / 2).q > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Digamma ψ(x), x > 0. */
export function digamma(x: number): number {
  let r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (5 / 660)))));
}

/** Trigamma ψ′(x), x > 0. */
export function trigamma(x: number): number {
  let r = 0;
  while (x < 10) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30))));
}

/** c4(n): E[s] = c4·σ for n normal observations. */
export function c4(n: number): number {
  if (n < 2) return Number.NaN;
  return Math.sqrt(2 / (n - 1)) * Math.exp(logGamma(n / 2) - logGamma((n - 1) / 2));
}

/** d2 for the moving range of two: E[|x₂ − x₁|] = d2·σ. */
export const D2_MR = 2 / Math.sqrt(Math.PI);

/**
 * P(X ≥ d) for X ~ Binomial(n, p), summed from the side that is small so that one-in-a-million
 * tails keep their digits. O(number of terms that matter), never more than n.
 */
export function binomialUpperTail(d: number, n: number, p: number): number {
  if (d <= 0) return 1;
  if (d > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const logPmf = (k: number): number => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  const ratio = p / (1 - p);
  if (d > n * p) {
    // Terms fall from d upwards.
    let term = Math.exp(logPmf(d));
    let sum = term;
    for (let k = d; k < n && term > sum * 1e-17; k++) {
      term *= ((n - k) / (k + 1)) * ratio;
      sum += term;
    }
    return Math.min(1, sum);
  }
  // The lower side P(X ≤ d − 1) is the small one: sum from d − 1 downwards.
  let term = Math.exp(logPmf(d - 1));
  let sum = term;
  for (let k = d - 1; k > 0 && term > sum * 1e-17; k--) {
    term *= (k / (n - k + 1)) / ratio;
    sum += term;
  }
  return Math.max(0, 1 - sum);
}

/**
 * The k-th smallest value (0-based) of a[0..len), reordering a in place. Expected O(len): used for
 * the Theil–Sen median of pairwise slopes without sorting them.
 */
export function select(a: Float64Array, len: number, k: number): number {
  let lo = 0;
  let hi = len - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot keeps sorted windows (a steady trend) from the quadratic case.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Median of a[0..len), reordering a. */
export function median(a: Float64Array, len: number): number {
  if (len === 0) return Number.NaN;
  const hiMid = select(a, len, len >> 1);
  if (len % 2 === 1) return hiMid;
  // The lower middle is the largest value left of the upper one after selection.
  let loMid = -Infinity;
  for (let i = 0; i < len >> 1; i++) if (a[i] > loMid) loMid = a[i];
  return (loMid + hiMid) / 2;
}

// The charts against textbook worked examples (Montgomery, Introduction to Statistical Quality
// Control: Example 9.1 tabular CUSUM, Example 9.2 EWMA, Example 7.1 and the varying-n p chart,
// Appendix VI control-chart constants) and the numerical helpers against known values.
import assert from 'node:assert/strict';
import {
  binomialUpperTail, c4, chiSquareUpperQuantile, Cusum, digamma, estimatePbar, Ewma, gammaPQ, logGamma, median,
  normalCdf, normalQuantile, normalUpper, pChartLimits, binomialUpperLimit, sChartLimits, trigamma, ReflectedEwma,
} from '../../nodes/core/spc';

/** Montgomery Table 9.1: 20 observations from N(10, 1), then 10 from N(11, 1). */
const MONTGOMERY_9_1 = [9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.2, 10.34, 9.03, 11.47, 10.51, 9.4, 10.08,
  9.37, 10.62, 10.31, 8.52, 10.84, 10.9, 9.33, 12.29, 11.5, 10.6, 11.08, 10.38, 11.62, 11.31, 10.52];

const near = (actual: number, expected: number, tol: number, what = ''): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);
};

describe('spc: textbook worked examples', () => {
  it('tabular CUSUM (Example 9.1, k = 0.5, h = 5): C⁺ first exceeds H = 5 at sample 29 with 5.28, N⁺ = 7', () => {
    const cusum = new Cusum(10, 1, 0.5, 5, false);
    const hi: number[] = [];
    const lo: number[] = [];
    let first = 0;
    MONTGOMERY_9_1.forEach((x, i) => {
      const s = cusum.update(x);
      hi.push(cusum.hi);
      lo.push(cusum.lo);
      if (s !== 0 && first === 0) {
        first = i + 1;
        assert.equal(s, 1);
        assert.equal(cusum.nHi, 7);
        // Montgomery's estimate of the new mean: μ0 + K + C⁺/N⁺ = 10 + 0.5 + 5.28/7 ≈ 11.25.
        near(cusum.shiftedMean(1), 11.25, 0.005, 'shifted mean');
      }
    });
    assert.equal(first, 29);
    near(hi[28], 5.28, 0.005, 'C⁺29');
    near(hi[3], 1.16, 0.005, 'C⁺4');
    near(hi[4], 2.82, 0.005, 'C⁺5');
    near(lo[1], 1.56, 0.005, 'C⁻2');
    near(lo[2], 1.77, 0.005, 'C⁻3');
  });

  it('CUSUM with fast initial response starts at H/2 and restarts there', () => {
    const cusum = new Cusum(10, 2, 0.5, 4, true);
    assert.equal(cusum.hi, 4);
    assert.equal(cusum.lo, 4);
    cusum.update(13);
    assert.equal(cusum.hi, 4 + 13 - 11);
    cusum.restart();
    assert.equal(cusum.hi, 4);
  });

  it('EWMA (Example 9.2, λ = 0.10, L = 2.7): z and the exact, widening limits', () => {
    const ewma = new Ewma(10, 1, 0.1, 2.7, true);
    ewma.update(MONTGOMERY_9_1[0]);
    near(ewma.z, 9.945, 1e-9, 'z1');
    near(ewma.ucl, 10.27, 0.005, 'UCL1');
    near(ewma.lcl, 9.73, 0.005, 'LCL1');
    ewma.update(MONTGOMERY_9_1[1]);
    near(ewma.z, 9.7495, 1e-9, 'z2');
    near(ewma.ucl, 10.36, 0.005, 'UCL2');
    for (let i = 2; i < MONTGOMERY_9_1.length; i++) ewma.update(MONTGOMERY_9_1[i]);
    // The limits tend to μ0 ± L·σ·√(λ/(2 − λ)) = 10 ± 0.62.
    near(ewma.asymptoticHalfWidth, 0.6194, 5e-5, 'asymptotic half width');
    near(ewma.ucl, 10.62, 0.005, 'UCL30');
  });

  it('EWMA with fixed limits uses the asymptotic limits from the first sample', () => {
    const ewma = new Ewma(10, 1, 0.1, 2.7, false);
    ewma.update(10);
    near(ewma.ucl, 10.6194, 5e-5);
  });

  it('EWMA restores its limits from a snapshot', () => {
    const a = new Ewma(0, 1, 0.2, 3);
    for (const x of [0.1, -0.3, 0.5]) a.update(x);
    const b = new Ewma(0, 1, 0.2, 3);
    b.restore(a.snapshot());
    assert.equal(b.z, a.z);
    near(b.ucl, a.ucl, 1e-12);
  });

  it('reflected EWMA never goes below zero and signals above L·√(λ/(2 − λ))', () => {
    const e = new ReflectedEwma(0.2, 3);
    near(e.limit, 1, 1e-12);
    for (let i = 0; i < 10; i++) assert.equal(e.update(-5), false);
    assert.equal(e.z, 0);
    let fired = false;
    for (let i = 0; i < 20 && !fired; i++) fired = e.update(3);
    assert.ok(fired);
  });

  it('p chart (Example 7.1): p̄ = 0.2313, n = 50 → UCL 0.4102, LCL 0.0524', () => {
    const l = pChartLimits(0.2313, 50);
    near(l.ucl, 0.4102, 5e-5, 'UCL');
    near(l.lcl, 0.0524, 5e-5, 'LCL');
    assert.equal(l.center, 0.2313);
  });

  it('p chart with varying n (p̄ = 0.096): n = 100 → 0.1844/0.0076; n = 80 → 0.1948/0; limits follow n', () => {
    near(pChartLimits(0.096, 100).ucl, 0.1844, 5e-5);
    near(pChartLimits(0.096, 100).lcl, 0.0076, 5e-5);
    near(pChartLimits(0.096, 80).ucl, 0.1948, 5e-5);
    assert.equal(pChartLimits(0.096, 80).lcl, 0);
  });

  it('p̄ from phase-I subgroups drops those above the trial UCL and reports the dispersion index', () => {
    const groups = Array.from({ length: 20 }, (_, i) => ({ n: 100, d: i === 7 ? 30 : 10 }));
    const r = estimatePbar(groups);
    assert.equal(r.excluded, 1);
    near(r.pbar, 0.1, 1e-12);
    assert.equal(r.n, 1900);
    assert.ok(r.dispersion !== null && r.dispersion > 1);
  });

  it('S chart with known σ (Appendix VI): n = 5 → c4 0.9400, B6 1.964; n = 10 → B5 0.276, B6 1.669', () => {
    near(c4(5), 0.94, 5e-5);
    const five = sChartLimits(1, 5);
    near(five.ucl, 1.964, 5e-4);
    assert.equal(five.lcl, 0);
    const ten = sChartLimits(1, 10);
    near(ten.ucl, 1.669, 5e-4);
    near(ten.lcl, 0.276, 5e-4);
    near(c4(10), 0.9727, 5e-5);
  });
});

describe('spc: numerical helpers', () => {
  it('normal CDF and quantile, including far tails', () => {
    near(normalCdf(0), 0.5, 1e-15);
    near(normalCdf(1.959963984540054), 0.975, 1e-12);
    near(normalUpper(3), 0.0013498980316301, 1e-15);
    // Relative accuracy deep in the tail, where 1 − Φ(x) would have no digits left.
    near(normalUpper(6) / 9.865876450377e-10, 1, 1e-9);
    near(normalUpper(10) / 7.619853024160527e-24, 1, 1e-9);
    near(normalQuantile(0.99865010196837), 3, 1e-9);
    near(normalQuantile(1e-7), -5.199337582187471, 1e-8);
    near(normalQuantile(0.5), 0, 1e-12);
  });

  it('log-gamma, incomplete gamma, chi-square quantiles', () => {
    near(logGamma(5), Math.log(24), 1e-12);
    near(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
    near(gammaPQ(2, 3).p, 1 - 4 * Math.exp(-3), 1e-12);
    near(chiSquareUpperQuantile(4, 0.05), 9.487729, 1e-5);
    near(chiSquareUpperQuantile(1, 0.0027), 9.0, 1e-3);
    near(chiSquareUpperQuantile(9, 0.001), 27.87716, 1e-4);
  });

  it('digamma and trigamma', () => {
    near(digamma(1), -0.5772156649015329, 1e-10);
    near(digamma(0.5), -1.9635100260214235, 1e-10);
    near(trigamma(1), (Math.PI * Math.PI) / 6, 1e-10);
    near(trigamma(2.5), 0.4903577561002349, 1e-10);
  });

  it('binomial upper tail matches the direct sum, also when it is tiny', () => {
    const direct = (d: number, n: number, p: number): number => {
      let s = 0;
      for (let k = d; k <= n; k++) s += Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p));
      return s;
    };
    for (const [d, n, p] of [[3, 100, 0.005], [1, 50, 0.2], [12, 50, 0.2], [30, 500, 0.01], [2, 10, 0.5], [0, 10, 0.3]]) {
      const want = d === 0 ? 1 : direct(d, n, p);
      near(binomialUpperTail(d, n, p) / want, 1, 1e-9);
    }
    assert.equal(binomialUpperTail(11, 10, 0.5), 0);
  });

  it('binomial probability limit is the smallest count with a tail under α', () => {
    const c = binomialUpperLimit(500, 0.01, 1e-4);
    assert.ok(binomialUpperTail(c, 500, 0.01) <= 1e-4);
    assert.ok(binomialUpperTail(c - 1, 500, 0.01) > 1e-4);
  });

  it('median by selection, odd and even, with ties and sorted input', () => {
    assert.equal(median(Float64Array.from([5, 1, 4, 2, 3]), 5), 3);
    assert.equal(median(Float64Array.from([4, 1, 3, 2]), 4), 2.5);
    assert.equal(median(Float64Array.from([7, 7, 7, 1]), 4), 7);
    const sorted = Float64Array.from({ length: 1001 }, (_, i) => i);
    assert.equal(median(sorted, 1001), 500);
  });
});

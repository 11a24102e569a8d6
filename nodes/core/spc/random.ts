// A small seeded random source for simulations and Monte Carlo checks: the same seed gives the
// same stream on every machine, so a run-length test either always passes or always fails.

export interface Random {
  /** Uniform on [0, 1) with 53 random bits. */
  next(): number;
  /** Standard normal. */
  normal(): number;
}

/** sfc32 (Chris Doty-Humphrey's small fast counter): passes PractRand, four 32-bit words of state. */
export function seeded(seed: number): Random {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const u32 = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) u32();
  let spare = 0;
  let hasSpare = false;
  const next = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    next,
    normal(): number {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      // Marsaglia's polar method: two normals per accepted pair, no trigonometry.
      let u: number;
      let v: number;
      let s: number;
      do {
        u = 2 * next() - 1;
        v = 2 * next() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      spare = v * f;
      hasSpare = true;
      return u * f;
    },
  };
}

// A small seeded generator (mulberry32) so ids, tokens and fault rolls repeat run after run.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** `n` lower-case hex characters. */
  hex(n: number): string;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    hex(n: number): string {
      let out = '';
      while (out.length < n) out += Math.floor(next() * 0x100000000).toString(16).padStart(8, '0');
      return out.slice(0, n);
    },
  };
}

/**
 * Seeded 32-bit pseudo-random generator (xoshiro128**), seeded through splitmix32.
 *
 * One generator type serves every random choice in synfire: stochastic rounding in the
 * learning engine, trace impulses, weight initialization and data permutations. Its whole
 * state is four uint32 words, so a checkpoint can save and restore it exactly.
 *
 * Portable: uses only 32-bit integer operations (Math.imul, >>>), no BigInt, no allocation
 * after construction.
 */
export class Prng {
  /** The four state words. Exposed so checkpoints can save and restore them. */
  readonly state = new Uint32Array(4);
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(seed: number) {
    this.reseed(seed);
  }

  /** Re-initialize from a seed (any integer; only its low 32 bits count). */
  reseed(seed: number): void {
    let s = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      z = (z ^ (z >>> 16)) >>> 0;
      this.state[i] = z;
    }
    if ((this.state[0] | this.state[1] | this.state[2] | this.state[3]) === 0) this.state[0] = 1;
    this.hasSpareNormal = false;
  }

  /** Next uint32 in [0, 2^32). */
  nextU32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32, without modulo bias (rejection). */
  nextInt(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }

  /** Uniform double in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal deviate (Box-Muller; the second value is kept for the next call). */
  nextNormal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    this.hasSpareNormal = true;
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates permutation of 0..n-1 into `out` (allocated if not given). */
  permutation(n: number, out?: Uint32Array): Uint32Array {
    const p = out ?? new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  /** Copy of the state words, e.g. for a checkpoint. Drops a cached normal deviate. */
  saveState(): [number, number, number, number] {
    return [this.state[0], this.state[1], this.state[2], this.state[3]];
  }

  restoreState(words: ArrayLike<number>): void {
    for (let i = 0; i < 4; i++) this.state[i] = words[i] >>> 0;
    this.hasSpareNormal = false;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The seed of a named stream: the chip seed mixed with the name's FNV-1a hash, so that
 * every name gives its own sequence and equal names give equal ones.
 */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return (h ^ (seed >>> 0)) >>> 0;
}

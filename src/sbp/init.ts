/**
 * Initial weights (docs/sbp-network.md, "Initial weights"): "rand_He" draws W1 ~ N(0,1) * sqrt(2 / (in +
 * hidden)) and W2 ~ N(0,1) * sqrt(2 / (hidden + out)) (Glorot-style despite the name), then
 * converts each value: x1024, clip to +-240, truncate toward zero to an even integer.
 * +W2^T and -W2^T start as the transpose of W2 and its negation.
 */
import { Prng } from '../chip/prng';
import type { SbpSizes, SbpWeights } from './matrices';
import { INIT_CLIP, UNIT } from './params';

/** weights2loihi for one value: x1024, clip +-240, truncate toward zero to even. */
export function toChipWeight(real: number): number {
  let w = real * UNIT;
  if (w > INIT_CLIP) w = INIT_CLIP;
  if (w < -INIT_CLIP) w = -INIT_CLIP;
  const mag = 2 * Math.floor(Math.abs(w) / 2);
  return w < 0 ? -mag : mag;
}

/** The transposed pair (P = +W2^T, M = -W2^T), hidden x out, from W2 (out x hidden). */
export function transposePair(w2: ArrayLike<number>, nhid: number, nout: number): { w2tPos: Int16Array; w2tNeg: Int16Array } {
  const w2tPos = new Int16Array(nhid * nout);
  const w2tNeg = new Int16Array(nhid * nout);
  for (let k = 0; k < nout; k++)
    for (let j = 0; j < nhid; j++) {
      w2tPos[j * nout + k] = w2[k * nhid + j];
      w2tNeg[j * nout + k] = -w2[k * nhid + j];
    }
  return { w2tPos, w2tNeg };
}

/** rand_He initial weights for a seed. W1 is drawn first (row-major hidden x in), then W2. */
export function initialWeights(sizes: SbpSizes, seed: number): SbpWeights {
  const { input: nin, hidden: nhid, output: nout } = sizes;
  const rng = new Prng(seed);
  const s1 = Math.sqrt(2 / (nin + nhid));
  const s2 = Math.sqrt(2 / (nhid + nout));
  const w1 = new Int16Array(nhid * nin);
  for (let k = 0; k < w1.length; k++) w1[k] = toChipWeight(rng.nextNormal() * s1);
  const w2 = new Int16Array(nout * nhid);
  for (let k = 0; k < w2.length; k++) w2[k] = toChipWeight(rng.nextNormal() * s2);
  return { sizes: [nin, nhid, nout], w1, w2, ...transposePair(w2, nhid, nout) };
}

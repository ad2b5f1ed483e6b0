/**
 * The golden model: a dense, non-spiking integer implementation of the per-sample sBP
 * algorithm (docs/sbp-network.md, "Per-sample oracle"), written from the description alone and sharing
 * no code with the chip. The spiking network must reproduce its spikes and weights bit for
 * bit.
 *
 * Orders:
 *  - 'chip' (route-then-learn, the default): backprop in phases 6 and 10 reads P and M as
 *    they were before this sample's updates (W2_old).
 *  - 'reference' (learn-then-route, the authors' numpy order): phase 6 reads P and M after
 *    the phase-5 update, phase 10 after the phase-9 update.
 */
import { Prng } from '../chip/prng';
import { PLASTIC } from './matrices';
import { HALF, UNIT } from './params';

export type Order = 'chip' | 'reference';

/**
 * The upper edge of the missed-target window: 512 (the paper: a target counts as missed until
 * it fires) or 1024 (a margin: until its potential exceeds 1024, the upper copy's threshold).
 */
export type TargetTop = 512 | 1024;

export interface OracleState {
  nin: number;
  nhid: number;
  nout: number;
  /** hidden x in */
  w1: Int16Array;
  /** out x hidden */
  w2: Int16Array;
  /** P = +W2^T, hidden x out */
  p: Int16Array;
  /** M = -W2^T, hidden x out */
  m: Int16Array;
  /** A learning step below one LSB (OracleRounding); absent: the paper's exact step. */
  rounding?: OracleRounding;
  /**
   * The error window W (error-window.ts): a missed target counts for a potential in (-W, 512],
   * o< = [W2h > -W]. Absent or 0: the paper's (0, 512].
   */
  errorWindow?: number;
  /**
   * The upper edge of the missed-target window (error-window.ts, TargetTop): 1024 counts a
   * missed target until its potential exceeds 1024, d+ = o< & t & !o>. Absent: 512, d+ = o< & t & !o.
   */
  targetTop?: TargetTop;
}

/**
 * A learning rate below the paper's (docs/sbp-network.md, "A smaller learning step"): every
 * update that the paper's rule makes by one LSB (2) happens with probability 2^-shift. On the
 * chip each stored matrix rounds from a generator of its own (its rounding stream, seeded from
 * the chip seed and the matrix's name), drawing one 32-bit number per updated synapse; W1's
 * three copies share W1's stream and see the same spikes, so they draw alike and stay equal
 * (and W2's). The oracle keeps one generator per stream, in the chip's state.
 */
export interface OracleRounding {
  /** 0..MAX_LR_SHIFT (params.ts); 0 steps exactly and draws nothing. */
  shift: number;
  w1: Prng;
  w2: Prng;
  p: Prng;
  m: Prng;
}

/** The intermediates of one sample, as 0/1 vectors (the per-phase spikes they must equal). */
export interface OracleTrace {
  hid: Float64Array;
  h: Uint8Array;
  hLow: Uint8Array;
  hHigh: Uint8Array;
  out: Float64Array;
  o: Uint8Array;
  oLow: Uint8Array;
  oHigh: Uint8Array;
  dPos: Uint8Array;
  dNeg: Uint8Array;
  d1Pos: Uint8Array;
  d1Neg: Uint8Array;
  s6: Float64Array;
  s10: Float64Array;
}

export function newTrace(nhid: number, nout: number): OracleTrace {
  return {
    hid: new Float64Array(nhid),
    h: new Uint8Array(nhid),
    hLow: new Uint8Array(nhid),
    hHigh: new Uint8Array(nhid),
    out: new Float64Array(nout),
    o: new Uint8Array(nout),
    oLow: new Uint8Array(nout),
    oHigh: new Uint8Array(nout),
    dPos: new Uint8Array(nout),
    dNeg: new Uint8Array(nout),
    d1Pos: new Uint8Array(nhid),
    d1Neg: new Uint8Array(nhid),
    s6: new Float64Array(nhid),
    s10: new Float64Array(nhid),
  };
}

/** Scratch list of active input indices, grown on demand (no allocation per sample). */
let activeList = new Int32Array(0);
function activeScratch(nin: number): Int32Array {
  if (activeList.length < nin) activeList = new Int32Array(nin);
  return activeList;
}

/** Scratch list of the hidden units a W1 phase updates (its error's), grown on demand. */
let errorList = new Int32Array(0);
function errorScratch(nhid: number): Int32Array {
  if (errorList.length < nhid) errorList = new Int32Array(nhid);
  return errorList;
}

/** The paper's exact step: nothing is drawn (the generators are never read). */
const NO_ROUNDING: OracleRounding = { shift: 0, w1: new Prng(0), w2: new Prng(0), p: new Prng(0), m: new Prng(0) };

const clip = (w: number) => (w > PLASTIC.max ? PLASTIC.max : w < PLASTIC.min ? PLASTIC.min : w);

/**
 * One training sample: x is a 0/1 vector of length nin, label in 0..nout-1. Updates the state.
 *
 * With a learning step below one LSB (s.rounding, OracleRounding) every update is a draw from
 * its matrix's stream. Within a learning phase a matrix draws pre by
 * pre, post by post, both ascending (the chip's memory order): W1 over (active input, hidden
 * error), W2 over (h, output error), P and M over (output error, h). A step up happens when
 * the draw r (uint32) is below 2^(32-shift); a step down when r >= 2^32 - 2^(32-shift): the
 * learning engine rounds old + dw and old - dw stochastically to the LSB, up with
 * probability equal to the fraction.
 */
export function oracleTrain(s: OracleState, x: Uint8Array, label: number, order: Order, tr: OracleTrace): void {
  const { nin, nhid, nout, w1, w2, p, m } = s;
  const step = PLASTIC.step;
  const r = s.rounding ?? NO_ROUNDING;
  const shift = r.shift;
  const below = Math.pow(2, 32 - shift);
  const up = (g: Prng, w: number) => (shift === 0 || g.nextU32() < below ? clip(w + step) : w);
  const down = (g: Prng, w: number) => (shift === 0 || g.nextU32() >= 4294967296 - below ? clip(w - step) : w);
  let na = 0;
  const act = activeScratch(nin);
  for (let i = 0; i < nin; i++) if (x[i]) act[na++] = i;
  for (let j = 0; j < nhid; j++) {
    let sum = 0;
    for (let a = 0; a < na; a++) sum += w1[j * nin + act[a]];
    tr.hid[j] = sum;
    tr.h[j] = sum > HALF ? 1 : 0;
    tr.hLow[j] = sum > 0 ? 1 : 0;
    tr.hHigh[j] = sum > UNIT ? 1 : 0;
  }
  const low = -(s.errorWindow ?? 0);
  const margin = s.targetTop === 1024;
  for (let k = 0; k < nout; k++) {
    let sum = 0;
    for (let j = 0; j < nhid; j++) if (tr.h[j]) sum += w2[k * nhid + j];
    tr.out[k] = sum;
    tr.o[k] = sum > HALF ? 1 : 0;
    tr.oLow[k] = sum > low ? 1 : 0;
    tr.oHigh[k] = sum > UNIT ? 1 : 0;
  }
  for (let k = 0; k < nout; k++) {
    const t = k === label ? 1 : 0;
    tr.dPos[k] = tr.oLow[k] & t & (1 - (margin ? tr.oHigh[k] : tr.o[k]));
    tr.dNeg[k] = tr.oLow[k] & tr.o[k] & (1 - t) & (1 - tr.oHigh[k]);
  }
  const sumPM = (out: Float64Array, a: Uint8Array, b: Uint8Array) => {
    for (let j = 0; j < nhid; j++) {
      let sum = 0;
      for (let k = 0; k < nout; k++) {
        if (a[k]) sum += p[j * nout + k];
        if (b[k]) sum += m[j * nout + k];
      }
      out[j] = sum;
    }
  };
  if (order === 'chip') {
    sumPM(tr.s6, tr.dPos, tr.dNeg);
    sumPM(tr.s10, tr.dNeg, tr.dPos);
  }
  // P and M: pre the output error eP (eM), post h
  const phaseT = (w: Int16Array, pre: Uint8Array, g: Prng, move: (g: Prng, w: number) => number) => {
    for (let k = 0; k < nout; k++) {
      if (!pre[k]) continue;
      for (let j = 0; j < nhid; j++) if (tr.h[j]) w[j * nout + k] = move(g, w[j * nout + k]);
    }
  };
  // W2: pre h, post e; then P and M
  const phaseW2 = (e: Uint8Array, eP: Uint8Array, eM: Uint8Array, move: (g: Prng, w: number) => number) => {
    for (let j = 0; j < nhid; j++) {
      if (!tr.h[j]) continue;
      for (let k = 0; k < nout; k++) if (e[k]) w2[k * nhid + j] = move(r.w2, w2[k * nhid + j]);
    }
    phaseT(p, eP, r.p, move);
    phaseT(m, eM, r.m, move);
  };
  // W1: pre x, post d (the units with an error listed first, so a phase costs active inputs x errors)
  const dl = errorScratch(nhid);
  const phaseW1 = (d: Uint8Array, move: (g: Prng, w: number) => number) => {
    let nd = 0;
    for (let j = 0; j < nhid; j++) if (d[j]) dl[nd++] = j;
    for (let a = 0; a < na; a++)
      for (let b = 0; b < nd; b++) {
        const at = dl[b] * nin + act[a];
        w1[at] = move(r.w1, w1[at]);
      }
  };
  // phase 5: W2 += d+ (x) h, P += h (x) d+, M += h (x) d-
  phaseW2(tr.dPos, tr.dPos, tr.dNeg, up);
  if (order === 'reference') sumPM(tr.s6, tr.dPos, tr.dNeg);
  for (let j = 0; j < nhid; j++) tr.d1Pos[j] = tr.hLow[j] & (1 - tr.hHigh[j]) & (tr.s6[j] > 0 ? 1 : 0);
  // phase 7: W1 += d1+ (x) x
  phaseW1(tr.d1Pos, up);
  // phase 9: W2 -= d- (x) h, P -= h (x) d-, M -= h (x) d+
  phaseW2(tr.dNeg, tr.dNeg, tr.dPos, down);
  if (order === 'reference') sumPM(tr.s10, tr.dNeg, tr.dPos);
  for (let j = 0; j < nhid; j++) tr.d1Neg[j] = tr.hLow[j] & (1 - tr.hHigh[j]) & (tr.s10[j] > 0 ? 1 : 0);
  // phase 11: W1 -= d1- (x) x
  phaseW1(tr.d1Neg, down);
}

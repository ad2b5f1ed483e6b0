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
import { PLASTIC } from './matrices';
import { HALF, UNIT } from './params';

export type Order = 'chip' | 'reference';

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

const clip = (w: number) => (w > PLASTIC.max ? PLASTIC.max : w < PLASTIC.min ? PLASTIC.min : w);

/** One training sample: x is a 0/1 vector of length nin, label in 0..nout-1. Updates the state. */
export function oracleTrain(s: OracleState, x: Uint8Array, label: number, order: Order, tr: OracleTrace): void {
  const { nin, nhid, nout, w1, w2, p, m } = s;
  const step = PLASTIC.step;
  // the active inputs, in increasing order (the sums and updates below visit only them)
  let na = 0;
  const act = activeScratch(nin);
  for (let i = 0; i < nin; i++) if (x[i]) act[na++] = i;
  // 1. hidden sums and activations
  for (let j = 0; j < nhid; j++) {
    let sum = 0;
    const row = j * nin;
    for (let a = 0; a < na; a++) sum += w1[row + act[a]];
    tr.hid[j] = sum;
    tr.h[j] = sum > HALF ? 1 : 0;
    tr.hLow[j] = sum > 0 ? 1 : 0;
    tr.hHigh[j] = sum > UNIT ? 1 : 0;
  }
  // 2. output sums
  for (let k = 0; k < nout; k++) {
    let sum = 0;
    const row = k * nhid;
    for (let j = 0; j < nhid; j++) if (tr.h[j]) sum += w2[row + j];
    tr.out[k] = sum;
    tr.o[k] = sum > HALF ? 1 : 0;
    tr.oLow[k] = sum > 0 ? 1 : 0;
    tr.oHigh[k] = sum > UNIT ? 1 : 0;
  }
  // 3. output error signs
  for (let k = 0; k < nout; k++) {
    const t = k === label ? 1 : 0;
    tr.dPos[k] = tr.oLow[k] & t & (1 - tr.o[k]);
    tr.dNeg[k] = tr.oLow[k] & tr.o[k] & (1 - t) & (1 - tr.oHigh[k]);
  }
  const sumPM = (out: Float64Array, a: Uint8Array, b: Uint8Array) => {
    // out_j = sum_k P[j,k] a_k + M[j,k] b_k
    for (let j = 0; j < nhid; j++) {
      let sum = 0;
      const row = j * nout;
      for (let k = 0; k < nout; k++) {
        if (a[k]) sum += p[row + k];
        if (b[k]) sum += m[row + k];
      }
      out[j] = sum;
    }
  };
  // 4 (chip order): backprop sums before this sample's updates
  if (order === 'chip') {
    sumPM(tr.s6, tr.dPos, tr.dNeg);
    sumPM(tr.s10, tr.dNeg, tr.dPos);
  }
  // 5. phase 5: W2 += 2 d+ (x) h; P += 2 h (x) d+; M += 2 h (x) d-
  for (let k = 0; k < nout; k++) {
    for (let j = 0; j < nhid; j++) {
      if (!tr.h[j]) continue;
      if (tr.dPos[k]) w2[k * nhid + j] = clip(w2[k * nhid + j] + step);
      if (tr.dPos[k]) p[j * nout + k] = clip(p[j * nout + k] + step);
      if (tr.dNeg[k]) m[j * nout + k] = clip(m[j * nout + k] + step);
    }
  }
  if (order === 'reference') sumPM(tr.s6, tr.dPos, tr.dNeg);
  // phase 9: W2 -= 2 d- (x) h; P -= 2 h (x) d-; M -= 2 h (x) d+
  for (let k = 0; k < nout; k++) {
    for (let j = 0; j < nhid; j++) {
      if (!tr.h[j]) continue;
      if (tr.dNeg[k]) w2[k * nhid + j] = clip(w2[k * nhid + j] - step);
      if (tr.dNeg[k]) p[j * nout + k] = clip(p[j * nout + k] - step);
      if (tr.dPos[k]) m[j * nout + k] = clip(m[j * nout + k] - step);
    }
  }
  if (order === 'reference') sumPM(tr.s10, tr.dNeg, tr.dPos);
  // 6. hidden errors
  for (let j = 0; j < nhid; j++) {
    const b = tr.hLow[j] & (1 - tr.hHigh[j]);
    tr.d1Pos[j] = b & (tr.s6[j] > 0 ? 1 : 0);
    tr.d1Neg[j] = b & (tr.s10[j] > 0 ? 1 : 0);
  }
  // 7. W1 += 2 d1+ (x) x (phase 7), then -= 2 d1- (x) x (phase 11)
  for (let j = 0; j < nhid; j++) {
    if (!tr.d1Pos[j]) continue;
    const row = j * nin;
    for (let a = 0; a < na; a++) w1[row + act[a]] = clip(w1[row + act[a]] + step);
  }
  for (let j = 0; j < nhid; j++) {
    if (!tr.d1Neg[j]) continue;
    const row = j * nin;
    for (let a = 0; a < na; a++) w1[row + act[a]] = clip(w1[row + act[a]] - step);
  }
}

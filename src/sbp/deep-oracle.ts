/**
 * The golden model of the L-hidden-layer sBP network (docs/deep.md): a dense, non-spiking
 * integer implementation of one training sample, written from the algorithm alone and sharing
 * no code with the spiking network. For one hidden layer it is the algorithm of oracle.ts.
 *
 * Per sample (x binary, label one-hot; layers 0 = x, 1..L hidden, L+1 = output):
 *  1. forward, l = 1..L+1: z_l = W_l a_{l-1}; a_l = [z_l > 512]; b_l = [z_l > 0] ∧ ¬[z_l > 1024];
 *     the output also keeps o< = [z > 0] and o> = [z > 1024];
 *  2. output error: e+ = o< ∧ t ∧ ¬o, e- = o< ∧ o ∧ ¬t ∧ ¬o>;
 *  3. for l = L+1 down to 2, with the error (e+, e-) of layer l and a = a_{l-1}:
 *     s+ = P_l e+ + M_l e-, s- = P_l e- + M_l e+ (order 'chip': before the updates below;
 *     'reference': s+ after the + step, s- after the − step);
 *     + step: W_l += 2 e+⊗a, P_l += 2 a⊗e+, M_l += 2 a⊗e-; − step: W_l -= 2 e-⊗a,
 *     P_l -= 2 a⊗e-, M_l -= 2 a⊗e+ (each step clipped to [-256, 254]);
 *     the error of layer l-1: e+ = b_{l-1} ∧ [s+ > 0], e- = b_{l-1} ∧ [s- > 0];
 *  4. W1 += 2 e1+⊗x, then W1 -= 2 e1-⊗x.
 */
import { PLASTIC } from './matrices';
import type { Order } from './oracle';

export interface DeepOracleState {
  /** [in, h1, ..., hL, out] */
  sizes: number[];
  /** w[l], l = 1..L+1: layer l x layer l-1 (w[0] unused). */
  w: Int16Array[];
  /** p[l] = +W_lᵀ, l = 2..L+1: layer l-1 x layer l. */
  p: Int16Array[];
  /** m[l] = -W_lᵀ. */
  m: Int16Array[];
}

export interface DeepOracleTrace {
  /** z[l]: weighted sums (l = 1..L+1). */
  z: Float64Array[];
  /** a[l]: [z > 512]; a[0] = x. */
  a: Uint8Array[];
  /** The error signs of layer l (l = 1..L+1). */
  ePos: Uint8Array[];
  eNeg: Uint8Array[];
}

export function newDeepTrace(sizes: number[]): DeepOracleTrace {
  return {
    z: sizes.map((n) => new Float64Array(n)),
    a: sizes.map((n) => new Uint8Array(n)),
    ePos: sizes.map((n) => new Uint8Array(n)),
    eNeg: sizes.map((n) => new Uint8Array(n)),
  };
}

/** The state from W_l matrices (post x pre), with P_l and M_l as their transposes and negations. */
export function deepOracleState(sizes: number[], w: Int16Array[]): DeepOracleState {
  const s: DeepOracleState = { sizes: sizes.slice(), w: [new Int16Array(0)], p: [new Int16Array(0), new Int16Array(0)], m: [new Int16Array(0), new Int16Array(0)] };
  for (let l = 1; l < sizes.length; l++) s.w.push(Int16Array.from(w[l]));
  for (let l = 2; l < sizes.length; l++) {
    const rows = sizes[l];
    const cols = sizes[l - 1];
    const p = new Int16Array(rows * cols);
    const m = new Int16Array(rows * cols);
    for (let k = 0; k < rows; k++)
      for (let j = 0; j < cols; j++) {
        p[j * rows + k] = w[l][k * cols + j];
        m[j * rows + k] = -w[l][k * cols + j];
      }
    s.p.push(p);
    s.m.push(m);
  }
  return s;
}

function clip(w: number): number {
  return w > PLASTIC.max ? PLASTIC.max : w < PLASTIC.min ? PLASTIC.min : w;
}

/** The indices i with v[i] != 0, in increasing order. */
function ones(v: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i]) out.push(i);
  return out;
}

/**
 * One training sample; updates the state and fills the trace. The loops run over the lists of
 * active neurons (a binary vector's ones), which changes no sum: a sum over j with pre[j] = 1
 * is the sum over the list of those j, and every weight is visited at most once per step.
 */
export function deepOracleTrain(s: DeepOracleState, x: Uint8Array, label: number, order: Order, tr: DeepOracleTrace): void {
  const n = s.sizes;
  const top = n.length - 1;
  const step = PLASTIC.step;
  const low: Uint8Array[] = [];
  const high: Uint8Array[] = [];
  tr.a[0].set(x);
  // 1. forward
  for (let l = 1; l <= top; l++) {
    const w = s.w[l];
    const pre = ones(tr.a[l - 1]);
    const cols = n[l - 1];
    low[l] = new Uint8Array(n[l]);
    high[l] = new Uint8Array(n[l]);
    for (let k = 0; k < n[l]; k++) {
      let z = 0;
      const row = k * cols;
      for (let t = 0; t < pre.length; t++) z += w[row + pre[t]];
      tr.z[l][k] = z;
      tr.a[l][k] = z > 512 ? 1 : 0;
      low[l][k] = z > 0 ? 1 : 0;
      high[l][k] = z > 1024 ? 1 : 0;
    }
  }
  // 2. output error
  for (let k = 0; k < n[top]; k++) {
    const t = k === label ? 1 : 0;
    const o = tr.a[top][k];
    tr.ePos[top][k] = low[top][k] & t & (1 - o);
    tr.eNeg[top][k] = low[top][k] & o & (1 - t) & (1 - high[top][k]);
  }
  // 3. error blocks
  for (let l = top; l >= 2; l--) {
    const rows = n[l];
    const cols = n[l - 1];
    const ep = ones(tr.ePos[l]);
    const en = ones(tr.eNeg[l]);
    const a = ones(tr.a[l - 1]);
    const w = s.w[l];
    const p = s.p[l];
    const m = s.m[l];
    const sPos = new Float64Array(cols);
    const sNeg = new Float64Array(cols);
    // out[j] = sum over k in plus of P[j][k] + sum over k in minus of M[j][k]
    const sums = (out: Float64Array, plus: number[], minus: number[]) => {
      for (let j = 0; j < cols; j++) {
        let v = 0;
        const row = j * rows;
        for (let t = 0; t < plus.length; t++) v += p[row + plus[t]];
        for (let t = 0; t < minus.length; t++) v += m[row + minus[t]];
        out[j] = v;
      }
    };
    // the + step (sign +1: W and P on e+, M on e-) and the − step (sign -1: W and P on e-, M on e+)
    const update = (sign: number, wp: number[], mm: number[]) => {
      const d = sign * step;
      for (const k of wp)
        for (const j of a) {
          w[k * cols + j] = clip(w[k * cols + j] + d);
          p[j * rows + k] = clip(p[j * rows + k] + d);
        }
      for (const k of mm) for (const j of a) m[j * rows + k] = clip(m[j * rows + k] + d);
    };
    if (order === 'chip') {
      sums(sPos, ep, en);
      sums(sNeg, en, ep);
    }
    update(1, ep, en);
    if (order === 'reference') sums(sPos, ep, en);
    update(-1, en, ep);
    if (order === 'reference') sums(sNeg, en, ep);
    for (let j = 0; j < cols; j++) {
      const b = low[l - 1][j] & (1 - high[l - 1][j]);
      tr.ePos[l - 1][j] = b & (sPos[j] > 0 ? 1 : 0);
      tr.eNeg[l - 1][j] = b & (sNeg[j] > 0 ? 1 : 0);
    }
  }
  // 4. W1
  const w1 = s.w[1];
  const nin = n[0];
  const xs = ones(x);
  for (const sign of [1, -1]) {
    const rowsOf = ones(sign > 0 ? tr.ePos[1] : tr.eNeg[1]);
    for (const j of rowsOf) for (const i of xs) w1[j * nin + i] = clip(w1[j * nin + i] + sign * step);
  }
}

/**
 * The forward pass alone (step 1), for evaluation: input spikes active[start..end), a[l] =
 * [W_l a_{l-1} > 512] for l = 1..L+1, and z = the output sums.
 */
export function deepForward(sizes: readonly number[], w: ArrayLike<number>[], active: ArrayLike<number>, start: number, end: number, a: Uint8Array[], z: Float64Array): void {
  const top = sizes.length - 1;
  const nin = sizes[0];
  for (let k = 0; k < sizes[1]; k++) {
    let s = 0;
    const row = k * nin;
    for (let i = start; i < end; i++) s += w[1][row + active[i]];
    a[1][k] = s > 512 ? 1 : 0;
    if (top === 1) z[k] = s;
  }
  for (let l = 2; l <= top; l++) {
    const cols = sizes[l - 1];
    const pre = a[l - 1];
    for (let k = 0; k < sizes[l]; k++) {
      let s = 0;
      const row = k * cols;
      for (let j = 0; j < cols; j++) if (pre[j]) s += w[l][row + j];
      a[l][k] = s > 512 ? 1 : 0;
      if (l === top) z[k] = s;
    }
  }
}

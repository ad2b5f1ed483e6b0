/**
 * The chip's compartments: their state (u, v, refractory count), their prototypes'
 * parameters, and the update of one step with the integer rules of ./arith, each rule
 * tallied when it fires (see docs/chip-model.md, "Compartment update").
 *
 * The update of one compartment, in the hardware's order:
 *   q (21-bit wrap) -> u = decay(u) + q (24-bit wrap) -> u + bias (24-bit wrap) ->
 *   v = decay(v) + u + bias (saturate) -> refractory hold, or strict threshold, spike, reset.
 * The last stage (settle) is written once, here; the memoryless shortcuts (both decays 4096:
 * u = q, v = q + bias) and the row-sum kernel's range and list updates differ only in how
 * they reach it.
 *
 * A compartment with no input due, no refractory count running and no dynamics of its own
 * (a quiet prototype: memoryless and unable to fire on its bias) is at rest and is not
 * visited; it reports its rest value.
 */
import { decay, effectiveBias, saturateV, thresholdUnits, TWO_21, TWO_23, V_MAX, V_MIN, wrap24, wrapQ } from './arith';
import { NUM_OPS, Op } from './counters';
import type { ListUpdate, RangeUpdate, RowSumKernel } from './row-sum';
import type { ChipSpec } from './spec';

/** Indices of Compartments.ruleSteps: the per-step tallies of each integer rule that fired. */
const RS_Q_WRAP = 0;
const RS_U_WRAP = 1;
const RS_U_BIAS_WRAP = 2;
const RS_V_SAT_HIGH = 3;
const RS_V_SAT_LOW = 4;
const RS_REFRACTORY_HELD = 5;

/** wrapQ, tallied when it fires. */
function countedWrapQ(q: number, rs: Float64Array): number {
  if (q < TWO_21 && q >= -TWO_21) return q;
  rs[RS_Q_WRAP]++;
  return wrapQ(q);
}

/** wrap24, tallied in rs[k] when it fires. */
function countedWrap24(x: number, rs: Float64Array, k: number): number {
  if (x <= TWO_23 && x > -TWO_23) return x;
  rs[k]++;
  return wrap24(x);
}

/** saturateV, tallied when it clamps. */
function countedSaturateV(v: number, rs: Float64Array): number {
  if (v > V_MAX) {
    rs[RS_V_SAT_HIGH]++;
    return V_MAX;
  }
  if (v < V_MIN) {
    rs[RS_V_SAT_LOW]++;
    return V_MIN;
  }
  return v;
}

export class Compartments {
  readonly n: number;
  readonly u: Int32Array;
  readonly v: Int32Array;
  readonly ref: Uint8Array;
  /** Step of each compartment's last update: also the per-step visit stamp (each is updated at most once a step). */
  readonly lastUpdate: Int32Array;
  readonly cxProto: Uint16Array;
  readonly cxCore: Uint16Array;
  readonly pDecayU: Float64Array;
  readonly pDecayV: Float64Array;
  readonly pBias: Float64Array;
  readonly pVth: Float64Array;
  readonly pRef: Uint8Array;
  /** Prototype is memoryless (both decays 4096) and cannot fire on bias alone. */
  readonly pQuiet: Uint8Array;
  readonly pRestV: Float64Array;
  /** Memoryless prototypes: the inputs q for which no wrap or saturation rule can fire. */
  readonly pQLo: Float64Array;
  readonly pQHi: Float64Array;
  /** 1 if the prototype is memoryless (both decays 4096). */
  readonly pMemoryless: Uint8Array;
  /** The compartments of prototypes that are not quiet: updated every step. */
  readonly alwaysList: Int32Array;
  /** Active compartment updates per core this step (read and cleared by the time model); see allocateLast. */
  coreActive: Float64Array = new Float64Array(0);

  /** Per-step tallies of the rules that fired: qWrap, uWrap, uBiasWrap, vSatHigh, vSatLow, refractoryHeld. */
  readonly ruleSteps = new Float64Array(6);
  nVisit = 0;
  nSpiked = 0;
  nRef = 0;
  /**
   * Compartments with a refractory count running: refIn lists those of the last step (updated
   * this step), refOut collects this step's; the two swap at the end of a step.
   */
  refIn: Int32Array;
  refCount = 0;
  refOut: Int32Array;
  /** Compartments that spiked this step (the last step, once it is over). */
  readonly spikedCx: Int32Array;

  /**
   * The row-sum kernel's update of clean memoryless ranges, if it has one, else null; bound
   * to refOut (rangeUpdateAlt to refIn: the two swap with the lists).
   */
  rangeUpdate: RangeUpdate | null;
  private rangeUpdateAlt: RangeUpdate | null;
  /** The row-sum kernel's update of listed memoryless compartments, or null (bound as above). */
  listUpdate: ListUpdate | null = null;
  private listUpdateAlt: ListUpdate | null = null;
  /** Counts passed to and from rangeUpdate and listUpdate: nSpiked, nRef, held, visits. */
  readonly kernelState: Int32Array;
  /**
   * Every group delivers whole hardware units (weight exponents of -6 and up: mantissa times
   * an integer power of two), so every compartment input is an integer.
   */
  readonly integralInputs: boolean;

  /**
   * The state lives in the row-sum kernel's memory (`k`); `useKernelUpdates` binds the
   * kernel's range update (the fast kernel), if it has one. The chip calls allocateLast
   * once the other arrays in that memory are allocated.
   */
  constructor(spec: ChipSpec, k: RowSumKernel, useKernelUpdates: boolean, integralInputs: boolean) {
    const n = spec.numCompartments;
    this.n = n;
    this.integralInputs = integralInputs;
    this.kernelState = k.allocInt32(4);
    this.u = k.allocInt32(n);
    this.v = k.allocInt32(n);
    this.ref = k.allocUint8(n);
    this.lastUpdate = k.allocInt32(n);
    // (one spare element: the kernel's range update stores before it counts)
    this.refOut = k.allocInt32(n + 1);
    this.refIn = k.allocInt32(n + 1);
    this.spikedCx = k.allocInt32(n + 1);
    const rangeInto = (refs: Int32Array) =>
      useKernelUpdates && k.rangeUpdate ? k.rangeUpdate(this.u, this.v, this.ref, this.lastUpdate, this.spikedCx, refs, this.kernelState) : null;
    this.rangeUpdate = rangeInto(this.refOut);
    this.rangeUpdateAlt = rangeInto(this.refIn);
    this.cxProto = k.allocUint16(n);
    this.cxProto.set(spec.cxPrototype);
    this.cxCore = k.allocUint16(n);
    this.cxCore.set(spec.cxCore);

    const np = spec.prototypes.length;
    this.pDecayU = new Float64Array(np);
    this.pDecayV = new Float64Array(np);
    this.pBias = new Float64Array(np);
    this.pVth = new Float64Array(np);
    this.pRef = new Uint8Array(np);
    this.pQuiet = new Uint8Array(np);
    this.pRestV = new Float64Array(np);
    this.pQLo = new Float64Array(np);
    this.pQHi = new Float64Array(np);
    this.pMemoryless = new Uint8Array(np);
    for (let p = 0; p < np; p++) {
      const pr = spec.prototypes[p];
      this.pDecayU[p] = pr.decayU;
      this.pDecayV[p] = pr.decayV;
      this.pBias[p] = effectiveBias(pr.biasMant, pr.biasExp);
      this.pVth[p] = thresholdUnits(pr.vthMant);
      this.pRef[p] = pr.refractoryDelay;
      const rest = saturateV(wrap24(this.pBias[p]));
      this.pRestV[p] = rest;
      // q in [-2^21, 2^21 - 1] passes wrapQ and wrap24 unchanged; q + bias in [-V_MAX, V_MAX]
      // passes wrap24 and saturateV unchanged
      this.pMemoryless[p] = pr.decayU >= 4096 && pr.decayV >= 4096 ? 1 : 0;
      this.pQLo[p] = Math.max(-TWO_21, V_MIN - this.pBias[p]);
      this.pQHi[p] = Math.min(TWO_21 - 1, V_MAX - this.pBias[p]);
      this.pQuiet[p] = pr.decayU >= 4096 && pr.decayV >= 4096 && !(rest > this.pVth[p]) ? 1 : 0;
    }
    let always = 0;
    for (let i = 0; i < n; i++) if (!this.pQuiet[this.cxProto[i]]) always++;
    this.alwaysList = k.allocInt32(always);
    always = 0;
    for (let i = 0; i < n; i++) {
      if (!this.pQuiet[this.cxProto[i]]) this.alwaysList[always++] = i;
      this.v[i] = this.pQuiet[this.cxProto[i]] ? this.pRestV[this.cxProto[i]] : 0;
    }
  }

  /**
   * The per-core active counts and the prototype table of the kernel's list update, and the
   * list update bound to them (`useKernelUpdates`, if the kernel has one). (Allocated after
   * the accumulators and the dense groups' arrays: with the WebAssembly kernel, this order of
   * its memory measured about 3% faster training than allocating them with the state.)
   */
  allocateLast(spec: ChipSpec, k: RowSumKernel, useKernelUpdates: boolean): void {
    const np = spec.prototypes.length;
    this.coreActive = k.allocFloat64(spec.numCores);
    // the kernel's list update: per prototype (qLo, qHi, bias, vth, rd, memoryless)
    const table = k.allocFloat64(6 * np);
    for (let p = 0; p < np; p++) table.set([this.pQLo[p], this.pQHi[p], this.pBias[p], this.pVth[p], this.pRef[p] - 1, this.pMemoryless[p]], 6 * p);
    const listInto = (refs: Int32Array) =>
      useKernelUpdates && k.listUpdate
        ? k.listUpdate(this.u, this.v, this.ref, this.lastUpdate, this.cxProto, table, this.cxCore, this.coreActive, this.spikedCx, refs, this.kernelState)
        : null;
    this.listUpdate = listInto(this.refOut);
    this.listUpdateAlt = listInto(this.refIn);
  }

  /** Current u of a compartment at step `time` (resting compartments report their rest value). */
  current(cx: number, time: number): number {
    return this.lastUpdate[cx] === time || !this.pQuiet[this.cxProto[cx]] ? this.u[cx] : 0;
  }

  /** Voltage of a compartment at step `time` (resting compartments report their rest value). */
  voltage(cx: number, time: number): number {
    const p = this.cxProto[cx];
    return this.lastUpdate[cx] === time || !this.pQuiet[p] ? this.v[cx] : this.pRestV[p];
  }

  /** Start a step's update: no visits, spikes or rule firings yet. */
  beginStep(): void {
    this.nVisit = 0;
    this.nSpiked = 0;
    this.nRef = 0;
    this.ruleSteps.fill(0);
  }

  /**
   * End a step's update: count what it did (Counting rule: every configured compartment is
   * serviced every step. Those updated (input due, refractory count running, or own
   * dynamics) are cxActive; all the others are cxIdle, since the core still visits them.
   * "Configured" = the chip's compartments, not the 1,024 slots of each core.) Then the
   * refractory lists swap (and the kernel updates bound to them). Returns the spike count.
   */
  endStep(cd: Float64Array, bucket: number): number {
    const cOff = bucket * NUM_OPS;
    const rs = this.ruleSteps;
    cd[cOff + Op.cxActive] += this.nVisit;
    cd[cOff + Op.cxIdle] += this.n - this.nVisit;
    cd[cOff + Op.spikes] += this.nSpiked;
    cd[cOff + Op.qWrap] += rs[RS_Q_WRAP];
    cd[cOff + Op.uWrap] += rs[RS_U_WRAP];
    cd[cOff + Op.uBiasWrap] += rs[RS_U_BIAS_WRAP];
    cd[cOff + Op.vSatHigh] += rs[RS_V_SAT_HIGH];
    cd[cOff + Op.vSatLow] += rs[RS_V_SAT_LOW];
    cd[cOff + Op.refractoryHeld] += rs[RS_REFRACTORY_HELD];
    const refs = this.refIn;
    this.refIn = this.refOut;
    this.refOut = refs;
    this.refCount = this.nRef;
    const ru = this.rangeUpdate;
    this.rangeUpdate = this.rangeUpdateAlt;
    this.rangeUpdateAlt = ru;
    const lu = this.listUpdate;
    this.listUpdate = this.listUpdateAlt;
    this.listUpdateAlt = lu;
    return this.nSpiked;
  }

  /**
   * The last stage of every update: a running refractory count holds v at 0 and runs down
   * (refractoryHeld when input arrives meanwhile); otherwise v above the threshold (strict)
   * spikes, resets v to 0 and starts the refractory count; otherwise v is kept.
   */
  private settle(cx: number, q: number, vv: number, vth: number, rd: number): void {
    const r = this.ref[cx];
    if (r > 0) {
      if (q !== 0) this.ruleSteps[RS_REFRACTORY_HELD]++;
      this.v[cx] = 0;
      this.ref[cx] = r - 1;
      if (r > 1) this.refOut[this.nRef++] = cx;
    } else if (vv > vth) {
      this.v[cx] = 0;
      this.spikedCx[this.nSpiked++] = cx;
      this.ref[cx] = rd;
      if (rd > 0) this.refOut[this.nRef++] = cx;
    } else this.v[cx] = vv;
  }

  /**
   * Update compartment cx at step t with the full integer rules (the caller stamps it). A
   * resting memoryless compartment may hold stale u and v: its decays of 4096 clear them.
   */
  update(cx: number, acc: Float64Array, timing: boolean): void {
    const p = this.cxProto[cx];
    const rs = this.ruleSteps;
    const q = countedWrapQ(acc[cx], rs);
    acc[cx] = 0;
    const uu = countedWrap24(decay(this.u[cx], this.pDecayU[p]) + q, rs, RS_U_WRAP);
    this.u[cx] = uu;
    const u2 = countedWrap24(uu + this.pBias[p], rs, RS_U_BIAS_WRAP);
    const vv = countedSaturateV(decay(this.v[cx], this.pDecayV[p]) + u2, rs);
    this.nVisit++;
    if (timing) this.coreActive[this.cxCore[cx]]++;
    this.settle(cx, q, vv, this.pVth[p], this.pRef[p] - 1);
  }

  /** Update the compartments list[0..count) not yet updated at step t, each with update(). */
  updateEach(list: Int32Array, count: number, t: number, acc: Float64Array, timing: boolean): void {
    const stamp = this.lastUpdate;
    for (let k = 0; k < count; k++) {
      const cx = list[k];
      if (stamp[cx] !== t) {
        stamp[cx] = t;
        this.update(cx, acc, timing);
      }
    }
  }

  /** update() of compartment cx (not yet updated at step t), by the memoryless shortcut where its prototype allows. */
  updateOne(cx: number, t: number, acc: Float64Array, timing: boolean): void {
    this.lastUpdate[cx] = t;
    const p = this.cxProto[cx];
    if (this.pMemoryless[p] === 0) {
      this.update(cx, acc, timing);
      return;
    }
    const q = acc[cx];
    acc[cx] = 0;
    this.updateMemoryless(cx, p, q);
    this.nVisit++;
    if (timing) this.coreActive[this.cxCore[cx]]++;
  }

  /**
   * The update of one compartment of memoryless prototype p with input q (hardware units):
   * update() with the decays folded away; an input inside the safe interval [pQLo, pQHi]
   * skips the wrap and saturation checks. (The caller stamps, clears the accumulator and
   * counts the visit.)
   */
  updateMemoryless(cx: number, p: number, q: number): void {
    const bias = this.pBias[p];
    let vv = q + bias;
    if (q < this.pQLo[p] || q > this.pQHi[p]) {
      const rs = this.ruleSteps;
      q = countedWrap24(countedWrapQ(q, rs), rs, RS_U_WRAP);
      vv = countedSaturateV(countedWrap24(q + bias, rs, RS_U_BIAS_WRAP), rs);
    }
    this.u[cx] = q;
    this.settle(cx, q, vv, this.pVth[p], this.pRef[p] - 1);
  }

  /**
   * updateOne for the compartments list[0..count) not yet updated at step t: the row-sum
   * kernel's list update takes the memoryless compartments whose input is safe; it stops at
   * any other one, which goes through updateOne here, and resumes after it.
   */
  updateListed(list: Int32Array, count: number, t: number, acc: Float64Array, timing: boolean): void {
    const update = this.listUpdate;
    if (update === null) {
      const stamp = this.lastUpdate;
      for (let k = 0; k < count; k++) {
        const cx = list[k];
        if (stamp[cx] !== t) this.updateOne(cx, t, acc, timing);
      }
      return;
    }
    const st = this.kernelState;
    let k = 0;
    for (;;) {
      st[0] = this.nSpiked;
      st[1] = this.nRef;
      st[2] = 0;
      st[3] = 0;
      k = update(list, k, count, acc, t, timing);
      this.nSpiked = st[0];
      this.nRef = st[1];
      this.ruleSteps[RS_REFRACTORY_HELD] += st[2];
      this.nVisit += st[3];
      if (k >= count) return;
      this.updateOne(list[k], t, acc, timing);
      k++;
    }
  }

  /**
   * update() for the range start..end of compartments sharing memoryless prototype p, with
   * the prototype's parameters hoisted out of the loop. `off` (hardware units) is input every
   * compartment of the range receives this step on top of its accumulator (uniform one-to-all
   * rows, kept as one number), and sums[j] * sumScale the row sums of one dense group. An
   * input inside the safe interval takes updateMemoryless's shortcut inline; any other input
   * takes the counted rules. `clean`: no other range overlaps this one, so no compartment of
   * it can have been updated this step already; otherwise those are skipped.
   */
  updateRange(start: number, end: number, p: number, t: number, acc: Float64Array, timing: boolean, off: number, clean: boolean, sums: Int32Array, sumScale: number): void {
    const stamp = this.lastUpdate;
    const u = this.u;
    const bias = this.pBias[p];
    const vth = this.pVth[p];
    const qLo = this.pQLo[p];
    const qHi = this.pQHi[p];
    const rd = this.pRef[p] - 1;
    const rs = this.ruleSteps;
    let nVisit = this.nVisit;
    // (no row sums: skip their loads; adding 0 would change nothing)
    const withSums = sumScale !== 0;
    for (let cx = start; cx < end; cx++) {
      if (!clean) {
        if (stamp[cx] === t) continue;
        nVisit++;
        if (timing) this.coreActive[this.cxCore[cx]]++;
      }
      stamp[cx] = t;
      let q = acc[cx] + off;
      if (withSums) q += sums[cx - start] * sumScale;
      acc[cx] = 0;
      // u = decay(u, 4096) + q = q; v = decay(v, 4096) + u + bias = q + bias
      let vv = q + bias;
      if (q < qLo || q > qHi) {
        q = countedWrap24(countedWrapQ(q, rs), rs, RS_U_WRAP);
        vv = countedSaturateV(countedWrap24(q + bias, rs, RS_U_BIAS_WRAP), rs);
      }
      u[cx] = q;
      this.settle(cx, q, vv, vth, rd);
    }
    if (clean) {
      nVisit += end - start;
      if (timing) {
        const cc = this.cxCore;
        for (let cx = start; cx < end; cx++) this.coreActive[cc[cx]]++;
      }
    }
    this.nVisit = nVisit;
  }

  /**
   * updateRange of a clean range by the row-sum kernel's range update (rangeUpdate must be
   * set). An input outside the safe interval stops the kernel; that compartment takes
   * updateMemoryless here, and the kernel resumes after it.
   */
  updateRangeByKernel(start: number, end: number, p: number, t: number, acc: Float64Array, timing: boolean, off: number, sums: Int32Array, sumScale: number): void {
    const update = this.rangeUpdate!;
    const st = this.kernelState;
    st[0] = this.nSpiked;
    st[1] = this.nRef;
    st[2] = 0;
    const bias = this.pBias[p];
    const vth = this.pVth[p];
    const qLo = this.pQLo[p];
    const qHi = this.pQHi[p];
    const rd = this.pRef[p] - 1;
    let cx = start;
    for (;;) {
      cx = update(acc, sums, start, cx, end, t, off, sumScale, bias, vth, qLo, qHi, rd, this.integralInputs);
      if (cx >= end) break;
      this.nSpiked = st[0];
      this.nRef = st[1];
      const q = acc[cx] + off + sums[cx - start] * sumScale;
      acc[cx] = 0;
      this.lastUpdate[cx] = t;
      this.updateMemoryless(cx, p, q);
      st[0] = this.nSpiked;
      st[1] = this.nRef;
      cx++;
    }
    this.nSpiked = st[0];
    this.nRef = st[1];
    this.ruleSteps[RS_REFRACTORY_HELD] += st[2];
    this.nVisit += end - start;
    if (timing) {
      const cc = this.cxCore;
      for (let c = start; c < end; c++) this.coreActive[cc[c]]++;
    }
  }
}
